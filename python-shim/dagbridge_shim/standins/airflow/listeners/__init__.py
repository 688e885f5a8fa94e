"""Listeners (stand-in of airflow.listeners): `@hookimpl` marks a module's functions as implementations of
Airflow's listener hooks (`on_task_instance_running`, `on_dag_run_success`, ...). Airflow uses pluggy; the
marker here sets the same `airflow_impl` attribute pluggy's would, without needing pluggy."""


class _HookMarker:
    def __init__(self, project_name, kind):
        self.project_name = project_name
        self._attribute = "%s_%s" % (project_name, kind)

    def __call__(self, function=None, **options):
        def mark(func):
            setattr(func, self._attribute, dict(options))
            return func

        return mark(function) if function is not None else mark


hookimpl = _HookMarker("airflow", "impl")
hookspec = _HookMarker("airflow", "spec")

__all__ = ["hookimpl"]
