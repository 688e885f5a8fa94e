"""Airflow's exception types (stand-in). The runner maps them to task states."""


class AirflowException(Exception):
    """Base class for Airflow's errors."""

    status_code = 500


class AirflowBadRequest(AirflowException):
    status_code = 400


class AirflowNotFoundException(AirflowException):
    status_code = 404


class AirflowConfigException(AirflowException):
    pass


class AirflowSensorTimeout(AirflowException):
    """A sensor ran out of time: the task fails without retrying."""


class AirflowRescheduleException(AirflowException):
    """Raised by a reschedule-mode sensor: the task is tried again at `reschedule_date`."""

    def __init__(self, reschedule_date):
        super().__init__()
        self.reschedule_date = reschedule_date

    def __reduce__(self):
        return self.__class__, (self.reschedule_date,)


class AirflowSkipException(AirflowException):
    """The task is marked skipped."""


class AirflowFailException(AirflowException):
    """The task fails without retrying."""


class AirflowTaskTimeout(AirflowException):
    """A task (or a DAG file import) exceeded its time limit."""


class AirflowTaskTerminated(AirflowException):
    pass


class AirflowWebServerTimeout(AirflowException):
    pass


class AirflowDagCycleException(AirflowException):
    """A DAG's dependencies form a cycle."""


class AirflowDagDuplicatedIdException(AirflowException):
    """Two DAG files define the same dag_id."""

    def __init__(self, dag_id, incoming, existing):
        super().__init__(dag_id, incoming, existing)
        self.dag_id = dag_id
        self.incoming = incoming
        self.existing = existing

    def __str__(self):
        return "Ignoring DAG %s from %s - also found in %s" % (self.dag_id, self.incoming, self.existing)


class AirflowDagInconsistent(AirflowException):
    pass


class AirflowClusterPolicyViolation(AirflowException):
    pass


class AirflowClusterPolicySkipDag(AirflowException):
    pass


class AirflowTimetableInvalid(AirflowException):
    pass


class DagNotFound(AirflowNotFoundException):
    pass


class DagRunNotFound(AirflowNotFoundException):
    pass


class DagRunAlreadyExists(AirflowBadRequest):
    pass


class TaskNotFound(AirflowNotFoundException):
    pass


class DuplicateTaskIdFound(AirflowException):
    """A task id is used twice in one DAG."""


class TaskAlreadyInTaskGroup(AirflowException):
    pass


class ParamValidationError(AirflowException):
    """A Param's value does not match its schema."""


class SerializationError(AirflowException):
    pass


class UnmappableXComTypePushed(AirflowException):
    pass


class UnmappableXComLengthPushed(AirflowException):
    pass


class XComNotFound(AirflowException):
    pass


class TaskDeferred(BaseException):
    """An operator defers until its trigger fires (``BaseOperator.defer``); dagbridge runs the trigger in the
    task's process and resumes the task there (dagbridge_shim.execution.deferral)."""

    def __init__(self, *, trigger, method_name, kwargs=None, timeout=None):
        super().__init__()
        self.trigger = trigger
        self.method_name = method_name
        self.kwargs = kwargs
        self.timeout = timeout
        if self.timeout is not None and not hasattr(self.timeout, "total_seconds"):
            raise ValueError("Timeout value must be a timedelta")

    def __repr__(self):
        return "<TaskDeferred trigger=%s method=%s>" % (self.trigger, self.method_name)


class TaskDeferralError(AirflowException):
    pass


class RemovedInAirflow3Warning(DeprecationWarning):
    pass


class AirflowProviderDeprecationWarning(DeprecationWarning):
    pass


class ProviderNotInstalled(AirflowFailException):
    """An operator of a provider package that is not installed where the task runs (dagbridge)."""


class NotSupportedByDagbridge(AirflowFailException):
    """A name Airflow provides whose feature dagbridge's stand-in `airflow` package does not implement: importing
    it works, using it raises this (not retryable), naming the feature and what to do instead."""
