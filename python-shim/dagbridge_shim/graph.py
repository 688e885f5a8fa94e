"""Graph checks on a DAG's tasks, shared by the stand-ins and the conversion of real Airflow DAGs."""

_NEW, _IN_PROGRESS, _DONE = 0, 1, 2


def find_cycle(task_dict):
    """The task id at which a cycle closes, or None. Depth-first like Airflow's check_cycle, with sorted
    children so that the answer does not depend on set order."""
    state = dict.fromkeys(task_dict, _NEW)
    for start in task_dict:
        if state[start] == _DONE:
            continue
        stack = [(start, iter(sorted(task_dict[start].downstream_task_ids)))]
        state[start] = _IN_PROGRESS
        while stack:
            task_id, children = stack[-1]
            for child in children:
                if child not in state:
                    continue
                if state[child] == _IN_PROGRESS:
                    return child
                if state[child] == _NEW:
                    state[child] = _IN_PROGRESS
                    stack.append((child, iter(sorted(task_dict[child].downstream_task_ids))))
                    break
            else:
                state[task_id] = _DONE
                stack.pop()
    return None


def check_cycle(dag):
    """Raises AirflowDagCycleException (from the `airflow` in use) when the DAG has a cycle."""
    faulty = find_cycle(dag.task_dict)
    if faulty is not None:
        from airflow.exceptions import AirflowDagCycleException

        raise AirflowDagCycleException("Cycle detected in DAG: %s. Faulty task: %s" % (dag.dag_id, faulty))


def topological_order(task_dict):
    """Task ids with every task after its upstream tasks (Kahn, ties in definition order)."""
    indegree = {tid: len([u for u in t.upstream_task_ids if u in task_dict]) for tid, t in task_dict.items()}
    ready = [tid for tid, n in indegree.items() if n == 0]
    order = []
    while ready:
        tid = ready.pop(0)
        order.append(tid)
        for child in sorted(task_dict[tid].downstream_task_ids):
            if child in indegree:
                indegree[child] -= 1
                if indegree[child] == 0:
                    ready.append(child)
    if len(order) != len(task_dict):
        raise ValueError("the DAG has a cycle")
    return order
