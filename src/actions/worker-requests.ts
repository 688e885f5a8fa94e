/**
 * Asking a worker to drain, resume or shut down, shared by `dagbridge workers drain|resume|shutdown` and the
 * webserver. The request is written to the worker's row; the worker reads it with its next heartbeat, so it
 * takes effect within one heartbeat interval (nothing is sent to the worker directly).
 */
import { NotFoundError } from '../lib/errors.js';
import type { WorkerAction, WorkerRegistry } from '../ports/worker-registry.js';

/** What a user may ask of a worker. */
export const WORKER_REQUESTS = ['drain', 'resume', 'shutdown'] as const;
export type WorkerRequest = (typeof WORKER_REQUESTS)[number];

/** The action stored for a request: resume clears it; `cold` makes a shutdown hand running tasks back now. */
export function workerActionOf(request: WorkerRequest, cold = false): WorkerAction | null {
  if (request === 'drain') return 'drain';
  if (request === 'shutdown') return cold ? 'cold_shutdown' : 'shutdown';
  return null;
}

/** Writes the request to the worker's row; a NotFoundError when no such worker is registered. Returns the stored action. */
export async function requestWorker(registry: WorkerRegistry, workerId: string, request: WorkerRequest, cold = false): Promise<WorkerAction | null> {
  const action = workerActionOf(request, cold);
  if (!(await registry.requestWorkerAction(workerId, action))) throw new NotFoundError(`worker ${workerId} is not registered (see dagbridge workers list)`);
  return action;
}
