"""`pendulum.parsing.exceptions`."""
from ..exceptions import ParserError  # noqa: F401
