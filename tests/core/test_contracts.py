"""Contract analytics: % of Medicare on the mix, what-ifs, targets, and the year-over-year decomposition."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.core import contracts as ct
from estimator.core.errors import InputError, UnknownCodeError
from estimator.core.forecast import DEFAULT_LESIONS, PriceTable, Scenario, build_model, price_table
from estimator.core.payers import MEDICARE_PAYER, Method, Payer, Practice
from estimator.core.schedule import NATIONAL_KEY, CFVariant, Setting, TableSet
from tests.strategies import payable_row_indices

PRACTICE = Practice(locality_key="0441299")
SUMMIT = Payer("Summit", Method.PERCENT_OF_MEDICARE, percent=Decimal(130))
ACME = Payer("Acme", Method.PERCENT_OF_MEDICARE, percent=Decimal(115), em25_reduction=Decimal(50))
OWN = Payer("Own", Method.OWN_CF, conversion_factor=Decimal("38.00"))
PAYERS = [MEDICARE_PAYER, SUMMIT, ACME, OWN]


def _scenario(**changes: object) -> Scenario:
    base: dict[str, object] = dict(
        payer_mix={"Medicare": Decimal(50), "Summit": Decimal(20), "Acme": Decimal(20), "Own": Decimal(10)},
        lesions=DEFAULT_LESIONS, annual_volume=Decimal(2000), em_share=Decimal(35), locality_key="0441299",
        setting_mix={Setting.NONFACILITY: Decimal(90), Setting.FACILITY: Decimal(10)},
    )
    base.update(changes)
    return Scenario(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def table(tables_2026: TableSet) -> PriceTable:
    return price_table(PAYERS, PRACTICE, tables_2026, lambda _y: tables_2026)


@pytest.fixture
def basis(table: PriceTable) -> ct.ContractBasis:
    return ct.basis_of(build_model(_scenario(), table))


def _reprice(tables: TableSet):  # type: ignore[no-untyped-def]
    return lambda payer: price_table([payer], PRACTICE, tables, lambda _y: tables)


# --- % of Medicare --------------------------------------------------------------------------------------


def test_medicare_is_100_percent_of_medicare(basis: ct.ContractBasis) -> None:
    assert ct.pct_of_medicare(basis, "Medicare") == Decimal("100.00")


def test_a_plain_percent_contract_weighs_in_at_its_percentage(basis: ct.ContractBasis) -> None:
    pct = ct.pct_of_medicare(basis, "Summit")
    assert pct is not None and abs(pct - 130) <= Decimal("0.02")  # per-line rounding to cents only


def test_an_em25_cut_pulls_the_weighted_percentage_below_the_contract_rate(basis: ct.ContractBasis) -> None:
    pct = ct.pct_of_medicare(basis, "Acme")
    assert pct is not None and pct < 115
    no_em = ct.basis_of(build_model(_scenario(em_share=Decimal(0)), basis.table))
    assert ct.pct_of_medicare(no_em, "Acme") == pytest.approx(Decimal(115), abs=Decimal("0.02"))


def test_the_weighted_percentage_is_the_ratio_of_mix_weighted_sums(basis: ct.ContractBasis) -> None:
    row = basis.table.index("Own")
    payer_sum = sum(w * int(c) for w, c in zip(basis.clinical, basis.table.allowed_cents[row].ravel(), strict=True))
    medicare_sum = sum(w * int(c) for w, c in zip(basis.clinical, basis.table.medicare_cents.ravel(), strict=True))
    expected = (Decimal(payer_sum.numerator) / Decimal(payer_sum.denominator) * 100
                / (Decimal(medicare_sum.numerator) / Decimal(medicare_sum.denominator)))
    assert ct.pct_of_medicare(basis, "Own") == expected.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_standings_give_revenue_as_encounters_times_the_per_encounter_amount(basis: ct.ContractBasis) -> None:
    for s in ct.standings(basis):
        assert s.encounters == basis.encounters_of(s.payer)
        exact = s.encounters * ct.per_encounter(basis, s.payer)
        assert abs(s.revenue_cents - exact) <= Fraction(1, 2)
    assert basis.encounters_of("Summit") == 400  # 20% of 2,000


# --- what-ifs and targets -------------------------------------------------------------------------------


@pytest.mark.parametrize("change", ["5", "-12.5", "0", "33.33"])
def test_a_rate_change_scales_the_payers_revenue_exactly(basis: ct.ContractBasis, change: str) -> None:
    w = ct.what_if_rate_change(basis, "acme", Decimal(change))
    base = ct.revenue(basis, "Acme")
    assert w.payer == "Acme"
    assert abs(w.new_cents - base * (1 + Fraction(Decimal(change)) / 100)) <= Fraction(1, 2)
    assert w.change_cents == w.new_cents - w.baseline_cents


def test_a_rate_change_of_minus_100_percent_or_less_is_refused(basis: ct.ContractBasis) -> None:
    with pytest.raises(InputError):
        ct.what_if_rate_change(basis, "Acme", Decimal(-100))


def test_the_slider_arrays_agree_with_the_exact_what_if(basis: ct.ContractBasis) -> None:
    slider = ct.RateSlider.of(basis)
    changes = np.array([0.0, 7.5, -3.0, 12.0])
    revenue = slider.revenue(changes)
    for name, change, got in zip(slider.payers, changes, revenue, strict=True):
        exact = ct.what_if_rate_change(basis, name, Decimal(str(change))).new_cents
        assert abs(got - exact) <= 1.0


def test_a_new_own_cf_is_priced_with_the_real_contract(basis: ct.ContractBasis, tables_2026: TableSet) -> None:
    repriced = price_table([Payer("Own", Method.OWN_CF, conversion_factor=Decimal("41.80"))], PRACTICE, tables_2026,
                           lambda _y: tables_2026)
    w = ct.what_if_repriced(basis, "Own", repriced, "own CF $41.80")
    # Own CF allowed amounts are linear in the CF up to per-line rounding: 41.80 / 38.00 = 1.1.
    assert w.new_cents == pytest.approx(w.baseline_cents * 1.1, abs=float(basis.encounters_of("Own")) * 3)


@pytest.mark.parametrize("payer", [SUMMIT, ACME, OWN])
@pytest.mark.parametrize("factor", ["0.8", "1.0", "1.2345"])
def test_the_required_rate_solves_the_linear_equation_and_rounds_up(basis: ct.ContractBasis, payer: Payer,
                                                                     factor: str) -> None:
    base = ct.revenue(basis, payer.name)
    target_cents = int(base * Fraction(Decimal(factor)))
    t = ct.required_rate(basis, payer, target_cents)
    assert t.factor == Fraction(target_cents) / base
    if payer.method is Method.PERCENT_OF_MEDICARE:
        assert t.required_percent is not None and payer.percent is not None
        exact = Fraction(payer.percent) * t.factor
        assert exact <= Fraction(t.required_percent) < exact + Fraction(1, 100)
    else:
        assert t.required_cf is not None and payer.conversion_factor is not None
        exact = Fraction(payer.conversion_factor) * t.factor
        assert exact <= Fraction(t.required_cf) < exact + Fraction(1, 10_000)


@pytest.mark.parametrize("payer", [SUMMIT, ACME, OWN])
def test_the_settled_rate_reaches_the_target_with_the_real_contract(basis: ct.ContractBasis, payer: Payer,
                                                                    tables_2026: TableSet) -> None:
    target_cents = int(ct.revenue(basis, payer.name) * Fraction(123, 100))
    t = ct.required_rate(basis, payer, target_cents)
    check = ct.settle_target(t, payer, basis, _reprice(tables_2026))
    assert check is not None and check.reached
    assert check.revenue_cents >= target_cents
    step = ct.PERCENT_STEP if payer.method is Method.PERCENT_OF_MEDICARE else ct.CF_STEP
    if check.rate > step:
        below = check.rate - step
        changed = (Payer(payer.name, payer.method, percent=below, em25_reduction=payer.em25_reduction)
                   if payer.method is Method.PERCENT_OF_MEDICARE else
                   Payer(payer.name, payer.method, conversion_factor=below))
        w = ct.what_if_repriced(basis, payer.name, _reprice(tables_2026)(changed), "")
        # The settled rate is the smallest on the grid at or above the linear solution that reaches it.
        assert w.new_cents < target_cents or check.steps == 0


def test_a_target_beyond_billed_charges_is_reported_as_unreachable(tables_2026: TableSet) -> None:
    charges = {(c, ""): 10_000 for c in ("17000", "17003", "17004", "99213")}
    practice = Practice(locality_key="0441299", charges=charges)
    capped = Payer("Capped", Method.PERCENT_OF_MEDICARE, percent=Decimal(100), lesser_of_charge=True)
    table = price_table([MEDICARE_PAYER, capped], practice, tables_2026, lambda _y: tables_2026)
    basis = ct.basis_of(build_model(_scenario(payer_mix={"Medicare": Decimal(50), "Capped": Decimal(50)}), table))
    t = ct.required_rate(basis, capped, int(ct.revenue(basis, "Capped") * 10))
    check = ct.settle_target(t, capped, basis, lambda p: price_table([p], practice, tables_2026,
                                                                     lambda _y: tables_2026))
    assert check is not None and not check.reached and check.rate == 1000


def test_a_payer_without_encounters_has_no_rate_for_a_target(table: PriceTable) -> None:
    basis = ct.basis_of(build_model(_scenario(payer_mix={"Medicare": Decimal(100)}), table))
    with pytest.raises(InputError, match="no revenue"):
        ct.required_rate(basis, SUMMIT, 100_000)
    with_volume = ct.with_encounters(basis, "summit", Fraction(300))
    assert ct.required_rate(with_volume, SUMMIT, 100_000).required_percent is not None


# --- year over year -------------------------------------------------------------------------------------


def _amount(tables: TableSet, code: str, key: str, setting: Setting, cf: Decimal | None = None) -> Decimal:
    """A(cf, rvu, gpci) in dollars, unrounded, the textbook way with Decimals."""
    sch, row = tables.schedule, tables.schedule.row(code)
    if key == NATIONAL_KEY:
        g = (Decimal(1), Decimal(1), Decimal(1))
    else:
        loc = tables.localities.locality(key)
        g = (loc.work_gpci, loc.pe_gpci, loc.mp_gpci)
    r = [Decimal(int(a[row])) / 100 for a in (sch.work, sch.pe(setting), sch.mp)]
    return (r[0] * g[0] + r[1] * g[1] + r[2] * g[2]) * (cf or tables.policy.cf_nonqp)


def test_17000_national_moves_from_66_31_to_66_47(tables_2025: TableSet, tables_2026: TableSet) -> None:
    d = ct.yoy_decomposition(tables_2025, tables_2026, ["17000"], [NATIONAL_KEY], [Setting.NONFACILITY])
    assert d.old_cents[0, 0, 0] == 6631 and d.new_cents[0, 0, 0] == 6647
    assert d.total_cents[0, 0, 0] == 16
    assert d.effects_cents[0, 0, 0, 2] == 0  # national: GPCIs are 1.000 both years


def test_the_effects_are_the_chained_differences_of_exact_amounts(tables_2025: TableSet,
                                                                  tables_2026: TableSet) -> None:
    d = ct.yoy_decomposition(tables_2025, tables_2026, ["17004"], ["1320201"], [Setting.FACILITY])
    old, new = tables_2025, tables_2026
    a0 = _amount(old, "17004", "1320201", Setting.FACILITY)
    a1 = _amount(old, "17004", "1320201", Setting.FACILITY, cf=new.policy.cf_nonqp)
    loc_old = old.localities.locality("1320201")
    sch, row = new.schedule, new.schedule.row("17004")
    r = [Decimal(int(a[row])) / 100 for a in (sch.work, sch.pe(Setting.FACILITY), sch.mp)]
    a2 = (r[0] * loc_old.work_gpci + r[1] * loc_old.pe_gpci + r[2] * loc_old.mp_gpci) * new.policy.cf_nonqp
    a3 = _amount(new, "17004", "1320201", Setting.FACILITY)
    assert [d.exact_dollars(0, 0, 0, e) for e in range(3)] == [a1 - a0, a2 - a1, a3 - a2]


def test_the_cf_effect_is_the_cf_change_times_last_years_weighted_rvus(tables_2025: TableSet,
                                                                      tables_2026: TableSet) -> None:
    d = ct.yoy_decomposition(tables_2025, tables_2026, ["99213"], ["0441299"], [Setting.NONFACILITY])
    weighted = _amount(tables_2025, "99213", "0441299", Setting.NONFACILITY) / tables_2025.policy.cf_nonqp
    assert d.exact_dollars(0, 0, 0, 0) == weighted * (tables_2026.policy.cf_nonqp - tables_2025.policy.cf_nonqp)


@settings(max_examples=50)
@given(data=st.data())
def test_the_rounded_effects_add_up_exactly_to_the_rounded_total_change(tables_2025: TableSet,
                                                                      tables_2026: TableSet,
                                                                      data: st.DataObject) -> None:
    both = sorted(set(tables_2025.schedule.codes[payable_row_indices(tables_2025)].tolist())
                  & set(tables_2026.schedule.codes[payable_row_indices(tables_2026)].tolist()))
    both = [c for c in both if tables_2025.schedule.has(c) and tables_2026.schedule.has(c)]
    codes = data.draw(st.lists(st.sampled_from(both), min_size=1, max_size=6, unique=True))
    keys = data.draw(st.lists(st.sampled_from([NATIONAL_KEY, *tables_2026.localities.keys.tolist()]),
                              min_size=1, max_size=5, unique=True))
    settings_ = data.draw(st.lists(st.sampled_from(list(Setting)), min_size=1, max_size=2, unique=True))
    variant = data.draw(st.sampled_from(list(CFVariant)))
    d = ct.yoy_decomposition(tables_2025, tables_2026, codes, keys, settings_, variant)
    assert np.array_equal(d.effects_cents.sum(axis=-1), d.total_cents)
    assert np.array_equal(d.total_cents, d.new_cents - d.old_cents)
    # Each rounded effect is within a cent of its exact value, and the exact effects sum to A(new) - A(old).
    exact_cents = d.exact_units / 10_000_000
    assert (np.abs(d.effects_cents - exact_cents) < 1 + 1e-9).all()
    for c, code in enumerate(codes[:2]):
        for k, key in enumerate(keys[:2]):
            for s, setting in enumerate(settings_):
                old_cf = tables_2025.policy.conversion_factor(variant)
                new_cf = tables_2026.policy.conversion_factor(variant)
                total = (_amount(tables_2026, code, key, setting, new_cf)
                         - _amount(tables_2025, code, key, setting, old_cf))
                assert sum(d.exact_dollars(c, k, s, e) for e in range(3)) == total


@settings(max_examples=200)
@given(st.lists(st.integers(-10**12, 10**12), min_size=3, max_size=3))
def test_cent_allocation_sums_to_the_rounded_total_and_stays_within_a_cent(effects: list[int]) -> None:
    exact = np.array([effects], dtype=np.int64)
    per_cent = 10_000_000
    total = np.array([sum(effects)], dtype=np.int64)
    # The rounded total is within a cent of the exact sum (as new_cents - old_cents always is).
    for rounded in (total // per_cent, -((-total) // per_cent)):
        out = ct.allocate_cents(exact, rounded)
        assert out.sum() == rounded[0]
        assert (np.abs(out[0] * per_cent - exact[0]) < per_cent).all()


def test_an_unknown_code_is_refused(tables_2025: TableSet, tables_2026: TableSet) -> None:
    with pytest.raises(UnknownCodeError):
        ct.yoy_decomposition(tables_2025, tables_2026, ["ZZZZZ"], [NATIONAL_KEY])


def test_the_featured_codes_are_the_lesion_tiers_and_the_visit() -> None:
    assert ct.featured_codes("99214") == ("17000", "17003", "17004", "99214")

