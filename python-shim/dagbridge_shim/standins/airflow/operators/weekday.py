"""BranchDayOfWeekOperator (stand-in of airflow.operators.weekday, Airflow 2.10.5
airflow/operators/weekday.py): the true branch when today (in the DAG's timezone) or the logical date falls
on one of `week_day`."""
from airflow.operators.branch import BaseBranchOperator
from airflow.utils import timezone
from airflow.utils.weekday import WeekDay


class BranchDayOfWeekOperator(BaseBranchOperator):
    def __init__(
        self,
        *,
        follow_task_ids_if_true,
        follow_task_ids_if_false,
        week_day,
        use_task_logical_date=False,
        use_task_execution_day=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.follow_task_ids_if_true = follow_task_ids_if_true
        self.follow_task_ids_if_false = follow_task_ids_if_false
        self.week_day = week_day
        self.use_task_logical_date = use_task_logical_date or use_task_execution_day
        self._week_day_num = WeekDay.validate_week_day(week_day)

    def choose_branch(self, context):
        if self.use_task_logical_date:
            now = context["logical_date"]
        else:
            now = timezone.make_naive(timezone.utcnow(), getattr(self.dag, "timezone", None))
        if now.isoweekday() in self._week_day_num:
            return self.follow_task_ids_if_true
        return self.follow_task_ids_if_false


__all__ = ["BranchDayOfWeekOperator"]
