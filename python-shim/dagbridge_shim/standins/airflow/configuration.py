"""A read-only stand-in for `airflow.configuration.conf`: `AIRFLOW__SECTION__KEY` environment variables over
Airflow's defaults for the few options that change how DAG files are read."""
import os

from airflow.exceptions import AirflowConfigException

_DEFAULTS = {
    ("core", "default_timezone"): "utc",
    ("core", "dags_folder"): "",
    ("core", "default_task_retries"): "0",
    ("core", "default_task_retry_delay"): "300",
    ("core", "max_task_retry_delay"): "86400",
    ("core", "default_task_weight_rule"): "downstream",
    ("core", "default_task_execution_timeout"): "",
    ("core", "max_active_tasks_per_dag"): "16",
    ("core", "max_active_runs_per_dag"): "16",
    ("core", "max_consecutive_failed_dag_runs_per_dag"): "0",
    ("core", "dags_are_paused_at_creation"): "True",
    ("core", "dag_ignore_file_syntax"): "regexp",
    ("core", "dagbag_import_timeout"): "30",
    ("core", "load_examples"): "False",
    ("core", "unit_test_mode"): "False",
    ("operators", "default_owner"): "airflow",
    ("operators", "default_queue"): "default",
    ("operators", "default_deferrable"): "False",
    ("operators", "allow_illegal_arguments"): "False",
    ("scheduler", "catchup_by_default"): "True",
    ("webserver", "base_url"): "http://localhost:8080",
    ("smtp", "smtp_host"): "localhost",
    ("smtp", "smtp_port"): "25",
    ("smtp", "smtp_starttls"): "True",
    ("smtp", "smtp_ssl"): "False",
    ("smtp", "smtp_timeout"): "30",
    ("smtp", "smtp_mail_from"): "airflow@example.com",
}

_MISSING = object()


class AirflowConfigParser:
    """`conf.get(section, key, fallback=...)` and the typed getters DAG files use."""

    def get(self, section, key, fallback=_MISSING, **_kwargs):
        env = os.environ.get("AIRFLOW__%s__%s" % (section.upper(), key.upper()))
        if env is not None:
            return env
        value = _DEFAULTS.get((section.lower(), key.lower()), _MISSING)
        if value is not _MISSING:
            return value
        if fallback is not _MISSING:
            return fallback
        raise AirflowConfigException("section/key [%s/%s] not found in config" % (section, key))

    def getboolean(self, section, key, fallback=_MISSING, **kwargs):
        value = self.get(section, key, fallback=fallback, **kwargs)
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower().split("#")[0].strip()
        if text in ("t", "true", "1"):
            return True
        if text in ("f", "false", "0"):
            return False
        raise AirflowConfigException('Failed to convert value to bool. Please check "%s" key in "%s" section.' % (key, section))

    def getint(self, section, key, fallback=_MISSING, **kwargs):
        value = self.get(section, key, fallback=fallback, **kwargs)
        return value if value is None else int(value)

    def getfloat(self, section, key, fallback=_MISSING, **kwargs):
        value = self.get(section, key, fallback=fallback, **kwargs)
        return value if value is None else float(value)

    def has_option(self, section, key):
        return self.get(section, key, fallback=None) is not None

    def getsection(self, section):
        return {k: v for (s, k), v in _DEFAULTS.items() if s == section.lower()} or None


conf = AirflowConfigParser()
