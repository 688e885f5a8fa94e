"""`python -m dagbridge_shim <command>`: `export` (DAG bundle), `run` (one task instance), `dag-callback` (a DAG's
success/failure callbacks once its run ended, or a listener's DAG-run hook), `listeners` (which listener hooks the
plugins implement), `fork-server` (the warm parent task attempts are forked from) or `timetable` (a custom
timetable's next run or manual data interval, for the scheduler)."""
import sys

USAGE = "usage: python -m dagbridge_shim {export,run,dag-callback,listeners,fork-server,timetable} [options]"


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command == "export":
        from dagbridge_shim.export.command import main as export_main

        return export_main(rest)
    if command == "run":
        # Imported lazily: `export` must work even where the task runner is absent or broken.
        from dagbridge_shim.run import main as run_main

        return run_main(rest)
    if command == "dag-callback":
        from dagbridge_shim.dag_callback import main as dag_callback_main

        return dag_callback_main(rest)
    if command == "listeners":
        from dagbridge_shim.listener_probe import main as listeners_main

        return listeners_main(rest)
    if command == "fork-server":
        from dagbridge_shim.fork_server import main as fork_server_main

        return fork_server_main(rest)
    if command == "timetable":
        from dagbridge_shim.timetables import main as timetable_main

        return timetable_main(rest)
    print("dagbridge_shim: unknown command %r; %s" % (command, USAGE), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
