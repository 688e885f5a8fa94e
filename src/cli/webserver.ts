/**
 * `dagbridge webserver`: the UI and the REST API (Airflow's stable API v1 and dagbridge's own), reading
 * PostgreSQL, and Redis for the queue pages when a Redis URL is configured. Binds 127.0.0.1 by default; another
 * address is refused while no user exists (docs/ui.md).
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { createWebContext } from '../app.js';
import { UsageError } from '../lib/errors.js';
import { withConnectionOptions, type SharedOptions } from './common-options.js';
import { onStopSignals, withApp } from './run-command.js';

const portSchema = z.coerce.number().int().min(0).max(65535);

/** Registers `webserver`. */
export function registerWebserverCommand(program: Command): void {
  withConnectionOptions(program.command('webserver').description('serve the web UI and the Airflow-compatible REST API (PostgreSQL; Redis for queues)'))
    .option('--host <address>', 'address to bind (default 127.0.0.1; another needs a user to exist)', '127.0.0.1')
    .option('--port <port>', 'port (default 8080)', '8080')
    .action(async (options: SharedOptions & { host: string; port: string }) => {
      const port = portSchema.safeParse(options.port);
      if (!port.success) throw new UsageError(`--port "${options.port}": a number from 0 to 65535`);
      const withRedis = Boolean(options.redisUrl ?? process.env.DAGBRIDGE_REDIS_URL);
      await withApp(options, { role: 'webserver', database: true, redis: withRedis }, async (app) => {
        const context = createWebContext(app);
        // The HTTP framework is loaded by this command only.
        const { buildWebServer, listenWebServer } = await import('../web/server.js');
        const server = await buildWebServer(context);
        const url = await listenWebServer(server, context, { host: options.host, port: port.data });
        app.log.info('webserver listening', { url, redis: withRedis });
        process.stdout.write(`dagbridge webserver: ${url}\n`);
        let stop: (() => void) | undefined;
        const stopped = new Promise<void>((resolve) => (stop = resolve));
        const remove = onStopSignals(() => stop?.(), () => stop?.());
        try {
          await stopped;
        } finally {
          remove();
          await server.app.close();
        }
      });
    });
}
