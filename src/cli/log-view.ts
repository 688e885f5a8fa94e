/**
 * How `tasks logs` prints a stored log line for people: `STREAM | text`. Every line carries the stream it was
 * stored with (`stdout`, `stderr`, or `system` for dagbridge's own lines), which task output cannot choose, so
 * a task that prints `dagbridge: try 1 finished: success` still shows as `stdout | ...`. The text has its control
 * characters escaped (see terminal-text.ts): escape sequences in task output reach no terminal. `--json` gives
 * the stored lines unchanged.
 */
import type { LogLine } from '../ports/metadata-store.js';
import { escapeControls } from '../lib/terminal-text.js';

/** One stored line as `tasks logs` prints it, without its newline. */
export function renderLogLine(line: Pick<LogLine, 'stream' | 'line' | 'at'>, options: { timestamps?: boolean } = {}): string {
  const time = options.timestamps ? `${new Date(line.at).toISOString()} ` : '';
  return `${time}${line.stream.padEnd(6)} | ${escapeControls(line.line)}`;
}
