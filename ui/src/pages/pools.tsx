/** Pools: slots and what holds them (running, queued, scheduled); Op adds, resizes and deletes them. */
import { useState, type FormEvent } from 'react';
import { api, atLeast, enc, type Me } from '../api';
import { Loading, Table, useFlash } from '../components';
import { usePoll } from '../poll';

interface Pool {
  name: string;
  slots: number;
  occupied_slots: number;
  running_slots: number;
  queued_slots: number;
  scheduled_slots: number;
  open_slots: number;
  description: string | null;
}

export function PoolsPage({ me }: { me: Me }) {
  const flash = useFlash();
  const [form, setForm] = useState({ name: '', slots: '1', description: '' });
  const { data, error, reload } = usePoll(() => api<{ pools: Pool[] }>('GET', '/api/v1/pools?limit=1000'), []);
  const save = (event: FormEvent): void => {
    event.preventDefault();
    const body = { name: form.name, slots: Number(form.slots), description: form.description };
    const exists = data?.pools.some((p) => p.name === form.name);
    void flash.run(() => (exists ? api('PATCH', `/api/v1/pools/${enc(form.name)}?update_mask=slots,description`, body) : api('POST', '/api/v1/pools', body)), () => `${exists ? 'updated' : 'created'} pool ${form.name}`, reload);
  };
  const remove = (pool: Pool): void => {
    if (!confirm(`Delete pool ${pool.name}? Tasks of this pool wait until it exists again.`)) return;
    void flash.run(() => api('DELETE', `/api/v1/pools/${enc(pool.name)}`), () => `deleted pool ${pool.name}`, reload);
  };
  const op = atLeast(me, 'Op');
  return (
    <>
      <h1>Pools</h1>
      {!data ? <Loading error={error} /> : (
        <Table id="pools" head={['pool', 'slots', 'running', 'queued', 'scheduled', 'open', 'description', '']}>
          {data.pools.map((p) => (
            <tr key={p.name} data-pool={p.name}>
              <td>{p.name}</td><td>{p.slots}</td><td>{p.running_slots}</td><td>{p.queued_slots}</td><td>{p.scheduled_slots}</td><td>{p.open_slots}</td><td>{p.description ?? ''}</td>
              <td>{op && (
                <>
                  <button className="edit" onClick={() => setForm({ name: p.name, slots: String(p.slots), description: p.description ?? '' })}>Edit</button>{' '}
                  {p.name !== 'default_pool' && <button className="delete" onClick={() => remove(p)}>Delete</button>}
                </>
              )}</td>
            </tr>
          ))}
        </Table>
      )}
      {op && (
        <form id="pool-form" onSubmit={save} className="inline-form">
          <h2>Add or change a pool</h2>
          <label>Name <input id="pool-name" required value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} /></label>
          <label>Slots <input id="pool-slots" type="number" min={0} required value={form.slots} onChange={(e) => setForm({ ...form, slots: e.target.value })} /></label>
          <label>Description <input id="pool-description" value={form.description} onChange={(e) => setForm({ ...form, description: e.target.value })} /></label>
          <button type="submit">Save</button>
        </form>
      )}
    </>
  );
}
