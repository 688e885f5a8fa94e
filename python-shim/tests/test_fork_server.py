"""The fork server's parsed-file cache, and its protocol: a request for a file whose content is not the
scheduled version is refused (the worker then starts a fresh interpreter)."""
import json
import os
import subprocess
import sys
import tempfile
import time
import types
import unittest

import hashlib
from unittest import mock

from dagbridge_shim.fork_server import ParsedFiles, Server

SHIM_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class ParsedFilesTest(unittest.TestCase):
    def test_least_recently_used_file_goes_and_its_module_with_it(self):
        cache = ParsedFiles(2)
        for name in ("dagbridge_test_a", "dagbridge_test_b", "dagbridge_test_c"):
            sys.modules[name] = types.ModuleType(name)
        self.addCleanup(lambda: [sys.modules.pop(n, None) for n in ("dagbridge_test_a", "dagbridge_test_b", "dagbridge_test_c")])
        cache.put("a", {"dag": 1}, "dagbridge_test_a")
        cache.put("b", {"dag": 2}, "dagbridge_test_b")
        self.assertEqual(cache.get("a")[0], {"dag": 1})  # a is now the most recently used
        cache.put("c", {"dag": 3}, "dagbridge_test_c")
        self.assertIsNone(cache.get("b"))
        self.assertNotIn("dagbridge_test_b", sys.modules)
        self.assertIn("dagbridge_test_a", sys.modules)
        self.assertEqual(sorted(cache.entries), ["a", "c"])

    def test_a_newer_version_of_the_same_file_keeps_the_module(self):
        cache = ParsedFiles(1)
        sys.modules["dagbridge_test_same"] = types.ModuleType("dagbridge_test_same")
        self.addCleanup(lambda: sys.modules.pop("dagbridge_test_same", None))
        cache.put("v1", {}, "dagbridge_test_same")
        cache.put("v2", {}, "dagbridge_test_same")
        self.assertIn("dagbridge_test_same", sys.modules)


class FileHashTest(unittest.TestCase):
    def test_reads_a_file_once_while_unchanged_and_again_after_a_write_or_a_replacement(self):
        server = Server.__new__(Server)
        server.parsed = ParsedFiles(2)
        server.file_hashes = {}
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "d.py")
            with open(path, "w") as handle:
                handle.write("a = 1\n")
            real_open = open
            with mock.patch("builtins.open", side_effect=real_open) as opened:
                # Written just now: within the racy window, hashed on every call.
                server.file_hash(path)
                server.file_hash(path)
                self.assertEqual(opened.call_count, 2)
            later = time.time_ns() + 10 * 10**9
            hour_ago = time.time_ns() - 3600 * 10**9
            os.utime(path, ns=(hour_ago, hour_ago))  # so that the rewrite below cannot share its mtime
            with mock.patch("dagbridge_shim.fork_server.time.time_ns", return_value=later), \
                    mock.patch("builtins.open", side_effect=real_open) as opened:
                self.assertEqual(server.file_hash(path), hashlib.sha256(b"a = 1\n").hexdigest())
                self.assertEqual(server.file_hash(path), hashlib.sha256(b"a = 1\n").hexdigest())
                self.assertEqual(opened.call_count, 1)
            with open(path, "w") as handle:
                handle.write("a = 2\n")  # same size: the ctime and mtime tell
            with mock.patch("dagbridge_shim.fork_server.time.time_ns", return_value=later):
                self.assertEqual(server.file_hash(path), hashlib.sha256(b"a = 2\n").hexdigest())
            with open(os.path.join(folder, "next.py"), "w") as handle:
                handle.write("b = 3\n")
            os.replace(os.path.join(folder, "next.py"), path)
            self.assertEqual(server.file_hash(path), hashlib.sha256(b"b = 3\n").hexdigest())
            os.unlink(path)
            with self.assertRaises(OSError):
                server.file_hash(path)


class ProtocolTest(unittest.TestCase):
    def test_ready_then_refuses_a_file_that_is_not_the_scheduled_version(self):
        with tempfile.TemporaryDirectory() as folder:
            with open(os.path.join(folder, "d.py"), "w") as handle:
                handle.write("print('parsed')\n")
            env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": SHIM_ROOT, "PYTHONUNBUFFERED": "1"}
            server = subprocess.Popen([sys.executable, "-m", "dagbridge_shim", "fork-server", "--no-airflow"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            try:
                ready = json.loads(server.stdout.readline())
                self.assertEqual(ready["event"], "ready")
                self.assertEqual(ready["mode"], "standin")
                request = {"id": 7, "dagsFolder": folder, "file": "d.py", "fileHash": "0" * 64, "noAirflow": True}
                server.stdin.write((json.dumps(request) + "\n").encode())
                server.stdin.flush()
                answer = json.loads(server.stdout.readline())
                self.assertEqual(answer["id"], 7)
                self.assertIn("not the version the run was scheduled from", answer["refused"])
                server.stdin.write(b"not json\n")
                server.stdin.flush()
                self.assertIn("malformed request", json.loads(server.stdout.readline())["refused"])
            finally:
                server.stdin.close()
                self.assertEqual(server.wait(timeout=30), 0)
                server.stdout.close()
                server.stderr.close()


if __name__ == "__main__":
    unittest.main()
