"""`pendulum.tz.timezone`: the zone classes under pendulum's own module path."""
from .._tz import UTC, AmbiguousTime, FixedTimezone, NonExistingTime, Timezone  # noqa: F401
