/**
 * The one shape of a command that talks to the cluster: load config, create the app with what it needs, run,
 * close in `finally`.
 */
import { createApp, type App, type AppNeeds } from '../app.js';
import { createLogger, silentLogger } from '../lib/logger.js';
import { configFrom, type SharedOptions } from './common-options.js';

/** Runs `body` with an app; the app is closed whatever happens. */
export async function withApp<T>(options: SharedOptions, needs: AppNeeds, body: (app: App) => Promise<T>, extraFlags: Record<string, unknown> = {}): Promise<T> {
  const config = configFrom(options, extraFlags);
  const log = needs.role === 'cli' ? (options.json ? silentLogger : createLogger({ name: 'dagbridge', level: 'warn' })) : createLogger({ name: needs.role });
  const app = await createApp(config, needs, log);
  try {
    return await body(app);
  } finally {
    await app.close();
  }
}

/**
 * Installs SIGINT/SIGTERM handlers for a long-running service: the first signal calls `graceful`, a second one
 * calls `immediate`. Returns a function that removes them.
 */
export function onStopSignals(graceful: (signal: string) => void, immediate: (signal: string) => void): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals): void => {
    count += 1;
    if (count === 1) graceful(signal);
    else immediate(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
