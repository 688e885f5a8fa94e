"""Triggers (stand-in of airflow.triggers): deferrable operators hand a trigger to Airflow's triggerer.

dagbridge has no triggerer: triggers can be built and serialised (so DAG files and operators that create them
load), but a task that defers fails, not retryable, with TaskDeferred (docs/compatibility.md).
"""
