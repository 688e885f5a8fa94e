"""pendulum's exception names (`pendulum.exceptions`, `pendulum.parsing.exceptions`)."""


class PendulumException(Exception):
    pass


class ParserError(ValueError):
    pass
