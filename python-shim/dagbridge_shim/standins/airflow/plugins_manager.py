"""AirflowPlugin (stand-in of airflow.plugins_manager): the class plugins subclass. Which attributes dagbridge
uses (macros, timetables, listeners, priority weight strategies) is in docs/compatibility.md; the others
(views, blueprints, menu links, executors) belong to Airflow's webserver and executors and are ignored."""


class AirflowPluginException(Exception):
    """A plugin that is not valid."""


class AirflowPlugin:
    """Subclass with a `name` and the lists of what the plugin adds."""

    name = None
    source = None
    hooks = []
    executors = []
    macros = []
    admin_views = []
    flask_blueprints = []
    fastapi_apps = []
    menu_links = []
    appbuilder_views = []
    appbuilder_menu_items = []
    global_operator_extra_links = []
    operator_extra_links = []
    ti_deps = []
    timetables = []
    listeners = []
    hook_lineage_readers = []
    priority_weight_strategies = []

    @classmethod
    def validate(cls):
        if not cls.name:
            raise AirflowPluginException("Your plugin needs a name.")

    @classmethod
    def on_load(cls, *args, **kwargs):
        """Called when the plugin is loaded."""


__all__ = ["AirflowPlugin", "AirflowPluginException"]
