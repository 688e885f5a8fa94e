/**
 * Connections (Op): the list has no secrets; Show reads one connection, its extra with the values under
 * sensitive keys as `***`; the password is never sent to the browser.
 */
import { useState } from 'react';
import { api, enc } from '../api';
import { Loading, Table, text, useFlash } from '../components';
import { usePoll } from '../poll';

interface Connection {
  connection_id: string;
  conn_type: string;
  host: string | null;
  port: number | null;
  schema: string | null;
  login: string | null;
  description: string | null;
}

export function ConnectionsPage() {
  const flash = useFlash();
  const [detail, setDetail] = useState('');
  const { data, error } = usePoll(() => api<{ connections: Connection[] }>('GET', '/api/v1/connections?limit=1000'), []);
  const show = (c: Connection): void => {
    api<{ extra: string | null }>('GET', `/api/v1/connections/${enc(c.connection_id)}`)
      .then((one) => setDetail(`${c.connection_id}\npassword: (never shown)\nextra: ${one.extra ?? ''}`), (err: unknown) => flash.show(err instanceof Error ? err.message : String(err), 'error'));
  };
  return (
    <>
      <h1>Connections</h1>
      {!data ? <Loading error={error} /> : (
        <div id="connections-page">
          <Table id="connections" head={['connection', 'type', 'host', 'port', 'schema', 'login', 'description', '']}>
            {data.connections.map((c) => (
              <tr key={c.connection_id} data-conn={c.connection_id}>
                {[c.connection_id, c.conn_type, c.host, c.port, c.schema, c.login, c.description].map((v, i) => <td key={i}>{text(v)}</td>)}
                <td><button className="show" onClick={() => show(c)}>Show</button></td>
              </tr>
            ))}
          </Table>
          <p className="muted">Add or change connections with <code>dagbridge connections</code> or the REST API.</p>
        </div>
      )}
      <pre id="connection-detail">{detail}</pre>
    </>
  );
}
