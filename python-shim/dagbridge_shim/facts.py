"""What this Python environment holds, for verifying a dependency manifest (contract 4).

    python -m dagbridge_shim.facts [--executables a,b] [--env X,Y] [--no-modules]

Prints one JSON document on stdout:

    {"factsVersion": 1,
     "python": {"version": "3.11.2", "implementation": "cpython", "executable": "/usr/bin/python3.11"},
     "markers": {PEP 508 marker variables: python_version, sys_platform, ...},
     "distributions": {"boto3": "1.28.0", ...},           # PEP 503 normalised name -> version
     "modules": {"yaml": ["pyyaml"], ...} or null,        # top-level module -> distributions (--no-modules: null)
     "stdlibModules": ["abc", ...],
     "executables": {"bash": "/usr/bin/bash", "nope": null},
     "env": {"AWS_REGION": true},                         # whether set; values are never read out
     "seconds": 0.03}

Standard library only, Python 3.9+, one process start. A distribution found twice on sys.path counts where
the import system would find it: the first sys.path entry wins. Exit 2 for bad arguments.
"""

import argparse
import json
import os
import platform
import re
import shutil
import sys
import time

FACTS_VERSION = 1

# sys.stdlib_module_names appeared in 3.10; this is the 3.9 standard library's top-level modules.
_STDLIB_FALLBACK = frozenset(
    """__future__ _thread abc aifc antigravity argparse array ast asynchat asyncio asyncore atexit audioop base64 bdb
    binascii binhex bisect builtins bz2 cProfile calendar cgi cgitb chunk cmath cmd code codecs codeop collections
    colorsys compileall concurrent configparser contextlib contextvars copy copyreg crypt csv ctypes curses
    dataclasses datetime dbm decimal difflib dis distutils doctest email encodings ensurepip enum errno
    faulthandler fcntl filecmp fileinput fnmatch formatter fractions ftplib functools gc genericpath getopt
    getpass gettext glob graphlib grp gzip hashlib heapq hmac html http idlelib imaplib imghdr imp importlib
    inspect io ipaddress itertools json keyword lib2to3 linecache locale logging lzma mailbox mailcap marshal
    math mimetypes mmap modulefinder msilib msvcrt multiprocessing netrc nis nntplib nt ntpath nturl2path numbers
    opcode operator optparse os ossaudiodev parser pathlib pdb pickle pickletools pipes pkgutil platform
    plistlib poplib posix posixpath pprint profile pstats pty pwd py_compile pyclbr pydoc pydoc_data pyexpat
    queue quopri random re readline reprlib resource rlcompleter runpy sched secrets select selectors shelve
    shlex shutil signal site smtpd smtplib sndhdr socket socketserver spwd sqlite3 sre_compile sre_constants
    sre_parse ssl stat statistics string stringprep struct subprocess sunau symbol symtable sys sysconfig
    syslog tabnanny tarfile telnetlib tempfile termios textwrap this threading time timeit tkinter token
    tokenize trace traceback tracemalloc tty turtle turtledemo types typing unicodedata unittest urllib uu uuid
    venv warnings wave weakref webbrowser winreg winsound wsgiref xdrlib xml xmlrpc zipapp zipfile zipimport
    zlib zoneinfo""".split()
)


def normalize_name(name):
    """PEP 503: runs of -, _ and . become one -, lower case."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _full_version(info):
    # packaging.markers.format_full_version
    version = "%d.%d.%d" % (info.major, info.minor, info.micro)
    if info.releaselevel != "final":
        version += info.releaselevel[0] + str(info.serial)
    return version


def marker_environment():
    """The PEP 508 marker variables, computed as packaging.markers.default_environment() does."""
    return {
        "implementation_name": sys.implementation.name,
        "implementation_version": _full_version(sys.implementation.version),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    }


def _top_level_names(dist):
    """The importable top-level names a distribution provides (importlib.metadata.packages_distributions)."""
    declared = dist.read_text("top_level.txt")
    if declared:
        return [line.strip() for line in declared.splitlines() if line.strip()]
    names = set()
    for entry in dist.files or ():
        parts = entry.parts
        if len(parts) > 1:
            name = parts[0]
        else:
            name = parts[0] if parts else ""
            for suffix in (".py", ".pyc", ".so", ".pyd"):
                if name.endswith(suffix):
                    name = name[: -len(suffix)].split(".")[0]
                    break
        if name and "." not in name and name != "__pycache__":
            names.add(name)
    return sorted(names)


def installed(with_modules):
    """(distributions {normalised name: version}, modules {module: [distribution names]} or None)."""
    from importlib import metadata

    distributions = {}
    modules = {} if with_modules else None
    for dist in metadata.distributions():
        raw_name = dist.metadata["Name"]
        if not raw_name:
            continue  # a broken .dist-info without metadata: nothing to report
        name = normalize_name(raw_name)
        if name in distributions:
            continue  # shadowed by an earlier sys.path entry, as for imports
        distributions[name] = dist.version
        if modules is not None:
            for module in _top_level_names(dist):
                owners = modules.setdefault(module, [])
                if name not in owners:
                    owners.append(name)
    return distributions, modules


def stdlib_modules():
    names = getattr(sys, "stdlib_module_names", None)
    return sorted(names if names is not None else _STDLIB_FALLBACK)


def _names(value):
    return [part.strip() for part in value.split(",") if part.strip()] if value else []


def collect(executables=(), env=(), with_modules=True):
    """All facts as one JSON-ready dict."""
    started = time.perf_counter()
    distributions, modules = installed(with_modules)
    return {
        "factsVersion": FACTS_VERSION,
        "python": {
            "version": platform.python_version(),
            "implementation": sys.implementation.name,
            "executable": sys.executable,
        },
        "markers": marker_environment(),
        "distributions": dict(sorted(distributions.items())),
        "modules": None if modules is None else {key: sorted(value) for key, value in sorted(modules.items())},
        "stdlibModules": stdlib_modules(),
        "executables": {name: shutil.which(name) for name in executables},
        "env": {name: name in os.environ for name in env},
        "seconds": round(time.perf_counter() - started, 4),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m dagbridge_shim.facts", description=__doc__.split("\n")[0])
    parser.add_argument("--executables", default="", help="comma-separated executables to look up on PATH")
    parser.add_argument("--env", default="", help="comma-separated environment variable names to test")
    parser.add_argument("--no-modules", action="store_true", help="leave out the module -> distribution map")
    args = parser.parse_args(argv)
    facts = collect(_names(args.executables), _names(args.env), not args.no_modules)
    sys.stdout.write(json.dumps(facts, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
