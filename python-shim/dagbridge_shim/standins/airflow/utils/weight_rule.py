"""Airflow's priority weight rules (stand-in of airflow/utils/weight_rule.py)."""
from enum import Enum


class WeightRule(str, Enum):
    """How a task's effective priority weight is computed from the DAG."""

    DOWNSTREAM = "downstream"
    UPSTREAM = "upstream"
    ABSOLUTE = "absolute"

    @classmethod
    def is_valid(cls, weight_rule):
        return weight_rule in cls.all_weight_rules()

    @classmethod
    def all_weight_rules(cls):
        return set(cls.__members__.values())

    def __str__(self):
        return self.value
