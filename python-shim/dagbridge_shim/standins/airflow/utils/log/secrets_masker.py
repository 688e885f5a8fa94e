"""Secrets masking (stand-in of airflow.utils.log.secrets_masker): ``mask_secret`` and ``redact`` act on the
task log through ``dagbridge_shim.runtime.secrets_masker``."""
from dagbridge_shim.runtime.secrets_masker import DEFAULT_SENSITIVE_FIELDS, should_hide_value_for_key  # noqa: F401
from dagbridge_shim.runtime.secrets_masker import add_mask as _add_mask
from dagbridge_shim.runtime.secrets_masker import redact as _redact


def mask_secret(secret, name=None):
    """Masks ``secret`` (a string, or the sensitive values of a dict or list) in the task log from now on."""
    _add_mask(secret, name)


def redact(value, name=None, max_depth=None):
    """``value`` with registered secrets, and every string under a sensitive name, replaced by ``***``."""
    return _redact(value, name, 0, max_depth or 5)


def get_sensitive_variables_fields():
    from dagbridge_shim.runtime.secrets_masker import sensitive_fields

    return sensitive_fields()
