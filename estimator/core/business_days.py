"""Business days: weekdays that are not US federal holidays, and the Good Faith Estimate's due date.

Federal holidays are computed by rule (5 U.S.C. 6103(a)), with the observed date OPM uses when a fixed-date
holiday falls on a weekend: a Saturday holiday is observed the Friday before, a Sunday holiday the Monday
after.  So New Year's Day 2028 (a Saturday) is observed on Friday 2027-12-31, a date of the previous year.
Inauguration Day (a holiday only around Washington, DC) is not included.

The Good Faith Estimate timing rule is 45 CFR 149.610(b)(1)(vi):

* primary service scheduled at least 10 business days ahead: due within 3 business days of scheduling;
* scheduled at least 3 business days ahead: due within 1 business day of scheduling;
* requested by the patient (nothing scheduled): due within 3 business days of the request;
* scheduled fewer than 3 business days ahead: the rule sets no deadline (no GFE is required).

"N business days ahead" means the service date is on or after the scheduling date plus N business days.
The regulation lets a convening provider define its own business days; Monday to Friday less federal
holidays is the conservative, common reading and the one used here.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
import functools
from dataclasses import dataclass
from typing import Final

from estimator.core.errors import InputError

JUNETEENTH_FIRST_YEAR: Final = 2021  # Juneteenth National Independence Day Act, Pub. L. 117-17
GFE_RULE: Final = "45 CFR 149.610(b)(1)(vi)"
_ONE_DAY: Final = dt.timedelta(days=1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The ``n``-th ``weekday`` (Monday = 0) of a month; ``n = -1`` for the last one."""
    if n == -1:
        last = dt.date(year, month, calendar.monthrange(year, month)[1])
        return last - dt.timedelta(days=(last.weekday() - weekday) % 7)
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def observed(day: dt.date) -> dt.date:
    """The OPM observed date of a fixed-date holiday: Saturday -> Friday before, Sunday -> Monday after."""
    if day.weekday() == 5:
        return day - _ONE_DAY
    if day.weekday() == 6:
        return day + _ONE_DAY
    return day


def _holidays_by_rule(year: int) -> list[tuple[dt.date, str]]:
    """The year's federal holidays as (observed date, name); an observed date may fall in another year."""
    fixed = [(1, 1, "New Year's Day"), (7, 4, "Independence Day"), (11, 11, "Veterans Day"),
             (12, 25, "Christmas Day")]
    if year >= JUNETEENTH_FIRST_YEAR:
        fixed.append((6, 19, "Juneteenth National Independence Day"))
    days = [(observed(dt.date(year, m, d)), name) for m, d, name in fixed]
    days += [
        (_nth_weekday(year, 1, 0, 3), "Birthday of Martin Luther King, Jr."),
        (_nth_weekday(year, 2, 0, 3), "Washington's Birthday"),
        (_nth_weekday(year, 5, 0, -1), "Memorial Day"),
        (_nth_weekday(year, 9, 0, 1), "Labor Day"),
        (_nth_weekday(year, 10, 0, 2), "Columbus Day"),
        (_nth_weekday(year, 11, 3, 4), "Thanksgiving Day"),
    ]
    return days


@functools.lru_cache(maxsize=256)
def federal_holidays(year: int) -> dict[dt.date, str]:
    """Every observed federal holiday whose observed date falls in ``year``, date -> name.

    Includes 31 December when the next New Year's Day falls on a Saturday.
    """
    found = [(d, n) for y in (year, year + 1) for d, n in _holidays_by_rule(y) if d.year == year]
    return dict(sorted(found))


def holiday_name(day: dt.date) -> str | None:
    """The federal holiday observed on ``day``, or ``None``."""
    return federal_holidays(day.year).get(day)


def is_business_day(day: dt.date) -> bool:
    """Monday to Friday and not an observed federal holiday."""
    return day.weekday() < 5 and day not in federal_holidays(day.year)


def add_business_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` business days after ``start`` (``start`` itself does not count).

    ``days = 0`` returns ``start`` unchanged.  For ``days >= 1`` the result is always a business day.

    Raises:
        InputError: ``days`` is negative.
    """
    if days < 0:
        raise InputError(f"business days to add cannot be negative, got {days}")
    day = start
    left = days
    while left:
        day += _ONE_DAY
        if is_business_day(day):
            left -= 1
    return day


def business_days_between(start: dt.date, end: dt.date) -> int:
    """How many business days fall after ``start`` and on or before ``end`` (0 when ``end <= start``)."""
    count = 0
    day = start
    while day < end:
        day += _ONE_DAY
        count += is_business_day(day)
    return count


class GfeTiming(enum.StrEnum):
    """Which branch of the Good Faith Estimate timing rule applies."""

    SCHEDULED_10 = "scheduled_10"  # scheduled at least 10 business days ahead: 3 business days
    SCHEDULED_3 = "scheduled_3"  # scheduled at least 3 business days ahead: 1 business day
    REQUESTED = "requested"  # requested, nothing scheduled: 3 business days
    NOT_REQUIRED = "not_required"  # scheduled fewer than 3 business days ahead


@dataclass(frozen=True, slots=True)
class GfeDue:
    """When a Good Faith Estimate must reach the patient, and why."""

    timing: GfeTiming
    start: dt.date  # the date of scheduling, or of the request
    service_date: dt.date | None  # None when requested without scheduling
    due: dt.date | None  # None when no GFE is required
    business_days_ahead: int | None  # business days from scheduling to the service

    @property
    def required(self) -> bool:
        return self.due is not None

    def explain(self) -> str:
        """The rule applied, in one English sentence (reports translate ``timing`` themselves)."""
        if self.timing is GfeTiming.NOT_REQUIRED:
            return (f"Scheduled {self.business_days_ahead} business day(s) before the service, fewer than 3: "
                    f"{GFE_RULE} sets no deadline, so no Good Faith Estimate is required "
                    "(one may still be given).")
        if self.timing is GfeTiming.REQUESTED:
            return (f"Requested on {self.start.isoformat()} without scheduling: due within 3 business days, "
                    f"by {self.due} ({GFE_RULE}(C)).")
        ten = self.timing is GfeTiming.SCHEDULED_10
        within, branch = ("3 business days", "B") if ten else ("1 business day", "A")
        return (f"Scheduled on {self.start.isoformat()}, {self.business_days_ahead} business days before the "
                f"service: due within {within} of scheduling, by {self.due} "
                f"({GFE_RULE}({branch})).")


def gfe_due(start: dt.date, service_date: dt.date | None) -> GfeDue:
    """The Good Faith Estimate's due date (45 CFR 149.610(b)(1)(vi)).

    Args:
        start: the date the primary service was scheduled, or (``service_date`` None) the date of the
            request.
        service_date: the date the primary service is scheduled for; ``None`` for a request without
            scheduling.

    Returns:
        The timing branch, the due date (None when no GFE is required) and the business days ahead.

    Raises:
        InputError: the service date is before the date of scheduling.
    """
    if service_date is None:
        return GfeDue(GfeTiming.REQUESTED, start, None, add_business_days(start, 3), None)
    if service_date < start:
        raise InputError(f"the service date {service_date.isoformat()} is before the date it was scheduled "
                         f"({start.isoformat()}); check --scheduled and --scheduled-on")
    ahead = business_days_between(start, service_date)
    if ahead >= 10:
        return GfeDue(GfeTiming.SCHEDULED_10, start, service_date, add_business_days(start, 3), ahead)
    if ahead >= 3:
        return GfeDue(GfeTiming.SCHEDULED_3, start, service_date, add_business_days(start, 1), ahead)
    return GfeDue(GfeTiming.NOT_REQUIRED, start, service_date, None, ahead)
