"""Importing DAG files: choosing real Airflow or the stand-ins, sys.path, and collecting a file's DAGs.

Used by `export` (one file per child process) and by the task runner (`load_dag_file`). A DAG file is
imported under a module name of its own (like Airflow's `unusual_prefix_<hash>_<name>`), so `__name__` is
never `__main__` and two files with the same base name do not collide.
"""
import ast
import hashlib
import importlib.util
import os
import sys

STANDINS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "standins")
#: Stand-ins for third-party packages Airflow brings along (pendulum): last on sys.path, so an installed
#: distribution of the same name always wins.
FALLBACKS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fallbacks")

MODE_AIRFLOW = "airflow"
MODE_STANDIN = "standin"


def real_airflow_spec():
    """The import spec of an installed Apache Airflow, or None (the stand-ins do not count)."""
    saved = [p for p in sys.path if os.path.abspath(p or ".") == STANDINS_DIR]
    if saved:
        sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != STANDINS_DIR]
    try:
        loaded = sys.modules.get("airflow")
        if loaded is not None:
            return None if getattr(loaded, "DAGBRIDGE_STANDIN", False) else loaded.__spec__
        try:
            return importlib.util.find_spec("airflow")
        except (ImportError, ValueError):
            return None
    finally:
        if saved:
            sys.path.insert(0, STANDINS_DIR)


def choose_mode(no_airflow=False):
    """`airflow` when Apache Airflow is importable and not refused, else `standin`."""
    if no_airflow:
        return MODE_STANDIN
    return MODE_AIRFLOW if real_airflow_spec() is not None else MODE_STANDIN


def airflow_version():
    """The version real Airflow reports (imports it)."""
    import airflow

    return str(getattr(airflow, "__version__", "unknown"))


def activate_standins():
    """Puts the stand-in `airflow` package first on sys.path, the fallback packages (pendulum) last, and
    makes unknown provider modules importable. Idempotent."""
    if not sys.path or os.path.abspath(sys.path[0] or ".") != STANDINS_DIR:
        sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != STANDINS_DIR]
        sys.path.insert(0, STANDINS_DIR)
    if os.path.abspath(sys.path[-1] or ".") != FALLBACKS_DIR:
        sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != FALLBACKS_DIR]
        sys.path.append(FALLBACKS_DIR)
    from dagbridge_shim.provider_finder import install

    install()


#: The stand-in modules real Airflow has imported by the time it imports a DAG file, in the DAG processor and in
#: the task process alike. Derived from the top-level (not TYPE_CHECKING, not in-function) import closures of
#: Airflow 2.10.5's `airflow.dag_processing.processor` and `airflow.cli.commands.task_command` (the same set among
#: the stand-ins) and of Airflow 3's `airflow.dag_processing.processor` (which adds `airflow.sdk`). Importing a
#: submodule makes it an attribute of its package, so `import airflow` then `airflow.utils.dates.days_ago(1)`
#: works in real Airflow's parse and task alike: both of dagbridge's worlds load exactly this list, nothing more.
AIRFLOW_WORLD_MODULES = (
    "airflow", "airflow.configuration", "airflow.datasets", "airflow.exceptions", "airflow.hooks", "airflow.hooks.base",
    "airflow.listeners", "airflow.listeners.listener", "airflow.models", "airflow.models.baseoperator",
    "airflow.models.connection", "airflow.models.dag", "airflow.models.expandinput", "airflow.models.param",
    "airflow.models.taskinstance", "airflow.models.taskmixin", "airflow.models.xcom_arg", "airflow.plugins_manager",
    "airflow.sdk", "airflow.sdk.definitions", "airflow.sdk.definitions.asset", "airflow.sdk.definitions.asset.decorators",
    "airflow.sdk.definitions.asset.metadata", "airflow.task", "airflow.task.priority_strategy", "airflow.timetables",
    "airflow.timetables.base", "airflow.timetables.interval", "airflow.timetables.simple", "airflow.timetables.trigger",
    "airflow.triggers", "airflow.triggers.base", "airflow.utils", "airflow.utils.context", "airflow.utils.dates",
    "airflow.utils.decorators", "airflow.utils.edgemodifier", "airflow.utils.email", "airflow.utils.helpers",
    "airflow.utils.log", "airflow.utils.log.logging_mixin", "airflow.utils.operator_helpers",
    "airflow.utils.setup_teardown", "airflow.utils.state", "airflow.utils.task_group", "airflow.utils.timezone",
    "airflow.utils.trigger_rule", "airflow.utils.types", "airflow.utils.weight_rule",
)


def load_airflow_world(variables=None):
    """Makes this process the world a DAG file is imported in, the same for `export` (before its children fork)
    and `run`: the stand-ins active, {@link AIRFLOW_WORLD_MODULES} imported, and the metadata database's
    Variables (`variables`, key -> value) given to `Variable` so that `Variable.get` at the top of a DAG file
    sees them, as Airflow's parse reads the variables table."""
    activate_standins()
    for name in AIRFLOW_WORLD_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            # A stand-in module that fails to import is reported when a DAG file needs it.
            pass
    if variables:
        from airflow.models.variable import Variable

        Variable._dagbridge_values.update(variables)


def setup_sys_path(dags_folder, plugins_folder=None):
    """The DAGs folder, the plugins folder and an `include/` folder beside the DAGs folder (with its
    parent, for `from include.x import y`) become importable, as in Airflow deployments."""
    dags_folder = os.path.abspath(dags_folder)
    wanted = [dags_folder]
    if plugins_folder:
        wanted.append(os.path.abspath(plugins_folder))
    parent = os.path.dirname(dags_folder)
    include = os.path.join(parent, "include")
    if os.path.isdir(include):
        wanted.append(include)
    position = 1 if sys.path and os.path.abspath(sys.path[0] or ".") == STANDINS_DIR else 0
    for path in reversed(wanted):
        if path not in sys.path:
            sys.path.insert(position, path)
    if os.path.isdir(include) and parent not in sys.path:
        sys.path.append(parent)
    if position == 1:
        from dagbridge_shim import source_tree

        source_tree.install(dags_folder)


def module_name_for(path):
    """Airflow's naming of an imported DAG file: `unusual_prefix_<sha1 of path>_<file name>`."""
    digest = hashlib.sha1(path.encode("utf-8")).hexdigest()
    stem = os.path.splitext(os.path.basename(path))[0]
    return "unusual_prefix_%s_%s" % (digest, stem)


def uses_airflow_sdk(tree):
    """Whether a parsed file imports `airflow.sdk` (Airflow 3 style)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(a.name == "airflow.sdk" or a.name.startswith("airflow.sdk.") for a in node.names):
                return True
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "airflow.sdk" or node.module.startswith("airflow.sdk."):
                return True
            if node.module == "airflow" and any(a.name == "sdk" for a in node.names):
                return True
    return False


def style_of_source(source):
    """2 or 3, from a file's source (bytes or str); a file that does not parse counts as 2."""
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    if "sdk" not in text:
        return 2
    try:
        return 3 if uses_airflow_sdk(ast.parse(text)) else 2
    except (SyntaxError, ValueError):
        return 2


def import_standin_file(path, style):
    """Imports one DAG file with the stand-ins active; returns its DAGs in definition order
    (module globals first, then those registered by `with DAG(...)` / `@dag`). Exceptions propagate."""
    from airflow import _dagbridge
    from airflow.models.dag import DAG, DagContext

    _dagbridge.airflow_style = style
    DagContext.autoregistered_dags[:] = []
    DagContext._context_managed_dags[:] = []
    name = module_name_for(path)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    found = []
    seen = set()
    for value in list(vars(module).values()) + list(DagContext.autoregistered_dags):
        if isinstance(value, DAG) and id(value) not in seen:
            seen.add(id(value))
            value.fileloc = path
            found.append(value)
    return found


def load_dag_file(dags_folder, rel_path, use_airflow):
    """Imports one DAG file and returns `{dag_id: dag}`.

    `use_airflow`: use Apache Airflow's own DagBag when it is importable (else the stand-ins are used).
    Raises the file's import error (any exception), or ImportError naming Airflow's import errors.
    """
    dags_folder = os.path.abspath(dags_folder)
    path = os.path.join(dags_folder, rel_path)
    mode = choose_mode(no_airflow=not use_airflow)
    if mode == MODE_AIRFLOW:
        setup_sys_path(dags_folder)
        from airflow.models.dagbag import DagBag

        bag = DagBag(dag_folder=path, include_examples=False, safe_mode=False)
        if getattr(bag, "import_errors", None):
            raise ImportError("; ".join("%s: %s" % item for item in bag.import_errors.items()))
        return dict(bag.dags)
    load_airflow_world()
    setup_sys_path(dags_folder)
    with open(path, "rb") as handle:
        style = style_of_source(handle.read())
    dags = {}
    for dag in import_standin_file(path, style):
        dags.setdefault(dag.dag_id, dag)
    return dags
