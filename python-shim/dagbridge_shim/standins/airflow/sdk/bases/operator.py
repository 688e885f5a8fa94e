from airflow.models.baseoperator import BaseOperator, chain, chain_linear, cross_downstream  # noqa: F401
