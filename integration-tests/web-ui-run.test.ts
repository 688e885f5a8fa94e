/**
 * The UI against real runs, in a real headless Chromium: `dagbridge standalone` (the compiled CLI as a
 * subprocess, scheduler + local executor + webserver, on a test database) runs a DAG with Params. A User
 * triggers it from the Params form (a value the param's schema refuses is shown and not sent), watches the
 * grid turn green, opens the running task's page and sees its log lines arrive, sees the run's graph, clears a
 * task (it runs again: try 2), marks the run failed and logs out.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertUser } from '../src/store/web-queries.js';
import { hashPassword } from '../src/web/passwords.js';
import { createMigratedDatabase, type TestDatabase } from './support/database.js';
import { CHROMIUM, launchChromium, logIn, PASSWORD, shots } from './support/browser.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'bin', 'dagbridge.js');
const DAG = `
from datetime import datetime

from airflow import DAG
from airflow.models.param import Param
from airflow.operators.bash import BashOperator

with DAG(
    "ui_run",
    schedule=None,
    start_date=datetime(2024, 1, 1),
    catchup=False,
    tags=["ui"],
    params={
        "rows": Param(5, type="integer", minimum=1, description="rows to load"),
        "label": Param("daily", type="string"),
        "full": Param(False, type="boolean"),
        "mode": Param("fast", enum=["fast", "slow"]),
    },
) as dag:
    hello = BashOperator(
        task_id="hello",
        bash_command="echo rows={{ params.rows }} mode={{ params.mode }}",
        env={"API_PASSWORD": "pw-{{ params.label }}", "LABEL": "{{ params.label }}"},
        append_env=True,
    )
    slow = BashOperator(task_id="slow", bash_command='for i in $(seq 1 30); do echo "line $i"; sleep 0.4; done')
    after = BashOperator(task_id="after", bash_command="echo done")
    hello >> slow >> after
`;

let db: TestDatabase;
let dir = '';
let child: ResultPromise | undefined;
let url = '';
let browser: Browser;

function env(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && !key.startsWith('DAGBRIDGE_')) out[key] = value;
  return out;
}

beforeAll(async () => {
  db = await createMigratedDatabase('web_ui_run');
  await insertUser(db.pool, 'alice', 'User', await hashPassword(PASSWORD));
  dir = mkdtempSync(path.join(tmpdir(), 'dagbridge-web-ui-run-'));
  mkdirSync(path.join(dir, 'dags'));
  writeFileSync(path.join(dir, 'dags', 'ui_run.py'), DAG);
  const started = execa('node', [CLI, 'standalone', '--database-url', db.url, '--home', path.join(dir, 'home'), '--dags-folder', path.join(dir, 'dags'), '--no-airflow'], {
    reject: false, extendEnv: false, env: env(), cwd: dir,
  });
  child = started;
  let text = '';
  url = await new Promise<string>((resolve, reject) => {
    started.stderr?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const found = /webserver {5}(http:\/\/127\.0\.0\.1:\d+) /.exec(text);
      if (found && text.includes('ready:')) resolve(found[1] as string);
    });
    void started.then(() => reject(new Error(`standalone ended before it was ready:\n${text}`)));
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  if (child?.pid !== undefined && child.exitCode === null) {
    child.kill('SIGINT');
    await child;
  }
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function apiGet(page: Page, apiPath: string): Promise<Record<string, unknown>> {
  return page.evaluate(async (p) => (await fetch(p)).json() as Promise<Record<string, unknown>>, apiPath);
}

describe('the UI with a running standalone', () => {
  it(`triggers from the Params form, follows a running task's log, turns green, clears a task, marks the run failed (${CHROMIUM})`, async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    await logIn(page, url, 'alice', 'tr[data-dag="ui_run"]');
    await page.screenshot({ path: `${shots}/dagbridge-ui-dags.png` });

    await page.click('tr[data-dag="ui_run"] a.button');
    await page.waitForSelector('#trigger .param[data-param="rows"]');
    expect(await page.inputValue('#param-rows')).toBe('5');
    expect(await page.inputValue('#param-label')).toBe('daily');
    await page.fill('#param-rows', '0');
    await page.waitForSelector('.param[data-param="rows"].invalid .field-error');
    expect(await page.textContent('.param[data-param="rows"] .field-error')).toContain('0 is less than the minimum of 1');
    await page.screenshot({ path: `${shots}/dagbridge-ui-trigger.png` });
    await page.click('#trigger-submit');
    await expect.poll(() => page.textContent('#flash')).toContain('param rows');
    expect(((await apiGet(page, '/api/v1/dags/ui_run/dagRuns')).dag_runs as unknown[]).length).toBe(0);

    await page.fill('#param-rows', '7');
    await page.selectOption('#param-mode', 'slow');
    await page.check('#param-full');
    expect(JSON.parse(await page.inputValue('#conf'))).toEqual({ rows: 7, label: 'daily', full: true, mode: 'slow' });
    await page.fill('#run-id', 'from_form');
    await page.click('#trigger-submit');
    await page.waitForSelector('#runs li[data-run="from_form"]');
    expect(await page.textContent('#flash')).toContain('created DAG run from_form');
    expect((await apiGet(page, '/api/v1/dags/ui_run/dagRuns/from_form')).conf).toEqual({ rows: 7, label: 'daily', full: true, mode: 'slow' });

    // The running task's page follows its log: lines arrive without a reload.
    const slowCell = '.grid-row[data-task="slow"] a.state[data-state="running"]';
    await page.waitForSelector(slowCell, { timeout: 60_000 });
    await page.click(slowCell);
    await page.waitForSelector('#log-live');
    await expect.poll(() => page.textContent('#log'), { timeout: 30_000 }).toContain('line 2');
    const early = (await page.textContent('#log')) ?? '';
    await expect.poll(async () => ((await page.textContent('#log')) ?? '').split('\n').filter((l) => l.includes('line ')).length, { timeout: 30_000 })
      .toBeGreaterThan(early.split('\n').filter((l) => l.includes('line ')).length + 3);
    await page.screenshot({ path: `${shots}/dagbridge-ui-task-log.png` });
    await expect.poll(() => page.textContent('#log'), { timeout: 30_000 }).toContain('line 30');

    // The grid turns green.
    await page.click('h1 a[href="#/dags/ui_run"]');
    await expect.poll(() => page.locator('.grid-row a.state[data-state="success"]').count(), { timeout: 60_000 }).toBe(3);
    await expect.poll(async () => (await apiGet(page, '/api/v1/dags/ui_run/dagRuns/from_form')).state, { timeout: 30_000 }).toBe('success');
    await page.screenshot({ path: `${shots}/dagbridge-ui-grid.png` });

    // The run's graph: three boxes, two edges, all green.
    await page.click('#runs li[data-run="from_form"] a');
    await expect.poll(() => page.locator('#graph .node[data-state="success"]').count()).toBe(3);
    expect(await page.locator('#graph path.edge').count()).toBe(2);
    await page.screenshot({ path: `${shots}/dagbridge-ui-graph.png` });

    // Clear `after`: it runs again (try 2) and the run ends success again.
    await page.click('#graph .node[data-task="after"]');
    await page.waitForSelector('#clear');
    await page.click('#clear');
    await expect.poll(() => page.textContent('#flash')).toContain('cleared after');
    await page.waitForSelector('#tries tr[data-try="2"]', { timeout: 60_000 });
    await expect.poll(async () => (await apiGet(page, '/api/v1/dags/ui_run/dagRuns/from_form/taskInstances/after')).state, { timeout: 60_000 }).toBe('success');
    await expect.poll(async () => (await apiGet(page, '/api/v1/dags/ui_run/dagRuns/from_form')).state, { timeout: 30_000 }).toBe('success');

    // The template fields as the try rendered them, a sensitive env value masked: on the page and in the API.
    await page.goto(`${url}/#/dags/ui_run/runs/from_form/tasks/hello`);
    await page.waitForSelector('#templates tr[data-field="bash_command"] pre.rendered');
    expect(await page.textContent('#templates tr[data-field="bash_command"] pre.template')).toBe('echo rows={{ params.rows }} mode={{ params.mode }}');
    expect(await page.textContent('#templates tr[data-field="bash_command"] pre.rendered')).toBe('echo rows=7 mode=slow');
    const renderedEnv = JSON.parse((await page.textContent('#templates tr[data-field="env"] pre.rendered')) ?? 'null') as Record<string, string>;
    expect(renderedEnv).toEqual({ API_PASSWORD: '***', LABEL: 'daily' });
    const hello = await apiGet(page, '/api/v1/dags/ui_run/dagRuns/from_form/taskInstances/hello');
    expect(hello.rendered_fields).toMatchObject({ bash_command: 'echo rows=7 mode=slow', env: { API_PASSWORD: '***', LABEL: 'daily' } });
    const tries = (await apiGet(page, '/api/v1/dags/ui_run/dagRuns/from_form/taskInstances/hello/tries')).task_instances as Array<Record<string, unknown>>;
    expect(tries.map((t) => (t.rendered_fields as Record<string, unknown>).bash_command)).toEqual(['echo rows=7 mode=slow']);
    await page.screenshot({ path: `${shots}/dagbridge-ui-rendered.png`, fullPage: true });

    // Mark the run failed from the run list.
    await page.goto(`${url}/#/dags/ui_run`);
    await page.click('#runs li[data-run="from_form"] button.mark-failed');
    await expect.poll(async () => (await apiGet(page, '/api/v1/dags/ui_run/dagRuns/from_form')).state).toBe('failed');
    await page.waitForSelector('#runs li[data-run="from_form"][data-state="failed"]');

    await page.click('#logout');
    await page.waitForSelector('#login');
    expect(await page.evaluate(async () => (await fetch('/api/v1/dags')).status)).toBe(401);
    await page.close();
  });
});
