/**
 * The `dagbridge` command. Every command follows one shape: parse, load config, create what it needs, run,
 * close in `finally`. Exit codes: 0 ok, 1 failure, 2 usage. `--json` output goes to stdout, logs to stderr.
 */
import { Command, CommanderError } from 'commander';
import { DagbridgeError, toError } from '../lib/errors.js';
import { VERSION } from '../lib/version.js';
import { registerConnectionCommands } from './connections.js';
import { registerDagFolderCommands } from './dags.js';
import { registerDagTestCommand, registerTaskTestCommand } from './dags-test.js';
import { registerDagClusterCommands } from './dags-cluster.js';
import { registerDatasetCommands } from './datasets.js';
import { registerDbCommands } from './db.js';
import { registerManifestCommands, registerWorkerCheckCommand } from './manifest.js';
import { registerQueueCommands } from './queue.js';
import { registerPoolAndVariableCommands } from './pools-variables.js';
import { registerRunCommands } from './runs.js';
import { registerSchedulerCommand } from './scheduler.js';
import { registerStandaloneCommand } from './standalone.js';
import { registerStatusCommand } from './status.js';
import { registerTaskCommands } from './tasks.js';
import { registerTaskWhyCommand } from './tasks-why.js';
import { registerUsersCommands } from './users.js';
import { registerWebserverCommand } from './webserver.js';
import { registerWorkerCommand } from './worker.js';
import { registerWorkersCommands } from './workers.js';

/** Builds the commander program with every command group registered. */
export function buildProgram(): Command {
  const program = new Command('dagbridge')
    .description('Run Apache Airflow DAG repos across many machines')
    .version(VERSION)
    .showHelpAfterError()
    .enablePositionalOptions()
    .exitOverride();
  const dags = program.command('dags').description('DAGs: list, show, export, errors, test, trigger, pause, unpause, backfill');
  registerDagFolderCommands(dags);
  registerDagTestCommand(dags);
  registerDagClusterCommands(dags);
  const tasks = program.command('tasks').description('task instances: test, states, logs, clear, mark-success, mark-failed');
  registerTaskTestCommand(tasks);
  registerTaskCommands(tasks);
  registerTaskWhyCommand(tasks);
  registerRunCommands(program);
  registerDatasetCommands(program);
  registerDbCommands(program);
  registerSchedulerCommand(program);
  registerStandaloneCommand(program);
  registerWorkerCheckCommand(registerWorkerCommand(program));
  registerManifestCommands(program);
  registerPoolAndVariableCommands(program);
  registerConnectionCommands(program);
  registerQueueCommands(program);
  registerWorkersCommands(program);
  registerStatusCommand(program);
  registerWebserverCommand(program);
  registerUsersCommands(program);
  return program;
}

/** Runs the CLI with `argv` (as process.argv) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (thrown) {
    return exitCodeFor(thrown);
  }
}

/** Maps what a command threw to an exit code, printing user errors as one line without a stack trace. */
export function exitCodeFor(thrown: unknown): number {
  if (thrown instanceof CommanderError) {
    // commander already printed the message (or the help/version text).
    if (thrown.code === 'commander.helpDisplayed' || thrown.code === 'commander.version' || thrown.exitCode === 0) return 0;
    return 2;
  }
  if (thrown instanceof DagbridgeError) {
    if (thrown.userFacing) {
      process.stderr.write(`dagbridge: ${thrown.message}\n`);
    } else {
      process.stderr.write(`dagbridge: ${thrown.code}: ${thrown.stack ?? thrown.message}\n`);
    }
    return thrown.code === 'USAGE' ? 2 : 1;
  }
  const error = toError(thrown);
  process.stderr.write(`dagbridge: internal error: ${error.stack ?? error.message}\n`);
  return 1;
}
