"""BaseBranchOperator: subclasses implement `choose_branch(context)`."""
from airflow.models.baseoperator import BaseOperator


class BranchMixIn:
    """Marker of branching operators (Airflow's mixin of `do_branch`)."""


class BaseBranchOperator(BaseOperator, BranchMixIn):
    """A branch whose choice comes from `choose_branch(context)` (task id or ids to follow)."""

    def choose_branch(self, context):
        raise NotImplementedError

    def execute(self, context):
        from dagbridge_shim.execution.branch import execute_branch

        return execute_branch(self, context)
