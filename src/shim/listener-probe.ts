/**
 * `python -m dagbridge_shim listeners`: which listener hooks the plugins folder's plugins implement. The scheduler
 * asks once at start, as Airflow 2.10.5's scheduler integrates its plugins' listeners once per process; without a
 * plugins folder nothing is started and the answer is empty, so runs without listeners pay nothing
 * (docs/dag-callbacks.md).
 */
import path from 'node:path';
import { z } from 'zod';
import { dagRunHooksOf, type DagRunHook } from '../dag/dag-run-listeners.js';
import { ShimError, errorMessage } from '../lib/errors.js';
import type { Logger } from '../lib/logger.js';
import type { DagCodeSettings } from './python.js';
import { PARSE_ALLOW, resolvePython, shimProcessEnv } from './python.js';

/** What the probe needs: the deployment's folders, interpreter and DAG-code settings. */
export interface ListenerProbeOptions extends DagCodeSettings {
  readonly dagsFolder: string;
  readonly pluginsFolder: string | null;
  readonly python?: string | null;
  readonly noAirflow: boolean;
  readonly processEnv?: NodeJS.ProcessEnv;
}

const answerSchema = z.object({ hooks: z.array(z.string()) });

/** The listener hook names some plugin listener implements (empty without a plugins folder). */
export async function probeListenerHooks(options: ListenerProbeOptions): Promise<string[]> {
  if (!options.pluginsFolder) return [];
  const interpreter = await resolvePython(options.python ?? undefined);
  const folder = path.resolve(options.pluginsFolder);
  const env = shimProcessEnv(options.processEnv ?? process.env, {
    passEnv: options.passEnv,
    pythonPath: [...(options.pythonPath ?? []), folder],
    inheritPythonPath: options.inheritPythonPath,
    ...PARSE_ALLOW,
  });
  const args = ['-m', 'dagbridge_shim', 'listeners', '--dags-folder', path.resolve(options.dagsFolder), ...(options.noAirflow ? ['--no-airflow'] : [])];
  let stdout: string;
  try {
    const { execa } = await import('execa');
    ({ stdout } = await execa(interpreter.executable, args, {
      env: { ...env, AIRFLOW__CORE__PLUGINS_FOLDER: folder },
      extendEnv: false,
      timeout: 120_000,
      stdin: 'ignore',
    }));
  } catch (cause) {
    throw new ShimError('SHIM_FAILED', `could not load the plugins of ${folder} to find their listeners: ${errorMessage(cause).split('\n')[0] ?? ''}`, { cause });
  }
  const parsed = answerSchema.safeParse(JSON.parse(stdout.trim().split('\n').pop() ?? '{}'));
  if (!parsed.success) throw new ShimError('SHIM_FAILED', `the listener probe of ${folder} answered ${stdout.slice(0, 200)}`);
  return parsed.data.hooks;
}

/**
 * The DAG-run hooks of the deployment's plugin listeners, for a scheduler at start. A probe that fails is logged
 * and gives none: the scheduler runs on without calling listeners rather than not at all.
 */
export async function dagRunHooksAtStart(options: ListenerProbeOptions, log: Logger): Promise<ReadonlySet<DagRunHook>> {
  try {
    const hooks = dagRunHooksOf(await probeListenerHooks(options));
    if (hooks.size > 0) log.info('plugin listeners implement DAG-run hooks; the scheduler calls them', { hooks: [...hooks].join(',') });
    return hooks;
  } catch (error) {
    log.error('could not find the plugins\' listeners; no DAG-run listener hook will be called', { error: errorMessage(error) });
    return new Set();
  }
}
