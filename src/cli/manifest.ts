/**
 * `dagbridge worker check` (CI: can this interpreter run these DAGs?) and `dagbridge manifest generate`.
 */
import type { Command } from 'commander';
import { UsageError } from '../lib/errors.js';
import { runWorkerCheck } from '../manifest/check.js';
import { generateManifestFromFolder } from '../manifest/generate-from-folder.js';
import type { SharedOptions } from './common-options.js';
import { configFrom } from './common-options.js';
import { printJson } from './output.js';
import { dagCodeSettingsOf } from '../shim/python.js';

interface CheckOptions extends SharedOptions {
  manifest?: string;
  queues?: string;
  format?: string;
}

/** Registers `worker check` on the `worker` command. */
export function registerWorkerCheckCommand(worker: Command): void {
  worker
    .command('check')
    .description('check that a Python environment satisfies the dependency manifest and imports the DAGs (exit 0 ok, 1 not, 2 bad input)')
    .option('--manifest <file>', 'dagbridge.manifest.json or requirements.txt (env DAGBRIDGE_MANIFEST)')
    .option('--dags-folder <dir>', 'also import every DAG file of this folder in the interpreter')
    .option('--plugins-folder <dir>', 'plugins folder put on sys.path')
    .option('--python <path>', 'the interpreter to check (default python3, env DAGBRIDGE_PYTHON)')
    .option('--queues <list>', 'comma-separated queues to check (default: every queue of the manifest)')
    .option('--format <format>', 'text, json or junit', 'text')
    .action(async (options: CheckOptions) => {
      const format = options.format ?? 'text';
      if (format !== 'text' && format !== 'json' && format !== 'junit') throw new UsageError(`--format must be text, json or junit, not ${JSON.stringify(format)}`);
      const config = configFrom(options);
      const manifestPath = options.manifest ?? config.manifest ?? undefined;
      const result = await runWorkerCheck({
        manifestPath,
        dagsFolder: options.dagsFolder ? config.dagsFolder : undefined,
        pluginsFolder: config.pluginsFolder ?? undefined,
        python: config.python,
        queues: options.queues ? options.queues.split(',').map((q) => q.trim()).filter(Boolean) : undefined,
        format,
        ...dagCodeSettingsOf(config),
      });
      process.stdout.write(result.output.endsWith('\n') ? result.output : `${result.output}\n`);
      process.exitCode = result.exitCode;
    });
}

/** Registers the `manifest` group. */
export function registerManifestCommands(program: Command): void {
  const manifest = program.command('manifest').description('dependency manifests');
  manifest
    .command('generate')
    .description('write a dependency manifest for a DAG folder from what an interpreter has installed (JSON on stdout)')
    .option('--dags-folder <dir>', 'folder of DAG files (default ./dags, env DAGBRIDGE_DAGS_FOLDER)')
    .option('--plugins-folder <dir>', 'plugins folder')
    .option('--python <path>', 'interpreter whose installed versions are pinned (default python3)')
    .option('--pin <style>', 'exact (==) or minimum (>=)', 'minimum')
    .action(async (options: SharedOptions & { pin?: string }) => {
      const pin = options.pin ?? 'minimum';
      if (pin !== 'exact' && pin !== 'minimum') throw new UsageError(`--pin must be exact or minimum, not ${JSON.stringify(pin)}`);
      const config = configFrom(options);
      const result = await generateManifestFromFolder({ dagsFolder: config.dagsFolder, pluginsFolder: config.pluginsFolder ?? undefined, python: config.python, pin, ...dagCodeSettingsOf(config) });
      printJson(result.manifest);
      for (const module of result.unresolved) {
        process.stderr.write(`unresolved module ${module.module}: ${module.reason}\n`);
      }
      for (const module of result.standins) {
        process.stderr.write(`stand-in module ${module.module} (${module.files.join(', ')}): ${module.reason}\n`);
      }
    });
}
