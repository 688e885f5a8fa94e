/**
 * `dagbridge db migrate | check | reset`: the metadata schema.
 */
import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { UsageError } from '../lib/errors.js';
import { checkSchema, migrate, resetDatabase } from '../store/migrate.js';
import { withConnectionOptions, withJson, type SharedOptions } from './common-options.js';
import { printJson, printLines } from './output.js';
import { withApp } from './run-command.js';

/** Registers the `db` group. */
export function registerDbCommands(program: Command): void {
  const db = program.command('db').description('the metadata database: migrate, check, reset');

  withJson(withConnectionOptions(db.command('migrate').description('apply pending schema migrations (safe to run from several machines at once)'))).action(
    async (options: SharedOptions) => {
      await withApp(options, { role: 'cli', database: true, migrating: true }, async (app) => {
        const pool = app.pool as NonNullable<typeof app.pool>;
        const applied = await migrate(pool);
        const status = await checkSchema(pool);
        if (options.json) printJson({ applied, current: status.current, latest: status.latest });
        else printLines([applied.length === 0 ? `schema is current (version ${status.current})` : `applied migrations ${applied.join(', ')}; schema is at version ${status.current}`]);
      });
    },
  );

  withJson(withConnectionOptions(db.command('check').description('exit 0 when the schema is current, 1 when migrations are pending'))).action(async (options: SharedOptions) => {
    await withApp(options, { role: 'cli', database: true, migrating: true }, async (app) => {
      const status = await checkSchema(app.pool as NonNullable<typeof app.pool>);
      if (options.json) printJson(status);
      else printLines([status.pending.length === 0 ? `schema is current (version ${status.current})` : `schema is at version ${status.current}; pending: ${status.pending.map((m) => `${m.version} ${m.name}`).join(', ')} (run dagbridge db migrate)`]);
      process.exitCode = status.pending.length === 0 ? 0 : 1;
    });
  });

  withConnectionOptions(db.command('reset').description('drop every dagbridge table and migrate again (asks first)'))
    .option('--yes', 'do not ask for confirmation')
    .action(async (options: SharedOptions & { yes?: boolean }) => {
      if (!options.yes) {
        if (!process.stdin.isTTY) throw new UsageError('db reset deletes all dagbridge data; pass --yes to confirm when not on a terminal');
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await rl.question('This deletes every DAG run, task instance, log and worker record. Type "reset" to continue: ');
        rl.close();
        if (answer.trim() !== 'reset') {
          printLines(['not reset']);
          process.exitCode = 1;
          return;
        }
      }
      await withApp(options, { role: 'cli', database: true, migrating: true }, async (app) => {
        const pool = app.pool as NonNullable<typeof app.pool>;
        await resetDatabase(pool);
        const applied = await migrate(pool);
        printLines([`database reset; schema at version ${applied.at(-1) ?? 0}`]);
      });
    });
}
