"""The working-day calendar and policy durations, on the real 2026 calendar (国办发明电〔2025〕7号)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.calendar import Duration, WorkingCalendar, parse_duration

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _span(first: str, last: str) -> set[date]:
    day, end = date.fromisoformat(first), date.fromisoformat(last)
    days = set()
    while day <= end:
        days.add(day)
        day += timedelta(days=1)
    return days


HOLIDAYS_2026 = (
    _span("2026-01-01", "2026-01-03")
    | _span("2026-02-15", "2026-02-23")
    | _span("2026-04-04", "2026-04-06")
    | _span("2026-05-01", "2026-05-05")
    | _span("2026-06-19", "2026-06-21")
    | _span("2026-09-25", "2026-09-27")
    | _span("2026-10-01", "2026-10-07")
)
EXTRA_2026 = {
    date.fromisoformat(d) for d in ("2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10")
}
CN_2026 = WorkingCalendar(SHANGHAI, frozenset({1, 2, 3, 4, 5}), frozenset(HOLIDAYS_2026), frozenset(EXTRA_2026))


def at(text: str) -> datetime:
    """A Beijing-time moment from ``YYYY-MM-DDTHH:MM``."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def end_of(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.max, tzinfo=SHANGHAI)


# --- durations ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", Duration(15, "m")),
        ("24h", Duration(24, "h")),
        ("1wd", Duration(1, "wd")),
        ("99999wd", Duration(99999, "wd")),
    ],
)
def test_parse_duration(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize(
    "text", ["", "5", "wd", "0wd", "05wd", "5d", "5 wd", "5WD", "-5m", "1.5h", "100000m", "５wd", " 5m"]
)
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration(text)


def test_elapsed() -> None:
    assert Duration(30, "m").elapsed == timedelta(minutes=30)
    assert Duration(2, "h").elapsed == timedelta(hours=2)
    assert Duration(2, "wd").elapsed is None


# --- which days work ------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"])
def test_make_up_days_are_workdays(day: str) -> None:
    assert date.fromisoformat(day).isoweekday() in (6, 7)
    assert CN_2026.is_workday(date.fromisoformat(day))


@pytest.mark.parametrize("day", sorted(HOLIDAYS_2026))
def test_holidays_are_days_off(day: date) -> None:
    assert not CN_2026.is_workday(day)


def test_ordinary_weeks() -> None:
    assert CN_2026.is_workday(date(2026, 3, 2))  # Monday
    assert not CN_2026.is_workday(date(2026, 3, 7))  # Saturday
    assert not CN_2026.is_workday(date(2026, 3, 8))  # Sunday


def test_workdays_in_2026() -> None:
    # 261 weekdays; 19 of the 33 holiday days fall on weekdays; 6 make-up days.
    days = _span("2026-01-01", "2026-12-31")
    assert sum(CN_2026.is_workday(day) for day in days) == 261 - 19 + 6


def test_is_workday_takes_aware_datetimes_to_local_date() -> None:
    # 2026-09-24 20:00 UTC is already Friday Sep 25 (Mid-Autumn) in Beijing.
    assert CN_2026.is_workday(date(2026, 9, 24))
    assert not CN_2026.is_workday(datetime(2026, 9, 24, 20, tzinfo=UTC))
    with pytest.raises(ValueError, match="no UTC offset"):
        CN_2026.is_workday(datetime(2026, 9, 24, 20))


# --- working-day deadlines ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "within", "due"),
    [
        # Mid-Autumn (Sep 25–27) and National Day (Oct 1–7): Sep 28, 29, 30, Oct 8, 9.
        ("2026-09-24T09:00", "5wd", "2026-10-09"),
        # The start day never counts, whatever the hour.
        ("2026-09-24T00:00", "1wd", "2026-09-28"),
        ("2026-09-24T23:59", "1wd", "2026-09-28"),
        # Sunday Sep 20 is a make-up working day.
        ("2026-09-18T16:00", "1wd", "2026-09-20"),
        ("2026-09-19T10:00", "1wd", "2026-09-20"),
        ("2026-09-18T16:00", "2wd", "2026-09-21"),
        # After National Day, Saturday Oct 10 works.
        ("2026-10-08T10:00", "2wd", "2026-10-10"),
        # Spring Festival: Saturday Feb 14 works, Feb 15–23 are off, Saturday Feb 28 works.
        ("2026-02-13T10:00", "1wd", "2026-02-14"),
        ("2026-02-13T10:00", "2wd", "2026-02-24"),
        ("2026-02-27T10:00", "1wd", "2026-02-28"),
        # Labour Day: May 1–5 off, Saturday May 9 works.
        ("2026-04-30T10:00", "1wd", "2026-05-06"),
        ("2026-05-08T10:00", "1wd", "2026-05-09"),
        # Qingming: Apr 4–6 off.
        ("2026-04-02T10:00", "2wd", "2026-04-07"),
        # Guangdong's 15 working days for a complaint across National Day.
        # Sep 29, 30, Oct 8, 9, 10 (Sat), 12–16, 19–23.
        ("2026-09-28T10:00", "15wd", "2026-10-23"),
        # An ordinary week.
        ("2026-03-02T10:00", "5wd", "2026-03-09"),
    ],
)
def test_working_day_deadlines(start: str, within: str, due: str) -> None:
    assert CN_2026.deadline(at(start), within) == end_of(due)


def test_deadline_uses_the_calendar_time_zone() -> None:
    # 17:00 UTC on Thursday Sep 24 is 01:00 on Friday Sep 25 in Beijing: the start day is Sep 25.
    deadline = CN_2026.deadline(datetime(2026, 9, 24, 17, tzinfo=UTC), "1wd")
    assert deadline == end_of("2026-09-28")
    assert deadline.tzinfo == SHANGHAI


def test_deadline_is_the_last_instant_on_time() -> None:
    deadline = CN_2026.deadline(at("2026-09-24T09:00"), "5wd")
    assert deadline.time() == time.max
    assert deadline + timedelta(microseconds=1) == datetime(2026, 10, 10, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("within", "due"),
    [("15m", "2026-09-24T10:15"), ("30m", "2026-09-24T10:30"), ("2h", "2026-09-24T12:00"), ("24h", "2026-09-25T10:00")],
)
def test_minute_and_hour_deadlines_are_elapsed_time(within: str, due: str) -> None:
    # Hours run through holidays: 24h from Thursday ends on Mid-Autumn Friday.
    assert CN_2026.deadline(at("2026-09-24T10:00"), within) == at(due)


def test_hours_are_elapsed_across_a_clock_change() -> None:
    new_york = WorkingCalendar(ZoneInfo("America/New_York"), frozenset({1, 2, 3, 4, 5}))
    start = datetime(2026, 3, 7, 12, tzinfo=ZoneInfo("America/New_York"))  # EST, the day before DST
    deadline = new_york.deadline(start, "24h")
    assert deadline.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=24)
    assert deadline.hour == 13  # EDT: the wall clock moved on an hour


def test_deadline_from_another_offset() -> None:
    start = datetime(2026, 9, 24, 1, 0, tzinfo=timezone(timedelta(hours=-5)))  # Sep 24 14:00 Beijing
    assert CN_2026.deadline(start, "30m") == at("2026-09-24T14:30")


def test_deadline_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        CN_2026.deadline(datetime(2026, 9, 24, 9), "5wd")
    with pytest.raises(ValueError, match="no UTC offset"):
        CN_2026.deadline(datetime(2026, 9, 24, 9), "5m")
    with pytest.raises(ValueError, match="bad duration"):
        CN_2026.deadline(at("2026-09-24T09:00"), "5d")
    for n in (0, -1):
        with pytest.raises(ValueError, match="positive integer"):
            CN_2026.add_working_days(at("2026-09-24T09:00"), n)


def test_deadline_accepts_a_parsed_duration() -> None:
    assert CN_2026.deadline(at("2026-09-24T09:00"), Duration(5, "wd")) == end_of("2026-10-09")


def test_far_deadline_overflows_loudly() -> None:
    with pytest.raises(OverflowError):
        CN_2026.add_working_days(datetime(9999, 12, 1, tzinfo=UTC), 99999)


@pytest.mark.parametrize(
    ("workdays", "holidays", "extra", "message"),
    [
        (frozenset(), frozenset(), frozenset(), "at least one"),
        (frozenset({0, 1}), frozenset(), frozenset(), "1..7"),
        (frozenset({1}), frozenset({date(2026, 1, 4)}), frozenset({date(2026, 1, 4)}), "both"),
    ],
)
def test_calendar_refuses_bad_construction(
    workdays: frozenset[int], holidays: frozenset[date], extra: frozenset[date], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        WorkingCalendar(SHANGHAI, workdays, holidays, extra)


# --- properties -----------------------------------------------------------------------------


def _reference(calendar: WorkingCalendar, start: datetime, n: int) -> date:
    """Count day by day, the obvious way."""
    day = start.astimezone(calendar.timezone).date()
    while n:
        day += timedelta(days=1)
        n -= calendar.is_workday(day)
    return day


starts = st.datetimes(
    min_value=datetime(2025, 6, 1), max_value=datetime(2027, 6, 1), timezones=st.sampled_from([SHANGHAI, UTC])
)
weekday_sets = st.frozensets(st.integers(1, 7), min_size=1)


@settings(max_examples=300)
@given(start=starts, n=st.integers(1, 300))
def test_wd_deadline_lands_on_a_workday_after_exactly_n_workdays(start: datetime, n: int) -> None:
    deadline = CN_2026.add_working_days(start, n)
    assert deadline.tzinfo == SHANGHAI and deadline.time() == time.max
    assert CN_2026.is_workday(deadline.date())
    assert deadline.date() == _reference(CN_2026, start, n)
    assert deadline > start


@settings(max_examples=200)
@given(start=starts, n=st.integers(1, 200))
def test_wd_deadline_is_strictly_monotonic_in_n(start: datetime, n: int) -> None:
    assert CN_2026.add_working_days(start, n) < CN_2026.add_working_days(start, n + 1)


@settings(max_examples=200)
@given(start=starts, a=st.integers(1, 10_000), b=st.integers(1, 10_000), unit=st.sampled_from(["m", "h", "wd"]))
def test_deadline_is_monotonic_in_amount(start: datetime, a: int, b: int, unit: str) -> None:
    low, high = sorted((a, b))
    assert CN_2026.deadline(start, f"{low}{unit}") <= CN_2026.deadline(start, f"{high}{unit}")


@settings(max_examples=200)
@given(start=starts, n=st.integers(1, 2000), workdays=weekday_sets)
def test_week_skipping_matches_day_by_day_counting(start: datetime, n: int, workdays: frozenset[int]) -> None:
    calendar = WorkingCalendar(SHANGHAI, workdays, CN_2026.holidays, CN_2026.extra_workdays)
    assert calendar.add_working_days(start, n).date() == _reference(calendar, start, n)
