"""Reconcile remitted lines with the contracts, and the payer scorecard and recovery list built on it.

Pure: ``RemitLine`` values, payers, the practice and the tables in; a ``Reconciliation`` and plain data out.

How a line is reconciled
    The lines are handed to the claims audit (``estimator.core.audit.audit_claims``) as one claim per payer
    claim number and service date, at the practice's place of service and locality (an 835 carries
    neither): the audit's expected allowed amount is the contract in force for the payer on the date of
    service, through the same payer methods and billing rules as everything else, and its error findings
    (an E/M without modifier 25, a third destruction inside a frequency limit ...) say which denials were
    right.  The same lines priced under Medicare give the Medicare amount for "effective % of Medicare".

    Each line gets one status, first match wins:
      ``unreconciled``: no contract amount (payer not in the payer list, code not priced, no contract rate);
      ``denied``: nothing allowed on a charged line (the reason: the first adjustment that is a denial CARC);
      ``underpaid`` / ``overpaid``: allowed below / above the contract by more than the tolerance;
      ``patient``: allowed as contracted, and the patient owes all of it (deductible);
      ``paid``: paid as contracted.
    A denied line is *recoverable* when no billing rule explains the denial; an underpaid line always is.

Scorecard figures (per payer, per code, per month)
    paid = SVC03; patient = PR adjustments; allowed = AMT*B6 (else paid + patient + CO-253); contract = the
    expected allowed amount over the reconciled lines; underpaid = sum of (contract - allowed) over the
    underpaid lines; effective % of Medicare = (paid + patient) / Medicare amount over the lines that have
    one, denied lines included (what the practice actually got per Medicare dollar); days to payment = the
    payment date (BPR16) minus the service date, median over the lines with a payment.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final, Literal

import numpy as np

from estimator.core import remit_codes
from estimator.core.audit import (
    DEFAULT_TOLERANCE_CENTS,
    ClaimLines,
    TablesForDate,
    TablesForYear,
    audit_claims,
    paused_gc,
)
from estimator.core.money import IntArray, format_money
from estimator.core.payers import MEDICARE, MEDICARE_PAYER, Payer, Practice
from estimator.core.remits import RemitLine

Status = Literal["paid", "underpaid", "overpaid", "denied", "patient", "unreconciled"]
STATUSES: Final[tuple[Status, ...]] = ("paid", "underpaid", "overpaid", "denied", "patient", "unreconciled")
STATUS_WORDS: Final = {"paid": "paid as contracted", "underpaid": "underpaid", "overpaid": "overpaid",
                       "denied": "denied", "patient": "patient responsibility", "unreconciled": "not reconciled"}
PAYMENT_FINDINGS: Final = frozenset({"underpaid", "mppr-missing"})


@dataclass(frozen=True, slots=True)
class LineResult:
    """One remitted line reconciled."""

    status: Status
    expected_cents: int | None  # the contract's allowed amount
    medicare_cents: int | None  # Medicare's allowed amount for the same line
    denial: tuple[str, str] | None  # (group, CARC) that denied it
    rule: str | None  # the billing-rule finding that explains a denial (None: none does)
    reason: str  # why, in plain words


@dataclass(frozen=True, slots=True, eq=False)
class Reconciliation:
    """The lines and their results, aligned."""

    lines: tuple[RemitLine, ...]
    results: tuple[LineResult, ...]
    tolerance_cents: int
    releases: tuple[str, ...]

    def recoverable(self, i: int) -> bool:
        r = self.results[i]
        if r.status == "underpaid":
            return True
        return r.status == "denied" and r.rule is None and r.expected_cents is not None


def _claim_lines(lines: Sequence[RemitLine], practice: Practice, payer_names: Sequence[str]) -> ClaimLines:
    n = len(lines)
    dates = np.fromiter((x.service_date.toordinal() for x in lines), dtype=np.int64, count=n)
    return ClaimLines(
        line_numbers=np.arange(1, n + 1, dtype=np.int64),
        claim_ids=tuple(f"{x.payer_claim_id} {x.service_date.isoformat()} {x.payer}" for x in lines),
        patient_ids=tuple(x.patient_id or x.claim_id for x in lines), dates=dates, payers=tuple(payer_names),
        places=(practice.place_of_service,) * n, localities=(practice.locality_key,) * n,
        codes=tuple(x.code for x in lines), units=np.fromiter((x.units for x in lines), dtype=np.int64, count=n),
        modifiers=tuple(x.modifiers for x in lines), diagnoses=((),) * n,
        billed_cents=np.fromiter((x.charge_cents for x in lines), dtype=np.int64, count=n),
        has_billed=np.ones(n, dtype=np.bool_),
        allowed_cents=np.fromiter((x.allowed for x in lines), dtype=np.int64, count=n),
        has_allowed=np.ones(n, dtype=np.bool_),
        paid_cents=np.fromiter((x.paid_cents for x in lines), dtype=np.int64, count=n),
        has_paid=np.ones(n, dtype=np.bool_), prior_auth=np.full(n, -1, dtype=np.int8), diagnoses_given=False)


def reconcile(lines: Sequence[RemitLine], *, payers: Mapping[str, Payer] | Sequence[Payer], practice: Practice,
              tables_for_date: TablesForDate, tables_for_year: TablesForYear,
              tolerance_cents: int = DEFAULT_TOLERANCE_CENTS) -> Reconciliation:
    """Reconcile every remitted line with its payer's contract and the billing rules (see the module docstring).

    Raises:
        InputError: a negative tolerance.
    """
    lines = tuple(lines)
    if not lines:
        return Reconciliation((), (), tolerance_cents, ())
    with paused_gc():
        return _reconcile(lines, payers, practice, tables_for_date, tables_for_year, tolerance_cents)


def _reconcile(lines: tuple[RemitLine, ...], payers: Mapping[str, Payer] | Sequence[Payer], practice: Practice,
               tables_for_date: TablesForDate, tables_for_year: TablesForYear, tolerance_cents: int
               ) -> Reconciliation:
    """``reconcile`` itself (garbage collector paused)."""
    practice = dataclasses.replace(practice, charges={})  # "lesser of" uses the billed charge on the line
    contract = audit_claims(_claim_lines(lines, practice, [x.payer for x in lines]), payers=payers,
                            practice=practice, tables_for_date=tables_for_date, tables_for_year=tables_for_year,
                            tolerance_cents=tolerance_cents)
    # Medicare's amount for the same lines: the contract's own where the payer is Medicare, else priced again.
    medicare_key = MEDICARE.casefold()
    others = [i for i, x in enumerate(lines) if x.payer.strip().casefold() != medicare_key]
    med = contract.expected_cents.copy()
    has_med = contract.has_expected.copy()
    if others:
        priced = audit_claims(_claim_lines([lines[i] for i in others], practice, (MEDICARE,) * len(others)),
                              payers=[MEDICARE_PAYER], practice=practice, tables_for_date=tables_for_date,
                              tables_for_year=tables_for_year, tolerance_cents=tolerance_cents)
        med[others] = priced.expected_cents
        has_med[others] = priced.has_expected
    rule: dict[int, str] = {}
    for f in contract.findings:
        if f.finding.severity != "error" or f.finding.code in PAYMENT_FINDINGS:
            continue
        targets = [f.line] if f.line is not None else list(contract.claims[f.claim].lines)
        for i in targets:
            rule.setdefault(i, f"{f.finding.code}: {f.finding.message}")
    expected, has_expected = contract.expected_cents.tolist(), contract.has_expected.tolist()
    med_list, has_med_list = med.tolist(), has_med.tolist()
    results = []
    for i, line in enumerate(lines):
        exp = int(expected[i]) if has_expected[i] else None
        results.append(_classify(line, exp, int(med_list[i]) if has_med_list[i] else None, rule.get(i),
                                 tolerance_cents))
    return Reconciliation(lines, tuple(results), tolerance_cents, contract.releases)


def _denial(line: RemitLine) -> tuple[str, str] | None:
    for group, code, amount in line.adjustments:
        if amount > 0 and group != "PR" and remit_codes.reason(code).denial:
            return group, code
    return None


def _classify(line: RemitLine, expected: int | None, medicare: int | None, rule: str | None,
              tolerance: int) -> LineResult:
    allowed = line.allowed
    denial = _denial(line)
    if allowed <= 0 < line.charge_cents:
        group, code = denial or next(((g, c) for g, c, a in line.adjustments if a > 0), ("", ""))
        why = remit_codes.describe(group, code) if code else "nothing allowed, no reason code given"
        remarks = "; ".join(remit_codes.describe_remark(r) for r in line.remarks)
        if remarks:
            why += f" ({remarks})"
        if rule is not None:
            why += f" -- rightly: {rule}"
        elif expected is not None:
            why += f" -- no billing rule explains it; the contract allows {format_money(expected)}"
        return LineResult("denied", expected, medicare, (group, code) if code else None, rule, why)
    if expected is None:
        return LineResult("unreconciled", None, medicare, denial, rule,
                          f"no contract amount for {line.code} under {line.payer!r} (add the payer with "
                          "'estimator payers add' or check the code)")
    if allowed < expected - tolerance:
        return LineResult("underpaid", expected, medicare, denial, rule,
                          f"allowed {format_money(allowed)}, the contract allows {format_money(expected)}: "
                          f"underpaid by {format_money(expected - allowed)}")
    if allowed > expected + tolerance:
        return LineResult("overpaid", expected, medicare, denial, rule,
                          f"allowed {format_money(allowed)}, the contract allows {format_money(expected)}: "
                          f"overpaid by {format_money(allowed - expected)}")
    if line.paid_cents == 0 and line.patient_cents > 0:
        return LineResult("patient", expected, medicare, denial, rule,
                          f"allowed as contracted; the patient owes {format_money(line.patient_cents)}")
    return LineResult("paid", expected, medicare, denial, rule, "paid as contracted")


# --- scorecard ---------------------------------------------------------------------------------------------

def _pct(part: int, whole: int) -> str | None:
    if whole <= 0:
        return None
    return str((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


class _Columns:
    """Every line's figures as integer arrays, built once; a group is an index array into them."""

    def __init__(self, rec: Reconciliation) -> None:
        lines, results = rec.lines, rec.results
        n = len(lines)

        def ints(values: Any) -> IntArray:
            return np.fromiter(values, dtype=np.int64, count=n)

        self.billed = ints(x.charge_cents for x in lines)
        self.paid = ints(x.paid_cents for x in lines)
        self.patient = ints(x.patient_cents for x in lines)
        self.allowed = ints(x.allowed for x in lines)
        self.contract = ints(r.expected_cents or 0 for r in results)
        self.medicare = ints(r.medicare_cents or 0 for r in results)
        self.has_medicare = np.fromiter((r.medicare_cents is not None for r in results), dtype=np.bool_, count=n)
        self.status = ints(STATUSES.index(r.status) for r in results)
        self.days = ints((x.paid_on - x.service_date).days for x in lines)
        self.denial = [f"{r.denial[0]}-{r.denial[1]}" if r.status == "denied" and r.denial else "" for r in results]

    def group(self, members: IntArray) -> dict[str, Any]:
        """The scorecard figures of the lines ``members``."""
        status = self.status[members]
        counts = np.bincount(status, minlength=len(STATUSES)).tolist()
        under = status == STATUSES.index("underpaid")
        over = status == STATUSES.index("overpaid")
        paid, patient, allowed = self.paid[members], self.patient[members], self.allowed[members]
        contract = self.contract[members]
        has_med = self.has_medicare[members]
        medicare = int(self.medicare[members][has_med].sum())
        received = int((paid + patient)[has_med].sum())
        carcs: dict[str, int] = {}
        for i in members[status == STATUSES.index("denied")].tolist():
            if self.denial[i]:
                carcs[self.denial[i]] = carcs.get(self.denial[i], 0) + 1
        days = self.days[members][paid > 0]
        n = len(members)
        return {
            "lines": n, "billed": format_money(int(self.billed[members].sum())),
            "paid": format_money(int(paid.sum())), "patient_responsibility": format_money(int(patient.sum())),
            "allowed": format_money(int(allowed.sum())), "contract": format_money(int(contract.sum())),
            "medicare": format_money(medicare), "effective_pct_of_medicare": _pct(received, medicare),
            "underpaid_lines": counts[STATUSES.index("underpaid")],
            "underpaid": format_money(int((contract - allowed)[under].sum())),
            "overpaid_lines": counts[STATUSES.index("overpaid")],
            "overpaid": format_money(int((allowed - contract)[over].sum())),
            "denied_lines": counts[STATUSES.index("denied")],
            "denial_rate_pct": _pct(counts[STATUSES.index("denied")], n),
            "denials_by_carc": dict(sorted(carcs.items())),
            "unreconciled_lines": counts[STATUSES.index("unreconciled")],
            "median_days_to_payment": float(np.median(days)) if len(days) else None,
        }


def _by(columns: _Columns, keys: list[str], name: str, members: IntArray) -> list[dict[str, Any]]:
    """One row per distinct key among ``members``, in key order."""
    distinct, inverse = np.unique(np.array(keys, dtype=object)[members].astype(str), return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(distinct) + 1))
    return [{name: str(key), **columns.group(members[order[bounds[k]:bounds[k + 1]]])}
            for k, key in enumerate(distinct.tolist())]


def scorecard(rec: Reconciliation) -> dict[str, Any]:
    """Per payer (with its codes and months), per code, per month, and the total (plain data for JSON)."""
    with paused_gc():
        return _scorecard(rec)


def _scorecard(rec: Reconciliation) -> dict[str, Any]:
    lines = rec.lines
    columns = _Columns(rec)
    everything = np.arange(len(lines), dtype=np.int64)
    month_of = {d: d.strftime("%Y-%m") for d in {x.service_date for x in lines}}
    payers, codes = [x.payer for x in lines], [x.code for x in lines]
    months = [month_of[x.service_date] for x in lines]
    payer_array = np.array(payers, dtype=object)
    by_payer = []
    for row in _by(columns, payers, "payer", everything):
        members = everything[payer_array == row["payer"]]
        row["by_code"] = _by(columns, codes, "code", members)
        row["by_month"] = _by(columns, months, "month", members)
        by_payer.append(row)
    return {
        "tolerance": format_money(rec.tolerance_cents), "tables": list(rec.releases),
        "total": columns.group(everything),
        "payers": by_payer,
        "codes": _by(columns, codes, "code", everything),
        "months": _by(columns, months, "month", everything),
    }


RECOVERY_COLUMNS: Final = ("payer", "payer_claim_id", "claim_id", "line", "service_date", "code", "modifiers",
                           "units", "status", "billed", "contract", "allowed", "paid", "at_stake", "reason_code",
                           "remarks", "why", "action")


def recovery_rows(rec: Reconciliation) -> list[dict[str, Any]]:
    """The underpaid and wrongly denied lines, most money first: what to appeal and why."""
    rows: list[dict[str, Any]] = []
    stakes: list[int] = []
    for i, (x, r) in enumerate(zip(rec.lines, rec.results, strict=True)):
        if not rec.recoverable(i) or r.expected_cents is None:
            continue
        stake = r.expected_cents - x.allowed
        if r.status == "denied":
            code = r.denial[1] if r.denial else ""
            action = remit_codes.reason(code).action if code else "Ask the payer why nothing was allowed."
            reason_code = f"{r.denial[0]}-{r.denial[1]}" if r.denial else ""
        else:
            action = (f"Appeal the underpayment: ask the payer to reprocess {x.code} at the contract rate "
                      f"{format_money(r.expected_cents)}.")
            reason_code = ""
        rows.append({
            "payer": x.payer, "payer_claim_id": x.payer_claim_id, "claim_id": x.claim_id, "line": x.line_id,
            "service_date": x.service_date.isoformat(), "code": x.code, "modifiers": " ".join(x.modifiers),
            "units": x.units, "status": r.status, "billed": format_money(x.charge_cents),
            "contract": format_money(r.expected_cents), "allowed": format_money(x.allowed),
            "paid": format_money(x.paid_cents), "at_stake": format_money(stake), "reason_code": reason_code,
            "remarks": " ".join(x.remarks), "why": r.reason, "action": action,
        })
        stakes.append(stake)
    order = sorted(range(len(rows)), key=lambda k: (-stakes[k], rows[k]["payer"], rows[k]["service_date"],
                                                    rows[k]["payer_claim_id"], rows[k]["line"]))
    return [rows[k] for k in order]


def line_rows(rec: Reconciliation) -> list[dict[str, Any]]:
    """Every reconciled line (for the app's table and the JSON export); no patient ids."""
    return [{
        "payer": x.payer, "payer_claim_id": x.payer_claim_id, "claim_id": x.claim_id, "line": x.line_id,
        "service_date": x.service_date.isoformat(), "paid_on": x.paid_on.isoformat(), "code": x.code,
        "modifiers": " ".join(x.modifiers), "units": x.units, "billed": format_money(x.charge_cents),
        "allowed": format_money(x.allowed), "paid": format_money(x.paid_cents),
        "patient": format_money(x.patient_cents),
        "contract": None if r.expected_cents is None else format_money(r.expected_cents),
        "status": r.status, "why": r.reason,
        "adjustments": " ".join(f"{g}-{c} {format_money(a)}" for g, c, a in x.adjustments),
    } for x, r in zip(rec.lines, rec.results, strict=True)]


def month_series(rec: Reconciliation) -> dict[str, list[tuple[str, int, int]]]:
    """Per payer: (month, paid + patient cents, contract cents) by month of service, for the chart."""
    out: dict[str, dict[str, list[int]]] = {}
    for x, r in zip(rec.lines, rec.results, strict=True):
        if r.expected_cents is None:
            continue
        month = out.setdefault(x.payer, {}).setdefault(x.service_date.strftime("%Y-%m"), [0, 0])
        month[0] += x.paid_cents + x.patient_cents
        month[1] += r.expected_cents
    return {p: [(m, v[0], v[1]) for m, v in sorted(ms.items())] for p, ms in sorted(out.items())}
