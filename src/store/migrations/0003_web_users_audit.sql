-- 0003_web_users_audit: the webserver's users, their UI sessions, and the audit log (Airflow's event log).
-- Passwords are stored as scrypt hashes with their salt and cost parameters (src/web/passwords.ts), never as
-- text. A session row holds the SHA-256 of its cookie token (a stolen database holds no usable cookie) and the
-- CSRF token the UI must send back with every change. Roles are Airflow's four: Viewer, User, Op, Admin.

CREATE TABLE web_users (
  username       text PRIMARY KEY CHECK (username ~ '^[A-Za-z0-9_.@-]{1,64}$'),
  role           text NOT NULL CHECK (role IN ('Viewer', 'User', 'Op', 'Admin')),
  password_hash  text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE web_sessions (
  token_hash   text PRIMARY KEY,
  username     text NOT NULL REFERENCES web_users (username) ON DELETE CASCADE ON UPDATE CASCADE,
  csrf_token   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

-- One row per action taken through the webserver or the users commands (who, what, on which DAG/run/task).
-- Rows are only inserted; the username is kept as text so deleting a user keeps their history.
CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  username    text,
  event       text NOT NULL,
  dag_id      text,
  run_id      text,
  task_id     text,
  map_index   integer,
  try_number  integer,
  extra       jsonb
);
CREATE INDEX audit_log_by_dag ON audit_log (dag_id, at);
