/**
 * What a user does to a Redis queue, shared by `dagbridge queue purge | dead-letter list|retry|drop` and the
 * webserver's queue endpoints. Nothing is lost: a purge puts each purged try's task instance back to
 * `scheduled` (or `failed`), compare-and-set from `queued` on the purged try, so the scheduler enqueues it
 * again; a message whose task instance moved on is left alone and reported.
 */
import { NotFoundError } from '../lib/errors.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { parseTaskMessageId } from '../ports/message-id.js';
import type { DeadLetter, TaskQueue } from '../ports/task-queue.js';

/** The state of the task instance a message id names (`missing`, or `state (now on try N)` for a stale one), or null for a message that names none. */
export async function taskInstanceStateOf(store: MetadataStore, id: string | null): Promise<string | null> {
  const key = id === null ? null : parseTaskMessageId(id);
  if (!key) return null;
  const ti = await store.getTaskInstance(key);
  if (!ti) return 'missing';
  return ti.tryNumber === key.tryNumber ? ti.state : `${ti.state} (now on try ${ti.tryNumber})`;
}

/** Throws a NotFoundError naming the known queues unless Redis knows `name`. */
export async function requireKnownQueue(queue: TaskQueue, name: string): Promise<void> {
  const known = await queue.stats();
  if (!known.some((s) => s.queue === name)) {
    throw new NotFoundError(`queue ${name} is not known to Redis (known: ${known.map((s) => s.queue).join(', ') || 'none'}; see dagbridge queue list)`);
  }
}

/** What a purge did. */
export interface PurgeOutcome {
  queue: string;
  purged: number;
  rescheduled: number;
  failed: number;
  untouched: Array<{ id: string; reason: string }>;
}

/** Removes the ready messages of `name` and reschedules (or, with `fail`, fails) their task instances. */
export async function purgeQueue(store: MetadataStore, queue: TaskQueue, name: string, options: { fail: boolean; now: number; by: string }): Promise<PurgeOutcome> {
  const purged = await queue.purge(name);
  const outcome: PurgeOutcome = { queue: name, purged: purged.length, rescheduled: 0, failed: 0, untouched: [] };
  for (const message of purged) {
    const key = parseTaskMessageId(message.id);
    const ti = key ? await store.getTaskInstance(key) : null;
    if (!key || !ti || ti.state !== 'queued' || ti.tryNumber !== key.tryNumber) {
      const reason = !key ? 'not a task message' : !ti ? 'no such task instance'
        : ti.tryNumber !== key.tryNumber ? `stale: the task instance is on try ${ti.tryNumber} (${ti.state})` : `the task instance is ${ti.state}`;
      outcome.untouched.push({ id: message.id, reason });
      continue;
    }
    const note = `message purged from queue ${name} by ${options.by}`;
    if (options.fail) {
      const run = await store.getDagRun(key);
      const spec = run ? await store.getDagVersion(run.dagId, run.versionHash) : null;
      const applied = run && spec ? await store.applyChanges(run, spec, [{ kind: 'transition', taskId: key.taskId, mapIndex: key.mapIndex, from: 'queued', to: 'failed', note }], options.now) : [];
      if (applied.length === 1) outcome.failed += 1;
      else outcome.untouched.push({ id: message.id, reason: 'task instance changed state meanwhile' });
    } else if (await store.requeueTry(key, key.tryNumber, 'queued', note, options.now)) {
      outcome.rescheduled += 1;
    } else {
      outcome.untouched.push({ id: message.id, reason: 'task instance changed state meanwhile' });
    }
  }
  return outcome;
}

/** Dead letters of a queue, newest first, each with the state of the task instance it names. */
export async function listDeadLettersWithStates(store: MetadataStore, queue: TaskQueue, name: string, options: { limit: number; offset?: number }): Promise<Array<DeadLetter & { taskInstanceState: string | null }>> {
  const entries = await queue.listDeadLetters(name, options);
  const rows = [];
  for (const entry of entries) rows.push({ ...entry, taskInstanceState: await taskInstanceStateOf(store, entry.id) });
  return rows;
}

/** What a retry or drop of dead letters did. */
export interface DeadLetterOutcome {
  done: Array<{ entryId: string; messageId: string | null; taskInstanceState: string | null }>;
  /** Entry ids the queue does not hold. */
  missing: string[];
  /** Entries that kept only the start of their payload: they cannot be put back (drop them). */
  refused: string[];
}

/**
 * Retries (puts back on their queue, deliveries reset) or drops dead letters of `name`: the entries given, or
 * every one with `'all'`. The caller wakes idle workers after a retry.
 */
export async function settleDeadLetters(store: MetadataStore, queue: TaskQueue, name: string, action: 'retry' | 'drop', entryIds: readonly string[] | 'all'): Promise<DeadLetterOutcome> {
  const listed = entryIds === 'all' || action === 'retry' ? await queue.listDeadLetters(name) : [];
  const ids = entryIds === 'all' ? listed.map((e) => e.entryId) : entryIds;
  // An entry that kept only the start of its payload cannot be put back (the queue refuses it too).
  const cut = new Set(listed.filter((e) => e.payloadTruncated).map((e) => e.entryId));
  const outcome: DeadLetterOutcome = { done: [], missing: [], refused: [] };
  for (const entryId of ids) {
    if (action === 'retry' && cut.has(entryId)) {
      outcome.refused.push(entryId);
    } else if (action === 'retry') {
      const messageId = await queue.retryDeadLetter(name, entryId);
      if (messageId === null) outcome.missing.push(entryId);
      else outcome.done.push({ entryId, messageId, taskInstanceState: await taskInstanceStateOf(store, messageId) });
    } else if (await queue.dropDeadLetter(name, entryId)) {
      outcome.done.push({ entryId, messageId: null, taskInstanceState: null });
    } else {
      outcome.missing.push(entryId);
    }
  }
  return outcome;
}
