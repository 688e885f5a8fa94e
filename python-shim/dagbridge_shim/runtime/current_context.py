"""``get_current_context()``: the context of the task that is running, on a stack the runner pushes to."""
import sys

_CURRENT_CONTEXT = []

# The modules of real Airflow (2.x, 3.x) and of the stand-ins that keep a context stack of their own.
_AIRFLOW_STACK_MODULES = ("airflow.models.taskinstance", "airflow.sdk.definitions._internal.contextmanager",
                          "airflow.sdk.definitions.contextmanager")


class set_current_context:
    """Makes ``context`` what ``get_current_context()`` returns while the task runs (a context manager).

    Also registers it with real Airflow's own stack when Airflow is loaded, so Airflow's
    ``get_current_context`` sees it too.
    """

    def __init__(self, context):
        self.context = context
        self._airflow_stacks = []

    def __enter__(self):
        _CURRENT_CONTEXT.append(self.context)
        for module_name in _AIRFLOW_STACK_MODULES:
            module = sys.modules.get(module_name)
            stack = getattr(module, "_CURRENT_CONTEXT", None) if module is not None else None
            if isinstance(stack, list) and stack is not _CURRENT_CONTEXT:
                stack.append(self.context)
                self._airflow_stacks.append(stack)
        return self.context

    def __exit__(self, *exc_info):
        for stack in self._airflow_stacks:
            if stack and stack[-1] is self.context:
                stack.pop()
        if _CURRENT_CONTEXT and _CURRENT_CONTEXT[-1] is self.context:
            _CURRENT_CONTEXT.pop()
        return False


def get_current_context():
    """The context of the task that is running (Airflow's ``get_current_context``)."""
    if not _CURRENT_CONTEXT:
        raise RuntimeError(
            "Current context was requested but no context was found! Are you running within an Airflow task?"
        )
    return _CURRENT_CONTEXT[-1]
