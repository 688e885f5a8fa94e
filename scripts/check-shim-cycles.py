"""Fails when the python-shim's own modules import each other in a cycle.

    python3 scripts/check-shim-cycles.py [--root python-shim] [--package dagbridge_shim] [--exclude NAME ...]

Reads every module of the package (standard library only: ``ast``, no import is executed) and draws an edge for
each import of another module of the package, at module level or inside a function: a function-level import
defers a dependency, it does not remove it, so a cycle dodged that way is still reported. Two graphs are
checked:

- modules: ``dagbridge_shim.run -> dagbridge_shim.execution.runner -> dagbridge_shim.run``;
- units, where each subpackage counts as one node (``dagbridge_shim.execution``, ``dagbridge_shim.runtime``)
  and each top-level module as itself: a subpackage that imports a module which imports the subpackage back
  is a cycle of layers even when no single module cycle exists.

``standins`` (the Airflow stand-ins) and ``fallbacks`` (stand-ins of packages Airflow brings along, such as
pendulum) are left out by default: they are imported under the names of the packages they stand in for, and their
cycles mirror those packages' own (``baseoperator <-> dag <-> task_group``, ``pendulum <-> pendulum._datetimes``). Exit code 0 with no output when there is no cycle; 1 with one line
per cycle found (the path, first module repeated at the end); 2 for bad arguments.
"""
import argparse
import ast
import os
import sys


def module_files(root, package, excluded):
    """``{dotted module name: file path}`` of ``package`` under ``root``, without the ``excluded`` subtrees."""
    modules = {}
    top = os.path.join(root, package)
    for folder, subfolders, files in os.walk(top):
        rel = os.path.relpath(folder, root)
        dotted = rel.replace(os.sep, ".")
        subfolders[:] = sorted(name for name in subfolders
                               if "%s.%s" % (dotted, name) not in excluded and name != "__pycache__")
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            stem = name[:-3]
            modules[dotted if stem == "__init__" else "%s.%s" % (dotted, stem)] = os.path.join(folder, name)
    return modules


def _resolve_relative(module, is_package, level, target):
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[:-(level - 1)]
    return ".".join(base + ([target] if target else []))


def imports_of(module, path, known):
    """The modules of ``known`` that ``module`` (file ``path``) imports anywhere in its source, sorted."""
    with open(path, "rb") as handle:
        tree = ast.parse(handle.read(), filename=path)
    is_package = os.path.basename(path) == "__init__.py"
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.add(_known_prefix(alias.name, known))
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                source = _resolve_relative(module, is_package, node.level, node.module)
            for alias in node.names:
                # `from pkg import name`: the submodule pkg.name when there is one, else pkg itself.
                candidate = "%s.%s" % (source, alias.name)
                found.add(candidate if candidate in known else _known_prefix(source, known))
    found.discard(None)
    found.discard(module)
    return sorted(found)


def _known_prefix(name, known):
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in known:
            return candidate
        parts.pop()
    return None


def unit_of(module, package):
    """The node a module counts as in the units graph: its subpackage directly below ``package``, or itself."""
    depth = len(package.split(".")) + 1
    parts = module.split(".")
    return ".".join(parts[:depth])


def find_cycles(graph):
    """Per strongly connected component with a cycle: one cycle through it (first node repeated at the end) and
    the component's members (every node that sits on some cycle with the others)."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = [0]

    def connect(node):
        # Tarjan's algorithm, iterative so that a deep import chain cannot hit the recursion limit.
        work = [(node, iter(graph.get(node, ())))]
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        while work:
            current, edges = work[-1]
            advanced = False
            for target in edges:
                if target not in index:
                    index[target] = low[target] = counter[0]
                    counter[0] += 1
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(graph.get(target, ()))))
                    advanced = True
                    break
                if target in on_stack:
                    low[current] = min(low[current], index[target])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[current])
            if low[current] == index[current]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == current:
                        break
                if len(component) > 1:
                    components.append(set(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [(_cycle_in(graph, component), sorted(component))
            for component in sorted(components, key=lambda c: sorted(c))]


def _cycle_in(graph, component):
    """A shortest cycle through the smallest node of ``component`` (breadth-first inside the component)."""
    start = min(component)
    previous = {start: None}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph.get(node, ())):
            if target not in component:
                continue
            if target == start:
                path = [node]
                while previous[path[-1]] is not None:
                    path.append(previous[path[-1]])
                return list(reversed(path)) + [start]
            if target not in previous:
                previous[target] = node
                queue.append(target)
    return [start, start]


def check(root, package, excluded):
    """The cycle lines for ``package`` under ``root`` (empty when there is none)."""
    modules = module_files(root, package, excluded)
    module_graph = {name: imports_of(name, path, modules) for name, path in modules.items()}
    lines = [_describe("module", cycle, members) for cycle, members in find_cycles(module_graph)]
    unit_graph = {}
    for name, targets in module_graph.items():
        unit = unit_of(name, package)
        unit_graph.setdefault(unit, set()).update(unit_of(target, package) for target in targets)
        unit_graph[unit].discard(unit)
    lines.extend(_describe("package", cycle, members) for cycle, members in find_cycles(unit_graph))
    return lines


def _describe(kind, cycle, members):
    line = "%s import cycle: %s" % (kind, " -> ".join(cycle))
    if len(members) > len(cycle) - 1:
        line += " (all in one cycle: %s)" % ", ".join(members)
    return line


def main(argv=None):
    parser = argparse.ArgumentParser(prog="check-shim-cycles", description=__doc__.split("\n")[0])
    parser.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                                       "python-shim"), help="the folder holding the package")
    parser.add_argument("--package", default="dagbridge_shim")
    parser.add_argument("--exclude", nargs="*", default=None,
                        help="dotted subpackages to leave out (default: PACKAGE.standins PACKAGE.fallbacks)")
    args = parser.parse_args(argv)
    if not os.path.isdir(os.path.join(args.root, args.package)):
        print("check-shim-cycles: no package %s under %s" % (args.package, os.path.abspath(args.root)),
              file=sys.stderr)
        return 2
    excluded = set(args.exclude) if args.exclude is not None else {args.package + ".standins",
                                                                   args.package + ".fallbacks"}
    lines = check(args.root, args.package, excluded)
    for line in lines:
        print("check-shim-cycles: %s" % line, file=sys.stderr)
    if lines:
        print("check-shim-cycles: move the shared piece below both modules, or merge modules that call each "
              "other; a function-level import does not break a cycle", file=sys.stderr)
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main())
