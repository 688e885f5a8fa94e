/**
 * Running `python -m dagbridge_shim export` and reading its DAG bundle. The shim is the only code that imports
 * DAG files; this side never executes Python itself.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { parseBundle, type DagBundle } from '../dag/bundle.js';
import { ShimError } from '../lib/errors.js';
import { PARSE_ALLOW, resolvePython, shimProcessEnv } from './python.js';

/** What to export. */
export interface ExportOptions {
  /** The DAGs folder (must exist). */
  dagsFolder: string;
  /** Interpreter to run the shim with (default `python3`). */
  python?: string;
  /** Plugins folder put on sys.path. */
  pluginsFolder?: string | null;
  /** Use stand-ins even when Airflow is importable. */
  noAirflow?: boolean;
  /** Only these files (relative to the DAGs folder); the rest of the bundle is left out. */
  files?: readonly string[];
  /** Per-file import timeout (shim default 30 s). */
  fileTimeoutSeconds?: number;
  /** A file where the shim keeps each DAG file's export by content hash: unchanged files are not imported again. */
  cachePath?: string;
  /**
   * The parent environment the shim's is taken from (default `process.env`). Only the task allow-list passes
   * (src/shim/allowed-env.ts, with AIRFLOW_VAR_* and AIRFLOW_CONN_*), plus `passEnv`: DAG files at parse time
   * never see the database or Redis URL.
   */
  env?: NodeJS.ProcessEnv;
  /** Extra parent variables DAG files may read at parse time (config `passEnv`: names or `PREFIX_*`). */
  passEnv?: readonly string[];
}

/** Checks that `folder` is a directory, with an error that says what to do. */
export function assertDagsFolder(folder: string): string {
  const absolute = path.resolve(folder);
  let isDirectory = false;
  try {
    isDirectory = statSync(absolute).isDirectory();
  } catch {
    // Missing or unreadable: reported below with the fix.
  }
  if (!isDirectory) {
    throw new ShimError(
      'DAGS_FOLDER_NOT_FOUND',
      `DAGs folder ${absolute} does not exist or is not a directory; pass --dags-folder DIR or set DAGBRIDGE_DAGS_FOLDER`,
    );
  }
  return absolute;
}

/** Exports a DAG folder to a validated bundle. */
export async function exportDags(options: ExportOptions): Promise<DagBundle> {
  const dagsFolder = assertDagsFolder(options.dagsFolder);
  const interpreter = await resolvePython(options.python);
  const args = ['-m', 'dagbridge_shim', 'export', '--dags-folder', dagsFolder];
  if (options.pluginsFolder) args.push('--plugins-folder', path.resolve(options.pluginsFolder));
  if (options.noAirflow) args.push('--no-airflow');
  if (options.fileTimeoutSeconds !== undefined) args.push('--file-timeout', String(options.fileTimeoutSeconds));
  if (options.files && options.files.length > 0) args.push('--files', ...options.files);
  if (options.cachePath) args.push('--cache', options.cachePath);

  const result = await execa(interpreter.executable, args, {
    env: shimProcessEnv(options.env ?? process.env, { passEnv: options.passEnv ?? [], ...PARSE_ALLOW }),
    extendEnv: false,
    reject: false,
    maxBuffer: 512 * 1024 * 1024,
    stripFinalNewline: false,
  });
  if (result.exitCode !== 0 || result.failed) {
    const lastLine = String(result.stderr ?? '').trim().split('\n').pop() || result.shortMessage || 'no output';
    throw new ShimError(
      'SHIM_FAILED',
      `exporting ${dagsFolder} with ${interpreter.executable} failed (exit ${result.exitCode ?? result.signal}): ${lastLine}`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(result.stdout));
  } catch (cause) {
    throw new ShimError('SHIM_FAILED', `the shim's export of ${dagsFolder} is not JSON (${(cause as Error).message}); is dagbridge_shim from this dagbridge version?`, { cause });
  }
  return parseBundle(parsed, `DAG bundle of ${dagsFolder}`);
}

/**
 * Repeated exports of one folder (the scheduler's parse loop): files whose content did not change are taken from
 * the shim's cache, and every `fullEvery`-th export imports everything again, so changes a cache cannot see (a
 * helper module, an Airflow Variable read at parse time) are picked up within that many intervals.
 */
export function cachedExporter(options: Omit<ExportOptions, 'cachePath'> & { cacheDir: string; fullEvery?: number }): () => Promise<DagBundle> {
  const folder = path.resolve(options.dagsFolder);
  const cachePath = path.join(options.cacheDir, `export-cache-${createHash('sha256').update(folder).digest('hex').slice(0, 12)}.json`);
  let exports = 0;
  return async () => {
    mkdirSync(options.cacheDir, { recursive: true });
    if (exports % (options.fullEvery ?? 10) === 0) rmSync(cachePath, { force: true });
    exports += 1;
    return exportDags({ ...options, cachePath });
  };
}
