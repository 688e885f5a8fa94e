/**
 * A dataset event made by hand, shared by `dagbridge datasets create-event` and the webserver's
 * `POST /api/v1/datasets/events`. The event is recorded by the store's `createDatasetEvent`, which runs the
 * code a successful task's outlet events run (`recordDatasetEvent`): the same row, the same queueing of the
 * consumer DAGs, in one transaction, and the scheduler is woken. So a consumer runs after an event made here
 * exactly as after a task's.
 */
import { UsageError } from '../lib/errors.js';
import type { DatasetEventRecord, MetadataStore } from '../ports/metadata-store.js';

/** Airflow's limit on a dataset URI (DatasetModel.uri is a String(3000)). */
export const MAX_DATASET_URI_LENGTH = 3000;

/** Why `uri` cannot name a dataset, or null when it can. */
export function datasetUriProblem(uri: string): string | null {
  if (uri.trim() === '') return 'a dataset URI cannot be empty';
  if (uri.length > MAX_DATASET_URI_LENGTH) return `longer than ${MAX_DATASET_URI_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(uri)) return 'contains a control character';
  return null;
}

/**
 * Records an event of `uri` with no source task. `fromRestApi` adds `"from_rest_api": true` to the extra, as
 * Airflow 2.10.5's create_dataset_event does. Null when the URI is not a known dataset (nothing is stored).
 */
export async function createManualDatasetEvent(
  store: MetadataStore,
  uri: string,
  extra: Record<string, unknown>,
  now: number,
  options: { fromRestApi?: boolean } = {},
): Promise<DatasetEventRecord | null> {
  const problem = datasetUriProblem(uri);
  if (problem) throw new UsageError(`dataset URI: ${problem}`);
  return store.createDatasetEvent(uri, options.fromRestApi ? { ...extra, from_rest_api: true } : extra, now);
}
