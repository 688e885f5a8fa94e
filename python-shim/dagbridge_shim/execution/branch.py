"""Branching and skipping: BranchPythonOperator / ``@task.branch``, ShortCircuitOperator /
``@task.short_circuit``, LatestOnlyOperator.

The decisions leave the task through the run result: ``followTaskIds`` and ``skipTaskIds`` (the scheduler sets
those task instances to skipped), plus the ``skipmixin_key`` XCom Airflow pushes, ``{"followed": [...]}``.

- Branch (Airflow's ``SkipMixin.skip_all_except``): the returned task id(s), a TaskGroup id standing for the
  group's root tasks; every direct downstream task not followed is skipped, except one that is itself
  downstream of a followed task (the "join" of an empty branch).
- Short-circuit: a falsy condition skips every task downstream, recursively, when
  ``ignore_downstream_trigger_rules`` (default True), else only the direct downstream tasks, whose trigger
  rules then decide; teardown tasks are never skipped.
- LatestOnly: downstream tasks are skipped unless the run is externally triggered (Airflow 3: manual), the
  schedule has no next run, or now falls in the DAG's next data interval after this run's (the runner input
  carries it), i.e. this is the latest scheduled run.
"""
from dagbridge_shim import log
from dagbridge_shim.airflow_errors import raise_airflow
from dagbridge_shim.execution.common import find_task_group, flat_downstream_ids, group_roots, task_ids_of
from dagbridge_shim.execution.python import execute_python
from dagbridge_shim.runtime.datetimes import utcnow

SKIPMIXIN_KEY = "skipmixin_key"


class BranchDecision:
    """What a branching task decided: the followed ids and the ids to skip (both sorted)."""

    def __init__(self, follow_task_ids, skip_task_ids):
        self.follow_task_ids = sorted(follow_task_ids) if follow_task_ids is not None else None
        self.skip_task_ids = sorted(skip_task_ids)


def _record(context, follow_task_ids, skip_task_ids):
    decision = BranchDecision(follow_task_ids, skip_task_ids)
    ti = context["ti"]
    previous = getattr(ti, "_branch_decision", None)
    if previous is not None:
        # Two decisions in one run (a custom operator calling skip twice): skip the union.
        skipped = set(previous.skip_task_ids) | set(decision.skip_task_ids)
        follow = decision.follow_task_ids if decision.follow_task_ids is not None else previous.follow_task_ids
        decision = BranchDecision(follow, skipped)
    ti._branch_decision = decision
    return decision


def expand_task_group_roots(dag, branches):
    """Branch targets with TaskGroup ids replaced by the group's root task ids."""
    if branches is None:
        return []
    if isinstance(branches, str) or not hasattr(branches, "__iter__"):
        branches = [branches]
    expanded = []
    for branch in branches:
        group = find_task_group(dag, branch) if isinstance(branch, str) else None
        if group is not None and branch not in task_ids_of(dag):
            expanded.extend(task.task_id for task in group_roots(group))
        else:
            expanded.append(branch)
    return expanded


def skip_all_except(op, context, branch_task_ids):
    """Skips the direct downstream tasks of ``op`` that are not followed (Airflow's ``skip_all_except``)."""
    if isinstance(branch_task_ids, str):
        branch_set = {branch_task_ids}
    elif branch_task_ids is None:
        branch_set = set()
    elif hasattr(branch_task_ids, "__iter__"):
        branch_task_ids = list(branch_task_ids)
        invalid = sorted({(repr(b), type(b).__name__) for b in branch_task_ids if not isinstance(b, str)})
        if invalid:
            raise_airflow("AirflowException", "'branch_task_ids' expected all task IDs are strings. "
                          "Invalid tasks found: %s." % invalid)
        branch_set = set(branch_task_ids)
    else:
        raise_airflow("AirflowException", "'branch_task_ids' must be either None, a task ID, or an Iterable of "
                      "IDs, but got %r." % type(branch_task_ids).__name__)
    dag = op.dag
    invalid_ids = branch_set - task_ids_of(dag)
    if invalid_ids:
        raise_airflow("AirflowException", "'branch_task_ids' must contain only valid task_ids. "
                      "Invalid tasks found: %s." % sorted(invalid_ids))
    log.info("Following branch %s", sorted(branch_set))
    downstream = sorted(op.downstream_task_ids)
    followed_closure = set(branch_set)
    for branch_id in branch_set:
        followed_closure.update(flat_downstream_ids(dag.get_task(branch_id)))
    skip = [task_id for task_id in downstream if task_id not in followed_closure]
    follow = [task_id for task_id in downstream if task_id in followed_closure]
    log.info("Skipping tasks %s", skip)
    context["ti"].xcom_push(key=SKIPMIXIN_KEY, value={"followed": follow})
    return _record(context, follow, skip)


def do_branch(op, context, branches_to_execute):
    log.info("Branch into %s", branches_to_execute)
    skip_all_except(op, context, expand_task_group_roots(op.dag, branches_to_execute))
    return branches_to_execute


def execute_branch(op, context):
    """BranchPythonOperator (the callable returns the task id(s) to follow) and BaseBranchOperator subclasses
    (``choose_branch(context)`` does)."""
    if callable(getattr(op, "python_callable", None)):
        branches = execute_python(op, context)
    else:
        branches = op.choose_branch(context)
    return do_branch(op, context, branches)


def skip_tasks(op, context, task_ids):
    """Marks ``task_ids`` to be skipped by the scheduler (SkipMixin.skip)."""
    _record(context, None, task_ids)


def execute_short_circuit(op, context):
    """ShortCircuitOperator: a falsy return value skips downstream tasks."""
    condition = execute_python(op, context)
    log.info("Condition result is %s", condition)
    if condition:
        log.info("Proceeding with downstream tasks...")
        return condition
    if not op.downstream_task_ids:
        log.info("No downstream tasks; nothing to do.")
        return condition
    dag = op.dag
    if getattr(op, "ignore_downstream_trigger_rules", True) is not False:
        candidates = flat_downstream_ids(op)
    else:
        candidates = set(op.downstream_task_ids)
    to_skip = sorted(task_id for task_id in candidates if not getattr(dag.get_task(task_id), "is_teardown", False))
    log.info("Skipping downstream tasks")
    log.info("Skipping tasks %s", to_skip)
    _record(context, None, to_skip)
    log.info("Done.")
    return condition


def execute_latest_only(op, context):
    """LatestOnlyOperator: skips downstream tasks unless this is the latest scheduled run.

    Airflow 2.10.5 (airflow/operators/latest_only.py) proceeds for an externally triggered run
    (``dag_run.external_trigger``, False for the run of ``dags test``); Airflow 3's standard provider for a
    manual run (``run_type``). Otherwise the window is the DAG's next data interval after this run's (the runner
    input carries it); ``now`` must fall in it.
    """
    downstream = sorted(op.downstream_task_ids)
    dag_run = context["dag_run"]
    airflow3 = getattr(context["ti"], "_airflow_style", 2) == 3
    if (dag_run.run_type == "manual") if airflow3 else getattr(dag_run, "external_trigger", False):
        log.info("Externally triggered DAG_Run: allowing execution to proceed.")
        return do_branch(op, context, downstream)
    window = _next_interval(context)
    if window is None:
        log.info("Last scheduled execution: allowing execution to proceed.")
        return do_branch(op, context, downstream)
    now = utcnow()
    left_window, right_window = window
    log.info("Checking latest only with left_window: %s right_window: %s now: %s", left_window, right_window, now)
    if not left_window < now <= right_window:
        log.info("Not latest execution, skipping downstream.")
        return do_branch(op, context, [])
    log.info("Latest, allowing execution to proceed.")
    return do_branch(op, context, downstream)


def _next_interval(context):
    dag_run = context["dag_run"]
    if getattr(dag_run, "_next_data_interval_known", False):
        return dag_run._next_data_interval
    # A runner input without it: an interval as long as this one, starting at its end.
    start, end = context.get("data_interval_start"), context.get("data_interval_end")
    if start is None or end is None:
        return None
    return end, end + (end - start)
