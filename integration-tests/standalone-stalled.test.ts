/**
 * `dagbridge standalone --until-idle` on runs that can never proceed: two catch-up runs of a DAG whose only task
 * depends on its past and fails. The first run fails; the second run's task waits for a success that will never
 * come. Standalone reports the blocked run with the scheduler's own explanation (`tasks why`) and exits non-zero
 * instead of waiting forever. The compiled CLI as a subprocess, on a database of the test's own.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigratedDatabase, type TestDatabase } from './support/database.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'bin', 'dagbridge.js');

// Two daily intervals are due: start_date is midnight UTC two days ago.
const BLOCKED_DAG = `
from datetime import datetime, timedelta, timezone

from airflow import DAG
from airflow.operators.bash import BashOperator

today = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)

with DAG("past_blocked", schedule="@daily", start_date=today - timedelta(days=2), catchup=True) as dag:
    BashOperator(task_id="fails", bash_command="exit 1", depends_on_past=True, retries=0)
`;

interface Outcome {
  ok: boolean;
  interrupted: boolean;
  runs: Array<{ dagId: string; runId: string; state: string }>;
  stalled: Array<{ dagId: string; runId: string; taskId: string; state: string; reasons: Array<{ kind: string; message: string }> }>;
}

let db: TestDatabase;
let dags = '';

beforeAll(async () => {
  db = await createMigratedDatabase('standalone_stalled');
  dags = mkdtempSync(path.join(tmpdir(), 'dagbridge-stalled-'));
  writeFileSync(path.join(dags, 'past_blocked.py'), BLOCKED_DAG);
});

afterAll(async () => {
  await db?.drop();
  if (dags) rmSync(dags, { recursive: true, force: true });
});

describe('standalone --until-idle with runs that cannot proceed', () => {
  it('reports the blocked task instances with their reason and exits 1 instead of waiting forever', async () => {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('DAGBRIDGE_')) env[key] = value;
    const args = ['standalone', '--until-idle', '--database-url', db.url, '--dags-folder', dags, '--no-airflow', '--concurrency', '2'];

    const json = await execa('node', [CLI, ...args, '--json'], { reject: false, extendEnv: false, env, timeout: 90_000 });
    expect(json.exitCode, json.stderr).toBe(1);
    const outcome = JSON.parse(json.stdout) as Outcome;
    expect(outcome.ok).toBe(false);
    expect(outcome.interrupted).toBe(false);
    const states = outcome.runs.map((r) => r.state).sort();
    expect(states).toEqual(['failed', 'running']);
    const blockedRun = outcome.runs.find((r) => r.state === 'running');
    expect(outcome.stalled).toHaveLength(1);
    expect(outcome.stalled[0]).toMatchObject({ dagId: 'past_blocked', runId: blockedRun?.runId, taskId: 'fails' });
    const reasons = outcome.stalled[0]?.reasons ?? [];
    expect(reasons.map((r) => r.kind)).toContain('dependencies');
    expect(reasons.map((r) => r.message).join(' ')).toMatch(/depends_on_past/);

    // The same run again, for people: the blocked instance and the summary say what is wrong.
    const text = await execa('node', [CLI, ...args], { reject: false, extendEnv: false, env, timeout: 90_000 });
    expect(text.exitCode, text.stderr).toBe(1);
    expect(text.stdout).toMatch(/stalled: 1 DAG run\(s\) are active/);
    expect(text.stdout).toMatch(/past_blocked \S+ fails: /);
    expect(text.stdout).toMatch(/1 DAG run\(s\) stalled/);
    expect(text.stdout).not.toMatch(/eligible worker/); // standalone has no Redis queues or workers
  });
});
