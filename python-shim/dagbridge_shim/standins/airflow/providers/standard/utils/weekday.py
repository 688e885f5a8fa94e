"""WeekDay (stand-in of airflow.providers.standard.utils.weekday)."""
import enum


@enum.unique
class WeekDay(enum.IntEnum):
    MONDAY = 1
    TUESDAY = 2
    WEDNESDAY = 3
    THURSDAY = 4
    FRIDAY = 5
    SATURDAY = 6
    SUNDAY = 7

    @classmethod
    def get_weekday_number(cls, week_day_str):
        sanitized = week_day_str.upper()
        if sanitized not in cls.__members__:
            raise AttributeError('Invalid Week Day passed: "%s"' % week_day_str)
        return cls[sanitized]

    @classmethod
    def convert(cls, day):
        if isinstance(day, WeekDay):
            return {day}
        if isinstance(day, str):
            return {cls.get_weekday_number(day)}
        return {cls.convert(item).pop() for item in day}

    @classmethod
    def validate_week_day(cls, week_day):
        """The set of ISO weekday numbers of a day name, a WeekDay, or an iterable of them."""
        if isinstance(week_day, str):
            return {cls.get_weekday_number(week_day)}
        if isinstance(week_day, WeekDay):
            return {week_day}
        if isinstance(week_day, (list, tuple, set, frozenset)) and all(
                isinstance(day, (str, WeekDay)) for day in week_day):
            return {cls.get_weekday_number(day) if isinstance(day, str) else day for day in week_day}
        raise TypeError("Unsupported Type for week_day parameter: %s. Input should be iterable type: str, set, "
                        "list, dict or Weekday enum type" % type(week_day))
