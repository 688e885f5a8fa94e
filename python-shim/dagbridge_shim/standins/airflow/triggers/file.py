"""FileTrigger (stand-in of airflow.triggers.file), run in the task's process when a task defers
(dagbridge_shim.execution.deferral)."""
import asyncio
import datetime
import os
from glob import glob

from airflow.triggers.base import ArgumentsTrigger, TriggerEvent


class FileTrigger(ArgumentsTrigger):
    """Fires when a file matching `filepath` (a glob) exists, or a folder it matches holds files."""

    def __init__(self, filepath, recursive=False, poke_interval=5.0, **kwargs):
        super().__init__(filepath=filepath, recursive=recursive, poke_interval=poke_interval, **kwargs)

    async def run(self):
        """Airflow 2.10.5's loop: glob every `poke_interval` seconds; one event, `True`."""
        while True:
            for path in glob(self.filepath, recursive=self.recursive):
                if os.path.isfile(path):
                    mod_time = datetime.datetime.fromtimestamp(os.path.getmtime(path)).strftime("%Y%m%d%H%M%S")
                    self.log.info("Found File %s last modified: %s", path, mod_time)
                    yield TriggerEvent(True)
                    return
                for _, _, files in os.walk(self.filepath):
                    if files:
                        yield TriggerEvent(True)
                        return
            await asyncio.sleep(self.poke_interval)


class FileDeleteTrigger(ArgumentsTrigger):
    """Fires when the file at `filepath` exists, then deletes it (Airflow 3's standard provider)."""

    def __init__(self, filepath, poke_interval=5.0, **kwargs):
        super().__init__(filepath=filepath, poke_interval=poke_interval, **kwargs)

    async def run(self):
        while True:
            if os.path.isfile(self.filepath):
                mod_time = datetime.datetime.fromtimestamp(os.path.getmtime(self.filepath)).strftime("%Y%m%d%H%M%S")
                self.log.info("Found file %s last modified: %s", self.filepath, mod_time)
                os.remove(self.filepath)
                self.log.info("File %s has been deleted", self.filepath)
                yield TriggerEvent(True)
                return
            await asyncio.sleep(self.poke_interval)


__all__ = ["FileTrigger", "FileDeleteTrigger"]
