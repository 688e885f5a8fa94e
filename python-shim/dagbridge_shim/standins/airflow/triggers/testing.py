"""Triggers that fire at once (stand-in of airflow.triggers.testing), as Airflow 2.10.5's."""
from airflow.triggers.base import ArgumentsTrigger, TriggerEvent


class SuccessTrigger(ArgumentsTrigger):
    """Fires a success event at once."""

    async def run(self):
        yield TriggerEvent(True)


class FailureTrigger(ArgumentsTrigger):
    """Raises at once."""

    async def run(self):
        if False:
            yield None
        raise ValueError("Deliberate trigger failure")


__all__ = ["FailureTrigger", "SuccessTrigger"]
