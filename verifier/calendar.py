"""Time limits of workflow policies: the duration syntax and the working-day calendar (DESIGN §4).

A policy states its limits as ``"<n>m"`` (minutes), ``"<n>h"`` (hours) or ``"<n>wd"`` (working
days), with ``n`` a positive integer of at most five digits and no leading zero.

Deadline rule. Minutes and hours are elapsed time: the deadline is the start plus that many
minutes or hours, counted on the UTC time line (so a clock change never stretches a limit).
Working days follow how Chinese rules count "N个工作日内" and the Civil Code's rule for periods
counted in days (民法典 Art. 201–203): the day the period starts is not counted, counting begins
with the next working day, and the period ends at 24:00 of the N-th working day, in the
calendar's time zone. A ticket dispatched on Thursday 2026-09-24 at 09:00 with "5wd" is thus
due by the end of Friday 2026-10-09: Sep 25–27 (Mid-Autumn) and Oct 1–7 (National Day) are
days off, Sep 28–30 and Oct 8–9 are working days one to five.

Every deadline returned here is the *last instant still on time*: an action at ``at`` is on
time iff ``at <= deadline``. For working days that instant is 23:59:59.999999 local time on the
N-th working day, which is a working day itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

DurationUnit = Literal["m", "h", "wd"]

_DURATION = re.compile(r"([1-9][0-9]{0,4})(m|h|wd)")
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Duration:
    """A policy time limit such as ``30m``, ``24h`` or ``5wd``."""

    amount: int
    unit: DurationUnit

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    @property
    def elapsed(self) -> timedelta | None:
        """The limit as elapsed time for minutes and hours; ``None`` for working days."""
        if self.unit == "m":
            return timedelta(minutes=self.amount)
        if self.unit == "h":
            return timedelta(hours=self.amount)
        return None


def parse_duration(text: str) -> Duration:
    """Parse a policy duration (``"15m"``, ``"24h"``, ``"5wd"``).

    Raises:
        ValueError: ``text`` is not a positive integer of at most five digits, without a leading
            zero, followed by ``m``, ``h`` or ``wd``.
    """
    match = _DURATION.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(
            f'bad duration {text!r}: expected a positive integer followed by m, h or wd (e.g. "30m", "24h", "5wd")'
        )
    unit: DurationUnit = "wd" if match[2] == "wd" else "h" if match[2] == "h" else "m"
    return Duration(int(match[1]), unit)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no UTC offset; deadlines need an aware datetime")


@dataclass(frozen=True)
class WorkingCalendar:
    """Which days are working days, in one time zone.

    A day is a working day if its ISO weekday is in ``workdays`` and it is not in ``holidays``,
    or if it is in ``extra_workdays`` (make-up working days, 调休上班).

    Raises (on construction):
        ValueError: no workdays, a weekday outside 1..7, or a date both holiday and extra workday.
    """

    timezone: ZoneInfo
    workdays: frozenset[int]
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    _last_exception: date = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.workdays:
            raise ValueError("a calendar needs at least one weekday that is a workday")
        if not self.workdays <= {1, 2, 3, 4, 5, 6, 7}:
            raise ValueError(f"ISO weekdays are 1..7, got {sorted(self.workdays)}")
        both = self.holidays & self.extra_workdays
        if both:
            raise ValueError(f"{min(both).isoformat()} is both a holiday and an extra workday")
        # After the last listed exception, every week holds exactly len(workdays) working days.
        object.__setattr__(self, "_last_exception", max(self.holidays | self.extra_workdays, default=date.min))

    def local_date(self, moment: datetime) -> date:
        """The calendar date of ``moment`` in this calendar's time zone.

        Raises:
            ValueError: ``moment`` is naive.
        """
        _require_aware(moment)
        return moment.astimezone(self.timezone).date()

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` is a working day. An aware datetime is first taken to the local date.

        Raises:
            ValueError: ``day`` is a naive datetime (a plain ``date`` is always fine).
        """
        if isinstance(day, datetime):
            day = self.local_date(day)
        if day in self.extra_workdays:
            return True
        return day.isoweekday() in self.workdays and day not in self.holidays

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """The end of the ``n``-th working day after the local date of ``start`` (see module doc).

        The start day never counts, whether or not it is a working day. The result is
        23:59:59.999999 local time of that working day, in the calendar's time zone.

        Raises:
            ValueError: ``start`` is naive or ``n`` < 1.
            OverflowError: the deadline would fall after the year 9999.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive integer, got {n!r}")
        day = self.local_date(start)
        remaining = n
        per_week = len(self.workdays)
        while True:
            day += _ONE_DAY
            if day > self._last_exception and remaining > per_week:
                # Skip whole weeks at once: each holds exactly ``per_week`` working days.
                weeks = (remaining - 1) // per_week
                day += timedelta(weeks=weeks)
                remaining -= weeks * per_week
            if self.is_workday(day):
                remaining -= 1
                if remaining == 0:
                    return datetime.combine(day, time.max, tzinfo=self.timezone)

    def deadline(self, start: datetime, within: str | Duration) -> datetime:
        """The last instant on time for a limit ``within`` (``"30m"``, ``"24h"``, ``"5wd"``) from ``start``.

        Minutes and hours are elapsed time; working days follow ``add_working_days``. The result
        is in the calendar's time zone.

        Raises:
            ValueError: ``start`` is naive or ``within`` is not a valid duration.
            OverflowError: the deadline would fall after the year 9999.
        """
        duration = within if isinstance(within, Duration) else parse_duration(within)
        _require_aware(start)
        elapsed = duration.elapsed
        if elapsed is None:
            return self.add_working_days(start, duration.amount)
        return (start.astimezone(UTC) + elapsed).astimezone(self.timezone)
