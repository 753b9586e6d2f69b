"""Fee-schedule tables as immutable values: RVU rows, localities with GPCIs, places of service, policy.

These are plain data handed to the pricing functions; ``estimator.tables`` builds them from files.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

import numpy as np
import numpy.typing as npt

from estimator.core.errors import InputError, UnknownCodeError, UnknownLocalityError
from estimator.core.ncci import NcciEdits

StrArray = npt.NDArray[np.str_]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Lookups a ``FeeSchedule`` answers by scanning its code column (~0.05 ms each) before it builds its
#: (code, modifier) index (~3-8 ms once): a CLI call asks for a code or two, a visit or a batch for many.
SCANS_BEFORE_INDEX: Final = 32

#: STATUS codes that carry national RVUs and are paid under the fee schedule (DOMAIN section 1).
PAYABLE_STATUSES: Final = frozenset({"A", "R", "T"})

#: Why a status has no fee-schedule amount, in a biller's words (RVU26B.pdf, Attachment A).
STATUS_REASONS: Final[dict[str, str]] = {
    "B": "bundled: payment is included in another service (status B)",
    "C": "carrier priced: no national RVUs; your MAC sets the amount (status C) - enter it by hand",
    "D": "deleted code (status D)",
    "E": "excluded from the fee schedule by regulation (status E)",
    "F": "deleted/discontinued code, no grace period (status F)",
    "G": "not valid for Medicare; another code is used (status G)",
    "H": "deleted modifier row (status H)",
    "I": "not valid for Medicare; Medicare uses another code (status I)",
    "J": "anesthesia service: paid by anesthesia base units, not RVUs (status J)",
    "M": "measurement code, used for reporting only (status M)",
    "N": "non-covered service (status N)",
    "P": "bundled or excluded (status P)",
    "X": "statutory exclusion: not a Medicare physician service (status X)",
}


class Setting(enum.StrEnum):
    """Where the practice expense is incurred: the office's (non-facility) or a facility's."""

    NONFACILITY = "nonfacility"
    FACILITY = "facility"

    @property
    def label(self) -> str:
        return "non-facility" if self is Setting.NONFACILITY else "facility"


class CFVariant(enum.StrEnum):
    """Which 2026 conversion factor applies: non-qualifying or qualifying APM participant."""

    NONQP = "nonqp"
    QP = "qp"


def _freeze_arrays(value: object) -> None:
    """Make every numpy field of a table read-only, so a shared table cannot be changed by accident."""
    for f in dataclasses.fields(value):  # type: ignore[arg-type]
        array = getattr(value, f.name, None) if f.init else None
        if isinstance(array, np.ndarray):
            array.flags.writeable = False


@dataclass(frozen=True, slots=True, eq=False)
class FeeSchedule:
    """Every PPRRVU row of one release, column-wise; RVUs are int64 hundredths.

    Rows are unique on (code, modifier); ``row_of`` maps that pair to a row index.  ``row`` and ``has``
    scan the code column for their first few lookups and use ``row_of`` after that (see
    ``SCANS_BEFORE_INDEX``), so a short run never pays for indexing all 19,000 rows.
    """

    release: str
    year: int
    codes: StrArray
    modifiers: StrArray
    descriptions: StrArray
    status: StrArray
    work: IntArray
    pe_nonfacility: IntArray
    pe_facility: IntArray
    mp: IntArray
    nonfacility_na: BoolArray
    facility_na: BoolArray
    pctc: StrArray
    global_days: StrArray
    mult_proc: StrArray
    bilateral: StrArray
    assistant: StrArray
    co_surgeons: StrArray
    team_surgery: StrArray
    conversion_factor: int
    _row_of: dict[tuple[str, str], int] | None = field(init=False, repr=False, default=None)
    _scans: int = field(init=False, repr=False, default=0)
    _payable: BoolArray = field(init=False, repr=False)
    _pe_priced: tuple[IntArray, IntArray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _freeze_arrays(self)
        payable = np.isin(self.status, list(PAYABLE_STATUSES))
        payable.flags.writeable = False
        object.__setattr__(self, "_payable", payable)
        # CMS's payment file (PFREV) prices a setting marked NA with the priced setting's amount.
        nonfacility = np.where(self.nonfacility_na, self.pe_facility, self.pe_nonfacility)
        facility = np.where(self.facility_na, self.pe_nonfacility, self.pe_facility)
        for array in (nonfacility, facility):
            array.flags.writeable = False
        object.__setattr__(self, "_pe_priced", (nonfacility, facility))

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def row_of(self) -> dict[tuple[str, str], int]:
        """(code, modifier) -> row index, built on first use (a CLI call or start-up often needs none)."""
        if self._row_of is None:
            pairs = zip(self.codes.tolist(), self.modifiers.tolist(), strict=True)
            object.__setattr__(self, "_row_of", {pair: i for i, pair in enumerate(pairs)})
        assert self._row_of is not None
        return self._row_of

    def row(self, code: str, modifier: str = "") -> int:
        """The row index of ``code`` (+ ``modifier``).

        Raises:
            UnknownCodeError: no such row in this release.
        """
        key = (code.strip().upper(), modifier.strip().upper())
        found = self._find(*key)
        if found is None:
            raise UnknownCodeError(key[0], key[1], self.release)
        return found

    def has(self, code: str, modifier: str = "") -> bool:
        return self._find(code.strip().upper(), modifier.strip().upper()) is not None

    def _find(self, code: str, modifier: str) -> int | None:
        """The row of (code, modifier), else None: scanned while lookups are few, then from ``row_of``."""
        if self._row_of is None and self._scans < SCANS_BEFORE_INDEX:
            object.__setattr__(self, "_scans", self._scans + 1)
            rows = [i for i in np.flatnonzero(self.codes == code).tolist() if self.modifiers[i] == modifier]
            return rows[-1] if rows else None  # the last, as in row_of (rows are unique anyway)
        return self.row_of.get((code, modifier))

    def pe(self, setting: Setting) -> IntArray:
        return self.pe_facility if setting is Setting.FACILITY else self.pe_nonfacility

    def pe_priced(self, setting: Setting) -> IntArray:
        """The PE RVU a setting is priced with: its own, or the other setting's where CMS marks it NA (as CMS's
        payment amount file PFREV does: an NA column repeats the priced setting's amount)."""
        return self._pe_priced[1] if setting is Setting.FACILITY else self._pe_priced[0]

    def na(self, setting: Setting) -> BoolArray:
        return self.facility_na if setting is Setting.FACILITY else self.nonfacility_na

    def payable(self) -> BoolArray:
        """Rows whose status carries national RVUs (A, R, T); read-only, computed once per table."""
        return self._payable


@dataclass(frozen=True, slots=True)
class Locality:
    """One Medicare payment locality: its 7-digit key and its three GPCIs (as exact decimals)."""

    key: str
    mac: str
    number: str
    state: str
    name: str
    counties: str
    work_gpci: Decimal
    work_gpci_unfloored: Decimal
    pe_gpci: Decimal
    mp_gpci: Decimal


NATIONAL_KEY: Final = "national"


@dataclass(frozen=True, slots=True, eq=False)
class Localities:
    """All localities of a year, column-wise; GPCIs are int64 thousandths.

    ``gpci_matrix`` stacks (work, pe, mp) per locality for the vectorized formula.
    """

    keys: StrArray
    macs: StrArray
    numbers: StrArray
    states: StrArray
    names: StrArray
    counties: StrArray
    work: IntArray
    work_unfloored: IntArray
    pe: IntArray
    mp: IntArray
    index_of: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _freeze_arrays(self)
        object.__setattr__(self, "index_of", {k: i for i, k in enumerate(self.keys.tolist())})

    def __len__(self) -> int:
        return len(self.keys)

    def index(self, key: str) -> int:
        """Row of a 7-digit MAC+locality key.

        Raises:
            UnknownLocalityError: not one of this year's localities.
        """
        try:
            return self.index_of[key.strip()]
        except KeyError:
            raise UnknownLocalityError(key) from None

    def locality(self, key: str) -> Locality:
        """One locality as a value (``national`` gives all GPCIs 1.000)."""
        if key == NATIONAL_KEY:
            one = Decimal("1.000")
            return Locality(NATIONAL_KEY, "", "", "US", "National (all GPCIs 1.000)", "", one, one, one, one)
        i = self.index(key)

        def d(a: IntArray) -> Decimal:
            return (Decimal(int(a[i])) / 1000).quantize(Decimal("0.001"))

        return Locality(
            str(self.keys[i]), str(self.macs[i]), str(self.numbers[i]), str(self.states[i]), str(self.names[i]),
            str(self.counties[i]), d(self.work), d(self.work_unfloored), d(self.pe), d(self.mp),
        )

    def gpcis(self, indices: IntArray | None = None, *, floor: bool = True) -> IntArray:
        """(n, 3) int64 thousandths of (work, pe, mp) for the chosen rows (all rows when ``None``)."""
        work = self.work if floor else self.work_unfloored
        matrix = np.stack([work, self.pe, self.mp], axis=1)
        return matrix if indices is None else matrix[indices]


@dataclass(frozen=True, slots=True)
class PlaceOfService:
    """A CMS place-of-service code, its name and the rate setting it takes."""

    code: str
    name: str
    setting: Setting


@dataclass(frozen=True, slots=True)
class PlacesOfService:
    """The POS code set and its facility / non-facility mapping (Claims Processing Manual ch. 12 s20.4.2)."""

    by_code: dict[str, PlaceOfService]

    def get(self, code: str) -> PlaceOfService:
        """Look up a 2-digit POS code.

        Raises:
            InputError: not a valid POS code.
        """
        text = code.strip()
        if len(text) == 1 and text.isdigit():
            text = "0" + text
        try:
            return self.by_code[text]
        except KeyError:
            raise InputError(
                f"unknown place of service {code!r}: use a 2-digit CMS POS code such as 11 (office) "
                "or 22 (outpatient hospital)"
            ) from None


@dataclass(frozen=True, slots=True)
class Policy:
    """Constants of one payment year, each with its source, as carried in the tables' manifest."""

    year: int
    cf_nonqp: Decimal
    cf_qp: Decimal
    part_b_deductible: Decimal
    coinsurance: Decimal
    nonpar_rate: Decimal
    limiting_charge_rate: Decimal
    sequestration: Decimal
    work_gpci_floor: bool
    sources: dict[str, str]
    unfloored_work_gpci: bool = True  # the year's GPCI file gives the work GPCI without the floor too

    def conversion_factor(self, variant: CFVariant) -> Decimal:
        return self.cf_qp if variant is CFVariant.QP else self.cf_nonqp


@dataclass(frozen=True, slots=True)
class TablesInForce:
    """Which release prices a date or year, and whether it only stands in for a year CMS has not published.

    CMS publishes next year's tables in December, often after January visits are booked; until they are
    imported the newest release prices them, and every output must say so (``provisional``).
    """

    release: str
    year: int  # the release's own payment year
    for_year: int  # the year being priced
    provisional: bool
    note: str  # what a front desk reads, naming how to import the new release
    conversion_factor: str = ""  # "33.4009 (RVU26C)" or the provisional CF with its source

    @property
    def document_line(self) -> str:
        """The one line a patient document carries when the rates are provisional ('' otherwise)."""
        if not self.provisional:
            return ""
        return f"estimated with {self.year} Medicare rates; {self.for_year} rates not yet published"

    def as_dict(self) -> dict[str, object]:
        return {"release": self.release, "year": self.year, "for_year": self.for_year,
                "provisional": self.provisional, "note": self.note, "conversion_factor": self.conversion_factor}


@dataclass(frozen=True, slots=True, eq=False)
class TableSet:
    """One release of the fee-schedule tables, everything pricing needs for a date of service."""

    year: int
    release: str
    effective: dt.date
    schedule: FeeSchedule
    localities: Localities
    places: PlacesOfService
    policy: Policy
    labels: dict[str, str]
    ncci: NcciEdits = field(default_factory=NcciEdits)
    in_force: TablesInForce | None = None  # set by the catalog: for which year, provisional or not

    @property
    def tables_in_force(self) -> TablesInForce:
        """How these tables are used (a table set loaded on its own prices its own year)."""
        if self.in_force is not None:
            return self.in_force
        return TablesInForce(self.release, self.year, self.year, False,
                             f"{self.year} Medicare rates ({self.release})", f"{self.policy.cf_nonqp} ({self.release})")

    def label(self, code: str) -> str:
        """A plain-language label for a featured code, else the public HCPCS II text, else ''."""
        if code in self.labels:
            return self.labels[code]
        if self.schedule.has(code):
            return str(self.schedule.descriptions[self.schedule.row(code)])
        return ""
