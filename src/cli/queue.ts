/**
 * `dagbridge queue list | peek | purge | dead-letter list|retry|drop`: what sits in Redis, answered from Redis and
 * PostgreSQL directly (no worker is asked anything). Purge resets the purged tries in PostgreSQL so nothing is
 * lost: their task instances go back to `scheduled` (or `failed` with `--fail`), compare-and-set from `queued`
 * on the purged try.
 */
import type { Command } from 'commander';
import { notifyChanges, requireQueue, requireStore } from '../app.js';
import { readQueueReport } from '../inspect/queries.js';
import { UsageError } from '../lib/errors.js';
import { parseTaskMessageId } from '../ports/message-id.js';
import { listDeadLettersWithStates, purgeQueue, requireKnownQueue, settleDeadLetters } from '../actions/queue-actions.js';
import { withConnectionOptions, withJson, type SharedOptions } from './common-options.js';
import { instanceName } from './live-view.js';
import { formatSeconds, printJson, printLines, renderTable } from './output.js';
import { withApp } from './run-command.js';

const NEEDS = { role: 'cli', database: true, redis: true } as const;

function countOf(value: string | undefined, name: string, fallback: number): number {
  const n = Number(value ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer`);
  return n;
}

/** `dag run task[i] try N`, or the raw id for a message that is not a task message. */
export function describeMessageId(id: string | null): string {
  const key = id === null ? null : parseTaskMessageId(id);
  if (!key) return id ?? '(raw payload)';
  return `${key.dagId} ${key.runId} ${instanceName(key)} try ${key.tryNumber}`;
}

/** Registers the `queue` group. */
export function registerQueueCommands(program: Command): void {
  const group = program.command('queue').description('Redis queues: list, peek, purge, dead-letter');

  withJson(withConnectionOptions(group.command('list').description('per queue: ready, in flight, waiting for retry, dead-lettered, oldest ready, eligible workers'))).action(
    async (options: SharedOptions) => {
      await withApp(options, NEEDS, async (app) => {
        const report = await readQueueReport(requireStore(app), requireQueue(app), Date.now(), app.config.leaseMs);
        if (options.json) {
          printJson(report);
          return;
        }
        printLines(renderTable(['queue', 'ready', 'in_flight', 'retry_wait', 'dead', 'oldest_ready', 'eligible_workers'],
          report.queues.map((q) => [q.queue, q.ready, q.inFlight, q.waitingForRetry, q.deadLettered, q.oldestReadyAgeMs === null ? '' : formatSeconds(q.oldestReadyAgeMs / 1000), q.eligibleWorkers.join(',') || 'none'])));
        printLines(report.warnings.map((w) => `warning: ${w}`));
      });
    },
  );

  withJson(withConnectionOptions(group.command('peek').argument('<queue>').description('the next messages of a queue in claim order (not claimed)')))
    .option('-n, --count <n>', 'how many', '10')
    .action(async (name: string, options: SharedOptions & { count?: string }) => {
      const count = countOf(options.count, '--count', 10);
      await withApp(options, NEEDS, async (app) => {
        const queue = requireQueue(app);
        await requireKnownQueue(queue, name);
        const [messages, now] = await Promise.all([queue.peek(name, count), queue.time()]);
        const rows = messages.map((m) => {
          const key = parseTaskMessageId(m.id);
          return {
            id: m.id,
            dagId: key?.dagId ?? null, runId: key?.runId ?? null, taskId: key?.taskId ?? null, mapIndex: key?.mapIndex ?? null, tryNumber: key?.tryNumber ?? null,
            priority: m.priority, deliveries: m.deliveries, enqueuedAt: m.enqueuedAt, ageMs: now - m.enqueuedAt,
          };
        });
        if (options.json) printJson({ queue: name, messages: rows });
        else printLines(renderTable(['task_instance', 'try', 'priority', 'deliveries', 'age'],
          rows.map((r) => [r.dagId === null ? r.id : `${r.dagId} ${r.runId} ${instanceName({ taskId: r.taskId ?? '', mapIndex: r.mapIndex ?? -1 })}`, r.tryNumber, r.priority, r.deliveries, formatSeconds(r.ageMs / 1000)])));
      });
    });

  withJson(withConnectionOptions(group.command('purge').argument('<queue>').description('remove the ready messages of a queue; their task instances go back to scheduled (or failed with --fail)')))
    .option('--yes', 'do it (without it, only says how many messages would be removed)')
    .option('--fail', 'mark the purged task instances failed instead of scheduling them again')
    .action(async (name: string, options: SharedOptions & { yes?: boolean; fail?: boolean }) => {
      await withApp(options, NEEDS, async (app) => {
        const store = requireStore(app);
        const queue = requireQueue(app);
        await requireKnownQueue(queue, name);
        if (!options.yes) {
          const ready = (await queue.stats([name]))[0]?.ready ?? 0;
          throw new UsageError(`queue purge removes the ${ready} ready message(s) of queue ${name} and ${options.fail ? 'fails' : 'reschedules'} their task instances: pass --yes to do it`);
        }
        const outcome = await purgeQueue(store, queue, name, { fail: Boolean(options.fail), now: Date.now(), by: 'a user' });
        await notifyChanges(app.pool, 'purge');
        if (options.json) {
          printJson(outcome);
          return;
        }
        printLines([
          `purged ${outcome.purged} message(s) from queue ${name}: ${options.fail ? `${outcome.failed} task instance(s) failed` : `${outcome.rescheduled} task instance(s) back to scheduled`}`,
          ...outcome.untouched.map((u) => `  left alone: ${describeMessageId(u.id)}: ${u.reason}`),
        ]);
      });
    });

  const dead = group.command('dead-letter').description('dead-lettered messages of a queue: list, retry, drop');

  withJson(withConnectionOptions(dead.command('list').argument('<queue>').description('dead letters of a queue, newest first, with the reason')))
    .option('-n, --limit <n>', 'most entries', '50')
    .action(async (name: string, options: SharedOptions & { limit?: string }) => {
      const limit = countOf(options.limit, '--limit', 50);
      await withApp(options, NEEDS, async (app) => {
        const store = requireStore(app);
        const rows = await listDeadLettersWithStates(store, requireQueue(app), name, { limit });
        if (options.json) printJson({ queue: name, deadLetters: rows });
        else printLines(renderTable(['entry', 'message', 'deliveries', 'dead_at', 'task_state', 'payload_bytes', 'reason'],
          rows.map((r) => [r.entryId, describeMessageId(r.id), r.deliveries, new Date(r.deadAt).toISOString(), r.taskInstanceState ?? '', r.payloadTruncated ? `${r.payloadBytes} (cut)` : r.payloadBytes, r.reason.slice(0, 100)])));
      });
    });

  for (const action of ['retry', 'drop'] as const) {
    withJson(withConnectionOptions(dead.command(action).argument('<queue>').argument('[entry_ids...]')
      .description(action === 'retry' ? 'put dead letters back on their queue (deliveries reset)' : 'delete dead letters')))
      .option('--all', `${action} every dead letter of the queue`)
      .action(async (name: string, entryIds: string[], options: SharedOptions & { all?: boolean }) => {
        if ((entryIds.length === 0) === !options.all) throw new UsageError(`give dead-letter entry ids or --all (see dagbridge queue dead-letter list ${name})`);
        await withApp(options, NEEDS, async (app) => {
          const store = requireStore(app);
          const queue = requireQueue(app);
          const { done, missing, refused } = await settleDeadLetters(store, queue, name, action, options.all ? 'all' : entryIds);
          if (action === 'retry' && done.length > 0) await app.signalWork([name]);
          if (options.json) printJson({ queue: name, [action === 'retry' ? 'retried' : 'dropped']: done, missing, ...(action === 'retry' ? { refused } : {}) });
          else {
            printLines([
              `${action === 'retry' ? 'retried' : 'dropped'} ${done.length} dead letter(s) of queue ${name}`,
              ...done.filter((d) => d.taskInstanceState !== null && d.taskInstanceState !== 'queued')
                .map((d) => `  note: ${describeMessageId(d.messageId)}: task instance is ${d.taskInstanceState ?? '?'}, so a worker drops the message as stale`),
              ...missing.map((id) => `  no such entry: ${id}`),
              ...refused.map((id) => `  not retried: ${id} kept only the start of its payload when it was dead-lettered (drop it)`),
            ]);
          }
          if (missing.length + refused.length > 0) process.exitCode = 1;
        });
      });
  }
}
