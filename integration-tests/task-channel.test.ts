/**
 * The supervisor channel through a real scheduler and worker on PostgreSQL and Redis: tasks read and write
 * Variables live, look up Connections, pull XComs lazily, and are refused (with the request named) outside their
 * scope or past the channel's caps.
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, TestCluster } from './support/cluster.js';

const FIXTURES = path.join(ROOT, 'integration-tests', 'fixtures', 'channel_dags');
const CHANNEL_MAX_REQUESTS = 200;
let cluster: TestCluster;
let root: string;

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` before the integration tests');
  root = mkdtempSync(path.join(tmpdir(), 'dagbridge-channel-'));
  cpSync(FIXTURES, path.join(root, 'dags'), { recursive: true });
  cluster = await new TestCluster({ label: 'channel', dagsFolder: path.join(root, 'dags') }).setUp();
  cluster.scheduler();
  // A low channel cap, so that the flood test reaches it quickly; the other tests send a handful of requests.
  // The 25 MiB XCom test needs maxXcomBytes above its default of 16 MiB.
  cluster.worker('w1', ['--concurrency', '4'], { DAGBRIDGE_CHANNEL_MAX_REQUESTS: String(CHANNEL_MAX_REQUESTS), DAGBRIDGE_MAX_XCOM_BYTES: String(30 * 1024 * 1024) });
}, 60_000);

afterAll(async () => {
  await cluster?.tearDown();
  if (root) rmSync(root, { recursive: true, force: true });
});

const xcomsOf = async (dagId: string, runId: string): Promise<Record<string, unknown>> =>
  Object.fromEntries((await cluster.store.listXcoms({ dagId, runId })).filter((x) => x.key === 'return_value').map((x) => [x.mapIndex < 0 ? x.taskId : `${x.taskId}[${x.mapIndex}]`, x.value]));

describe('the supervisor channel', () => {
  it('reads and writes Variables live, answers connection.get with null when no source is configured, refuses with the request named', async () => {
    await cluster.store.setVariable('greeting', 'hello');
    await cluster.waitForDags(['channel_basics']);
    const runId = await cluster.trigger('channel_basics');
    const run = await cluster.waitForRun('channel_basics', runId);
    const xcoms = await xcomsOf('channel_basics', runId);
    expect(run.state, JSON.stringify(xcoms)).toBe('success');
    expect(xcoms.read_and_write).toEqual({
      greeting: 'hello',
      deleted: 1,
      missing: 'fallback',
      connection: null,
      refusals: {
        'no.such.kind': ['unknown_kind', expect.stringMatching(/^channel request no\.such\.kind refused \(unknown_kind\): no\.such\.kind: no such channel request; this worker serves .*variable\.get/)],
        'variable.get': ['invalid', expect.stringMatching(/^channel request variable\.get refused \(invalid\): variable\.get: payload\.key: /)],
      },
    });
    // Written by the first task, read by the second one's templates, and stored in PostgreSQL.
    expect(xcoms.templated).toBe('hello-hello');
    expect(JSON.parse((await cluster.store.getVariable('written_by_task')) ?? 'null')).toEqual({ seen: 'hello' });
    expect(await cluster.store.getVariable('to_delete')).toBeNull();
  }, 120_000);

  it('fails a task that floods its channel past channelMaxRequests, naming the setting, and serves the next task', async () => {
    await cluster.waitForDags(['channel_flood']);
    const runId = await cluster.trigger('channel_flood');
    await cluster.waitForRun('channel_flood', runId);
    const flood = await cluster.store.getTaskInstance({ dagId: 'channel_flood', runId, taskId: 'flood', mapIndex: -1 });
    const log = (await cluster.store.readLogLines({ dagId: 'channel_flood', runId, taskId: 'flood', mapIndex: -1 }, 1)).map((l) => l.line).join('\n');
    expect(flood?.state, log).toBe('failed');
    // The hello is not a request: every one of the cap was answered, the next refused, naming the setting.
    expect(log).toContain(`answered ${CHANNEL_MAX_REQUESTS}, then refused: limit`);
    expect(log).toContain(`variable.get: the task has sent ${CHANNEL_MAX_REQUESTS} channel requests, the limit of one attempt (channelMaxRequests, DAGBRIDGE_CHANNEL_MAX_REQUESTS)`);
    expect(log).toContain(`the task sent more than ${CHANNEL_MAX_REQUESTS} requests; later requests are refused`);
    // The same worker goes on: the next task's requests are answered.
    expect(await xcomsOf('channel_flood', runId)).toEqual({ after: 'unset' });
  }, 120_000);

  it('sends a 25 MiB XCom only to the task that pulls it: a task of the same run that does not ask is never sent it', async () => {
    await cluster.waitForDags(['channel_big_xcom']);
    const runId = await cluster.trigger('channel_big_xcom');
    const run = await cluster.waitForRun('channel_big_xcom', runId, 180_000);
    expect(run.state).toBe('success');
    const size = 25 * 1024 * 1024;
    expect(await xcomsOf('channel_big_xcom', runId)).toMatchObject({ unrelated: 1, puller: size });
    // What each task's channel carried, from the line the worker writes at the end of an attempt.
    const bytesSent = async (taskId: string): Promise<number> => {
      const lines = (await cluster.store.readLogLines({ dagId: 'channel_big_xcom', runId, taskId, mapIndex: -1 }, 1)).map((l) => l.line);
      const stats = lines.map((line) => /channel: \d+ requests \(\d+ refused\), \d+ bytes received, (\d+) bytes sent/.exec(line)).find(Boolean);
      if (!stats) throw new Error(`no channel figures in the log of ${taskId}:\n${lines.join('\n')}`);
      return Number(stats[1]);
    };
    expect(await bytesSent('puller')).toBeGreaterThan(size);
    expect(await bytesSent('unrelated')).toBeLessThan(10_000);
  }, 240_000);

  it('pulls XComs when asked, with Airflow 2.10.5 arguments, defaults and ordering, and refuses a push for another task', async () => {
    await cluster.waitForDags(['channel_xcoms']);
    const first = await cluster.trigger('channel_xcoms', ['--logical-date', '2024-05-01T00:00:00+00:00']);
    expect((await cluster.waitForRun('channel_xcoms', first)).state).toBe('success');
    const second = await cluster.trigger('channel_xcoms', ['--logical-date', '2024-05-02T00:00:00+00:00']);
    expect((await cluster.waitForRun('channel_xcoms', second)).state).toBe('success');
    const expected = (prior: string | null): unknown => ({
      one: 'p',
      key: { n: 1 },
      mapped: [10, 20, 30],
      from_xcom_input: [8, 10],
      mapped_one: 20,
      mapped_some: [30, 10],
      several: ['s', 'p'],
      missing: 'd',
      other_dag: null,
      prior,
      this_run_only: null,
      refused: ['forbidden', 'channel request xcom.push refused (forbidden): xcom.push: a task may push XComs only for itself (channel_xcoms.consumer, run ' + (prior === null ? first : second) + ', map index -1), not for taskId "producer"'],
    });
    expect((await xcomsOf('channel_xcoms', first)).consumer).toEqual(expected(null));
    // include_prior_dates: the latest earlier run's value (the first run's `late` ran after its consumer).
    expect((await xcomsOf('channel_xcoms', second)).consumer).toEqual(expected(first));
    expect((await cluster.store.listXcoms({ dagId: 'channel_xcoms', runId: second })).filter((x) => x.key === 'stolen')).toEqual([]);
  }, 120_000);
});
