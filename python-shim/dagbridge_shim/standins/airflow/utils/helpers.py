"""Helpers DAG files import (stand-in of airflow/utils/helpers.py)."""
from airflow.models.baseoperator import chain, chain_linear, cross_downstream  # noqa: F401


def validate_key(k, max_length=250):
    import re

    if not isinstance(k, str):
        raise TypeError("The key has to be a string and is %s:%s" % (type(k), k))
    if len(k) > max_length:
        raise ValueError("The key has to be less than %d characters" % max_length)
    if not re.match(r"^[\w.-]+$", k):
        raise ValueError(
            "The key %r has to be made of alphanumeric characters, dashes, dots and underscores exclusively" % k
        )


def merge_dicts(dict1, dict2):
    merged = dict1.copy()
    for k, v in dict2.items():
        if k in merged and isinstance(v, dict) and isinstance(merged[k], dict):
            merged[k] = merge_dicts(merged[k], v)
        else:
            merged[k] = v
    return merged


def exactly_one(*args):
    return sum(map(bool, args)) == 1


def at_most_one(*args):
    return sum(map(bool, args)) <= 1
