/** Fakes of the ports for unit tests. */
import type { WorkerRegistry } from './worker-registry.js';

/** A worker registry that accepts every registration and heartbeat and asks nothing of the worker. */
export const acceptingWorkerRegistry: WorkerRegistry = {
  registerWorker: async () => undefined,
  heartbeatWorker: async () => ({ requestedAction: null, known: true }),
  listWorkers: async () => [],
  requestWorkerAction: async () => true,
  pruneWorkers: async () => 0,
};
