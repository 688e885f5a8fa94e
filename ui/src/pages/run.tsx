/**
 * One run: its state, Mark success / Mark failed, and the graph of its tasks (boxes coloured by their instance's
 * state, edges from the DAG's structure, laid out by layer; a mapped task's box counts its instances and shows
 * the state most in need of attention). A box opens its task instance.
 */
import { useMemo } from 'react';
import { api, enc, paths, type DagRunJson } from '../api';
import { Loading, StateBox, useFlash, when } from '../components';
import { BOX, layeredLayout } from '../graph-layout';
import { usePoll } from '../poll';

interface TaskJson {
  task_id: string;
  downstream_task_ids: string[];
  operator_name?: string;
  is_mapped?: boolean;
}
interface InstanceJson {
  task_id: string;
  map_index: number;
  state: string | null;
}
/** A mapped task's states in one box: the first present wins (as the grid's cells). */
const ATTENTION = ['failed', 'upstream_failed', 'running', 'up_for_retry', 'up_for_reschedule', 'restarting', 'deferred', 'queued', 'scheduled', 'none', 'success', 'skipped', 'removed'];

async function allInstances(dagId: string, runId: string): Promise<InstanceJson[]> {
  const out: InstanceJson[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await api<{ task_instances: InstanceJson[]; total_entries: number }>('GET', `${paths.run(dagId, runId)}/taskInstances?limit=1000&offset=${offset}`);
    out.push(...page.task_instances);
    if (out.length >= page.total_entries || page.task_instances.length === 0) return out;
  }
}

export function RunPage({ dagId, runId }: { dagId: string; runId: string }) {
  const flash = useFlash();
  const { data, error, reload } = usePoll(async () => {
    const [tasks, run, instances] = await Promise.all([
      api<{ tasks: TaskJson[] }>('GET', `${paths.dag(dagId)}/tasks`),
      api<DagRunJson>('GET', paths.run(dagId, runId)),
      allInstances(dagId, runId),
    ]);
    return { tasks: tasks.tasks, run, instances };
  }, [dagId, runId]);

  const layout = useMemo(() => (data ? layeredLayout(data.tasks.map((t) => ({ id: t.task_id, downstream: t.downstream_task_ids }))) : null), [data?.tasks]);
  const states = useMemo(() => {
    const out = new Map<string, { state: string; count: number }>();
    for (const ti of data?.instances ?? []) {
      const state = ti.state ?? 'none';
      const cell = out.get(ti.task_id);
      if (!cell) out.set(ti.task_id, { state, count: 1 });
      else {
        cell.count += 1;
        if (ATTENTION.indexOf(state) < ATTENTION.indexOf(cell.state)) cell.state = state;
      }
    }
    return out;
  }, [data?.instances]);

  if (!data || !layout) return <Loading error={error} />;
  const { run } = data;
  const mark = (state: 'success' | 'failed'): void => {
    void flash.run(() => api('PATCH', paths.run(dagId, runId), { state }), () => `marked run ${runId} ${state}`, reload);
  };
  const mapped = new Set(data.tasks.filter((t) => t.is_mapped).map((t) => t.task_id));
  return (
    <>
      <h1><a href={`#/dags/${enc(dagId)}`}>{dagId}</a> / {runId}</h1>
      <p id="run-state" data-state={run.state}>
        <StateBox state={run.state} /> {run.state}, {run.run_type}{run.logical_date ? `, logical date ${when(run.logical_date)}` : ''}
        {run.start_date ? `, started ${when(run.start_date)}` : ''}{run.end_date ? `, ended ${when(run.end_date)}` : ''}{' '}
        {run.state !== 'success' && <button className="mark-success" onClick={() => mark('success')}>Mark success</button>}{' '}
        {run.state !== 'failed' && <button className="mark-failed" onClick={() => mark('failed')}>Mark failed</button>}
      </p>
      {Object.keys(run.conf ?? {}).length > 0 && <pre className="conf">{JSON.stringify(run.conf, null, 2)}</pre>}
      <h2>Graph</h2>
      <div className="graph">
        <svg id="graph" width={layout.width} height={layout.height} viewBox={`0 0 ${layout.width} ${layout.height}`}>
          <defs>
            <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#888" /></marker>
          </defs>
          {layout.edges.map((e) => <path key={`${e.from}>${e.to}`} d={e.d} className="edge" markerEnd="url(#arrow)" />)}
          {layout.nodes.map((n) => {
            const cell = states.get(n.id);
            const state = cell?.state ?? 'none';
            const label = n.id.length > 22 ? `${n.id.slice(0, 21)}…` : n.id;
            return (
              <a key={n.id} href={`#/dags/${enc(dagId)}/runs/${enc(runId)}/tasks/${enc(n.id)}`} className="node" data-task={n.id} data-state={state}>
                <title>{`${n.id}: ${state}${mapped.has(n.id) && cell ? ` (${cell.count} mapped)` : ''}`}</title>
                <rect x={n.x} y={n.y} width={BOX.width} height={BOX.height} rx={4} className={`box s-${state}`} />
                <text x={n.x + 8} y={n.y + BOX.height / 2 + 4}>{label}{mapped.has(n.id) && cell ? ` [${cell.count}]` : ''}</text>
              </a>
            );
          })}
        </svg>
      </div>
    </>
  );
}
