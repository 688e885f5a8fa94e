/**
 * Output helpers shared by every command: `--json` documents on stdout, aligned tables for people.
 */
import { escapeControls } from '../lib/terminal-text.js';

/** Writes a JSON document to stdout (machine-readable output of `--json`). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes lines to stdout. */
export function printLines(lines: readonly string[]): void {
  if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
}

/** Display width of a string, ignoring ANSI colour sequences. */
function width(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}

/** Renders rows as an aligned table with a header line; empty cells print as `-`. */
export function renderTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>): string[] {
  const cells = rows.map((row) => headers.map((_, i) => {
    const value = row[i];
    return value === null || value === undefined || value === '' ? '-' : escapeControls(String(value));
  }));
  const widths = headers.map((header, i) => Math.max(width(header), ...cells.map((row) => width(row[i] ?? ''))));
  const line = (values: readonly string[]): string =>
    values.map((value, i) => (i === values.length - 1 ? value : value + ' '.repeat((widths[i] ?? 0) - width(value)))).join('  ').trimEnd();
  return [line(headers.map((h) => h.toUpperCase())), ...cells.map(line)];
}

/** A duration in seconds as `1.2s`, `3m04s`, `2h05m`. */
export function formatSeconds(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '-';
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(2) : seconds.toFixed(1)}s`;
  // Round the total first, so 599.6 s reads 10m00s, never 9m60s.
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
