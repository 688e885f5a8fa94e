/**
 * Variables (Op and Admin: values may be secrets, so Viewer and User cannot read them, as in Airflow). Values
 * of keys that look sensitive (Airflow's secrets masker words) are hidden until Show; Op sets and deletes them.
 */
import { useState, type FormEvent } from 'react';
import { api, enc } from '../api';
import { Loading, Table, useFlash } from '../components';
import { usePoll } from '../poll';

interface Variable {
  key: string;
  value: string;
  description: string | null;
}

/** Airflow's DEFAULT_SENSITIVE_FIELDS (airflow/utils/log/secrets_masker.py): a key containing one is masked. */
const SENSITIVE = ['access_token', 'api_key', 'apikey', 'authorization', 'passphrase', 'passwd', 'password', 'private_key', 'secret', 'token', 'keyfile_dict', 'service_account'];
const sensitive = (key: string): boolean => SENSITIVE.some((word) => key.toLowerCase().includes(word));

export function VariablesPage() {
  const flash = useFlash();
  const [shown, setShown] = useState<ReadonlySet<string>>(new Set());
  const [form, setForm] = useState({ key: '', value: '', description: '' });
  const { data, error, reload } = usePoll(() => api<{ variables: Variable[] }>('GET', '/api/v1/variables?limit=1000'), []);
  const save = (event: FormEvent): void => {
    event.preventDefault();
    void flash.run(() => api('POST', '/api/v1/variables', { key: form.key, value: form.value, description: form.description || null }), () => `set variable ${form.key}`, reload);
  };
  const remove = (v: Variable): void => {
    if (!confirm(`Delete variable ${v.key}?`)) return;
    void flash.run(() => api('DELETE', `/api/v1/variables/${enc(v.key)}`), () => `deleted variable ${v.key}`, reload);
  };
  return (
    <>
      <h1>Variables</h1>
      {!data ? <Loading error={error} /> : (
        <Table id="variables" head={['key', 'value', 'description', '']}>
          {data.variables.map((v) => (
            <tr key={v.key} data-key={v.key}>
              <td>{v.key}</td>
              <td><code>{sensitive(v.key) && !shown.has(v.key) ? '***' : v.value}</code>{sensitive(v.key) && !shown.has(v.key) && <> <button className="show" onClick={() => setShown(new Set([...shown, v.key]))}>Show</button></>}</td>
              <td>{v.description ?? ''}</td>
              <td><button className="edit" onClick={() => setForm({ key: v.key, value: v.value, description: v.description ?? '' })}>Edit</button> <button className="delete" onClick={() => remove(v)}>Delete</button></td>
            </tr>
          ))}
        </Table>
      )}
      <form id="variable-form" onSubmit={save} className="inline-form">
        <h2>Set a variable</h2>
        <label>Key <input id="variable-key" required value={form.key} onChange={(e) => setForm({ ...form, key: e.target.value })} /></label>
        <label>Value <textarea id="variable-value" rows={2} cols={40} value={form.value} onChange={(e) => setForm({ ...form, value: e.target.value })} /></label>
        <label>Description <input id="variable-description" value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} /></label>
        <button type="submit">Save</button>
      </form>
    </>
  );
}
