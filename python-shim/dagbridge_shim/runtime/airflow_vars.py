"""The ``AIRFLOW_CTX_*`` variables Airflow exports to a task's environment (``context_to_airflow_vars``)."""


def context_to_airflow_vars(context, airflow_style=2):
    """The ``AIRFLOW_CTX_*`` variables Airflow exports to a BashOperator's environment."""
    ti = context.get("ti")
    dag = context.get("dag")
    task = context.get("task")
    dag_run = context.get("dag_run")
    result = {}
    if dag is not None and getattr(dag, "dag_id", None):
        result["AIRFLOW_CTX_DAG_ID"] = str(dag.dag_id)
    elif ti is not None:
        result["AIRFLOW_CTX_DAG_ID"] = str(ti.dag_id)
    if ti is not None:
        result["AIRFLOW_CTX_TASK_ID"] = str(ti.task_id)
        result["AIRFLOW_CTX_TRY_NUMBER"] = str(ti.try_number)
    if dag_run is not None:
        if dag_run.logical_date is not None:
            name = "AIRFLOW_CTX_LOGICAL_DATE" if airflow_style == 3 else "AIRFLOW_CTX_EXECUTION_DATE"
            result[name] = dag_run.logical_date.isoformat()
        result["AIRFLOW_CTX_DAG_RUN_ID"] = str(dag_run.run_id)
    owner = getattr(task, "owner", None) or getattr(dag, "owner", None)
    if owner:
        result["AIRFLOW_CTX_DAG_OWNER"] = owner if isinstance(owner, str) else ",".join(owner)
    email = getattr(task, "email", None)
    if email:
        result["AIRFLOW_CTX_DAG_EMAIL"] = email if isinstance(email, str) else ",".join(email)
    return result
