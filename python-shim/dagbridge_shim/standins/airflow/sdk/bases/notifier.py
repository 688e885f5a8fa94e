"""BaseNotifier (stand-in of airflow.sdk.bases.notifier)."""
from airflow.notifications.basenotifier import BaseNotifier  # noqa: F401
