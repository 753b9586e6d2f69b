"""What payers sent: X12 835 remittance lines and 837P billed claim lines, as values.

Pure: segments in (``estimator.core.x12``), values out.  An 835 transaction set is one payment (one payer,
one check or EFT: BPR, TRN, N1*PR / N1*PE); in it each claim (CLP) has service lines (SVC), each with its
dates (DTM*472), adjustments (CAS: group, reason, amount, up to six per segment), line id (REF*6R),
allowed amount (AMT*B6) and remarks (LQ*HE).  A claim's DTM*232 service date stands for lines without
their own.  Patient names (NM1*QC) are not kept: only the member id, which the rules need to follow a
patient's history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from estimator.core.x12 import Interchange, Segment, TransactionSet, X12Error, loops

Adjustment = tuple[str, str, int]  # (group, CARC, cents)


@dataclass(frozen=True, slots=True)
class RemitLine:
    """One remitted service line (an SVC of an 835) with its claim's and payment's context.

    Amounts are integer cents; ``allowed_cents`` is AMT*B6 where the payer sent it, else None (derive it
    with ``allowed``).  ``line_id`` is REF*6R where present, else the line's place in its claim (1, 2, ...).
    """

    payer: str
    payer_id: str
    payee: str
    payment_ref: str  # TRN02: check or EFT trace number
    paid_on: dt.date  # BPR16: payment date
    claim_id: str  # CLP01: the practice's claim (patient control) number
    payer_claim_id: str  # CLP07: the payer's claim control number
    claim_status: str  # CLP02: 1 primary, 2 secondary, 4 denied, 22 reversal ...
    patient_id: str  # NM1*QC member id
    line_id: str
    service_date: dt.date
    code: str
    modifiers: tuple[str, ...]
    units: int
    charge_cents: int
    paid_cents: int
    allowed_cents: int | None
    adjustments: tuple[Adjustment, ...]
    remarks: tuple[str, ...]

    @property
    def patient_cents(self) -> int:
        """What the payer says the patient owes on the line (PR adjustments)."""
        return sum(a for g, _, a in self.adjustments if g == "PR")

    @property
    def allowed(self) -> int:
        """The allowed amount: AMT*B6, else paid + patient responsibility + sequestration (CO-253)."""
        if self.allowed_cents is not None:
            return self.allowed_cents
        return self.paid_cents + self.patient_cents + sum(a for g, c, a in self.adjustments
                                                          if g != "PR" and c == "253")

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes a line unique across imports: payer, payer claim number, line."""
        return (self.payer.casefold(), self.payer_claim_id, self.line_id)


@dataclass(frozen=True, slots=True)
class BilledLine:
    """One billed service line of an 837P claim (SV1), with the claim's context."""

    claim_id: str  # CLM01
    patient_id: str  # NM1*IL member id
    payer: str  # NM1*PR name
    place_of_service: str  # CLM05-1
    service_date: dt.date  # DTP*472
    code: str
    modifiers: tuple[str, ...]
    units: int
    charge_cents: int
    diagnoses: tuple[str, ...]  # the diagnoses the line points to, in pointer order
    line_number: int  # the SV1 segment's position in the file


def parse_cents(text: str, segment: Segment, element: int, source: str) -> int:
    """An X12 decimal amount as cents (at most 2 places), or an X12Error naming the segment."""
    return _cents(text, segment.id, segment.position, element, source)


def _cents(text: str, seg_id: str, position: int, element: int, source: str) -> int:
    # Digits, one optional point with 1-2 places, an optional leading minus: int() does the rest exactly.
    if text and not text.strip("0123456789.-"):
        try:
            whole, dot, frac = text.partition(".")
            if not dot:
                return int(whole) * 100
            if len(frac) == 2 and frac.isdigit():
                return int(whole + frac) if whole not in ("", "-") else int(whole + "0" + frac)
            if len(frac) == 1 and frac.isdigit():
                return int((whole if whole not in ("", "-") else whole + "0") + frac) * 10
        except ValueError:
            pass
    raise X12Error(source, position, seg_id, f"element {element} is {text!r}, not an amount with at most 2 "
                   "decimal places")


def _date(text: str, segment: Segment, element: int, source: str) -> dt.date:
    return _day(text, segment.id, segment.position, element, source)


def _day(text: str, seg_id: str, position: int, element: int, source: str) -> dt.date:
    try:
        if len(text) != 8 or not text.isdigit():
            raise ValueError
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise X12Error(source, position, seg_id, f"element {element} is {text!r}, not a date CCYYMMDD") from None


def _units(text: str, segment: Segment, element: int, source: str) -> int:
    return _count(text, segment.id, segment.position, element, source)


def _count(text: str, seg_id: str, position: int, element: int, source: str) -> int:
    if not text:
        return 1
    if text.isdigit():
        return int(text)
    try:
        value = float(text)
    except ValueError:
        raise X12Error(source, position, seg_id, f"element {element} is {text!r}, not a quantity") from None
    if value != int(value) or value < 0:
        raise X12Error(source, position, seg_id, f"element {element} is {text!r}: units must be whole")
    return int(value)


_QUALIFIERS: Final = frozenset({"HC", "AD", "ER", "IV", "N4", "NU", "WK"})


def _code(interchange: Interchange, value: str, seg_id: str, position: int, source: str
          ) -> tuple[str, tuple[str, ...]]:
    parts = value.split(interchange.component_separator)
    if len(parts) < 2 or parts[0] not in _QUALIFIERS:
        raise X12Error(source, position, seg_id, f"element 1 is {value!r}: expected a procedure such as HC>17000>25 "
                       "(qualifier, code, modifiers)")
    return parts[1], tuple(m for m in parts[2:6] if m)


def _procedure(interchange: Interchange, segment: Segment, source: str) -> tuple[str, tuple[str, ...]]:
    return _code(interchange, segment.get(1), segment.id, segment.position, source)


def remit_lines(interchange: Interchange, source: str = "file") -> list[RemitLine]:
    """Every service line of every 835 payment in the interchange.

    Raises:
        X12Error: the interchange is not an 835, or a segment the lines need is missing or malformed.
    """
    out: list[RemitLine] = []
    seen = _Seen()
    for ts in interchange.transactions:
        if ts.set_id != "835":
            raise X12Error(source, None, "ST", f"transaction set {ts.control} is an {ts.set_id}, not a remittance "
                           "(835); import claim files (837) with 'estimator audit'")
        out.extend(_payment(interchange, ts, source, seen))
    return out


def _el(row: list[str], index: int) -> str:
    return row[index] if index < len(row) else ""


@dataclass(slots=True)
class _Seen:
    """What a file repeats, read once: dates, amounts and units (by their text), procedures (by the SVC01
    text) and whole adjustment sets (shared by the lines that have the same)."""

    days: dict[str, dt.date] = field(default_factory=dict)
    cents: dict[str, int] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)
    codes: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    adjustments: dict[tuple[Adjustment, ...], tuple[Adjustment, ...]] = field(default_factory=dict)


def _payment(interchange: Interchange, ts: TransactionSet, source: str, seen: _Seen) -> list[RemitLine]:
    """One 835 payment's lines, in one pass over its segments (100,000 lines must read in about a second)."""
    rows, start = ts.rows, ts.start
    n = len(rows)
    k = 0
    paid_on: dt.date | None = None
    trn = payer = payer_id = payee = ""
    while k < n and rows[k][0] != "CLP":
        row = rows[k]
        tag = row[0]
        if tag == "BPR":
            paid_on = _day(_el(row, 16), "BPR", start + k, 16, source)
        elif tag == "TRN" and not trn:
            trn = _el(row, 2)
        elif tag == "N1" and _el(row, 1) == "PR":
            payer, payer_id = _el(row, 2).strip(), _el(row, 4)
        elif tag == "N1" and _el(row, 1) == "PE":
            payee = _el(row, 2).strip()
        k += 1
    if paid_on is None:
        raise X12Error(source, start, "BPR", f"missing in transaction set {ts.control}: an 835 starts with the "
                       "payment (BPR)")
    if not payer:
        raise X12Error(source, start + k - 1, "N1", f"transaction set {ts.control} names no payer (N1*PR)")
    paid_day: dt.date = paid_on
    out: list[RemitLine] = []
    claim_id = payer_claim_id = claim_status = ""
    in_claim = False
    patient = ""
    claim_date: dt.date | None = None
    in_line = False
    number = 0
    position = 0
    code, charge, paid, units = "", 0, 0, 1
    modifiers: tuple[str, ...] = ()
    service: dt.date | None = None
    allowed: int | None = None
    adjustments: list[Adjustment] = []
    remarks: list[str] = []
    line_id = ""
    days, cents, counts, codes, adjusted = seen.days, seen.cents, seen.units, seen.codes, seen.adjustments

    def day(text: str, tag: str, at: int) -> dt.date:
        found = days.get(text)
        if found is None:
            found = days[text] = _day(text, tag, at, 2, source)
        return found

    def amount(text: str, tag: str, at: int, element: int) -> int:
        found = cents.get(text)
        if found is None:
            found = cents[text] = _cents(text, tag, at, element, source)
        return found

    def flush() -> None:
        when = service or claim_date
        if when is None:
            raise X12Error(source, position, "SVC", "has no service date (DTM*472 on the line or DTM*232 on the "
                           "claim)")
        adjusts = tuple(adjustments)
        out.append(RemitLine(payer, payer_id, payee, trn, paid_day, claim_id, payer_claim_id, claim_status,
                             patient, line_id, when, code, modifiers, units, charge, paid, allowed,
                             adjusted.setdefault(adjusts, adjusts), tuple(remarks)))

    first_claim = k
    for k in range(first_claim, n):
        row = rows[k]
        tag = row[0]
        size = len(row)
        if tag == "SVC":
            if in_line:
                flush()
            in_line = True
            position = start + k
            number += 1
            procedure = row[1] if size > 1 else ""
            found = codes.get(procedure)
            if found is None:
                found = codes[procedure] = _code(interchange, procedure, "SVC", position, source)
            code, modifiers = found
            charge = amount(row[2] if size > 2 else "", "SVC", position, 2)
            paid = amount(row[3] if size > 3 else "", "SVC", position, 3)
            quantity = (row[5] if size > 5 else "") or (row[7] if size > 7 else "")
            count = counts.get(quantity)
            if count is None:
                count = counts[quantity] = _count(quantity, "SVC", position, 5, source)
            units = count
            service, allowed, adjustments, remarks, line_id = None, None, [], [], str(number)
        elif tag == "CLP":
            if in_line:
                flush()
            in_line, in_claim, patient, claim_date, number = False, True, "", None, 0
            if size < 2 or not row[1]:
                raise X12Error(source, start + k, "CLP", "has no claim number (CLP01)")
            claim_id, claim_status = row[1], row[2] if size > 2 else ""
            payer_claim_id = (row[7] if size > 7 else "") or claim_id
        elif in_line:
            qualifier = row[1] if size > 1 else ""
            if tag == "CAS":
                for j in range(2, min(size, 20), 3):
                    if row[j]:
                        adjustments.append((qualifier, row[j], amount(row[j + 1] if size > j + 1 else "", "CAS",
                                                                      start + k, j + 1)))
            elif tag == "DTM" and qualifier in ("472", "150"):
                service = day(row[2] if size > 2 else "", "DTM", start + k)
            elif tag == "AMT" and qualifier == "B6":
                allowed = amount(row[2] if size > 2 else "", "AMT", start + k, 2)
            elif tag == "REF" and qualifier == "6R":
                line_id = row[2] if size > 2 else ""
            elif tag == "LQ" and qualifier == "HE":
                remarks.append(row[2] if size > 2 else "")
        elif in_claim:
            if tag == "NM1" and _el(row, 1) == "QC":
                patient = _el(row, 9)
            elif tag == "DTM" and _el(row, 1) in ("232", "472"):
                claim_date = day(_el(row, 2), "DTM", start + k)
    if in_line:
        flush()
    return out


def billed_lines(interchange: Interchange, source: str = "file") -> list[BilledLine]:
    """Every service line (SV1) of every 837P claim in the interchange.

    Raises:
        X12Error: not an 837, or a claim segment the lines need is missing or malformed.
    """
    out: list[BilledLine] = []
    for ts in interchange.transactions:
        if ts.set_id != "837":
            raise X12Error(source, None, "ST", f"transaction set {ts.control} is an {ts.set_id}, not a claim (837)")
        patient = payer = ""
        for claim in _claims_837(ts.segments):
            clm, lead = claim[0], claim[1]
            for s in lead:
                if s.elements[0] == "NM1" and s.get(1) == "IL":
                    patient = s.get(9)
                elif s.elements[0] == "NM1" and s.get(1) == "PR":
                    payer = s.get(3).strip()
            place = interchange.components(clm.get(5))[0]
            diagnoses: list[str] = []
            claim_date: dt.date | None = None
            body = claim[2]
            first_lx = next((i for i, s in enumerate(body) if s.elements[0] == "LX"), len(body))
            for s in body[:first_lx]:
                if s.elements[0] == "HI":
                    for element in s.elements[1:]:
                        parts = interchange.components(element)
                        if len(parts) >= 2 and parts[0] in ("ABK", "ABF", "BK", "BF"):
                            code = parts[1]
                            diagnoses.append(code if len(code) <= 3 else f"{code[:3]}.{code[3:]}")
                elif s.elements[0] == "DTP" and s.get(1) == "472":
                    claim_date = _date(s.get(3)[:8], s, 3, source)
            for line in loops(body[first_lx:], "LX"):
                sv1 = next((s for s in line if s.elements[0] == "SV1"), None)
                if sv1 is None:
                    raise X12Error(source, line[0].position, "LX", "service line without SV1")
                code, modifiers = _procedure(interchange, sv1, source)
                service = claim_date
                for s in line:
                    if s.elements[0] == "DTP" and s.get(1) == "472":
                        service = _date(s.get(3)[:8], s, 3, source)
                if service is None:
                    raise X12Error(source, sv1.position, "SV1", "has no service date (DTP*472)")
                pointers = [p for p in interchange.components(sv1.get(7)) if p]
                try:
                    pointed = tuple(diagnoses[int(p) - 1] for p in pointers)
                except (ValueError, IndexError):
                    raise X12Error(source, sv1.position, "SV1", f"diagnosis pointer {sv1.get(7)!r} does not point "
                                   f"to one of the claim's {len(diagnoses)} diagnoses") from None
                out.append(BilledLine(clm.get(1), patient, payer, place, service, code, modifiers,
                                      _units(sv1.get(4), sv1, 4, source), parse_cents(sv1.get(2), sv1, 2, source),
                                      pointed, sv1.position))
    return out


def _claims_837(segments: list[Segment]) -> Iterable[tuple[Segment, list[Segment], list[Segment]]]:
    """(CLM, the segments before it since the last HL, the claim's own segments) for each claim."""
    since_hl: list[Segment] = []
    current: tuple[Segment, list[Segment], list[Segment]] | None = None
    for s in segments:
        tag = s.elements[0]
        if tag == "HL":
            if current is not None:
                yield current
                current = None
            since_hl = [s]
        elif tag == "CLM":
            if current is not None:
                yield current
            current = (s, list(since_hl), [])
        elif current is not None:
            current[2].append(s)
        else:
            since_hl.append(s)
    if current is not None:
        yield current
