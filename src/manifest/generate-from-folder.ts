/**
 * `manifest generate` end to end: export the DAG folder with the generating interpreter, probe that
 * interpreter's module map, and resolve the imports (see generate.ts for the rules). The CLI prints the
 * manifest document and lists the unresolved modules.
 */
import { exportDags } from '../shim/export.js';
import { collectFacts } from './facts.js';
import { generateManifest, localModuleNames, type GenerateResult, type PinStyle } from './generate.js';

/** Options of `generateManifestFromFolder`. */
export interface GenerateFromFolderOptions {
  readonly dagsFolder: string;
  readonly pluginsFolder?: string;
  /** The interpreter whose installed distributions give the versions (`python3`, a path). */
  readonly python: string;
  readonly pin: PinStyle;
  /** Extra variables DAG files may read at import (config `passEnv`). */
  readonly passEnv?: readonly string[];
  /** Config `pythonPath` and `inheritPythonPath`: PYTHONPATH as tasks have it. */
  readonly pythonPath?: readonly string[];
  readonly inheritPythonPath?: boolean;
}

/** Generates a manifest for a DAG folder from what `python` has installed. */
export async function generateManifestFromFolder(options: GenerateFromFolderOptions): Promise<GenerateResult> {
  const [bundle, facts] = await Promise.all([
    exportDags({ dagsFolder: options.dagsFolder, python: options.python, ...(options.pluginsFolder ? { pluginsFolder: options.pluginsFolder } : {}), passEnv: options.passEnv ?? [], pythonPath: options.pythonPath ?? [], inheritPythonPath: options.inheritPythonPath ?? true }),
    collectFacts({ python: options.python, modules: true }),
  ]);
  return generateManifest({ bundle, facts, pin: options.pin, localModules: localModuleNames(options.dagsFolder, options.pluginsFolder) });
}
