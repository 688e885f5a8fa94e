import { describe, expect, it } from 'vitest';
import { BUNDLE_SCHEMA_VERSION, type DagBundle } from '../dag/bundle.js';
import { silentLogger } from '../lib/logger.js';
import { MemoryStore } from '../ports/memory-store.js';
import { DagProcessor, type ExportBundle } from './dag-processor.js';

const T0 = Date.parse('2024-06-01T00:00:00Z');
const BUNDLE: DagBundle = {
  schemaVersion: BUNDLE_SCHEMA_VERSION,
  generator: { name: 'test', version: '0', python: '3.11.0', pythonExecutable: 'python3', mode: 'standin', airflowVersion: null },
  dagsFolder: '/dags', files: [], importErrors: [], dags: [],
};

function processor(exportBundle: ExportBundle, clock: { now: number }, parseTimeoutMs = 60_000): DagProcessor {
  return new DagProcessor({
    store: new MemoryStore(), exportBundle, log: silentLogger, parseIntervalMs: 30_000, parseTimeoutMs,
    staleAfterMs: 600_000, clock: () => clock.now,
  });
}

describe('DagProcessor', () => {
  it('starts a parse only when one is due and none runs, without waiting for it', async () => {
    const clock = { now: T0 };
    let calls = 0;
    let release: () => void = () => undefined;
    const dp = processor((signal) => {
      calls += 1;
      return new Promise<DagBundle>((resolve, reject) => {
        release = () => resolve(BUNDLE);
        signal.addEventListener('abort', () => reject(new Error('stopped')));
      });
    }, clock);
    expect(dp.startIfDue()).toBe(true);
    expect(dp.startIfDue()).toBe(false);
    clock.now += 60_000;
    expect(dp.startIfDue()).toBe(false); // the first one still runs
    await new Promise((resolve) => setImmediate(resolve)); // the export has been called
    release();
    await dp.parseNow();
    expect(calls).toBe(1);
    expect(dp.lastSuccessAt).toBe(clock.now);
    expect(dp.startIfDue()).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    await dp.stop();
    expect(calls).toBe(2);
    expect(dp.lastError).toBe('stopped');
  });

  it('ends a parse at its deadline, aborting the export, even when the export ignores the abort', async () => {
    const clock = { now: T0 };
    let aborted = false;
    const dp = processor((signal) => {
      signal.addEventListener('abort', () => (aborted = true));
      return new Promise<DagBundle>(() => undefined);
    }, clock, 20);
    const outcome = await dp.parseNow();
    expect(aborted).toBe(true);
    expect(outcome).toMatchObject({ ok: false, timedOut: true });
    expect(dp.lastError).toContain('did not finish within 0.02 s (parseTimeoutSeconds, env DAGBRIDGE_PARSE_TIMEOUT_SECONDS)');
    expect(dp.parsing).toBe(false);
  });

  it('health fails while a parse runs past its deadline, and when no parse succeeded for the stale bound', async () => {
    const clock = { now: T0 };
    const dp = processor(() => new Promise<DagBundle>(() => undefined), clock, 3_600_000);
    expect(dp.health()).toMatchObject({ name: 'parse', ok: true });
    dp.startIfDue();
    clock.now += 3_600_001;
    const stuck = dp.health();
    expect(stuck.ok).toBe(false);
    expect(stuck.detail).toContain('past its 3600 s deadline');

    const failing = processor(() => Promise.reject(new Error('exit 1: SyntaxError')), clock);
    await failing.parseNow();
    expect(failing.health()).toMatchObject({ ok: true });
    clock.now += 600_001;
    const stale = failing.health();
    expect(stale.ok).toBe(false);
    expect(stale.detail).toContain('no parse has succeeded yet');
    expect(stale.detail).toContain('last error: exit 1: SyntaxError');
  });
});
