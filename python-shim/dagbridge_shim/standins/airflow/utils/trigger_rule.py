"""Airflow's trigger rules (stand-in of airflow/utils/trigger_rule.py).

The members come from the facts table (schemas/airflow-facts.json): every rule, plus the old names Airflow 2
still lists (``DUMMY``, ``NONE_FAILED_OR_SKIPPED``; BaseOperator maps them to the rules they mean).
"""
from enum import Enum

from dagbridge_shim.airflow_facts import TRIGGER_RULE_ALIASES, TRIGGER_RULES


class _TriggerRuleBase(str, Enum):
    """When a task may run, given the states of its direct upstream tasks."""

    @classmethod
    def is_valid(cls, trigger_rule):
        return trigger_rule in cls.all_triggers()

    @classmethod
    def all_triggers(cls):
        return set(cls.__members__.values())

    def __str__(self):
        return self.value


TriggerRule = _TriggerRuleBase(
    "TriggerRule", [(name.upper(), name) for name in TRIGGER_RULES + tuple(TRIGGER_RULE_ALIASES)],
    module=__name__, qualname="TriggerRule")
