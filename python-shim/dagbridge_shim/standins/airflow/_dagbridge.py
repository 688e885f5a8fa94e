"""State shared by the stand-ins while one DAG file is imported (dagbridge only, not an Airflow module).

`airflow_style` is set by dagbridge_shim.loader before a file is imported: 3 when the file imports
`airflow.sdk`, else 2. It decides the defaults that changed between Airflow 2 and 3 (schedule, catchup).
"""

airflow_style = 2


class _NotSet:
    """Airflow's NOTSET sentinel: an argument that was not given (None can be a real value)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self):
        return "NOTSET"

    def __bool__(self):
        return False

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


NOTSET = _NotSet()
ArgNotSet = _NotSet


def is_arg_passed(value):
    return value is not NOTSET


def flatten(items):
    """Yields the leaves of nested lists/tuples/sets (the shapes `>>` and `chain` accept)."""
    if isinstance(items, (list, tuple, set, frozenset)):
        for item in items:
            yield from flatten(item)
    else:
        yield items


def reexport(namespace, module_name):
    """Copies a module's public names into `namespace` (an Airflow 3 path that mirrors an Airflow 2 one)."""
    import importlib

    source = importlib.import_module(module_name)
    namespace.update({k: v for k, v in vars(source).items() if not k.startswith("__")})
