/**
 * The parts of Python's `urllib.parse` (3.11) and `json.dumps` that Airflow's Connection URI form is defined by:
 * `urlsplit` with its `hostname`, `port`, `username`, `password`; `quote(safe='')`, `unquote`, `parse_qsl`
 * (keep_blank_values), `urlencode`; and `json.dumps` defaults (ASCII only, `", "` and `": "` separators), so a
 * connection read here has the fields, bytes included, that Airflow reads from the same text.
 */
import { isIP, isIPv6 } from 'node:net';

/** `urlsplit`'s result with the properties Airflow reads. */
export interface SplitUrl {
  readonly scheme: string;
  readonly netloc: string;
  readonly path: string;
  readonly query: string;
  /** The netloc's host, lowercased before any `%` (as Python's `hostname`); null when empty. */
  readonly hostname: string | null;
  /** The port; null when absent. Throws (as Python's `.port`) on a non-numeric port or one above 65535. */
  port(): number | null;
  readonly username: string | null;
  readonly password: string | null;
}

const SCHEME_CHARS = /^[A-Za-z][A-Za-z0-9+.-]*$/;

/** Python's `urllib.parse.urlsplit(url)` (allow_fragments: the fragment is dropped). */
export function urlsplit(input: string): SplitUrl {
  // eslint-disable-next-line no-control-regex -- WHATWG C0 controls and space are stripped first, as Python does.
  let url = input.replace(/^[\u0000-\u0020]+/, '').replace(/[\t\r\n]/g, '');
  let scheme = '';
  let netloc = '';
  let query = '';
  const colon = url.indexOf(':');
  if (colon > 0 && SCHEME_CHARS.test(url.slice(0, colon))) {
    scheme = url.slice(0, colon).toLowerCase();
    url = url.slice(colon + 1);
  }
  if (url.startsWith('//')) {
    const ends = ['/', '?', '#'].map((c) => url.indexOf(c, 2)).filter((i) => i >= 0);
    const end = ends.length > 0 ? Math.min(...ends) : url.length;
    netloc = url.slice(2, end);
    url = url.slice(end);
    if (netloc.includes('[') !== netloc.includes(']')) throw new Error('Invalid IPv6 URL');
    if (netloc.includes('[')) checkBracketedNetloc(netloc);
  }
  const hash = url.indexOf('#');
  if (hash >= 0) url = url.slice(0, hash);
  const question = url.indexOf('?');
  if (question >= 0) {
    query = url.slice(question + 1);
    url = url.slice(0, question);
  }
  const at = netloc.lastIndexOf('@');
  const userinfo = at >= 0 ? netloc.slice(0, at) : null;
  const hostinfo = at >= 0 ? netloc.slice(at + 1) : netloc;
  let host: string;
  let portText: string;
  const bracket = hostinfo.indexOf('[');
  if (bracket >= 0) {
    const inside = hostinfo.slice(bracket + 1);
    const close = inside.indexOf(']');
    host = close >= 0 ? inside.slice(0, close) : inside;
    const after = close >= 0 ? inside.slice(close + 1) : '';
    const portColon = after.indexOf(':');
    portText = portColon >= 0 ? after.slice(portColon + 1) : '';
  } else {
    const portColon = hostinfo.indexOf(':');
    host = portColon >= 0 ? hostinfo.slice(0, portColon) : hostinfo;
    portText = portColon >= 0 ? hostinfo.slice(portColon + 1) : '';
  }
  const percent = host.indexOf('%');
  const hostname = host === '' ? null : percent >= 0 ? host.slice(0, percent).toLowerCase() + host.slice(percent) : host.toLowerCase();
  const userColon = userinfo === null ? -1 : userinfo.indexOf(':');
  return {
    scheme,
    netloc,
    path: url,
    query,
    hostname,
    username: userinfo === null ? null : userColon >= 0 ? userinfo.slice(0, userColon) : userinfo,
    password: userinfo === null || userColon < 0 ? null : userinfo.slice(userColon + 1),
    port() {
      if (portText === '') return null;
      // Not quoted: in `user:secret/path` (no `@`) the "port" is the password.
      if (!/^[0-9]+$/.test(portText)) throw new Error('Port could not be cast to integer value');
      const port = Number(portText);
      if (port > 65535) throw new Error('Port out of range 0-65535');
      return port;
    },
  };
}

/** Python's `_check_bracketed_netloc` (3.11 with its security fixes): nothing before `[`, only `:port` after `]`. */
function checkBracketedNetloc(netloc: string): void {
  const hostinfo = netloc.slice(netloc.lastIndexOf('@') + 1);
  const open = hostinfo.indexOf('[');
  if (open < 0) {
    checkBracketedHost(hostinfo.split(':')[0] ?? '');
    return;
  }
  if (open > 0) throw new Error('Invalid IPv6 URL');
  const inside = hostinfo.slice(open + 1);
  const close = inside.indexOf(']');
  const port = close >= 0 ? inside.slice(close + 1) : '';
  if (port !== '' && !port.startsWith(':')) throw new Error('Invalid IPv6 URL');
  checkBracketedHost(close >= 0 ? inside.slice(0, close) : inside);
}

/** Python's `_check_bracketed_host`: an IPv6 address (a zone allowed) or an IPvFuture `vX.…` between brackets. */
function checkBracketedHost(host: string): void {
  if (host.startsWith('v')) {
    if (!/^v[a-fA-F0-9]+\..+$/s.test(host)) throw new Error('IPvFuture address is invalid');
    return;
  }
  if (!isIPv6(host)) throw new Error(isIP(host) === 4 ? 'An IPv4 address cannot be in brackets' : 'the host in brackets is not an IPv6 address');
}

/** Python's `unquote`: `%XX` runs decoded as UTF-8 (invalid bytes become U+FFFD), malformed escapes kept. */
export function unquote(text: string): string {
  if (!text.includes('%')) return text;
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
}

/** Python's `quote(text, safe='')`: everything but `A-Za-z0-9_.-~` percent-encoded from UTF-8. */
export function quote(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.~-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Python's `quote_plus(text, safe='')`: as `quote`, a space as `+`. */
export function quotePlus(text: string): string {
  return text.split(' ').map(quote).join('+');
}

/** Python's `parse_qsl(query, keep_blank_values=True)`: `&`-separated pairs, `+` as space, unquoted. */
export function parseQsl(query: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const piece of query.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const name = eq >= 0 ? piece.slice(0, eq) : piece;
    const value = eq >= 0 ? piece.slice(eq + 1) : '';
    pairs.push([unquote(name.replace(/\+/g, ' ')), unquote(value.replace(/\+/g, ' '))]);
  }
  return pairs;
}

/** Python's `urlencode` of string pairs (quote_plus on both sides). */
export function urlencode(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.map(([name, value]) => `${quotePlus(name)}=${quotePlus(value)}`).join('&');
}

/** Python's `json.dumps(value)` with its defaults: `ensure_ascii` (`\uXXXX`, lowercase hex), `", "` and `": "`. */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return pythonJsonString(value);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : value > 0 ? 'Infinity' : value < 0 ? '-Infinity' : 'NaN';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>).map(([k, v]) => `${pythonJsonString(k)}: ${pythonJsonDumps(v)}`).join(', ')}}`;
  }
  return pythonJsonString(String(value));
}

const JSON_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

function pythonJsonString(text: string): string {
  // eslint-disable-next-line no-control-regex -- every control and non-ASCII code unit is escaped, as ensure_ascii does.
  return `"${text.replace(/["\\\u0000-\u001f\u007f-\uffff]/g, (c) => JSON_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}
