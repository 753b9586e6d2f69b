"""Lesion count -> 17000/17003/17004 lines (estimator.core.lesions, DOMAIN section 3), on in-memory tables."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given

from estimator.core.errors import InputError
from estimator.core.lesions import (
    MAX_17003_UNITS,
    MAX_LESIONS,
    lesion_lines,
    parse_lesion_count,
    price_lesions,
)
from estimator.core.schedule import CFVariant, Setting
from tests.strategies import LocalitySpec, RvuSpec, lesion_counts, make_tables, single_tier_counts

#: 2026 RVUs (PPRRVU2026_Jul_nonQPP.csv).
PREMALIGNANT_2026 = [
    RvuSpec("17000", work="0.59", pe_nonfacility="1.34", pe_facility="0.78", mp="0.06"),
    RvuSpec("17003", work="0.04", pe_nonfacility="0.15", pe_facility="0.01", mp="0.00"),
    RvuSpec("17004", work="1.34", pe_nonfacility="3.39", pe_facility="1.01", mp="0.13"),
]
MANHATTAN = LocalitySpec("1320201", work="1.064", pe="1.162", mp="1.586")
TABLES = make_tables(PREMALIGNANT_2026, [MANHATTAN]).tables
UNIT_LIMITS = {"17000": 1, "17003": MAX_17003_UNITS, "17004": 1}


@pytest.mark.parametrize(("count", "lines"), [
    (1, [("17000", 1)]),
    (2, [("17000", 1), ("17003", 1)]),
    (5, [("17000", 1), ("17003", 4)]),
    (14, [("17000", 1), ("17003", 13)]),
    (15, [("17004", 1)]),
    (16, [("17004", 1)]),
    (40, [("17004", 1)]),
    (MAX_LESIONS, [("17004", 1)]),
])
def test_a_lesion_count_is_billed_with_the_cpt_tier_it_falls_in(count, lines):
    assert lesion_lines(count) == lines


@pytest.mark.parametrize("count", [0, -1, -3, True, False, MAX_LESIONS + 1, 2.5, "3", None])
def test_a_count_that_is_not_a_whole_number_from_1_to_10000_is_refused(count):
    with pytest.raises(InputError, match="lesion count"):
        lesion_lines(count)


@pytest.mark.parametrize(("text", "count"), [("1", 1), (" 14 ", 14), ("15", 15), ("+3", 3), ("10000", 10000)])
def test_a_typed_lesion_count_is_parsed(text, count):
    assert parse_lesion_count(text) == count


@pytest.mark.parametrize("text", ["0", "-3", "abc", "2.5", "", " ", "1e3", "10001"])
def test_a_typed_lesion_count_that_is_not_a_whole_number_of_at_least_1_is_refused(text):
    with pytest.raises(InputError, match="lesion count"):
        parse_lesion_count(text)


@given(lesion_counts)
def test_units_never_exceed_the_daily_limits_and_17004_is_never_billed_with_17000_or_17003(count):
    lines = lesion_lines(count)
    codes = [code for code, _ in lines]
    assert len(codes) == len(set(codes))
    for code, units in lines:
        assert 1 <= units <= UNIT_LIMITS[code]
    if "17004" in codes:
        assert codes == ["17004"]
    if "17003" in codes:
        assert "17000" in codes  # the add-on is never billed alone
    assert sum(units for _, units in lines) == (count if count < 15 else 1)


@given(single_tier_counts)
def test_below_fifteen_each_more_lesion_pays_one_more_17003(count):
    fewer = price_lesions(TABLES, count - 1)
    more = price_lesions(TABLES, count)
    assert sum(ln.cents for ln in more) - sum(ln.cents for ln in fewer) == more[-1].unit_cents


@pytest.mark.parametrize(("setting", "fourteen", "fifteen"), [
    (Setting.NONFACILITY, "149.02", "162.33"),  # 66.47 + 13 x 6.35
    (Setting.FACILITY, "69.47", "82.83"),  # 47.76 + 13 x 1.67
])
def test_the_cliff_between_14_and_15_lesions_matches_the_domain_figures(setting, fourteen, fifteen):
    def total(count: int) -> Decimal:
        return Decimal(sum(ln.cents for ln in price_lesions(TABLES, count, setting=setting))) / 100

    assert total(14) == Decimal(fourteen)
    assert total(15) == total(40) == Decimal(fifteen)


def test_each_line_carries_its_unit_amount_and_units_times_unit_amount():
    lines = price_lesions(TABLES, 9, locality_key="1320201", setting=Setting.NONFACILITY,
                          cf_variant=CFVariant.QP)
    assert [(ln.code, ln.units) for ln in lines] == [("17000", 1), ("17003", 8)]
    for ln in lines:
        assert ln.cents == ln.units * ln.unit_cents
        assert ln.trace.locality_key == "1320201" and ln.trace.cf_variant is CFVariant.QP


def test_a_code_without_a_price_in_the_setting_is_reported_not_priced_at_zero():
    tables = make_tables([*PREMALIGNANT_2026[:2], RvuSpec("17004", work="1.34", status="N")]).tables
    with pytest.raises(InputError, match="17004 has no price"):
        price_lesions(tables, 20, setting=Setting.FACILITY)
