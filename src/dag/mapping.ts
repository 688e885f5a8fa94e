/**
 * Dynamic task mapping: how many task instances a mapped task (or a task in a mapped task group) expands
 * into, from literal inputs at run start or from upstream XComs once they are pushed.
 *
 * Follows Airflow's expand inputs (airflow/models/expandinput.py): `expand` maps over the cross product of
 * its inputs (the product of their lengths), `expand_kwargs` over one list. A dict input has one element
 * per key; `XComArg.zip` and `.concat` inputs have the lengths of airflow/models/xcom_arg.py. An input whose length is not known yet makes the whole length unknown (NotFullyPopulated).
 */
import type { DagSpec, MappedInput, TaskSpec } from './bundle.js';

/** Airflow's default `[core] max_map_length`: the most task instances one mapped task may expand into. */
export const DEFAULT_MAX_MAP_LENGTH = 1024;

/**
 * The caller's view of XCom-derived lengths: for the XCom `key` pushed by `producerTaskId` in this run,
 * the number of elements to map over, or null when it is not known yet (producer not finished). For an
 * unmapped producer that is the length of its list/dict value; for a mapped producer, the number of its
 * instances that pushed the key (Airflow's task_map / XCom count).
 */
export type MapInputLength = (producerTaskId: string, key: string) => number | null;

/** The expansion length of a task, or why it has none. */
export type MappedLength =
  | { readonly kind: 'not_mapped' }
  | { readonly kind: 'known'; readonly length: number }
  | { readonly kind: 'unknown'; readonly missing: readonly string[] }
  | { readonly kind: 'invalid'; readonly reason: string };

function literalLength(value: unknown): number | null {
  if (Array.isArray(value)) return value.length;
  // A value the shim could not export as JSON (`{"$repr": ...}`, e.g. an XComArg.zip/concat) has no length here.
  if (typeof value === 'object' && value !== null && Object.keys(value).length === 1 && '$repr' in value) return null;
  if (typeof value === 'object' && value !== null) return Object.keys(value).length;
  return null;
}

function inputLength(name: string, input: MappedInput, xcomLength: MapInputLength | null): MappedLength {
  switch (input.type) {
    case 'literal': {
      const length = literalLength(input.value);
      return length === null
        ? { kind: 'invalid', reason: `mapped input ${name} is not a list or dict` }
        : { kind: 'known', length };
    }
    case 'xcom': {
      const length = xcomLength ? xcomLength(input.taskId, input.key) : null;
      if (length === null) return { kind: 'unknown', missing: [`${input.taskId}.${input.key}`] };
      if (!Number.isInteger(length) || length < 0) {
        return { kind: 'invalid', reason: `XCom ${input.key} of ${input.taskId} has no mappable length (${length})` };
      }
      return { kind: 'known', length };
    }
    case 'zip':
    case 'concat': {
      // Airflow's ZipXComArg / ConcatXComArg.get_task_map_length: unknown until every part is known; then the
      // shortest part (zip), the longest (zip with a fillvalue), or the sum (concat).
      const lengths: number[] = [];
      const missing: string[] = [];
      for (const arg of input.args) {
        const one = inputLength(name, arg, xcomLength);
        if (one.kind === 'invalid') return one;
        if (one.kind === 'unknown') missing.push(...one.missing);
        if (one.kind === 'known') lengths.push(one.length);
      }
      if (missing.length > 0) return { kind: 'unknown', missing };
      if (input.type === 'concat') return { kind: 'known', length: lengths.reduce((a, b) => a + b, 0) };
      return { kind: 'known', length: input.fillvalue ? Math.max(...lengths) : Math.min(...lengths) };
    }
  }
}

/** The XCom references of a mapped input, depth first (the parts of a zip or concat in order). */
export function inputXcomRefs(input: MappedInput): Array<{ taskId: string; key: string }> {
  switch (input.type) {
    case 'literal':
      return [];
    case 'xcom':
      return [{ taskId: input.taskId, key: input.key }];
    case 'zip':
    case 'concat':
      return input.args.flatMap(inputXcomRefs);
  }
}

/** Whether a task expands over at least one upstream XCom (its length is known only at run time). */
export function mapsFromXcom(task: TaskSpec): boolean {
  return task.mapping !== null && Object.values(task.mapping.inputs).some((input) => inputXcomRefs(input).length > 0);
}

/**
 * The number of task instances `task` expands into. Pass `xcomLength = null` to ask for the parse-time
 * (literal-only) length, as Airflow does when a run starts.
 */
export function mappedLength(task: TaskSpec, xcomLength: MapInputLength | null): MappedLength {
  const mapping = task.mapping;
  if (!mapping) return { kind: 'not_mapped' };
  const entries = Object.entries(mapping.inputs);
  if (entries.length === 0) return { kind: 'invalid', reason: 'mapped task has no mapped inputs' };
  let product = 1;
  const missing: string[] = [];
  for (const [name, input] of entries) {
    const one = inputLength(name, input, xcomLength);
    if (one.kind === 'invalid') return one;
    if (one.kind === 'unknown') missing.push(...one.missing);
    if (one.kind === 'known') product *= one.length;
  }
  if (missing.length > 0) return { kind: 'unknown', missing };
  return { kind: 'known', length: product };
}

/** The producers whose XComs a mapped task expands over (Airflow's iter_mapped_dependencies). */
export function mappedDependencies(task: TaskSpec): string[] {
  if (!task.mapping) return [];
  const ids = new Set<string>();
  for (const input of Object.values(task.mapping.inputs)) for (const ref of inputXcomRefs(input)) ids.add(ref.taskId);
  return [...ids].sort();
}

/**
 * The closest mapped task group of a task, or null: the task's own group or the nearest parent with
 * `isMapped`, falling back to the mapping's `groupId`.
 */
export function closestMappedGroup(dag: Pick<DagSpec, 'taskGroups'>, task: TaskSpec): string | null {
  const groups = new Map(dag.taskGroups.map((g) => [g.groupId, g]));
  let current = task.group;
  const seen = new Set<string>();
  while (current !== null && !seen.has(current)) {
    seen.add(current);
    const group = groups.get(current);
    if (!group) break;
    if (group.isMapped) return group.groupId;
    current = group.parentGroupId;
  }
  return task.mapping?.groupId ?? null;
}

/** Whether a task's instances are created by expansion (Airflow's get_needs_expansion). */
export function needsExpansion(dag: Pick<DagSpec, 'taskGroups'>, task: TaskSpec): boolean {
  return task.mapping !== null || closestMappedGroup(dag, task) !== null;
}

/**
 * The {@link MapInputLength} of a run's XComs, as Airflow counts them: an unmapped producer's list or dict value
 * by its length (-1, invalid, for any other value); a mapped producer by how many of its instances pushed the key.
 */
export function xcomMapInputLength(xcoms: ReadonlyArray<{ taskId: string; mapIndex: number; key: string; value: unknown }>): MapInputLength {
  return (producer, key) => {
    const values = xcoms.filter((x) => x.taskId === producer && x.key === key);
    if (values.length === 0) return null;
    if (values.length === 1 && values[0]?.mapIndex === -1) {
      const value = values[0].value;
      if (Array.isArray(value)) return value.length;
      if (typeof value === 'object' && value !== null) return Object.keys(value).length;
      return -1;
    }
    return values.length;
  };
}
