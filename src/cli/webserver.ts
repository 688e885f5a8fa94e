/**
 * `dagbridge webserver`: the UI and the REST API (Airflow's stable API v1 and dagbridge's own), reading
 * PostgreSQL, and Redis for the queue pages when a Redis URL is configured. Binds 127.0.0.1 by default; another
 * address is refused while no user exists (docs/ui.md).
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { createWebContext, type App } from '../app.js';
import { UsageError } from '../lib/errors.js';
import { withConnectionOptions, type SharedOptions } from './common-options.js';
import { onStopSignals, withApp } from './run-command.js';

const portSchema = z.coerce.number().int().min(0).max(65535);

/** A port flag's value, or a UsageError naming the flag. */
export function parsePort(value: string, flag: string): number {
  const port = portSchema.safeParse(value);
  if (!port.success) throw new UsageError(`${flag} "${value}": a number from 0 to 65535 (0: a free port)`);
  return port.data;
}

/** A listening webserver of an app (database, and Redis when the app has it). */
export interface StartedWebServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Builds and starts the webserver on an app's connections: `dagbridge webserver` and `dagbridge standalone`
 * both start it this way, so both refuse a non-loopback address while no user exists.
 */
export async function startWebServer(app: App, options: { host: string; port: number }): Promise<StartedWebServer> {
  const context = createWebContext(app);
  // The HTTP framework is loaded by the commands that serve only.
  const { buildWebServer, listenWebServer } = await import('../web/server.js');
  const server = await buildWebServer(context);
  try {
    const url = await listenWebServer(server, context, options);
    return { url, close: () => server.app.close() };
  } catch (error) {
    await server.app.close();
    throw error;
  }
}

/** Registers `webserver`. */
export function registerWebserverCommand(program: Command): void {
  withConnectionOptions(program.command('webserver').description('serve the web UI and the Airflow-compatible REST API (PostgreSQL; Redis for queues)'))
    .option('--host <address>', 'address to bind (default 127.0.0.1; another needs a user to exist)', '127.0.0.1')
    .option('--port <port>', 'port (default 8080)', '8080')
    .action(async (options: SharedOptions & { host: string; port: string }) => {
      const port = parsePort(options.port, '--port');
      const withRedis = Boolean(options.redisUrl ?? process.env.DAGBRIDGE_REDIS_URL);
      await withApp(options, { role: 'webserver', database: true, redis: withRedis }, async (app) => {
        const server = await startWebServer(app, { host: options.host, port });
        app.log.info('webserver listening', { url: server.url, redis: withRedis });
        process.stdout.write(`dagbridge webserver: ${server.url}\n`);
        let stop: (() => void) | undefined;
        const stopped = new Promise<void>((resolve) => (stop = resolve));
        const remove = onStopSignals(() => stop?.(), () => stop?.());
        try {
          await stopped;
        } finally {
          remove();
          await server.close();
        }
      });
    });
}
