"""`pendulum.parsing`: `parse` under pendulum's own module path."""
from .._parsing import parse  # noqa: F401
