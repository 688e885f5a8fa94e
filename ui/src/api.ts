/**
 * The one way the UI talks to the server: this server's REST API (`/api/v1`, Airflow's) and dagbridge's own
 * (`/dagbridge/api/v1`), with the session cookie, and the session's CSRF token on every change. An error answer
 * becomes an `ApiError` carrying the server's `detail` (which names the role a 403 needs).
 */

/** The logged-in caller (`/dagbridge/api/v1/me`, or the login answer). */
export interface Me {
  username: string;
  role: Role;
  csrf_token: string | null;
}

export const ROLES = ['Viewer', 'User', 'Op', 'Admin'] as const;
export type Role = (typeof ROLES)[number];

/** True when `role` has at least the rights of `needed` (the server decides; this only hides links). */
export function atLeast(me: Me | null, needed: Role): boolean {
  return me !== null && ROLES.indexOf(me.role) >= ROLES.indexOf(needed);
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

let session: Me | null = null;
let onUnauthorized: () => void = () => undefined;

/** Sets the caller whose CSRF token changes carry, and what a 401 does (back to the login page). */
export function setSession(me: Me | null, unauthorized?: () => void): void {
  session = me;
  if (unauthorized) onUnauthorized = unauthorized;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && session?.csrf_token) headers['x-csrf-token'] = session.csrf_token;
  const response = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  let data: unknown = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch {
    // Not JSON (a proxy's error page): the status line says what happened.
    data = {};
  }
  if (response.status === 401 && !path.endsWith('/login')) {
    onUnauthorized();
    throw new ApiError(401, 'log in first');
  }
  if (!response.ok) {
    const detail = (data as { detail?: unknown }).detail;
    throw new ApiError(response.status, typeof detail === 'string' ? detail : `${response.status} ${response.statusText}`);
  }
  return data as T;
}

export const enc = encodeURIComponent;

/** The message of anything a promise rejected with. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A DAG run as Airflow's API gives it (the fields the UI shows). */
export interface DagRunJson {
  dag_run_id: string;
  state: string;
  run_type: string;
  logical_date: string | null;
  start_date: string | null;
  end_date: string | null;
  conf: Record<string, unknown>;
  note: string | null;
}

/** Paths of the API, in one place. */
export const paths = {
  dag: (dagId: string) => `/api/v1/dags/${enc(dagId)}`,
  run: (dagId: string, runId: string) => `/api/v1/dags/${enc(dagId)}/dagRuns/${enc(runId)}`,
  taskInstance: (dagId: string, runId: string, taskId: string, mapIndex: number) =>
    `/api/v1/dags/${enc(dagId)}/dagRuns/${enc(runId)}/taskInstances/${enc(taskId)}${mapIndex >= 0 ? `/${mapIndex}` : ''}`,
  queue: (queue: string) => `/dagbridge/api/v1/queues/${enc(queue)}`,
};
