"""NCCI procedure-to-procedure (PTP) pair edits from an imported table: the column-2 line's payment and the finding.

The PTP rows here are SYNTHETIC (CMS's PTP file is not in ``../shared/cms``); they only exercise the rule
(modifier indicator 0 / 1 / 9, dates in force, the PTP-associated modifiers).  Amounts are worked out in this
file with the CMS formula from the RVU26C values quoted beside each case, never read back from the code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest

from estimator.core.audit import AuditLine, ClaimLines, audit_claims
from estimator.core.encounter import Encounter, ServiceLine
from estimator.core.ncci import PairEdit, PtpEdits, ptp_bypass
from estimator.core.payers import Practice
from estimator.core.rules import build_claim
from estimator.core.schedule import TableSet
from tests.strategies import AUDIT_PAYERS

DAY = dt.date(2026, 3, 2)
AK = ("L57.0",)
CF = Decimal("33.4009")
CENT = Decimal("0.01")


def fee(work: str, pe: str, mp: str) -> Decimal:
    """National non-facility amount: round_half_up((W + PE + MP) x CF), all GPCIs 1.000."""
    return ((Decimal(work) + Decimal(pe) + Decimal(mp)) * CF).quantize(CENT, ROUND_HALF_UP)


def half(amount: Decimal) -> Decimal:
    return (amount / 2).quantize(CENT, ROUND_HALF_UP)


F_17000 = fee("0.59", "1.34", "0.06")  # 66.47 (MPPR indicator 2)
F_11200 = fee("0.80", "1.88", "0.08")  # 92.19 (MPPR indicator 2)
F_17110 = fee("0.68", "2.58", "0.07")  # 111.22
F_99213 = fee("1.30", "1.46", "0.09")  # 95.19
BOTH_PAID = F_11200 + half(F_17000)  # 11200 ranks first (higher fee) at 100%, 17000 second at 50%


def edit(column1: str, column2: str, indicator: int, effective: str = "2020-01-01",
         deleted: str | None = None) -> PairEdit:
    return PairEdit(column1, column2, indicator, dt.date.fromisoformat(effective),
                    dt.date.fromisoformat(deleted) if deleted else None, "synthetic test edit")


def with_ptp(tables: TableSet, *edits: PairEdit) -> TableSet:
    pairs: dict[tuple[str, str], tuple[PairEdit, ...]] = {}
    for e in edits:
        pairs[(e.column1, e.column2)] = (*pairs.get((e.column1, e.column2), ()), e)
    ncci = dataclasses.replace(tables.ncci, ptp=PtpEdits("synthetic test table", pairs))
    return dataclasses.replace(tables, ncci=ncci)


def claim_of(tables: TableSet, *lines: str, em: str | None = None):  # type: ignore[no-untyped-def]
    return build_claim(Encounter(DAY, em_code=em, procedures=tuple(ServiceLine.parse(t) for t in lines),
                                 diagnoses=AK), tables)


def total(claim) -> Decimal:  # type: ignore[no-untyped-def]
    return Decimal(claim.total_cents) / 100


def paid(claim, code: str) -> Decimal:  # type: ignore[no-untyped-def]
    return Decimal(sum(line.cents or 0 for line in claim.lines if line.code == code)) / 100


def ptp_findings(claim):  # type: ignore[no-untyped-def]
    return [f for f in claim.findings if f.code == "ptp-pair"]


def test_the_expected_fees_are_the_published_ones() -> None:
    fees = (F_17000, F_11200, F_17110, BOTH_PAID)
    assert fees == (Decimal("66.47"), Decimal("92.19"), Decimal("111.22"), Decimal("125.43"))


def test_without_an_imported_table_both_codes_are_paid_and_nothing_is_said(tables_2026) -> None:
    claim = claim_of(tables_2026, "17000", "11200")
    assert total(claim) == BOTH_PAID
    assert ptp_findings(claim) == []


def test_indicator_1_without_a_modifier_denies_the_column_2_line_and_the_fix_is_the_bypass(tables_2026) -> None:
    claim = claim_of(with_ptp(tables_2026, edit("17000", "11200", 1)), "17000", "11200")
    # 11200 is denied, so 17000 is alone among the indicator-2 procedures: paid in full.
    assert (paid(claim, "11200"), paid(claim, "17000"), total(claim)) == (Decimal(0), F_17000, F_17000)
    [finding] = ptp_findings(claim)
    assert (finding.severity, finding.line_code) == ("error", "11200")
    assert "XS" in finding.fix and "11200" in finding.fix
    assert "NCCI" in finding.source and "PTP" in finding.source
    assert next(line for line in claim.lines if line.code == "11200").unpaid


@pytest.mark.parametrize("modifier", ["XS", "59", "XE", "XU", "XP"])
def test_indicator_1_with_a_distinct_service_modifier_pays_both(tables_2026, modifier: str) -> None:
    claim = claim_of(with_ptp(tables_2026, edit("17000", "11200", 1)), "17000", f"11200:{modifier}")
    assert total(claim) == BOTH_PAID
    [finding] = ptp_findings(claim)
    assert finding.severity == "info" and modifier in finding.message


def test_indicator_0_with_59_is_still_denied(tables_2026) -> None:
    claim = claim_of(with_ptp(tables_2026, edit("17000", "11200", 0)), "17000", "11200:59")
    assert (paid(claim, "11200"), total(claim)) == (Decimal(0), F_17000)
    [finding] = ptp_findings(claim)
    assert finding.severity == "error" and finding.fix.startswith("Remove 11200")
    assert "59" in finding.message


@pytest.mark.parametrize("row", [
    edit("17000", "11200", 9),  # indicator 9: not applicable
    edit("17000", "11200", 0, "2020-01-01", "2025-12-31"),  # deleted before the date of service
    edit("17000", "11200", 0, "2026-04-01"),  # not yet in force on 2 March
], ids=["indicator-9", "deleted", "not-yet-effective"])
def test_an_edit_not_in_force_or_not_applicable_changes_nothing(tables_2026, row: PairEdit) -> None:
    claim = claim_of(with_ptp(tables_2026, row), "17000", "11200")
    assert total(claim) == BOTH_PAID
    assert ptp_findings(claim) == []


def test_the_deletion_date_is_the_last_day_in_force(tables_2026) -> None:
    claim = claim_of(with_ptp(tables_2026, edit("17000", "11200", 0, "2020-01-01", DAY.isoformat())),
                     "17000", "11200")
    assert total(claim) == F_17000


def test_the_edit_is_directional_column_1_is_paid(tables_2026) -> None:
    """Only column 2 is denied: with the edit written the other way round, 17000 is the one denied."""
    claim = claim_of(with_ptp(tables_2026, edit("11200", "17000", 0)), "17000", "11200")
    assert (paid(claim, "17000"), paid(claim, "11200")) == (Decimal(0), F_11200)


def test_an_em_with_25_added_for_the_minor_procedure_lifts_an_indicator_1_edit(tables_2026) -> None:
    claim = claim_of(with_ptp(tables_2026, edit("17000", "99213", 1)), "17000", em="99213")
    assert total(claim) == F_17000 + F_99213
    [finding] = ptp_findings(claim)
    assert finding.severity == "info" and "25" in finding.message


@pytest.mark.parametrize(("mods1", "mods2", "bypass"), [
    ((), ("RT",), "RT"),  # a site on one line only
    (("LT",), ("RT",), "LT, RT"),  # two different sites
    (("LT",), ("LT",), ""),  # the same site is not distinct
    (("F1",), ("F1", "XS"), "XS"),
    (("51",), ("76",), ""),  # not PTP-associated
])
def test_anatomic_modifiers_lift_an_edit_only_for_different_sites(mods1, mods2, bypass: str) -> None:
    assert ptp_bypass(mods1, mods2) == bypass


def test_the_explicit_pair_rule_stands_for_a_pair_the_table_lacks_and_yields_to_one_it_has(tables_2026) -> None:
    lacking = claim_of(with_ptp(tables_2026, edit("17000", "11200", 1)), "17110", "17111")
    assert [f.code for f in lacking.findings if f.code in ("benign-destruction-exclusive", "ptp-pair")] == [
        "benign-destruction-exclusive"]
    having = claim_of(with_ptp(tables_2026, edit("17111", "17110", 0)), "17110", "17111")
    assert [f.code for f in having.findings if f.code in ("benign-destruction-exclusive", "ptp-pair")] == [
        "ptp-pair"]
    assert paid(having, "17110") == 0


def test_the_audit_expects_the_denied_column_2_line_at_zero(tables_2026) -> None:
    tables = with_ptp(tables_2026, edit("17000", "11200", 1))
    lines = [AuditLine("A", "P", DAY, "Medicare", "17000", 1, (), AK, allowed_cents=int(F_17000 * 100)),
             AuditLine("A", "P", DAY, "Medicare", "11200", 1, (), AK, allowed_cents=0)]
    result = audit_claims(ClaimLines.from_lines(lines), payers=AUDIT_PAYERS, practice=Practice(),
                          tables_for_date=lambda _d: tables, tables_for_year=lambda _y: tables)
    assert not [f for f in result.findings if f.finding.code in ("underpaid", "overpaid")]
    assert any(f.finding.code == "ptp-pair" for f in result.findings)
