"""Business days: federal holidays by rule with OPM observed dates, and the Good Faith Estimate due date."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estimator.core.business_days import (
    GfeTiming,
    add_business_days,
    business_days_between,
    federal_holidays,
    gfe_due,
    holiday_name,
    is_business_day,
    observed,
)
from estimator.core.errors import InputError

D = dt.date.fromisoformat

HOLIDAYS_2026 = [
    ("2026-01-01", "New Year's Day"),
    ("2026-01-19", "Birthday of Martin Luther King, Jr."),
    ("2026-02-16", "Washington's Birthday"),
    ("2026-05-25", "Memorial Day"),
    ("2026-06-19", "Juneteenth National Independence Day"),
    ("2026-07-03", "Independence Day"),  # July 4 is a Saturday: observed Friday
    ("2026-09-07", "Labor Day"),
    ("2026-10-12", "Columbus Day"),
    ("2026-11-11", "Veterans Day"),
    ("2026-11-26", "Thanksgiving Day"),
    ("2026-12-25", "Christmas Day"),
]


def test_the_2026_federal_holidays_are_the_eleven_observed_dates():
    assert federal_holidays(2026) == {D(d): name for d, name in HOLIDAYS_2026}


@pytest.mark.parametrize(("day", "expected"), [
    ("2026-07-04", "2026-07-03"),  # Saturday -> Friday before
    ("2027-07-04", "2027-07-05"),  # Sunday -> Monday after
    ("2027-12-25", "2027-12-24"),  # Christmas 2027 is a Saturday
    ("2028-01-01", "2027-12-31"),  # New Year's Day 2028 is a Saturday: observed in the previous year
    ("2026-11-11", "2026-11-11"),  # a Wednesday stays put
])
def test_a_weekend_holiday_is_observed_on_the_nearest_weekday(day, expected):
    assert observed(D(day)) == D(expected)


@pytest.mark.parametrize(("day", "name"), [
    ("2027-12-24", "Christmas Day"),
    ("2027-12-31", "New Year's Day"),
    ("2027-07-05", "Independence Day"),
    ("2027-11-25", "Thanksgiving Day"),
    ("2028-01-17", "Birthday of Martin Luther King, Jr."),
    ("2025-05-26", "Memorial Day"),
])
def test_observed_holidays_are_found_in_the_year_they_fall_in(day, name):
    assert holiday_name(D(day)) == name
    assert not is_business_day(D(day))


def test_new_years_day_2028_is_not_listed_twice_and_its_saturday_is_no_holiday():
    assert D("2028-01-01") not in federal_holidays(2028)
    assert D("2027-12-31") in federal_holidays(2027)
    assert len(federal_holidays(2027)) == 12  # the eleven of 2027 plus the observed New Year's Day 2028
    assert len(federal_holidays(2028)) == 10


def test_juneteenth_is_a_holiday_only_from_2021():
    assert holiday_name(D("2021-06-18")) == "Juneteenth National Independence Day"  # June 19, 2021 a Saturday
    assert holiday_name(D("2020-06-19")) is None


@pytest.mark.parametrize(("start", "days", "expected"), [
    ("2026-07-02", 1, "2026-07-06"),  # Thursday + 1 skips the observed Independence Day and the weekend
    ("2026-11-25", 1, "2026-11-27"),  # Thanksgiving 2026-11-26 skipped
    ("2026-11-25", 3, "2026-12-01"),
    ("2027-12-23", 1, "2027-12-27"),  # Christmas observed Friday 12-24
    ("2027-12-30", 1, "2028-01-03"),  # New Year's Day 2028 observed Friday 2027-12-31
    ("2026-11-28", 1, "2026-11-30"),  # from a Saturday: Monday is the first business day
    ("2026-11-30", 3, "2026-12-03"),
    ("2026-11-30", 0, "2026-11-30"),
])
def test_adding_business_days_skips_weekends_and_federal_holidays(start, days, expected):
    assert add_business_days(D(start), days) == D(expected)


def test_adding_negative_business_days_is_refused():
    with pytest.raises(InputError, match="negative"):
        add_business_days(D("2026-01-05"), -1)


@pytest.mark.parametrize(("scheduled_on", "service", "timing", "due"), [
    # 11 business days ahead (the acceptance check's dates): 3 business days
    ("2026-11-30", "2026-12-15", GfeTiming.SCHEDULED_10, "2026-12-03"),
    # exactly 10 business days ahead
    ("2026-12-01", "2026-12-15", GfeTiming.SCHEDULED_10, "2026-12-04"),
    # 9 business days ahead: 1 business day
    ("2026-12-02", "2026-12-15", GfeTiming.SCHEDULED_3, "2026-12-03"),
    # exactly 3 business days ahead, across the observed Independence Day: Thu -> Wed
    ("2026-07-02", "2026-07-08", GfeTiming.SCHEDULED_3, "2026-07-06"),
    # 2 business days ahead: no GFE required
    ("2026-07-02", "2026-07-07", GfeTiming.NOT_REQUIRED, None),
    # same day
    ("2026-12-15", "2026-12-15", GfeTiming.NOT_REQUIRED, None),
    # across Thanksgiving: Wed 11-25 -> Tue 12-01 is only 3 business days (Fri 27, Mon 30, Tue 1)
    ("2026-11-25", "2026-12-01", GfeTiming.SCHEDULED_3, "2026-11-27"),
    # across Christmas (observed 12-24) and New Year's Day 2028 (observed 2027-12-31): from Friday 12-17,
    # Monday 2028-01-03 is only 9 business days ahead and Tuesday 01-04 is 10
    ("2027-12-17", "2028-01-03", GfeTiming.SCHEDULED_3, "2027-12-20"),
    ("2027-12-17", "2028-01-04", GfeTiming.SCHEDULED_10, "2027-12-22"),
])
def test_the_gfe_due_date_follows_45_cfr_149_610(scheduled_on, service, timing, due):
    result = gfe_due(D(scheduled_on), D(service))
    assert result.timing is timing
    assert result.due == (D(due) if due else None)
    assert result.required is (due is not None)
    assert "149.610" in result.explain()


def test_a_requested_gfe_is_due_within_3_business_days_of_the_request():
    result = gfe_due(D("2026-12-23"), None)
    assert result.timing is GfeTiming.REQUESTED
    assert result.due == D("2026-12-29")  # Thu 24, (Fri 25 Christmas), Mon 28, Tue 29


def test_a_service_before_its_scheduling_date_is_refused():
    with pytest.raises(InputError, match="before the date it was scheduled"):
        gfe_due(D("2026-12-15"), D("2026-12-01"))


def test_fewer_than_three_business_days_ahead_says_no_gfe_is_required():
    assert "no Good Faith Estimate is required" in gfe_due(D("2026-07-02"), D("2026-07-07")).explain()


days_2020s = st.dates(min_value=dt.date(2021, 1, 1), max_value=dt.date(2035, 12, 31))


@given(days_2020s, st.integers(min_value=1, max_value=40))
def test_adding_business_days_never_lands_on_a_weekend_or_holiday(start, n):
    result = add_business_days(start, n)
    assert result.weekday() < 5
    assert holiday_name(result) is None
    assert business_days_between(start, result) == n


@given(days_2020s, st.integers(min_value=0, max_value=30), st.integers(min_value=0, max_value=30))
def test_adding_more_business_days_never_gives_an_earlier_date(start, a, b):
    low, high = sorted((a, b))
    assert add_business_days(start, low) <= add_business_days(start, high)
    if low < high:
        assert add_business_days(start, low) < add_business_days(start, high)


@given(days_2020s, st.integers(min_value=0, max_value=60))
def test_the_gfe_deadline_is_never_later_than_three_business_days_after_scheduling(start, ahead):
    result = gfe_due(start, start + dt.timedelta(days=ahead))
    if result.due is not None:
        assert start < result.due <= add_business_days(start, 3)
        assert is_business_day(result.due)
