"""``python -m dagbridge_shim listeners --dags-folder DIR [--no-airflow]``: which listener hooks the plugins of
``AIRFLOW__CORE__PLUGINS_FOLDER`` implement, as JSON on stdout: ``{"hooks": ["on_dag_run_success", ...]}``.

The scheduler asks once at start (Airflow 2.10.5's scheduler also integrates its plugins' listeners once per
process, ``get_listener_manager``) and records DAG-run hook calls only for the hooks listed, so a deployment
without listeners pays nothing per run (docs/dag-callbacks.md). Whatever a plugin prints goes to stderr; a plugin
file that fails to import is logged there and skipped, as the plugins manager does. Exit 0, or 2 for a bad
command line.
"""
import contextlib
import json
import os
import sys

USAGE = "usage: python -m dagbridge_shim listeners --dags-folder DIR [--no-airflow]"


def probe(dags_folder, no_airflow):
    """The hooks the plugins' listeners implement."""
    from dagbridge_shim import loader, plugins

    mode = loader.choose_mode(no_airflow=no_airflow)
    if mode == loader.MODE_STANDIN:
        loader.load_airflow_world(None)
    loader.setup_sys_path(dags_folder, plugins.plugins_folder())
    return plugins.implemented_hooks(mode)


def main(argv):
    args = list(argv)
    no_airflow = "--no-airflow" in args
    args = [arg for arg in args if arg != "--no-airflow"]
    if len(args) != 2 or args[0] != "--dags-folder" or not os.path.isdir(args[1]):
        print("dagbridge_shim listeners: %s" % USAGE, file=sys.stderr)
        return 2
    with contextlib.redirect_stdout(sys.stderr):
        hooks = probe(args[1], no_airflow)
    print(json.dumps({"hooks": hooks}))
    return 0
