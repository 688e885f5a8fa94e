/**
 * dagbridge's web UI: a React app on hash routes (`#/dags/ID`), served by the webserver from dist/ui/ and
 * talking only to its API. It keeps the caller (`/me`) and shows one page at a time.
 */
import { StrictMode, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { api, atLeast, setSession, type Me } from './api';
import { FlashContext, flashOf } from './components';
import { AuditPage } from './pages/audit';
import { ConnectionsPage } from './pages/connections';
import { DagPage } from './pages/dag';
import { DagsPage } from './pages/dags';
import { DatasetsPage } from './pages/datasets';
import { LoginPage } from './pages/login';
import { PoolsPage } from './pages/pools';
import { QueuesPage } from './pages/queues';
import { RunPage } from './pages/run';
import { TaskInstancePage } from './pages/task-instance';
import { TriggerPage } from './pages/trigger';
import { VariablesPage } from './pages/variables';
import { WorkersPage } from './pages/workers';
import './style.css';

function useHash(): string[] {
  const read = (): string[] => location.hash.replace(/^#\/?/, '').split('/').filter((p) => p !== '').map(decodeURIComponent);
  const [parts, setParts] = useState(read);
  useEffect(() => {
    const onChange = (): void => setParts(read());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return parts;
}

function page(parts: string[], me: Me) {
  const [first, dagId, kind, runId, tasks, taskId, mapIndex] = parts;
  if (first === 'dags' && dagId !== undefined) {
    if (kind === 'trigger') return <TriggerPage key={dagId} dagId={dagId} />;
    if (kind === 'runs' && runId !== undefined && tasks === 'tasks' && taskId !== undefined) {
      return <TaskInstancePage key={parts.join('/')} dagId={dagId} runId={runId} taskId={taskId} mapIndex={mapIndex === undefined ? -1 : Number(mapIndex)} />;
    }
    if (kind === 'runs' && runId !== undefined) return <RunPage key={parts.join('/')} dagId={dagId} runId={runId} />;
    return <DagPage key={dagId} dagId={dagId} />;
  }
  switch (first) {
    case 'queues': return <QueuesPage />;
    case 'workers': return <WorkersPage />;
    case 'pools': return <PoolsPage me={me} />;
    case 'variables': return <VariablesPage />;
    case 'connections': return <ConnectionsPage />;
    case 'datasets': return <DatasetsPage />;
    case 'audit': return <AuditPage />;
    default: return <DagsPage me={me} />;
  }
}

function App() {
  const parts = useHash();
  const [me, setMe] = useState<Me | null>(null);
  const [checked, setChecked] = useState(false);
  const [flash, setFlash] = useState<{ text: string; kind: 'ok' | 'error' } | null>(null);
  const flashApi = useMemo(() => flashOf(setFlash), []);

  const adopt = (next: Me | null): void => {
    setSession(next, () => {
      setMe(null);
      location.hash = '#/login';
    });
    setMe(next);
  };
  useEffect(() => {
    api<Me>('GET', '/dagbridge/api/v1/me').then(adopt, () => adopt(null)).finally(() => setChecked(true));
  }, []);

  const logOut = async (): Promise<void> => {
    await api('POST', '/dagbridge/api/v1/logout').catch(() => undefined);
    adopt(null);
    location.hash = '#/login';
  };

  let body;
  if (!checked) body = <p className="loading">Loading...</p>;
  else if (!me || parts[0] === 'login') body = <LoginPage onLogin={(who) => { adopt(who); location.hash = '#/'; }} />;
  else body = page(parts, me);

  return (
    <FlashContext.Provider value={flashApi}>
      <header>
        <a className="brand" href="#/">dagbridge</a>
        <nav id="nav">
          <a href="#/">DAGs</a>
          <a href="#/datasets">Datasets</a>
          <a href="#/pools">Pools</a>
          <a href="#/queues">Queues</a>
          <a href="#/workers">Workers</a>
          {atLeast(me, 'Op') && <a href="#/variables">Variables</a>}
          {atLeast(me, 'Op') && <a href="#/connections">Connections</a>}
          {atLeast(me, 'Admin') && <a href="#/audit">Audit log</a>}
          {me && <span className="who">{me.username} ({me.role})</span>}
          {me?.csrf_token && <button id="logout" onClick={() => void logOut()}>Log out</button>}
        </nav>
      </header>
      <div id="flash" className={flash?.kind ?? ''}>{flash?.text}{flash && <button className="dismiss" title="dismiss" onClick={() => setFlash(null)}>×</button>}</div>
      <main id="main">{body}</main>
    </FlashContext.Provider>
  );
}

createRoot(document.getElementById('root') as HTMLElement).render(<StrictMode><App /></StrictMode>);
