"""Auditing past claims in bulk: rule violations, denial risks and underpayments (issue 8).

Pure: validated claim lines in (``ClaimLines``, a columnar batch), an ``AuditResult`` out.  Reading files
lives in ``estimator.store.claims_csv``; this module does no I/O.

How one claim is audited
    Lines are grouped by claim id; a claim is one patient, one date of service, one payer, one place of
    service and one locality (a claim whose lines disagree is held out and each odd line is named).  Every
    line, E/M visits included, becomes a ``ServiceLine`` with the modifiers *as billed* (the encounter's
    ``em_code`` is not used, so a missing 25 is seen), and the encounter engine runs:
    ``encounter.price_lines`` then ``rules.check_claim``.

Which encounter-engine findings an audit keeps
    Every error and warning.  Of the advisory (info) findings, ``DROPPED_INFO`` are dropped:
    ``documentation-unchecked`` (a claim file carries no chart notes, so it would fire on every destruction
    claim) and ``mppr-applied`` (it describes the estimate's own reduction; an audit instead asks whether
    the claim and the remittance carried the reduction, see "missing MPPR" below).  Other info findings
    (``restricted-coverage``) are kept.  ``diagnosis-missing`` is dropped when the file has no diagnosis
    column at all (one notice would say as much as a warning on every line).

Rules that need history or the remittance (added here)
    ``global-period-visit`` / ``global-period-procedure``: the same patient's earlier procedure lines in
        the file with a 010 or 090 global period become ``PriorService`` values of later claims, and
        ``rules.check_global_period`` runs on them.
    ``frequency-limit`` (error): a payer with ``frequency_count`` N and ``frequency_days`` M covers
        actinic-keratosis destruction (17000/17003/17004) at most N times per patient within M days.
        Claims to that payer are counted per patient; the claim that makes N+1 claims dated within M days
        of each other (its date minus an earlier date < M) is the finding.
    ``prior-auth-missing`` (error): a line whose code is on the payer's prior-authorization list and whose
        authorization column is empty or says no (an authorization number or "yes" counts as given).
        ``prior-auth-unverified`` (warning): the same line when the file has no authorization column.
    ``mppr-missing`` (warning), "missing MPPR on the second procedure", precisely: a line that the
        multiple-procedure rule reduces (an indicator-2 procedure ranked 2nd or lower on its claim, under a
        payer that applies the reduction at less than 100%) and either
        (a) has a remitted allowed amount exceeding the reduced expected amount by the tolerance or more
            -- the payer paid it (nearly) in full, an overpayment a post-payment review takes back; or
        (b) has no remitted amount and was billed without modifier 51 -- the claim as sent does not show the
            reduction, which payers that require 51 deny or pay in full.
        A reduced line remitted at its reduced amount is correct even without 51: no finding.
    ``underpaid`` (error): a line with a remitted allowed amount that is below the expected allowed amount
        by the tolerance or more.  Expected allowed = ``payers.allowed_lines`` for the claim's payer with
        the tables of its date of service, then the lesser of that and the line's billed charge where the
        contract pays "lesser of" (Medicare always).  Lines with an error finding of their own (a coding
        error the payer rightly denied or cut), lines the contract has no rate for, unpayable lines and
        claims outside the contract's dates are not compared.  Lines of one claim with the same code are
        paired with the remittance by size (the payer may have reduced either).  The paid amount is carried
        but not compared: it depends on the patient's deductible and coinsurance, which a claim file lacks.
    ``contract-not-effective`` (error): the date of service is outside the payer's contract dates.

Payer and locality
    The claim's payer is looked up by name (case-insensitive).  An unknown payer is a notice on each of its
    lines: the claim's rules still run but its payment is not audited.  For a contract priced off Medicare
    not pinned to a named locality, the claim's own locality is used, as in every path (the locality is set by where the
    service was performed); the practice's charge master is not used for "lesser of" -- the billed charge
    on the line is.

Speed
    Pricing and the date-independent rules depend only on a claim's *signature*: tables release, place of
    service, locality, payer and the sorted (code, modifiers, units) of its lines, plus their diagnoses for
    the rules.  Each signature is evaluated once, by batch pricing (``estimator.core.batch_pricing``): the
    claim *plan* -- which lines are priced and paid, bilateral %s, multiple-procedure ranking, and the rules'
    findings -- is taken from the engine (``price_lines``, ``check_claim``) once per (tables, place, lines),
    whatever the locality and payer; unit amounts come from one vectorized formula pass per schedule row over
    every locality; the ranking and the contract's amounts are then plain integer arithmetic.  Claims whose
    findings state an amount (bilateral lines, more than five ranked units) or whose contract batch pricing
    does not take (self-pay) are priced by the engine whole, and a claim with at most one indicator-2 unit
    is priced line by line from cached one-line claims.  The per-line amounts are gathered with numpy, and
    the history rules (global periods, frequency limits) are binary searches over sorted arrays.
    ``audit_claims(..., cache=False)`` prices every claim afresh through the engine (the benchmark's
    baseline); ``tests/core/test_audit.py`` checks on hypothesis-generated claims (11 contracts, every
    locality kind, par and non-par, QP) that both ways give exactly the same amounts and findings.  The
    garbage collector is paused while a batch is built (see ``paused_gc``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from estimator.core import batch_pricing as batch
from estimator.core import codes as cs
from estimator.core.encounter import Claim, Encounter, PriorService, ServiceLine, price_lines
from estimator.core.errors import EstimatorError, InputError
from estimator.core.findings import SEVERITY_ORDER, Finding, Severity
from estimator.core.money import IntArray, format_money
from estimator.core.payers import Method, Payer, Practice, allowed_lines, no_contract_rate
from estimator.core.pricing import cf_scaled
from estimator.core.rules import GLOBAL_AFTER_DAYS, SRC_MPPR, check_claim, check_global_period
from estimator.core.schedule import NATIONAL_KEY, BoolArray, Setting, TableSet
from estimator.core.sequences import BuiltOnRead

Int8Array = npt.NDArray[np.int8]
TablesForDate = Callable[[dt.date], TableSet]
TablesForYear = Callable[[int], TableSet]
ProgressFn = Callable[[float], None]

#: Default tolerance: a remittance this close to the contract is not called an underpayment.
DEFAULT_TOLERANCE_CENTS: Final = 100
#: Advisory findings of the encounter engine that an audit of past claims drops (see module docstring).
DROPPED_INFO: Final = frozenset({"documentation-unchecked", "mppr-applied"})
#: Payer findings of ``allowed_lines`` the audit replaces with its own date- and history-aware rules.
REPLACED_PAYER_FINDINGS: Final = frozenset({"prior-authorization", "contract-not-effective"})
AK_DESTRUCTION: Final = cs.PREMALIGNANT
HISTORY_GLOBALS: Final = frozenset({"010", "090"})
PROGRESS_EVERY: Final = 2_000
MAX_UNITS: Final = 999

SRC_FREQUENCY: Final = "payer contract: frequency limit for actinic keratosis destruction (17000-17004)"
SRC_PRIOR_AUTH: Final = "payer contract: codes that need prior authorization"
SRC_CONTRACT: Final = "payer contract; remittance advice (835) allowed amount"

ProblemKind = Literal["bad", "held-out", "notice"]


# --- input ------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AuditLine:
    """One claim line as a row (tests and small callers); ``ClaimLines`` is the batch the audit reads."""

    claim_id: str
    patient_id: str
    date_of_service: dt.date
    payer: str
    code: str
    units: int = 1
    modifiers: tuple[str, ...] = ()
    diagnoses: tuple[str, ...] = ()
    place_of_service: str = "11"
    locality_key: str = NATIONAL_KEY
    billed_cents: int | None = None
    allowed_cents: int | None = None
    paid_cents: int | None = None
    prior_auth: bool | None = None  # None: the file has no authorization column
    line_number: int = 0  # 0: number it as a file would (header on line 1, this row after it)


def _int_array(values: Iterable[int]) -> IntArray:
    return np.fromiter(values, dtype=np.int64)


@dataclass(frozen=True, slots=True, eq=False)
class ClaimLines:
    """Validated claim lines, column by column (index ``i`` of every field is line ``i``).

    Amounts are integer cents; an amount column's ``has_*`` mask says where the file gave a value.  Dates
    are proleptic Gregorian ordinals (``dt.date.toordinal``).  ``prior_auth`` is 1 (authorized), 0 (not)
    or -1 (the file has no authorization column).  ``diagnoses_given`` is False when the file has no
    diagnosis column at all.
    """

    line_numbers: IntArray
    claim_ids: tuple[str, ...]
    patient_ids: tuple[str, ...]
    dates: IntArray
    payers: tuple[str, ...]
    places: tuple[str, ...]
    localities: tuple[str, ...]
    codes: tuple[str, ...]
    units: IntArray
    modifiers: tuple[tuple[str, ...], ...]
    diagnoses: tuple[tuple[str, ...], ...]
    billed_cents: IntArray
    has_billed: BoolArray
    allowed_cents: IntArray
    has_allowed: BoolArray
    paid_cents: IntArray
    has_paid: BoolArray
    prior_auth: Int8Array
    diagnoses_given: bool = True

    def __post_init__(self) -> None:
        n = len(self.claim_ids)
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, (tuple, np.ndarray)) and len(value) != n:
                raise InputError(f"claim lines: column {f.name} has {len(value)} entries, expected {n}")

    def __len__(self) -> int:
        return len(self.claim_ids)

    @staticmethod
    def from_lines(lines: Sequence[AuditLine], *, diagnoses_given: bool = True) -> ClaimLines:
        """A batch from row values; a line numbered 0 gets its position + 2 (as under a header line)."""
        def amounts(values: list[int | None]) -> tuple[IntArray, BoolArray]:
            return (_int_array(0 if v is None else v for v in values),
                    np.fromiter((v is not None for v in values), dtype=np.bool_, count=len(values)))

        billed, has_billed = amounts([x.billed_cents for x in lines])
        allowed, has_allowed = amounts([x.allowed_cents for x in lines])
        paid, has_paid = amounts([x.paid_cents for x in lines])
        return ClaimLines(
            line_numbers=_int_array(x.line_number or i + 2 for i, x in enumerate(lines)),
            claim_ids=tuple(x.claim_id for x in lines), patient_ids=tuple(x.patient_id for x in lines),
            dates=_int_array(x.date_of_service.toordinal() for x in lines),
            payers=tuple(x.payer for x in lines), places=tuple(x.place_of_service for x in lines),
            localities=tuple(x.locality_key for x in lines), codes=tuple(x.code for x in lines),
            units=_int_array(x.units for x in lines), modifiers=tuple(x.modifiers for x in lines),
            diagnoses=tuple(x.diagnoses for x in lines), billed_cents=billed, has_billed=has_billed,
            allowed_cents=allowed, has_allowed=has_allowed, paid_cents=paid, has_paid=has_paid,
            prior_auth=np.fromiter((-1 if x.prior_auth is None else int(x.prior_auth) for x in lines),
                                   dtype=np.int8, count=len(lines)),
            diagnoses_given=diagnoses_given,
        )

    def line(self, i: int) -> AuditLine:
        """Line ``i`` as a row value."""
        def amount(values: IntArray, has: BoolArray) -> int | None:
            return int(values[i]) if bool(has[i]) else None

        auth = int(self.prior_auth[i])
        return AuditLine(
            self.claim_ids[i], self.patient_ids[i], dt.date.fromordinal(int(self.dates[i])), self.payers[i],
            self.codes[i], int(self.units[i]), self.modifiers[i], self.diagnoses[i], self.places[i],
            self.localities[i], amount(self.billed_cents, self.has_billed),
            amount(self.allowed_cents, self.has_allowed), amount(self.paid_cents, self.has_paid),
            None if auth < 0 else bool(auth), int(self.line_numbers[i]))


@dataclass(frozen=True, slots=True)
class RowProblem:
    """Why a row was not audited (``bad``, ``held-out``) or was audited with a caveat (``notice``).

    ``bad``: the row itself is wrong (a bad date, an unknown code ...); ``held-out``: the row is fine but
    its claim has a bad row or cannot be priced, so the whole claim is kept out (a partial claim would give
    false findings, e.g. 17003 without its 17000); ``notice``: audited, with a limit (an unknown payer:
    rules checked, payment not).  Messages never contain a patient id.
    """

    line: int
    column: str  # the mapped field ("date_of_service", "code" ...) or "" for the whole row
    message: str
    claim_id: str | None = None
    kind: ProblemKind = "bad"

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "kind": self.kind, "message": self.message}


# --- output -----------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class AuditFinding:
    """One finding on one claim: ``claim`` indexes ``AuditResult.claims``; ``line`` indexes
    ``AuditResult.lines`` (None: the whole claim).

    Payment findings (``underpaid``, ``mppr-missing``) carry the expected and remitted allowed amounts.
    """

    claim: int
    line: int | None
    finding: Finding
    expected_cents: int | None = None
    remitted_cents: int | None = None

    @property
    def variance_cents(self) -> int | None:
        """Remitted minus expected (negative: underpaid)."""
        if self.expected_cents is None or self.remitted_cents is None:
            return None
        return self.remitted_cents - self.expected_cents


@dataclass(frozen=True, slots=True)
class AuditedClaim:
    """One audited claim: its lines (indices into ``AuditResult.lines``, in file order) and findings."""

    claim_id: str
    patient_id: str
    date_of_service: dt.date
    payer: str
    place_of_service: str
    locality_key: str
    release: str
    payer_known: bool
    lines: tuple[int, ...]
    findings: tuple[AuditFinding, ...]
    billed_cents: int
    expected_cents: int | None  # sum over the lines with an expected amount
    remitted_cents: int | None  # sum of the remitted allowed amounts given

    @property
    def worst(self) -> Severity | None:
        """The most severe finding's severity, or None for a clean claim."""
        if not self.findings:
            return None
        return min((f.finding.severity for f in self.findings), key=SEVERITY_ORDER.__getitem__)


class AuditedClaims(BuiltOnRead[AuditedClaim]):
    """The audited claims in order of first appearance, each built when it is looked at.

    A 100,000-line file has tens of thousands of claims, most of them clean and never opened; building
    them all up front would cost more than auditing them.
    """

    def __init__(self, lines: ClaimLines, members: list[list[int]], claim_ids: list[str], releases: list[str],
                 payer_known: list[bool], findings: Mapping[int, tuple[AuditFinding, ...]],
                 sums: tuple[list[int], list[int], list[int], list[int], list[int]]) -> None:
        self._lines = lines
        self._members = members
        self._ids = claim_ids
        self._releases = releases
        self._payer_known = payer_known
        self._findings = findings
        self._billed, self._expected, self._n_expected, self._remitted, self._n_remitted = sums

    def __len__(self) -> int:
        return len(self._ids)

    def _item(self, index: int) -> AuditedClaim:
        idx = self._members[index]
        first = idx[0]
        lines = self._lines
        return AuditedClaim(
            claim_id=self._ids[index], patient_id=lines.patient_ids[first],
            date_of_service=dt.date.fromordinal(int(lines.dates[first])), payer=lines.payers[first],
            place_of_service=lines.places[first], locality_key=lines.localities[first],
            release=self._releases[index], payer_known=self._payer_known[index], lines=tuple(idx),
            findings=self._findings.get(index, ()), billed_cents=self._billed[index],
            expected_cents=self._expected[index] if self._n_expected[index] else None,
            remitted_cents=self._remitted[index] if self._n_remitted[index] else None,
        )

    def findings_count(self, index: int) -> int:
        """How many findings claim ``index`` has (without building it)."""
        return len(self._findings.get(index, ()))

    def with_findings(self) -> list[int]:
        """Indices of the claims that have findings, in order."""
        return sorted(self._findings)


@dataclass(frozen=True, slots=True)
class PaymentTotal:
    """Remittance against contract for a group of compared lines (one payer, code or month)."""

    key: str
    lines: int
    expected_cents: int
    remitted_cents: int
    underpaid_lines: int
    underpaid_cents: int  # sum of (expected - remitted) over the underpaid lines only

    @property
    def variance_cents(self) -> int:
        return self.remitted_cents - self.expected_cents

    def as_dict(self, key_name: str) -> dict[str, Any]:
        return {key_name: self.key, "lines": self.lines, "expected": format_money(self.expected_cents),
                "remitted": format_money(self.remitted_cents), "variance": format_money(self.variance_cents),
                "underpaid_lines": self.underpaid_lines, "underpaid": format_money(self.underpaid_cents)}


@dataclass(frozen=True, slots=True, eq=False)
class AuditResult:
    """Everything an audit found.  Per-line arrays are aligned with ``lines`` (the audited batch).

    ``compared`` marks lines whose remitted allowed amount was compared with the contract; ``underpaid``
    those short by the tolerance or more.  ``problems`` lists rows that were not audited (or audited
    with a notice), sorted by line.  ``findings`` is every claim's findings, claim by claim.
    """

    lines: ClaimLines
    claims: AuditedClaims
    findings: tuple[AuditFinding, ...]
    problems: tuple[RowProblem, ...]
    expected_cents: IntArray
    has_expected: BoolArray
    compared: BoolArray
    underpaid: BoolArray
    tolerance_cents: int
    releases: tuple[str, ...]
    by_payer: tuple[PaymentTotal, ...]
    by_code: tuple[PaymentTotal, ...]
    by_month: tuple[PaymentTotal, ...]
    by_payer_month: Mapping[tuple[str, str], int]  # underpaid cents per (payer, "YYYY-MM"), for the chart
    audited_lines: int

    @property
    def bad_rows(self) -> tuple[RowProblem, ...]:
        return tuple(p for p in self.problems if p.kind == "bad")

    def findings_by_severity(self) -> dict[str, int]:
        counts = dict.fromkeys(SEVERITY_ORDER, 0)
        for f in self.findings:
            counts[f.finding.severity] += 1
        return counts

    def findings_by_rule(self) -> dict[str, tuple[str, int]]:
        """Rule code -> (severity, count), most severe and most frequent first."""
        counts: dict[str, list[Any]] = {}
        for f in self.findings:
            entry = counts.setdefault(f.finding.code, [f.finding.severity, 0])
            entry[1] += 1
        ordered = sorted(counts.items(), key=lambda kv: (SEVERITY_ORDER[kv[1][0]], -kv[1][1], kv[0]))
        return {code: (severity, n) for code, (severity, n) in ordered}

    @property
    def underpaid_cents(self) -> int:
        return sum(t.underpaid_cents for t in self.by_payer)


# --- the audit --------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Signature:
    """What every claim with one signature shares: priced once, checked once, paid once.

    Per-position tuples follow the claim's canonical line order (by line kind, then diagnoses).
    """

    error: str | None  # why it cannot be priced (the claims are held out)
    claim: Claim | None
    findings: tuple[Finding, ...]  # rule and payer findings that depend on nothing else
    allowed: tuple[int | None, ...]  # None: no expected amount (unknown payer, unpayable, no contract rate)
    reduced: tuple[bool, ...]  # the multiple-procedure rule reduces the line under this payer
    in_error: tuple[bool, ...]  # an error finding names the line's code (or the whole claim)


_UNPRICED: Final = _Signature("", None, (), (), (), ())


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a bulk step builds millions of small objects.

    The objects are all kept (rows, cells, tuples), so collections find nothing to free, yet each one
    walks every live container: for 100,000 claim lines that halves the time of ``csv.reader``.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _interned(values: Sequence[Any]) -> tuple[IntArray, list[Any]]:
    """Small integer ids for hashable values (equal values, equal ids; in order of first appearance)."""
    distinct = list(dict.fromkeys(values))
    index = {v: i for i, v in enumerate(distinct)}
    return np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values)), distinct


def _payer_key(name: str) -> str:
    return name.strip().casefold()


def _ordinal_suffix(n: int) -> str:
    return {1: "st", 2: "nd", 3: "rd"}.get(n if n < 20 else n % 10, "th")


Requested = tuple[str, tuple[str, ...], int]  # (code, modifiers as billed, units)
Paid = tuple[tuple[int | None, ...], tuple[bool, ...], tuple[Finding, ...]]  # allowed, reduced, payer findings


class _Evaluator:
    """Prices, checks and pays signatures, sharing the work between them.

    Lines of a claim interact in pricing only through the multiple-procedure ranking of indicator-2
    units.  A claim with at most one such unit is therefore priced (and paid) line by line -- each line
    by the real ``price_lines`` / ``allowed_lines`` on a one-line claim, cached -- and assembled; any other
    claim is priced whole.  ``tests/core/test_audit.py`` checks that both ways agree.
    """

    def __init__(self, practice: Practice, tables_for_year: TablesForYear, diagnoses_given: bool,
                 cache: bool) -> None:
        self.practice = practice
        self.tables_for_year = tables_for_year
        self.diagnoses_given = diagnoses_given
        self.cache = cache
        self.priced: dict[Any, tuple[Claim | None, str | None]] = {}
        self.checked: dict[Any, tuple[Finding, ...]] = {}
        self.paid: dict[Any, Paid] = {}
        self.practices: dict[str, Practice] = {}
        self.ranked: dict[tuple[str, str, str], bool] = {}
        self.plans: dict[Any, batch.ClaimPlan | None] = {}
        self.unit_prices = batch.UnitPrices()
        self.bases: dict[tuple[str, str, str], batch.Basis | None] = {}
        self.cfs: dict[str, int] = {}
        self.amounts: dict[tuple[int, int, int], batch.Amounts] = {}  # plans live as long as this evaluator
        self.contracts: dict[tuple[str, int], batch.Contract] = {}

    def signature(self, tables: TableSet, place: str, locality: str, payer: Payer | None,
                  requested: Sequence[Requested], diagnoses: Sequence[tuple[str, ...]]) -> _Signature:
        if self.cache:
            fast = self._batch_priced(tables, place, locality, payer, requested, diagnoses)
            if fast is not None:
                return fast
        price_key = (tables.release, place, locality, tuple(requested))
        by_line = self.cache and len(requested) > 1 and self._independent(tables, requested)
        if by_line:
            claim, error = self._assembled(price_key, tables, place, locality, requested)
        else:
            claim, error = self._price(price_key, tables, place, locality, requested)
        if claim is None:
            return _Signature(error or "cannot be priced", None, (), (), (), ())
        findings = self._check((price_key, tuple(diagnoses)), claim, tables, diagnoses)
        if payer is None:
            # No contract: nothing is expected, but Medicare's ranking still says which lines are reduced.
            allowed: tuple[int | None, ...] = (None,) * len(claim.lines)
            reduced = tuple(any(p < 100 for p in line.payment_pcts) for line in claim.lines)
            payer_findings: tuple[Finding, ...] = ()
        elif by_line:
            parts = [self._pay((price_key[:3], req, payer.name), self._line(tables, place, locality, req),
                               payer, locality) for req in requested]
            allowed = tuple(a for part in parts for a in part[0])
            reduced = tuple(r for part in parts for r in part[1])
            payer_findings = tuple(f for part in parts for f in part[2])
        else:
            allowed, reduced, payer_findings = self._pay((price_key, payer.name), claim, payer, locality)
        everything = findings + payer_findings
        error_codes = {f.line_code for f in everything if f.severity == "error"}
        whole = None in error_codes
        return _Signature(None, claim, everything, allowed, reduced,
                          tuple(whole or line.code in error_codes for line in claim.lines))

    def _batch_priced(self, tables: TableSet, place: str, locality: str, payer: Payer | None,
                      requested: Sequence[Requested], diagnoses: Sequence[tuple[str, ...]]) -> _Signature | None:
        """The signature from a claim plan and unit amounts (``batch_pricing``), or None where the engine
        must price the claim itself: an unknown locality, a claim that cannot be priced, a finding that
        states an amount, a contract ``batch_pricing`` does not take."""
        at = self.unit_prices.locality(tables, locality)
        if at is None or not batch.supports(payer):
            return None
        plan = self._plan(tables, place, locality, requested)
        if plan is None or plan.amount_in_findings:
            return None
        setting = plan.claim.setting
        amounts = self._amounts(plan, tables, setting, self.practice_cf(tables), at)
        findings = self._check((id(plan), tuple(diagnoses)), plan.claim, tables, diagnoses)  # a plan per lines
        if payer is None:
            allowed: tuple[int | None, ...] = (None,) * len(amounts)
            reduced = tuple(any(p < 100 for p in pcts) for _, pcts, _ in amounts)
            payer_findings: tuple[Finding, ...] = ()
        else:
            basis_amounts = amounts
            basis_key = (payer.name, tables.release, locality)
            if basis_key in self.bases:
                basis = self.bases[basis_key]
            else:
                basis = self.bases[basis_key] = batch.basis_of(payer, self.practice, tables, locality,
                                                               self.tables_for_year)
            if basis is not None:
                basis_tables = tables if basis.year is None else self.tables_for_year(basis.year)
                basis_at = self.unit_prices.locality(basis_tables, basis.locality_key)
                basis_plan = plan if basis.year is None or basis_at is None else \
                    self._plan(basis_tables, place, basis.locality_key, requested)
                if basis_at is None or basis_plan is None:
                    return None
                basis_amounts = self._amounts(basis_plan, basis_tables, basis_plan.claim.setting,
                                              basis.conversion_factor, basis_at)
            per_line, no_rate = batch.contract_allowed(plan, amounts, basis_amounts, self._contract(payer, tables))
            allowed = tuple(per_line)
            reduces = payer.mppr and payer.mppr_secondary_pct < 100
            reduced = tuple(reduces and any(p < 100 for p in pcts) for _, pcts, _ in amounts)
            payer_findings = tuple(no_contract_rate(payer, plan.codes[i]) for i in no_rate)
        everything = findings + payer_findings
        error_codes = {f.line_code for f in everything if f.severity == "error"}
        whole = None in error_codes
        return _Signature(None, plan.claim, everything, allowed, reduced,
                          tuple(whole or code in error_codes for code in plan.codes))

    def _plan(self, tables: TableSet, place: str, locality: str, requested: Sequence[Requested]
              ) -> batch.ClaimPlan | None:
        """The claim plan of these lines (None: the engine cannot price them), from the engine's claim."""
        key = (tables.release, place, tuple(requested))
        if key in self.plans:
            return self.plans[key]
        claim, _ = self._price((tables.release, place, locality, key[2]), tables, place, locality, requested)
        plan = self.plans[key] = None if claim is None else batch.ClaimPlan.of(claim, tables)
        return plan

    def _amounts(self, plan: batch.ClaimPlan, tables: TableSet, setting: Setting, cf: int, at: int
                 ) -> batch.Amounts:
        """A plan's amounts at one locality and CF (claims to different payers share them)."""
        key = (id(plan), cf, at)
        found = self.amounts.get(key)
        if found is None:
            found = self.amounts[key] = batch.plan_amounts(plan, self.unit_prices.units(tables, setting, cf, plan, at))
        return found

    def practice_cf(self, tables: TableSet) -> int:
        found = self.cfs.get(tables.release)
        if found is None:
            found = self.cfs[tables.release] = cf_scaled(tables.policy, self.practice.cf_variant)
        return found

    def _contract(self, payer: Payer, tables: TableSet) -> batch.Contract:
        key = (payer.name, tables.year)
        found = self.contracts.get(key)
        if found is None:
            found = self.contracts[key] = batch.Contract.of(
                payer, participating=self.practice.participating,
                nonpar_rate=self.tables_for_year(tables.year).policy.nonpar_rate)
        return found

    def _independent(self, tables: TableSet, requested: Sequence[Requested]) -> bool:
        """No line's price depends on another line: at most one indicator-2 unit, every code once (MUE day
        totals, LT/RT pairs), and none of the same-day payment rules (status T, G2211, E/M with a procedure)."""
        codes = [code for code, _, _ in requested]
        if len(set(codes)) != len(codes) or cs.G2211 in codes or any(c in cs.EM_CODES for c in codes):
            return False
        units = 0
        for code, mods, count in requested:
            if tables.schedule.has(code, cs.pricing_modifier(mods)) and \
                    str(tables.schedule.status[tables.schedule.row(code, cs.pricing_modifier(mods))]) == "T":
                return False
            key = (tables.release, code, cs.pricing_modifier(mods))
            ranked = self.ranked.get(key)
            if ranked is None:
                schedule = tables.schedule
                ranked = (not schedule.has(key[1], key[2])
                          or str(schedule.mult_proc[schedule.row(key[1], key[2])]) == "2")
                self.ranked[key] = ranked
            units += count if ranked else 0
        return units <= 1

    def _line(self, tables: TableSet, place: str, locality: str, req: Requested) -> Claim:
        claim, _ = self._price((tables.release, place, locality, (req,)), tables, place, locality, (req,))
        assert claim is not None  # _assembled priced every line before
        return claim

    def _assembled(self, key: Any, tables: TableSet, place: str, locality: str,
                   requested: Sequence[Requested]) -> tuple[Claim | None, str | None]:
        found = self.priced.get(key)
        if found is None:
            parts = [self._price((tables.release, place, locality, (req,)), tables, place, locality, (req,))
                     for req in requested]
            error = next((e for c, e in parts if c is None), None)
            if error is not None:
                found = (None, error)
            else:
                first = parts[0][0]
                assert first is not None
                encounter = dataclasses.replace(first.encounter, procedures=tuple(
                    ServiceLine(code, units, mods, ()) for code, mods, units in requested))
                found = (Claim(encounter, first.year, first.release, first.place, first.setting,
                               tuple(c.lines[0] for c, _ in parts if c is not None)), None)
            self.priced[key] = found
        return found

    def _price(self, key: Any, tables: TableSet, place: str, locality: str,
               requested: Sequence[Requested]) -> tuple[Claim | None, str | None]:
        found = self.priced.get(key) if self.cache else None
        if found is not None:
            return found
        unknown = sorted({m for _, mods, _ in requested for m in mods} - cs.KNOWN_MODIFIERS.keys())
        bad_units = sorted({str(u) for _, _, u in requested if not 1 <= u <= MAX_UNITS})
        if unknown or bad_units:
            found = (None, f"unknown modifier {', '.join(unknown)}" if unknown
                     else f"units must be 1 to {MAX_UNITS}, got {', '.join(bad_units)}")
        else:
            encounter = Encounter(
                date_of_service=tables.effective, place_of_service=place, locality_key=locality,
                cf_variant=self.practice.cf_variant, diagnoses=(),
                procedures=tuple(ServiceLine(code, units, mods, ()) for code, mods, units in requested))
            try:
                found = (price_lines(encounter, tables), None)
            except EstimatorError as exc:
                found = (None, str(exc))
        self.priced[key] = found
        return found

    def _check(self, key: Any, claim: Claim, tables: TableSet,
               diagnoses: Sequence[tuple[str, ...]]) -> tuple[Finding, ...]:
        found = self.checked.get(key) if self.cache else None
        if found is None:
            with_dx = dataclasses.replace(claim, lines=tuple(
                dataclasses.replace(line, diagnoses=dx) for line, dx in zip(claim.lines, diagnoses, strict=True)))
            found = tuple(f for f in check_claim(with_dx, tables)
                          if not (f.severity == "info" and f.code in DROPPED_INFO)
                          and not (f.code == "diagnosis-missing" and not self.diagnoses_given))
            self.checked[key] = found
        return found

    def _pay(self, key: Any, claim: Claim, payer: Payer, locality: str) -> Paid:
        found = self.paid.get(key) if self.cache else None
        if found is not None:
            return found
        if payer.method is Method.SELF_PAY:
            practice = dataclasses.replace(self.practice, locality_key=locality)
        else:
            cached = self.practices.get(locality)
            if cached is None:
                cached = dataclasses.replace(self.practice, locality_key=locality, charges={})
                self.practices[locality] = cached
            practice = cached
        allowed, payer_findings = allowed_lines(claim, payer, practice, self.tables_for_year)
        no_rate = {f.line_code for f in payer_findings if f.code == "no-contract-rate"}
        reduces = payer.mppr and payer.mppr_secondary_pct < 100
        found = (
            tuple(None if (a.line.cents is None and payer.method is not Method.SELF_PAY)
                  or a.line.code in no_rate else a.allowed_cents for a in allowed),
            tuple(reduces and any(p < 100 for p in line.payment_pcts) for line in claim.lines),
            tuple(f for f in payer_findings if f.code not in REPLACED_PAYER_FINDINGS),
        )
        self.paid[key] = found
        return found


class _Findings:
    """Findings as they are found, by claim, and the lines an error keeps from the payment comparison."""

    def __init__(self, n_lines: int, audited_index: list[int]) -> None:
        self.by_claim: dict[int, list[AuditFinding]] = {}
        self.line_error = np.zeros(n_lines, dtype=np.bool_)
        self.audited_index = audited_index

    def add(self, claim: int, line: int | None, finding: Finding, expected: int | None = None,
            remitted: int | None = None) -> None:
        """Add a finding to claim ``claim`` (its index in the file's claim order)."""
        self.by_claim.setdefault(claim, []).append(
            AuditFinding(self.audited_index[claim], line, finding, expected, remitted))


def audit_claims(
    lines: ClaimLines,
    *,
    payers: Mapping[str, Payer] | Sequence[Payer],
    practice: Practice,
    tables_for_date: TablesForDate,
    tables_for_year: TablesForYear,
    tolerance_cents: int = DEFAULT_TOLERANCE_CENTS,
    problems: Sequence[RowProblem] = (),
    progress: ProgressFn | None = None,
    cache: bool = True,
    payment_report: bool = True,
) -> AuditResult:
    """Audit a batch of claim lines (see the module docstring for every rule).

    Args:
        lines: the validated lines (bad rows already taken out and listed in ``problems``).
        payers: the payer contracts, by name or as a list; names match case-insensitively.
        practice: the practice profile (conversion-factor variant, participation).
        tables_for_date: the fee-schedule tables in force on a date of service.
        tables_for_year: a year's tables (for contracts pinned to a Medicare year).
        tolerance_cents: a remittance short by less than this is not an underpayment.
        problems: rows the reader rejected; a claim with a ``bad`` row is held out whole.
        progress: called with the fraction done every few thousand claims (it may raise to cancel).
        cache: share pricing and rule results between claims with the same signature (False prices and
            checks every claim afresh: the obvious way, kept for the benchmark's baseline).
        payment_report: False leaves out what only reports the payment comparison -- the ``underpaid`` and
            ``mppr-missing`` findings and the ``by_payer`` / ``by_code`` / ``by_month`` totals (empty) -- for
            a caller that reports payments itself (the remittance reconciliation); every other finding and
            every per-line array (``expected_cents``, ``compared``, ``underpaid`` ...) is the same.

    Returns:
        The result; a problem in the data never raises, it becomes a finding or a row problem.

    Raises:
        InputError: a negative tolerance.
    """
    if tolerance_cents < 0:
        raise InputError(f"the tolerance cannot be negative, got {format_money(tolerance_cents)}")
    with paused_gc():
        return _audit(lines, payers, practice, tables_for_date, tables_for_year, tolerance_cents, problems,
                      progress or (lambda fraction: None), cache, payment_report)


def _audit(lines: ClaimLines, payers: Mapping[str, Payer] | Sequence[Payer], practice: Practice,
           tables_for_date: TablesForDate, tables_for_year: TablesForYear, tolerance_cents: int,
           problems: Sequence[RowProblem], report: ProgressFn, cache: bool, payment_report: bool) -> AuditResult:
    """``audit_claims`` itself (arguments checked, garbage collector paused)."""
    payer_list = list(payers.values()) if isinstance(payers, Mapping) else list(payers)
    by_name = {_payer_key(p.name): p for p in payer_list}
    n = len(lines)
    found: list[RowProblem] = [*problems, *_invalid_lines(lines)]

    # Claims: ids in order of first appearance; a claim whose lines disagree, or lost a bad row, is held out.
    claim_of, claim_ids = _interned(lines.claim_ids)
    n_claims = len(claim_ids)
    _, first_line = np.unique(claim_of, return_index=True)
    held = np.zeros(n_claims, dtype=np.bool_)
    held_reason: dict[int, str] = {}
    index_of = {cid: i for i, cid in enumerate(claim_ids)}
    bad_lines_of: dict[int, set[int]] = {}
    for p in found:
        if p.kind == "bad" and p.claim_id is not None and p.claim_id in index_of:
            bad_lines_of.setdefault(index_of[p.claim_id], set()).add(p.line)
    for c, bad in bad_lines_of.items():
        held[c] = True
        held_reason[c] = (f"claim {claim_ids[c]} is not audited: it has a bad row on line "
                          f"{', '.join(str(x) for x in sorted(bad))}")

    patient_of, _ = _interned(lines.patient_ids)
    payer_of, payer_names = _interned(lines.payers)
    place_of, place_names = _interned(lines.places)
    locality_of, locality_names = _interned(lines.localities)
    first_of_line = first_line[claim_of]
    for label, column in (("patient", patient_of), ("date of service", lines.dates), ("payer", payer_of),
                          ("place of service", place_of), ("locality", locality_of)):
        for i in np.flatnonzero(column != column[first_of_line]).tolist():
            c = int(claim_of[i])
            found.append(RowProblem(
                int(lines.line_numbers[i]), label.replace(" ", "_"),
                f"claim {claim_ids[c]}: the {label} differs from its first line (line "
                f"{int(lines.line_numbers[first_line[c]])}); a claim is one patient, date of service, payer, "
                "place and locality -- give these lines their own claim id", claim_ids[c], "bad"))
            if c not in held_reason or not held[c]:
                held[c] = True
                held_reason[c] = f"claim {claim_ids[c]} is not audited: its lines disagree (see the bad rows)"
    report(0.05)

    # Tables by date, and each claim's canonical line order (by line kind, then diagnoses).
    day_values, day_of = np.unique(lines.dates, return_inverse=True)
    day_tables = [tables_for_date(dt.date.fromordinal(int(d))) for d in day_values.tolist()]
    code_of, code_names = _interned(lines.codes)
    mods_of, mods_values = _interned(lines.modifiers)
    # A line's kind, (code, modifiers, units), packed into one integer and numbered by numpy.
    packed = (code_of * len(mods_values) + mods_of) * (MAX_UNITS + 1) + np.clip(lines.units, 0, MAX_UNITS)
    kind_values, kind_of = np.unique(packed, return_inverse=True)
    kinds: list[Requested] = []
    for value in kind_values.tolist():
        rest, units = divmod(value, MAX_UNITS + 1)
        code, mods = divmod(rest, len(mods_values))
        kinds.append((code_names[code], mods_values[mods], units))
    dx_of, dx_values = _interned(lines.diagnoses)
    canon = np.lexsort((dx_of, kind_of, claim_of))
    starts = np.searchsorted(claim_of[canon], np.arange(n_claims + 1))
    kind_c, dx_c, starts_l = kind_of[canon].tolist(), dx_of[canon].tolist(), starts.tolist()
    claim_day_of = day_of[first_line].tolist()
    claim_place, claim_locality = place_of[first_line].tolist(), locality_of[first_line].tolist()
    claim_payer = payer_of[first_line].tolist()
    payer_by_id = [by_name.get(_payer_key(name)) for name in payer_names]

    # One signature per distinct (tables, place, locality, payer, lines, diagnoses): evaluated once.
    evaluator = _Evaluator(practice, tables_for_year, lines.diagnoses_given, cache)
    sig_index: dict[Any, int] = {}
    signatures: list[_Signature] = []
    sig_of_claim = np.full(n_claims, -1, dtype=np.int64)
    for c in range(n_claims):
        if c % PROGRESS_EVERY == 0:
            report(0.05 + 0.6 * c / n_claims)
        if held[c]:
            continue
        s, e = starts_l[c], starts_l[c + 1]
        tables = day_tables[claim_day_of[c]]
        key = (tables.release, claim_place[c], claim_locality[c], claim_payer[c], tuple(kind_c[s:e]),
               tuple(dx_c[s:e])) if cache else c
        sid = sig_index.get(key)
        if sid is None:
            sid = sig_index[key] = len(signatures)
            signatures.append(evaluator.signature(
                tables, place_names[claim_place[c]], locality_names[claim_locality[c]],
                payer_by_id[claim_payer[c]], [kinds[k] for k in kind_c[s:e]], [dx_values[d] for d in dx_c[s:e]]))
        if signatures[sid].claim is None:
            held[c] = True
            held_reason[c] = f"claim {claim_ids[c]} is not audited: it cannot be priced ({signatures[sid].error})"
        else:
            sig_of_claim[c] = sid
    report(0.65)

    # Per-line values from the signatures, gathered with arrays.
    audited_claims = np.flatnonzero(~held)
    audited_index = np.cumsum(~held).astype(np.int64) - 1
    audited_line = ~held[claim_of]
    width = np.array([len(sig.allowed) for sig in signatures], dtype=np.int64)
    offset = np.concatenate(([0], np.cumsum(width)))[:-1] if len(signatures) else np.zeros(0, dtype=np.int64)
    flat_allowed = np.fromiter((a or 0 for sig in signatures for a in sig.allowed), dtype=np.int64)
    flat_has = np.fromiter((a is not None for sig in signatures for a in sig.allowed), dtype=np.bool_)
    flat_reduced = np.fromiter((r for sig in signatures for r in sig.reduced), dtype=np.bool_)
    flat_error = np.fromiter((x for sig in signatures for x in sig.in_error), dtype=np.bool_)
    keep = audited_line[canon]
    line_c = canon[keep]  # audited lines in canonical order
    position = (np.arange(n, dtype=np.int64) - starts[claim_of[canon]])[keep]  # within its claim
    flat_at = offset[sig_of_claim[claim_of[line_c]]] + position
    expected = np.zeros(n, dtype=np.int64)
    has_expected = np.zeros(n, dtype=np.bool_)
    reduced = np.zeros(n, dtype=np.bool_)
    expected[line_c] = flat_allowed[flat_at]
    has_expected[line_c] = flat_has[flat_at]
    reduced[line_c] = flat_reduced[flat_at]
    notes = _Findings(n, audited_index.tolist())
    notes.line_error[line_c] = flat_error[flat_at]

    # Claims' lines in file order, for naming the line a finding is about.
    order = np.argsort(claim_of, kind="stable").tolist()
    members = [order[starts_l[c]:starts_l[c + 1]] for c in range(n_claims)]
    codes = lines.codes

    def first_with(c: int, code: str | None) -> int | None:
        return None if code is None else next((i for i in members[c] if codes[i] == code), None)

    sig_with_findings = np.array([bool(sig.findings) for sig in signatures], dtype=np.bool_)
    flagged = audited_claims[sig_with_findings[sig_of_claim[audited_claims]]] if len(signatures) else audited_claims[:0]
    for c in flagged.tolist():
        for finding in signatures[int(sig_of_claim[c])].findings:
            notes.add(c, first_with(c, finding.line_code), finding)
    report(0.7)

    # History: global periods across claims, payer contract dates, prior authorization, frequency limits.
    claim_day = lines.dates[first_line]
    for c, prior in _prior_services(lines, code_of, code_names, claim_of, first_line, ~held, patient_of, day_of,
                                    day_tables).items():
        claim = signatures[int(sig_of_claim[c])].claim
        assert claim is not None
        dated = dataclasses.replace(claim, encounter=dataclasses.replace(
            claim.encounter, date_of_service=dt.date.fromordinal(int(claim_day[c])), prior_services=prior))
        for finding in check_global_period(dated, day_tables[claim_day_of[c]]):
            notes.add(c, first_with(c, finding.line_code), finding)
    _contract_dates(audited_claims, claim_day, claim_payer, payer_by_id, members, notes, has_expected)
    _prior_authorization(lines, code_of, code_names, audited_line, payer_of, payer_by_id, claim_of, notes)
    _frequency(lines, code_of, code_names, members, claim_of, held, patient_of, payer_of, first_line, payer_by_id,
               notes)
    unknown_payer = np.array([p is None for p in payer_by_id], dtype=np.bool_)
    for i in np.flatnonzero(audited_line & unknown_payer[payer_of]).tolist():
        found.append(RowProblem(
            int(lines.line_numbers[i]), "payer",
            f"payer {lines.payers[i]!r} is not in the payer list: claim {lines.claim_ids[i]} was checked against "
            "the billing rules but its payment was not (add the payer with 'estimator payers add', or fix the "
            "name)", lines.claim_ids[i], "notice"))
    report(0.8)

    # Remittance against contract.
    pricing_names = [cs.pricing_modifier(mods) for mods in mods_values]
    _pair_repeated_codes(lines, claim_of, code_of, _interned(pricing_names)[0][mods_of], expected, has_expected,
                         reduced)
    expected = np.where(_lesser_of(lines, payer_of, payer_by_id), np.minimum(expected, lines.billed_cents),
                        expected)
    has_51 = np.array(["51" in m for m in mods_values], dtype=np.bool_)[mods_of]
    compared, underpaid = _payment_findings(lines, expected, has_expected, reduced, has_51, claim_of, tolerance_cents,
                                            notes, write=payment_report)
    report(0.9)

    bad_numbers = {p.line for p in found if p.kind == "bad"}
    for c in np.flatnonzero(held).tolist():
        for i in members[c]:
            if int(lines.line_numbers[i]) not in bad_numbers:
                found.append(RowProblem(int(lines.line_numbers[i]), "", held_reason[c], claim_ids[c], "held-out"))

    by_claim: dict[int, tuple[AuditFinding, ...]] = {}
    for c, claim_notes in sorted(notes.by_claim.items()):
        by_claim[int(audited_index[c])] = tuple(sorted(claim_notes, key=lambda f: (
            SEVERITY_ORDER[f.finding.severity], -1 if f.line is None else f.line, f.finding.code)))
    audited = audited_claims.tolist()
    claims = AuditedClaims(
        lines, [members[c] for c in audited], [claim_ids[c] for c in audited],
        [day_tables[claim_day_of[c]].release for c in audited],
        [payer_by_id[claim_payer[c]] is not None for c in audited], by_claim,
        _claim_sums(lines, claim_of, held, expected, has_expected))
    totals = _totals(lines, expected, compared, underpaid) if payment_report else ((), (), (), {})
    report(1.0)
    return AuditResult(
        lines=lines, claims=claims, findings=tuple(f for c in sorted(by_claim) for f in by_claim[c]),
        problems=tuple(sorted(found, key=lambda p: (p.line, p.kind != "bad", p.column))),
        expected_cents=expected, has_expected=has_expected, compared=compared, underpaid=underpaid,
        tolerance_cents=tolerance_cents,
        releases=tuple(sorted({day_tables[claim_day_of[c]].release for c in audited})),
        by_payer=totals[0], by_code=totals[1], by_month=totals[2], by_payer_month=totals[3],
        audited_lines=int(audited_line.sum()),
    )


def _invalid_lines(lines: ClaimLines) -> list[RowProblem]:
    """Lines a reader should have refused (units out of range, unknown modifiers): bad rows here too."""
    out = []
    for i in np.flatnonzero((lines.units < 1) | (lines.units > MAX_UNITS)).tolist():
        out.append(RowProblem(int(lines.line_numbers[i]), "units",
                              f"units {int(lines.units[i])} must be a whole number from 1 to {MAX_UNITS}",
                              lines.claim_ids[i]))
    unknown = {mods for mods in set(lines.modifiers) if not set(mods) <= cs.KNOWN_MODIFIERS.keys()}
    if unknown:
        for i, mods in enumerate(lines.modifiers):
            if mods in unknown:
                bad = ", ".join(sorted(set(mods) - cs.KNOWN_MODIFIERS.keys()))
                out.append(RowProblem(int(lines.line_numbers[i]), "modifiers", f"unknown modifier {bad}",
                                      lines.claim_ids[i]))
    return out


def _prior_services(lines: ClaimLines, codes_of: IntArray, code_names: list[str], claim_of: IntArray,
                    first_line: IntArray, audited: BoolArray,
                    patient_of: IntArray, day_of: IntArray, day_tables: Sequence[TableSet]
                    ) -> dict[int, tuple[PriorService, ...]]:
    """Claims (by index) that fall in the global period of the same patient's earlier procedures.

    Every 010/090 procedure line is matched to the patient's later claims inside its period with two
    binary searches over the claims sorted by (patient, date).
    """
    release_codes: dict[tuple[int, int], str] = {}
    pair = day_of * len(code_names) + codes_of
    pairs, pair_of = np.unique(pair, return_inverse=True)
    period = np.zeros(len(pairs), dtype=np.int64)  # days after the procedure day it covers; 0: none
    for k, value in enumerate(pairs.tolist()):
        day, code = divmod(value, len(code_names))
        schedule = day_tables[day].schedule
        name = code_names[code]
        days = str(schedule.global_days[schedule.row(name)]) if schedule.has(name) else ""
        release_codes[(day, code)] = days
        if days in HISTORY_GLOBALS:
            period[k] = GLOBAL_AFTER_DAYS[days]
    covers = period[pair_of]
    sources = np.flatnonzero((covers > 0) & audited[claim_of])
    if not len(sources):
        return {}
    span = 1 << 21  # ordinals (~740,000) stay below this, so (patient, day) packs into one int64
    claims = np.flatnonzero(audited)
    claim_key = patient_of[first_line[claims]] * span + lines.dates[first_line[claims]]
    by_key = np.argsort(claim_key, kind="stable")
    sorted_key, sorted_claims = claim_key[by_key], claims[by_key]
    base = patient_of[sources] * span + lines.dates[sources]
    lo = np.searchsorted(sorted_key, base, side="right")  # the patient's claims after the procedure day
    hi = np.searchsorted(sorted_key, base + covers[sources], side="right")  # ... through its last day
    out: dict[int, dict[PriorService, None]] = {}
    for k in np.flatnonzero(hi > lo).tolist():
        source = int(sources[k])
        prior = PriorService(lines.codes[source], dt.date.fromordinal(int(lines.dates[source])))
        for c in sorted_claims[int(lo[k]):int(hi[k])].tolist():
            out.setdefault(c, {})[prior] = None
    return {c: tuple(priors) for c, priors in out.items()}


def _contract_dates(audited_claims: IntArray, claim_day: IntArray, claim_payer: list[int],
                    payer_by_id: Sequence[Payer | None], members: list[list[int]], notes: _Findings,
                    has_expected: BoolArray) -> None:
    """``contract-not-effective`` for claims dated outside their payer's contract (nothing is expected)."""
    dated = [k for k, p in enumerate(payer_by_id) if p is not None and (p.effective_from or p.effective_to)]
    if not dated:
        return
    payer = np.array(claim_payer, dtype=np.int64)[audited_claims]
    for k in dated:
        contract = payer_by_id[k]
        assert contract is not None
        days = claim_day[audited_claims]
        outside = payer == k
        start = contract.effective_from.toordinal() if contract.effective_from else None
        end = contract.effective_to.toordinal() if contract.effective_to else None
        outside &= ((days < start) if start is not None else False) | ((days > end) if end is not None else False)
        span = f"{contract.effective_from or '...'} to {contract.effective_to or '...'}"
        for c in audited_claims[outside].tolist():
            day = dt.date.fromordinal(int(claim_day[c]))
            notes.add(c, None, Finding(
                "contract-not-effective", "error",
                f"{contract.name}'s contract is not in effect on {day.isoformat()} ({span}).",
                "payer contract", "Check the date of service or the contract's dates."))
            has_expected[members[c]] = False
            notes.line_error[members[c]] = True


def _prior_authorization(lines: ClaimLines, code_of: IntArray, code_names: list[str],
                         audited_line: BoolArray, payer_of: IntArray,
                         payer_by_id: Sequence[Payer | None], claim_of: IntArray, notes: _Findings) -> None:
    """``prior-auth-missing`` (the authorization column is empty or no) / ``prior-auth-unverified`` (no column)."""
    listed = {c for p in payer_by_id if p is not None for c in p.prior_auth_codes}
    if not listed:
        return
    candidates = np.array([code in listed for code in code_names], dtype=np.bool_)[code_of]
    for i in np.flatnonzero(candidates & audited_line).tolist():
        payer = payer_by_id[int(payer_of[i])]
        code, flag = lines.codes[i], int(lines.prior_auth[i])
        if payer is None or code not in payer.prior_auth_codes or flag == 1:
            continue
        if flag == 0:
            finding = Finding("prior-auth-missing", "error",
                              f"{payer.name} requires prior authorization for {code}, and the claim line records "
                              "none.", SRC_PRIOR_AUTH, "Get a retro-authorization if the payer allows it, or "
                              "appeal with the authorization number.", code)
            notes.line_error[i] = True
        else:
            finding = Finding("prior-auth-unverified", "warning",
                              f"{payer.name} requires prior authorization for {code}; the file has no "
                              "authorization column to confirm it.", SRC_PRIOR_AUTH,
                              "Check the authorization on file, or map the file's authorization column.", code)
        notes.add(int(claim_of[i]), i, finding)


def _frequency(lines: ClaimLines, code_of: IntArray, code_names: list[str],
               members: list[list[int]], claim_of: IntArray, held: BoolArray,
               patient_of: IntArray, payer_of: IntArray, first_line: IntArray, payer_by_id: Sequence[Payer | None],
               notes: _Findings) -> None:
    """``frequency-limit``: the (N+1)-th AK destruction claim of a patient to a payer within its M days.

    Vectorized: claims sorted by (payer, patient, date); for each, a binary search finds the first claim
    of the same payer and patient less than M days earlier.  The finding names the claim's first
    destruction line; every destruction line of the claim is kept out of the payment comparison (a
    denial of them is not also an underpayment).
    """
    limited = np.array([p is not None and p.frequency_count is not None for p in payer_by_id], dtype=np.bool_)
    if not limited.any():
        return
    ak_line = np.array([code in AK_DESTRUCTION for code in code_names], dtype=np.bool_)[code_of]
    claim_ak = np.zeros(len(held), dtype=np.bool_)
    claim_ak[claim_of[ak_line]] = True
    payer = payer_of[first_line]
    chosen = np.flatnonzero(claim_ak & ~held & limited[payer])
    if not len(chosen):
        return
    patient, day = patient_of[first_line[chosen]], lines.dates[first_line[chosen]]
    group = payer[chosen] * (int(patient_of.max()) + 1) + patient
    sort = np.lexsort((chosen, day, group))
    chosen, group, day = chosen[sort], group[sort], day[sort]
    key = group * (1 << 21) + day  # ordinals stay below 2**21: one sorted key orders (group, day)
    limit = np.array([payer_by_id[int(p)].frequency_count or 0 for p in payer[chosen]],  # type: ignore[union-attr]
                     dtype=np.int64)
    window = np.array([payer_by_id[int(p)].frequency_days or 0 for p in payer[chosen]],  # type: ignore[union-attr]
                      dtype=np.int64)
    start = np.searchsorted(key, key - window + 1, side="left")
    nth = np.arange(len(chosen)) - start + 1
    for k in np.flatnonzero(nth > limit).tolist():
        c = int(chosen[k])
        contract = payer_by_id[int(payer[c])]
        assert contract is not None
        earlier = ", ".join(dt.date.fromordinal(d).isoformat() for d in day[int(start[k]):k].tolist())
        ak_lines = [i for i in members[c] if lines.codes[i] in AK_DESTRUCTION]
        ak_codes = "/".join(sorted({lines.codes[i] for i in ak_lines}))
        count = int(nth[k])
        notes.add(c, ak_lines[0], Finding(
            "frequency-limit", "error",
            f"This is the patient's {count}{_ordinal_suffix(count)} actinic keratosis destruction ({ak_codes}) "
            f"billed to {contract.name} within {contract.frequency_days} days (earlier: {earlier}); the "
            f"contract covers {contract.frequency_count} per {contract.frequency_days} days.",
            SRC_FREQUENCY, "Expect a denial: check the contract's exception process, or bill the patient "
            "only with a signed waiver on file.", lines.codes[ak_lines[0]]))
        notes.line_error[ak_lines] = True


def _pair_repeated_codes(lines: ClaimLines, claim_of: IntArray, code_of: IntArray, pricing_of: IntArray,
                         expected: IntArray, has_expected: BoolArray, reduced: BoolArray) -> None:
    """Lines of one claim with the same code (and pricing modifier): pair expected and remitted amounts by size.

    When a code is billed on two lines (11102 and 11102, not 11102 x2), the multiple-procedure rule pays
    one in full and reduces the other; which line the payer chose is its business.  The higher expected
    amount goes with the higher remitted one, so a correct remittance is not reported as one line
    underpaid and the other paid in full.  Changes ``expected`` and ``reduced`` in place.
    """
    both = np.flatnonzero(has_expected & lines.has_allowed)
    if len(both) < 2:
        return
    key = (claim_of[both] * (int(code_of.max()) + 1) + code_of[both]) * (int(pricing_of.max()) + 1) + pricing_of[both]
    order = np.argsort(key, kind="stable")
    key, both = key[order], both[order]
    repeated = np.flatnonzero(key[1:] == key[:-1])
    if not len(repeated):
        return
    for value in np.unique(key[repeated]).tolist():
        group = both[key == value]
        by_expected = group[np.argsort(-expected[group], kind="stable")]
        by_remitted = group[np.argsort(-lines.allowed_cents[group], kind="stable")]
        expected[by_remitted], reduced[by_remitted] = expected[by_expected].copy(), reduced[by_expected].copy()


def _lesser_of(lines: ClaimLines, payer_of: IntArray, payer_by_id: Sequence[Payer | None]) -> BoolArray:
    """Lines whose contract pays the lesser of the billed charge and its rate (Medicare always)."""
    lesser = np.array([p is not None and (p.lesser_of_charge or p.method is Method.MEDICARE) for p in payer_by_id],
                      dtype=np.bool_)
    return np.asarray(lesser[payer_of] & lines.has_billed, dtype=np.bool_)


def _payment_findings(lines: ClaimLines, expected: IntArray, has_expected: BoolArray, reduced: BoolArray,
                      has_51: BoolArray, claim_of: IntArray, tolerance: int, notes: _Findings,
                      write: bool = True) -> tuple[BoolArray, BoolArray]:
    """``underpaid`` and ``mppr-missing`` (see the module docstring); returns (compared, underpaid).

    ``write`` False: only the arrays, no finding (``audit_claims(..., payment_report=False)``).
    """
    comparable = lines.has_allowed & has_expected & ~notes.line_error
    shortfall = expected - lines.allowed_cents
    # A difference of exactly the tolerance counts ("$1.00 tolerance" flags a $1.00 shortfall); none is never one.
    underpaid = comparable & (shortfall >= tolerance) & (shortfall > 0)
    paid_in_full = comparable & reduced & (-shortfall >= tolerance) & (shortfall < 0)
    if not write:
        return comparable, underpaid
    missing_51 = reduced & ~lines.has_allowed & ~has_51 & ~notes.line_error
    for i in np.flatnonzero(underpaid).tolist():
        code, exp, got = lines.codes[i], int(expected[i]), int(lines.allowed_cents[i])
        notes.add(int(claim_of[i]), i, Finding(
            "underpaid", "error",
            f"{code}: the payer allowed {format_money(got)}; {lines.payers[i]}'s contract allows "
            f"{format_money(exp)} for it on {dt.date.fromordinal(int(lines.dates[i])).isoformat()} -- "
            f"underpaid by {format_money(exp - got)} (tolerance {format_money(tolerance)}).",
            SRC_CONTRACT, "Appeal, or ask the payer to reprocess the line at the contract rate.", code), exp, got)
    for i in np.flatnonzero(paid_in_full).tolist():
        code, exp, got = lines.codes[i], int(expected[i]), int(lines.allowed_cents[i])
        notes.add(int(claim_of[i]), i, Finding(
            "mppr-missing", "warning",
            f"{code} is a second or later procedure that the multiple-procedure rule reduces to "
            f"{format_money(exp)}, but the payer allowed {format_money(got)} -- paid as if unreduced; a "
            "post-payment review would take the difference back.",
            SRC_MPPR, f"Check the remittance; bill modifier 51 on {code} and expect a recoupment, or refund "
            "the overpayment.", code), exp, got)
    for i in np.flatnonzero(missing_51).tolist():
        code = lines.codes[i]
        notes.add(int(claim_of[i]), i, Finding(
            "mppr-missing", "warning",
            f"{code} is a second or later procedure that the multiple-procedure rule reduces, but it was "
            "billed without modifier 51; payers that require 51 deny it, or pay it in full and take it back.",
            SRC_MPPR, f"Add modifier 51 to {code}.", code), int(expected[i]) if bool(has_expected[i]) else None)
    return comparable, underpaid


def _claim_sums(lines: ClaimLines, claim_of: IntArray, held: BoolArray, expected: IntArray,
                has_expected: BoolArray) -> tuple[list[int], list[int], list[int], list[int], list[int]]:
    """Per audited claim: billed, expected, lines with an expected amount, remitted, lines remitted."""
    audited = ~held

    def per_claim(values: IntArray) -> list[int]:
        sums = np.zeros(len(held), dtype=np.int64)
        np.add.at(sums, claim_of, values)
        return list(sums[audited].tolist())

    return (per_claim(np.where(lines.has_billed, lines.billed_cents, 0)),
            per_claim(np.where(has_expected, expected, 0)), per_claim(has_expected.astype(np.int64)),
            per_claim(np.where(lines.has_allowed, lines.allowed_cents, 0)),
            per_claim(lines.has_allowed.astype(np.int64)))


def _totals(lines: ClaimLines, expected: IntArray, compared: BoolArray, underpaid: BoolArray
            ) -> tuple[tuple[PaymentTotal, ...], tuple[PaymentTotal, ...], tuple[PaymentTotal, ...],
                       dict[tuple[str, str], int]]:
    """Remittance against contract by payer, by code, by month, and underpaid cents by (payer, month)."""
    rows = np.flatnonzero(compared)
    remitted = lines.allowed_cents[rows]
    exp = expected[rows]
    short = np.where(underpaid[rows], exp - remitted, 0)
    row_list = rows.tolist()
    day_list = lines.dates[rows].tolist()
    months = {d: dt.date.fromordinal(d).strftime("%Y-%m") for d in set(day_list)}
    by_payer = [lines.payers[i] for i in row_list]
    by_month = [months[d] for d in day_list]

    def grouped(labels: list[str]) -> tuple[PaymentTotal, ...]:
        ids, names = _interned(labels)
        sums = []
        for values in (np.ones(len(rows), dtype=np.int64), exp, remitted, underpaid[rows].astype(np.int64), short):
            total = np.zeros(len(names), dtype=np.int64)
            np.add.at(total, ids, values)
            sums.append(total.tolist())
        count, exp_s, rem_s, under_n, short_s = sums
        return tuple(sorted((PaymentTotal(name, count[k], exp_s[k], rem_s[k], under_n[k], short_s[k])
                             for k, name in enumerate(names)), key=lambda t: t.key))

    chart: dict[tuple[str, str], int] = {}
    for payer, month, cents in zip(by_payer, by_month, short.tolist(), strict=True):
        if cents:
            chart[(payer, month)] = chart.get((payer, month), 0) + cents
    return grouped(by_payer), grouped([lines.codes[i] for i in row_list]), grouped(by_month), chart


# --- presenting the result (pure data for the CLI, the GUI and the reports) --------------------------------

FINDING_COLUMNS: Final = ("claim_id", "patient_id", "date_of_service", "payer", "line", "code", "rule",
                          "severity", "message", "fix", "expected", "remitted", "variance")


def finding_rows(result: AuditResult, *, patient_ids: bool = True) -> list[dict[str, Any]]:
    """One row per finding (the CSV export); ``patient_ids=False`` leaves the patient column empty."""
    rows = []
    numbers = result.lines.line_numbers
    for f in result.findings:
        claim = result.claims[f.claim]
        variance = f.variance_cents
        rows.append({
            "claim_id": claim.claim_id, "patient_id": claim.patient_id if patient_ids else "",
            "date_of_service": claim.date_of_service.isoformat(), "payer": claim.payer,
            "line": int(numbers[f.line]) if f.line is not None else "",
            "code": f.finding.line_code or "", "rule": f.finding.code, "severity": f.finding.severity,
            "message": f.finding.message, "fix": f.finding.fix,
            "expected": "" if f.expected_cents is None else format_money(f.expected_cents),
            "remitted": "" if f.remitted_cents is None else format_money(f.remitted_cents),
            "variance": "" if variance is None else format_money(variance),
        })
    return rows


def summary(result: AuditResult) -> dict[str, Any]:
    """The audit in numbers, with no claim-level data (safe to print or put in a PDF summary)."""
    held = {p.line for p in result.problems if p.kind == "held-out"}
    return {
        "claims_audited": len(result.claims),
        "lines_audited": result.audited_lines,
        "bad_rows": len({p.line for p in result.bad_rows}),
        "lines_held_out": len(held),
        "notices": sum(1 for p in result.problems if p.kind == "notice"),
        "claims_with_findings": len(result.claims.with_findings()),
        "tables": list(result.releases),
        "tolerance": format_money(result.tolerance_cents),
        "findings_by_severity": result.findings_by_severity(),
        "findings_by_rule": {code: {"severity": sev, "count": n}
                             for code, (sev, n) in result.findings_by_rule().items()},
        "lines_compared": int(result.compared.sum()),
        "underpaid_lines": int(result.underpaid.sum()),
        "underpaid_total": format_money(result.underpaid_cents),
        "underpayments_by_payer": [t.as_dict("payer") for t in result.by_payer],
        "underpayments_by_code": [t.as_dict("code") for t in result.by_code],
        "underpayments_by_month": [t.as_dict("month") for t in result.by_month],
    }


def line_dict(result: AuditResult, i: int) -> dict[str, Any]:
    """One audited line with its amounts (money as two-decimal strings)."""
    lines = result.lines

    def money(values: IntArray, has: BoolArray) -> str | None:
        return format_money(int(values[i])) if bool(has[i]) else None

    expected = money(result.expected_cents, result.has_expected)
    return {
        "line": int(lines.line_numbers[i]), "code": lines.codes[i], "units": int(lines.units[i]),
        "modifiers": list(lines.modifiers[i]), "diagnoses": list(lines.diagnoses[i]),
        "billed": money(lines.billed_cents, lines.has_billed), "expected": expected,
        "allowed": money(lines.allowed_cents, lines.has_allowed),
        "paid": money(lines.paid_cents, lines.has_paid),
        "variance": format_money(int(lines.allowed_cents[i]) - int(result.expected_cents[i]))
        if bool(result.compared[i]) else None,
        "underpaid": bool(result.underpaid[i]),
    }


def result_dict(result: AuditResult, *, patient_ids: bool = True) -> dict[str, Any]:
    """The whole result as plain data (``--format json``); patient ids only when ``patient_ids``."""
    numbers = result.lines.line_numbers
    return {
        "summary": summary(result),
        "claims": [{
            "claim_id": c.claim_id, "patient_id": c.patient_id if patient_ids else None,
            "date_of_service": c.date_of_service.isoformat(), "payer": c.payer, "payer_known": c.payer_known,
            "place_of_service": c.place_of_service, "locality": c.locality_key, "tables": c.release,
            "billed": format_money(c.billed_cents),
            "expected": None if c.expected_cents is None else format_money(c.expected_cents),
            "allowed": None if c.remitted_cents is None else format_money(c.remitted_cents),
            "lines": [line_dict(result, i) for i in c.lines],
            "findings": [{**f.finding.as_dict(), "line": None if f.line is None else int(numbers[f.line]),
                          "expected": None if f.expected_cents is None else format_money(f.expected_cents),
                          "remitted": None if f.remitted_cents is None else format_money(f.remitted_cents)}
                         for f in c.findings],
        } for c in result.claims],
        "problems": [p.as_dict() for p in result.problems],
    }

