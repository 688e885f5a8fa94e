/**
 * dagbridge's own queue and worker actions (`/dagbridge/api/v1`), with the code `dagbridge queue purge |
 * dead-letter list|retry|drop` and `dagbridge workers drain|resume|shutdown` use (src/actions). Reading dead
 * letters needs Viewer, as the queue list does; every change needs Op and writes an audit row.
 */
import { z } from 'zod';
import { listDeadLettersWithStates, purgeQueue, requireKnownQueue, settleDeadLetters } from '../actions/queue-actions.js';
import { requestWorker, WORKER_REQUESTS } from '../actions/worker-requests.js';
import type { TaskQueue } from '../ports/task-queue.js';
import { ApiError } from './problem.js';
import type { Routes, WebContext } from './routes.js';

/** The queue of a webserver started with Redis, or a 503 saying how to give it one. */
export function queueOr503(context: WebContext): TaskQueue {
  if (!context.queue) throw new ApiError(503, 'the webserver runs without Redis: start it with --redis-url (or DAGBRIDGE_REDIS_URL) to see queues');
  return context.queue;
}

const queueParams = z.object({ queue: z.string().min(1) });
const entriesBody = z.object({
  entry_ids: z.array(z.string().min(1)).min(1).optional(),
  all: z.boolean().default(false),
}).strict().refine((body) => (body.entry_ids !== undefined) !== body.all, { message: 'give entry_ids (from GET .../deadLetters) or all: true, not both', path: ['entry_ids'] });

export function registerQueueActionRoutes(routes: Routes): void {
  const context = routes.context;

  routes.add({
    method: 'GET', path: '/dagbridge/api/v1/queues/{queue}/deadLetters', summary: 'Dead letters of a queue, newest first, with the reason and the task instance state (as dagbridge queue dead-letter list)', guard: { role: 'Viewer' }, airflow: false,
    params: queueParams, query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50), offset: z.coerce.number().int().min(0).default(0) }),
  }, async ({ params, query }) => ({ queue: params.queue, deadLetters: await listDeadLettersWithStates(context.store, queueOr503(context), params.queue, query) }));

  for (const action of ['retry', 'drop'] as const) {
    routes.add({
      method: 'POST', path: `/dagbridge/api/v1/queues/{queue}/deadLetters/${action}`, airflow: false, guard: { role: 'Op' }, params: queueParams, body: entriesBody,
      summary: action === 'retry' ? 'Put dead letters back on their queue, deliveries reset (entry_ids or all)' : 'Delete dead letters (entry_ids or all)',
    }, async ({ params, body, audit }) => {
      const queue = queueOr503(context);
      const outcome = await settleDeadLetters(context.store, queue, params.queue, action, body.all ? 'all' : body.entry_ids ?? []);
      if (action === 'retry' && outcome.done.length > 0) await context.signalWork?.([params.queue]);
      if (outcome.done.length > 0) await audit({ event: `dead_letter_${action}`, extra: { queue: params.queue, entry_ids: outcome.done.map((d) => d.entryId) } });
      return { queue: params.queue, [action === 'retry' ? 'retried' : 'dropped']: outcome.done, missing: outcome.missing, ...(action === 'retry' ? { refused: outcome.refused } : {}) };
    });
  }

  routes.add({
    method: 'POST', path: '/dagbridge/api/v1/queues/{queue}/purge', summary: 'Remove the ready messages of a queue; their task instances go back to scheduled (or failed with fail: true)', guard: { role: 'Op' }, airflow: false,
    params: queueParams, body: z.object({ fail: z.boolean().default(false) }).strict(),
  }, async ({ params, body, user, audit }) => {
    const queue = queueOr503(context);
    await requireKnownQueue(queue, params.queue);
    const outcome = await purgeQueue(context.store, queue, params.queue, { fail: body.fail, now: context.now(), by: user.username });
    await audit({ event: 'queue_purge', extra: { queue: params.queue, fail: body.fail, purged: outcome.purged, rescheduled: outcome.rescheduled, failed: outcome.failed } });
    await context.notify('purge');
    return outcome;
  });

  for (const request of WORKER_REQUESTS) {
    routes.add({
      method: 'POST', path: `/dagbridge/api/v1/workers/{worker_id}/${request}`, guard: { role: 'Op' }, airflow: false,
      summary: request === 'drain' ? 'Ask a worker to stop claiming; running tasks finish (read with its next heartbeat)'
        : request === 'resume' ? 'Clear a drain (or a shutdown request not yet read)' : 'Ask a worker to shut down (cold: true hands running tasks back now)',
      params: z.object({ worker_id: z.string().min(1) }),
      body: request === 'shutdown' ? z.object({ cold: z.boolean().default(false) }).strict() : z.object({}).strict(),
    }, async ({ params, body, audit }) => {
      const cold = 'cold' in body && body.cold === true;
      const requested = await requestWorker(context.store, params.worker_id, request, cold);
      await audit({ event: `worker_${request}`, extra: { worker_id: params.worker_id, ...(request === 'shutdown' ? { cold } : {}) } });
      return { workerId: params.worker_id, requestedAction: requested };
    });
  }
}
