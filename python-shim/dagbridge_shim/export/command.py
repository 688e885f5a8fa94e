"""The ``export`` command: its arguments, and the bundle on stdout (exit 0), a usage error (exit 2) or an
internal error (exit 1) on stderr."""
import argparse
import json
import os
import sys
import traceback

from dagbridge_shim import discovery
from dagbridge_shim.export.bundle import UsageError, build_bundle, render_bundle

DEFAULT_FILE_TIMEOUT = 30.0


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m dagbridge_shim export", description="Export a DAG folder as a DAG bundle (JSON on stdout).")
    parser.add_argument("--dags-folder", required=True)
    parser.add_argument("--plugins-folder")
    parser.add_argument("--no-airflow", action="store_true", help="use the stand-ins even when Apache Airflow is importable")
    parser.add_argument("--no-safe-mode", action="store_true", help="import every .py file, not only those mentioning airflow and dag")
    parser.add_argument("--file-timeout", type=float, default=None, help="seconds per file import (default 30, or AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT)")
    parser.add_argument("--ignore-syntax", choices=[discovery.SYNTAX_REGEXP, discovery.SYNTAX_GLOB], default=None,
                        help=".airflowignore syntax (default regexp, or AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX)")
    parser.add_argument("--files", nargs="+", default=None, help="only these files, relative to the DAGs folder")
    parser.add_argument("--cache", default=None,
                        help="a file keeping each DAG file's export by content hash: unchanged files are not imported again")
    parser.add_argument("--parallelism", type=int, default=None, help="child processes at once (default: CPU count)")
    parser.add_argument("--isolation", choices=["batch", "file", "none"], default=None,
                        help="batch: children import a few files each (default); file: one child per file; "
                             "none: import in this process (no timeout)")
    parser.add_argument("--variables-stdin", action="store_true",
                        help="read the metadata database's Variables as a JSON object (key -> value) on stdin: "
                             "Variable.get at the top of a DAG file sees them, as in Airflow's DAG processor")
    parser.add_argument("--pretty", action="store_true", help="indent the JSON")

    def error(message):
        raise UsageError(message)

    parser.error = error
    args = parser.parse_args(argv)
    if args.file_timeout is None:
        env_timeout = os.environ.get("AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT")
        try:
            args.file_timeout = float(env_timeout) if env_timeout else DEFAULT_FILE_TIMEOUT
        except ValueError:
            raise UsageError("AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT must be a number of seconds, got %r" % env_timeout) from None
    if args.file_timeout <= 0:
        raise UsageError("--file-timeout must be a positive number of seconds")
    if args.ignore_syntax is None:
        args.ignore_syntax = discovery.ignore_syntax_from_env()
    args.variables = read_variables(sys.stdin) if args.variables_stdin else {}
    return args


def read_variables(stream):
    """The Variables given on `stream`: a JSON object of string values (UsageError naming what is wrong)."""
    try:
        document = json.loads(stream.read() or "{}")
    except ValueError as exc:
        raise UsageError("--variables-stdin: stdin is not JSON: %s" % exc) from None
    if not isinstance(document, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in document.items()):
        raise UsageError("--variables-stdin: stdin must hold a JSON object of string values (Variable key -> value)")
    return document


def main(argv=None):
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
        bundle = build_bundle(args)
        text = render_bundle(bundle, pretty=args.pretty)
    except UsageError as exc:
        print("dagbridge_shim export: %s" % exc, file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - one line on stderr, exit 1 (the contract)
        print("dagbridge_shim export: internal error: %s: %s" % (type(exc).__name__, exc), file=sys.stderr)
        if os.environ.get("DAGBRIDGE_DEBUG"):
            traceback.print_exc()
        return 1
    sys.stdout.write(text)
    sys.stdout.write("\n")
    sys.stdout.flush()
    return 0
