"""The facts probe (dagbridge_shim.facts): interpreter, markers, distributions, module map, executables, env."""
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import unittest

from dagbridge_shim import facts

SHIM_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_distribution(site, name, version, files=None, top_level=None):
    """A minimal installed distribution: NAME-VERSION.dist-info with METADATA and RECORD (as pip writes)."""
    dist_info = os.path.join(site, "%s-%s.dist-info" % (name.replace("-", "_"), version))
    os.makedirs(dist_info)
    with open(os.path.join(dist_info, "METADATA"), "w") as handle:
        handle.write("Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version))
    record = list(files or [])
    for path in record:
        full = os.path.join(site, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as handle:
            handle.write("")
    record.append("%s/METADATA,," % os.path.basename(dist_info))
    with open(os.path.join(dist_info, "RECORD"), "w") as handle:
        handle.write("\n".join("%s,," % path if "," not in path else path for path in record) + "\n")
    if top_level is not None:
        with open(os.path.join(dist_info, "top_level.txt"), "w") as handle:
            handle.write("\n".join(top_level) + "\n")


def run_probe(*args, extra_path=(), env=None):
    environment = dict(os.environ if env is None else env)
    environment["PYTHONPATH"] = os.pathsep.join(list(extra_path) + [SHIM_ROOT])
    completed = subprocess.run(
        [sys.executable, "-m", "dagbridge_shim.facts"] + list(args),
        capture_output=True, text=True, env=environment, timeout=60,
    )
    return completed


class NormalizeNameTest(unittest.TestCase):
    def test_pep_503(self):
        self.assertEqual(facts.normalize_name("Foo.Bar__baz-Qux"), "foo-bar-baz-qux")
        self.assertEqual(facts.normalize_name("PyYAML"), "pyyaml")


class CollectTest(unittest.TestCase):
    def test_interpreter_and_markers(self):
        result = facts.collect()
        self.assertEqual(result["factsVersion"], 1)
        self.assertEqual(result["python"]["version"], platform.python_version())
        self.assertEqual(result["python"]["executable"], sys.executable)
        markers = result["markers"]
        self.assertEqual(markers["python_version"], "%d.%d" % sys.version_info[:2])
        self.assertEqual(markers["sys_platform"], sys.platform)
        self.assertEqual(markers["os_name"], os.name)
        self.assertEqual(markers["implementation_name"], sys.implementation.name)
        self.assertEqual(markers["platform_machine"], platform.machine())
        self.assertEqual(
            sorted(markers),
            sorted([
                "implementation_name", "implementation_version", "os_name", "platform_machine", "platform_release",
                "platform_system", "platform_version", "python_full_version", "platform_python_implementation",
                "python_version", "sys_platform",
            ]),
        )

    def test_executables_and_env_names(self):
        os.environ["DAGBRIDGE_FACTS_TEST_SET"] = "secret-value"
        try:
            result = facts.collect(executables=["sh", "dagbridge-no-such-tool"], env=["DAGBRIDGE_FACTS_TEST_SET", "DAGBRIDGE_FACTS_TEST_UNSET"])
        finally:
            del os.environ["DAGBRIDGE_FACTS_TEST_SET"]
        self.assertEqual(result["executables"], {"sh": shutil.which("sh"), "dagbridge-no-such-tool": None})
        self.assertEqual(result["env"], {"DAGBRIDGE_FACTS_TEST_SET": True, "DAGBRIDGE_FACTS_TEST_UNSET": False})
        self.assertNotIn("secret-value", json.dumps(result))

    def test_stdlib_names(self):
        names = facts.stdlib_modules()
        for name in ("os", "json", "collections", "__future__"):
            self.assertIn(name, names)
        self.assertNotIn("boto3", names)

    def test_fallback_list_for_39_covers_the_public_standard_library(self):
        if not hasattr(sys, "stdlib_module_names"):
            self.skipTest("needs Python 3.10+ to compare against")
        current = set(name for name in sys.stdlib_module_names if not name.startswith("_"))
        added_after_39 = {"tomllib"}
        self.assertEqual(sorted(current - facts._STDLIB_FALLBACK - added_after_39), [])


class ProbeProcessTest(unittest.TestCase):
    def setUp(self):
        self.site = tempfile.mkdtemp(prefix="dagbridge-facts-")
        self.addCleanup(shutil.rmtree, self.site)

    def test_installed_distributions_and_module_map(self):
        write_distribution(self.site, "boto3", "1.28.0", files=["boto3/__init__.py", "boto3/session.py"])
        write_distribution(self.site, "PyYAML", "6.0.1", files=["yaml/__init__.py", "_yaml/__init__.py"], top_level=["_yaml", "yaml"])
        write_distribution(self.site, "six", "1.16.0", files=["six.py", "__pycache__/six.cpython-311.pyc", "../../bin/tool"])
        completed = run_probe(extra_path=[self.site])
        self.assertEqual(completed.returncode, 0, completed.stderr)
        result = json.loads(completed.stdout)
        self.assertEqual(result["distributions"]["boto3"], "1.28.0")
        self.assertEqual(result["distributions"]["pyyaml"], "6.0.1")
        self.assertEqual(result["modules"]["boto3"], ["boto3"])
        self.assertEqual(result["modules"]["yaml"], ["pyyaml"])
        self.assertEqual(result["modules"]["_yaml"], ["pyyaml"])
        self.assertEqual(result["modules"]["six"], ["six"])
        self.assertNotIn("__pycache__", result["modules"])
        self.assertNotIn("..", result["modules"])

    def test_first_sys_path_entry_wins(self):
        other = tempfile.mkdtemp(prefix="dagbridge-facts-")
        self.addCleanup(shutil.rmtree, other)
        write_distribution(self.site, "boto3", "1.28.0", files=["boto3/__init__.py"])
        write_distribution(other, "boto3", "1.20.0", files=["boto3/__init__.py"])
        completed = run_probe(extra_path=[self.site, other])
        self.assertEqual(json.loads(completed.stdout)["distributions"]["boto3"], "1.28.0")

    def test_command_line(self):
        completed = run_probe("--no-modules", "--executables", "sh, ,nope-tool", "--env", "PATH")
        self.assertEqual(completed.returncode, 0, completed.stderr)
        result = json.loads(completed.stdout)
        self.assertIsNone(result["modules"])
        self.assertEqual(sorted(result["executables"]), ["nope-tool", "sh"])
        self.assertEqual(result["env"], {"PATH": True})
        self.assertEqual(completed.stdout.count("\n"), 1)

    def test_bad_arguments_exit_2(self):
        completed = run_probe("--frobnicate")
        self.assertEqual(completed.returncode, 2)
        self.assertIn("unrecognized arguments: --frobnicate", completed.stderr)


if __name__ == "__main__":
    unittest.main()
