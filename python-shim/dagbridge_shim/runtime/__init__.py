"""What a running task sees: the context Airflow hands ``execute(context)`` and its parts.

Dates (``datetimes``), the runtime ``DagRun``/``TaskInstance`` (``models``), XComs (``xcom``), Variables
(``variables``), the conf stand-in (``conf``), params (``params``), run-time values of XComArgs and expand inputs
(``resolve``, ``mapped_groups``), the context dict itself (``context``), ``get_current_context()``
(``current_context``) and the ``AIRFLOW_CTX_*`` variables (``airflow_vars``). Nothing here imports
``dagbridge_shim.execution``: the operator kinds and the runner sit above it.
"""
