"""What a mapped task (or mapped task group) is expanded over (stand-in of airflow.models.expandinput)."""


class DictOfListsExpandInput:
    """`expand(a=[...], b=xcom)`: one instance per element of the cross product, in insertion order."""

    kind = "expand"

    def __init__(self, value):
        self.value = dict(value)

    def __repr__(self):
        return "DictOfListsExpandInput(%r)" % (self.value,)


class ListOfDictsExpandInput:
    """`expand_kwargs([{...}, ...])` or `expand_kwargs(xcom)`: one instance per dict."""

    kind = "expand_kwargs"

    def __init__(self, value):
        self.value = value

    def __repr__(self):
        return "ListOfDictsExpandInput(%r)" % (self.value,)


EXPAND_INPUT_EMPTY = DictOfListsExpandInput({})
