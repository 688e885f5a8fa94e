/**
 * SQL statements and Redis commands of bench processes, counted by the preload bench/support/count-calls.mjs:
 * the node options and environment that load it into a process, a snapshot of a running process's counts (it
 * writes them on SIGUSR2), and the difference of two snapshots per task.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const PRELOAD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'count-calls.mjs');

/** Counts of one process (the preload's JSON). */
export interface CallCounts {
  sql: { total: number; byKind: Record<string, number> };
  redis: { commands: number; roundTrips: number; byCommand: Record<string, number> };
}

/** Node options and environment that make a process count its calls into `file`. */
export function countCallsSetup(file: string): { nodeArgs: string[]; env: Record<string, string> } {
  return { nodeArgs: ['--import', PRELOAD], env: { DAGBRIDGE_BENCH_COUNT_CALLS: file } };
}

/** The counts of the running process `pid` so far: asks it to write them (SIGUSR2) and reads them. */
export async function snapshotCalls(pid: number, file: string): Promise<CallCounts> {
  rmSync(file, { force: true });
  process.kill(pid, 'SIGUSR2');
  for (let waited = 0; waited < 5_000; waited += 20) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as CallCounts;
    } catch {
      // Not written (or not complete) yet.
      await sleep(20);
    }
  }
  throw new Error(`process ${pid} wrote no call counts to ${file} (is bench/support/count-calls.mjs loaded?)`);
}

function subtract(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, n] of Object.entries(after)) if (n - (before[name] ?? 0) > 0) out[name] = n - (before[name] ?? 0);
  return out;
}

/** `after - before`, summed over processes. */
export function callsBetween(pairs: ReadonlyArray<{ before: CallCounts; after: CallCounts }>): CallCounts {
  const total: CallCounts = { sql: { total: 0, byKind: {} }, redis: { commands: 0, roundTrips: 0, byCommand: {} } };
  const add = (into: Record<string, number>, from: Record<string, number>): void => {
    for (const [name, n] of Object.entries(from)) into[name] = (into[name] ?? 0) + n;
  };
  for (const { before, after } of pairs) {
    total.sql.total += after.sql.total - before.sql.total;
    add(total.sql.byKind, subtract(after.sql.byKind, before.sql.byKind));
    total.redis.commands += after.redis.commands - before.redis.commands;
    total.redis.roundTrips += after.redis.roundTrips - before.redis.roundTrips;
    add(total.redis.byCommand, subtract(after.redis.byCommand, before.redis.byCommand));
  }
  return total;
}

/** One line: statements and commands per task, with the kinds that make them up. */
export function describeCallsPerTask(calls: CallCounts, tasks: number): string {
  const per = (n: number): string => (n / tasks).toFixed(2);
  const parts = (table: Record<string, number>): string =>
    Object.entries(table).sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${per(n)}`).join(', ');
  return `SQL statements ${per(calls.sql.total)} (${parts(calls.sql.byKind)}); Redis commands ${per(calls.redis.commands)} in ${per(calls.redis.roundTrips)} round trips (${parts(calls.redis.byCommand)})`;
}
