"""BranchDateTimeOperator (stand-in of airflow.operators.datetime), following Airflow 2.10.5
airflow/operators/datetime.py: the true branch when now (or the logical date) lies within
[target_lower, target_upper]; times of day are taken on that day, an upper time before the lower one on the
next day, naive values in the DAG's timezone."""
import datetime

from airflow.exceptions import AirflowException
from airflow.operators.branch import BaseBranchOperator
from airflow.utils import timezone


class BranchDateTimeOperator(BaseBranchOperator):
    def __init__(
        self,
        *,
        follow_task_ids_if_true,
        follow_task_ids_if_false,
        target_lower,
        target_upper,
        use_task_logical_date=False,
        use_task_execution_date=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if target_lower is None and target_upper is None:
            raise AirflowException(
                "Both target_upper and target_lower are None. At least one "
                "must be defined to be compared to the current datetime"
            )
        self.target_lower = target_lower
        self.target_upper = target_upper
        self.follow_task_ids_if_true = follow_task_ids_if_true
        self.follow_task_ids_if_false = follow_task_ids_if_false
        self.use_task_logical_date = use_task_logical_date or use_task_execution_date

    def choose_branch(self, context):
        now = context["logical_date"] if self.use_task_logical_date else timezone.utcnow()
        lower, upper = target_times_as_dates(now, self.target_lower, self.target_upper)
        zone = getattr(self.dag, "timezone", None)
        lower = timezone.coerce_datetime(lower, zone)
        upper = timezone.coerce_datetime(upper, zone)
        if upper is not None and upper < now:
            return self.follow_task_ids_if_false
        if lower is not None and lower > now:
            return self.follow_task_ids_if_false
        return self.follow_task_ids_if_true


def target_times_as_dates(base_date, lower, upper):
    """`lower` and `upper` as datetimes: a time of day is taken on `base_date`'s day; when both are given
    and upper comes first, upper moves to the next day."""
    if isinstance(lower, datetime.datetime) and isinstance(upper, datetime.datetime):
        return lower, upper
    if isinstance(lower, datetime.time):
        lower = datetime.datetime.combine(base_date.date(), lower)
    if isinstance(upper, datetime.time):
        upper = datetime.datetime.combine(base_date.date(), upper)
    if lower is None or upper is None:
        return lower, upper
    if upper < lower:
        upper += datetime.timedelta(days=1)
    return lower, upper


__all__ = ["BranchDateTimeOperator", "target_times_as_dates"]
