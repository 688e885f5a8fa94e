"""`@asset` and `@asset.multi` (stand-in of Airflow 3's airflow.sdk.definitions.asset.decorators).

Follows airflow-main task-sdk/src/airflow/sdk/definitions/asset/decorators.py: decorating a top-level function
makes an asset named after it (`uri` defaults to the name) and a DAG of that id with one task, `__main__`,
whose outlets are the asset(s) and whose inlets are the assets named by the function's other parameters.
At run time `self` is the asset, `context` the task context, and every other parameter the asset of that name.
The DAG never catches up.
"""
import inspect

from airflow.operators.python import PythonOperator
from airflow.sdk.assets import Asset


class _AssetMainOperator(PythonOperator):
    def __init__(self, *, definition, **kwargs):
        super().__init__(**kwargs)
        self._definition = definition

    @classmethod
    def from_definition(cls, definition):
        return cls(
            task_id="__main__",
            inlets=[Asset.ref(name=name) for name in _parameters(definition._function)
                    if name not in ("self", "context")],
            outlets=list(definition._outlets()),
            python_callable=definition._function,
            definition=definition,
        )

    def execute(self, context):
        kwargs = {}
        for name in _parameters(self.python_callable):
            if name == "self":
                kwargs[name] = self._definition
            elif name == "context":
                kwargs[name] = context
            else:
                kwargs[name] = Asset(name=name)
        return self.python_callable(**kwargs)


def _parameters(function):
    return list(inspect.signature(function).parameters)


class _DAGFactory:
    """The DAG arguments `@asset` and `@asset.multi` take."""

    def __init__(self, *, schedule, is_paused_upon_creation=None, display_name=None, description=None,
                 params=None, on_success_callback=None, on_failure_callback=None, access_control=None,
                 owner_links=None):
        self.schedule = schedule
        self.is_paused_upon_creation = is_paused_upon_creation
        self.display_name = display_name
        self.description = description
        self.params = params
        self.on_success_callback = on_success_callback
        self.on_failure_callback = on_failure_callback
        self.access_control = access_control
        self.owner_links = owner_links

    def create_dag(self, *, dag_id):
        from airflow.models.dag import DAG

        return DAG(
            dag_id=dag_id,
            schedule=self.schedule,
            is_paused_upon_creation=self.is_paused_upon_creation,
            catchup=False,
            dag_display_name=self.display_name or dag_id,
            description=self.description,
            params=self.params,
            on_success_callback=self.on_success_callback,
            on_failure_callback=self.on_failure_callback,
            access_control=self.access_control,
            owner_links=self.owner_links,
            auto_register=True,
        )


def _top_level(function):
    if function.__name__ != function.__qualname__:
        raise ValueError("nested function not supported")
    return function


class AssetDefinition(Asset):
    """The asset a function decorated with `@asset` materialises."""

    def __init__(self, *, name, uri, group, extra, watchers, function, source):
        super().__init__(name=name, uri=uri, group=group, extra=extra, watchers=watchers)
        self._function = function
        self._source = source
        with source.create_dag(dag_id=name):
            _AssetMainOperator.from_definition(self)

    def _outlets(self):
        return [self]


class MultiAssetDefinition:
    """The assets a function decorated with `@asset.multi` materialises."""

    def __init__(self, *, function, source):
        self._function = function
        self._source = source
        with source.create_dag(dag_id=function.__name__):
            _AssetMainOperator.from_definition(self)

    def _outlets(self):
        return list(self._source.outlets)

    def iter_uris(self):
        for outlet in self._source.outlets:
            yield from outlet.iter_uris()


class asset(_DAGFactory):  # noqa: N801 - Airflow's name
    """`@asset(schedule=..., uri=..., group=..., extra=..., watchers=...)`."""

    def __init__(self, *, uri=None, group="asset", extra=None, watchers=None, **kwargs):
        super().__init__(**kwargs)
        self.uri = uri
        self.group = group
        self.extra = dict(extra or {})
        self.watchers = list(watchers or [])

    def __call__(self, function):
        name = _top_level(function).__name__
        return AssetDefinition(name=name, uri=name if self.uri is None else str(self.uri), group=self.group,
                               extra=self.extra, watchers=self.watchers, function=function, source=self)

    class multi(_DAGFactory):  # noqa: N801 - Airflow's name
        """`@asset.multi(outlets=[...], schedule=...)`: one task that emits several assets."""

        def __init__(self, *, outlets, **kwargs):
            super().__init__(**kwargs)
            self.outlets = list(outlets)

        def __call__(self, function):
            _top_level(function)
            if not self.outlets:
                raise ValueError("no outlets provided")
            return MultiAssetDefinition(function=function, source=self)


__all__ = ["AssetDefinition", "MultiAssetDefinition", "asset"]
