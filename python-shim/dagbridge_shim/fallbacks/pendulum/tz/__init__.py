"""`pendulum.tz`: the zone names of pendulum's own module."""
from .._tz import (  # noqa: F401
    POST_TRANSITION,
    PRE_TRANSITION,
    TRANSITION_ERROR,
    UTC,
    fixed_timezone,
    local_timezone,
    set_local_timezone,
    timezone,
)
