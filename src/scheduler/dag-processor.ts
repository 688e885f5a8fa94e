/**
 * The DAG processor: parses the DAG folder (the shim, in a process group of its own) and writes the bundle, the
 * DAG versions and the import errors to the store. It runs beside the scheduler loop, never inside it: the loop
 * asks it to start a parse when one is due and goes on at once, so a slow or stuck DAG file cannot hold queueing,
 * run creation or lease repair. It runs in the scheduler process (the default) or as its own service
 * (`dagbridge dag-processor`, with `dagbridge scheduler --standalone-dag-processor`), like Airflow's.
 *
 * Invariants: at most one parse at a time per processor; each parse has a total deadline after which its export is
 * aborted (the shim's process group is killed) and the parse counts as failed; a failed parse keeps what is stored.
 * Two processors (two schedulers) may parse the same folder: `syncBundle` is idempotent per bundle content.
 */
import type { DagBundle } from '../dag/bundle.js';
import { errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import type { ManifestPublisher } from './manifest-publisher.js';

/** Exports the DAG folder; must stop (reject) soon after `signal` aborts. */
export type ExportBundle = (signal: AbortSignal) => Promise<DagBundle>;

/** Settings and collaborators of a DAG processor. */
export interface DagProcessorOptions {
  store: Pick<MetadataStore, 'syncBundle'>;
  exportBundle: ExportBundle;
  /** Publishes the repo's dependency manifest before each parse (cluster mode with `--manifest`). */
  manifestPublisher?: Pick<ManifestPublisher, 'publish'>;
  log: Logger;
  /** Time between the start of one parse and the next. */
  parseIntervalMs: number;
  /** Total deadline of one parse (config `parseTimeoutSeconds`, default 300 s). */
  parseTimeoutMs: number;
  /** Health fails when no parse has succeeded for this long (config `parseStaleAfterSeconds`, default 600 s). */
  staleAfterMs: number;
  /** Newly seen DAGs start paused (Airflow's dags_are_paused_at_creation); default false. */
  pausedOnCreation?: boolean;
  /** Wall clock (tests); default Date.now. */
  clock?: () => number;
}

/** One check of `/health` (the shape of src/http's HealthCheck). */
export interface ParseHealthCheck {
  readonly name: 'parse';
  readonly ok: boolean;
  readonly detail: string;
}

/** How the last parse ended. */
export type ParseOutcome = { ok: true; at: number } | { ok: false; at: number; error: string; timedOut: boolean };

/** Parses the DAG folder on request, one parse at a time, each under a deadline. */
export class DagProcessor {
  private readonly clock: () => number;
  private readonly createdAt: number;
  private current: Promise<ParseOutcome> | null = null;
  private currentSince: number | null = null;
  private controller: AbortController | null = null;
  private nextParseAt = 0;
  /** Time of the last successful parse. */
  lastSuccessAt: number | null = null;
  /** The last parse's error, null after a success. */
  lastError: string | null = null;

  constructor(private readonly options: DagProcessorOptions) {
    this.clock = options.clock ?? Date.now;
    this.createdAt = this.clock();
  }

  /** Whether a parse is in progress. */
  get parsing(): boolean {
    return this.current !== null;
  }

  /**
   * Starts a parse when one is due and none is running; never waits for it (the scheduler loop calls this every
   * iteration). Returns whether a parse was started.
   */
  startIfDue(now = this.clock()): boolean {
    if (this.current !== null || now < this.nextParseAt) return false;
    void this.parseNow(now);
    return true;
  }

  /**
   * Parses now (or joins the parse in progress) and resolves with its outcome; never rejects. `now` stamps the
   * sync. Standalone awaits one before it starts; the loop uses `startIfDue`.
   */
  parseNow(now = this.clock()): Promise<ParseOutcome> {
    if (this.current) return this.current;
    const startedAt = now;
    this.nextParseAt = startedAt + this.options.parseIntervalMs;
    const controller = new AbortController();
    this.controller = controller;
    this.currentSince = startedAt;
    const parse = this.parseOnce(startedAt, controller).finally(() => {
      this.current = null;
      this.currentSince = null;
      this.controller = null;
    });
    this.current = parse;
    return parse;
  }

  private async parseOnce(startedAt: number, controller: AbortController): Promise<ParseOutcome> {
    const timeoutMs = this.options.parseTimeoutMs;
    let timedOut = false;
    let onDeadline: () => void = () => undefined;
    const deadlinePassed = new Promise<never>((_, reject) => {
      onDeadline = () => reject(new Error(`the parse of the DAG folder did not finish within ${timeoutMs / 1000} s (parseTimeoutSeconds, env DAGBRIDGE_PARSE_TIMEOUT_SECONDS); its processes were killed and the stored DAGs kept`));
    });
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
      onDeadline();
    }, timeoutMs);
    deadlinePassed.catch(() => undefined);
    try {
      // The deadline holds even for an export that ignores its signal: the parse ends, the export is left to fail.
      await Promise.race([this.exportAndSync(startedAt, controller.signal), deadlinePassed]);
      this.lastSuccessAt = this.clock();
      this.lastError = null;
      return { ok: true, at: this.lastSuccessAt };
    } catch (error) {
      // Keep scheduling what is stored: a broken export must not stop runs in flight.
      this.lastError = errorMessage(error);
      this.options.log.error('could not parse the DAG folder; keeping the DAGs stored', { error: this.lastError });
      return { ok: false, at: this.clock(), error: this.lastError, timedOut };
    } finally {
      clearTimeout(timer);
    }
  }

  private async exportAndSync(now: number, signal: AbortSignal): Promise<void> {
    await this.options.manifestPublisher?.publish(now);
    if (signal.aborted) throw new Error('the parse was stopped');
    const bundle = await this.options.exportBundle(signal);
    if (signal.aborted) return;
    const report = await this.options.store.syncBundle(bundle, now, { pausedOnCreation: this.options.pausedOnCreation });
    if (report.added.length + report.updated.length + report.deactivated.length > 0) {
      this.options.log.info('DAG folder synced', { added: report.added.length, updated: report.updated.length, deactivated: report.deactivated.length, importErrors: report.importErrors });
    }
  }

  /**
   * The `parse` check of `/health`: fails while a parse has run past its deadline (stuck: its processes did not
   * go), and when no parse has succeeded for `staleAfterMs` (since start when none has yet).
   */
  health(now = this.clock()): ParseHealthCheck {
    const { staleAfterMs, parseTimeoutMs } = this.options;
    const runningFor = this.currentSince === null ? null : now - this.currentSince;
    const since = this.lastSuccessAt ?? this.createdAt;
    const last = this.lastSuccessAt === null ? `no parse has succeeded yet (started ${seconds(now - this.createdAt)} ago)` : `last successful parse ${seconds(now - this.lastSuccessAt)} ago`;
    const error = this.lastError ? `; last error: ${this.lastError}` : '';
    if (runningFor !== null && runningFor > parseTimeoutMs) {
      return { name: 'parse', ok: false, detail: `a parse has been running for ${seconds(runningFor)}, past its ${seconds(parseTimeoutMs)} deadline; ${last}${error}` };
    }
    const ok = now - since <= staleAfterMs;
    const running = runningFor === null ? '' : `; a parse is running (${seconds(runningFor)})`;
    return { name: 'parse', ok, detail: `${last} (stale after ${seconds(staleAfterMs)})${running}${error}` };
  }

  /** Aborts the parse in progress (its process group is killed) and waits for it to end. Idempotent. */
  async stop(): Promise<void> {
    this.nextParseAt = Number.POSITIVE_INFINITY;
    this.controller?.abort();
    await this.current;
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
