/**
 * Streams an attempt's log lines to the store in batches while the task runs (one INSERT per batch, not per
 * line), so the log is readable from any machine within about `flushMs`. Writes are serialised and never
 * block the task's pipes; a failed write is retried with the next batch and reported once.
 */
import type { LogLine as StoredLogLine, MetadataStore, TaskInstanceKey } from '../ports/metadata-store.js';
import type { Logger } from '../lib/logger.js';
import { errorMessage } from '../lib/errors.js';

/** Batches of log lines for one attempt. */
export class LogBatcher {
  private buffer: StoredLogLine[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private failed = false;

  constructor(
    private readonly store: Pick<MetadataStore, 'appendLogLines'>,
    private readonly key: TaskInstanceKey,
    private readonly tryNumber: number,
    private readonly log: Logger,
    private readonly options: { flushMs?: number; maxBatch?: number; onLine?: (line: StoredLogLine) => void } = {},
  ) {}

  /** Adds one line (stdout, stderr, or a `system` line written by dagbridge itself). */
  add(stream: StoredLogLine['stream'], line: string, at: number): void {
    const entry = { seq: this.seq++, at, stream, line };
    this.buffer.push(entry);
    this.options.onLine?.(entry);
    if (this.buffer.length >= (this.options.maxBatch ?? 1_000)) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.flushMs ?? 200);
  }

  /** Writes what is buffered (after any write under way). */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.buffer.length === 0) return this.writing;
    const batch = this.buffer;
    this.buffer = [];
    this.writing = this.writing.then(async () => {
      try {
        await this.store.appendLogLines(this.key, this.tryNumber, batch);
      } catch (error) {
        // Keep the lines for the next attempt at writing; say so once per attempt.
        this.buffer = [...batch, ...this.buffer];
        if (!this.failed) this.log.warn('could not store task log lines; will retry', { error: errorMessage(error) });
        this.failed = true;
      }
    });
    return this.writing;
  }

  /** Final flush: tries a few times before giving up (the outcome is recorded either way). */
  async close(): Promise<void> {
    for (let attempt = 0; attempt < 3 && (this.buffer.length > 0 || attempt === 0); attempt++) await this.flush();
  }
}
