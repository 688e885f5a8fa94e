/**
 * Trigger a run: a field per Param of the DAG (its type from the param's JSON schema, the default filled in, the
 * validation error shown as you type), the conf they make as editable JSON (edits flow back into the fields),
 * and an optional run id and logical date. The server checks the same schemas again.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { api, enc, paths } from '../api';
import { Loading, useFlash } from '../components';
import { fieldOf, problemOf, textOf, valueOf, type Field, type ParamJson } from '../params-form';

interface Details {
  dag_id: string;
  description: string | null;
  params: Record<string, ParamJson> | null;
}

function FieldInput({ field, text, onChange }: { field: Field; text: string; onChange: (text: string) => void }) {
  const id = `param-${field.name}`;
  switch (field.kind) {
    case 'boolean':
      return <input id={id} type="checkbox" checked={text === 'true'} onChange={(e) => onChange(String(e.target.checked))} />;
    case 'enum':
      return (
        <select id={id} value={text} onChange={(e) => onChange(e.target.value)}>
          {field.nullable && <option value="">(none)</option>}
          {field.options.map((option) => <option key={textOf(field, option)} value={textOf(field, option)}>{textOf(field, option)}</option>)}
        </select>
      );
    case 'integer':
    case 'number':
      return <input id={id} type="number" step={field.kind === 'integer' ? 1 : 'any'} value={text} onChange={(e) => onChange(e.target.value)} />;
    case 'string':
      return <input id={id} value={text} onChange={(e) => onChange(e.target.value)} />;
    case 'array':
    case 'object':
    case 'json':
      return <textarea id={id} rows={Math.min(8, Math.max(2, text.split('\n').length))} cols={50} value={text} onChange={(e) => onChange(e.target.value)} />;
  }
}

export function TriggerPage({ dagId }: { dagId: string }) {
  const flash = useFlash();
  const [details, setDetails] = useState<Details | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [texts, setTexts] = useState<Record<string, string>>({});
  const [conf, setConf] = useState('{}');
  const [confError, setConfError] = useState<string | null>(null);
  const [runId, setRunId] = useState('');
  const [logicalDate, setLogicalDate] = useState('');

  const fields = Object.entries(details?.params ?? {}).map(([name, param]) => fieldOf(name, param));
  const parsed = Object.fromEntries(fields.map((f) => [f.name, valueOf(f, texts[f.name] ?? '')]));
  const problems = Object.fromEntries(fields.map((f) => {
    const p = parsed[f.name];
    return [f.name, !p ? null : 'error' in p ? p.error : problemOf(f, p.value)];
  }));

  const confFrom = (next: Record<string, string>, base: Record<string, unknown>): string => {
    const out: Record<string, unknown> = { ...base };
    for (const f of fields) {
      const p = valueOf(f, next[f.name] ?? '');
      if ('value' in p) out[f.name] = p.value;
    }
    return JSON.stringify(out, null, 2);
  };
  const currentConf = (): Record<string, unknown> => {
    try {
      const value = JSON.parse(conf) as unknown;
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
    } catch {
      // The JSON being edited is not valid yet: the fields keep their values.
      return {};
    }
  };

  useEffect(() => {
    api<Details>('GET', `${paths.dag(dagId)}/details`).then((d) => {
      setDetails(d);
      const initial: Record<string, string> = {};
      const values: Record<string, unknown> = {};
      for (const [name, param] of Object.entries(d.params ?? {})) {
        initial[name] = textOf(fieldOf(name, param), param.value);
        values[name] = param.value ?? null;
      }
      setTexts(initial);
      setConf(JSON.stringify(values, null, 2));
    }, (err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  }, [dagId]);

  const changeField = (name: string, text: string): void => {
    const next = { ...texts, [name]: text };
    setTexts(next);
    setConf(confFrom(next, currentConf()));
    setConfError(null);
  };
  const changeConf = (text: string): void => {
    setConf(text);
    try {
      const value = JSON.parse(text) as unknown;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('the conf must be a JSON object');
      const next = { ...texts };
      for (const f of fields) if (f.name in value) next[f.name] = textOf(f, (value as Record<string, unknown>)[f.name]);
      setTexts(next);
      setConfError(null);
    } catch (err) {
      setConfError(err instanceof Error ? err.message : String(err));
    }
  };

  const submit = (event: FormEvent): void => {
    event.preventDefault();
    const bad = fields.find((f) => problems[f.name]);
    if (bad) {
      flash.show(`param ${bad.name}: ${problems[bad.name] as string}`, 'error');
      return;
    }
    let body: Record<string, unknown>;
    try {
      body = { conf: JSON.parse(conf || '{}') as unknown };
    } catch (err) {
      flash.show(`conf is not JSON: ${err instanceof Error ? err.message : String(err)}`, 'error');
      return;
    }
    if (runId) body.dag_run_id = runId;
    if (logicalDate) body.logical_date = new Date(`${logicalDate}Z`).toISOString();
    void flash.run(() => api<{ dag_run_id: string }>('POST', `${paths.dag(dagId)}/dagRuns`, body), (run) => {
      location.hash = `#/dags/${enc(dagId)}`;
      return `created DAG run ${run.dag_run_id}`;
    });
  };

  if (!details) return <Loading error={error} />;
  return (
    <form id="trigger" onSubmit={submit}>
      <h1>Trigger <a href={`#/dags/${enc(dagId)}`}>{dagId}</a></h1>
      {details.description && <p className="muted">{details.description}</p>}
      {fields.length > 0 ? <h2>Params</h2> : <p className="muted">This DAG has no params.</p>}
      <div className="params">
        {fields.map((f) => (
          <div key={f.name} className={`param${problems[f.name] ? ' invalid' : ''}`} data-param={f.name}>
            <label htmlFor={`param-${f.name}`}>{f.name} <span className="muted">({f.kind === 'json' ? 'JSON' : f.kind})</span></label>
            <FieldInput field={f} text={texts[f.name] ?? ''} onChange={(text) => changeField(f.name, text)} />
            {f.description && <div className="muted">{f.description}</div>}
            {problems[f.name] && <div className="field-error">{problems[f.name]}</div>}
          </div>
        ))}
      </div>
      <h2>Run</h2>
      <label>Run id <input id="run-id" placeholder="default manual__<date>" value={runId} onChange={(e) => setRunId(e.target.value)} /></label>
      <label>Logical date (UTC, optional) <input id="logical-date" type="datetime-local" step={1} value={logicalDate} onChange={(e) => setLogicalDate(e.target.value)} /></label>
      <label>Conf (JSON; the fields above write it, and edits here fill them)
        <textarea id="conf" rows={8} cols={60} value={conf} onChange={(e) => changeConf(e.target.value)} />
      </label>
      {confError && <div className="field-error">{confError}</div>}
      <p><button type="submit" id="trigger-submit">Trigger</button></p>
    </form>
  );
}
