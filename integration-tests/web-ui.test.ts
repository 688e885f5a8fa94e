/**
 * The UI in a real headless Chromium (Debian's chromium, driven by playwright-core) on an in-process webserver
 * with a Redis queue picture: a User logs in, pauses and unpauses a DAG from the list, triggers the DAG from the
 * form, and sees the new run in the DAG's page; logging out ends the session. One test per role boundary: a
 * Viewer cannot trigger or mark, a User cannot drain a worker or requeue a dead letter, change a pool or read
 * variables (Op), an Op cannot read the audit log (Admin). Pools, variables and datasets pages are used as an Op. Runs that really execute are in web-ui-run.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { ConnectionTable } from '../src/connections/connection-table.js';
import { consumerDag, producerDag } from '../src/ports/dataset-store.suite.js';
import { generateFernetKey } from '../src/lib/fernet.js';
import { silentLogger } from '../src/lib/logger.js';
import { triggerDagRun } from '../src/scheduler/run-creator.js';
import type { RedisTaskQueue } from '../src/queue/redis-queue.js';
import { PgStore } from '../src/store/pg-store.js';
import { insertUser } from '../src/store/web-queries.js';
import { Authenticator } from '../src/web/auth.js';
import { hashPassword } from '../src/web/passwords.js';
import type { WebContext } from '../src/web/routes.js';
import { buildWebServer, listenWebServer, type WebServer } from '../src/web/server.js';
import { launchChromium, logIn as logInAt, PASSWORD, shots } from './support/browser.js';
import { createMigratedDatabase, dagSpec, type TestDatabase } from './support/database.js';
import { DEAD_REASON, REFUSAL, openTestQueue, seedQueueFixture } from './support/web-queue-fixture.js';

const marksDag = dagSpec('marks_dag', { schedule: { type: 'none' } });
const fernetKey = generateFernetKey();
let db: TestDatabase;
let store: PgStore;
let server: WebServer;
let url: string;
let browser: Browser;
let closeQueue: () => Promise<void>;
let queue: RedisTaskQueue;

beforeAll(async () => {
  db = await createMigratedDatabase('web_ui');
  store = new PgStore(db.pool);
  const opened = await openTestQueue('web-ui');
  queue = opened.queue;
  closeQueue = opened.close;
  await seedQueueFixture(store, queue, Date.now(), [dagSpec('browser_dag', { tags: ['ui'], schedule: { type: 'none' } }), marksDag, producerDag, consumerDag]);
  const { run } = await triggerDagRun(store, (await store.getDag('marks_dag'))!, Date.now(), { conf: {}, runId: 'to_mark' });
  await store.applyChanges(run, marksDag, [{ kind: 'create', taskId: 't1', mapIndex: -1, priorityWeight: 1, state: 'scheduled' }], Date.now());
  await insertUser(db.pool, 'alice', 'User', await hashPassword(PASSWORD));
  await insertUser(db.pool, 'victor', 'Viewer', await hashPassword(PASSWORD));
  await insertUser(db.pool, 'olga', 'Op', await hashPassword(PASSWORD));
  await insertUser(db.pool, 'ada', 'Admin', await hashPassword(PASSWORD));
  await new ConnectionTable(db.pool, fernetKey).add({ connId: 'warehouse', connType: 'postgres', description: null, host: 'db.internal', schema: 'dw', login: 'etl', password: 'pw-in-the-db', port: 5432, extra: '{"api_key": "k-123", "sslmode": "require"}' });
  const context: WebContext = {
    // A long lease: the fixture's worker w1 heartbeats once, and must still count as running at the last test.
    store, pool: db.pool, queue, auth: new Authenticator(db.pool), log: silentLogger, leaseMs: 600_000,
    now: Date.now, notify: async () => undefined, scheduleSemantics: null, fernetKey,
  };
  server = await buildWebServer(context);
  url = await listenWebServer(server, context, { host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.app.close();
  await closeQueue?.();
  await store?.close();
  await db?.drop();
});

const logIn = (page: Page, username: string): Promise<void> => logInAt(page, url, username, 'tr[data-dag="browser_dag"]');

describe('the UI in Chromium', () => {
  it('logs in, pauses and unpauses, triggers a DAG and sees its run, logs out', async () => {
    const page = await browser.newPage();
    await logIn(page, 'alice');
    await page.click('input.pause[data-dag="browser_dag"]');
    await expect.poll(async () => (await store.getDag('browser_dag'))?.isPaused).toBe(true);
    await page.click('input.pause[data-dag="browser_dag"]');
    await expect.poll(async () => (await store.getDag('browser_dag'))?.isPaused).toBe(false);

    await page.click('tr[data-dag="browser_dag"] a.button');
    await page.waitForSelector('#trigger');
    await page.fill('#run-id', 'from_the_browser');
    await page.fill('#conf', '{"rows": 7}');
    await page.click('#trigger-submit');
    await page.waitForSelector('#runs li[data-run="from_the_browser"]');
    expect(await page.textContent('#flash')).toContain('created DAG run from_the_browser');
    const run = await store.getDagRun({ dagId: 'browser_dag', runId: 'from_the_browser' });
    expect(run).toMatchObject({ state: 'queued', runType: 'manual', conf: { rows: 7 } });
    await page.screenshot({ path: `${shots}/dagbridge-ui-dag.png` });

    await page.click('#logout');
    await page.waitForSelector('#login');
    const after = await page.evaluate(async () => (await fetch('/api/v1/dags')).status);
    expect(after).toBe(401);
    await page.close();
  });

  it('refuses a Viewer trigger and says which role it needs', async () => {
    const page = await browser.newPage();
    await logIn(page, 'victor');
    await page.goto(`${url}/#/dags/browser_dag/trigger`);
    await page.waitForSelector('#trigger');
    await page.click('#trigger-submit');
    await expect.poll(() => page.textContent('#flash')).toContain('has role Viewer');
    expect((await store.listDagRuns({ dagId: 'browser_dag' })).length).toBe(1);
    await page.close();
  });

  it('marks a task instance failed from its page; a Viewer is refused with the role named', async () => {
    const page = await browser.newPage();
    const key = { dagId: 'marks_dag', runId: 'to_mark', taskId: 't1', mapIndex: -1 };
    await logIn(page, 'victor');
    await page.goto(`${url}/#/dags/marks_dag/runs/to_mark/tasks/t1`);
    await page.click('#mark-failed');
    await expect.poll(() => page.textContent('#flash')).toContain('has role Viewer');
    expect((await store.getTaskInstance(key))?.state).toBe('scheduled');
    await page.click('#logout');
    await page.waitForSelector('#login');

    await logIn(page, 'alice');
    await page.goto(`${url}/#/dags/marks_dag/runs/to_mark/tasks/t1`);
    await page.click('#mark-failed');
    await expect.poll(async () => (await store.getTaskInstance(key))?.state).toBe('failed');
    await expect.poll(() => page.textContent('#flash')).toContain('marked t1 failed');
    await page.waitForSelector('#ti .state[data-state="failed"]');
    await page.screenshot({ path: `${shots}/dagbridge-ui-task-instance.png` });
    await page.close();
  });

  it('shows a worker refusing a queue and why; a User cannot drain it, an Op drains it and requeues a dead letter', async () => {
    const page = await browser.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await logIn(page, 'alice');
    await page.goto(`${url}/#/workers`);
    await page.waitForSelector('tr[data-worker="w1"]');
    expect(await page.textContent('tr[data-worker="w1"] td.refused')).toBe(`gpu: ${REFUSAL}`);
    await page.click('tr[data-worker="w1"] button.drain');
    await expect.poll(() => page.textContent('#flash')).toContain('has role User; this needs Op');
    expect((await store.listWorkers())[0]?.requestedAction).toBeNull();
    await page.goto(`${url}/#/queues`);
    await page.click('#flash .dismiss');
    await page.click('section.dead-letters[data-queue="default"] button.requeue');
    await expect.poll(() => page.textContent('#flash')).toContain('has role User; this needs Op');
    expect((await queue.stats(['default']))[0]).toMatchObject({ deadLettered: 1 });
    await page.click('#logout');
    await page.waitForSelector('#login');

    await logIn(page, 'olga');
    await page.goto(`${url}/#/workers`);
    await page.click('tr[data-worker="w1"] button.drain');
    await expect.poll(async () => (await store.listWorkers())[0]?.requestedAction).toBe('drain');
    await page.waitForSelector('tr[data-worker="w1"] td.worker-state:has-text("drain requested")');
    await page.screenshot({ path: `${shots}/dagbridge-ui-workers.png` });

    await page.goto(`${url}/#/queues`);
    const row = 'section.dead-letters[data-queue="default"] tr[data-message="qdag|queued_run|t1|-1|1"]';
    await page.waitForSelector(row);
    expect(await page.textContent(`${row} td.reason`)).toBe(DEAD_REASON);
    await page.screenshot({ path: `${shots}/dagbridge-ui-queues.png` });
    await page.click(`${row} button.requeue`);
    await expect.poll(async () => (await queue.stats(['default']))[0]).toMatchObject({ ready: 1, deadLettered: 0 });
    await expect.poll(() => page.textContent('#flash')).toContain('requeued 1 dead letter(s) of default');
    await page.waitForSelector(row, { state: 'detached' });
    await page.close();
  });

  it('shows connections to an Op with the extra masked and never the password; a User has no such page', async () => {
    const page = await browser.newPage();
    await logIn(page, 'alice');
    expect(await page.$('#nav a[href="#/connections"]')).toBeNull();
    await page.goto(`${url}/#/connections`);
    await expect.poll(() => page.textContent('#main')).toContain('has role User; this needs Op');
    await page.click('#logout');
    await page.waitForSelector('#login');

    await logIn(page, 'olga');
    await page.click('#nav a[href="#/connections"]');
    await page.click('tr[data-conn="warehouse"] button.show');
    await expect.poll(() => page.textContent('#connection-detail')).toContain('"api_key": "***"');
    expect(await page.textContent('#main')).not.toContain('pw-in-the-db');
    expect(await page.textContent('#main')).not.toContain('k-123');
    await page.screenshot({ path: `${shots}/dagbridge-ui-connections.png` });
    await page.close();
  });

  it('lets an Op add and resize a pool and set a variable shown masked until asked; a User can only look at pools; datasets show who produces and who waits', async () => {
    const page = await browser.newPage();
    await logIn(page, 'alice');
    await page.click('#nav a[href="#/pools"]');
    await page.waitForSelector('#pools tr[data-pool="default_pool"]');
    expect(await page.$('#pool-form')).toBeNull();
    expect(await page.$('#pools button.edit')).toBeNull();
    expect(await page.$('#nav a[href="#/variables"]')).toBeNull();
    await page.goto(`${url}/#/variables`);
    await expect.poll(() => page.textContent('#main')).toContain('has role User; this needs Op');

    await page.goto(`${url}/#/datasets`);
    await page.waitForSelector('#datasets tr[data-uri="s3://bucket/a"]');
    expect(await page.textContent('#datasets tr[data-uri="s3://bucket/a"]')).toContain('producer.make');
    expect(await page.textContent('#datasets tr[data-uri="s3://bucket/a"]')).toContain('consumer');
    await page.fill('#dataset-search', 'bucket/b');
    await expect.poll(() => page.locator('#datasets tbody tr').count()).toBe(1);
    await page.screenshot({ path: `${shots}/dagbridge-ui-datasets.png` });
    await page.click('#logout');
    await page.waitForSelector('#login');

    await logIn(page, 'olga');
    await page.click('#nav a[href="#/pools"]');
    await page.fill('#pool-name', 'etl_pool');
    await page.fill('#pool-slots', '4');
    await page.fill('#pool-description', 'the warehouse loaders');
    await page.click('#pool-form button[type=submit]');
    await page.waitForSelector('#pools tr[data-pool="etl_pool"]');
    await page.click('#pools tr[data-pool="etl_pool"] button.edit');
    await expect.poll(() => page.inputValue('#pool-slots')).toBe('4');
    await page.fill('#pool-slots', '6');
    await page.click('#pool-form button[type=submit]');
    await expect.poll(async () => (await db.pool.query<{ slots: number }>("SELECT slots FROM pools WHERE name = 'etl_pool'")).rows[0]?.slots).toBe(6);
    await page.screenshot({ path: `${shots}/dagbridge-ui-pools.png` });

    await page.click('#nav a[href="#/variables"]');
    await page.fill('#variable-key', 'warehouse_password');
    await page.fill('#variable-value', 'v-secret-1');
    await page.click('#variable-form button[type=submit]');
    await page.waitForSelector('#variables tr[data-key="warehouse_password"]');
    await page.fill('#variable-key', 'region');
    await page.fill('#variable-value', 'eu-1');
    await page.click('#variable-form button[type=submit]');
    await page.waitForSelector('#variables tr[data-key="region"]');
    expect(await page.textContent('#variables tr[data-key="region"] code')).toBe('eu-1');
    expect(await page.textContent('#variables tr[data-key="warehouse_password"] code')).toBe('***');
    expect(await page.textContent('#main')).not.toContain('v-secret-1');
    await page.screenshot({ path: `${shots}/dagbridge-ui-variables.png` });
    await page.click('#variables tr[data-key="warehouse_password"] button.show');
    expect(await page.textContent('#variables tr[data-key="warehouse_password"] code')).toBe('v-secret-1');
    await page.close();
  });

  it('shows the audit log to an Admin; an Op has no such page', async () => {
    const page = await browser.newPage();
    await logIn(page, 'olga');
    expect(await page.$('#nav a[href="#/audit"]')).toBeNull();
    await page.goto(`${url}/#/audit`);
    await expect.poll(() => page.textContent('#main')).toContain('has role Op; this needs Admin');
    await page.click('#logout');
    await page.waitForSelector('#login');

    await logIn(page, 'ada');
    await page.click('#nav a[href="#/audit"]');
    await page.waitForSelector('#audit tr[data-event="login"]');
    // Earlier tests' changes are rows: alice's pause and trigger.
    await page.waitForSelector('#audit tr[data-event="paused"]');
    await page.screenshot({ path: `${shots}/dagbridge-ui-audit.png` });
    await page.close();
  });
});
