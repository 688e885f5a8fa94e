"""A DAG folder inside Airflow's own source tree (`.../airflow/example_dags`) is importable as the package
Airflow would install it as (`airflow.example_dags`), so its files' `from airflow.example_dags.libs.helper
import print_stuff` works with the stand-ins as it does with that Airflow installed.

Only the package chain from the DAG folder up to a directory named `airflow` counts (each level has an
`__init__.py`). The stand-ins' own modules always win: the finder sits after them on sys.meta_path, and it
finds only the packages between `airflow` and the DAG folder, whose submodules then come from the folder.
"""
import importlib.abc
import importlib.util
import os
import sys


def airflow_package_of(folder):
    """`(dotted name, directory)` pairs from `airflow.<...>` down to `folder`, or [] when `folder` is not a
    package inside an `airflow` package directory."""
    folder = os.path.abspath(folder)
    chain = []
    current = folder
    while os.path.isfile(os.path.join(current, "__init__.py")):
        chain.append(current)
        if os.path.basename(current) == "airflow":
            break
        current = os.path.dirname(current)
    if not chain or os.path.basename(chain[-1]) != "airflow" or len(chain) < 2:
        return []
    chain.reverse()
    names = [os.path.basename(path) for path in chain]
    return [(".".join(names[:depth + 1]), chain[depth]) for depth in range(1, len(chain))]


class SourceTreeFinder(importlib.abc.MetaPathFinder):
    """Finds the packages `airflow_package_of` lists (and nothing else)."""

    def __init__(self, packages):
        self.packages = dict(packages)

    def find_spec(self, fullname, path=None, target=None):
        directory = self.packages.get(fullname)
        if directory is None:
            return None
        return importlib.util.spec_from_file_location(
            fullname, os.path.join(directory, "__init__.py"), submodule_search_locations=[directory])


def install(dags_folder):
    """Adds a SourceTreeFinder for `dags_folder` (when it lies in Airflow's source tree) before the provider
    finder, replacing one installed for another folder."""
    sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, SourceTreeFinder)]
    packages = airflow_package_of(dags_folder)
    if not packages:
        return None
    from dagbridge_shim.provider_finder import ProviderFinder

    finder = SourceTreeFinder(packages)
    position = next((i for i, f in enumerate(sys.meta_path) if isinstance(f, ProviderFinder)), len(sys.meta_path))
    sys.meta_path.insert(position, finder)
    return finder
