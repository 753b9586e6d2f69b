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
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from estimator.core.x12 import Interchange, Segment, TransactionSet, X12Error, loops

_MONEY: Final = re.compile(r"-?(\d+)(?:\.(\d{1,2}))?|-?\.(\d{1,2})")
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
    m = _MONEY.fullmatch(text)
    if m is None:
        raise X12Error(source, segment.position, segment.id,
                       f"element {element} is {text!r}, not an amount with at most 2 decimal places")
    whole, frac, only_frac = m.groups()
    cents = int(whole or 0) * 100 + int(((frac or only_frac or "") + "00")[:2])
    return -cents if text.startswith("-") else cents


def _date(text: str, segment: Segment, element: int, source: str) -> dt.date:
    try:
        if len(text) != 8 or not text.isdigit():
            raise ValueError
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise X12Error(source, segment.position, segment.id,
                       f"element {element} is {text!r}, not a date CCYYMMDD") from None


def _units(text: str, segment: Segment, element: int, source: str) -> int:
    if not text:
        return 1
    try:
        value = float(text)
    except ValueError:
        raise X12Error(source, segment.position, segment.id, f"element {element} is {text!r}, not a quantity") from None
    if value != int(value) or value < 0:
        raise X12Error(source, segment.position, segment.id, f"element {element} is {text!r}: units must be whole")
    return int(value)


def _procedure(interchange: Interchange, segment: Segment, source: str) -> tuple[str, tuple[str, ...]]:
    parts = interchange.components(segment.get(1))
    if len(parts) < 2 or parts[0] not in ("HC", "AD", "ER", "IV", "N4", "NU", "WK"):
        raise X12Error(source, segment.position, segment.id, f"element 1 is {segment.get(1)!r}: expected a "
                       "procedure such as HC>17000>25 (qualifier, code, modifiers)")
    return parts[1], tuple(m for m in parts[2:6] if m)


def remit_lines(interchange: Interchange, source: str = "file") -> list[RemitLine]:
    """Every service line of every 835 payment in the interchange.

    Raises:
        X12Error: the interchange is not an 835, or a segment the lines need is missing or malformed.
    """
    out: list[RemitLine] = []
    for ts in interchange.transactions:
        if ts.set_id != "835":
            raise X12Error(source, None, "ST", f"transaction set {ts.control} is an {ts.set_id}, not a remittance "
                           "(835); import claim files (837) with 'estimator audit'")
        out.extend(_payment(interchange, ts, source))
    return out


def _payment(interchange: Interchange, ts: TransactionSet, source: str) -> Iterable[RemitLine]:
    segments = ts.segments
    first_clp = next((i for i, s in enumerate(segments) if s.elements[0] == "CLP"), len(segments))
    header = segments[:first_clp]
    bpr = next((s for s in header if s.elements[0] == "BPR"), None)
    if bpr is None:
        raise X12Error(source, segments[0].position if segments else None, "BPR",
                       f"missing in transaction set {ts.control}: an 835 starts with the payment (BPR)")
    paid_on = _date(bpr.get(16), bpr, 16, source)
    trn = next((s.get(2) for s in header if s.elements[0] == "TRN"), "")
    payer = payee = payer_id = ""
    for s in header:
        if s.elements[0] == "N1" and s.get(1) == "PR":
            payer, payer_id = s.get(2).strip(), s.get(4)
        elif s.elements[0] == "N1" and s.get(1) == "PE":
            payee = s.get(2).strip()
    if not payer:
        raise X12Error(source, header[-1].position if header else None, "N1",
                       f"transaction set {ts.control} names no payer (N1*PR)")
    for claim in loops(segments[first_clp:], "CLP"):
        clp = claim[0]
        patient = next((s.get(9) for s in claim if s.elements[0] == "NM1" and s.get(1) == "QC"), "")
        claim_date: dt.date | None = None
        first_svc = next((i for i, s in enumerate(claim) if s.elements[0] == "SVC"), len(claim))
        for s in claim[:first_svc]:
            if s.elements[0] == "DTM" and s.get(1) in ("232", "472"):
                claim_date = _date(s.get(2), s, 2, source)
        for number, line in enumerate(loops(claim[first_svc:], "SVC"), start=1):
            svc = line[0]
            code, modifiers = _procedure(interchange, svc, source)
            charge = parse_cents(svc.get(2), svc, 2, source)
            paid = parse_cents(svc.get(3), svc, 3, source)
            units = _units(svc.get(5) or svc.get(7), svc, 5, source)
            service = claim_date
            allowed: int | None = None
            adjustments: list[Adjustment] = []
            remarks: list[str] = []
            line_id = str(number)
            for s in line[1:]:
                tag = s.elements[0]
                if tag == "DTM" and s.get(1) in ("472", "150"):
                    service = _date(s.get(2), s, 2, source)
                elif tag == "CAS":
                    group = s.get(1)
                    for k in range(2, min(len(s.elements), 20), 3):
                        if s.get(k):
                            adjustments.append((group, s.get(k), parse_cents(s.get(k + 1), s, k + 1, source)))
                elif tag == "AMT" and s.get(1) == "B6":
                    allowed = parse_cents(s.get(2), s, 2, source)
                elif tag == "REF" and s.get(1) == "6R":
                    line_id = s.get(2)
                elif tag == "LQ" and s.get(1) == "HE":
                    remarks.append(s.get(2))
            if service is None:
                raise X12Error(source, svc.position, "SVC", "has no service date (DTM*472 on the line or DTM*232 "
                               "on the claim)")
            yield RemitLine(payer, payer_id, payee, trn, paid_on, clp.get(1), clp.get(7) or clp.get(1), clp.get(2),
                            patient, line_id, service, code, modifiers, units, charge, paid, allowed,
                            tuple(adjustments), tuple(remarks))


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
