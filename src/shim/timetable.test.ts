import { describe, expect, it } from 'vitest';
import type { CustomSchedule } from '../dag/schedule.js';
import { DagbridgeError } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { CustomTimetableDag } from '../ports/custom-timetable.js';
import { cachedCustomTimetables, firstNextRunFailure, type TimetableRequest, type TimetableWireAnswer } from './timetable.js';

const timetable: CustomSchedule = {
  type: 'custom', className: 'plugins.EveryNDays', summary: 'every 3 days', description: null, canBeScheduled: true,
  periodic: true, activeRunsLimit: null, serialized: { __type: 'plugins.EveryNDays', __var: { days: 3 } },
};
const dag = (versionHash = 'v1'): CustomTimetableDag => ({ dagId: 'custom_tt', versionHash, timetable });
const DAY = 86_400_000;
const JAN1 = Date.parse('2024-01-01T00:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', '+00:00');
const restriction = { earliest: JAN1, latest: null, catchup: true };

function recordingLog(): Logger & { errors: Record<string, unknown>[] } {
  const errors: Record<string, unknown>[] = [];
  const log: Logger & { errors: Record<string, unknown>[] } = {
    errors, debug: () => undefined, info: () => undefined, warn: () => undefined,
    error: (message, fields) => errors.push({ message, ...fields }), child: () => log,
  };
  return log;
}

/** A fake shim: intervals of 3 days from the last end (or Jan 1), `steps` of them per chained question. */
function fakeShim(answer?: (request: TimetableRequest) => TimetableWireAnswer | Promise<TimetableWireAnswer>) {
  const calls: TimetableRequest[] = [];
  const evaluate = async (_dag: CustomTimetableDag, requests: readonly TimetableRequest[]) => {
    calls.push(...requests);
    return Promise.all(requests.map(async (request): Promise<TimetableWireAnswer> => {
      if (answer) return answer(request);
      if (request.kind === 'manual') return { ok: true, interval: { start: iso(Date.parse(request.runAfter) - 3 * DAY), end: request.runAfter } };
      let start = request.last === null ? JAN1 : Date.parse(request.last.end);
      const infos = [];
      for (let i = 0; i < request.chain; i += 1, start += 3 * DAY) infos.push({ start: iso(start), end: iso(start + 3 * DAY), runAfter: iso(start + 3 * DAY) });
      return { ok: true, infos };
    }));
  };
  return { calls, evaluate };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('cachedCustomTimetables', () => {
  it('answers pending, evaluates once, then serves the answer and the chained next runs from the cache', async () => {
    const shim = fakeShim();
    const timetables = cachedCustomTimetables({ evaluate: shim.evaluate, log: recordingLog(), chain: 4 });
    expect(timetables.peekNextDagRunInfo(dag(), null, restriction)).toEqual({ status: 'pending' });
    expect(timetables.peekNextDagRunInfo(dag(), null, restriction)).toEqual({ status: 'pending' });
    await settle();
    expect(shim.calls).toHaveLength(1);
    expect(shim.calls[0]).toMatchObject({ kind: 'next', last: null, chain: 4, restriction: { earliest: '2024-01-01T00:00:00+00:00', latest: null, catchup: true } });
    expect(timetables.peekNextDagRunInfo(dag(), null, restriction)).toEqual({ status: 'ready', value: { runAfter: JAN1 + 3 * DAY, dataInterval: { start: JAN1, end: JAN1 + 3 * DAY } } });
    // The chain answered the next three questions too.
    let last = { start: JAN1, end: JAN1 + 3 * DAY };
    for (let i = 0; i < 3; i += 1) {
      const answer = timetables.peekNextDagRunInfo(dag(), last, restriction);
      expect(answer.status).toBe('ready');
      if (answer.status === 'ready' && answer.value) last = answer.value.dataInterval;
    }
    expect(last).toEqual({ start: JAN1 + 9 * DAY, end: JAN1 + 12 * DAY });
    expect(shim.calls).toHaveLength(1);
    expect(timetables.stats).toMatchObject({ evaluations: 1, hits: 4, misses: 2, failures: 0 });
  });

  it('asks again for another DAG version, and one step at a time when catchup is off', async () => {
    const shim = fakeShim();
    const timetables = cachedCustomTimetables({ evaluate: shim.evaluate, log: recordingLog() });
    timetables.peekNextDagRunInfo(dag('v1'), null, restriction);
    timetables.peekNextDagRunInfo(dag('v2'), null, { ...restriction, catchup: false });
    await settle();
    expect(shim.calls.map((call) => call.kind === 'next' && call.chain)).toEqual([16, 1]);
  });

  it('caches a failure with the DAG, the class and the cause, logs it once, and asks again after maxAgeMs', async () => {
    let now = 0;
    const log = recordingLog();
    const shim = fakeShim(() => ({ ok: false, error: { type: 'RuntimeError', message: 'calendar service unreachable' } }));
    const timetables = cachedCustomTimetables({ evaluate: shim.evaluate, log, maxAgeMs: 30_000, clock: () => now });
    timetables.peekNextDagRunInfo(dag(), null, restriction);
    await settle();
    const failed = { status: 'failed', error: 'DAG custom_tt: custom timetable plugins.EveryNDays failed in next_dagrun_info: RuntimeError: calendar service unreachable' };
    for (let tick = 0; tick < 5; tick += 1) expect(timetables.peekNextDagRunInfo(dag(), null, restriction)).toEqual(failed);
    expect(shim.calls).toHaveLength(1);
    expect(log.errors).toEqual([{ message: 'custom timetable failed', dagId: 'custom_tt', timetable: 'plugins.EveryNDays', method: 'next_dagrun_info', error: 'RuntimeError: calendar service unreachable' }]);
    now = 30_000;
    expect(timetables.peekNextDagRunInfo(dag(), null, restriction)).toEqual({ status: 'pending' });
    await settle();
    expect(shim.calls).toHaveLength(2);
  });

  it('turns a shim that does not answer (a timeout) into the failure of that DAG', async () => {
    const timetables = cachedCustomTimetables({
      evaluate: () => Promise.reject(new Error('no answer within 5 s (timetableTimeoutSeconds); its process was killed')),
      log: recordingLog(),
    });
    timetables.peekNextDagRunInfo(dag(), null, restriction);
    await settle();
    expect(timetables.peekNextDagRunInfo(dag(), null, restriction)).toEqual({
      status: 'failed',
      error: 'DAG custom_tt: custom timetable plugins.EveryNDays failed in next_dagrun_info: TimetableEvaluationError: no answer within 5 s (timetableTimeoutSeconds); its process was killed',
    });
  });

  it('serves a stale answer while it is evaluated again', async () => {
    let now = 0;
    const shim = fakeShim();
    const timetables = cachedCustomTimetables({ evaluate: shim.evaluate, log: recordingLog(), maxAgeMs: 1_000, clock: () => now });
    timetables.peekNextDagRunInfo(dag(), null, restriction);
    await settle();
    now = 5_000;
    expect(timetables.peekNextDagRunInfo(dag(), null, restriction).status).toBe('ready');
    await settle();
    expect(shim.calls).toHaveLength(2);
  });

  it('infers a manual data interval, cached, and throws TIMETABLE_FAILED naming the DAG on an error', async () => {
    const shim = fakeShim();
    const timetables = cachedCustomTimetables({ evaluate: shim.evaluate, log: recordingLog() });
    const runAfter = Date.parse('2024-03-10T00:00:00Z');
    expect(await timetables.inferManualDataInterval(dag(), runAfter)).toEqual({ start: runAfter - 3 * DAY, end: runAfter });
    expect(await timetables.inferManualDataInterval(dag(), runAfter)).toEqual({ start: runAfter - 3 * DAY, end: runAfter });
    expect(shim.calls).toHaveLength(1);
    const broken = cachedCustomTimetables({
      evaluate: fakeShim(() => ({ ok: false, error: { type: 'ValueError', message: 'no calendar' } })).evaluate,
      log: recordingLog(),
    });
    const error = await broken.inferManualDataInterval(dag(), runAfter).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DagbridgeError);
    expect(error).toMatchObject({ code: 'TIMETABLE_FAILED', message: 'DAG custom_tt: custom timetable plugins.EveryNDays failed in infer_manual_data_interval: ValueError: no calendar' });
  });
});

describe('cachedCustomTimetables.backfillRunInfos', () => {
  const FEB1 = Date.parse('2024-02-01T00:00:00Z');
  /** A timetable of 3-day intervals that keeps to the restriction's latest, failing at `failAt` (a start). */
  const ranged = (failAt: number | null) => (request: TimetableRequest): TimetableWireAnswer => {
    if (request.kind !== 'next') throw new Error('next only');
    const latest = Date.parse(request.restriction.latest ?? '');
    let start = request.last === null ? Date.parse(request.restriction.earliest ?? '') : Date.parse(request.last.end);
    const infos: ({ start: string; end: string; runAfter: string } | null)[] = [];
    for (let i = 0; i < request.chain; i += 1, start += 3 * DAY) {
      if (start === failAt) {
        if (infos.length === 0) return { ok: false, error: { type: 'RuntimeError', message: `no run at ${iso(start)}` } };
        break; // the shim ends a chain at an error; the step is asked again on its own
      }
      if (start > latest) {
        infos.push(null);
        break;
      }
      infos.push({ start: iso(start), end: iso(start + 3 * DAY), runAfter: iso(start + 3 * DAY) });
    }
    return { ok: true, infos };
  };

  it('asks next_dagrun_info from no last interval with the range as a catch-up restriction, until None', async () => {
    const shim = fakeShim(ranged(null));
    const timetables = cachedCustomTimetables({ evaluate: shim.evaluate, log: recordingLog() });
    const answer = await timetables.backfillRunInfos(dag(), FEB1, FEB1 + 8 * DAY, 100);
    expect(answer.error).toBeNull();
    expect(answer.infos.map((info) => iso(info.dataInterval.start))).toEqual(['2024-02-01T00:00:00+00:00', '2024-02-04T00:00:00+00:00', '2024-02-07T00:00:00+00:00']);
    expect(shim.calls).toEqual([{ kind: 'next', last: null, chain: 500, restriction: { earliest: '2024-02-01T00:00:00+00:00', latest: '2024-02-09T00:00:00+00:00', catchup: true } }]);
  });

  it('keeps the runs before an error and names the DAG, class, method and cause', async () => {
    const shim = fakeShim(ranged(FEB1 + 6 * DAY));
    const timetables = cachedCustomTimetables({ evaluate: shim.evaluate, log: recordingLog() });
    const answer = await timetables.backfillRunInfos(dag(), FEB1, FEB1 + 30 * DAY, 100);
    expect(answer.infos).toHaveLength(2);
    expect(answer.error).toBe('DAG custom_tt: custom timetable plugins.EveryNDays failed in next_dagrun_info: RuntimeError: no run at 2024-02-07T00:00:00+00:00');
    expect(shim.calls.map((call) => (call.kind === 'next' ? call.last?.end ?? null : null))).toEqual([null, '2024-02-07T00:00:00+00:00']);
  });

  it('stops at a timetable that does not advance and refuses more runs than the limit', async () => {
    const stuck = fakeShim(() => ({ ok: true, infos: [{ start: iso(FEB1), end: iso(FEB1 + DAY), runAfter: iso(FEB1 + DAY) }] }));
    const timetables = cachedCustomTimetables({ evaluate: stuck.evaluate, log: recordingLog() });
    expect((await timetables.backfillRunInfos(dag(), FEB1, FEB1 + 30 * DAY, 100)).infos).toHaveLength(1);
    const endless = cachedCustomTimetables({ evaluate: fakeShim().evaluate, log: recordingLog() });
    await expect(endless.backfillRunInfos(dag(), FEB1, FEB1 + 30 * DAY, 10)).rejects.toThrow('the range holds more than 10 runs');
  });
});

describe('firstNextRunFailure', () => {
  it("asks next_dagrun_info once without a last interval and answers the failure with the DAG, class and cause, or null", async () => {
    const working = fakeShim();
    expect(await firstNextRunFailure(working.evaluate, dag(), { earliest: JAN1, latest: null, catchup: false })).toBeNull();
    expect(working.calls).toEqual([{ kind: 'next', last: null, chain: 1, restriction: { earliest: '2024-01-01T00:00:00+00:00', latest: null, catchup: false } }]);
    const raising = fakeShim(() => ({ ok: false, error: { type: 'RuntimeError', message: 'no', traceback: 'Traceback...\nRuntimeError: no\n' } }));
    expect(await firstNextRunFailure(raising.evaluate, dag(), restriction)).toEqual({
      dagId: 'custom_tt', timetable: 'plugins.EveryNDays', method: 'next_dagrun_info', type: 'RuntimeError', message: 'no', traceback: 'Traceback...\nRuntimeError: no\n',
    });
    const crashing = { evaluate: () => Promise.reject(new Error('no answer within 5 s (timetableTimeoutSeconds); its process was killed')) };
    expect(await firstNextRunFailure(crashing.evaluate, dag(), restriction)).toMatchObject({ type: 'TimetableEvaluationError', message: 'no answer within 5 s (timetableTimeoutSeconds); its process was killed', traceback: '' });
  });
});
