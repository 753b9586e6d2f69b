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

Speed (issue 18: 100,000 lines imported and reconciled in 5 s)
    The lines' amounts become arrays once (``_Lines``: adjustments summed once per distinct set); both
    audits read them (the Medicare one a subset of the same arrays) and leave out the payment findings and
    totals they would write for each underpaid line (``payment_report=False``: the status says it).  Every
    status is one mask over arrays (``_statuses``), the scorecard sums arrays (``LineColumns``), and a
    line's ``LineResult`` with its reason in words is built by ``_classify`` only when it is looked at
    (``LineResults``).  ``tests/core/test_scorecard.py`` checks it all against the line-by-line way.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter
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
from estimator.core.remits import Adjustment, RemitLine
from estimator.core.schedule import BoolArray
from estimator.core.sequences import BuiltOnRead

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


class LineResults(BuiltOnRead[LineResult]):
    """Every line's ``LineResult``, each built (with its reason in words) when it is looked at.

    The scorecard reads the columns of ``Reconciliation`` and never these; 100,000 reasons in words, built
    up front, would cost more than the reconciliation.  ``results[i]`` is ``_classify`` of line ``i``.
    """

    def __init__(self, lines: tuple[RemitLine, ...], expected: list[int | None], medicare: list[int | None],
                 rule: Mapping[int, str], tolerance_cents: int) -> None:
        self._lines, self._expected, self._medicare = lines, expected, medicare
        self._rule, self._tolerance = rule, tolerance_cents

    def __len__(self) -> int:
        return len(self._lines)

    def _item(self, index: int) -> LineResult:
        return _classify(self._lines[index], self._expected[index], self._medicare[index], self._rule.get(index),
                         self._tolerance)


@dataclass(frozen=True, slots=True, eq=False)
class LineColumns:
    """Every reconciled line's figures as arrays (index ``i`` is line ``i``): what the scorecard sums.

    ``status`` indexes ``STATUSES`` and agrees with ``results[i].status`` (``tests/core/test_scorecard.py``
    checks it on generated remittances); ``denial_of`` indexes ``denials`` ("CO-97" ...; "" where the line
    is not denied or no adjustment says why).  Amounts are cents; dates are ordinals.
    """

    status: IntArray
    billed: IntArray
    paid: IntArray
    patient: IntArray
    allowed: IntArray
    expected: IntArray
    has_expected: BoolArray
    medicare: IntArray
    has_medicare: BoolArray
    service: IntArray
    paid_on: IntArray
    denial_of: IntArray
    denials: tuple[str, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Reconciliation:
    """The lines and their results, aligned (``results`` built on demand, ``columns`` for sums)."""

    lines: tuple[RemitLine, ...]
    results: Sequence[LineResult]
    tolerance_cents: int
    releases: tuple[str, ...]
    columns: LineColumns
    rules: Mapping[int, str]  # line -> the billing-rule finding that explains a denial

    def recoverable(self, i: int) -> bool:
        status = STATUSES[int(self.columns.status[i])]
        if status == "underpaid":
            return True
        return status == "denied" and i not in self.rules and bool(self.columns.has_expected[i])

    def recoverable_lines(self) -> list[int]:
        """The lines ``recoverable`` says yes to, in order."""
        c = self.columns
        underpaid = (c.status == _UNDERPAID).tolist()
        candidates = np.flatnonzero((c.status == _UNDERPAID) | ((c.status == _DENIED) & c.has_expected)).tolist()
        return [i for i in candidates if underpaid[i] or i not in self.rules]


_DENIED: Final = STATUSES.index("denied")
_UNDERPAID: Final = STATUSES.index("underpaid")


def _ids(values: Sequence[Any]) -> tuple[IntArray, list[Any]]:
    """Small integer ids for hashable values (equal values, equal ids; in order of first appearance)."""
    distinct = list(dict.fromkeys(values))
    index = {v: i for i, v in enumerate(distinct)}
    return np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values)), distinct


def _adjustment_facts(adjustments: tuple[Adjustment, ...]) -> tuple[int, int, str]:
    """(patient cents, CO-253 cents, "CO-97": what a denied line is denied for, "" for nothing) of one line's
    adjustments, as ``RemitLine.patient_cents``, ``RemitLine.allowed`` and ``_classify`` take them."""
    patient = sum(a for g, _, a in adjustments if g == "PR")
    sequestration = sum(a for g, c, a in adjustments if g != "PR" and c == "253")
    group, code = _denial_of(adjustments) or next(((g, c) for g, c, a in adjustments if a > 0), ("", ""))
    return patient, sequestration, f"{group}-{code}" if code else ""


@dataclass(frozen=True, slots=True)
class _Lines:
    """What reconciling needs of the lines, computed once: the amounts as arrays, the claim lines' columns."""

    billed: IntArray
    paid: IntArray
    patient: IntArray
    allowed: IntArray
    units: IntArray
    service: IntArray
    paid_on: IntArray
    denial_of: IntArray
    denials: tuple[str, ...]
    claim_ids: tuple[str, ...]
    patient_ids: tuple[str, ...]
    codes: tuple[str, ...]
    modifiers: tuple[tuple[str, ...], ...]

    @staticmethod
    def of(lines: tuple[RemitLine, ...]) -> _Lines:
        n = len(lines)

        def ints(name: str) -> IntArray:
            return np.fromiter(map(attrgetter(name), lines), dtype=np.int64, count=n)

        def ordinals(name: str) -> IntArray:
            return np.fromiter(map(dt.date.toordinal, map(attrgetter(name), lines)), dtype=np.int64, count=n)

        adjustment_of, distinct = _ids([x.adjustments for x in lines])
        facts = [_adjustment_facts(a) for a in distinct]
        patient = np.array([f[0] for f in facts], dtype=np.int64)[adjustment_of]
        sequestration = np.array([f[1] for f in facts], dtype=np.int64)[adjustment_of]
        label_of, labels = _ids([f[2] for f in facts])
        paid = ints("paid_cents")
        b6 = [x.allowed_cents for x in lines]
        has_b6 = np.fromiter((a is not None for a in b6), dtype=np.bool_, count=n)
        allowed = np.where(has_b6, np.fromiter((a or 0 for a in b6), dtype=np.int64, count=n),
                           paid + patient + sequestration)
        iso = {d: d.isoformat() for d in {x.service_date for x in lines}}
        return _Lines(
            billed=ints("charge_cents"), paid=paid, patient=patient, allowed=allowed, units=ints("units"),
            service=ordinals("service_date"), paid_on=ordinals("paid_on"),
            denial_of=label_of[adjustment_of], denials=tuple(labels),
            claim_ids=tuple(f"{x.payer_claim_id} {iso[x.service_date]} {x.payer}" for x in lines),
            patient_ids=tuple(x.patient_id or x.claim_id for x in lines), codes=tuple(map(attrgetter("code"), lines)),
            modifiers=tuple(map(attrgetter("modifiers"), lines)))

    def take(self, subset: IntArray) -> _Lines:
        """The lines ``subset`` only."""
        at = subset.tolist()

        def items(values: tuple[Any, ...]) -> tuple[Any, ...]:
            return tuple(values[i] for i in at)

        return _Lines(
            billed=self.billed[subset], paid=self.paid[subset], patient=self.patient[subset],
            allowed=self.allowed[subset], units=self.units[subset], service=self.service[subset],
            paid_on=self.paid_on[subset], denial_of=self.denial_of[subset], denials=self.denials,
            claim_ids=items(self.claim_ids), patient_ids=items(self.patient_ids), codes=items(self.codes),
            modifiers=items(self.modifiers))

    def claim_lines(self, practice: Practice, payer_names: Sequence[str]) -> ClaimLines:
        """The lines as the claims audit's batch (one claim per payer claim number, date and payer name),
        billed to ``payer_names``, at the practice's place of service and locality (an 835 has neither)."""
        n = len(self.claim_ids)
        return ClaimLines(
            line_numbers=np.arange(1, n + 1, dtype=np.int64), claim_ids=self.claim_ids,
            patient_ids=self.patient_ids, dates=self.service, payers=tuple(payer_names),
            places=(practice.place_of_service,) * n, localities=(practice.locality_key,) * n,
            codes=self.codes, units=self.units, modifiers=self.modifiers, diagnoses=((),) * n,
            billed_cents=self.billed, has_billed=np.ones(n, dtype=np.bool_),
            allowed_cents=self.allowed, has_allowed=np.ones(n, dtype=np.bool_),
            paid_cents=self.paid, has_paid=np.ones(n, dtype=np.bool_), prior_auth=np.full(n, -1, dtype=np.int8),
            diagnoses_given=False)


def reconcile(lines: Sequence[RemitLine], *, payers: Mapping[str, Payer] | Sequence[Payer], practice: Practice,
              tables_for_date: TablesForDate, tables_for_year: TablesForYear,
              tolerance_cents: int = DEFAULT_TOLERANCE_CENTS) -> Reconciliation:
    """Reconcile every remitted line with its payer's contract and the billing rules (see the module docstring).

    Raises:
        InputError: a negative tolerance.
    """
    lines = tuple(lines)
    with paused_gc():
        return _reconcile(lines, payers, practice, tables_for_date, tables_for_year, tolerance_cents)


def _reconcile(lines: tuple[RemitLine, ...], payers: Mapping[str, Payer] | Sequence[Payer], practice: Practice,
               tables_for_date: TablesForDate, tables_for_year: TablesForYear, tolerance_cents: int
               ) -> Reconciliation:
    """``reconcile`` itself (garbage collector paused)."""
    n = len(lines)
    if not n:
        empty, none = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.bool_)
        columns = LineColumns(empty, empty, empty, empty, empty, empty, none, empty, none, empty, empty, empty, ())
        return Reconciliation((), LineResults((), [], [], {}, tolerance_cents), tolerance_cents, (), columns, {})
    cols = _Lines.of(lines)
    practice = dataclasses.replace(practice, charges={})  # "lesser of" uses the billed charge on the line
    # The payment comparison's own findings and totals are not read here (the status says it per line).
    contract = audit_claims(cols.claim_lines(practice, [x.payer for x in lines]), payers=payers,
                            practice=practice, tables_for_date=tables_for_date, tables_for_year=tables_for_year,
                            tolerance_cents=tolerance_cents, payment_report=False)
    # Medicare's amount for the same lines: the contract's own where the payer is Medicare, else priced again.
    medicare_key = MEDICARE.casefold()
    keys = {name: name.strip().casefold() != medicare_key for name in {x.payer for x in lines}}
    others = np.flatnonzero(np.fromiter((keys[x.payer] for x in lines), dtype=np.bool_, count=n))
    med = contract.expected_cents.copy()
    has_med = contract.has_expected.copy()
    if len(others):
        priced = audit_claims(cols.take(others).claim_lines(practice, (MEDICARE,) * len(others)),
                              payers=[MEDICARE_PAYER], practice=practice, tables_for_date=tables_for_date,
                              tables_for_year=tables_for_year, tolerance_cents=tolerance_cents, payment_report=False)
        med[others] = priced.expected_cents
        has_med[others] = priced.has_expected
    rule: dict[int, str] = {}
    for f in contract.findings:
        if f.finding.severity != "error" or f.finding.code in PAYMENT_FINDINGS:
            continue
        targets = [f.line] if f.line is not None else list(contract.claims[f.claim].lines)
        for i in targets:
            rule.setdefault(i, f"{f.finding.code}: {f.finding.message}")
    expected, has_expected = contract.expected_cents, contract.has_expected
    columns = LineColumns(
        status=_statuses(cols, expected, has_expected, tolerance_cents), billed=cols.billed, paid=cols.paid,
        patient=cols.patient, allowed=cols.allowed, expected=np.where(has_expected, expected, 0),
        has_expected=has_expected, medicare=np.where(has_med, med, 0), has_medicare=has_med, service=cols.service,
        paid_on=cols.paid_on, denial_of=cols.denial_of, denials=cols.denials)
    exp_list = [e if h else None for e, h in zip(expected.tolist(), has_expected.tolist(), strict=True)]
    med_list = [m if h else None for m, h in zip(med.tolist(), has_med.tolist(), strict=True)]
    return Reconciliation(lines, LineResults(lines, exp_list, med_list, rule, tolerance_cents), tolerance_cents,
                          contract.releases, columns, rule)


def _statuses(cols: _Lines, expected: IntArray, has_expected: BoolArray, tolerance: int) -> IntArray:
    """Every line's status (an index into ``STATUSES``), first match wins -- ``_classify`` on arrays."""
    allowed = cols.allowed
    status = np.full(len(allowed), STATUSES.index("paid"), dtype=np.int64)
    patient = (cols.paid == 0) & (cols.patient > 0)
    # Assigned from the last rule to the first, so the first that matches is the one that stays.
    for name, mask in (("patient", patient), ("overpaid", allowed > expected + tolerance),
                       ("underpaid", allowed < expected - tolerance), ("unreconciled", ~has_expected),
                       ("denied", (allowed <= 0) & (cols.billed > 0))):
        status[mask] = STATUSES.index(name)
    return status


def _denial(line: RemitLine) -> tuple[str, str] | None:
    return _denial_of(line.adjustments)


def _denial_of(adjustments: tuple[Adjustment, ...]) -> tuple[str, str] | None:
    """The first adjustment that denies (a denial CARC, not the patient's share), as (group, CARC)."""
    for group, code, amount in adjustments:
        if amount > 0 and group != "PR" and remit_codes.reason(code).denial:
            return group, code
    return None


def _classify(line: RemitLine, expected: int | None, medicare: int | None, rule: str | None,
              tolerance: int) -> LineResult:
    """One line's result, the reference for ``_statuses`` (see the module docstring for the order)."""
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


class _Group:
    """Sums the scorecard figures of a group of lines (an index array into the reconciliation's columns)."""

    def __init__(self, columns: LineColumns) -> None:
        self.c = columns
        self.days = columns.paid_on - columns.service

    def __call__(self, members: IntArray) -> dict[str, Any]:
        """The scorecard figures of the lines ``members``."""
        c = self.c
        status = c.status[members]
        counts = np.bincount(status, minlength=len(STATUSES)).tolist()
        under = status == _UNDERPAID
        over = status == STATUSES.index("overpaid")
        paid, patient, allowed = c.paid[members], c.patient[members], c.allowed[members]
        contract = c.expected[members]
        has_med = c.has_medicare[members]
        medicare = int(c.medicare[members][has_med].sum())
        received = int((paid + patient)[has_med].sum())
        per_label = np.bincount(c.denial_of[members[status == _DENIED]], minlength=len(c.denials)).tolist()
        carcs = {label: k for label, k in zip(c.denials, per_label, strict=True) if label and k}
        days = self.days[members][paid > 0]
        n = len(members)
        return {
            "lines": n, "billed": format_money(int(c.billed[members].sum())),
            "paid": format_money(int(paid.sum())), "patient_responsibility": format_money(int(patient.sum())),
            "allowed": format_money(int(allowed.sum())), "contract": format_money(int(contract.sum())),
            "medicare": format_money(medicare), "effective_pct_of_medicare": _pct(received, medicare),
            "underpaid_lines": counts[_UNDERPAID],
            "underpaid": format_money(int((contract - allowed)[under].sum())),
            "overpaid_lines": counts[STATUSES.index("overpaid")],
            "overpaid": format_money(int((allowed - contract)[over].sum())),
            "denied_lines": counts[_DENIED],
            "denial_rate_pct": _pct(counts[_DENIED], n),
            "denials_by_carc": dict(sorted(carcs.items())),
            "unreconciled_lines": counts[STATUSES.index("unreconciled")],
            "median_days_to_payment": float(np.median(days)) if len(days) else None,
        }


@dataclass(frozen=True, slots=True)
class _Key:
    """A grouping key of every line as its rank among the key's distinct values in sorted order."""

    rank: IntArray
    names: list[str]

    @staticmethod
    def of(values: Sequence[str]) -> _Key:
        ids, distinct = _ids(values)
        order = sorted(range(len(distinct)), key=distinct.__getitem__)
        rank = np.empty(len(distinct), dtype=np.int64)
        rank[order] = np.arange(len(distinct), dtype=np.int64)
        return _Key(rank[ids], [distinct[k] for k in order])


def _by(group: _Group, key: _Key, name: str, members: IntArray) -> list[dict[str, Any]]:
    """One row per distinct key among ``members``, in key order."""
    distinct, inverse = np.unique(key.rank[members], return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(distinct) + 1))
    return [{name: key.names[value], **group(members[order[bounds[k]:bounds[k + 1]]])}
            for k, value in enumerate(distinct.tolist())]


def scorecard(rec: Reconciliation) -> dict[str, Any]:
    """Per payer (with its codes and months), per code, per month, and the total (plain data for JSON)."""
    with paused_gc():
        return _scorecard(rec)


def _scorecard(rec: Reconciliation) -> dict[str, Any]:
    lines = rec.lines
    group = _Group(rec.columns)
    everything = np.arange(len(lines), dtype=np.int64)
    days, day_of = np.unique(rec.columns.service, return_inverse=True)
    month_names = [dt.date.fromordinal(d).strftime("%Y-%m") for d in days.tolist()]
    payers, codes = _Key.of([x.payer for x in lines]), _Key.of([x.code for x in lines])
    months = _Key.of([month_names[d] for d in day_of.tolist()])
    by_payer = []
    for row in _by(group, payers, "payer", everything):
        members = everything[payers.rank == payers.names.index(row["payer"])]
        row["by_code"] = _by(group, codes, "code", members)
        row["by_month"] = _by(group, months, "month", members)
        by_payer.append(row)
    return {
        "tolerance": format_money(rec.tolerance_cents), "tables": list(rec.releases),
        "total": group(everything),
        "payers": by_payer,
        "codes": _by(group, codes, "code", everything),
        "months": _by(group, months, "month", everything),
    }


RECOVERY_COLUMNS: Final = ("payer", "payer_claim_id", "claim_id", "line", "service_date", "code", "modifiers",
                           "units", "status", "billed", "contract", "allowed", "paid", "at_stake", "reason_code",
                           "remarks", "why", "action")


def recovery_rows(rec: Reconciliation) -> list[dict[str, Any]]:
    """The underpaid and wrongly denied lines, most money first: what to appeal and why."""
    rows: list[dict[str, Any]] = []
    stakes: list[int] = []
    for i in rec.recoverable_lines():
        x, r = rec.lines[i], rec.results[i]
        if r.expected_cents is None:
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
    c = rec.columns
    expected = c.expected.tolist()
    for i in np.flatnonzero(c.has_expected).tolist():
        x = rec.lines[i]
        month = out.setdefault(x.payer, {}).setdefault(x.service_date.strftime("%Y-%m"), [0, 0])
        month[0] += x.paid_cents + x.patient_cents
        month[1] += expected[i]
    return {p: [(m, v[0], v[1]) for m, v in sorted(ms.items())] for p, ms in sorted(out.items())}
