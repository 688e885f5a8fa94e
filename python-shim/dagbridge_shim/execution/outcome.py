"""What an exception means for the task instance, as Airflow's ``_run_raw_task`` decides it.

Classes are matched by name along the exception's MRO, so the stand-in exceptions and real Airflow's are
treated alike.
"""
import ast
import importlib.util
import traceback

from dagbridge_shim import standin_gaps
from dagbridge_shim.run_contract import Outcome

_NOT_RETRYABLE = ("AirflowFailException", "AirflowSensorTimeout", "ProviderNotInstalled", "Jinja2NotInstalled",
                  "TaskDeferred")

# Import errors of provider modules name the distribution the worker lacks.
_NAMESPACED_PROVIDERS = ("apache", "cncf", "common", "microsoft", "dbt", "atlassian")


def _names(error):
    return [cls.__name__ for cls in type(error).__mro__]


def provider_package(module_name):
    """``apache-airflow-providers-<name>`` for a module under ``airflow.providers``, else None."""
    parts = module_name.split(".")
    if len(parts) < 3 or parts[0] != "airflow" or parts[1] != "providers":
        return None
    name = parts[2]
    if name in _NAMESPACED_PROVIDERS and len(parts) > 3:
        name = "%s-%s" % (name, parts[3])
    return "apache-airflow-providers-" + name.replace("_", "-")


def missing_provider_modules(path):
    """The ``airflow.providers.*`` modules a DAG file imports that cannot be found, in file order."""
    try:
        with open(path, "rb") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError):
        return []
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    missing = []
    for name in names:
        if not name.startswith("airflow.providers.") or name in missing:
            continue
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def classify_import_failure(error, dag_file):
    """The Outcome of a DAG file that failed to import: ProviderNotInstalled (not retryable) when it imports
    provider modules that are missing, else as ``classify``."""
    outcome = classify(error)
    if outcome.type_name == "ProviderNotInstalled" or "airflow.providers" not in str(error):
        return outcome
    missing = missing_provider_modules(dag_file)
    if not missing:
        return outcome
    packages = sorted({provider_package(name) for name in missing})
    outcome.type_name, outcome.retryable = "ProviderNotInstalled", False
    outcome.message = ("DAG file %s imports %s, which %s not installed: the worker's Python environment needs %s "
                       "(with Apache Airflow) to run this task; add %s to the queue's dependency manifest (%s)"
                       % (dag_file, ", ".join(missing), "is" if len(missing) == 1 else "are", ", ".join(packages),
                          "it" if len(packages) == 1 else "them", error))
    return outcome


def _format_traceback(error):
    return "".join(traceback.format_exception(type(error), error, error.__traceback__))


def classify(error):
    """The Outcome of ``error`` raised while preparing or running the task."""
    names = _names(error)
    if "AirflowSkipException" in names:
        return Outcome("skipped", message=str(error))
    if "AirflowRescheduleException" in names:
        reschedule_date = getattr(error, "reschedule_date", None)
        return Outcome("up_for_reschedule", message=str(error),
                       reschedule_at=reschedule_date.isoformat() if reschedule_date is not None else None)
    text = _format_traceback(error)
    type_name = type(error).__name__
    message = str(error)
    retryable = not any(name in _NOT_RETRYABLE for name in names)
    module_name = getattr(error, "name", None)
    if isinstance(error, ImportError) and isinstance(module_name, str):
        package = provider_package(module_name)
        if package is not None:
            type_name, retryable = "ProviderNotInstalled", False
            message = ("%s (the worker's Python environment needs the %s package, with Apache Airflow, to run this "
                       "task; add it to the queue's dependency manifest)" % (message, package))
    gap = standin_gaps.describe(error)
    if gap is not None:
        (type_name, message), retryable = gap, False
    if "TaskDeferred" in names:
        message = ("the task deferred itself outside execute (in pre_execute or a callback); dagbridge resumes "
                   "deferrals raised by execute and by the methods it resumes")
    return Outcome("failed", type_name, message, text, retryable)
