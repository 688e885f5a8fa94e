/**
 * A task instance: state, try, host, duration; why it is not running (as `dagbridge tasks why`); its tries with
 * their durations; the log of the chosen try, followed while it grows through the continuation token; XComs; the
 * task's template fields; Clear (with downstream / upstream / recursive) and Mark success / Mark failed. A mapped
 * task's page lists its instances.
 */
import { useEffect, useRef, useState } from 'react';
import { api, enc, paths } from '../api';
import { duration, Loading, StateBox, Table, text, useFlash, when } from '../components';
import { usePoll } from '../poll';

interface TiJson {
  task_id: string;
  map_index: number;
  state: string | null;
  try_number: number;
  max_tries: number;
  hostname: string;
  duration: number | null;
  start_date: string | null;
  end_date: string | null;
  operator: string | null;
  pool: string;
  queue: string;
  note: string | null;
  rendered_map_index: string | null;
  /** The template fields as this try rendered them (a try's entry of `.../tries`); `{}`: none. */
  rendered_fields?: Record<string, unknown>;
}
interface TaskJson {
  is_mapped: boolean;
  operator_name?: string;
  doc_md?: string | null;
}

/** The task's template fields as declared, and as the latest try that rendered them rendered them. */
interface Templates {
  template_fields: Record<string, unknown>;
  rendered_fields: Record<string, unknown> | null;
  rendered_try_number: number | null;
}

/** The latest of `tries` that reported rendered fields (Airflow shows the instance's last rendering). */
function latestRendering(tries: readonly TiJson[]): Pick<Templates, 'rendered_fields' | 'rendered_try_number'> {
  const rendered = tries.filter((t) => t.rendered_fields && Object.keys(t.rendered_fields).length > 0);
  const latest = rendered.reduce<TiJson | null>((best, t) => (best === null || t.try_number > best.try_number ? t : best), null);
  return { rendered_fields: latest?.rendered_fields ?? null, rendered_try_number: latest?.try_number ?? null };
}

/** A template or rendered value as text: a string as it is, anything else as indented JSON. */
function shown(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

/** How often a running try's log is read again. */
const LOG_MS = 1000;

function useLog(base: string, tryNumber: number | null, mapIndex: number, live: boolean): string {
  const [content, setContent] = useState('');
  const token = useRef<string | null>(null);
  useEffect(() => {
    setContent('');
    token.current = null;
    if (tryNumber === null) return undefined;
    let stopped = false;
    let busy = false;
    const read = async (): Promise<void> => {
      if (busy || stopped) return;
      busy = true;
      try {
        const query = new URLSearchParams();
        if (token.current) query.set('token', token.current);
        if (mapIndex >= 0) query.set('map_index', String(mapIndex));
        const r = await api<{ content: string; continuation_token: string | null }>('GET', `${base}/logs/${tryNumber}?${query.toString()}`);
        if (!stopped) {
          if (r.content) setContent((before) => before + r.content);
          token.current = r.continuation_token;
        }
      } catch {
        // The next read tries again (the log may not exist until the try starts).
      } finally {
        busy = false;
      }
    };
    void read();
    const timer = setInterval(() => {
      if (!document.hidden) void read();
    }, live ? LOG_MS : 3 * LOG_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [base, tryNumber, mapIndex, live]);
  return content;
}

export function TaskInstancePage({ dagId, runId, taskId, mapIndex }: { dagId: string; runId: string; taskId: string; mapIndex: number }) {
  const flash = useFlash();
  const base = paths.taskInstance(dagId, runId, taskId, -1);
  const self = paths.taskInstance(dagId, runId, taskId, mapIndex);
  const mi = mapIndex >= 0 ? `?map_index=${mapIndex}` : '';
  const [chosen, setChosen] = useState<number | null>(null);
  const [clearWith, setClearWith] = useState({ downstream: false, upstream: false, recursive: false });

  const { data, error, reload } = usePoll(async () => {
    const task = await api<TaskJson>('GET', `${paths.dag(dagId)}/tasks/${enc(taskId)}`).catch(() => null);
    if (task?.is_mapped && mapIndex < 0) {
      const mapped = await api<{ task_instances: TiJson[] }>('GET', `${base}/listMapped?limit=1000`);
      return { task, mapped: mapped.task_instances, ti: null, tries: [], xcoms: [], why: null, templates: null };
    }
    const [ti, tries, xcoms, why, templates] = await Promise.all([
      api<TiJson>('GET', self),
      api<{ task_instances: TiJson[] }>('GET', `${self}/tries`),
      api<{ xcom_entries: Array<{ key: string }> }>('GET', `${base}/xcomEntries${mi}`),
      api<{ reasons?: Array<{ message: string }> }>('GET', `/dagbridge/api/v1/dags/${enc(dagId)}/dagRuns/${enc(runId)}/taskInstances/${enc(taskId)}/why${mi}`).catch(() => null),
      api<{ template_fields: Record<string, unknown> }>('GET', `/dagbridge/api/v1/ui/dags/${enc(dagId)}/dagRuns/${enc(runId)}/taskInstances/${enc(taskId)}/templates`).catch(() => null),
    ]);
    const values = await Promise.all(xcoms.xcom_entries.slice(0, 50).map((x) =>
      api<{ value: unknown }>('GET', `${base}/xcomEntries/${enc(x.key)}?stringify=false${mapIndex >= 0 ? `&map_index=${mapIndex}` : ''}`).then((v) => ({ key: x.key, value: v.value }), () => ({ key: x.key, value: '(could not be read)' }))));
    const rendering = latestRendering(tries.task_instances);
    return { task, mapped: null, ti, tries: tries.task_instances, xcoms: values, why, templates: templates && { ...templates, ...rendering } };
  }, [dagId, runId, taskId, mapIndex]);

  const ti = data?.ti ?? null;
  const shownTry = chosen ?? (ti && ti.try_number > 0 ? ti.try_number : null);
  const log = useLog(base, shownTry, mapIndex, ti?.state === 'running');

  const title = (
    <h1>
      <a href={`#/dags/${enc(dagId)}`}>{dagId}</a> / <a href={`#/dags/${enc(dagId)}/runs/${enc(runId)}`}>{runId}</a> / {taskId}{mapIndex >= 0 ? ` [${mapIndex}]` : ''}
    </h1>
  );
  if (!data) return <>{title}<Loading error={error} /></>;
  if (data.mapped) {
    return (
      <>
        {title}
        <h2>Mapped instances</h2>
        <Table id="mapped" head={['map index', 'name', 'state', 'try', 'duration']}>
          {data.mapped.map((m) => (
            <tr key={m.map_index} data-map-index={m.map_index}>
              <td><a href={`#/dags/${enc(dagId)}/runs/${enc(runId)}/tasks/${enc(taskId)}/${m.map_index}`}>{m.map_index}</a></td>
              <td>{text(m.rendered_map_index)}</td>
              <td><StateBox state={m.state} /> {m.state ?? 'no state'}</td>
              <td>{m.try_number}</td>
              <td>{duration(m.duration)}</td>
            </tr>
          ))}
        </Table>
      </>
    );
  }
  if (!ti) return <>{title}<Loading error={error} /></>;

  const clear = (): void => {
    void flash.run(() => api<{ total_entries: number }>('POST', `/api/v1/dags/${enc(dagId)}/clearTaskInstances`, {
      dag_run_id: runId, task_ids: [taskId], dry_run: false, only_failed: false,
      include_downstream: clearWith.downstream, include_upstream: clearWith.upstream, include_subdags: clearWith.recursive,
    }), (r) => `cleared ${taskId} (${r.total_entries} task instance(s))`, () => {
      setChosen(null);
      return reload();
    });
  };
  const mark = (state: 'success' | 'failed'): void => {
    void flash.run(() => api('PATCH', self, { new_state: state, dry_run: false }), () => `marked ${taskId} ${state}`, reload);
  };
  const option = (name: keyof typeof clearWith, label: string, hint: string) => (
    <label className="inline" title={hint}>
      <input type="checkbox" id={name} checked={clearWith[name]} onChange={(e) => setClearWith({ ...clearWith, [name]: e.target.checked })} /> {label}
    </label>
  );

  return (
    <>
      {title}
      <div id="ti">
        <p>
          <StateBox state={ti.state} /> {ti.state ?? 'no state'}, try {ti.try_number} of {ti.max_tries + 1}
          {ti.hostname ? ` on ${ti.hostname}` : ''}{ti.duration !== null ? `, ${duration(ti.duration)}` : ''}
          <span className="muted"> {ti.operator ?? ''} · queue {ti.queue} · pool {ti.pool}</span>
        </p>
        {ti.note && <p className="note">{ti.note}</p>}
        {data.why?.reasons && data.why.reasons.length > 0 && (
          <div className="why-box"><strong>Why it is not running</strong><ul className="why" id="why">{data.why.reasons.map((r, i) => <li key={i}>{r.message}</li>)}</ul></div>
        )}
        <p className="actions">
          <button id="clear" onClick={clear}>Clear</button>{' '}
          {option('downstream', 'with downstream', 'also the tasks downstream of this one (and the tasks of other DAGs its ExternalTaskMarkers point at)')}
          {option('upstream', 'with upstream', 'also the tasks upstream of this one')}
          {option('recursive', 'recursive', 'follow ExternalTaskMarkers into other DAGs (Airflow\'s Recursive)')}
          {' '}<button id="mark-success" onClick={() => mark('success')}>Mark success</button>{' '}
          <button id="mark-failed" onClick={() => mark('failed')}>Mark failed</button>
        </p>
      </div>
      <h2>Tries</h2>
      <Table id="tries" head={['try', 'state', 'host', 'started', 'ended', 'duration', 'note']}>
        {data.tries.map((t) => (
          <tr key={t.try_number} data-try={t.try_number} className={t.try_number === shownTry ? 'chosen' : ''}>
            <td><a href="#" onClick={(e) => { e.preventDefault(); setChosen(t.try_number); }}>try {t.try_number}</a></td>
            <td><StateBox state={t.state} /> {t.state ?? ''}</td>
            <td>{t.hostname}</td>
            <td>{when(t.start_date)}</td>
            <td>{when(t.end_date)}</td>
            <td className="duration">{duration(t.duration)}</td>
            <td>{text(t.note)}</td>
          </tr>
        ))}
      </Table>
      <h2>Log{shownTry !== null ? ` of try ${shownTry}` : ''}{ti.state === 'running' && <span className="live" id="log-live"> (following)</span>}</h2>
      <pre id="log">{log}</pre>
      <h2>XComs</h2>
      {data.xcoms.length === 0 ? <p className="muted">None.</p> : (
        <Table id="xcoms" head={['key', 'value']}>
          {data.xcoms.map((x) => <tr key={x.key} data-key={x.key}><td>{x.key}</td><td><code>{JSON.stringify(x.value)}</code></td></tr>)}
        </Table>
      )}
      <h2>Template fields</h2>
      {data.templates === null || Object.keys(data.templates.template_fields).length === 0 ? <p className="muted">None.</p> : (
        <>
          <p className="muted">
            {data.templates.rendered_try_number === null
              ? 'As the DAG file declares them; no try has rendered them yet.'
              : `As the DAG file declares them, and as try ${data.templates.rendered_try_number} rendered them (sensitive values masked).`}
          </p>
          <Table id="templates" head={['field', 'template', 'rendered']}>
            {Object.entries(data.templates.template_fields).map(([name, value]) => (
              <tr key={name} data-field={name}>
                <td>{name}</td>
                <td><pre className="template">{shown(value)}</pre></td>
                <td><pre className="rendered">{data.templates?.rendered_fields && name in data.templates.rendered_fields ? shown(data.templates.rendered_fields[name]) : ''}</pre></td>
              </tr>
            ))}
          </Table>
        </>
      )}
    </>
  );
}
