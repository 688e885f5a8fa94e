/**
 * A DAG: the grid (the latest runs by tasks, one coloured cell per task instance; a mapped task's cell shows its
 * instance count, task groups fold), the run list with Mark success / Mark failed, and links to each run's graph.
 * The grid draws only the rows in view (a 1,000-task DAG is 1,000 rows), so it stays fast at any size; it sets
 * the performance mark `grid-rendered` the first time cells are in the DOM (bench/ui.ts reads it).
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { api, enc, paths, type DagRunJson } from '../api';
import { Loading, StateBox, useFlash, when } from '../components';
import { gridRows, type GridAnswer, type GridRow } from '../grid-model';
import { usePoll } from '../poll';

const ROW_PX = 18;
const OVERSCAN = 10;
const RUNS = 25;

function GridCells({ row, answer, dagId }: { row: GridRow; answer: GridAnswer; dagId: string }) {
  return (
    <>
      {answer.runs.map((run, i) => {
        const code = row.codes[i] ?? '.';
        if (code === '.') return <span key={run.dag_run_id} className="cell empty" />;
        const state = answer.legend[code] ?? 'none';
        const count = row.counts?.[i];
        const title = `${run.dag_run_id} ${row.id}${count !== undefined ? ` (${count} mapped)` : ''}`;
        if (row.kind === 'group') return <StateBox key={run.dag_run_id} state={state} title={`${run.dag_run_id} group ${row.id}`} />;
        return <StateBox key={run.dag_run_id} state={state} title={title} label={count !== undefined ? String(count) : undefined} href={`#/dags/${enc(dagId)}/runs/${enc(run.dag_run_id)}/tasks/${enc(row.id)}`} />;
      })}
    </>
  );
}

export function Grid({ dagId, answer }: { dagId: string; answer: GridAnswer }) {
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const box = useRef<HTMLDivElement>(null);
  const rows = useMemo(() => gridRows(answer, open), [answer, open]);
  useEffect(() => {
    if (box.current) setHeight(Math.max(box.current.clientHeight, window.innerHeight * 0.6));
  }, []);
  useEffect(() => {
    if (rows.length > 0 && performance.getEntriesByName('grid-rendered').length === 0) performance.mark('grid-rendered');
  }, [rows]);
  const first = Math.max(0, Math.floor(scrollTop / ROW_PX) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_PX) + OVERSCAN);
  const toggle = (id: string): void => setOpen((current) => {
    const next = new Set(current);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    return next;
  });

  return (
    <div className="grid" id="grid" data-tasks={answer.tasks.length} data-runs={answer.runs.length}>
      <div className="grid-head">
        <span className="grid-label">
          {answer.groups.length > 0 && (
            <>
              <button className="expand-all" onClick={() => setOpen(new Set(answer.groups.map((g) => g.group_id)))}>Expand all</button>{' '}
              <button className="collapse-all" onClick={() => setOpen(new Set())}>Collapse all</button>
            </>
          )}
        </span>
        {answer.runs.map((run) => <StateBox key={run.dag_run_id} state={run.state} title={`${run.dag_run_id} (${when(run.logical_date)})`} href={`#/dags/${enc(dagId)}/runs/${enc(run.dag_run_id)}`} />)}
      </div>
      <div className="grid-body" ref={box} onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}>
        <div style={{ height: rows.length * ROW_PX, position: 'relative' }}>
          {rows.slice(first, last).map((row, i) => (
            <div key={`${row.kind}:${row.id}`} className={`grid-row ${row.kind}`} data-task={row.kind === 'task' ? row.id : undefined} data-group={row.kind === 'group' ? row.id : undefined} style={{ top: (first + i) * ROW_PX }}>
              <span className="grid-label" style={{ paddingLeft: row.depth * 12 }} title={row.id}>
                {row.kind === 'group'
                  ? <button className="fold" aria-expanded={row.open} onClick={() => toggle(row.id)}>{row.open ? '▾' : '▸'} {row.label}</button>
                  : <>{row.label}{row.mapped && <span className="muted"> [ ]</span>}</>}
              </span>
              <GridCells row={row} answer={answer} dagId={dagId} />
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}

export function DagPage({ dagId }: { dagId: string }) {
  const flash = useFlash();
  const { data, error, reload } = usePoll(async () => {
    const [grid, runs] = await Promise.all([
      api<GridAnswer>('GET', `/dagbridge/api/v1/ui/dags/${enc(dagId)}/grid?limit=${RUNS}`),
      api<{ dag_runs: DagRunJson[] }>('GET', `${paths.dag(dagId)}/dagRuns?order_by=-execution_date&limit=${RUNS}`),
    ]);
    return { grid, runs: runs.dag_runs };
  }, [dagId]);
  const mark = (run: DagRunJson, state: 'success' | 'failed'): void => {
    void flash.run(() => api('PATCH', paths.run(dagId, run.dag_run_id), { state }), () => `marked run ${run.dag_run_id} ${state}`, reload);
  };

  return (
    <>
      <h1>{dagId}</h1>
      <p><a href={`#/dags/${enc(dagId)}/trigger`} className="button" id="trigger-link">Trigger</a></p>
      {!data ? <Loading error={error} /> : (
        <>
          {data.grid.runs.length === 0 ? <p className="muted">No runs yet.</p> : <Grid dagId={dagId} answer={data.grid} />}
          <h2>Runs</h2>
          <ul id="runs">
            {data.runs.map((r) => (
              <li key={r.dag_run_id} data-run={r.dag_run_id} data-state={r.state}>
                <StateBox state={r.state} /> <a href={`#/dags/${enc(dagId)}/runs/${enc(r.dag_run_id)}`}>{r.dag_run_id}</a> ({r.run_type}, {r.state}{r.logical_date ? `, ${when(r.logical_date)}` : ''}){' '}
                {r.state !== 'success' && <button className="mark-success" onClick={() => mark(r, 'success')}>Mark success</button>}{' '}
                {r.state !== 'failed' && <button className="mark-failed" onClick={() => mark(r, 'failed')}>Mark failed</button>}
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
