"""DayOfWeekSensor (stand-in of airflow.sensors.weekday, Airflow 2.10.5 airflow/sensors/weekday.py): done
when today (UTC) or the logical date falls on one of `week_day`."""
from airflow.sensors.base import BaseSensorOperator
from airflow.utils import timezone
from airflow.utils.weekday import WeekDay


class DayOfWeekSensor(BaseSensorOperator):
    def __init__(self, *, week_day, use_task_logical_date=False, use_task_execution_day=False, **kwargs):
        super().__init__(**kwargs)
        self.week_day = week_day
        self.use_task_logical_date = use_task_logical_date or use_task_execution_day
        self._week_day_num = WeekDay.validate_week_day(week_day)

    def poke(self, context):
        self.log.info("Poking until weekday is in %s, Today is %s", self.week_day,
                      WeekDay(timezone.utcnow().isoweekday()).name)
        if self.use_task_logical_date:
            return context["logical_date"].isoweekday() in self._week_day_num
        return timezone.utcnow().isoweekday() in self._week_day_num


__all__ = ["DayOfWeekSensor"]
