/**
 * dagbridge's own queue and worker actions on real PostgreSQL and Redis: dead letters listed with their
 * reasons, retried and dropped, a queue purged with its task instances rescheduled, workers asked to drain,
 * resume and shut down; Viewer reads, Op acts, each action is an audit row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { silentLogger } from '../src/lib/logger.js';
import type { RedisTaskQueue } from '../src/queue/redis-queue.js';
import { PgStore } from '../src/store/pg-store.js';
import { insertUser, type Role } from '../src/store/web-queries.js';
import { Authenticator } from '../src/web/auth.js';
import { hashPassword } from '../src/web/passwords.js';
import type { WebContext } from '../src/web/routes.js';
import { buildWebServer } from '../src/web/server.js';
import { createMigratedDatabase, type TestDatabase } from './support/database.js';
import { DEAD_REASON, QUEUED_KEY, REFUSAL, openTestQueue, seedQueueFixture } from './support/web-queue-fixture.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0, 0);
const PASSWORD = 'queue pages password';
let db: TestDatabase;
let store: PgStore;
let closeQueue: () => Promise<void>;
let queue: RedisTaskQueue;
let app: FastifyInstance;
const signalled: string[][] = [];

async function call(method: string, url: string, user: Role, body?: unknown) {
  const response = await app.inject({ method: method as 'GET', url, headers: { authorization: `Basic ${Buffer.from(`${user.toLowerCase()}:${PASSWORD}`).toString('base64')}` }, ...(body === undefined ? {} : { payload: body as object }) });
  return { status: response.statusCode, body: response.json() as Record<string, unknown> };
}

beforeAll(async () => {
  db = await createMigratedDatabase('web_queue');
  store = new PgStore(db.pool);
  const opened = await openTestQueue('web-queue');
  queue = opened.queue;
  closeQueue = opened.close;
  await seedQueueFixture(store, queue, Date.now());
  for (const role of ['Viewer', 'User', 'Op'] as const) await insertUser(db.pool, role.toLowerCase(), role, await hashPassword(PASSWORD));
  const context: WebContext = {
    store, pool: db.pool, queue, auth: new Authenticator(db.pool), log: silentLogger, leaseMs: 30_000,
    now: () => T0, notify: async () => undefined, signalWork: async (queues) => void signalled.push(queues), scheduleSemantics: null,
  };
  app = (await buildWebServer(context)).app;
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await closeQueue?.();
  await store?.close();
  await db?.drop();
});

describe('dead letters and purge', () => {
  it('lists dead letters with the reason for a Viewer; only Op retries; a retried message is ready again', async () => {
    const listed = await call('GET', '/dagbridge/api/v1/queues/default/deadLetters', 'Viewer');
    expect(listed.status).toBe(200);
    const entries = listed.body.deadLetters as Array<{ entryId: string; id: string; reason: string; taskInstanceState: string }>;
    expect(entries.map((e) => [e.id, e.reason, e.taskInstanceState])).toEqual([['qdag|queued_run|t1|-1|1', DEAD_REASON, 'queued']]);
    const entryId = entries[0]!.entryId;

    const user = await call('POST', '/dagbridge/api/v1/queues/default/deadLetters/retry', 'User', { entry_ids: [entryId] });
    expect([user.status, user.body.detail]).toEqual([403, 'user user has role User; this needs Op or above']);
    const neither = await call('POST', '/dagbridge/api/v1/queues/default/deadLetters/retry', 'Op', {});
    expect(neither.status).toBe(400);
    expect(neither.body.detail).toContain('body.entry_ids');
    const both = await call('POST', '/dagbridge/api/v1/queues/default/deadLetters/retry', 'Op', { entry_ids: [entryId], all: true });
    expect(both.status).toBe(400);

    const retried = await call('POST', '/dagbridge/api/v1/queues/default/deadLetters/retry', 'Op', { entry_ids: [entryId, 'no-such-entry'] });
    expect(retried.status).toBe(200);
    expect(retried.body).toEqual({ queue: 'default', retried: [{ entryId, messageId: 'qdag|queued_run|t1|-1|1', taskInstanceState: 'queued' }], missing: ['no-such-entry'], refused: [] });
    expect(signalled).toEqual([['default']]);
    expect((await queue.stats(['default']))[0]).toMatchObject({ ready: 1, deadLettered: 0 });
  });

  it('purges a queue (Op): the task instance goes back to scheduled, noting who; an unknown queue is a 404', async () => {
    expect((await call('POST', '/dagbridge/api/v1/queues/default/purge', 'User', {})).status).toBe(403);
    const purged = await call('POST', '/dagbridge/api/v1/queues/default/purge', 'Op', {});
    expect(purged.body).toEqual({ queue: 'default', purged: 1, rescheduled: 1, failed: 0, untouched: [] });
    const ti = await store.getTaskInstance(QUEUED_KEY);
    expect([ti?.state, ti?.note]).toEqual(['scheduled', 'message purged from queue default by op']);
    const unknown = await call('POST', '/dagbridge/api/v1/queues/nope/purge', 'Op', {});
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toContain('queue nope is not known to Redis');
    const badBody = await call('POST', '/dagbridge/api/v1/queues/default/purge', 'Op', { fail: 'yes' });
    expect(badBody.status).toBe(400);
    expect(badBody.body.detail).toContain('body.fail');
  });

  it('drops every dead letter of a queue (Op)', async () => {
    await queue.deadLetter('default', 'not json', 'task message is not JSON: not json');
    const dropped = await call('POST', '/dagbridge/api/v1/queues/default/deadLetters/drop', 'Op', { all: true });
    expect(dropped.status).toBe(200);
    expect((dropped.body.dropped as unknown[]).length).toBe(1);
    expect(await queue.listDeadLetters('default')).toEqual([]);
  });
});

describe('worker requests', () => {
  it('drains, resumes and shuts down a worker (Op); a User is refused; an unknown worker is a 404', async () => {
    const workers = await call('GET', '/dagbridge/api/v1/workers', 'Viewer');
    expect((workers.body.workers as Array<{ workerId: string; refused: unknown }>)[0]).toMatchObject({ workerId: 'w1', refused: [{ queue: 'gpu', reasons: [REFUSAL] }] });
    expect((await call('POST', '/dagbridge/api/v1/workers/w1/drain', 'User', {})).status).toBe(403);
    expect((await call('POST', '/dagbridge/api/v1/workers/w1/drain', 'Op', {})).body).toEqual({ workerId: 'w1', requestedAction: 'drain' });
    expect((await store.listWorkers())[0]?.requestedAction).toBe('drain');
    expect((await call('POST', '/dagbridge/api/v1/workers/w1/resume', 'Op', {})).body).toEqual({ workerId: 'w1', requestedAction: null });
    expect((await call('POST', '/dagbridge/api/v1/workers/w1/shutdown', 'Op', { cold: true })).body).toEqual({ workerId: 'w1', requestedAction: 'cold_shutdown' });
    const unknown = await call('POST', '/dagbridge/api/v1/workers/nope/drain', 'Op', {});
    expect([unknown.status, unknown.body.detail]).toEqual([404, 'worker nope is not registered (see dagbridge workers list)']);
    const bad = await call('POST', '/dagbridge/api/v1/workers/w1/shutdown', 'Op', { cold: 'now' });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain('body.cold');
  });

  it('writes every action to the audit log', async () => {
    const rows = await db.pool.query<{ username: string; event: string }>('SELECT username, event FROM audit_log ORDER BY id');
    expect(rows.rows.map((r) => `${r.username}:${r.event}`)).toEqual(['op:dead_letter_retry', 'op:queue_purge', 'op:dead_letter_drop', 'op:worker_drain', 'op:worker_resume', 'op:worker_shutdown']);
  });
});
