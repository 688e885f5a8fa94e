"""Which keyword arguments a callable accepts (stand-in of airflow/utils/operator_helpers.py)."""
import inspect
import itertools


class KeywordParameters:
    """The keyword arguments to pass to a callable: all of them if it takes `**kwargs`, else those it names."""

    def __init__(self, kwargs, wildcard):
        self._kwargs = kwargs
        self._wildcard = wildcard

    @classmethod
    def determine(cls, func, args, kwargs):
        signature = inspect.signature(func)
        has_wildcard_kwargs = any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values())
        for name in itertools.islice(signature.parameters.keys(), len(args)):
            # Check if args conflict with names in kwargs.
            if name in kwargs:
                raise ValueError("The key %r in args is a part of kwargs and therefore reserved." % name)
        if has_wildcard_kwargs:
            # If the callable has a **kwargs argument, it's ready to accept all the kwargs.
            return cls(kwargs, wildcard=True)
        # If the callable has no **kwargs argument, it only wants the arguments it requested.
        kwargs = {key: kwargs[key] for key in signature.parameters if key in kwargs}
        return cls(kwargs, wildcard=False)

    def unpacking(self):
        return self._kwargs


def determine_kwargs(func, args, kwargs):
    """The part of `kwargs` (usually the task context) that `func` accepts after the positional `args`."""
    return KeywordParameters.determine(func, args, kwargs).unpacking()


def make_kwargs_callable(func):
    import functools

    @functools.wraps(func)
    def kwargs_func(*args, **kwargs):
        kwargs = determine_kwargs(func, args, kwargs)
        return func(*args, **kwargs)

    return kwargs_func
