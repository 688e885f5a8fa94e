"""LoggingMixin: a `log` property (stand-in of airflow.utils.log.logging_mixin)."""
import logging


class LoggingMixin:
    @property
    def log(self):
        return logging.getLogger("%s.%s" % (type(self).__module__, type(self).__name__))
