/**
 * Data-aware scheduling, the pure part: the condition a DAG is scheduled on (Airflow 2 datasets, Airflow 3
 * assets), a task's outlets and inlets as the bundle carries them, and the evaluation Airflow's scheduler does
 * (airflow/datasets/__init__.py of 2.10.5: `Dataset.evaluate`, `DatasetAll`, `DatasetAny`, and
 * `_DatasetAliasCondition`, an alias standing for "any of the datasets it resolved to").
 *
 * Datasets and assets are identified by URI (an Airflow 3 asset made with only a name has that name as its
 * URI, as Airflow 3 does).
 */
import { z } from 'zod';

/** A dataset, an alias, or `all`/`any` of conditions. A schedule list is `all` of its members. */
export type DatasetCondition =
  | { type: 'dataset'; uri: string }
  | { type: 'alias'; name: string }
  | { type: 'all'; objects: DatasetCondition[] }
  | { type: 'any'; objects: DatasetCondition[] };

/** The zod schema of a condition (recursive). */
export const datasetConditionSchema: z.ZodType<DatasetCondition> = z.lazy(() =>
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('dataset'), uri: z.string().min(1) }),
    z.object({ type: z.literal('alias'), name: z.string().min(1) }),
    z.object({ type: z.literal('all'), objects: z.array(datasetConditionSchema) }),
    z.object({ type: z.literal('any'), objects: z.array(datasetConditionSchema) }),
  ]),
);

/** A task outlet or inlet: a dataset (with the `extra` it was declared with) or an alias. */
export const datasetRefSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('dataset'), uri: z.string().min(1), extra: z.record(z.unknown()) }),
  z.object({ type: z.literal('alias'), name: z.string().min(1) }),
]);
export type DatasetRef = z.infer<typeof datasetRefSchema>;

/**
 * Whether `condition` holds when the datasets in `queued` have been updated (Airflow's `evaluate(statuses)`).
 * `aliases` maps an alias name to the URIs it resolved to so far; an alias that resolved to nothing is false.
 */
export function evaluateCondition(condition: DatasetCondition, queued: ReadonlySet<string>, aliases: ReadonlyMap<string, readonly string[]>): boolean {
  switch (condition.type) {
    case 'dataset':
      return queued.has(condition.uri);
    case 'alias':
      return (aliases.get(condition.name) ?? []).some((uri) => queued.has(uri));
    case 'all':
      return condition.objects.every((member) => evaluateCondition(member, queued, aliases));
    case 'any':
      return condition.objects.some((member) => evaluateCondition(member, queued, aliases));
  }
}

/** The URIs a condition names directly, in order, once each. */
export function conditionUris(condition: DatasetCondition): string[] {
  const uris: string[] = [];
  walk(condition, (node) => {
    if (node.type === 'dataset' && !uris.includes(node.uri)) uris.push(node.uri);
  });
  return uris;
}

/** The alias names a condition names, in order, once each. */
export function conditionAliases(condition: DatasetCondition): string[] {
  const names: string[] = [];
  walk(condition, (node) => {
    if (node.type === 'alias' && !names.includes(node.name)) names.push(node.name);
  });
  return names;
}

function walk(condition: DatasetCondition, visit: (node: DatasetCondition) => void): void {
  visit(condition);
  if (condition.type === 'all' || condition.type === 'any') for (const member of condition.objects) walk(member, visit);
}

/** The condition as Python reads it: `(a & (b | c))`, aliases as `alias:name`. */
export function describeCondition(condition: DatasetCondition): string {
  switch (condition.type) {
    case 'dataset':
      return condition.uri;
    case 'alias':
      return `alias:${condition.name}`;
    case 'all':
    case 'any': {
      const parts = condition.objects.map((member) => describeCondition(member));
      if (parts.length === 1) return parts[0] ?? '';
      return `(${parts.join(condition.type === 'all' ? ' & ' : ' | ')})`;
    }
  }
}
