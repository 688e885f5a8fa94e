/**
 * Service state of a long-running component (scheduler, worker, executor pool, embedded PostgreSQL).
 * `idle` before `start()`, `running` while it serves, `stopping` once `stop()` was called, `stopped` when every
 * resource it held is released, `failed` when it ended on an error it could not ride out.
 */
export type ServiceState = 'idle' | 'running' | 'stopping' | 'stopped' | 'failed';
