/**
 * Keeps secrets out of logs, errors and `--json` output: connection URLs (Redis, PostgreSQL) carry passwords in
 * their user-info part and sometimes in query parameters (`?password=`, libpq style).
 */

/** What a redacted secret prints as. */
export const REDACTED = '***';

/** A query parameter whose value is a secret (`password`, `pass`, `passwd`, `sslpassword`, `secret`, `token`, `access_token`), with its value. */
const SECRET_PARAM_VALUE = /([?&](?:password|pass|passwd|sslpassword|secret|token|access_token)=)[^&#\s]*/gi;

/**
 * The URL with its password (user-info part and secret query parameters) replaced by `***`; the user name,
 * host, port, path and other parameters are kept so the message still says where it points. The text is
 * read as written, not through `new URL`: a password with an unencoded `@`, `/` or space is hidden whole,
 * because the user-info ends at the last `@` before the query (or the last `@` at all when the password holds a
 * `?`). A value that is not a URL has any `user:password@` part redacted the same way.
 */
export function redactUrl(url: string): string {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(url);
  if (!scheme) return redactUrlsIn(url);
  const rest = url.slice(scheme[0].length);
  const queryAt = rest.search(/[?#]/);
  const beforeQuery = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const at = beforeQuery.includes('@') ? beforeQuery.lastIndexOf('@') : rest.lastIndexOf('@');
  let userInfo = '';
  let location = rest;
  if (at !== -1) {
    const raw = rest.slice(0, at);
    const colon = raw.indexOf(':');
    userInfo = `${colon === -1 ? raw : `${raw.slice(0, colon)}:${REDACTED}`}@`;
    location = rest.slice(at + 1);
  }
  return `${scheme[0]}${userInfo}${location.replace(SECRET_PARAM_VALUE, `$1${REDACTED}`)}`;
}

/**
 * Whether the user-info of `url` holds more than one `@` (a password with an unencoded `@`). Such a URL means
 * different things to different parsers; dagbridge refuses it rather than guess which host is meant.
 */
export function hasUnencodedAt(url: string): boolean {
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(url);
  if (!scheme) return false;
  const rest = url.slice(scheme[0].length);
  const queryAt = rest.search(/[?#]/);
  return (queryAt === -1 ? rest : rest.slice(0, queryAt)).split('@').length > 2;
}

/** Redacts the password of every `scheme://user:password@host` found in free text (error messages, log lines). */
export function redactUrlsIn(text: string): string {
  // The password runs to the last `@` of the word, so one with an unencoded `@` is hidden whole.
  return text.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:/@]*):\S*@/g, `$1:${REDACTED}@`).replace(SECRET_PARAM_VALUE, `$1${REDACTED}`);
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
