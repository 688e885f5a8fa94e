/**
 * What `dagbridge connections` prints without `--show-secrets`: the password as `***`, and in the extra every
 * value under a key Airflow's secrets masker hides (airflow/utils/log/secrets_masker.py DEFAULT_SENSITIVE_FIELDS:
 * a key whose lowercased name contains one of them), at any depth. An extra that is not a JSON object is
 * hidden whole: which part of it is secret cannot be told.
 */
import type { ConnectionRecord } from '../ports/connections.js';
import { extraObject } from './forms.js';
import { pythonJsonDumps } from './python-url.js';

/** The replacement of a hidden value, as Airflow's masker writes it. */
export const MASK = '***';

/** Airflow 2.10.5's DEFAULT_SENSITIVE_FIELDS. */
export const SENSITIVE_FIELDS: readonly string[] = [
  'access_token', 'api_key', 'apikey', 'authorization', 'passphrase', 'passwd', 'password', 'private_key', 'secret', 'token', 'keyfile_dict', 'service_account',
];

/** Airflow's should_hide_value_for_key. */
export function isSensitiveKey(name: string): boolean {
  const key = name.trim().toLowerCase();
  return SENSITIVE_FIELDS.some((field) => key.includes(field));
}

function maskValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskValue);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, isSensitiveKey(key) ? MASK : maskValue(inner)]));
  }
  return value;
}

/** The connection with its password and sensitive extra values replaced by `***`. */
export function maskConnection(conn: ConnectionRecord): ConnectionRecord {
  let extra = conn.extra;
  if (extra) {
    const object = extraObject(extra);
    extra = object ? pythonJsonDumps(maskValue(object)) : MASK;
  }
  return { ...conn, password: conn.password ? MASK : conn.password, extra };
}
