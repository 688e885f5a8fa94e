"""Airflow plugins in the task process: the ``AirflowPlugin`` subclasses of the plugins folder, their ``macros``
(in templates as ``macros.<plugin name>.<function>``) and their ``listeners`` (the task-instance hooks).

The folder is ``AIRFLOW__CORE__PLUGINS_FOLDER`` (Airflow's own setting; the worker sets it from
``--plugins-folder``). Loading follows Airflow 2.10.5's ``plugins_manager.load_plugins_from_plugin_directory``:
every ``.py`` file the folder's ``.airflowignore`` does not exclude is imported as a module named by its stem,
and every ``AirflowPlugin`` subclass in it (not ``AirflowPlugin`` itself) is validated and instantiated; a file
that fails to import is logged and skipped. Macros follow ``integrate_macros_plugins``: a module
``airflow.macros.<name>`` (lower case) holding the functions by their ``__name__``, set on the ``macros`` object
under the plugin's own name. Listeners follow ``integrate_listener_plugins``.

Under real Airflow, Airflow's own plugins manager does all of this; this module then only calls the hooks through
Airflow's listener manager. Plugin ``priority_weight_strategies`` register the classes a task's ``weight_rule``
may name (the stand-in ``airflow.task.priority_strategy``; the export evaluates them, dagbridge_shim.
priority_weights); plugin timetables are registered by ``dagbridge_shim.timetables`` (export and the scheduler's
``timetable`` command, docs/compatibility.md).
"""
import importlib.machinery
import importlib.util
import inspect
import os
import sys
import traceback
import types

from dagbridge_shim import log

PLUGINS_FOLDER_ENV = "AIRFLOW__CORE__PLUGINS_FOLDER"

_loaded = None

#: The folders the export and the scheduler's shim commands load plugins from, and what they loaded.
_export = {"configured": False, "dags": None, "plugins": None, "loaded": None}


def plugins_folder(environ=None):
    """The configured plugins folder, or None."""
    folder = (os.environ if environ is None else environ).get(PLUGINS_FOLDER_ENV)
    return folder if folder and os.path.isdir(folder) else None


def _plugin_classes(module, base):
    for value in list(vars(module).values()):
        if inspect.isclass(value) and issubclass(value, base) and value is not base:
            value.validate()
            yield value


def load_plugins(folder, module_prefix=""):
    """Instances of the plugins defined in ``folder``, in file walk order; import errors are logged. A file's
    module is named by its stem, under ``module_prefix`` when given (Airflow's example plugins)."""
    from airflow.plugins_manager import AirflowPlugin

    from dagbridge_shim.discovery import iter_python_files

    found = []
    seen = set()
    for file_path in iter_python_files(folder):
        name = os.path.splitext(os.path.basename(file_path))[0]
        if module_prefix:
            name = "%s.%s" % (module_prefix, name)
        try:
            loader = importlib.machinery.SourceFileLoader(name, file_path)
            spec = importlib.util.spec_from_loader(name, loader)
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            loader.exec_module(module)
            for plugin_class in _plugin_classes(module, AirflowPlugin):
                if plugin_class in seen:
                    continue
                seen.add(plugin_class)
                instance = plugin_class()
                instance.source = file_path
                found.append(instance)
        except Exception:
            log.error("Failed to import plugin %s:\n%s", file_path, traceback.format_exc().rstrip())
    return found


def configure_export(dags_folder, plugins_folder):
    """The folders :func:`export_plugins` loads from (the export and the ``timetable`` command set them)."""
    _export["configured"] = True
    _export["dags"] = os.path.abspath(dags_folder) if dags_folder else None
    _export["plugins"] = os.path.abspath(plugins_folder) if plugins_folder else None
    _export["loaded"] = None


def example_plugins_of(dags_folder):
    """``(module prefix, folder)`` of Airflow's example plugins when ``dags_folder`` is Airflow's own
    ``airflow.example_dags`` (dagbridge_shim.source_tree): Airflow with ``load_examples`` loads
    ``airflow/example_dags/plugins`` as ``airflow.example_dags.plugins.<stem>`` besides the plugins folder
    (plugins_manager.load_plugins_from_plugin_directory). None otherwise."""
    from dagbridge_shim.source_tree import airflow_package_of

    packages = airflow_package_of(dags_folder) if dags_folder else []
    if not packages or packages[-1][0] != "airflow.example_dags":
        return None
    folder = os.path.join(packages[-1][1], "plugins")
    if not os.path.isfile(os.path.join(folder, "__init__.py")):
        return None
    return "airflow.example_dags.plugins", folder


def dag_code_plugins():
    """The plugins DAG code registers with: the plugins folder (the one :func:`configure_export` set, else
    ``AIRFLOW__CORE__PLUGINS_FOLDER``, the task process's) and, for Airflow's example DAGs, Airflow's example
    plugins. Loaded once, on first use: Airflow's plugins manager loads them when a timetable or priority weight
    strategy is first looked up."""
    if _export["loaded"] is None:
        found = []
        folder = _export["plugins"] if _export["configured"] else plugins_folder()
        if folder and os.path.isdir(folder):
            found.extend(load_plugins(folder))
        example = example_plugins_of(_export["dags"])
        if example is not None:
            found.extend(load_plugins(example[1], module_prefix=example[0]))
        _export["loaded"] = found
    return _export["loaded"]


def _integrate_macros(plugins):
    from dagbridge_shim import macros

    for plugin in plugins:
        objects = list(getattr(plugin, "macros", None) or [])
        if not objects:
            continue
        module_name = ("airflow.macros.%s" % plugin.name).lower()
        module = types.ModuleType(module_name)
        module._name = module_name.split(".")[-1]
        module._objects = objects
        module.__dict__.update((obj.__name__, obj) for obj in objects)
        sys.modules[module_name] = module
        setattr(macros, plugin.name, module)


def _integrate_listeners(plugins):
    from airflow.listeners.listener import get_listener_manager

    manager = get_listener_manager()
    for plugin in plugins:
        for listener in getattr(plugin, "listeners", None) or []:
            manager.add_listener(listener)


def ensure_loaded(mode):
    """Loads the plugins folder's plugins once per process (stand-in mode) and integrates macros and listeners."""
    global _loaded
    if _loaded is not None:
        return _loaded
    _loaded = []
    folder = plugins_folder()
    if folder is None or mode == "airflow":
        return _loaded
    _loaded = dag_code_plugins()
    _integrate_macros(_loaded)
    _integrate_listeners(_loaded)
    return _loaded


def _manager(mode):
    if mode != "airflow" and not ensure_loaded(mode):
        return None
    try:
        # Under real Airflow, its listener manager integrates the plugins itself.
        from airflow.listeners.listener import get_listener_manager
    except ImportError:  # an Airflow without listeners (before 2.5)
        return None
    manager = get_listener_manager()
    return manager if manager.has_listeners else None


def task_running(ti, mode):
    """``on_task_instance_running(previous_state=QUEUED, ...)``: Airflow calls it after ``on_execute_callback``,
    before ``execute``; an error in it fails the task, as in Airflow."""
    manager = _manager(mode)
    if manager is not None:
        manager.hook.on_task_instance_running(previous_state="queued", task_instance=ti, session=None)


def task_finished(ti, mode, state, error=None):
    """``on_task_instance_success`` (state success) or ``on_task_instance_failed`` (failed or up_for_retry, with
    the error), ``previous_state=RUNNING``. Called once the outcome is decided; an error in a listener is logged
    and never changes it (Airflow has saved the state before it calls these hooks)."""
    if state not in ("success", "failed", "up_for_retry"):
        return
    try:
        manager = _manager(mode)
        if manager is None:
            return
        if state == "success":
            manager.hook.on_task_instance_success(previous_state="running", task_instance=ti, session=None)
        else:
            manager.hook.on_task_instance_failed(previous_state="running", task_instance=ti, error=error, session=None)
    except Exception:
        log.error("Error in a listener's on_task_instance_%s hook:\n%s",
                  "success" if state == "success" else "failed", traceback.format_exc().rstrip())


# --- DAG-run hooks and the listener probe (the scheduler's side, docs/plugins.md) -------------------------------

#: The hooks of Airflow 2.10.5's listener specs (airflow/listeners/spec/*.py).
LISTENER_HOOKS = (
    "on_starting", "before_stopping",
    "on_dag_run_running", "on_dag_run_success", "on_dag_run_failed",
    "on_task_instance_running", "on_task_instance_success", "on_task_instance_failed",
    "on_dataset_created", "on_dataset_changed",
    "on_new_dag_import_error", "on_existing_dag_import_error",
)

#: The hook Airflow's DagRun.notify_dagrun_state_changed calls for each state it notifies.
DAG_RUN_HOOKS = {"running": "on_dag_run_running", "success": "on_dag_run_success", "failed": "on_dag_run_failed"}


def _registered_listeners(manager):
    listeners = getattr(manager, "listeners", None)  # the stand-in's manager
    if listeners is None:  # Airflow's pluggy manager
        listeners = manager.pm.get_plugins()
    return list(listeners)


def implemented_hooks(mode):
    """The listener hooks that at least one registered listener implements (marked with ``@hookimpl``), in the
    specs' order: what the scheduler asks before it records any DAG-run hook call."""
    manager = _manager(mode)
    if manager is None:
        return []
    listeners = _registered_listeners(manager)
    return [name for name in LISTENER_HOOKS
            if any(hasattr(getattr(listener, name, None), "airflow_impl") for listener in listeners)]


def dag_run_changed(dag_run, hook, msg, mode):
    """Calls ``hook`` (``on_dag_run_running`` / ``_success`` / ``_failed``) with ``dag_run`` and ``msg``, as
    Airflow 2.10.5's ``DagRun.notify_dagrun_state_changed``. An error in a listener is logged and returned (the
    run's state was saved before; nothing here changes it), never raised."""
    if hook not in DAG_RUN_HOOKS.values():
        raise ValueError("unknown DAG-run hook %r" % (hook,))
    try:
        manager = _manager(mode)
        if manager is not None:
            getattr(manager.hook, hook)(dag_run=dag_run, msg=msg)
        return None
    except Exception as error:
        log.error("Error in a listener's %s hook:\n%s", hook, traceback.format_exc().rstrip())
        return error
