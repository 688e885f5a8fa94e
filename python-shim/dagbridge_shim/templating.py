"""Rendering an operator's ``template_fields`` with Jinja2, as Airflow's ``Templater.render_template`` does.

Nested lists, tuples, dicts and sets are rendered element by element; objects with their own
``template_fields`` are rendered in place; XComArgs resolve to their upstream value; a string that ends with one
of the operator's ``template_ext`` is a template file, looked up relative to the DAG file's folder and the DAG's
``template_searchpath``. The environment matches ``DAG.get_template_env``: sandboxed (native with
``render_template_as_native_obj``), ``StrictUndefined`` unless the DAG sets ``template_undefined``, the
``jinja2.ext.do`` extension, Airflow's ``ds``/``ts``... filters, ``user_defined_macros``/``user_defined_filters``.

Jinja2 is imported only when a value needs it (it contains ``{{``, ``{%`` or ``{#``); other strings get the same
treatment Jinja would give them (newlines normalised, one trailing newline dropped; literal evaluation in native
mode) without the import, so a task without templates starts fast and runs on a bare interpreter.
"""
import json
import os

from dagbridge_shim import log
from dagbridge_shim.runtime.resolve import is_resolvable, resolve

_MARKERS = ("{{", "{%", "{#")


class Jinja2NotInstalled(ImportError):
    """A template needs Jinja2 and the worker's interpreter does not have it."""


class TemplateNotFound(IOError):
    """A template file (a value ending with one of the operator's ``template_ext``) that does not exist."""


def needs_jinja(text):
    return any(marker in text for marker in _MARKERS)


class _Renderer:
    """Renders values for one operator; builds the Jinja environment on first need."""

    def __init__(self, op, context, jinja_env, field):
        self.op = op
        self.context = context
        self.env = jinja_env
        self.field = field
        dag = getattr(op, "dag", None) or context.get("dag")
        self.dag = dag
        self.native = bool(getattr(dag, "render_template_as_native_obj", False))
        ext = getattr(op, "template_ext", ()) or ()
        self.template_ext = (ext,) if isinstance(ext, str) else tuple(ext)

    def jinja_env(self):
        if self.env is None:
            self.env = build_jinja_env(self.dag, self.op, self.field)
        return self.env

    def render(self, value, seen):
        if id(value) in seen:
            return value
        if isinstance(value, str):
            return self.render_string(value)
        if is_resolvable(value):
            return resolve(value, self.context)
        if value.__class__ is tuple:
            return tuple(self.render(element, seen) for element in value)
        if isinstance(value, tuple):  # a named tuple
            return value.__class__(*(self.render(element, seen) for element in value))
        if isinstance(value, list):
            return [self.render(element, seen) for element in value]
        if isinstance(value, dict):
            return {key: self.render(element, seen) for key, element in value.items()}
        if isinstance(value, set):
            return {self.render(element, seen) for element in value}
        self.render_nested(value, seen)
        return value

    def render_string(self, value):
        if self.template_ext and value.endswith(self.template_ext):
            if self.env is None:
                source = read_template_file(self.search_path(), value)
                if not needs_jinja(source):
                    return _plain(source, self.native)
            env = self.jinja_env()
            return env.get_template(value).render(self.context)
        if not needs_jinja(value):
            return _plain(value, self.native)
        env = self.jinja_env()
        return env.from_string(value).render(self.context)

    def render_nested(self, value, seen):
        if id(value) in seen:
            return
        seen.add(id(value))
        fields = getattr(value, "template_fields", None)
        if fields is None or isinstance(value, type):
            return
        _render_fields(self, value, fields, seen)

    def search_path(self):
        return template_search_path(self.dag)


def _render_fields(renderer, parent, fields, seen):
    if isinstance(fields, str):
        fields = (fields,)
    for name in fields:
        try:
            value = getattr(parent, name)
        except AttributeError:
            raise AttributeError(
                "%r is configured as a template field but %s does not have this attribute."
                % (name, type(parent).__name__)
            ) from None
        if not value:
            continue
        renderer.field = name
        setattr(parent, name, renderer.render(value, seen))


def render_template_fields(op, context, jinja_env=None, seen_oids=None):
    """Renders ``op.template_fields`` in place (Airflow's ``BaseOperator.render_template_fields``)."""
    fields = getattr(op, "template_fields", ()) or ()
    renderer = _Renderer(op, context, jinja_env, None)
    seen = set(seen_oids) if seen_oids else set()
    try:
        _render_fields(renderer, op, fields, seen)
    except Jinja2NotInstalled:
        raise
    except Exception:
        log.error("Exception rendering Jinja template for task '%s', field '%s'. Template: %s",
                  getattr(op, "task_id", "?"), renderer.field, _short(getattr(op, renderer.field or "", None)))
        raise


def _short(value):
    text = repr(value)
    return text if len(text) <= 500 else text[:500] + "..."


def render_template(op, value, context, jinja_env=None):
    """One value rendered as a template field of ``op`` would be (Airflow's ``Templater.render_template``)."""
    return _Renderer(op, context, jinja_env, None).render(value, set())


def _plain(text, native):
    # What Jinja makes of text without markers: newlines normalised to "\n", one trailing newline dropped.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.endswith("\n"):
        text = text[:-1]
    if native:
        return _native_literal(text)
    return text


def _native_literal(text):
    # jinja2.nativetypes.native_concat on a single string: a Python literal becomes its value.
    if not text:
        return None
    import ast  # only native-mode templates need it; a task without them never loads it

    try:
        return ast.literal_eval(ast.parse(text, mode="eval"))
    except (ValueError, SyntaxError, MemoryError, TypeError):
        return text


def template_search_path(dag):
    """The folders searched for template files: the DAG file's folder, then ``template_searchpath``."""
    folders = []
    fileloc = getattr(dag, "fileloc", None)
    if fileloc:
        folders.append(os.path.dirname(os.path.abspath(fileloc)))
    extra = getattr(dag, "template_searchpath", None)
    if isinstance(extra, str):
        extra = [extra]
    folders.extend(extra or [])
    return folders


def read_template_file(search_path, name):
    """The text of template ``name`` found as Jinja's FileSystemLoader finds it (so ``/abs/x.sh`` is looked up
    relative to each search folder, as in Airflow)."""
    pieces = []
    for piece in name.split("/"):
        if os.path.sep in piece or (os.path.altsep and os.path.altsep in piece) or piece == os.path.pardir:
            raise TemplateNotFound(name)
        if piece and piece != ".":
            pieces.append(piece)
    for folder in search_path:
        candidate = os.path.join(folder, *pieces)
        if os.path.isfile(candidate):
            with open(candidate, encoding="utf-8") as handle:
                return handle.read()
    raise TemplateNotFound(name)


def _import_jinja(op, field):
    try:
        import jinja2  # noqa: F401
        import jinja2.nativetypes  # noqa: F401
        import jinja2.sandbox  # noqa: F401
    except ImportError:
        raise Jinja2NotInstalled(
            "Task %r: template field %r needs Jinja2 to render, and Jinja2 is not installed in the worker's "
            "Python interpreter; install Jinja2 there (pip install Jinja2) or add it to the queue's dependency "
            "manifest" % (getattr(op, "task_id", "?"), field)
        ) from None
    return jinja2


def _ds(value):
    return value.strftime("%Y-%m-%d")


def _ds_nodash(value):
    return value.strftime("%Y%m%d")


def _ts(value):
    return value.isoformat()


def _ts_nodash(value):
    return value.strftime("%Y%m%dT%H%M%S")


def _ts_nodash_with_tz(value):
    return value.isoformat().replace("-", "").replace(":", "")


FILTERS = {"ds": _ds, "ds_nodash": _ds_nodash, "ts": _ts, "ts_nodash": _ts_nodash,
           "ts_nodash_with_tz": _ts_nodash_with_tz}


def build_jinja_env(dag, op=None, field=None):
    """The Jinja environment ``DAG.get_template_env`` would build for ``dag``."""
    jinja2 = _import_jinja(op, field)
    import jinja2.nativetypes
    import jinja2.sandbox

    class _AirflowEnvironmentMixin:
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.filters.update(FILTERS)

        def is_safe_attribute(self, obj, attr, value):
            # Airflow allows "_private" attributes and blocks only internal ("__dunder__") ones.
            return not jinja2.sandbox.is_internal_attribute(obj, attr)

    class NativeEnvironment(_AirflowEnvironmentMixin, jinja2.nativetypes.NativeEnvironment):
        pass

    class SandboxedEnvironment(_AirflowEnvironmentMixin, jinja2.sandbox.SandboxedEnvironment):
        pass

    undefined = getattr(dag, "template_undefined", None)
    if not (isinstance(undefined, type) and issubclass(undefined, jinja2.Undefined)):
        undefined = jinja2.StrictUndefined
    options = {
        "loader": jinja2.FileSystemLoader(template_search_path(dag)),
        "undefined": undefined,
        "extensions": ["jinja2.ext.do"],
        "cache_size": 0,
    }
    options.update(getattr(dag, "jinja_environment_kwargs", None) or {})
    if getattr(dag, "render_template_as_native_obj", False):
        env = NativeEnvironment(**options)
    else:
        env = SandboxedEnvironment(**options)
    env.globals.update(getattr(dag, "user_defined_macros", None) or {})
    env.filters.update(getattr(dag, "user_defined_filters", None) or {})
    return env


#: Longest stored map index name (Airflow's task_instance.rendered_map_index is a String(250)).
MAP_INDEX_NAME_LIMIT = 250


def render_map_index(op, context):
    """The name ``op.map_index_template`` gives this task instance, rendered with ``context`` (after execute, so
    values the task put in the context count), or None without a template (Airflow's ``_render_map_index``)."""
    template = getattr(op, "map_index_template", None)
    if template is None:
        return None
    renderer = _Renderer(op, context, None, "map_index_template")
    if needs_jinja(template):
        value = renderer.jinja_env().from_string(template).render(context)
    else:
        value = _plain(template, renderer.native)
    return None if value is None else str(value)[:MAP_INDEX_NAME_LIMIT]


#: Airflow's ``[core] max_templated_field_length`` default (2.9 and later).
DEFAULT_MAX_TEMPLATED_FIELD_LENGTH = 4096


def max_templated_field_length(environ=None):
    """``AIRFLOW__CORE__MAX_TEMPLATED_FIELD_LENGTH``, or Airflow's default when it is unset or not a number."""
    raw = (os.environ if environ is None else environ).get("AIRFLOW__CORE__MAX_TEMPLATED_FIELD_LENGTH", "")
    try:
        return int(raw) if raw.strip() else DEFAULT_MAX_TEMPLATED_FIELD_LENGTH
    except ValueError:
        return DEFAULT_MAX_TEMPLATED_FIELD_LENGTH


def serialize_template_field(value, max_length):
    """One rendered field as Airflow 2.10.5 stores it (airflow/serialization/helpers.py): a value JSON cannot
    hold becomes its ``str``; one whose ``str`` is longer than ``max_length`` becomes Airflow's "Truncated." text
    with the repr of its first ``max_length - 79`` characters. Secrets are masked afterwards by name."""
    try:
        json.dumps(value)
    except (TypeError, OverflowError, ValueError):
        value = str(value)
    else:
        if not value:
            return value
    serialized = str(value)
    if len(serialized) > max_length:
        return ("Truncated. You can change this behaviour in [core]max_templated_field_length. "
                f"{serialized[:max_length - 79]!r}... ")
    return value


def rendered_fields(op):
    """``{field: value}`` of the rendered template fields as Airflow stores them (``serialize_template_field``),
    JSON-safe."""
    fields = getattr(op, "template_fields", ()) or ()
    if isinstance(fields, str):
        fields = (fields,)
    max_length = max_templated_field_length()
    result = {}
    for name in fields:
        result[name] = json_safe(serialize_template_field(getattr(op, name, None), max_length))
    return result


def json_safe(value, depth=0):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if depth > 20:
        return str(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(element, depth + 1) for element in value]
    if isinstance(value, dict):
        return {str(key): json_safe(element, depth + 1) for key, element in value.items()}
    return str(value)
