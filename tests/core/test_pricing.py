"""The fee-schedule formula (estimator.core.pricing) on small in-memory tables: no files are read here.

The RVUs and GPCIs below are copied from the 2026 and 2025 CMS files (PPRRVU2026_Jul_nonQPP.csv, GPCI2026.csv,
PPRRVU2025_Oct.csv); tests/tables/ checks the same amounts against the shipped tables themselves.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from estimator.core.errors import InputError, UnknownCodeError, UnknownLocalityError
from estimator.core.pricing import (
    fee_schedule_cents,
    national_gpcis,
    price_all_localities,
    price_grid,
    price_unit,
    priced_mask,
    unpriced_reason,
)
from estimator.core.schedule import NATIONAL_KEY, PAYABLE_STATUSES, CFVariant, Setting
from tests.strategies import (
    LocalitySpec,
    RvuSpec,
    Synthetic,
    cf_values,
    make_tables,
    price_requests,
    synthetic_tables,
)

NF, F = Setting.NONFACILITY, Setting.FACILITY
CENT = Decimal("0.01")

RVU_2026 = [
    RvuSpec("17000", work="0.59", pe_nonfacility="1.34", pe_facility="0.78", mp="0.06"),
    RvuSpec("17003", work="0.04", pe_nonfacility="0.15", pe_facility="0.01", mp="0.00"),
    RvuSpec("17004", work="1.34", pe_nonfacility="3.39", pe_facility="1.01", mp="0.13"),
    RvuSpec("99203", work="1.60", pe_nonfacility="1.76", pe_facility="0.38", mp="0.16"),
    RvuSpec("88305", work="0.73", pe_nonfacility="1.35", pe_facility="1.35", mp="0.02", facility_na=True),
    RvuSpec("88305", modifier="26", work="0.73", pe_nonfacility="0.31", pe_facility="0.31", mp="0.01"),
    RvuSpec("0075T", status="C", facility_na=True),
    RvuSpec("J0120", status="E"),
    RvuSpec("0001F", status="I"),
    RvuSpec("99999", status="Q"),  # a status CMS does not define: still no amount, with a generic reason
]
REST_OF_TEXAS = LocalitySpec("0441299", work="1.000", work_unfloored="0.991", pe="0.949", mp="0.903",
                             state="TX", name="REST OF TEXAS")
MANHATTAN = LocalitySpec("1320201", work="1.064", pe="1.162", mp="1.586", state="NY", name="MANHATTAN")
RVU_2025 = [RvuSpec("17000", work="0.61", pe_nonfacility="1.39", pe_facility="1.00", mp="0.05")]


@pytest.fixture(scope="module")
def t2026() -> Synthetic:
    return make_tables(RVU_2026, [REST_OF_TEXAS, MANHATTAN])


@pytest.fixture(scope="module")
def t2025() -> Synthetic:
    return make_tables(RVU_2025, [], cf_nonqp="32.3465", cf_qp="32.3465", year=2025)


def reference(s: Synthetic, row: int, key: str, setting: Setting, variant: CFVariant, floor: bool) -> Decimal:
    """The CMS formula written out in Decimal, independently of the scaled-integer core."""
    w, pe, mp = s.rows[row].rvus(setting)
    gw, gpe, gmp = s.locality(key).gpcis(floor)
    return ((w * gw + pe * gpe + mp * gmp) * s.cf[variant]).quantize(CENT, rounding=ROUND_HALF_UP)


def cents(amount: Decimal) -> int:
    return int(amount * 100)


# --- published check values (DOMAIN section 1) ------------------------------------------------------------

CHECK_VALUES_2026 = [
    # (code, locality, setting, cf variant, work GPCI floor, expected)
    ("17000", NATIONAL_KEY, NF, CFVariant.NONQP, True, "66.47"),
    ("17000", NATIONAL_KEY, F, CFVariant.NONQP, True, "47.76"),
    ("17003", NATIONAL_KEY, NF, CFVariant.NONQP, True, "6.35"),
    ("17003", NATIONAL_KEY, F, CFVariant.NONQP, True, "1.67"),
    ("17004", NATIONAL_KEY, NF, CFVariant.NONQP, True, "162.33"),
    ("17004", NATIONAL_KEY, F, CFVariant.NONQP, True, "82.83"),
    ("99203", "0441299", NF, CFVariant.NONQP, True, "114.05"),
    ("99203", "0441299", NF, CFVariant.NONQP, False, "113.57"),
    ("17000", NATIONAL_KEY, NF, CFVariant.QP, True, "66.80"),
]


@pytest.mark.parametrize(("code", "key", "setting", "variant", "floor", "expected"), CHECK_VALUES_2026,
                         ids=lambda v: str(getattr(v, "value", v)))
def test_a_2026_check_value_is_priced_to_the_published_cent(t2026, code, key, setting, variant, floor,
                                                            expected):
    unit = price_unit(t2026.tables, code, locality_key=key, setting=setting, cf_variant=variant, floor=floor)
    assert unit.cents == cents(Decimal(expected))
    assert unit.reason is None
    assert unit.trace.rounded_cents == unit.cents


@pytest.mark.parametrize(("setting", "expected"), [(NF, "66.31"), (F, "53.70")])
def test_17000_nationally_in_2025_is_priced_with_the_2025_rvus_and_conversion_factor(t2025, setting,
                                                                                     expected):
    assert price_unit(t2025.tables, "17000", setting=setting).cents == cents(Decimal(expected))


def test_rounding_each_component_first_would_give_113_90_but_the_core_rounds_once_to_114_05(t2026):
    row = RVU_2026[3]
    components = [Decimal(r) * g for r, g in zip(row.rvus(NF), REST_OF_TEXAS.gpcis(True), strict=True)]
    rounded_first = sum(c.quantize(CENT, rounding=ROUND_HALF_UP) for c in components) * Decimal("33.4009")
    assert rounded_first.quantize(CENT, rounding=ROUND_HALF_UP) == Decimal("113.90")
    unit = price_unit(t2026.tables, "99203", locality_key="0441299", setting=NF)
    assert unit.cents == 11405
    assert unit.trace.unrounded == Decimal("3.41472") * Decimal("33.4009")  # (1.60 + 1.67024 + 0.14448) x CF


@pytest.mark.parametrize(("code", "par", "nonpar", "limiting"), [
    ("17000", "66.47", "63.15", "72.62"),  # 63.1465 and 72.618475
    ("17004", "162.33", "154.21", "177.35"),  # 154.2135 and 177.345525
])
def test_nonpar_is_95_percent_and_the_limiting_charge_1_0925_times_par_rounded_half_up(
        t2026, code, par, nonpar, limiting):
    unit = price_unit(t2026.tables, code)
    assert (unit.cents, unit.nonpar_cents, unit.limiting_charge_cents) == tuple(
        cents(Decimal(v)) for v in (par, nonpar, limiting))
    # The limiting charge is taken from par, not from the already-rounded non-par amount.
    from_par = (Decimal(par) * Decimal("1.0925")).quantize(CENT, ROUND_HALF_UP)
    assert unit.limiting_charge_cents == cents(from_par)


# --- rounding at exactly half a cent ----------------------------------------------------------------------

HALF_CENT_CASES = [
    # (work RVU, CF, expected): the unrounded amount is W x CF with every GPCI 1.000
    ("0.01", "0.5000", "0.01"),  # 0.005 exactly: half-up, where banker's rounding would give 0.00
    ("0.01", "2.5000", "0.03"),  # 0.025: banker's would give 0.02
    ("0.01", "100.5000", "1.01"),  # 1.005: binary floats hold 1.00499999..., and round(1.005, 2) == 1.0
    ("0.01", "100.4999", "1.00"),  # just under half a cent rounds down
    ("1.00", "33.4050", "33.41"),
    ("1.00", "33.4049", "33.40"),
]


@pytest.mark.parametrize(("work", "cf", "expected"), HALF_CENT_CASES)
def test_an_amount_of_exactly_half_a_cent_rounds_up_and_just_below_rounds_down(work, cf, expected):
    s = make_tables([RvuSpec("10000", work=work)], cf_nonqp=cf, cf_qp=cf)
    assert price_unit(s.tables, "10000").cents == cents(Decimal(expected))


@pytest.mark.parametrize(("par_cents", "nonpar_cents", "limiting_cents"), [
    (30, 29, 33),  # 28.5 -> 29 and 32.775 -> 33
    (10, 10, 11),  # 9.5 -> 10 and 10.925 -> 11
    (200, 190, 219),  # 218.5 -> 219 (banker's would give 218)
    (0, 0, 0),
])
def test_nonpar_and_limiting_charge_round_half_up_at_exactly_half_a_cent(par_cents, nonpar_cents,
                                                                         limiting_cents):
    cf = f"{Decimal(par_cents) / 100:.4f}"
    s = make_tables([RvuSpec("10000", work="1.00")], cf_nonqp=cf, cf_qp=cf)
    unit = price_unit(s.tables, "10000")
    assert unit.cents == par_cents
    assert (unit.nonpar_cents, unit.limiting_charge_cents) == (nonpar_cents, limiting_cents)


# --- rows without a price ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "modifier", "setting", "words"), [
    ("0075T", "", NF, "carrier priced"),
    ("J0120", "", NF, "excluded"),
    ("0001F", "", F, "not valid for Medicare"),
    ("99999", "", NF, "status Q"),
])
def test_a_row_without_a_price_gets_a_reason_and_no_amount(t2026, code, modifier, setting, words):
    unit = price_unit(t2026.tables, code, modifier, setting=setting)
    assert unit.cents is None and unit.nonpar_cents is None and unit.limiting_charge_cents is None
    assert unit.reason is not None and words in unit.reason
    schedule = t2026.tables.schedule
    assert unpriced_reason(schedule, schedule.row(code, modifier), setting) == unit.reason


def test_a_setting_cms_marks_na_is_priced_with_the_other_settings_amount_and_flagged(t2026):
    """88305 facility PE is NA: CMS's payment file repeats the non-facility amount there (PFREV26B)."""
    office = price_unit(t2026.tables, "88305", setting=NF)
    facility = price_unit(t2026.tables, "88305", setting=F)
    assert facility.cents == office.cents and facility.reason is None
    assert facility.na_setting and not office.na_setting


def test_a_facility_only_na_still_prices_the_office_setting_and_the_modifier_row_has_its_own_rvus(t2026):
    global_row = price_unit(t2026.tables, "88305", setting=NF)
    professional = price_unit(t2026.tables, "88305", "26", setting=F)
    assert global_row.reason is None
    assert global_row.cents == cents(Decimal("70.14"))  # 2.10 x 33.4009 = 70.14189
    assert professional.cents == cents(Decimal("35.07"))  # 1.05 x 33.4009 = 35.070945


def test_an_unknown_code_or_locality_is_refused_by_name(t2026):
    with pytest.raises(UnknownCodeError, match="'1700X'"):
        price_unit(t2026.tables, "1700X")
    with pytest.raises(UnknownLocalityError, match="9999999"):
        price_unit(t2026.tables, "17000", locality_key="9999999")
    with pytest.raises(UnknownLocalityError):
        price_grid(t2026.tables, np.array([0]), ["9999999"], [NF])


def test_an_empty_request_gives_an_empty_grid(t2026):
    grid = price_grid(t2026.tables, np.array([], dtype=np.int64), [], [NF, F])
    assert grid.cents.shape == (0, 0, 2)


def test_price_all_localities_is_price_grid_over_every_key(t2026):
    rows = np.arange(len(t2026.rows))
    every = price_all_localities(t2026.tables, rows, list(Setting), CFVariant.QP, floor=False)
    same = price_grid(t2026.tables, rows, ["0441299", "1320201"], list(Setting), CFVariant.QP, floor=False)
    assert every.locality_keys == ["0441299", "1320201"]
    np.testing.assert_array_equal(every.cents, same.cents)
    np.testing.assert_array_equal(every.limiting_charge_cents, same.limiting_charge_cents)


# --- invariants (Hypothesis) ------------------------------------------------------------------------------

@given(st.data())
def test_the_vectorized_grid_equals_a_decimal_loop_cell_by_cell(data):
    s = data.draw(synthetic_tables())
    request = data.draw(price_requests(s.tables, payable_only=False))
    grid = price_grid(s.tables, np.array(request.rows), request.keys, request.settings, request.cf_variant,
                      floor=request.floor)
    assert grid.cents.shape == (len(request.rows), len(request.keys), len(request.settings))
    for r_i, row in enumerate(request.rows):
        spec = s.rows[row]
        for s_i, setting in enumerate(request.settings):
            na = spec.facility_na if setting is F else spec.nonfacility_na
            assert grid.priced[r_i, s_i] == (spec.status in PAYABLE_STATUSES and not spec.contractor_priced)
            assert grid.na[r_i, s_i] == na
            for l_i, key in enumerate(request.keys):
                par = reference(s, row, key, setting, request.cf_variant, request.floor)
                assert grid.cents[r_i, l_i, s_i] == cents(par)
                nonpar = (par * Decimal("0.95")).quantize(CENT, ROUND_HALF_UP)
                limiting = (par * Decimal("1.0925")).quantize(CENT, ROUND_HALF_UP)
                assert grid.nonpar_cents[r_i, l_i, s_i] == cents(nonpar)
                assert grid.limiting_charge_cents[r_i, l_i, s_i] == cents(limiting)


@given(st.data())
def test_fee_schedule_cents_for_all_rows_at_once_equals_pricing_each_row_alone(data):
    s = data.draw(synthetic_tables())
    schedule = s.tables.schedule
    gpcis = np.concatenate([national_gpcis(), s.tables.localities.gpcis()])
    cf = int(data.draw(cf_values).replace(".", ""))
    rows = np.arange(len(schedule))
    together = fee_schedule_cents(schedule, rows, gpcis, [F, NF], cf)
    for row in rows.tolist():
        alone = fee_schedule_cents(schedule, np.array([row]), gpcis, [F, NF], cf)
        np.testing.assert_array_equal(together[row], alone[0])


@given(st.data())
def test_payment_is_never_negative_and_non_par_never_exceeds_par(data):
    s = data.draw(synthetic_tables())
    grid = price_all_localities(s.tables, np.arange(len(s.rows)), list(Setting), data.draw(st.sampled_from(
        list(CFVariant))), floor=data.draw(st.booleans()))
    assert (grid.cents >= 0).all()
    assert (grid.nonpar_cents <= grid.cents).all()
    assert (grid.limiting_charge_cents >= grid.cents).all()


@given(st.data())
def test_a_larger_conversion_factor_never_pays_less_and_amounts_are_additive_in_it_to_a_cent(data):
    s = data.draw(synthetic_tables())
    schedule = s.tables.schedule
    low, high = sorted(int(data.draw(cf_values).replace(".", "")) for _ in range(2))
    gpcis = s.tables.localities.gpcis() if len(s.localities) else national_gpcis()
    rows = np.arange(len(schedule))
    at_low = fee_schedule_cents(schedule, rows, gpcis, list(Setting), low)
    at_high = fee_schedule_cents(schedule, rows, gpcis, list(Setting), high)
    at_sum = fee_schedule_cents(schedule, rows, gpcis, list(Setting), low + high)
    assert (at_low <= at_high).all()
    assert (np.abs(at_sum - (at_low + at_high)) <= 1).all()  # two half-cent roundings at most


@given(st.data())
def test_the_qp_amount_is_never_below_the_non_qp_amount(data):
    s = data.draw(synthetic_tables())  # the strategy draws cf_qp >= cf_nonqp, as in 2026
    rows = np.arange(len(s.rows))
    keys = [NATIONAL_KEY, *(spec.key for spec in s.localities)]
    qp = price_grid(s.tables, rows, keys, list(Setting), CFVariant.QP)
    nonqp = price_grid(s.tables, rows, keys, list(Setting), CFVariant.NONQP)
    assert (qp.cents >= nonqp.cents).all()


@given(st.data())
def test_an_unpriced_row_has_a_reason_and_a_priced_row_has_none(data):
    s = data.draw(synthetic_tables())
    schedule = s.tables.schedule
    mask = priced_mask(schedule, np.arange(len(schedule)), list(Setting))
    for row, spec in enumerate(s.rows):
        for s_i, setting in enumerate(Setting):
            reason = unpriced_reason(schedule, row, setting)
            assert (reason is None) == bool(mask[row, s_i])
            if spec.status not in PAYABLE_STATUSES:
                assert reason is not None and "status" in reason
            unit = price_unit(s.tables, spec.code, setting=setting)
            assert (unit.cents is None) == (reason is not None)


#: GPCI thousandths drawn from small pools, so localities often share one, two or all three GPCIs - the cases
#: where fee_schedule_cents reuses a work or PE term, or copies a whole locality priced before.
gpci_rows = st.lists(st.tuples(st.sampled_from([1000, 1064, 991]), st.sampled_from([949, 1000, 1162]),
                               st.sampled_from([903, 1586])), min_size=1, max_size=8)


@given(st.data())
def test_localities_sharing_gpcis_are_priced_as_if_each_were_priced_alone_with_python_integers(data):
    s = data.draw(synthetic_tables())
    schedule = s.tables.schedule
    gpcis = np.array(data.draw(gpci_rows), dtype=np.int64)
    cf = int(data.draw(cf_values).replace(".", ""))
    rows = np.arange(len(schedule))
    together = fee_schedule_cents(schedule, rows, gpcis, [NF, F], cf)
    for l_i, (g_work, g_pe, g_mp) in enumerate(gpcis.tolist()):
        alone = fee_schedule_cents(schedule, rows, gpcis[l_i:l_i + 1], [NF, F], cf)
        np.testing.assert_array_equal(together[:, l_i, :], alone[:, 0, :])
        for row in rows.tolist():
            for s_i, setting in enumerate([NF, F]):
                priced_as = (F if setting is NF else NF) if schedule.na(setting)[row] else setting  # NA: other's PE
                scaled = (int(schedule.work[row]) * g_work + int(schedule.pe(priced_as)[row]) * g_pe
                          + int(schedule.mp[row]) * g_mp) * cf
                assert together[row, l_i, s_i] == (scaled + 5_000_000) // 10_000_000  # 1e-7 cents, half-up


def test_a_negative_rvu_or_gpci_is_refused_rather_than_priced():
    schedule = make_tables(RVU_2026, [REST_OF_TEXAS]).tables.schedule
    rows = np.arange(len(schedule))
    with pytest.raises(InputError, match="negative"):
        fee_schedule_cents(schedule, rows, np.array([[1000, -949, 903]]), [NF], 334009)
