"""Finding DAG files like Airflow: every `.py` file under the DAGs folder, minus what `.airflowignore` files
exclude (regexp syntax by default, gitignore-like glob syntax on request), minus, in safe mode, files whose
bytes do not contain both "airflow" and "dag" (case-insensitive).

Walks in sorted order (Airflow follows os.walk order) so the result, and which file wins a duplicate dag_id,
does not depend on the filesystem.
"""
import os
import re

IGNORE_FILE = ".airflowignore"
SYNTAX_REGEXP = "regexp"
SYNTAX_GLOB = "glob"


def might_contain_dag(content):
    """Airflow's safe-mode heuristic on a file's bytes."""
    lowered = content.lower()
    return b"dag" in lowered and b"airflow" in lowered


def ignore_syntax_from_env(environ=None):
    environ = os.environ if environ is None else environ
    value = environ.get("AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX", SYNTAX_REGEXP).strip().lower()
    return SYNTAX_GLOB if value == SYNTAX_GLOB else SYNTAX_REGEXP


class _RegexpRule:
    """A regexp line, searched in the path relative to the DAGs folder."""

    def __init__(self, pattern, base_dir):
        self.pattern = pattern
        self.base_dir = base_dir

    def __eq__(self, other):
        return isinstance(other, _RegexpRule) and (self.pattern.pattern, self.base_dir) == (other.pattern.pattern, other.base_dir)

    def __hash__(self):
        return hash((self.pattern.pattern, self.base_dir))

    @staticmethod
    def compile(line, base_dir, definition_dir):
        try:
            return _RegexpRule(re.compile(line), base_dir)
        except re.error:
            # Airflow skips an invalid pattern (with a warning) and keeps the others.
            return None

    @staticmethod
    def matches(path, is_dir, rules):
        for rule in rules:
            if rule.pattern.search(os.path.relpath(path, rule.base_dir)) is not None:
                return True
        return False


def glob_to_regex(pattern):
    """gitwildmatch (as the `pathspec` package translates it) to a regular expression on a relative path:
    a pattern without an inner `/` matches at any depth, a trailing `/` matches directories only, `**`
    spans folders, and matching a folder matches everything in it."""
    dir_only = pattern.endswith("/")
    pattern = pattern.rstrip("/")
    anchored = "/" in pattern
    parts = pattern.lstrip("/").split("/")
    if parts == ["**"]:
        return re.compile("^.*$")
    prefix = "" if anchored else "(?:.+/)?"
    if parts[0] == "**":
        prefix = "(?:.+/)?"
        parts = parts[1:]
    trailing_all = len(parts) > 1 and parts[-1] == "**"
    if trailing_all:
        parts = parts[:-1]
    body, spanning = _translate_segment(parts[0]), False
    for part in parts[1:]:
        if part == "**":
            spanning = True
            continue
        body += ("(?:/.+)?/" if spanning else "/") + _translate_segment(part)
        spanning = False
    suffix = "/.*" if trailing_all or dir_only else "(?:/.*)?"
    return re.compile("^" + prefix + body + suffix + "$")


def _translate_segment(segment):
    out, i = [], 0
    while i < len(segment):
        ch = segment[i]
        if ch == "*":
            while i + 1 < len(segment) and segment[i + 1] == "*":
                i += 1
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = segment.find("]", i + 1)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = segment[i + 1:end]
                if body.startswith("!"):
                    body = "^" + body[1:]
                out.append("[" + body.replace("\\", "\\\\") + "]")
                i = end
        elif ch == "\\" and i + 1 < len(segment):
            i += 1
            out.append(re.escape(segment[i]))
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


class _GlobRule:
    """A gitignore-like line, relative to the folder of the `.airflowignore` that holds it; `!` negates."""

    def __init__(self, regex, include, relative_to, raw):
        self.regex = regex
        self.include = include
        self.relative_to = relative_to
        self.raw = raw

    def __eq__(self, other):
        return isinstance(other, _GlobRule) and (self.raw, self.relative_to) == (other.raw, other.relative_to)

    def __hash__(self):
        return hash((self.raw, self.relative_to))

    @staticmethod
    def compile(line, base_dir, definition_dir):
        text = line.rstrip()
        if not text or text.startswith("#"):
            return None
        include = True
        if text.startswith("!"):
            include = False
            text = text[1:]
        elif text.startswith("\\"):
            text = text[1:]
        if not text:
            return None
        return _GlobRule(glob_to_regex(text), include, definition_dir, line)

    @staticmethod
    def matches(path, is_dir, rules):
        matched = False
        for rule in rules:
            rel = os.path.relpath(path, rule.relative_to).replace(os.sep, "/")
            if rel.startswith("../"):
                continue
            if is_dir and rule.raw.rstrip().endswith("/"):
                # Only a directory pattern is tested against "dir/" (Airflow's _GlobIgnoreRule).
                rel += "/"
            if rule.regex.match(rel):
                matched = rule.include
        return matched


def _read_rules(ignore_path, rule_type, base_dir, definition_dir):
    with open(ignore_path, encoding="utf-8", errors="replace") as handle:
        lines = handle.read().split("\n")
    if rule_type is _RegexpRule:
        lines = [re.sub(r"\s*#.*", "", line) for line in lines]
    else:
        lines = [line for line in lines if not line.lstrip().startswith("#")]
    rules = []
    for line in lines:
        if not line.strip():
            continue
        rule = rule_type.compile(line.strip() if rule_type is _RegexpRule else line, base_dir, definition_dir)
        if rule is not None:
            rules.append(rule)
    return rules


def iter_python_files(dags_folder, ignore_syntax=SYNTAX_REGEXP, problems=None):
    """Absolute paths of `.py` files that `.airflowignore` files do not exclude, in walk order (a folder's
    files, then its sub-folders, each sorted by name).

    With a `problems` list, a folder entry the walk cannot use (a directory that cannot be listed, a symlink that
    leads back to a directory already walked, an unreadable `.airflowignore`) is appended to it as
    `(path, error type, message)` and skipped: one bad entry is an import error of that path, the rest of the
    folder is still walked. Without it the first such entry raises (Airflow's behaviour)."""
    base_dir = os.path.abspath(dags_folder)
    rule_type = _GlobRule if ignore_syntax == SYNTAX_GLOB else _RegexpRule
    patterns_by_dir = {os.path.realpath(base_dir): []}

    def report(path, kind, message):
        if problems is None:
            raise RuntimeError(message)
        problems.append((path, kind, message))

    def on_walk_error(error):
        report(getattr(error, "filename", None) or base_dir, type(error).__name__,
               "cannot list %s: %s" % (getattr(error, "filename", None) or base_dir, error.strerror or error))

    for root, dirs, files in os.walk(base_dir, followlinks=True, onerror=on_walk_error if problems is not None else None):
        patterns = list(patterns_by_dir.get(os.path.realpath(root), []))
        ignore_path = os.path.join(root, IGNORE_FILE)
        if os.path.isfile(ignore_path):
            try:
                patterns = list(dict.fromkeys(patterns + _read_rules(ignore_path, rule_type, base_dir, root)))
            except (OSError, re.error) as exc:
                if problems is None:
                    raise
                report(ignore_path, type(exc).__name__, "cannot read %s: %s" % (ignore_path, exc))
        dirs[:] = sorted(d for d in dirs if not rule_type.matches(os.path.join(root, d), True, patterns))
        for sub in list(dirs):
            real = os.path.realpath(os.path.join(root, sub))
            if real in patterns_by_dir:
                # A symlink back to a folder already walked: that entry is skipped, the walk goes on.
                dirs.remove(sub)
                report(os.path.join(root, sub), "RecursiveLoopError",
                       "Detected recursive loop when walking DAG directory %s: %s has appeared more than once." % (base_dir, real))
                continue
            patterns_by_dir[real] = list(patterns)
        for name in sorted(files):
            if name == IGNORE_FILE or not name.endswith(".py"):
                continue
            path = os.path.join(root, name)
            if not rule_type.matches(path, False, patterns) and os.path.isfile(path):
                yield path
