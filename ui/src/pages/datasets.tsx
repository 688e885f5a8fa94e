/** Datasets (assets): each with the DAGs scheduled on it and the tasks that produce it; search by URI. */
import { useState } from 'react';
import { api, enc } from '../api';
import { Loading, Table, when } from '../components';
import { usePoll } from '../poll';

interface Dataset {
  id: number;
  uri: string;
  updated_at: string | null;
  consuming_dags: Array<{ dag_id: string }>;
  producing_tasks: Array<{ dag_id: string; task_id: string }>;
}

export function DatasetsPage() {
  const [search, setSearch] = useState('');
  const { data, error } = usePoll(() => api<{ datasets: Dataset[]; total_entries: number }>('GET', `/api/v1/datasets?limit=1000${search ? `&uri_pattern=${enc(search)}` : ''}`), [search]);
  return (
    <>
      <h1>Datasets</h1>
      <div className="filters"><input id="dataset-search" placeholder="search URIs" value={search} onChange={(e) => setSearch(e.target.value)} /></div>
      {!data ? <Loading error={error} /> : (
        <Table id="datasets" head={['uri', 'produced by', 'scheduled DAGs', 'updated']}>
          {data.datasets.map((d) => (
            <tr key={d.id} data-uri={d.uri}>
              <td><code>{d.uri}</code></td>
              <td>{d.producing_tasks.map((t) => <div key={`${t.dag_id}.${t.task_id}`}><a href={`#/dags/${enc(t.dag_id)}`}>{t.dag_id}</a>.{t.task_id}</div>)}</td>
              <td>{d.consuming_dags.map((c) => <div key={c.dag_id}><a href={`#/dags/${enc(c.dag_id)}`}>{c.dag_id}</a></div>)}</td>
              <td>{when(d.updated_at)}</td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}
