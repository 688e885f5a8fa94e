/**
 * The request kinds an attempt's supervisor channel serves (docs/shim.md "The supervisor channel"), answered
 * from the metadata store (PostgreSQL on a worker, memory under `dags test`) for the task instance that holds
 * the channel. Reads follow what Airflow lets a task read; writes reach only the task instance's own XComs and
 * the Variables (global in Airflow too).
 */
import { z } from 'zod';
import type { ConnectionSource } from '../ports/connections.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { ChannelRefusal, channelHandler, type ChannelHandler, type ChannelHandlers } from './channel-server.js';

/** What the handlers answer from. */
export interface ChannelSources {
  readonly store: MetadataStore;
  /** Where `connection.get` looks; without one every lookup answers null (the task falls back to AIRFLOW_CONN_*). */
  readonly connections?: ConnectionSource | null;
}

/** Airflow's `ID_LEN`-sized keys: variable keys and connection ids are at most 250 characters. */
const idText = z.string().min(1).max(250);

const xcomPullSchema = z.object({
  dagId: idText.optional(),
  runId: idText.optional(),
  taskIds: z.array(idText).max(10_000).nullable(),
  key: z.string().max(512).nullable(),
  mapIndexes: z.array(z.number().int().min(-1)).max(100_000).nullable(),
  includePriorDates: z.boolean(),
  limit: z.number().int().positive().nullable(),
});

const xcomPushSchema = z.object({
  key: z.string().min(1).max(512),
  value: z.unknown(),
  dagId: idText.optional(),
  runId: idText.optional(),
  taskId: idText.optional(),
  mapIndex: z.number().int().optional(),
});

/** The registry of one attempt's channel. */
export function taskChannelHandlers(sources: ChannelSources): ChannelHandlers {
  const { store } = sources;
  const handlers: Array<[string, ChannelHandler]> = [
    [
      'connection.get',
      channelHandler(z.object({ connId: idText }), async ({ connId }) => (sources.connections ? sources.connections.getConnection(connId) : null)),
    ],
    [
      'variable.get',
      channelHandler(z.object({ key: idText }), async ({ key }) => ({ value: await store.getVariable(key) })),
    ],
    [
      // Variables are global in Airflow: any task may write any key (the Task SDK's PUT /variables/{key}).
      'variable.set',
      channelHandler(z.object({ key: idText, value: z.string(), description: z.string().nullable().optional() }), async ({ key, value, description }) => {
        await store.setVariable(key, value, description ?? null);
        return {};
      }),
    ],
    [
      'variable.delete',
      channelHandler(z.object({ key: idText }), async ({ key }) => ({ deleted: (await store.deleteVariable(key)) ? 1 : 0 })),
    ],
    [
      'xcom.pull',
      channelHandler(xcomPullSchema, async (query, scope) => {
        const run = await store.getDagRun(scope);
        if (!run) throw new ChannelRefusal('forbidden', `the run ${scope.runId} of DAG ${scope.dagId} holding this channel no longer exists`);
        const rows = await store.queryXcoms({
          // As Airflow: another DAG's XComs are those of the same run id (or, with include_prior_dates, of its runs up to this run's date).
          dagIds: [query.dagId ?? scope.dagId],
          runId: query.runId ?? scope.runId,
          includePriorDates: query.includePriorDates,
          before: run.logicalDate ?? run.runAfter,
          taskIds: query.taskIds,
          key: query.key,
          mapIndexes: query.mapIndexes,
          limit: query.limit,
        });
        return rows.map((row) => ({ taskId: row.taskId, mapIndex: row.mapIndex, key: row.key, runId: row.runId, value: row.value }));
      }),
    ],
    [
      'xcom.push',
      channelHandler(xcomPushSchema, async ({ key, value, dagId, runId, taskId, mapIndex }, scope) => {
        // Only the task instance's own XComs: Airflow's XCom.set for another task is not the task's to make.
        const others = ([['dagId', dagId, scope.dagId], ['runId', runId, scope.runId], ['taskId', taskId, scope.taskId], ['mapIndex', mapIndex, scope.mapIndex]] as const)
          .filter(([, given, own]) => given !== undefined && given !== own);
        if (others.length > 0) {
          const named = others.map(([field, given]) => `${field} ${JSON.stringify(given)}`).join(', ');
          throw new ChannelRefusal('forbidden', `a task may push XComs only for itself (${scope.dagId}.${scope.taskId}, run ${scope.runId}, map index ${scope.mapIndex}), not for ${named}`);
        }
        if (!(await store.pushXcom(scope, scope.tryNumber, key, value, Date.now()))) {
          throw new ChannelRefusal('forbidden', `the task instance is no longer running try ${scope.tryNumber} (cleared or handed back); the XCom ${JSON.stringify(key)} was not stored`);
        }
        return {};
      }),
    ],
  ];
  return new Map(handlers);
}
