"""BaseNotifier (stand-in of airflow.notifications.basenotifier and airflow.sdk's BaseNotifier), as Airflow
2.10.5 has it: a notifier instance is a callback. Called with the context (``on_*_callback``), it adds its
template fields to the context, renders them with the task's template environment (as the operator's own fields
are rendered: ``dagbridge_shim.templating``), then calls ``notify(context)``; an error in ``notify`` is logged,
never raised."""
import abc

from airflow.utils.log.logging_mixin import LoggingMixin


class BaseNotifier(LoggingMixin, abc.ABC):
    """Base of notifiers: subclasses set ``template_fields`` and implement ``notify(context)``."""

    template_fields = ()
    template_ext = ()

    def __init__(self):
        pass

    def _update_context(self, context):
        context.update((name, getattr(self, name)) for name in self.template_fields)
        return context

    def render_template_fields(self, context, jinja_env=None):
        """Renders ``template_fields`` in place, with the DAG's template settings (``context["dag"]``)."""
        from dagbridge_shim.templating import render_template_fields

        render_template_fields(self, context, jinja_env)

    @abc.abstractmethod
    def notify(self, context):
        """Sends the notification."""

    def __call__(self, *args):
        # callback(context) for on_*_callback; (dag, task_list, blocking_task_list, slas, blocking_tis) for SLAs.
        if len(args) == 1:
            context = args[0]
        else:
            context = {"dag": args[0], "task_list": args[1], "blocking_task_list": args[2], "slas": args[3],
                       "blocking_tis": args[4]}
        self._update_context(context)
        self.render_template_fields(context)
        try:
            self.notify(context)
        except Exception as error:  # noqa: BLE001 - Airflow logs a failing notification and goes on
            self.log.exception("Failed to send notification: %s", error)


__all__ = ["BaseNotifier"]
