-- 0005_connections: Airflow Connections (Airflow 2.10.5's `connection` table, airflow/models/connection.py):
-- the same columns, conn_id as the key. `password` and `extra` hold Fernet tokens (src/lib/fernet.ts, the key
-- list in DAGBRIDGE_FERNET_KEY) when `is_encrypted` / `is_extra_encrypted` is true; dagbridge always writes
-- them encrypted, and reads a row copied from an Airflow database without a key (the flags false) as it is.

CREATE TABLE connections (
  conn_id             text PRIMARY KEY CHECK (length(conn_id) BETWEEN 1 AND 250),
  conn_type           text NOT NULL CHECK (length(conn_type) <= 500),
  description         text,
  host                text,
  schema              text,
  login               text,
  password            text,
  port                integer,
  is_encrypted        boolean NOT NULL DEFAULT false,
  is_extra_encrypted  boolean NOT NULL DEFAULT false,
  extra               text,
  updated_at          timestamptz NOT NULL DEFAULT now()
);
