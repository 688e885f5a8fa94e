/**
 * The DAG list: paused toggle (User and above), schedule, next run, tags, the latest runs' states, Trigger;
 * search by DAG id, filter by tags, and a banner naming the files that failed to import.
 */
import { useState } from 'react';
import { api, atLeast, enc, paths, type Me } from '../api';
import { Loading, StateBox, Table, useFlash, when } from '../components';
import { usePoll } from '../poll';

interface Dag {
  dag_id: string;
  is_paused: boolean;
  timetable_description: string | null;
  tags: Array<{ name: string }>;
  description: string | null;
}
interface Listing {
  dags: Dag[];
  total: number;
  errors: Array<{ filename: string; stack_trace: string }>;
  lastRuns: Record<string, Array<{ dag_run_id: string; state: string }>>;
  nextRuns: Record<string, { logical_date: string | null; run_after: string | null } | null>;
}

const remembered = (key: string): string => sessionStorage.getItem(key) ?? '';

export function DagsPage({ me }: { me: Me }) {
  const flash = useFlash();
  const [search, setSearch] = useState(() => remembered('search'));
  const [tags, setTags] = useState(() => remembered('tags'));
  const { data, error, reload } = usePoll<Listing>(async () => {
    sessionStorage.setItem('search', search);
    sessionStorage.setItem('tags', tags);
    const query = new URLSearchParams({ limit: '100', order_by: 'dag_id' });
    if (search) query.set('dag_id_pattern', search);
    for (const tag of tags.split(',').map((t) => t.trim()).filter(Boolean)) query.append('tags', tag);
    const [dags, errors] = await Promise.all([
      api<{ dags: Dag[]; total_entries: number }>('GET', `/api/v1/dags?${query.toString()}`),
      api<{ import_errors: Listing['errors'] }>('GET', '/api/v1/importErrors'),
    ]);
    const ids = dags.dags.map((d) => d.dag_id);
    const runs = ids.length === 0 ? { last_runs: {}, next_runs: {} } : await api<{ last_runs: Listing['lastRuns']; next_runs: Listing['nextRuns'] }>('GET', `/dagbridge/api/v1/ui/dags/last-runs?dag_ids=${enc(ids.join(','))}`);
    return { dags: dags.dags, total: dags.total_entries, errors: errors.import_errors, lastRuns: runs.last_runs, nextRuns: runs.next_runs };
  }, [search, tags]);

  // What the user last asked for, shown until a read after the PATCH answers: a second click before that read
  // toggles what the checkbox shows, not the listing read before the first click.
  const [asked, setAsked] = useState<Record<string, boolean>>({});
  const paused = (dag: Dag): boolean => asked[dag.dag_id] ?? dag.is_paused;
  const togglePause = (dag: Dag): void => {
    const want = !paused(dag);
    setAsked((a) => ({ ...a, [dag.dag_id]: want }));
    const settle = async (): Promise<void> => {
      await reload();
      setAsked((a) => (a[dag.dag_id] === want ? Object.fromEntries(Object.entries(a).filter(([id]) => id !== dag.dag_id)) : a));
    };
    // flash.run shows a failure and does not throw; the read after it shows the server's state either way.
    void flash.run(() => api('PATCH', `${paths.dag(dag.dag_id)}?update_mask=is_paused`, { is_paused: want }), () => `${want ? 'paused' : 'unpaused'} ${dag.dag_id}`).then(settle);
  };

  return (
    <>
      <h1>DAGs</h1>
      <div className="filters">
        <input id="search" placeholder="search DAG ids" defaultValue={search} onChange={(e) => setSearch(e.target.value)} />
        <input id="tags" placeholder="tags, comma-separated" defaultValue={tags} onChange={(e) => setTags(e.target.value)} />
      </div>
      {data && data.errors.length > 0 && (
        <div id="import-errors" className="banner">
          {data.errors.length} file(s) failed to import: {data.errors.map((e) => <code key={e.filename} title={e.stack_trace}>{e.filename} </code>)}
        </div>
      )}
      {!data ? <Loading error={error} /> : (
        <>
          <Table id="dags" head={['Paused', 'DAG', 'Schedule', 'Next run', 'Tags', 'Last runs', '']}>
            {data.dags.map((d) => {
              const next = data.nextRuns[d.dag_id];
              return (
                <tr key={d.dag_id} data-dag={d.dag_id}>
                  <td><input type="checkbox" className="pause" data-dag={d.dag_id} checked={paused(d)} disabled={!atLeast(me, 'User')} title={paused(d) ? 'paused: click to unpause' : 'active: click to pause'} onChange={() => togglePause(d)} /></td>
                  <td><a href={`#/dags/${enc(d.dag_id)}`}>{d.dag_id}</a>{d.description && <div className="muted">{d.description}</div>}</td>
                  <td>{d.timetable_description ?? ''}</td>
                  <td className="next-run" title={next?.logical_date ? `logical date ${when(next.logical_date)}` : ''}>{next?.run_after ? when(next.run_after) : ''}</td>
                  <td>{d.tags.map((t) => <span key={t.name} className="tag">{t.name}</span>)}</td>
                  <td className="runs">{(data.lastRuns[d.dag_id] ?? []).slice().reverse().map((r) => <StateBox key={r.dag_run_id} state={r.state} title={r.dag_run_id} href={`#/dags/${enc(d.dag_id)}/runs/${enc(r.dag_run_id)}`} />)}</td>
                  <td><a href={`#/dags/${enc(d.dag_id)}/trigger`} className="button">Trigger</a></td>
                </tr>
              );
            })}
          </Table>
          {data.total > data.dags.length && <p className="muted">{data.dags.length} of {data.total} DAGs shown: narrow the search.</p>}
        </>
      )}
    </>
  );
}
