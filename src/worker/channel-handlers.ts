/**
 * The request kinds an attempt's supervisor channel serves (docs/shim.md "The supervisor channel"), answered
 * from the metadata store (PostgreSQL on a worker, memory under `dags test`) for the task instance that holds
 * the channel. Reads follow what Airflow lets a task read; writes reach only the task instance's own XComs and
 * the Variables (global in Airflow too).
 */
import { z } from 'zod';
import type { ConnectionSource } from '../ports/connections.js';
import type { MetadataStore } from '../ports/metadata-store.js';
import { channelHandler, type ChannelHandler, type ChannelHandlers } from './channel-server.js';

/** What the handlers answer from. */
export interface ChannelSources {
  readonly store: MetadataStore;
  /** Where `connection.get` looks; without one every lookup answers null (the task falls back to AIRFLOW_CONN_*). */
  readonly connections?: ConnectionSource | null;
}

/** Airflow's `ID_LEN`-sized keys: variable keys and connection ids are at most 250 characters. */
const idText = z.string().min(1).max(250);

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
  ];
  return new Map(handlers);
}
