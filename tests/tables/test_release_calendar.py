"""Dates past the newest tables: the release in force, the provisional flag and note, the provisional CF,
and ``tables status`` (issue 13).  Runs on the shipped tables only (no raw CMS files needed)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator import paths
from estimator.core.errors import DataFileError, InputError
from estimator.core.lesions import price_lesions
from estimator.core.schedule import Setting
from estimator.tables import provisional_cf as pcf
from estimator.tables.shipped import default_catalog
from estimator.tables.status import expected_next, reminder, tables_status

# RVU26C, 17000 (rvu_tables/2026/rvu.csv): work 0.59, non-facility PE 1.34, MP 0.06; national GPCIs 1.000.
RVU_17000_NONFAC = Decimal("0.59") + Decimal("1.34") + Decimal("0.06")


def amount(rvus: Decimal, cf: str) -> str:
    return str((rvus * Decimal(cf)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def test_a_date_after_the_newest_release_is_priced_with_it_and_flagged_provisional() -> None:
    catalog = default_catalog()
    release, in_force = catalog.in_force(2027, dt.date(2027, 1, 15))
    assert (release.release, in_force.year, in_force.for_year, in_force.provisional) == ("RVU26C", 2026, 2027, True)
    assert "2027 Medicare rates are not yet published" in in_force.note
    assert "'estimator tables import RVU27A.zip'" in in_force.note
    assert "Fee tables > Import CMS release" in in_force.note
    assert in_force.document_line == "estimated with 2026 Medicare rates; 2027 rates not yet published"
    tables = catalog.for_date(dt.date(2027, 1, 15))
    assert tables.release == "RVU26C" and tables.tables_in_force.provisional
    [line] = price_lesions(tables, 1, locality_key="national", setting=Setting.NONFACILITY)
    assert line.cents == 6647 and amount(RVU_17000_NONFAC, "33.4009") == "66.47"
    assert catalog.for_year(2031).tables_in_force.provisional  # never refused, however far


def test_a_published_year_is_not_provisional_and_an_earlier_one_is_refused() -> None:
    catalog = default_catalog()
    assert not catalog.for_date(dt.date(2026, 12, 31)).tables_in_force.provisional
    assert catalog.for_date(dt.date(2026, 12, 31)).tables_in_force.note.startswith("2026 Medicare rates (RVU26C")
    with pytest.raises(InputError, match="no fee-schedule tables for 2020"):
        catalog.for_date(dt.date(2020, 6, 1))


def test_a_provisional_cf_prices_the_next_year_until_it_is_removed() -> None:
    root = paths.user_tables_root()
    cf = pcf.parse_cf("33.5", Decimal("33.4009"))
    assert str(cf) == "33.5000"
    pcf.set_provisional_cf(root, 2027, cf, "  CY 2027 PFS final rule ", dt.date(2026, 11, 3))
    catalog = default_catalog()
    tables = catalog.for_date(dt.date(2027, 2, 1))
    [line] = price_lesions(tables, 1, locality_key="national", setting=Setting.NONFACILITY)
    assert line.cents == 6667 and amount(RVU_17000_NONFAC, "33.5000") == "66.67"  # 66.665 rounds half-up
    in_force = tables.tables_in_force
    assert in_force.provisional
    assert ("your provisional 2027 conversion factor 33.5000 (CY 2027 PFS final rule, entered 2026-11-03; "
            "qualifying APM participants keep the 2026 QP factor)") in in_force.note
    assert in_force.conversion_factor.startswith("33.5000 (provisional")
    # 2026 keeps its own CF.
    [line] = price_lesions(catalog.for_date(dt.date(2026, 12, 1)), 1, locality_key="national",
                           setting=Setting.NONFACILITY)
    assert line.cents == 6647
    assert pcf.clear_provisional_cf(root, 2027) is not None
    [line] = price_lesions(default_catalog().for_date(dt.date(2027, 2, 1)), 1, locality_key="national",
                           setting=Setting.NONFACILITY)
    assert line.cents == 6647
    assert pcf.clear_provisional_cf(root, 2027) is None


@pytest.mark.parametrize(("text", "message"), [
    ("abc", "is not a number"), ("nan", "is not a number"), ("Infinity", "is not a number"),
    ("33.50001", "more than 4 decimals"), ("45", "more than 10% away"), ("0", "more than 10% away"),
    ("-33.4", "more than 10% away"),
])
def test_a_malformed_or_implausible_cf_is_refused_in_one_line(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as error:
        pcf.parse_cf(text, Decimal("33.4009"))
    assert "\n" not in str(error.value)


def test_a_provisional_cf_needs_a_source_and_a_damaged_file_is_named() -> None:
    root = paths.user_tables_root()
    with pytest.raises(InputError, match="--source"):
        pcf.set_provisional_cf(root, 2027, Decimal("33.5"), "   ", dt.date(2026, 12, 1))
    assert not (root / pcf.FILE).exists()
    root.mkdir(parents=True)
    (root / pcf.FILE).write_text("{not json")
    with pytest.raises(DataFileError, match=r"provisional_cf\.json.*damaged"):
        default_catalog()


def test_status_lists_quarters_marks_next_year_provisional_and_says_what_is_due() -> None:
    catalog = default_catalog()
    status = tables_status(catalog, dt.date(2026, 12, 4))
    rows = {q.quarter: q for q in status.quarters}
    assert rows["2026 Q3"].release == "RVU26C" and not rows["2026 Q3"].provisional and rows["2026 Q3"].note == ""
    assert rows["2026 Q1"].note.startswith("stands in until 2026-07-01")
    assert all(rows[f"2027 Q{q}"].provisional and rows[f"2027 Q{q}"].release == "RVU26C" for q in range(1, 5))
    assert expected_next(catalog) == ("RVU26D", dt.date(2026, 9, 1), dt.date(2026, 10, 1))
    assert status.due_next.startswith("overdue: RVU26D (effective 2026-10-01) expected in September 2026")


@pytest.mark.parametrize(("today", "expected"), [
    (dt.date(2026, 11, 30), ""),
    (dt.date(2026, 12, 1), "Medicare's 2027 fee schedule (RVU27A) is due in December and not imported yet"),
    (dt.date(2027, 1, 2), "Medicare's 2027 fee schedule is not imported: 2027 estimates are provisional"),
])
def test_the_reminder_starts_on_1_december(today: dt.date, expected: str) -> None:
    text = reminder(default_catalog(), today)
    assert text.startswith(expected) if expected else text == ""
    if expected:
        assert "Fee tables > Import CMS release" in text and "\n" not in text


@settings(max_examples=25)
@given(day=st.dates(min_value=dt.date(2027, 1, 1), max_value=dt.date(2040, 12, 31)), lesions=st.integers(1, 40))
def test_any_date_after_the_newest_tables_prices_as_its_last_day_and_is_provisional(day: dt.date,
                                                                                    lesions: int) -> None:
    catalog = _CATALOG
    later, last = catalog.for_date(day), catalog.for_date(dt.date(2026, 12, 31))
    assert later.tables_in_force.provisional and later.tables_in_force.for_year == day.year
    assert not last.tables_in_force.provisional
    assert [ln.cents for ln in price_lesions(later, lesions, locality_key="1320201", setting=Setting.NONFACILITY)] \
        == [ln.cents for ln in price_lesions(last, lesions, locality_key="1320201", setting=Setting.NONFACILITY)]


_CATALOG = default_catalog()  # shipped tables only: no user folder is read at import time
