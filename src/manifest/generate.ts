/**
 * `manifest generate`: a manifest from what the DAG files import, resolved to distributions in the
 * interpreter that generates it (its facts' module map), pinned `==` or `>=` the installed version.
 *
 * Left out: the standard library, Airflow itself (`airflow`, `apache-airflow*`), and the DAG repo's own modules
 * (files and packages in the DAGs folder, the plugins folder and an `include/` folder beside the DAGs).
 *
 * Grouping by queue: a worker must import a DAG file to run any of its tasks, so a file's imports are needed
 * on every queue that one of its tasks runs on. A distribution goes to `queues.<q>` when every file that imports
 * it has tasks on queue `q` only; it goes to the top level when its files' tasks span several queues, when a
 * file that imports it defines no DAG (a helper, or a file that failed to import), or when the whole bundle uses
 * a single queue (then queue sections would only repeat the top level).
 *
 * pendulum (a dependency of Airflow that DAG files import) is pinned like any distribution when the generating
 * interpreter has it installed: the DAGs were written against the real one, and the shim's stand-in is not a
 * distribution, so a worker with only the stand-in does not satisfy it. When the generating interpreter lacks it,
 * the shim's stand-in served the import there: it is listed in `standins`, not required (a worker running
 * Apache Airflow has pendulum from Airflow, any other worker has the stand-in). docs/dependency-manifest.md.
 */
import { readdirSync, type Dirent } from 'node:fs';
import path from 'node:path';
import type { DagBundle } from '../dag/bundle.js';
import type { PythonFacts } from './facts.js';
import { MANIFEST_VERSION, type ManifestFile } from './manifest.js';
import { normalizeName } from './names.js';
import { isValidVersion } from './version-match.js';

/** How generated requirements are pinned. */
export type PinStyle = 'exact' | 'minimum';

/** Options of `generateManifest`. */
export interface GenerateOptions {
  readonly bundle: DagBundle;
  /** Facts of the generating interpreter, with its module map (`collectFacts({modules: true})`). */
  readonly facts: PythonFacts;
  readonly pin: PinStyle;
  /** Top-level module names that belong to the DAG repo (see `localModuleNames`). */
  readonly localModules?: readonly string[];
}

/** A module no distribution could be found for. */
export interface UnresolvedModule {
  readonly module: string;
  /** DAG files that import it, relative to the DAGs folder. */
  readonly files: readonly string[];
  readonly reason: string;
  /** Distributions that provide a module of that name, when several do. */
  readonly candidates: readonly string[];
}

/**
 * Modules the shim stands in for when an interpreter has no distribution of them
 * (python-shim/dagbridge_shim/fallbacks), with the distribution the real module comes from.
 */
export const SHIM_FALLBACK_MODULES: Readonly<Record<string, string>> = { pendulum: 'pendulum' };

/** A module the generating interpreter lacks and the shim's stand-in served: listed, not required. */
export interface StandinModule {
  readonly module: string;
  /** The distribution that would provide the real module (`pendulum`). */
  readonly distribution: string;
  /** DAG files that import it, relative to the DAGs folder. */
  readonly files: readonly string[];
  readonly reason: string;
}

/** Where a generated requirement came from. */
export interface GeneratedRequirement {
  readonly distribution: string;
  readonly requirement: string;
  readonly modules: readonly string[];
  readonly files: readonly string[];
  /** `null`: the top level. */
  readonly queue: string | null;
}

/** The result: the manifest document to write, what went where, and what could not be resolved. */
export interface GenerateResult {
  readonly manifest: ManifestFile;
  readonly requirements: readonly GeneratedRequirement[];
  readonly unresolved: readonly UnresolvedModule[];
  /** Modules served by the shim's stand-in in the generating interpreter (not in the manifest). */
  readonly standins: readonly StandinModule[];
}

const AIRFLOW_MODULES = new Set(['airflow']);

function isAirflowDistribution(name: string): boolean {
  return name === 'apache-airflow' || name.startsWith('apache-airflow-');
}

/** Builds a manifest from a bundle's imports. Pure. */
export function generateManifest(options: GenerateOptions): GenerateResult {
  const { bundle, facts } = options;
  const stdlib = new Set(facts.stdlibModules);
  const local = new Set(options.localModules ?? []);
  const moduleMap = facts.modules ?? {};

  const queuesByFile = new Map<string, Set<string>>();
  const bundleQueues = new Set<string>();
  for (const dag of bundle.dags) {
    const queues = queuesByFile.get(dag.file) ?? new Set<string>();
    for (const task of dag.tasks) {
      queues.add(task.queue);
      bundleQueues.add(task.queue);
    }
    queuesByFile.set(dag.file, queues);
  }

  const used = new Map<string, { modules: Set<string>; files: Set<string> }>();
  const unresolved = new Map<string, { files: Set<string>; reason: string; candidates: string[] }>();
  const addUnresolved = (module: string, file: string, reason: string, candidates: string[] = []): void => {
    const entry = unresolved.get(module) ?? { files: new Set<string>(), reason, candidates };
    entry.files.add(file);
    unresolved.set(module, entry);
  };
  const standins = new Map<string, Set<string>>();

  const importsByFile: [string, readonly string[]][] = bundle.files.map((file) => [file.path, file.imports]);
  // A file that failed with "No module named 'x'" names a module the generating interpreter lacks.
  for (const importError of bundle.importErrors) {
    const missing = importError.type === 'ModuleNotFoundError' ? /No module named '([^'.]+)/.exec(importError.message)?.[1] : undefined;
    if (missing !== undefined) importsByFile.push([importError.file, [missing]]);
  }

  for (const [file, imports] of importsByFile) {
    for (const module of imports) {
      const top = module.split('.')[0] ?? module;
      if (stdlib.has(top) || AIRFLOW_MODULES.has(top) || local.has(top)) continue;
      const owners = (moduleMap[top] ?? []).map(normalizeName).filter((name) => !isAirflowDistribution(name));
      if ((moduleMap[top] ?? []).length > 0 && owners.length === 0) continue; // provided by Airflow itself
      if (owners.length === 0) {
        if (SHIM_FALLBACK_MODULES[top] !== undefined) standins.set(top, (standins.get(top) ?? new Set<string>()).add(file));
        else addUnresolved(top, file, `no installed distribution provides module "${top}" in ${facts.python.executable}`);
        continue;
      }
      if (owners.length > 1) {
        addUnresolved(top, file, `several installed distributions provide module "${top}"; add the one the DAG needs by hand`, [...owners].sort());
        continue;
      }
      const distribution = owners[0] as string;
      const entry = used.get(distribution) ?? { modules: new Set<string>(), files: new Set<string>() };
      entry.modules.add(top);
      entry.files.add(file);
      used.set(distribution, entry);
    }
  }

  const requirements: GeneratedRequirement[] = [...used.keys()].sort().map((distribution) => {
    const entry = used.get(distribution) as { modules: Set<string>; files: Set<string> };
    const files = [...entry.files].sort();
    return {
      distribution,
      requirement: pinned(distribution, facts.distributions[distribution] ?? null, options.pin),
      modules: [...entry.modules].sort(),
      files,
      queue: bundleQueues.size > 1 ? singleQueue(files, queuesByFile) : null,
    };
  });

  const manifest: ManifestFile = {
    version: MANIFEST_VERSION,
    requirements: requirements.filter((entry) => entry.queue === null).map((entry) => entry.requirement),
  };
  const queueNames = [...new Set(requirements.flatMap((entry) => (entry.queue === null ? [] : [entry.queue])))].sort();
  if (queueNames.length > 0) {
    manifest.queues = Object.fromEntries(
      queueNames.map((queue) => [queue, { requirements: requirements.filter((entry) => entry.queue === queue).map((entry) => entry.requirement) }]),
    );
  }
  return {
    manifest,
    requirements,
    unresolved: [...unresolved.keys()].sort().map((module) => {
      const entry = unresolved.get(module) as { files: Set<string>; reason: string; candidates: string[] };
      return { module, files: [...entry.files].sort(), reason: entry.reason, candidates: entry.candidates };
    }),
    standins: [...standins.keys()].sort().map((module) => {
      const distribution = SHIM_FALLBACK_MODULES[module] as string;
      return {
        module,
        distribution,
        files: [...(standins.get(module) as Set<string>)].sort(),
        reason:
          `not installed in ${facts.python.executable}: the shim's stand-in ${module} served it; not required (workers running ` +
          `Apache Airflow have ${distribution} from Airflow, other workers use the stand-in); add "${distribution}" to the ` +
          'manifest to require the real one',
      };
    }),
  };
}

function singleQueue(files: readonly string[], queuesByFile: ReadonlyMap<string, ReadonlySet<string>>): string | null {
  const queues = new Set<string>();
  for (const file of files) {
    const fileQueues = queuesByFile.get(file);
    if (!fileQueues || fileQueues.size === 0) return null;
    for (const queue of fileQueues) queues.add(queue);
  }
  return queues.size === 1 ? ([...queues][0] ?? null) : null;
}

function pinned(distribution: string, version: string | null, pin: PinStyle): string {
  if (version === null) return distribution;
  if (!isValidVersion(version)) return pin === 'exact' ? `${distribution}===${version}` : distribution;
  return `${distribution}${pin === 'exact' ? '==' : '>='}${version}`;
}

/**
 * The top-level module names a DAG repo defines itself: `.py` files and directories in the DAGs folder, the
 * plugins folder and an `include/` folder beside the DAGs folder (all on sys.path when DAG files are parsed),
 * plus `include` itself.
 */
export function localModuleNames(dagsFolder: string, pluginsFolder?: string | null): string[] {
  const names = new Set<string>();
  const include = path.join(path.dirname(path.resolve(dagsFolder)), 'include');
  for (const folder of [dagsFolder, pluginsFolder ?? null, include]) {
    if (!folder) continue;
    let entries: Dirent[];
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      continue; // a folder that does not exist defines no modules
    }
    if (folder === include) names.add('include');
    for (const entry of entries) {
      if (entry.isDirectory() && /^[A-Za-z_][A-Za-z0-9_]*$/.test(entry.name)) names.add(entry.name);
      else if (entry.isFile() && /^[A-Za-z_][A-Za-z0-9_]*\.py$/.test(entry.name)) names.add(entry.name.slice(0, -3));
    }
  }
  return [...names].sort();
}
