/**
 * The webserver inside `dagbridge standalone` (the compiled CLI as a subprocess, on a test database instead of
 * the embedded server): it starts on 127.0.0.1 at a free port, prints its URL, serves the REST API on the
 * standalone's database; `--no-webserver` starts none; a non-loopback `--webserver-host` is refused while no
 * user exists, as `dagbridge webserver` refuses it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from './support/database.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'bin', 'dagbridge.js');
const DAG = `
from datetime import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG("web_standalone", schedule=None, start_date=datetime(2024, 1, 1), catchup=False) as dag:
    BashOperator(task_id="hello", bash_command="echo hello")
`;

let db: TestDatabase;
let dir = '';

function env(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('DAGBRIDGE_')) out[key] = value;
  return out;
}

function standalone(args: string[]) {
  return execa('node', [CLI, 'standalone', '--database-url', db.url, '--home', path.join(dir, 'home'), '--dags-folder', path.join(dir, 'dags'), '--no-airflow', ...args], {
    reject: false, extendEnv: false, env: env(), cwd: dir,
  });
}

beforeAll(async () => {
  db = await createMigratedDatabase('web_standalone');
  dir = mkdtempSync(path.join(tmpdir(), 'dagbridge-web-standalone-'));
  const dags = path.join(dir, 'dags');
  mkdirSync(dags);
  writeFileSync(path.join(dags, 'web_standalone.py'), DAG);
});

afterAll(async () => {
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('standalone with its webserver', () => {
  it('prints the URL of a webserver on 127.0.0.1 that answers the REST API, and stops it on SIGINT', async () => {
    const child = standalone([]);
    let text = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        const found = /webserver {5}(http:\/\/127\.0\.0\.1:\d+) /.exec(text);
        if (found && text.includes('ready:')) resolve(found[1] as string);
      });
      void child.then(() => reject(new Error(`standalone ended before it was ready:\n${text}`)));
    });
    const dags = (await (await fetch(`${url}/api/v1/dags`)).json()) as { dags: Array<{ dag_id: string }> };
    expect(dags.dags.map((d) => d.dag_id)).toEqual(['web_standalone']);
    expect(((await (await fetch(`${url}/api/v1/health`)).json()) as { metadatabase: { status: string } }).metadatabase.status).toBe('healthy');
    expect((await fetch(`${url}/`)).headers.get('content-type')).toContain('text/html');
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode, result.stderr).toBe(0);
    await expect(fetch(`${url}/api/v1/health`)).rejects.toThrow();
  });

  it('starts no webserver with --no-webserver', async () => {
    const result = await standalone(['--no-webserver', '--until-idle']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('  webserver     off (--no-webserver)');
  });

  it('refuses a non-loopback --webserver-host while no user exists, naming the fix', async () => {
    const result = await standalone(['--webserver-host', '0.0.0.0', '--until-idle']);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('--host 0.0.0.0 is not a loopback address and no user exists');
    const port = await standalone(['--webserver-port', 'eighty', '--until-idle']);
    expect([port.exitCode, port.stderr.trim()]).toEqual([2, 'dagbridge: --webserver-port "eighty": a number from 0 to 65535 (0: a free port)']);
  });
});
