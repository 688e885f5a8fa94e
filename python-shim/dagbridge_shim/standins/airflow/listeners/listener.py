"""ListenerManager (stand-in of airflow.listeners.listener): the registered listeners and `hook.<name>(...)`,
which calls that hook on every listener implementing it (marked with `@hookimpl`), in registration order.

Which lifecycle events call the hooks is up to the scheduler and the task runner (docs/compatibility.md).
"""
import logging

log = logging.getLogger(__name__)


class _HookCaller:
    def __init__(self, manager):
        self._manager = manager

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)

        def call(**kwargs):
            results = []
            for listener in self._manager.listeners:
                implementation = getattr(listener, name, None)
                if callable(implementation) and hasattr(implementation, "airflow_impl"):
                    results.append(implementation(**kwargs))
            return results

        return call


class ListenerManager:
    """Manages the listeners plugins register."""

    def __init__(self):
        self.listeners = []
        self.hook = _HookCaller(self)

    @property
    def has_listeners(self):
        return bool(self.listeners)

    def add_listener(self, listener):
        if listener not in self.listeners:
            self.listeners.append(listener)

    def clear(self):
        self.listeners = []


_MANAGER = None


def get_listener_manager():
    """The process's ListenerManager."""
    global _MANAGER
    if _MANAGER is None:
        _MANAGER = ListenerManager()
    return _MANAGER


__all__ = ["ListenerManager", "get_listener_manager", "log"]
