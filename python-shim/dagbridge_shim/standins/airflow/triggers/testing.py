"""Triggers that fire at once (stand-in of airflow.triggers.testing)."""
from airflow.triggers.base import ArgumentsTrigger


class SuccessTrigger(ArgumentsTrigger):
    """Fires a success event at once."""


class FailureTrigger(ArgumentsTrigger):
    """Raises at once."""


__all__ = ["FailureTrigger", "SuccessTrigger"]
