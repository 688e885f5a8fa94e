"""Makes provider modules the stand-ins do not model importable, so that a DAG file using e.g.
`airflow.providers.amazon.aws.operators.s3.S3CreateBucketOperator` still exports.

A synthesised module answers any attribute: names ending in `Operator` are generic operators, `Sensor` (or
`SensorAsync`) generic sensors, `Hook` hooks, anything else a permissive class. The tasks export with their
real class path, kind `provider` and `requiresProvider: true`; running one needs the real provider.
Installed only in stand-in mode, and last on sys.meta_path: real modules always win.
"""
import importlib.abc
import importlib.machinery
import sys
import types

#: Module prefixes synthesised when nothing else provides them.
PREFIXES = ("airflow.providers.", "airflow.contrib.", "airflow.operators.", "airflow.sensors.", "airflow.hooks.")

#: Provider namespaces whose distribution name has two parts (apache-airflow-providers-cncf-kubernetes).
_TWO_PART = ("apache", "atlassian", "cncf", "common", "dbt", "microsoft")


def provider_distribution(module_name):
    """The pip distribution that provides `module_name` (`apache-airflow-providers-amazon`), or None."""
    parts = module_name.split(".")
    if len(parts) < 3 or parts[:2] != ["airflow", "providers"]:
        return None
    name = parts[2:4] if parts[2] in _TWO_PART and len(parts) > 3 else parts[2:3]
    return "apache-airflow-providers-" + "-".join(name).replace("_", "-")


class _SynthesisedModule(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        value = _make_class(self.__name__, name)
        setattr(self, name, value)
        return value


def _make_class(module_name, name):
    package = provider_distribution(module_name)
    attrs = {"__module__": module_name, "_dagbridge_provider_package": package, "__qualname__": name}
    if name.endswith("Operator") or name.endswith("Sensor") or name.endswith("SensorAsync") or name.endswith("OperatorAsync"):
        from airflow.models.baseoperator import BaseOperator
        from airflow.sensors.base import BaseSensorOperator

        is_sensor = "Sensor" in name
        base = BaseSensorOperator if is_sensor else BaseOperator
        attrs["__init__"] = _generic_init(base)
        attrs["execute"] = _missing_provider_execute
        if is_sensor:
            attrs["poke"] = _missing_provider_execute
        return type(base)(name, (base,), attrs)
    if name.endswith("Hook"):
        return type(name, (_GenericHook,), attrs)
    if name[:1].isupper():
        return type(name, (_GenericObject,), attrs)
    return _GenericObject


def _generic_init(base):
    base_params = set()
    import inspect

    for klass in base.__mro__:
        init = klass.__dict__.get("__init__")
        if init is not None:
            base_params.update(inspect.signature(init).parameters)

    def __init__(self, **kwargs):
        own = {k: v for k, v in kwargs.items() if k not in base_params}
        for key, value in own.items():
            setattr(self, key, value)
        base.__init__(self, **{k: v for k, v in kwargs.items() if k in base_params})

    __init__.__signature__ = inspect.Signature(
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
         inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)]
    )
    return __init__


def _missing_provider_execute(self, context):
    from airflow.exceptions import ProviderNotInstalled

    package = getattr(type(self), "_dagbridge_provider_package", None)
    raise ProviderNotInstalled(
        "%s.%s needs %s installed (with Apache Airflow) where the task runs"
        % (type(self).__module__, type(self).__name__, package or "its provider package")
    )


class _GenericObject:
    """Any other provider name (a helper, a constant holder): accepts any arguments."""

    def __init__(self, *args, **kwargs):
        self.args = args
        self.kwargs = kwargs

    def __call__(self, *args, **kwargs):
        return _GenericObject(*args, **kwargs)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _GenericObject()


class _GenericHook(_GenericObject):
    """A hook of a provider that is not installed: constructing it works, using it fails."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        from airflow.exceptions import ProviderNotInstalled

        package = getattr(type(self), "_dagbridge_provider_package", None)
        raise ProviderNotInstalled("%s.%s needs %s" % (type(self).__module__, type(self).__name__, package or "its provider"))


class ProviderFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds (last) any module under PREFIXES that nothing else found."""

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(PREFIXES):
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec):
        module = _SynthesisedModule(spec.name)
        module.__path__ = []
        module.__dagbridge_synthesised__ = True
        return module

    def exec_module(self, module):
        pass


_FINDER = ProviderFinder()


def install():
    if _FINDER not in sys.meta_path:
        sys.meta_path.append(_FINDER)
    # After this finder: an airflow.* module nothing provides is a gap of the stand-ins.
    from dagbridge_shim import standin_gaps

    standin_gaps.install()


def uninstall():
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    from dagbridge_shim import standin_gaps

    standin_gaps.uninstall()
