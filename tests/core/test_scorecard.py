"""Reconciliation and scorecard (estimator.core.scorecard): the array path gives exactly the per-line results.

``reconcile`` classifies every line with arrays and builds each line's ``LineResult`` (reason in words) only
when it is looked at; the scorecard sums the arrays.  Here both are checked against the obvious way on
generated remittances: every line priced through ``ClaimLines.from_lines`` and classified one by one
(``_classify``), and the scorecard summed line by line in plain Python.

Core tests: no files, the shipped tables through the session fixtures, payers built in memory.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator.core.audit import AuditLine, ClaimLines, audit_claims
from estimator.core.money import format_money
from estimator.core.payers import MEDICARE, MEDICARE_PAYER, Practice
from estimator.core.remits import RemitLine
from estimator.core.schedule import TableSet
from estimator.core.scorecard import (
    PAYMENT_FINDINGS,
    STATUSES,
    LineResult,
    _classify,
    month_series,
    reconcile,
    recovery_rows,
    scorecard,
)
from tests.strategies import AUDIT_PAYERS, remit_claims


def _per_line(lines: Sequence[RemitLine], practice: Practice, tables: Any, tolerance: int
              ) -> tuple[list[LineResult], tuple[str, ...]]:
    """The obvious reconciliation: one AuditLine per remitted line, then ``_classify`` line by line."""
    practice = dataclasses.replace(practice, charges={})

    def batch(chosen: Sequence[RemitLine], payer: str | None) -> ClaimLines:
        return ClaimLines.from_lines([AuditLine(
            f"{x.payer_claim_id} {x.service_date.isoformat()} {x.payer}", x.patient_id or x.claim_id,
            x.service_date, payer or x.payer, x.code, x.units, x.modifiers, (), practice.place_of_service,
            practice.locality_key, x.charge_cents, x.allowed, x.paid_cents) for x in chosen], diagnoses_given=False)

    options = {"practice": practice, "tables_for_date": lambda d: tables(d.year), "tables_for_year": tables,
               "tolerance_cents": tolerance}
    contract = audit_claims(batch(lines, None), payers=AUDIT_PAYERS, **options)  # type: ignore[arg-type]
    expected = [int(e) if h else None for e, h in zip(contract.expected_cents, contract.has_expected, strict=True)]
    medicare = list(expected)
    others = [i for i, x in enumerate(lines) if x.payer.strip().casefold() != MEDICARE.casefold()]
    if others:
        priced = audit_claims(batch([lines[i] for i in others], MEDICARE), payers=[MEDICARE_PAYER],
                              **options)  # type: ignore[arg-type]
        for k, i in enumerate(others):
            medicare[i] = int(priced.expected_cents[k]) if priced.has_expected[k] else None
    rule: dict[int, str] = {}
    for f in contract.findings:
        if f.finding.severity == "error" and f.finding.code not in PAYMENT_FINDINGS:
            for i in [f.line] if f.line is not None else contract.claims[f.claim].lines:
                rule.setdefault(i, f"{f.finding.code}: {f.finding.message}")
    return ([_classify(x, expected[i], medicare[i], rule.get(i), tolerance) for i, x in enumerate(lines)],
            contract.releases)


def _pct(part: int, whole: int) -> str | None:
    if whole <= 0:
        return None
    return str((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _figures(lines: Sequence[RemitLine], results: Sequence[LineResult], members: list[int]) -> dict[str, Any]:
    """The scorecard figures of some lines, summed one line at a time (module docstring's definitions)."""
    def total(value: Any, where: Any = lambda i: True) -> int:
        return sum(value(i) for i in members if where(i))

    def status(name: str) -> Any:
        return lambda i: results[i].status == name

    has_med = [i for i in members if results[i].medicare_cents is not None]
    medicare = sum(results[i].medicare_cents or 0 for i in has_med)
    carcs: dict[str, int] = {}
    for i in members:
        denial = results[i].denial
        if results[i].status == "denied" and denial:
            carcs[f"{denial[0]}-{denial[1]}"] = carcs.get(f"{denial[0]}-{denial[1]}", 0) + 1
    days = [(lines[i].paid_on - lines[i].service_date).days for i in members if lines[i].paid_cents > 0]
    return {
        "lines": len(members), "billed": format_money(total(lambda i: lines[i].charge_cents)),
        "paid": format_money(total(lambda i: lines[i].paid_cents)),
        "patient_responsibility": format_money(total(lambda i: lines[i].patient_cents)),
        "allowed": format_money(total(lambda i: lines[i].allowed)),
        "contract": format_money(total(lambda i: results[i].expected_cents or 0)),
        "medicare": format_money(medicare),
        "effective_pct_of_medicare": _pct(sum(lines[i].paid_cents + lines[i].patient_cents for i in has_med),
                                          medicare),
        "underpaid_lines": total(lambda i: 1, status("underpaid")),
        "underpaid": format_money(total(lambda i: (results[i].expected_cents or 0) - lines[i].allowed,
                                        status("underpaid"))),
        "overpaid_lines": total(lambda i: 1, status("overpaid")),
        "overpaid": format_money(total(lambda i: lines[i].allowed - (results[i].expected_cents or 0),
                                       status("overpaid"))),
        "denied_lines": total(lambda i: 1, status("denied")),
        "denial_rate_pct": _pct(total(lambda i: 1, status("denied")), len(members)),
        "denials_by_carc": dict(sorted(carcs.items())),
        "unreconciled_lines": total(lambda i: 1, status("unreconciled")),
        "median_days_to_payment": float(statistics.median(days)) if days else None,
    }


def _by(lines: Sequence[RemitLine], results: Sequence[LineResult], key: Any, name: str,
        members: list[int]) -> list[dict[str, Any]]:
    return [{name: k, **_figures(lines, results, [i for i in members if key(i) == k])}
            for k in sorted({key(i) for i in members})]


@pytest.fixture(scope="session")
def tables(tables_2025: TableSet, tables_2026: TableSet) -> Any:
    return lambda year: tables_2026 if year >= 2026 else tables_2025


@given(lines=remit_claims(), tolerance=st.sampled_from([0, 1, 100, 250]), data=st.data())
@settings(max_examples=40)
def test_reconciling_with_arrays_gives_exactly_the_per_line_results_and_scorecard(
        lines: list[RemitLine], tolerance: int, data: st.DataObject, tables: Any) -> None:
    practice = Practice()
    first, _ = _per_line(lines, practice, tables, tolerance)
    # Move some allowed amounts onto the contract's, and to either side of the tolerance, so "paid",
    # "patient", "underpaid" and "overpaid" all meet their boundaries.
    for i, r in enumerate(first):
        if r.expected_cents is not None and data.draw(st.booleans()):
            shift = data.draw(st.sampled_from([0, tolerance, tolerance + 1, -tolerance, -tolerance - 1]))
            lines[i] = dataclasses.replace(lines[i], allowed_cents=r.expected_cents + shift)
    expected, releases = _per_line(lines, practice, tables, tolerance)

    rec = reconcile(lines, payers=AUDIT_PAYERS, practice=practice, tables_for_date=lambda d: tables(d.year),
                    tables_for_year=tables, tolerance_cents=tolerance)

    assert list(rec.results) == expected
    assert [STATUSES[s] for s in rec.columns.status.tolist()] == [r.status for r in expected]
    recoverable = [i for i, r in enumerate(expected) if r.status == "underpaid" or (
        r.status == "denied" and r.rule is None and r.expected_cents is not None)]
    assert rec.recoverable_lines() == recoverable
    assert [i for i in range(len(lines)) if rec.recoverable(i)] == recoverable
    assert rec.releases == releases
    everything = list(range(len(lines)))

    def payer(i: int) -> str:
        return lines[i].payer

    def code(i: int) -> str:
        return lines[i].code

    def month(i: int) -> str:
        return lines[i].service_date.strftime("%Y-%m")

    payers = _by(lines, expected, payer, "payer", everything)
    for row in payers:
        members = [i for i in everything if payer(i) == row["payer"]]
        row["by_code"] = _by(lines, expected, code, "code", members)
        row["by_month"] = _by(lines, expected, month, "month", members)
    assert scorecard(rec) == {
        "tolerance": format_money(tolerance), "tables": list(releases),
        "total": _figures(lines, expected, everything), "payers": payers,
        "codes": _by(lines, expected, code, "code", everything),
        "months": _by(lines, expected, month, "month", everything)}
    series: dict[str, dict[str, list[int]]] = {}
    for i, (x, r) in enumerate(zip(lines, expected, strict=True)):
        if r.expected_cents is not None:
            sums = series.setdefault(x.payer, {}).setdefault(month(i), [0, 0])
            sums[0] += x.paid_cents + x.patient_cents
            sums[1] += r.expected_cents
    assert month_series(rec) == {p: [(m, v[0], v[1]) for m, v in sorted(ms.items())]
                                 for p, ms in sorted(series.items())}
    assert {(row["payer_claim_id"], row["line"]) for row in recovery_rows(rec)} == {
        (lines[i].payer_claim_id, lines[i].line_id) for i in recoverable}


def test_no_lines_reconcile_to_an_empty_scorecard(tables: Any) -> None:
    rec = reconcile([], payers=AUDIT_PAYERS, practice=Practice(), tables_for_date=lambda d: tables(d.year),
                    tables_for_year=tables)
    assert len(rec.results) == 0 and rec.recoverable_lines() == [] and recovery_rows(rec) == []
    assert scorecard(rec)["total"]["lines"] == 0 and month_series(rec) == {}
