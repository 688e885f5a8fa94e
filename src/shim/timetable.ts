/**
 * Custom timetables answered by their own Python: `python -m dagbridge_shim timetable` (python-shim/dagbridge_shim/
 * timetables.py) decodes the DAG's serialized timetable as Airflow's `decode_timetable` does, in the DAG code's
 * world (plugins folder, DAGs folder on sys.path, the parse-time environment allow-list), and answers JSON.
 *
 * Answers are cached per DAG version hash and input (last data interval and time restriction, or the manual
 * run's date), so a scheduler tick spawns no Python for a question it asked before. A cached answer is served
 * for `maxAgeMs` and then evaluated again in the background (Airflow asks its timetable again at every parse of
 * the DAG file), the stale answer still served meanwhile. Errors are cached the same way, so a broken timetable
 * costs one evaluation (and one log line) per `maxAgeMs`, not one per tick. A catch-up (`catchup` true) asks for
 * `chain` next runs in one process, each with the previous answer as the last interval.
 */
import { z } from 'zod';
import { pythonIsoUtc } from '../dag/ids.js';
import { parseInstant } from '../dag/durations.js';
import type { DataInterval, TimeRestriction, TimetableRunInfo } from '../dag/timetable.js';
import { DagbridgeError, errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { CustomTimetableDag, CustomTimetables, TimetableAnswer } from '../ports/custom-timetable.js';
import { lastLine, runShim } from './export.js';
import { PARSE_ALLOW, resolvePython, shimProcessEnv, type DagCodeSettings } from './python.js';

/** One question on the wire (instants ISO 8601 UTC). */
export type TimetableRequest =
  | { kind: 'next'; last: { start: string; end: string } | null; restriction: { earliest: string | null; latest: string | null; catchup: boolean }; chain: number }
  | { kind: 'manual'; runAfter: string };

const wireInterval = z.object({ start: z.string(), end: z.string() });
const wireAnswer = z.union([
  z.object({ ok: z.literal(true), infos: z.array(wireInterval.extend({ runAfter: z.string() }).nullable()).min(1) }),
  z.object({ ok: z.literal(true), interval: wireInterval }),
  z.object({ ok: z.literal(false), error: z.object({ type: z.string(), message: z.string(), traceback: z.string().optional() }) }),
]);
const wireAnswers = z.object({ answers: z.array(wireAnswer) });

/** One answer as the shim gave it. */
export type TimetableWireAnswer = z.infer<typeof wireAnswer>;

/** Runs one shim evaluation: the answers in request order, or throws (timeout, crash) with a message naming the cause. */
export type TimetableEvaluate = (dag: CustomTimetableDag, requests: readonly TimetableRequest[]) => Promise<TimetableWireAnswer[]>;

/** Counters of a {@link CachedCustomTimetables}: how often the cache answered and how often Python ran. */
export interface CustomTimetableStats {
  hits: number;
  misses: number;
  evaluations: number;
  failures: number;
  /** Wall time of the last evaluation, ms. */
  lastEvaluationMs: number | null;
}

/** Options of {@link cachedCustomTimetables}. */
export interface CustomTimetablesOptions {
  evaluate: TimetableEvaluate;
  log: Logger;
  /** How long an answer is served before it is evaluated again (default 30 000, Airflow's min_file_process_interval). */
  maxAgeMs?: number;
  /** Next runs asked for at once when catchup is on (default 16). */
  chain?: number;
  /** Most answers kept (default 10 000; the oldest go first). */
  maxEntries?: number;
  clock?: () => number;
}

/** {@link CustomTimetables} with its counters. */
export interface CachedCustomTimetables extends CustomTimetables {
  readonly stats: CustomTimetableStats;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; error: string };

interface Entry {
  at: number;
  outcome: Outcome<unknown>;
}

const isoOrNull = (ms: number | null): string | null => (ms === null ? null : pythonIsoUtc(ms));

function lastWire(last: DataInterval | null): { start: string; end: string } | null {
  return last === null ? null : { start: pythonIsoUtc(last.start), end: pythonIsoUtc(last.end) };
}

function nextKey(dag: CustomTimetableDag, last: { start: string; end: string } | null, restriction: TimeRestriction): string {
  return ['next', dag.versionHash, last?.start ?? '', last?.end ?? '', isoOrNull(restriction.earliest) ?? '', isoOrNull(restriction.latest) ?? '', String(restriction.catchup)].join('|');
}

function failureText(dag: CustomTimetableDag, method: string, answer: Extract<TimetableWireAnswer, { ok: false }>): string {
  return `DAG ${dag.dagId}: custom timetable ${dag.timetable.className} failed in ${method}: ${answer.error.type}: ${answer.error.message}`;
}

function intervalOf(wire: { start: string; end: string }): DataInterval {
  return { start: parseInstant(wire.start, 'start'), end: parseInstant(wire.end, 'end') };
}

/** One question's answer; a shim that crashes or times out answers a TimetableEvaluationError. */
async function askOnce(evaluate: TimetableEvaluate, dag: CustomTimetableDag, request: TimetableRequest): Promise<TimetableWireAnswer> {
  try {
    const [answer] = await evaluate(dag, [request]);
    if (answer === undefined) throw new Error('the shim gave no answer');
    return answer;
  } catch (error) {
    return { ok: false, error: { type: 'TimetableEvaluationError', message: errorMessage(error) } };
  }
}

/** A custom timetable's failure as `dags errors` and `dags show` report it. */
export interface TimetableFailure {
  readonly dagId: string;
  /** The timetable's class (module.Class). */
  readonly timetable: string;
  readonly method: 'next_dagrun_info';
  /** The exception's class (TimetableEvaluationError when the shim timed out or crashed) and message. */
  readonly type: string;
  readonly message: string;
  readonly traceback: string;
}

/**
 * The scheduler's first question to a DAG's custom timetable (`next_dagrun_info` without a last interval, the
 * DAG's own restriction), asked once, uncached: its failure, or null when it answers.
 */
export async function firstNextRunFailure(evaluate: TimetableEvaluate, dag: CustomTimetableDag, restriction: TimeRestriction): Promise<TimetableFailure | null> {
  const answer = await askOnce(evaluate, dag, {
    kind: 'next', last: null, chain: 1,
    restriction: { earliest: isoOrNull(restriction.earliest), latest: isoOrNull(restriction.latest), catchup: restriction.catchup },
  });
  if (answer.ok) return null;
  return { dagId: dag.dagId, timetable: dag.timetable.className, method: 'next_dagrun_info', type: answer.error.type, message: answer.error.message, traceback: answer.error.traceback ?? '' };
}

/** Custom timetables answered by `evaluate`, cached as the module comment says. */
export function cachedCustomTimetables(options: CustomTimetablesOptions): CachedCustomTimetables {
  const maxAgeMs = options.maxAgeMs ?? 30_000;
  const chain = options.chain ?? 16;
  const maxEntries = options.maxEntries ?? 10_000;
  const clock = options.clock ?? Date.now;
  const cache = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<void>>();
  const stats: CustomTimetableStats = { hits: 0, misses: 0, evaluations: 0, failures: 0, lastEvaluationMs: null };

  const store = (key: string, outcome: Outcome<unknown>, at: number): void => {
    cache.delete(key);
    cache.set(key, { at, outcome });
    while (cache.size > maxEntries) {
      const oldest = cache.keys().next().value;
      if (oldest === undefined) break;
      cache.delete(oldest);
    }
  };

  const askOne = (dag: CustomTimetableDag, request: TimetableRequest): Promise<TimetableWireAnswer> => askOnce(options.evaluate, dag, request);

  /** Evaluates `request` once at a time per key; stores every answer it gets (a chain stores one per step). */
  const evaluate = (dag: CustomTimetableDag, key: string, request: TimetableRequest, method: string): Promise<void> => {
    const running = inFlight.get(key);
    if (running) return running;
    const started = clock();
    const work = (async () => {
      stats.evaluations += 1;
      const answer = await askOne(dag, request);
      const at = clock();
      stats.lastEvaluationMs = at - started;
      if (!answer.ok) {
        stats.failures += 1;
        const error = failureText(dag, method, answer);
        options.log.error('custom timetable failed', { dagId: dag.dagId, timetable: dag.timetable.className, method, error: `${answer.error.type}: ${answer.error.message}` });
        store(key, { ok: false, error }, at);
        return;
      }
      if ('interval' in answer) {
        store(key, { ok: true, value: intervalOf(answer.interval) }, at);
        return;
      }
      if (request.kind !== 'next') return;
      // Step i answers the question whose last interval is step i-1's data interval.
      let last = request.last;
      for (const info of answer.infos) {
        const stepKey = nextKey(dag, last, restrictionFromWire(request.restriction));
        const value: TimetableRunInfo | null = info === null ? null : { runAfter: parseInstant(info.runAfter, 'runAfter'), dataInterval: intervalOf(info) };
        store(stepKey, { ok: true, value }, at);
        if (value === null) break;
        last = { start: pythonIsoUtc(value.dataInterval.start), end: pythonIsoUtc(value.dataInterval.end) };
      }
    })().finally(() => inFlight.delete(key));
    inFlight.set(key, work);
    return work;
  };

  return {
    stats,
    peekNextDagRunInfo(dag, last, restriction) {
      const wireLast = lastWire(last);
      const key = nextKey(dag, wireLast, restriction);
      const entry = cache.get(key);
      const fresh = entry !== undefined && clock() - entry.at < maxAgeMs;
      if (!fresh) {
        const request: TimetableRequest = {
          kind: 'next',
          last: wireLast,
          restriction: { earliest: isoOrNull(restriction.earliest), latest: isoOrNull(restriction.latest), catchup: restriction.catchup },
          chain: restriction.catchup ? chain : 1,
        };
        void evaluate(dag, key, request, 'next_dagrun_info');
      }
      if (entry === undefined) {
        stats.misses += 1;
        return { status: 'pending' };
      }
      stats.hits += 1;
      // A stale answer is served while its evaluation runs again, except a stale failure: that one waits.
      if (!entry.outcome.ok) return fresh ? { status: 'failed', error: entry.outcome.error } : { status: 'pending' };
      return { status: 'ready', value: entry.outcome.value as TimetableRunInfo | null } satisfies TimetableAnswer<TimetableRunInfo | null>;
    },
    async inferManualDataInterval(dag, runAfter) {
      const runAfterIso = pythonIsoUtc(runAfter);
      const key = ['manual', dag.versionHash, runAfterIso].join('|');
      let entry = cache.get(key);
      if (entry === undefined || clock() - entry.at >= maxAgeMs) {
        stats.misses += 1;
        await evaluate(dag, key, { kind: 'manual', runAfter: runAfterIso }, 'infer_manual_data_interval');
        entry = cache.get(key);
      } else {
        stats.hits += 1;
      }
      if (entry === undefined) throw new DagbridgeError('TIMETABLE_FAILED', `DAG ${dag.dagId}: custom timetable ${dag.timetable.className} gave no answer`);
      if (!entry.outcome.ok) throw new DagbridgeError('TIMETABLE_FAILED', entry.outcome.error);
      return entry.outcome.value as DataInterval;
    },
    async backfillRunInfos(dag, earliest, latest, maxRuns) {
      const restriction = { earliest: pythonIsoUtc(earliest), latest: pythonIsoUtc(latest), catchup: true };
      const infos: TimetableRunInfo[] = [];
      let last: { start: string; end: string } | null = null;
      for (;;) {
        // One process answers a chain of next runs; a chain cut short (an error or a step that does not advance)
        // is asked again from its last answer, so the failing step answers its own error.
        const request: TimetableRequest = { kind: 'next', last, restriction, chain: BACKFILL_CHAIN };
        stats.evaluations += 1;
        const answer = await askOne(dag, request);
        if (!answer.ok) {
          stats.failures += 1;
          return { infos, error: failureText(dag, 'next_dagrun_info', answer) };
        }
        if (!('infos' in answer)) return { infos, error: `DAG ${dag.dagId}: custom timetable ${dag.timetable.className}: the shim answered a data interval, not next runs` };
        for (const info of answer.infos) {
          if (info === null) return { infos, error: null };
          const value: TimetableRunInfo = { runAfter: parseInstant(info.runAfter, 'runAfter'), dataInterval: intervalOf(info) };
          const previous = infos.at(-1);
          // Airflow would ask a timetable that stops advancing forever; the answer would not change.
          if (previous && value.dataInterval.start <= previous.dataInterval.start) return { infos, error: null };
          if (infos.length >= maxRuns) throw new DagbridgeError('USAGE', `backfill: the range holds more than ${maxRuns} runs; narrow --from/--to`);
          infos.push(value);
          last = { start: info.start, end: info.end };
        }
      }
    },
  };
}

/** Next runs one backfill evaluation asks for. */
const BACKFILL_CHAIN = 500;

function restrictionFromWire(wire: { earliest: string | null; latest: string | null; catchup: boolean }): TimeRestriction {
  return {
    earliest: wire.earliest === null ? null : parseInstant(wire.earliest, 'earliest'),
    latest: wire.latest === null ? null : parseInstant(wire.latest, 'latest'),
    catchup: wire.catchup,
  };
}

/** Options of {@link shimTimetableEvaluator}: the DAG code's world, as the export has it. */
export interface ShimTimetableOptions extends DagCodeSettings {
  dagsFolder: string;
  pluginsFolder?: string | null;
  python?: string;
  noAirflow?: boolean;
  /** Deadline of one evaluation, ms (config `timetableTimeoutSeconds`): then its process group is killed. */
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
}

/** A {@link TimetableEvaluate} that runs `python -m dagbridge_shim timetable`. */
export function shimTimetableEvaluator(options: ShimTimetableOptions): TimetableEvaluate {
  return async (dag, requests) => {
    const interpreter = await resolvePython(options.python);
    const args = ['-m', 'dagbridge_shim', 'timetable', '--dags-folder', options.dagsFolder];
    if (options.pluginsFolder) args.push('--plugins-folder', options.pluginsFolder);
    if (options.noAirflow) args.push('--no-airflow');
    const parentEnv = options.env ?? process.env;
    const env = shimProcessEnv(parentEnv, { passEnv: options.passEnv, pythonPath: options.pythonPath, inheritPythonPath: options.inheritPythonPath, ...PARSE_ALLOW });
    // Real Airflow's plugins manager reads its folder from its own setting.
    if (options.pluginsFolder) env.AIRFLOW__CORE__PLUGINS_FOLDER = options.pluginsFolder;
    const stdin = JSON.stringify({ timetable: dag.timetable.serialized, requests });
    const run = await runShim(interpreter.executable, args, env, options.timeoutMs, undefined, stdin);
    if (run.timedOut) {
      throw new Error(`no answer within ${options.timeoutMs / 1000} s (timetableTimeoutSeconds); its process was killed`);
    }
    if (run.spawnError) throw new Error(`could not start ${interpreter.executable}: ${run.spawnError.message}`);
    if (run.exitCode !== 0) throw new Error(`the shim exited ${run.exitCode ?? run.signal}: ${lastLine(run.stderrTail) || 'no output'}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(run.stdout);
    } catch (cause) {
      throw new Error(`the shim's answer is not JSON (${(cause as Error).message})`);
    }
    const answers = wireAnswers.safeParse(parsed);
    if (!answers.success || answers.data.answers.length !== requests.length) throw new Error(`the shim's answer has the wrong shape: ${run.stdout.slice(0, 200)}`);
    return answers.data.answers;
  };
}

/** The settings {@link customTimetablesOf} reads (a subset of the configuration). */
export interface CustomTimetableSettings extends DagCodeSettings {
  readonly dagsFolder: string;
  readonly pluginsFolder: string | null;
  readonly python: string;
  readonly noAirflow: boolean;
  readonly timetableTimeoutSeconds: number;
  readonly parseIntervalSeconds: number;
}

/**
 * The custom timetables of a deployment: evaluated by the shim with the configured folders and interpreter, each
 * answer kept for one parse interval (Airflow asks again at each parse of the DAG file).
 */
export function customTimetablesOf(settings: CustomTimetableSettings, log: Logger): CachedCustomTimetables {
  return cachedCustomTimetables({ evaluate: timetableEvaluatorOf(settings), log, maxAgeMs: settings.parseIntervalSeconds * 1000 });
}

/** The shim evaluator of a deployment's custom timetables (no cache). */
export function timetableEvaluatorOf(settings: Omit<CustomTimetableSettings, 'parseIntervalSeconds'>): TimetableEvaluate {
  return shimTimetableEvaluator({
    dagsFolder: settings.dagsFolder,
    pluginsFolder: settings.pluginsFolder,
    python: settings.python,
    noAirflow: settings.noAirflow,
    timeoutMs: settings.timetableTimeoutSeconds * 1000,
    passEnv: settings.passEnv,
    pythonPath: settings.pythonPath,
    inheritPythonPath: settings.inheritPythonPath,
  });
}
