"""BaseTrigger and TriggerEvent (stand-in of airflow.triggers.base)."""
import abc
import logging


class TriggerEvent:
    """What a trigger yields when its condition is met: one JSON-serialisable `payload`."""

    def __init__(self, payload):
        self.payload = payload

    def __repr__(self):
        return "TriggerEvent<%r>" % (self.payload,)

    def __eq__(self, other):
        return isinstance(other, TriggerEvent) and other.payload == self.payload

    __hash__ = None


class BaseTrigger(abc.ABC):
    """Base of triggers: `serialize()` returns `(classpath, kwargs)`; `run()` is an async generator of
    TriggerEvents, run by Airflow's triggerer; dagbridge runs it in the deferring task's own process
    (dagbridge_shim.execution.deferral)."""

    def __init__(self, **kwargs):
        self.trigger_id = None
        self.task_instance = None

    @property
    def log(self):
        return logging.getLogger("airflow.triggers.%s.%s" % (type(self).__module__, type(self).__name__))

    def _set_context(self, context):
        """Called by the triggerer in Airflow."""

    @abc.abstractmethod
    def serialize(self):
        raise NotImplementedError("Triggers must implement serialize()")

    @abc.abstractmethod
    async def run(self):
        raise NotImplementedError("Triggers must implement run()")
        yield  # pragma: no cover - makes this an async generator, as Airflow declares it

    async def cleanup(self):
        """Called when the trigger stops (Airflow's triggerer)."""

    @staticmethod
    def repr(classpath, kwargs):
        return "<%s %s>" % (classpath, " ".join("%s=%s" % item for item in kwargs.items()))

    def __repr__(self):
        classpath, kwargs = self.serialize()
        return self.repr(classpath, kwargs)


class StartTriggerArgs:
    """Arguments of an operator that starts deferred (`start_from_trigger`)."""

    def __init__(self, trigger_cls, next_method, trigger_kwargs=None, next_kwargs=None, timeout=None):
        self.trigger_cls = trigger_cls
        self.next_method = next_method
        self.trigger_kwargs = trigger_kwargs
        self.next_kwargs = next_kwargs
        self.timeout = timeout


class BaseTaskEndEvent(TriggerEvent):
    def __init__(self, *, xcoms=None, **kwargs):
        super().__init__(payload=kwargs.pop("payload", None))
        self.xcoms = xcoms


class TaskSuccessEvent(BaseTaskEndEvent):
    """Yielded by a trigger to end the task successfully without resuming it."""


class TaskFailedEvent(BaseTaskEndEvent):
    """Yielded by a trigger to fail the task without resuming it."""


class TaskSkippedEvent(BaseTaskEndEvent):
    """Yielded by a trigger to skip the task without resuming it."""


__all__ = ["BaseTaskEndEvent", "BaseTrigger", "StartTriggerArgs", "TaskFailedEvent", "TaskSkippedEvent", "TaskSuccessEvent",
           "TriggerEvent"]


class ArgumentsTrigger(BaseTrigger):
    """A trigger that keeps its constructor arguments and serialises as Airflow's would. Base of the stand-ins'
    concrete triggers (dagbridge only); those that do not implement `run()` raise NotSupportedByDagbridge when a
    task defers on them."""

    def __init__(self, **kwargs):
        super().__init__()
        self._arguments = dict(kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)

    def serialize(self):
        return ("%s.%s" % (type(self).__module__, type(self).__name__), dict(self._arguments))

    async def run(self):
        from airflow.exceptions import NotSupportedByDagbridge

        raise NotSupportedByDagbridge(
            "%s.run: dagbridge's stand-in of this trigger cannot run; use the operator's non-deferrable mode"
            % type(self).__name__
        )
        yield  # pragma: no cover - an async generator, as Airflow declares it
