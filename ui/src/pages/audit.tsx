/** The audit log (Admin): every change made through the API, the UI or the users commands, newest first. */
import { api } from '../api';
import { Loading, Table, text, when } from '../components';
import { usePoll } from '../poll';

interface EventLog {
  event_log_id: number;
  when: string;
  owner: string | null;
  event: string;
  dag_id: string | null;
  run_id: string | null;
  task_id: string | null;
  extra: string | null;
}

export function AuditPage() {
  const { data, error } = usePoll(() => api<{ event_logs: EventLog[] }>('GET', '/api/v1/eventLogs?order_by=-event_log_id&limit=200'), []);
  return (
    <>
      <h1>Audit log</h1>
      {!data ? <Loading error={error} /> : (
        <Table id="audit" head={['when', 'who', 'event', 'dag', 'run', 'task', 'extra']}>
          {data.event_logs.map((e) => (
            <tr key={e.event_log_id} data-event={e.event}>
              <td>{when(e.when)}</td><td>{text(e.owner)}</td><td>{e.event}</td><td>{text(e.dag_id)}</td><td>{text(e.run_id)}</td><td>{text(e.task_id)}</td><td><code>{text(e.extra)}</code></td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}
