/**
 * `dagbridge pools list|set` and `dagbridge variables list|get|set|delete`: Airflow's pools and Variables in the
 * metadata database (tasks read Variables through `Variable.get` and `{{ var.value.x }}`).
 */
import type { Command } from 'commander';
import { requireStore } from '../app.js';
import { NotFoundError, UsageError } from '../lib/errors.js';
import { withConnectionOptions, withJson, type SharedOptions } from './common-options.js';
import { printJson, printLines, renderTable } from './output.js';
import { withApp } from './run-command.js';

/** Registers `pools` and `variables`. */
export function registerPoolAndVariableCommands(program: Command): void {
  const pools = program.command('pools').description('pools: named slot limits shared by tasks');
  withJson(withConnectionOptions(pools.command('list').description('every pool with its slots'))).action(async (options: SharedOptions) => {
    await withApp(options, { role: 'cli', database: true }, async (app) => {
      const [list, occupancy] = await Promise.all([requireStore(app).listPools(), requireStore(app).occupancy()]);
      const rows = list.map((pool) => ({ ...pool, used: occupancy.pools.get(pool.name)?.used ?? 0 }));
      if (options.json) printJson(rows);
      else printLines(renderTable(['pool', 'slots', 'used', 'description'], rows.map((p) => [p.name, p.slots, p.used, p.description])));
    });
  });
  withConnectionOptions(pools.command('set').argument('<name>').argument('<slots>').description('create a pool or change its slots'))
    .option('--description <text>', 'what the pool is for')
    .action(async (name: string, slots: string, options: SharedOptions & { description?: string }) => {
      const count = Number(slots);
      if (!Number.isInteger(count) || count < 0) throw new UsageError(`slots must be a whole number >= 0, not ${JSON.stringify(slots)}`);
      if (!/^[\w.-]+$/.test(name)) throw new UsageError(`pool name ${JSON.stringify(name)} may hold only letters, digits, '_', '.' and '-'`);
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        await requireStore(app).setPool(name, count, options.description);
        printLines([`pool ${name}: ${count} slots`]);
      });
    });

  const variables = program.command('variables').description('Airflow Variables (read by tasks; AIRFLOW_VAR_* on the worker also works)');
  withJson(withConnectionOptions(variables.command('list').description('every variable key (values with --json)'))).action(async (options: SharedOptions) => {
    await withApp(options, { role: 'cli', database: true }, async (app) => {
      const all = await requireStore(app).listVariables();
      if (options.json) printJson(all);
      else printLines(Object.keys(all).sort());
    });
  });
  withConnectionOptions(variables.command('get').argument('<key>').description('print a variable\'s value')).action(async (key: string, options: SharedOptions) => {
    await withApp(options, { role: 'cli', database: true }, async (app) => {
      const all = await requireStore(app).listVariables();
      if (!(key in all)) throw new NotFoundError(`variable ${JSON.stringify(key)} is not set`);
      printLines([all[key] as string]);
    });
  });
  withConnectionOptions(variables.command('set').argument('<key>').argument('<value>').description('create or replace a variable'))
    .option('--description <text>', 'what the variable is for')
    .action(async (key: string, value: string, options: SharedOptions & { description?: string }) => {
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        await requireStore(app).setVariable(key, value, options.description ?? null);
        printLines([`variable ${key} set`]);
      });
    });
  withConnectionOptions(variables.command('delete').argument('<key>').description('delete a variable')).action(async (key: string, options: SharedOptions) => {
    await withApp(options, { role: 'cli', database: true }, async (app) => {
      if (!(await requireStore(app).deleteVariable(key))) throw new NotFoundError(`variable ${JSON.stringify(key)} is not set`);
      printLines([`variable ${key} deleted`]);
    });
  });
}
