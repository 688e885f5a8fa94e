"""SkipMixin: the skip decisions of branching operators are made by dagbridge's task runner."""


class SkipMixin:
    """Marker base of operators that skip downstream tasks."""


XCOM_SKIPMIXIN_KEY = "skipmixin_key"
XCOM_SKIPMIXIN_SKIPPED = "skipped"
XCOM_SKIPMIXIN_FOLLOWED = "followed"
