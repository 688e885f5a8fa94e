/**
 * The params check of a new DAG run, as Airflow's `DAG.create_dagrun` does it (2.10.5 airflow/models/dag.py and
 * Airflow 3's alike: `copied_params = copy.deepcopy(self.params); copied_params.update(conf); copied_params.validate()`):
 * a conf value for a known param must pass that param's schema (`ParamsDict.__setitem__`), a conf key that is no
 * param becomes one without a schema, then every param must resolve: a Param without a default that the conf does
 * not give refuses the run. The message is Airflow's ParamValidationError text, naming the param.
 *
 * Every way a run is made checks it: `dags trigger`, the REST trigger endpoint, `dags test` (Airflow's `dag.test`
 * calls `create_dagrun`) and TriggerDagRunOperator. Scheduled, backfill and dataset-triggered runs have no conf;
 * a DAG that can be scheduled and whose params do not validate without one does not load (the shim's
 * `validate_schedule_and_params`), as in Airflow.
 */
import type { ParamSpec } from './bundle.js';
import { looseIso8601, schemaError } from './param-schema.js';

const NOT_SET = Symbol('NOTSET');

interface CopiedParam {
  value: unknown;
  schema: Record<string, unknown>;
}

/** Param.resolve: the value's schema error, or null (a `date-time` value that is ISO 8601 but not RFC 3339 passes). */
function resolveProblem(param: CopiedParam, given: unknown = NOT_SET): string | null {
  const value = given === NOT_SET ? param.value : given;
  if (value === NOT_SET) return 'No value passed and Param has no default value';
  const problem = schemaError(value, param.schema);
  if (problem === null || (problem.format === 'date-time' && looseIso8601(value))) return null;
  return problem.message;
}

/**
 * Why Airflow would refuse a run of a DAG with these params and this conf (`Invalid input for param NAME: ...`),
 * or null when it creates it.
 */
export function runParamsProblem(params: Readonly<Record<string, ParamSpec>>, conf: Readonly<Record<string, unknown>> | null | undefined): string | null {
  const copied = new Map<string, CopiedParam>();
  for (const [name, spec] of Object.entries(params)) copied.set(name, { value: spec.hasDefault === false ? NOT_SET : spec.default, schema: spec.schema });
  for (const [name, value] of Object.entries(conf ?? {})) {
    const param = copied.get(name);
    if (param === undefined) {
      copied.set(name, { value, schema: {} });
      continue;
    }
    const problem = resolveProblem(param, value);
    if (problem !== null) return `Invalid input for param ${name}: ${problem}`;
    param.value = value;
  }
  for (const [name, param] of copied) {
    const problem = resolveProblem(param);
    if (problem !== null) return `Invalid input for param ${name}: ${problem}`;
  }
  return null;
}
