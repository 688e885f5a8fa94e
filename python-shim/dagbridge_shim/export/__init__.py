"""``python -m dagbridge_shim export``: the DAG bundle of a DAG folder (docs/contracts.md section 1).

``command`` parses the arguments and prints the bundle; ``bundle`` assembles it (which files, the cache,
duplicate DAG ids); ``file_import`` imports one DAG file and converts its DAGs; ``fork_pool`` imports many files
in forked children; ``cache`` keeps each file's export by content hash.

Isolation: the parent process imports the stand-ins (or Airflow) once, then imports each DAG file in a
forked child, several at a time. A file that raises, loops forever (killed after --file-timeout), calls
sys.exit or crashes the interpreter only becomes an import error of that file. The child converts the file's
DAGs to JSON and sends them through a pipe; DAG objects never cross processes. Where fork is unavailable the
files are imported one after the other in this process (no timeout; see docs/shim.md).

Stdout carries only the bundle: DAG files' prints go to stderr.
"""
