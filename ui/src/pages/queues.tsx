/**
 * Queues (needs the webserver's Redis): ready, oldest age, in flight, waiting for retry, dead letters, eligible
 * workers, the warnings; Purge per queue (asks first), and each queue's dead letters with the reason, Requeue and
 * Drop (Op). `dagbridge queue ...` does the same.
 */
import { api, paths } from '../api';
import { Loading, Table, useFlash } from '../components';
import { usePoll } from '../poll';

interface QueueRow {
  queue: string;
  ready: number;
  oldestReadyAgeMs: number | null;
  inFlight: number;
  waitingForRetry: number;
  deadLettered: number;
  eligibleWorkers: string[];
}
interface DeadLetter {
  entryId: string;
  id: string | null;
  deliveries: number;
  deadAt: number;
  taskInstanceState: string | null;
  reason: string;
  payloadTruncated: boolean;
}

export function QueuesPage() {
  const flash = useFlash();
  const { data, error, reload } = usePoll(async () => {
    const report = await api<{ queues: QueueRow[]; warnings?: string[] }>('GET', '/dagbridge/api/v1/queues');
    const dead = await Promise.all(report.queues.map((q) => (q.deadLettered > 0
      ? api<{ deadLetters: DeadLetter[] }>('GET', `${paths.queue(q.queue)}/deadLetters?limit=100`).then((r) => r.deadLetters)
      : Promise.resolve([]))));
    return { ...report, dead };
  }, []);
  const act = <T,>(path: string, body: unknown, done: (r: T) => string): void => {
    void flash.run(() => api<T>('POST', path, body), done, reload);
  };

  return (
    <>
      <h1>Queues</h1>
      {!data ? <Loading error={error} /> : (
        <div id="queues-page">
          <Table id="queues" head={['queue', 'ready', 'oldest (s)', 'in flight', 'waiting for retry', 'dead letters', 'workers', '']}>
            {data.queues.map((q) => (
              <tr key={q.queue} data-queue={q.queue}>
                <td>{q.queue}</td><td>{q.ready}</td><td>{q.oldestReadyAgeMs === null ? '' : Math.round(q.oldestReadyAgeMs / 1000)}</td>
                <td>{q.inFlight}</td><td>{q.waitingForRetry}</td><td>{q.deadLettered}</td><td>{q.eligibleWorkers.join(', ')}</td>
                <td>{q.ready > 0 && <button className="purge" onClick={() => {
                  if (!confirm(`Purge the ${q.ready} ready message(s) of queue ${q.queue}? Their task instances go back to scheduled.`)) return;
                  act<{ purged: number; rescheduled: number }>(`${paths.queue(q.queue)}/purge`, {}, (r) => `purged ${r.purged} message(s) of ${q.queue}: ${r.rescheduled} task instance(s) back to scheduled`);
                }}>Purge</button>}</td>
              </tr>
            ))}
          </Table>
          {(data.warnings ?? []).map((w, i) => <p key={i} className="banner">{w}</p>)}
          {data.queues.map((q, i) => {
            const entries = data.dead[i] ?? [];
            if (entries.length === 0) return null;
            return (
              <section key={q.queue} className="dead-letters" data-queue={q.queue}>
                <h2>Dead letters of {q.queue}</h2>
                <Table head={['message', 'deliveries', 'dead at', 'task instance', 'reason', '']}>
                  {entries.map((e) => (
                    <tr key={e.entryId} data-entry={e.entryId} data-message={e.id ?? ''}>
                      <td>{e.id ?? '(raw payload)'}</td><td>{e.deliveries}</td><td>{new Date(e.deadAt).toISOString()}</td>
                      <td>{e.taskInstanceState ?? ''}</td><td className="reason">{e.reason}</td>
                      <td>
                        {!e.payloadTruncated && <button className="requeue" onClick={() => act<{ retried: unknown[] }>(`${paths.queue(q.queue)}/deadLetters/retry`, { entry_ids: [e.entryId] }, (r) => `requeued ${r.retried.length} dead letter(s) of ${q.queue}`)}>Requeue</button>}{' '}
                        <button className="drop" onClick={() => act<{ dropped: unknown[] }>(`${paths.queue(q.queue)}/deadLetters/drop`, { entry_ids: [e.entryId] }, (r) => `dropped ${r.dropped.length} dead letter(s) of ${q.queue}`)}>Drop</button>
                      </td>
                    </tr>
                  ))}
                </Table>
              </section>
            );
          })}
        </div>
      )}
    </>
  );
}
