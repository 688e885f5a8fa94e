"""The Airflow facts the TypeScript side uses too: trigger rules and their aliases, cron presets, the key rule
(dag_id, task_id, group_id) and operator class -> task kind. They live in one table, ``schemas/airflow-facts.json``
at the root of the dagbridge checkout or package (next to ``python-shim/``), read here at import with ``json``.
"""
import json
import os

#: The table: ``<dagbridge root>/schemas/airflow-facts.json``; this file is ``<root>/python-shim/dagbridge_shim/``.
FACTS_FILE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "schemas",
                          "airflow-facts.json")


def _load(path):
    try:
        with open(path, "r", encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        raise RuntimeError(
            "dagbridge_shim: cannot read the Airflow facts table %s (%s); ship the schemas/ folder next to "
            "python-shim/ as the dagbridge package does" % (path, error)
        ) from None


_FACTS = _load(FACTS_FILE)

#: Every trigger rule, in Airflow's lower-case spelling.
TRIGGER_RULES = tuple(_FACTS["triggerRules"]["rules"])
#: Old names Airflow still accepts -> the rule each one means.
TRIGGER_RULE_ALIASES = dict(_FACTS["triggerRules"]["aliases"])

#: Every preset a DAG's schedule may name -> its cron expression.
CRON_PRESETS = {name: preset["cron"] for name, preset in _FACTS["cronPresets"]["presets"].items()}
#: The presets of Airflow's ``airflow.utils.dates.cron_presets`` (DAG files may import that dict).
AIRFLOW_UTILS_DATES_CRON_PRESETS = {name: preset["cron"] for name, preset in _FACTS["cronPresets"]["presets"].items()
                                    if preset["airflowUtilsDates"]}

KEY_MAX_LENGTH = _FACTS["key"]["maxLength"]
KEY_PUNCTUATION = _FACTS["key"]["punctuation"]

#: Task kinds dagbridge models; ``OPERATOR_KINDS`` maps an operator class name to one of them.
TASK_KINDS = tuple(_FACTS["operatorKinds"]["kinds"])
OPERATOR_KINDS = dict(_FACTS["operatorKinds"]["classes"])


def key_problem(key, max_length=KEY_MAX_LENGTH):
    """Why ``key`` is not a valid Airflow key (Airflow's ``validate_key`` wording), or None. Length counts code
    points, as Python's ``len``."""
    if len(key) > max_length:
        return "The key has to be less than %d characters" % max_length
    if not key or not all(ch.isalnum() or ch in KEY_PUNCTUATION for ch in key):
        return "The key %r has to be made of alphanumeric characters, dashes, dots and underscores exclusively" % key
    return None


def operator_kind(operator_class):
    """The kind of the first class along ``operator_class``'s MRO that the table names, or None."""
    for klass in operator_class.__mro__:
        kind = OPERATOR_KINDS.get(klass.__name__)
        if kind is not None:
            return kind
    return None


def key_examples():
    """``(id, valid)`` of the table's key examples, which both sides' tests judge."""
    examples = []
    for example in _FACTS["key"]["examples"]:
        key = example["id"] if "id" in example else example["repeat"] * example["times"]
        examples.append((key, example["valid"]))
    return examples
