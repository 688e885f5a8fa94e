/**
 * `dagbridge datasets list`, `dagbridge datasets events URI` and `dagbridge datasets create-event URI
 * [--extra JSON]`: the datasets (Airflow 3: assets) the DAGs name, their events, and an event made by hand
 * (Airflow's `POST /datasets/events`), which queues the consumer DAGs as a task's event does.
 */
import type { Command } from 'commander';
import { createManualDatasetEvent, datasetUriProblem } from '../actions/create-dataset-event.js';
import { requireStore } from '../app.js';
import { NotFoundError, UsageError } from '../lib/errors.js';
import type { DatasetEventRecord } from '../ports/metadata-store.js';
import { parseJsonObjectOption, withConnectionOptions, withJson, type SharedOptions } from './common-options.js';
import { printJson, printLines, renderTable } from './output.js';
import { withApp } from './run-command.js';

const isoOf = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());

/** The URI argument, checked where it enters. */
export function parseUri(value: string): string {
  const problem = datasetUriProblem(value);
  if (problem) throw new UsageError(`URI: ${problem}`);
  return value;
}

function eventRow(event: DatasetEventRecord): Array<string | number> {
  const source = event.sourceDagId === null ? '(by hand)' : `${event.sourceDagId}/${event.sourceRunId ?? ''}/${event.sourceTaskId ?? ''}${event.sourceMapIndex >= 0 ? `[${event.sourceMapIndex}]` : ''}`;
  return [event.id, isoOf(event.timestamp), source, event.sourceAliases.join(','), JSON.stringify(event.extra)];
}

/** Registers the `datasets` group. */
export function registerDatasetCommands(program: Command): void {
  const datasets = program.command('datasets').description('datasets (Airflow 3: assets): list, events, create-event');

  withJson(withConnectionOptions(datasets.command('list').description('list the datasets the DAGs name, with producers, consumers and events'))).action(
    async (options: SharedOptions) => {
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        const list = await requireStore(app).listDatasets();
        if (options.json) printJson(list);
        else printLines(renderTable(['uri', 'producers', 'consumers', 'aliases', 'events', 'last_event'],
          list.map((d) => [d.uri, d.producers.join(','), d.consumers.join(','), d.aliases.join(','), d.eventCount, isoOf(d.lastEventAt)])));
      });
    },
  );

  withJson(withConnectionOptions(datasets.command('events').argument('<uri>', 'the dataset URI').description('list the events of a dataset, newest first')))
    .option('-n, --limit <n>', 'most events to list', '50')
    .action(async (uri: string, options: SharedOptions & { limit?: string }) => {
      const limit = Number(options.limit ?? 50);
      if (!Number.isInteger(limit) || limit <= 0) throw new UsageError(`--limit: expected a positive integer, got ${JSON.stringify(options.limit)}`);
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        const store = requireStore(app);
        const checked = parseUri(uri);
        const known = (await store.listDatasets()).some((d) => d.uri === checked);
        if (!known) throw new NotFoundError(`dataset ${JSON.stringify(checked)} is not known (see dagbridge datasets list)`);
        const events = await store.listDatasetEvents({ uri: checked, limit });
        if (options.json) printJson(events);
        else printLines(renderTable(['id', 'timestamp', 'source', 'aliases', 'extra'], events.map(eventRow)));
      });
    });

  withJson(withConnectionOptions(datasets.command('create-event').argument('<uri>', 'the dataset URI').description('record an event of a dataset by hand; its consumer DAGs are queued')))
    .option('--extra <json>', 'the event\'s extra, a JSON object')
    .action(async (uri: string, options: SharedOptions & { extra?: string }) => {
      const checked = parseUri(uri);
      const extra = parseJsonObjectOption(options.extra, '--extra');
      await withApp(options, { role: 'cli', database: true }, async (app) => {
        const event = await createManualDatasetEvent(requireStore(app), checked, extra, Date.now());
        if (!event) throw new NotFoundError(`dataset ${JSON.stringify(checked)} is not known: no DAG names it (see dagbridge datasets list); nothing was recorded`);
        if (options.json) printJson(event);
        else printLines([`recorded event ${event.id} of ${event.uri} at ${isoOf(event.timestamp)}`]);
      });
    });
}
