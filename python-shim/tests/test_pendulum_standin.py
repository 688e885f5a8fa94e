"""Differential tests of the stand-in pendulum (dagbridge_shim/fallbacks/pendulum) against the real one.

Every interpreter imports the stand-in explicitly (under a module name of its own) and checks it against the
results recorded from real pendulum 2.1.2 (fixtures/pendulum_results.json, from Debian's python3-pendulum). Where
the real pendulum is importable (/usr/bin/python3 with python3-pendulum, which .ci/run installs), the recorded
results are checked against it too, and a grid of zones, wall times and operations compares the two directly in
one process. `npm run test:shim` runs this module under both interpreters.
"""
import datetime as std
import importlib.machinery
import importlib.util
import json
import os
import random
import subprocess
import sys
import unittest

from tests.pendulum_cases import CASES, RESULTS_FILE, describe, outcome
from tests.test_export_support import SHIM_ROOT, TempDags, run_export

FALLBACKS_DIR = os.path.join(SHIM_ROOT, "dagbridge_shim", "fallbacks")
STANDIN_NAME = "dagbridge_test_standin_pendulum"


def load_standin():
    """The stand-in package, imported from its folder under STANDIN_NAME (never as `pendulum`)."""
    if STANDIN_NAME in sys.modules:
        return sys.modules[STANDIN_NAME]
    folder = os.path.join(FALLBACKS_DIR, "pendulum")
    spec = importlib.util.spec_from_file_location(STANDIN_NAME, os.path.join(folder, "__init__.py"),
                                                  submodule_search_locations=[folder])
    module = importlib.util.module_from_spec(spec)
    sys.modules[STANDIN_NAME] = module
    spec.loader.exec_module(module)
    return module


def load_real():
    """The installed pendulum, or None (the stand-in, even when another test put it on sys.path, is not it)."""
    loaded = sys.modules.get("pendulum")
    if loaded is not None:
        return None if getattr(loaded, "DAGBRIDGE_STANDIN", False) else loaded
    path = [p for p in sys.path if os.path.abspath(p or ".") != FALLBACKS_DIR]
    if importlib.machinery.PathFinder.find_spec("pendulum", path) is None:
        return None
    import pendulum

    return pendulum


STANDIN = load_standin()
REAL = load_real()
NEEDS_REAL = unittest.skipIf(REAL is None, "pendulum is not installed in this interpreter (apt-get install "
                                           "python3-pendulum gives /usr/bin/python3 one)")


def recorded_results():
    with open(RESULTS_FILE, encoding="utf-8") as handle:
        return json.load(handle)["results"]


class RecordedResultsTest(unittest.TestCase):
    """Each case of pendulum_cases.py gives the result real pendulum 2.1.2 gave."""

    def check(self, pendulum):
        recorded = recorded_results()
        self.assertEqual(sorted(recorded), sorted(name for name, _ in CASES),
                         "fixtures/pendulum_results.json is out of date: regenerate it with pendulum_cases.py")
        for name, case in CASES:
            with self.subTest(case=name):
                self.assertEqual(outcome(pendulum, case), recorded[name])

    def test_the_standin_gives_the_recorded_results(self):
        self.check(STANDIN)

    @NEEDS_REAL
    def test_real_pendulum_gives_the_recorded_results(self):
        self.check(REAL)


ZONES = ("UTC", "Europe/Amsterdam", "America/New_York", "America/Sao_Paulo", "Australia/Lord_Howe",
         "Asia/Kolkata", "Pacific/Chatham")
#: DST changes in the zones above (2021), month and year ends, a leap day.
DAYS = ((2021, 3, 14), (2021, 3, 28), (2021, 4, 4), (2021, 9, 26), (2021, 10, 3), (2021, 10, 31), (2021, 11, 7),
        (2020, 2, 29), (2021, 1, 31), (2021, 12, 31))
HOURS = (0, 1, 2, 3, 12, 23)


def grid_operations(p, dt, zone):
    """What the grid compares for one DateTime: arithmetic, modifiers, conversions, strings and diffs."""
    other_zone = "Asia/Tokyo" if zone != "Asia/Tokyo" else "UTC"
    partner_same_zone = p.datetime(2020, 12, 31, 23, 59, 59, tz=zone)
    partner_other_zone = p.datetime(2021, 6, 15, 8, 30, tz=other_zone)
    return [
        ("add days", lambda: dt.add(days=1)),
        ("add hours", lambda: dt.add(hours=1)),
        ("add 24 hours", lambda: dt.add(hours=24)),
        ("add minutes", lambda: dt.add(minutes=90)),
        ("add months", lambda: dt.add(months=1)),
        ("add years", lambda: dt.add(years=1)),
        ("add mixed", lambda: dt.add(weeks=1, hours=3, seconds=30)),
        ("subtract days", lambda: dt.subtract(days=1)),
        ("subtract hours", lambda: dt.subtract(hours=25)),
        ("plus timedelta", lambda: dt + std.timedelta(hours=2)),
        ("plus duration", lambda: dt + p.duration(months=1, hours=2)),
        ("minus duration", lambda: dt - p.duration(days=1, minutes=1)),
        ("start_of", lambda: [dt.start_of(u) for u in ("hour", "day", "week", "month", "year")]),
        ("end_of", lambda: [dt.end_of(u) for u in ("hour", "day", "week", "month", "year")]),
        ("in UTC", lambda: dt.in_timezone("UTC")),
        ("in another zone", lambda: dt.in_timezone(other_zone)),
        ("format", lambda: dt.format("YYYY-MM-DD HH:mm:ss.SSS Z ZZ zz z dddd Do MMM Qo DDDD X")),
        ("strings", lambda: [str(dt), dt.to_iso8601_string(), dt.to_datetime_string(), dt.to_cookie_string()]),
        ("properties", lambda: [dt.day_of_week, dt.day_of_year, dt.week_of_year, dt.week_of_month, dt.quarter,
                                dt.days_in_month, dt.offset, dt.is_dst(), dt.int_timestamp, dt.timezone_name]),
        ("diff in one zone", lambda: dt.diff(partner_same_zone, False)),
        ("diff across zones", lambda: dt.diff(partner_other_zone)),
        ("diff after a month", lambda: dt.diff(dt.add(months=1, days=3, hours=5))),
        ("subtraction", lambda: partner_other_zone - dt),
        ("replace", lambda: dt.replace(day=1, hour=2)),
        ("naive round trip", lambda: p.instance(dt.naive(), tz=zone)),
    ]


@NEEDS_REAL
class SameAsRealPendulumTest(unittest.TestCase):
    """The stand-in and the installed pendulum, side by side in one process, over generated inputs."""

    def compare(self, label, standin_value, real_value, mismatches):
        ours, theirs = standin_value(), real_value()
        if ours != theirs:
            mismatches.append("%s\n  stand-in: %s\n  pendulum: %s" % (label, ours, theirs))

    def compare_case(self, label, case, mismatches):
        """`case` (a function of the pendulum module) run on each implementation."""
        self.compare(label, lambda: outcome(STANDIN, case), lambda: outcome(REAL, case), mismatches)

    def assert_no_mismatches(self, mismatches, compared):
        self.assertGreater(compared, 0)
        self.assertEqual(mismatches[:40], [], "%d of %d comparisons differ" % (len(mismatches), compared))

    def test_datetimes_across_zones_and_dst_changes(self):
        mismatches, compared = [], 0
        for zone in ZONES:
            for year, month, day in DAYS:
                for hour in HOURS:
                    for rule in ("post", "pre"):
                        def build(p):
                            return p.datetime(year, month, day, hour, 30, 15, 250000, tz=zone, dst_rule=rule)

                        label = "%s %04d-%02d-%02d %02d:30 %s" % (zone, year, month, day, hour, rule)
                        ours, theirs = build(STANDIN), build(REAL)
                        self.compare(label, lambda: describe(ours), lambda: describe(theirs), mismatches)
                        compared += 1
                        for (name, mine), (_, real) in zip(grid_operations(STANDIN, ours, zone),
                                                           grid_operations(REAL, theirs, zone)):
                            self.compare("%s: %s" % (label, name), lambda: _outcome(mine),
                                         lambda: _outcome(real), mismatches)
                            compared += 1
        self.assert_no_mismatches(mismatches, compared)

    def test_durations(self):
        rng = random.Random(11)
        mismatches, compared = [], 0
        for _ in range(400):
            kwargs = {
                "years": rng.randint(-2, 2), "months": rng.randint(-14, 14), "weeks": rng.randint(-3, 3),
                "days": rng.randint(-40, 40), "hours": rng.randint(-30, 30), "minutes": rng.randint(-90, 90),
                "seconds": rng.randint(-4000, 4000), "microseconds": rng.randint(-2000000, 2000000),
            }
            kwargs = {k: v for k, v in kwargs.items() if rng.random() < 0.5}
            for name, operation in (
                ("duration", lambda p: p.duration(**kwargs)),
                ("negated", lambda p: -p.duration(**kwargs)),
                ("in units", lambda p: [p.duration(**kwargs).in_days(), p.duration(**kwargs).in_hours(),
                                        p.duration(**kwargs).in_minutes(), p.duration(**kwargs).in_weeks()]),
                ("added to a date", lambda p: p.datetime(2021, 1, 31, 12, tz="Europe/Amsterdam")
                 + p.duration(**kwargs)),
                ("doubled", lambda p: p.duration(**kwargs) * 2),
            ):
                self.compare_case("%s %s" % (name, kwargs), operation, mismatches)
                compared += 1
        self.assert_no_mismatches(mismatches, compared)

    def test_random_diffs(self):
        rng = random.Random(7)
        mismatches, compared = [], 0
        for _ in range(600):
            fields = [(rng.randint(1999, 2023), rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23),
                       rng.randint(0, 59), rng.randint(0, 59), rng.choice((0, 999999, rng.randint(0, 999999))))
                      for _ in range(2)]
            zones = [rng.choice(ZONES), rng.choice(ZONES)]
            if rng.random() < 0.5:
                zones[1] = zones[0]
            absolute = rng.random() < 0.5

            def diff(p):
                first, second = (p.datetime(*f, tz=z) for f, z in zip(fields, zones))
                return [first.diff(second, absolute), first.diff(second).in_words(), first - second,
                        first.diff_for_humans(second), first.diff_for_humans(second, absolute=True)]

            self.compare_case("diff %s %s abs=%s" % (fields, zones, absolute), diff, mismatches)
            compared += 1
        self.assert_no_mismatches(mismatches, compared)

    def test_parse(self):
        texts = [
            "2021-01-01", "2021-01-01T10:00:00", "2021-01-01T10:00:00.123+01:00", "2021-06-30T23:59:59-0330",
            "2021-06-30 23:59", "20210630", "20210630T2359", "2021-W52-7", "2020-W53", "2020-366", "2021-366",
            "2021-02", "1999", "2021/06/30 23:59:01", "2021:06:30", "T12:30", "12:30:45.5", "2021-06-30T12",
            "P3Y6M4DT12H30M5S", "PT0.5S", "P10D", "2021-06-30T00:00:00Z/P1Y", "2021-13-01", "2021-06-31",
            "yesterday", "2021-06-30T25:00", "2021-06-30T10:61", "2021-06-30T10:00:00+25:00",
        ]
        mismatches, compared = [], 0
        for text in texts:
            for options in ({}, {"tz": "America/New_York"}, {"exact": True}):
                # a time-only string is completed with today's date: compare the time and zone of it only
                def parse(p):
                    value = p.parse(text, **options)
                    if text.startswith("T") or text[:2].isdigit() and ":" in text[:3]:
                        return (value.time(), value.tzinfo) if isinstance(value, std.datetime) else value
                    return value

                self.compare_case("parse %r %s" % (text, options), parse, mismatches)
                compared += 1
        self.assert_no_mismatches(mismatches, compared)


def _outcome(operation):
    """`outcome()` of an operation already bound to one implementation."""
    return outcome(None, lambda _pendulum: operation())


class StandinOnlyTest(unittest.TestCase):
    """What only the stand-in has: the errors for what it does not implement, Python's own zones, pickling."""

    def test_an_unimplemented_function_names_the_call_and_asks_for_pendulum(self):
        from_format = STANDIN.from_format  # importable, so `from pendulum import from_format` works
        with self.assertRaises(STANDIN.StandinNotImplemented) as caught:
            from_format("2021", "YYYY")
        self.assertIn("pendulum.from_format()", str(caught.exception))
        self.assertIn("install pendulum", str(caught.exception))
        self.assertIsInstance(caught.exception, NotImplementedError)

    def test_an_unimplemented_method_names_the_method(self):
        with self.assertRaises(STANDIN.StandinNotImplemented) as caught:
            STANDIN.datetime(2021, 1, 1).first_of("month")
        self.assertIn("DateTime.first_of()", str(caught.exception))

    def test_other_locales_and_dateutil_forms_are_not_implemented(self):
        with self.assertRaises(STANDIN.StandinNotImplemented) as caught:
            STANDIN.datetime(2021, 1, 1).format("MMMM", locale="fr")
        self.assertIn("locale='fr'", str(caught.exception))
        with self.assertRaises(STANDIN.StandinNotImplemented) as caught:
            STANDIN.parse("Jan 2 2021", strict=False)
        self.assertIn("strict=False", str(caught.exception))
        self.assertRaises(STANDIN.exceptions.ParserError, STANDIN.parse, "Jan 2 2021")

    def test_a_name_pendulum_does_not_have_is_an_attribute_error(self):
        self.assertRaises(AttributeError, getattr, STANDIN, "no_such_function")
        self.assertFalse(hasattr(STANDIN, "no_such_function"))

    def test_zoneinfo_zones_keep_their_name(self):
        # pendulum 2 turns a zoneinfo zone into a fixed offset; the stand-in keeps the zone, as pendulum 3 does
        from zoneinfo import ZoneInfo

        dt = STANDIN.instance(std.datetime(2021, 7, 1, tzinfo=ZoneInfo("Europe/Paris")))
        self.assertEqual(dt.timezone_name, "Europe/Paris")
        self.assertEqual(dt.add(months=6).isoformat(), "2022-01-01T00:00:00+01:00")
        self.assertEqual(STANDIN.datetime(2021, 1, 1, tz=ZoneInfo("Asia/Tokyo")).timezone_name, "Asia/Tokyo")

    def test_zones_are_zoneinfo_zones_and_values_pickle(self):
        import copy
        import pickle
        from zoneinfo import ZoneInfo

        dt = STANDIN.datetime(2021, 7, 1, 12, tz="Europe/Paris")
        self.assertIsInstance(dt.tzinfo, ZoneInfo)
        for value in (dt, dt.diff(dt.add(days=3)), STANDIN.duration(years=1, hours=3), STANDIN.UTC,
                      STANDIN.timezone(7200), STANDIN.date(2021, 1, 1), STANDIN.time(1, 2)):
            with self.subTest(value=repr(value)):
                self.assertEqual(repr(pickle.loads(pickle.dumps(value))), repr(value))
                self.assertEqual(repr(copy.deepcopy(value)), repr(value))

    def test_a_standard_library_zone_on_a_datetime_is_mapped_for_arithmetic(self):
        dt = STANDIN.DateTime(2021, 1, 1, tzinfo=std.timezone.utc)
        self.assertEqual(repr(dt.add(days=1)), "DateTime(2021, 1, 2, 0, 0, 0, tzinfo=Timezone('UTC'))")
        self.assertEqual(repr(dt.add(hours=1)), "DateTime(2021, 1, 1, 1, 0, 0, tzinfo=Timezone('UTC'))")

    def test_the_local_zone_follows_tz(self):
        code = "import pendulum; print(pendulum.local_timezone().name, pendulum.now().timezone_name)"
        env = dict(os.environ, TZ="America/Sao_Paulo", PYTHONPATH=FALLBACKS_DIR)
        out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, env=env,
                             check=True, timeout=60).stdout.split()
        self.assertEqual(out, ["America/Sao_Paulo", "America/Sao_Paulo"])


class ImportTest(unittest.TestCase):
    """How DAG files find pendulum under the shim."""

    def test_an_installed_pendulum_wins_over_the_standin(self):
        code = ("from dagbridge_shim import loader\nloader.activate_standins()\nimport pendulum\n"
                "print(getattr(pendulum, 'DAGBRIDGE_STANDIN', False), pendulum.__file__)")
        env = dict(os.environ, PYTHONPATH=SHIM_ROOT)
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
                             timeout=60).stdout.split()
        if REAL is None:
            self.assertEqual(out[0], "True")
            self.assertTrue(out[1].startswith(FALLBACKS_DIR))
        else:
            self.assertEqual(out, ["False", REAL.__file__])

    def test_without_pendulum_the_standin_is_used(self):
        # -S leaves site-packages (and any installed pendulum) out, as in an interpreter without pendulum
        code = ("from dagbridge_shim import loader\nloader.activate_standins()\nimport pendulum\n"
                "print(pendulum.DAGBRIDGE_STANDIN, pendulum.datetime(2021, 1, 1, tz='Europe/Amsterdam'))")
        env = dict(os.environ, PYTHONPATH=SHIM_ROOT)
        out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, env=env,
                             check=True, timeout=60).stdout.split()
        self.assertEqual(out, ["True", "2021-01-01T00:00:00+01:00"])

    def test_a_dag_file_using_pendulum_exports(self):
        files = {"tz_dag.py": """
            import pendulum
            from airflow import DAG
            from airflow.operators.empty import EmptyOperator

            with DAG("pendulum_dates", start_date=pendulum.datetime(2021, 1, 1, tz="Europe/Amsterdam"),
                     end_date=pendulum.datetime(2021, 6, 1, tz="Europe/Amsterdam"), schedule=pendulum.duration(hours=6),
                     default_args={"retry_delay": pendulum.duration(minutes=5)}):
                EmptyOperator(task_id="t")
        """}
        with TempDags(files) as folder:
            bundle, _ = run_export(folder)
        self.assertEqual(bundle["importErrors"], [])
        dag = bundle["dags"][0]
        self.assertEqual((dag["timezone"], dag["startDate"], dag["endDate"]),
                         ("Europe/Amsterdam", "2021-01-01T00:00:00+01:00", "2021-06-01T00:00:00+02:00"))
        self.assertEqual(dag["schedule"], {"type": "timedelta", "seconds": 21600.0})
        self.assertEqual(dag["tasks"][0]["retryDelaySeconds"], 300.0)
        self.assertEqual(bundle["files"][0]["imports"], ["airflow", "pendulum"])

    def test_the_facts_probe_never_reports_the_standin_as_installed(self):
        # A worker verifies a manifest's `pendulum` requirement against these facts: only a real distribution counts.
        env = dict(os.environ, PYTHONPATH=SHIM_ROOT)
        out = subprocess.run([sys.executable, "-m", "dagbridge_shim.facts"], capture_output=True, text=True, env=env,
                             check=True, timeout=60).stdout
        facts = json.loads(out)
        self.assertEqual("pendulum" in facts["distributions"], REAL is not None)
        self.assertEqual("pendulum" in facts["modules"], REAL is not None)

    def test_importing_the_standin_loads_no_third_party_or_heavy_module(self):
        code = ("import sys\nbefore = set(sys.modules)\nimport pendulum\n"
                "print(' '.join(sorted({m.split('.')[0] for m in set(sys.modules) - before})))")
        env = dict(os.environ, PYTHONPATH=FALLBACKS_DIR)
        out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, env=env,
                             check=True, timeout=60).stdout.split()
        allowed = {"pendulum", "datetime", "_datetime", "zoneinfo", "_zoneinfo", "re", "sre_compile", "sre_parse",
                   "sre_constants", "_sre", "enum", "functools", "operator", "keyword", "copyreg", "sysconfig",
                   "_sysconfigdata__linux_x86_64-linux-gnu", "bisect", "_bisect", "weakref", "collections",
                   "itertools", "reprlib", "types", "_collections", "_collections_abc", "_functools", "_operator", "math", "time",
                   "posixpath", "genericpath", "stat", "_stat", "os", "_weakrefset", "struct", "_struct"}
        self.assertEqual([m for m in out if m not in allowed and not m.startswith("_sysconfigdata")], [])


if __name__ == "__main__":
    unittest.main()
