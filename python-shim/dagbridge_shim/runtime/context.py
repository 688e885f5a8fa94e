"""The task context: what Airflow hands ``execute(context)`` and templates see.

Built from the task run input (contract 3, ``TaskRunInput``) with the keys and formats of Airflow's
``TaskInstance.get_template_context``: ``ds``, ``ts``, ``logical_date``, ``data_interval_*``, ``params``, ``ti``,
``dag_run``, ``var``, ``conn``, ``macros``, ... Datetimes are timezone-aware UTC ``DateTime`` objects
(``dagbridge_shim.runtime.datetimes``), so ``{{ logical_date }}`` renders as Airflow renders it.

Airflow-2-style files also get the keys Airflow 3 removed (``execution_date``, ``next_ds``, ``prev_ds``,
``yesterday_ds``, ...). ``next_*``/``prev_*`` are derived from the run's data interval (for a manual run they
equal the logical date, as in Airflow); for a cron schedule with irregular intervals they are an approximation.
"""
from datetime import timedelta

from dagbridge_shim import macros
from dagbridge_shim.runtime.conf import ConfStandin
from dagbridge_shim.runtime.connections import ConnectionAccessor
from dagbridge_shim.runtime.dataset_events import InletEventsAccessors, OutletEventAccessors, triggering_events
from dagbridge_shim.runtime.models import DagRun, TaskInstance
from dagbridge_shim.runtime.params import resolve_params
from dagbridge_shim.runtime.variables import VariableAccessor
from dagbridge_shim.runtime.xcom import XComStore


def build_context(task, dag, run_input, xcom_store=None, airflow_style=2, templates_dict=None):
    """The context dict for ``task`` of ``dag`` in the run described by ``run_input``."""
    if xcom_store is None:
        xcom_store = XComStore(run_input.xcoms, run_input.map_index,
                           {"dag_id": run_input.dag_id, "run_id": run_input.run_id})
    ti = TaskInstance(task, run_input, xcom_store, airflow_style)
    dag_run = DagRun(run_input, dag)
    ti._dag_run = dag_run
    context = {
        "conf": ConfStandin(),
        "dag": dag,
        "dag_run": dag_run,
        "data_interval_end": run_input.data_interval_end,
        "data_interval_start": run_input.data_interval_start,
        "expanded_ti_count": None,
        "inlets": list(getattr(task, "inlets", None) or []),
        "inlet_events": InletEventsAccessors(getattr(task, "inlets", None), run_input.inlet_events),
        "outlet_events": OutletEventAccessors(),
        "logical_date": run_input.logical_date,
        "macros": macros,
        "map_index_template": getattr(task, "map_index_template", None),
        "outlets": list(getattr(task, "outlets", None) or []),
        "params": resolve_params(dag, task, run_input.conf),
        "prev_data_interval_start_success": run_input.prev_data_interval_start_success,
        "prev_data_interval_end_success": run_input.prev_data_interval_end_success,
        "prev_start_date_success": run_input.prev_start_date_success,
        "prev_end_date_success": run_input.prev_end_date_success,
        "run_id": run_input.run_id,
        "task": task,
        "task_instance": ti,
        "test_mode": run_input.test_mode,
        "ti": ti,
        "triggering_dataset_events": triggering_events(run_input.triggering_dataset_events),
        "var": {
            "json": VariableAccessor(run_input.variables, deserialize_json=True),
            "value": VariableAccessor(run_input.variables, deserialize_json=False),
        },
        "conn": ConnectionAccessor(),
        "map_index": run_input.map_index,
        "try_number": run_input.try_number,
        "templates_dict": templates_dict,
    }
    if airflow_style == 3:
        context["triggering_asset_events"] = context.pop("triggering_dataset_events")
    logical_date = run_input.logical_date
    if logical_date is not None:
        ds = logical_date.strftime("%Y-%m-%d")
        ts = logical_date.isoformat()
        ds_nodash = ds.replace("-", "")
        context.update({
            "ds": ds,
            "ds_nodash": ds_nodash,
            "ts": ts,
            "ts_nodash": logical_date.strftime("%Y%m%dT%H%M%S"),
            "ts_nodash_with_tz": ts.replace("-", "").replace(":", ""),
            "task_instance_key_str": "%s__%s__%s" % (run_input.dag_id, run_input.task_id, ds_nodash),
        })
    if airflow_style == 2:
        context.update(_airflow2_keys(run_input))
    return context


def _airflow2_keys(run_input):
    # The keys Airflow 2 still offers (deprecated) and Airflow 3 removed.
    logical_date = run_input.logical_date
    keys = {"execution_date": logical_date}
    if logical_date is None:
        return keys
    start, end = run_input.data_interval_start, run_input.data_interval_end
    if run_input.run_type == "manual" or start is None or end is None or end <= start:
        next_date = prev_date = logical_date
    else:
        next_date, prev_date = end, logical_date - (end - start)
    yesterday = (logical_date - timedelta(1)).strftime("%Y-%m-%d")
    tomorrow = (logical_date + timedelta(1)).strftime("%Y-%m-%d")
    keys.update({
        "next_execution_date": next_date,
        "next_ds": next_date.strftime("%Y-%m-%d"),
        "next_ds_nodash": next_date.strftime("%Y%m%d"),
        "prev_execution_date": prev_date,
        "prev_ds": prev_date.strftime("%Y-%m-%d"),
        "prev_ds_nodash": prev_date.strftime("%Y%m%d"),
        "prev_execution_date_success": run_input.prev_data_interval_start_success,
        "yesterday_ds": yesterday,
        "yesterday_ds_nodash": yesterday.replace("-", ""),
        "tomorrow_ds": tomorrow,
        "tomorrow_ds_nodash": tomorrow.replace("-", ""),
    })
    return keys
