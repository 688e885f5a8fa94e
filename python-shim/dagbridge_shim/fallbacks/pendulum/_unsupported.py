"""The error for a pendulum call the stand-in does not implement, and helpers that raise it on use."""

INSTALL_HINT = "install pendulum in this interpreter (pip install 'pendulum>=2.1.2,<4') to use it"


class StandinNotImplemented(NotImplementedError):
    """A pendulum call that dagbridge's stand-in pendulum does not implement; names the call."""

    def __init__(self, call):
        super().__init__(
            "%s is not implemented by dagbridge's stand-in pendulum (used because pendulum is not installed); %s"
            % (call, INSTALL_HINT)
        )
        self.call = call


def unsupported_function(call):
    """A function that raises `StandinNotImplemented(call)` whenever it is called."""

    def raiser(*args, **kwargs):
        raise StandinNotImplemented(call)

    raiser.__name__ = call.rsplit(".", 1)[-1].rstrip("()")
    raiser.__qualname__ = raiser.__name__
    return raiser


def unsupported_method(call):
    """A method descriptor that raises `StandinNotImplemented(call)` when it is called."""

    def raiser(self, *args, **kwargs):
        raise StandinNotImplemented(call)

    raiser.__name__ = call.rsplit(".", 1)[-1].rstrip("()")
    return raiser


def require_english(locale, call):
    """The stand-in formats and words in English only, as pendulum does by default."""
    if locale not in (None, "en", "en_us", "en-us", "en_US"):
        raise StandinNotImplemented("%s with locale=%r" % (call, locale))
