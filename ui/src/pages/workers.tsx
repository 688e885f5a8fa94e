/**
 * Workers: host, state (with a pending request), slots, queues served, the queues refused with the manifest
 * check's reasons (what is missing), heartbeat age, and Drain / Resume / Shut down (Op; asks first for a
 * shutdown). `dagbridge workers ...` does the same.
 */
import { api, enc } from '../api';
import { Loading, Table, useFlash } from '../components';
import { usePoll } from '../poll';

interface WorkerRow {
  workerId: string;
  hostname: string | null;
  state: string;
  requestedAction: string | null;
  slotsBusy: number;
  concurrency: number;
  queues: string[] | null;
  refused: Array<{ queue: string; reasons: string[] }> | null;
  heartbeatAgeMs: number | null;
}

export function WorkersPage() {
  const flash = useFlash();
  const { data, error, reload } = usePoll(() => api<{ workers: WorkerRow[] }>('GET', '/dagbridge/api/v1/workers'), []);
  const ask = (w: WorkerRow, what: 'drain' | 'resume' | 'shutdown'): void => {
    if (what === 'shutdown' && !confirm(`Shut down worker ${w.workerId}? Its running tasks finish first.`)) return;
    void flash.run(() => api('POST', `/dagbridge/api/v1/workers/${enc(w.workerId)}/${what}`, {}), () => `asked ${w.workerId} to ${what} (it reads the request with its next heartbeat)`, reload);
  };
  return (
    <>
      <h1>Workers</h1>
      {!data ? <Loading error={error} /> : (
        <div id="workers-page">
          <Table id="workers" head={['worker', 'host', 'state', 'slots', 'queues', 'refused (manifest check)', 'heartbeat (s ago)', '']}>
            {data.workers.map((w) => {
              const gone = w.state === 'lost' || w.state === 'stopped';
              return (
                <tr key={w.workerId} data-worker={w.workerId}>
                  <td>{w.workerId}</td><td>{w.hostname ?? ''}</td>
                  <td className="worker-state">{w.state}{w.requestedAction && !gone ? ` (${w.requestedAction} requested)` : ''}</td>
                  <td>{w.slotsBusy}/{w.concurrency}</td><td>{(w.queues ?? []).join(', ')}</td>
                  <td className="refused">{(w.refused ?? []).map((x) => <div key={x.queue}>{`${x.queue}: ${x.reasons.join('; ')}`}</div>)}</td>
                  <td>{w.heartbeatAgeMs === null ? 'never' : Math.round(w.heartbeatAgeMs / 1000)}</td>
                  <td>{!gone && (
                    <>
                      <button className="drain" onClick={() => ask(w, 'drain')}>Drain</button>{' '}
                      <button className="resume" onClick={() => ask(w, 'resume')}>Resume</button>{' '}
                      <button className="shutdown" onClick={() => ask(w, 'shutdown')}>Shut down</button>
                    </>
                  )}</td>
                </tr>
              );
            })}
          </Table>
        </div>
      )}
    </>
  );
}
