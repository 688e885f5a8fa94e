/**
 * Keeps secrets out of logs, errors and `--json` output: connection URLs (Redis, PostgreSQL) carry passwords in
 * their user-info part and sometimes in query parameters (`?password=`, libpq style).
 */

/** Query parameters whose values are secrets. */
const SECRET_PARAMS = new Set(['password', 'pass', 'passwd', 'sslpassword', 'secret', 'token', 'access_token']);

/** What a redacted secret prints as. */
export const REDACTED = '***';

/**
 * The URL with its password (user-info part and secret query parameters) replaced by `***`; the user name,
 * host, port, path and other parameters are kept so the message still says where it points. A string that is
 * not a URL has any `user:password@` part redacted the same way.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not parseable (spaces, a bare host:port): fall back to redacting a `scheme://user:password@` shape.
    return redactUrlsIn(url);
  }
  if (parsed.password) parsed.password = REDACTED;
  for (const key of [...parsed.searchParams.keys()]) {
    if (SECRET_PARAMS.has(key.toLowerCase())) parsed.searchParams.set(key, REDACTED);
  }
  // URL.toString percent-encodes the stars of a replaced query value; show them plainly.
  return parsed.toString().replace(/%2A%2A%2A/g, REDACTED);
}

/** Redacts the password of every `scheme://user:password@host` found in free text (error messages, log lines). */
export function redactUrlsIn(text: string): string {
  return text
    .replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:/@]*):[^\s@/]*@/g, `$1:${REDACTED}@`)
    .replace(/([?&](?:password|pass|passwd|sslpassword|secret|token|access_token)=)[^&\s]*/gi, `$1${REDACTED}`);
}

/** Replaces every occurrence of the given secrets (and their percent-encoded forms) in `text` with `***`. */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | null | undefined>): string {
  let out = text;
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
  }
  // Longest first, so a secret that contains another is replaced whole.
  for (const form of [...forms].sort((a, b) => b.length - a.length)) out = out.split(form).join(REDACTED);
  return out;
}
