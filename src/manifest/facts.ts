/**
 * Facts about a Python environment, as `python -m dagbridge_shim.facts` reports them: the interpreter, the
 * PEP 508 marker values, installed distributions, the module -> distribution map, the standard library's
 * module names, and whether requested executables are on PATH and environment variables are set.
 * One process start; the probe runs with the same PYTHONPATH that task processes get (`shimEnvironment()`),
 * so it sees the distributions that tasks will import.
 */
import { z } from 'zod';
import { formatIssuePath } from '../dag/bundle.js';
import { ShimError } from '../lib/errors.js';
import { PARSE_ALLOW, resolvePython, shimProcessEnv } from '../shim/python.js';
import { MARKER_VARIABLES } from './markers.js';

/** Version of the facts document this build reads. */
export const FACTS_VERSION = 1;

const markerShape = Object.fromEntries(MARKER_VARIABLES.filter((name) => name !== 'extra').map((name) => [name, z.string()])) as Record<
  Exclude<(typeof MARKER_VARIABLES)[number], 'extra'>,
  z.ZodString
>;

/** The facts document (`python -m dagbridge_shim.facts`). */
export const factsSchema = z.object({
  factsVersion: z.literal(FACTS_VERSION),
  python: z.object({ version: z.string(), implementation: z.string(), executable: z.string() }),
  markers: z.object(markerShape),
  /** PEP 503 normalised distribution name -> installed version. */
  distributions: z.record(z.string()),
  /** Top-level module -> normalised names of the distributions that provide it; null when not collected. */
  modules: z.record(z.array(z.string())).nullable(),
  stdlibModules: z.array(z.string()),
  /** Requested executable -> its path on PATH, or null. */
  executables: z.record(z.string().nullable()),
  /** Requested variable name -> whether it is set. */
  env: z.record(z.boolean()),
  seconds: z.number(),
});
export type PythonFacts = z.infer<typeof factsSchema>;

/** What to ask the probe. */
export interface CollectFactsOptions {
  /** Interpreter to probe (`python3`, a path); resolved to its real executable. */
  readonly python: string;
  readonly executables?: readonly string[];
  readonly env?: readonly string[];
  /** Collect the module -> distribution map (needed by `manifest generate`; costs reading every RECORD). */
  readonly modules?: boolean;
  /**
   * The parent environment (default: this process's). The probe sees only what a task would: the allow-list
   * plus the variables asked about in `env`; executables are looked up on its PATH.
   */
  readonly processEnv?: NodeJS.ProcessEnv;
}

/** Runs the facts probe in `python`. Throws ShimError when the interpreter cannot run it or answers badly. */
export async function collectFacts(options: CollectFactsOptions): Promise<PythonFacts> {
  const interpreter = await resolvePython(options.python);
  const args = ['-m', 'dagbridge_shim.facts'];
  if (options.executables && options.executables.length > 0) args.push('--executables', options.executables.join(','));
  if (options.env && options.env.length > 0) args.push('--env', options.env.join(','));
  if (!options.modules) args.push('--no-modules');
  let stdout: string;
  try {
    // Loaded when a Python is run: commands that only read the metadata database start without it.
    const { execa } = await import('execa');
    ({ stdout } = await execa(interpreter.executable, args, {
      env: shimProcessEnv(options.processEnv ?? process.env, { passEnv: options.env ?? [], ...PARSE_ALLOW }),
      extendEnv: false,
      timeout: 60_000,
      stdin: 'ignore',
    }));
  } catch (cause) {
    throw new ShimError('SHIM_FAILED', `the facts probe failed in ${interpreter.executable}: ${firstLine(cause)}`, { cause });
  }
  return parseFacts(stdout, interpreter.executable);
}

/** Parses and validates the probe's stdout. */
export function parseFacts(stdout: string, source: string): PythonFacts {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch (cause) {
    throw new ShimError('SHIM_FAILED', `the facts probe in ${source} did not print JSON: ${stdout.slice(0, 120)}`, { cause });
  }
  const result = factsSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ShimError('SHIM_FAILED', `the facts probe in ${source} answered badly: ${formatIssuePath(issue?.path ?? []) || '(root)'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}

function firstLine(thrown: unknown): string {
  const record = thrown as { stderr?: unknown; shortMessage?: unknown; message?: unknown };
  const stderr = typeof record.stderr === 'string' ? record.stderr.trim().split('\n').pop() : undefined;
  if (stderr) return stderr;
  return String(record.shortMessage ?? record.message ?? thrown);
}
