"""Date helpers DAG files import (stand-in of airflow/utils/dates.py)."""
from datetime import datetime, timedelta

from airflow.utils import timezone

from dagbridge_shim.airflow_facts import AIRFLOW_UTILS_DATES_CRON_PRESETS

#: Airflow's dict exactly (schemas/airflow-facts.json); a schedule may also name @midnight or @annually.
cron_presets = dict(AIRFLOW_UTILS_DATES_CRON_PRESETS)


def days_ago(n, hour=0, minute=0, second=0, microsecond=0):
    """Midnight UTC `n` days ago (Airflow 2's deprecated helper, still common in DAG files)."""
    today = timezone.utcnow().replace(hour=hour, minute=minute, second=second, microsecond=microsecond)
    return today - timedelta(days=n)


def parse_execution_date(execution_date_str):
    return timezone.parse(execution_date_str)


def round_time(dt, delta, start_date=datetime.min):
    if isinstance(delta, timedelta):
        seconds = delta.total_seconds()
        start = start_date.replace(tzinfo=dt.tzinfo)
        steps = int((dt - start).total_seconds() // seconds)
        return start + timedelta(seconds=steps * seconds)
    raise TypeError("round_time needs a timedelta")


def infer_time_unit(time_seconds_arr):
    if not time_seconds_arr:
        return "hours"
    max_time_seconds = max(time_seconds_arr)
    if max_time_seconds <= 60 * 2:
        return "seconds"
    if max_time_seconds <= 60 * 60 * 2:
        return "minutes"
    if max_time_seconds <= 24 * 60 * 60 * 2:
        return "hours"
    return "days"


def scale_time_units(time_seconds_arr, unit):
    factor = {"minutes": 60, "hours": 3600, "days": 86400}.get(unit, 1)
    return [x / factor for x in time_seconds_arr]
