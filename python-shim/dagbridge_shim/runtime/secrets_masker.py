"""Secrets kept out of the task log, as Airflow's secrets masker (``airflow/utils/log/secrets_masker.py``).

``add_mask(secret, name)`` registers a secret: a string (masked when ``name`` is None or a sensitive name), or a
dict or list walked with each key as the name. A Connection registers its password (and its URL-quoted form)
when it is made, and the values of its ``extra`` under sensitive keys when it is fetched. Sensitive names are
Airflow's ``DEFAULT_SENSITIVE_FIELDS`` plus ``AIRFLOW__CORE__SENSITIVE_VAR_CONN_NAMES`` (comma-separated); a name
is sensitive when one of them is part of it, case-insensitively (``db_password`` is), unless
``AIRFLOW__CORE__HIDE_SENSITIVE_VAR_CONN_FIELDS`` is false.

Airflow filters the records of the task's logger, and the task's stdout and stderr reach that logger. The shim's
task writes its log to stdout and stderr itself, so ``install()`` (at the start of ``run``, before the DAG file is
imported) puts a redacting writer in front of both, and of the streams of logging handlers already made: once a
secret is registered, every occurrence is written as ``***``. A partial line waits for its end of line (or a
flush) so that a secret written in pieces is still found. Commands the task starts write to the same
descriptors directly and are not redacted, except a BashOperator's output, which the shim copies line by line.
"""
import os
import re
import sys
import threading

#: Airflow 2.10.5's ``DEFAULT_SENSITIVE_FIELDS``.
DEFAULT_SENSITIVE_FIELDS = frozenset({
    "access_token", "api_key", "apikey", "authorization", "passphrase", "passwd", "password", "private_key",
    "secret", "token", "keyfile_dict", "service_account",
})
MASK = "***"

_lock = threading.Lock()
_patterns = set()
_state = {"text": None, "bytes": None}


def sensitive_fields():
    """Airflow's ``get_sensitive_variables_fields``: the defaults plus ``[core] sensitive_var_conn_names``."""
    extra = os.environ.get("AIRFLOW__CORE__SENSITIVE_VAR_CONN_NAMES") or ""
    return DEFAULT_SENSITIVE_FIELDS | frozenset(field.strip() for field in extra.split(",") if field.strip())


def should_hide_value_for_key(name):
    """Whether a value under ``name`` (a Variable key, a key of a Connection's extra) is sensitive."""
    if not isinstance(name, str) or not _hide_enabled():
        return False
    name = name.strip().lower()
    return any(field in name for field in sensitive_fields())


def _hide_enabled():
    value = os.environ.get("AIRFLOW__CORE__HIDE_SENSITIVE_VAR_CONN_FIELDS", "true").strip().lower()
    return value not in ("false", "0", "f", "no", "off")


def add_mask(secret, name=None):
    """Airflow's ``mask_secret``: registers ``secret`` (str, dict or iterable) to be masked in the task log."""
    if not secret:
        return
    if isinstance(secret, dict):
        for key, value in secret.items():
            add_mask(value, key)
    elif isinstance(secret, str):
        if name is not None and not should_hide_value_for_key(name):
            return
        with _lock:
            if secret in _patterns:
                return
            _patterns.add(secret)
            _compile_locked()
    elif isinstance(secret, (list, tuple, set, frozenset)):
        for value in secret:
            add_mask(value, name)


def _compile_locked():
    # Longest first: a secret that contains another is replaced whole.
    ordered = sorted(_patterns, key=len, reverse=True)
    _state["text"] = re.compile("|".join(re.escape(secret) for secret in ordered))
    _state["bytes"] = re.compile(b"|".join(re.escape(secret.encode("utf-8")) for secret in ordered))


def active():
    return _state["text"] is not None


def redact_text(text):
    """``text`` with every registered secret replaced by ``***``."""
    replacer = _state["text"]
    return text if replacer is None else replacer.sub(MASK, text)


def redact_bytes(data):
    replacer = _state["bytes"]
    return data if replacer is None else replacer.sub(MASK.encode("ascii"), data)


def redact(item, name=None, depth=0, max_depth=5):
    """Airflow's ``redact``: strings with secrets replaced; every string under a sensitive name replaced whole."""
    if depth > max_depth:
        return item
    if name and should_hide_value_for_key(name):
        return _redact_all(item, depth, max_depth)
    if isinstance(item, dict):
        return {key: redact(value, key, depth + 1, max_depth) for key, value in item.items()}
    if isinstance(item, str):
        return redact_text(item)
    if isinstance(item, (tuple, set)):
        return tuple(redact(value, None, depth + 1, max_depth) for value in item)
    if isinstance(item, list):
        return [redact(value, None, depth + 1, max_depth) for value in item]
    return item


def _redact_all(item, depth, max_depth):
    if depth > max_depth or isinstance(item, str):
        return MASK
    if isinstance(item, dict):
        return {key: _redact_all(value, depth + 1, max_depth) for key, value in item.items()}
    if isinstance(item, (tuple, set)):
        return tuple(_redact_all(value, depth + 1, max_depth) for value in item)
    if isinstance(item, list):
        return [_redact_all(value, depth + 1, max_depth) for value in item]
    return item


class _LineRedactor:
    """Holds a partial line while secrets are registered; passes everything through untouched until then."""

    def __init__(self, write, flush, newline, redact_chunk):
        self._write = write
        self._flush = flush
        self._newline = newline
        self._redact = redact_chunk
        self._pending = newline[:0]

    def write(self, chunk):
        if not active() and not self._pending:
            return self._write(chunk)
        data = self._pending + chunk
        end = data.rfind(self._newline)
        if end < 0:
            self._pending = data
        else:
            self._pending = data[end + 1:]
            self._write(self._redact(data[:end + 1]))
        return len(chunk)

    def drain(self):
        """Writes the partial line held back, if any; whether there was one."""
        if not self._pending:
            return False
        pending, self._pending = self._pending, self._pending[:0]
        self._write(self._redact(pending))
        return True

    def flush(self):
        self.drain()
        self._flush()


class _RedactingBuffer:
    """The binary side (``sys.stdout.buffer``) of a redacting stream."""

    def __init__(self, target, before_write):
        self._target = target
        self._before_write = before_write
        self._lines = _LineRedactor(target.write, target.flush, b"\n", redact_bytes)

    def write(self, data):
        self._before_write()
        return self._lines.write(bytes(data))

    def flush(self):
        self._lines.flush()

    def __getattr__(self, name):
        return getattr(self._target, name)


class RedactingStream:
    """A text stream that writes to ``target`` with registered secrets masked."""

    def __init__(self, target):
        self._target = target
        self._lines = _LineRedactor(target.write, target.flush, "\n", redact_text)
        binary = getattr(target, "buffer", None)
        self.buffer = None if binary is None else _RedactingBuffer(binary, self._flush_text)

    def _flush_text(self):
        # Text and bytes keep their order: the text side's partial line goes out before bytes do.
        if self._lines.drain():
            self._target.flush()

    def write(self, text):
        if self.buffer is not None:
            self.buffer._lines.drain()
        return self._lines.write(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        if self.buffer is not None:
            self.buffer._lines.flush()
        self._lines.flush()

    def __getattr__(self, name):
        return getattr(self._target, name)


def install():
    """Puts redacting writers in front of ``sys.stdout``, ``sys.stderr`` and the logging handlers that write to
    them. Idempotent."""
    replaced = {}
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None or isinstance(stream, RedactingStream):
            continue
        wrapper = RedactingStream(stream)
        replaced[id(stream)] = wrapper
        setattr(sys, name, wrapper)
    if replaced and "logging" in sys.modules:
        _rewire_handlers(sys.modules["logging"], replaced)


def _rewire_handlers(logging, replaced):
    loggers = [logging.getLogger()] + [logger for logger in logging.Logger.manager.loggerDict.values()
                                       if isinstance(logger, logging.Logger)]
    for logger in loggers:
        for handler in logger.handlers:
            wrapper = replaced.get(id(getattr(handler, "stream", None)))
            if wrapper is not None:
                handler.stream = wrapper


def flush():
    """Writes out partial lines held back (at the end of a run)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if isinstance(stream, RedactingStream):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed stream has nothing left to write
                pass
