"""FileTrigger (stand-in of airflow.triggers.file); see airflow.triggers.base.ArgumentsTrigger."""
from airflow.triggers.base import ArgumentsTrigger


class FileTrigger(ArgumentsTrigger):
    """Fires when a file matching `filepath` (a glob) exists."""

    def __init__(self, filepath, recursive=False, poke_interval=5.0, **kwargs):
        super().__init__(filepath=filepath, recursive=recursive, poke_interval=poke_interval, **kwargs)


class FileDeleteTrigger(ArgumentsTrigger):
    """Fires when the file at `filepath` exists, then deletes it (Airflow 3's standard provider)."""

    def __init__(self, filepath, poke_interval=5.0, **kwargs):
        super().__init__(filepath=filepath, poke_interval=poke_interval, **kwargs)


__all__ = ["FileTrigger"]
