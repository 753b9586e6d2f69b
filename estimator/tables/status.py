"""``tables status``: which release prices each quarter, what is provisional, which release is due next.

CMS publishes a quarterly release about a month before it takes effect (RVUyyA in December for January,
B in March, C in June, D in September).  ``today`` is always passed in, so the December reminder can be
tested on any day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from estimator.core.errors import InputError
from estimator.tables.cms_files import MONTH_LETTER, MONTH_NUMBER
from estimator.tables.shipped import TableCatalog

LETTER_MONTH: Final = {letter: MONTH_NUMBER[month] for month, letter in MONTH_LETTER.items()}
MONTH_NAMES: Final = {1: "January", 4: "April", 7: "July", 10: "October", 12: "December", 3: "March",
                      6: "June", 9: "September"}
#: From this day of December, a missing next-year release is worth a reminder.
REMINDER_FROM: Final = (12, 1)


@dataclass(frozen=True, slots=True)
class QuarterRow:
    """The release that prices dates of service from ``starts``."""

    quarter: str  # "2027 Q1"
    starts: dt.date
    release: str
    origin: str
    provisional: bool
    conversion_factor: str
    note: str


@dataclass(frozen=True, slots=True)
class TablesStatus:
    today: dt.date
    quarters: tuple[QuarterRow, ...]
    due_next: str
    reminder: str  # '' unless next year's (or this year's) tables are missing when they are due
    ptp: tuple[str, ...] = ()  # one line per year: the NCCI PTP edits imported, or that none are

    def as_dict(self) -> dict[str, Any]:
        return {"today": self.today.isoformat(), "due_next": self.due_next, "reminder": self.reminder,
                "ptp": list(self.ptp),
                "quarters": [{"quarter": q.quarter, "starts": q.starts.isoformat(), "release": q.release,
                              "origin": q.origin, "provisional": q.provisional,
                              "conversion_factor": q.conversion_factor, "note": q.note} for q in self.quarters]}


def _release_name(year: int, month: int) -> str:
    letter = {v: k for k, v in LETTER_MONTH.items()}[month]
    return f"RVU{year % 100:02d}{letter}"


def expected_next(catalog: TableCatalog) -> tuple[str, dt.date, dt.date]:
    """The release CMS publishes after the newest one here: its name, when it is expected (the first of
    the month before it takes effect) and when it takes effect."""
    newest = catalog.newest()
    month = newest.effective.month
    following = [m for m in sorted(LETTER_MONTH.values()) if m > month]
    year, month = (newest.year, following[0]) if following else (newest.year + 1, 1)
    effective = dt.date(year, month, 1)
    expected = dt.date(year - 1, 12, 1) if month == 1 else dt.date(year, month - 1, 1)
    return _release_name(year, month), expected, effective


def reminder(catalog: TableCatalog, today: dt.date) -> str:
    """One line from 1 December when next year's tables are missing (or this year's, after 1 January)."""
    years = catalog.years()
    how = "import it in Fee tables > Import CMS release or with 'estimator tables import RVU{yy}A.zip'"
    if today.year not in years:
        return (f"Medicare's {today.year} fee schedule is not imported: {today.year} estimates are provisional; "
                + how.format(yy=f"{today.year % 100:02d}") + ".")
    if (today.month, today.day) >= REMINDER_FROM and today.year + 1 not in years:
        nxt = today.year + 1
        return (f"Medicare's {nxt} fee schedule (RVU{nxt % 100:02d}A) is due in December and not imported yet; "
                + how.format(yy=f"{nxt % 100:02d}") + ".")
    return ""


def tables_status(catalog: TableCatalog, today: dt.date) -> TablesStatus:
    """Releases in force by quarter from the oldest year here to next year, the next release due, the
    reminder."""
    rows = []
    for year in range(catalog.years()[0], max(catalog.years()[-1], today.year) + 2):
        for q, month in enumerate(sorted(LETTER_MONTH.values()), start=1):
            starts = dt.date(year, month, 1)
            try:
                release, in_force = catalog.in_force(year, starts)
            except InputError:  # a gap year simply has no row
                continue
            if in_force.provisional:
                note = f"provisional: {year} not published yet"
            elif release.effective > starts:
                note = f"stands in until {release.effective.isoformat()} (earliest {year} release here)"
            else:
                note = ""
            rows.append(QuarterRow(f"{year} Q{q}", starts, release.release, release.origin, in_force.provisional,
                                   in_force.conversion_factor, note))
    name, expected, effective = expected_next(catalog)
    when = f"{MONTH_NAMES[expected.month]} {expected.year}"
    state = "overdue: " if effective <= today else ""
    due = (f"{state}{name} (effective {effective.isoformat()}) expected in {when}; "
           f"import it with 'estimator tables import {name}.zip' or Fee tables > Import CMS release")
    return TablesStatus(today, tuple(rows), due, reminder(catalog, today), ptp_status(catalog, today))


def ptp_status(catalog: TableCatalog, today: dt.date) -> tuple[str, ...]:
    """One line per year with tables (and this year): the NCCI PTP pair edits imported for its dates of
    service, or that only the explicit pair rules apply."""
    imported = catalog.ptp_years()
    lines = []
    for year in sorted(set(catalog.years()) | set(imported) | {today.year}):
        m = imported.get(year)
        if m is None:
            lines.append(f"{year}: not imported (only the explicit pair rules apply); import CMS's practitioner PTP "
                         f"file with 'estimator tables import-ptp FILE --year {year}'")
            continue
        by = m.get("by_indicator", {})
        files = ", ".join(Path(str(f.get("file", ""))).name for f in m.get("sources", []))
        lines.append(f"{year}: {int(m.get('edits', 0)):,} edits in force (modifier indicator 0: "
                     f"{int(by.get('0', 0)):,}, 1: {int(by.get('1', 0)):,}, 9: {int(by.get('9', 0)):,}), imported "
                     f"{m.get('imported', '?')} from {files}")
    return tuple(lines)
