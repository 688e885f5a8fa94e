import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseConnectionUri } from './forms.js';
import { parseQsl, pythonJsonDumps, quote, unquote, urlencode, urlsplit } from './python-url.js';

/**
 * Differential test against the standard library of /usr/bin/python3 (urllib.parse and json, which Airflow's
 * Connection URI form is defined by): a fixed pseudo-random corpus of URL-ish strings built from the characters
 * that matter (delimiters, escapes good and bad, brackets, non-ASCII, tabs).
 */
const PIECES = ['a', 'B', '1', ':', '/', '@', '?', '#', '&', '=', '%', '%2F', '%3a', '%41', '%zz', '+', ' ', '[', ']', '.', '-', '_', '~', 'é', '\t', 'k8s://', '//', '://', '[::1]', '[v1.x]', '[1.2.3.4]'];
const PREFIXES = ['http://', 'scheme://', '//', 'postgresql://', 'a-b+c.d://', ''];

function corpus(size: number): string[] {
  let seed = 20241203;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return Math.floor((seed / 2147483648) * n);
  };
  return Array.from({ length: size }, () => (PREFIXES[next(PREFIXES.length)] as string) + Array.from({ length: next(14) }, () => PIECES[next(PIECES.length)]).join(''));
}

const PYTHON = `
import sys, json
from urllib.parse import urlsplit, unquote, quote, parse_qsl, urlencode
out = []
for s in json.load(sys.stdin):
    r = {}
    try:
        u = urlsplit(s)
        r['split'] = [u.scheme, u.netloc, u.path, u.query, u.hostname, u.username, u.password]
        try:
            r['port'] = u.port
        except ValueError:
            r['port'] = 'error'
    except ValueError:
        r['split'] = 'error'
    r['unquote'] = unquote(s)
    r['quote'] = quote(s, safe='')
    r['qsl'] = [list(p) for p in parse_qsl(s, keep_blank_values=True)]
    r['urlencode'] = urlencode([(s, s)])
    r['json'] = json.dumps({s: [s, 1, None, True]})
    out.append(r)
json.dump(out, sys.stdout)
`;

function ours(s: string): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  try {
    const u = urlsplit(s);
    r.split = [u.scheme, u.netloc, u.path, u.query, u.hostname, u.username, u.password];
    try {
      r.port = u.port();
    } catch {
      r.port = 'error';
    }
  } catch {
    r.split = 'error';
  }
  return { ...r, unquote: unquote(s), quote: quote(s), qsl: parseQsl(s), urlencode: urlencode([[s, s]]), json: pythonJsonDumps({ [s]: [s, 1, null, true] }) };
}

describe("python-url against /usr/bin/python3's urllib.parse and json", () => {
  it('agrees on 2000 generated inputs', () => {
    const inputs = corpus(2000);
    const run = spawnSync('/usr/bin/python3', ['-c', PYTHON], { input: JSON.stringify(inputs), encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(run.status, run.stderr).toBe(0);
    const expected = JSON.parse(run.stdout) as Array<Record<string, unknown>>;
    const mismatches = inputs.map((s, i) => ({ input: s, python: expected[i], ours: ours(s) })).filter((m) => JSON.stringify(m.python) !== JSON.stringify(m.ours));
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  it('never quotes what stands where the port is (in user:secret/path the port is a password)', () => {
    expect(() => parseConnectionUri('c', 'http://user:hunter2/db')).toThrow(/^connection c: invalid connection URI \(Port could not be cast to integer value\)$/);
  });
});
