/**
 * What every command that runs task processes (worker, standalone, `tasks test`, the scheduler's DAG callbacks)
 * takes from the configuration for each attempt, and the Connections lookup those tasks are served.
 */
import type { Config } from '../config/config.js';
import { ConnectionTable } from '../connections/connection-table.js';
import { connectionLookup } from '../connections/sources.js';
import { FernetKeys } from '../lib/fernet.js';
import { jsonLimitsOf } from '../lib/json-limits.js';
import type { ConnectionSource } from '../ports/connections.js';
import type { PgStore } from '../store/pg-store.js';
import type { AttemptContext } from '../worker/attempt.js';
import { taskEnvSettingsOf } from '../worker/task-env.js';

/** The attempt settings of the configuration, for tasks run with `python`. */
export function attemptSettingsOf(config: Config, python: string): Pick<AttemptContext, 'python' | 'dagsFolder' | 'noAirflow' | 'env' | 'killGraceMs' | 'logCapBytes' | 'jsonLimits' | 'channelLimits'> {
  return {
    python,
    dagsFolder: config.dagsFolder,
    noAirflow: config.noAirflow,
    env: taskEnvSettingsOf(config),
    killGraceMs: config.killGraceMs,
    logCapBytes: config.logCapBytes,
    jsonLimits: jsonLimitsOf(config),
    channelLimits: { maxRequests: config.channelMaxRequests },
  };
}

/**
 * The Connections a task's `connection.get` is answered from: the process's AIRFLOW_CONN_*, the connections
 * file, then the table. A malformed Fernet key throws here, at the start of the command, not at a task's first
 * lookup.
 */
export function storedConnections(config: Config, store: PgStore): ConnectionSource {
  if (config.fernetKey) FernetKeys.parse(config.fernetKey);
  return connectionLookup({ env: process.env, connectionsFile: config.connectionsFile, table: new ConnectionTable(store.pool, config.fernetKey) });
}
