"""The shim runs on Python 3.9 to 3.13: every file of dagbridge_shim parses with the 3.9 grammar and uses no
standard-library API newer than 3.9 (a list of the likely ones, checked on the syntax tree), and ISO 8601
strings that only 3.11's ``fromisoformat`` reads parse on every version (dagbridge_shim.isotime)."""
import ast
import os
import unittest
from datetime import datetime, timedelta, timezone

from dagbridge_shim.isotime import fromisoformat
from tests.test_run_support import SHIM_ROOT

PACKAGE = os.path.join(SHIM_ROOT, "dagbridge_shim")

#: module -> names added after 3.9 (as `module.name` or `from module import name`).
NEWER_NAMES = {
    "sys": {"stdlib_module_names", "orig_argv", "exception"},
    "datetime": {"UTC"},
    "itertools": {"pairwise", "batched"},
    "contextlib": {"chdir", "aclosing"},
    "hashlib": {"file_digest"},
    "logging": {"getLevelNamesMapping"},
    "inspect": {"get_annotations", "markcoroutinefunction"},
    "importlib.metadata": {"packages_distributions"},
    "types": {"NoneType", "EllipsisType", "NotImplementedType", "UnionType"},
    "typing": {"ParamSpec", "TypeAlias", "TypeGuard", "Concatenate", "Self", "LiteralString", "Never",
               "assert_never", "reveal_type", "Required", "NotRequired", "Unpack", "TypeVarTuple",
               "dataclass_transform", "override", "is_typeddict"},
    "enum": {"StrEnum", "ReprEnum", "verify", "EnumCheck", "FlagBoundary"},
    "re": {"NOFLAG"},
    "asyncio": {"TaskGroup", "timeout", "Runner"},
    "os": {"eventfd", "splice"},
}
NEWER_MODULES = {"tomllib", "wsgiref.types"}
NEWER_BUILTINS = {"aiter", "anext", "ExceptionGroup", "BaseExceptionGroup", "EncodingWarning"}
NEWER_METHODS = {"bit_count", "add_note"}
#: (function name, keyword) pairs added after 3.9.
NEWER_KEYWORDS = {("zip", "strict"), ("dataclass", "slots"), ("dataclass", "kw_only"), ("dataclass", "match_args"),
                  ("glob", "root_dir"), ("iglob", "root_dir"), ("bisect", "key"), ("bisect_left", "key"),
                  ("bisect_right", "key"), ("insort", "key"), ("insort_left", "key"), ("insort_right", "key"),
                  ("Popen", "process_group"), ("run", "process_group"), ("call", "process_group"),
                  ("check_call", "process_group"), ("check_output", "process_group")}


def shim_files():
    for folder, folders, files in os.walk(PACKAGE):
        folders[:] = sorted(name for name in folders if name != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                yield os.path.join(folder, name)


def parse(path, feature_version=None):
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    if feature_version is None:
        return ast.parse(source, filename=path)
    return ast.parse(source, filename=path, feature_version=feature_version)


def _dotted(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return base + "." + node.attr if base else None
    return None


def _called_name(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _is_union(node):
    return isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr)


def _annotations(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = node.args
            for arg in arguments.posonlyargs + arguments.args + arguments.kwonlyargs + [
                    arguments.vararg, arguments.kwarg]:
                if arg is not None and arg.annotation is not None:
                    yield arg.annotation
            if node.returns is not None:
                yield node.returns
        elif isinstance(node, ast.AnnAssign):
            yield node.annotation


def newer_api_uses(tree):
    """``(line, what)`` for each use of an API newer than Python 3.9 in the syntax tree."""
    found = []
    postponed = any(isinstance(node, ast.ImportFrom) and node.module == "__future__"
                    and any(alias.name == "annotations" for alias in node.names) for node in tree.body)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, "import " + alias.name) for alias in node.names if alias.name in NEWER_MODULES)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            if node.module in NEWER_MODULES:
                found.append((node.lineno, "from %s import" % node.module))
            newer = NEWER_NAMES.get(node.module, set())
            found.extend((node.lineno, "%s.%s" % (node.module, alias.name)) for alias in node.names
                         if alias.name in newer)
        elif isinstance(node, ast.Attribute):
            base = _dotted(node.value)
            if base in NEWER_NAMES and node.attr in NEWER_NAMES[base]:
                found.append((node.lineno, "%s.%s" % (base, node.attr)))
            elif node.attr in NEWER_METHODS:
                found.append((node.lineno, "." + node.attr))
        elif isinstance(node, ast.Name) and node.id in NEWER_BUILTINS:
            found.append((node.lineno, node.id))
        elif isinstance(node, ast.Call):
            name = _called_name(node.func)
            found.extend((node.lineno, "%s(%s=)" % (name, keyword.arg)) for keyword in node.keywords
                         if (name, keyword.arg) in NEWER_KEYWORDS)
            if name == "isinstance" and len(node.args) == 2 and _is_union(node.args[1]):
                found.append((node.lineno, "isinstance(x, A | B)"))
            if _dotted(node.func) in ("traceback.format_exception", "traceback.print_exception") and \
                    len(node.args) == 1 and not node.keywords:
                found.append((node.lineno, "%s(exc)" % _dotted(node.func)))
    if not postponed:
        found.extend((annotation.lineno, "A | B annotation") for annotation in _annotations(tree)
                     if any(_is_union(part) for part in ast.walk(annotation)))
    return sorted(found)


class SyntaxTest(unittest.TestCase):
    def test_every_shim_file_parses_with_the_python_3_9_grammar(self):
        files = list(shim_files())
        self.assertGreater(len(files), 50)
        for path in files:
            with self.subTest(path=os.path.relpath(path, SHIM_ROOT)):
                parse(path, feature_version=(3, 9))

    def test_the_check_refuses_newer_syntax(self):
        with self.assertRaises(SyntaxError):
            ast.parse("match x:\n    case 1:\n        pass\n", feature_version=(3, 9))


class NewerApiTest(unittest.TestCase):
    def test_no_shim_file_uses_an_api_newer_than_python_3_9(self):
        for path in shim_files():
            with self.subTest(path=os.path.relpath(path, SHIM_ROOT)):
                self.assertEqual(newer_api_uses(parse(path)), [])

    def test_the_scan_finds_each_kind_of_use(self):
        tree = ast.parse(
            "import tomllib\n"
            "from typing import TypeAlias\n"
            "import sys, datetime\n"
            "def f(a: int | None) -> str | None:\n"
            "    print(sys.stdlib_module_names, datetime.UTC, (5).bit_count(), anext)\n"
            "    list(zip([1], [2], strict=True))\n"
            "    isinstance(a, int | str)\n"
            "    traceback.format_exception(error)\n")
        self.assertEqual(newer_api_uses(tree), [
            (1, "import tomllib"), (2, "typing.TypeAlias"), (4, "A | B annotation"), (4, "A | B annotation"),
            (5, ".bit_count"), (5, "anext"), (5, "datetime.UTC"), (5, "sys.stdlib_module_names"), (6, "zip(strict=)"),
            (7, "isinstance(x, A | B)"), (8, "traceback.format_exception(exc)")])

    def test_guarded_and_postponed_uses_pass(self):
        tree = ast.parse(
            "from __future__ import annotations\n"
            "import sys\n"
            "def f(a: int | None) -> None:\n"
            "    return getattr(sys, 'stdlib_module_names', None)\n")
        self.assertEqual(newer_api_uses(tree), [])


class IsoTimeTest(unittest.TestCase):
    def test_forms_only_python_3_11_reads(self):
        utc = timezone.utc
        cases = {
            "2024-03-05T01:02:03Z": datetime(2024, 3, 5, 1, 2, 3, tzinfo=utc),
            "2024-03-05T01:02:03.1+00:00": datetime(2024, 3, 5, 1, 2, 3, 100000, tzinfo=utc),
            "2024-03-05T01:02:03.12345z": datetime(2024, 3, 5, 1, 2, 3, 123450, tzinfo=utc),
            "2024-03-05T01:02:03.123456789+00:00": datetime(2024, 3, 5, 1, 2, 3, 123456, tzinfo=utc),
            "2024-03-05 01:02:03+02": datetime(2024, 3, 5, 1, 2, 3, tzinfo=timezone(timedelta(hours=2))),
            "2024-03-05T01:02-0530": datetime(2024, 3, 5, 1, 2, tzinfo=timezone(-timedelta(hours=5, minutes=30))),
            "2024-03-05T01:02:03": datetime(2024, 3, 5, 1, 2, 3),
            "2024-03-05": datetime(2024, 3, 5),
        }
        for text, expected in cases.items():
            with self.subTest(text=text):
                parsed = fromisoformat(text)
                self.assertEqual((parsed, parsed.utcoffset()), (expected, expected.utcoffset()))

    def test_not_iso_is_a_value_error(self):
        with self.assertRaises(ValueError):
            fromisoformat("5 March 2024")


if __name__ == "__main__":
    unittest.main()
