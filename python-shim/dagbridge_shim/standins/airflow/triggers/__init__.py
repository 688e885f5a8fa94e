"""Triggers (stand-in of airflow.triggers): deferrable operators hand a trigger to Airflow's triggerer.

dagbridge has no triggerer: a task that defers runs its trigger in its own process and resumes there, as Airflow's
``dag.test()`` does (dagbridge_shim.execution.deferral, docs/compatibility.md). The stand-ins' DateTimeTrigger,
TimeDeltaTrigger, FileTrigger and FileDeleteTrigger run; the others serialise but cannot run.
"""
