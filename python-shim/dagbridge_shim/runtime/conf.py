"""The ``conf`` of the task context: a small stand-in for ``airflow.configuration.conf``."""
import os


class ConfStandin:
    """Reads ``AIRFLOW__SECTION__KEY`` env settings, as Airflow's configuration does for overrides."""

    def get(self, section, key, fallback=None, **kwargs):
        return os.environ.get("AIRFLOW__%s__%s" % (section.upper(), key.upper()), fallback)

    def getboolean(self, section, key, fallback=False, **kwargs):
        value = self.get(section, key)
        if value is None:
            return fallback
        return value.strip().lower() in ("true", "t", "1", "yes", "y")

    def getint(self, section, key, fallback=None, **kwargs):
        value = self.get(section, key)
        return fallback if value is None else int(value)

    def getfloat(self, section, key, fallback=None, **kwargs):
        value = self.get(section, key)
        return fallback if value is None else float(value)

    def has_option(self, section, key):
        return self.get(section, key) is not None

    def __repr__(self):
        return "<dagbridge conf stand-in>"
