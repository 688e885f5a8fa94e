"""dagbridge's Python side: export a DAG folder to a bundle, run one task. Standard library only."""

__version__ = "0.1.0"
