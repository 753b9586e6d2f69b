"""Exact money (estimator.core.money): scaled integers inside, Decimal at the edges, one half-up rounding."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from estimator.core.encounter import percent_of
from estimator.core.money import (
    CF_SCALE,
    GPCI_SCALE,
    RVU_SCALE,
    cents_to_decimal,
    decimal_to_cents,
    format_money,
    from_scaled,
    round_formula_to_cents,
    scale_cents,
    to_scaled,
)

#: One cent expressed in the units of RVU x GPCI x CF (1e-9 dollars).
ONE_CENT = RVU_SCALE * GPCI_SCALE * CF_SCALE // 100


@pytest.mark.parametrize(("text", "scale", "expected"), [
    ("0.59", RVU_SCALE, 59),
    ("1.000", GPCI_SCALE, 1000),
    ("33.4009", CF_SCALE, 334009),
    (" 0.949 ", GPCI_SCALE, 949),
    ("0", RVU_SCALE, 0),
    ("12", RVU_SCALE, 1200),
    (Decimal("0.10"), RVU_SCALE, 10),
])
def test_a_decimal_with_no_more_places_than_the_scale_becomes_an_exact_integer(text, scale, expected):
    assert to_scaled(text, scale) == expected


@pytest.mark.parametrize(("text", "words"), [
    ("0.591", "decimal places"),
    ("x.yz", "not a number"),
    ("", "not a number"),
    ("NaN", "finite"),
    ("Infinity", "finite"),
])
def test_text_that_would_lose_digits_or_is_not_a_number_is_refused(text, words):
    with pytest.raises(ValueError, match=words):
        to_scaled(text, RVU_SCALE)


@pytest.mark.parametrize(("value", "scale", "expected"), [
    (59, RVU_SCALE, "0.59"), (1000, GPCI_SCALE, "1.000"), (334009, CF_SCALE, "33.4009"),
    (0, RVU_SCALE, "0.00"),
])
def test_a_scaled_integer_reads_back_as_the_decimal_it_stands_for_with_its_places(value, scale, expected):
    assert str(from_scaled(value, scale)) == expected


@pytest.mark.parametrize(("amount", "cents"), [
    ("66.47", 6647), ("0.005", 1), ("0.0049", 0), ("1.005", 101), ("2.675", 268), ("0.015", 2), ("0.025", 3),
])
def test_a_dollar_amount_becomes_cents_rounding_half_up(amount, cents):
    assert decimal_to_cents(Decimal(amount)) == cents


@pytest.mark.parametrize(("cents", "text"), [(6647, "66.47"), (5, "0.05"), (0, "0.00"), (100, "1.00"),
                                             (1234567, "12345.67")])
def test_cents_are_formatted_as_a_two_decimal_string(cents, text):
    assert format_money(cents) == text
    assert cents_to_decimal(cents) == Decimal(text)


@pytest.mark.parametrize(("scaled", "cents"), [
    (ONE_CENT // 2, 1),  # exactly half a cent rounds up (banker's rounding would give 0)
    (ONE_CENT // 2 - 1, 0),
    (3 * ONE_CENT // 2, 2),  # 1.5 cents -> 2
    (5 * ONE_CENT // 2, 3),  # 2.5 cents -> 3 (banker's: 2)
    (0, 0),
    (ONE_CENT, 1),
])
def test_the_formula_result_rounds_to_cents_half_up_at_exactly_half_a_cent(scaled, cents):
    assert round_formula_to_cents(np.array([scaled], dtype=np.int64)).tolist() == [cents]


@pytest.mark.parametrize(("cents", "rate", "expected"), [
    (6647, "0.95", 6315), (6647, "1.0925", 7262), (30, "0.95", 29), (200, "1.0925", 219), (0, "0.95", 0),
])
def test_scaling_cents_by_a_rate_rounds_half_up(cents, rate, expected):
    assert int(scale_cents(cents, Decimal(rate))) == expected


# --- invariants -------------------------------------------------------------------------------------------

@given(st.integers(0, 10**12), st.sampled_from([RVU_SCALE, GPCI_SCALE, CF_SCALE]))
def test_scaling_round_trips_exactly(value, scale):
    assert to_scaled(from_scaled(value, scale), scale) == value
    assert to_scaled(str(from_scaled(value, scale)), scale) == value


@given(st.integers(0, 10**13))
def test_cents_round_trip_through_decimal(cents):
    assert decimal_to_cents(cents_to_decimal(cents)) == cents
    assert Decimal(format_money(cents)) * 100 == cents


@given(st.lists(st.integers(0, 2**53), min_size=1, max_size=50))
def test_rounding_the_formula_equals_decimal_half_up(values):
    expected = [int((Decimal(v) / ONE_CENT).quantize(Decimal(1), rounding=ROUND_HALF_UP)) for v in values]
    assert round_formula_to_cents(np.array(values, dtype=np.int64)).tolist() == expected


@given(st.lists(st.integers(0, 10**9), min_size=1, max_size=50),
       st.decimals(min_value=0, max_value=3, places=4, allow_nan=False, allow_infinity=False))
def test_scaling_cents_by_any_rate_equals_decimal_half_up(values, rate):
    expected = [int((Decimal(v) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP)) for v in values]
    assert scale_cents(np.array(values, dtype=np.int64), rate).tolist() == expected


@given(cents=st.integers(0, 10**12), rate=st.decimals(0, 10, places=4))
def test_a_single_amount_scales_as_an_array_of_it_does_and_as_decimal_half_up(cents: int, rate: Decimal) -> None:
    """The int fast path (a Python int back) and the numpy path agree with Decimal arithmetic, half-up."""
    single = scale_cents(cents, rate)
    assert type(single) is int
    expected = int((Decimal(cents) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert single == expected == int(scale_cents(np.array([cents], dtype=np.int64), rate)[0])
    assert percent_of(cents, 37) == int(scale_cents(cents, Decimal(37) / 100))
