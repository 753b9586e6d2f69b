"""A small, strict X12 reader: the ISA/GS/ST envelope checked, segments handed out with their positions.

Pure: text in, ``Interchange`` out (reading the file is the caller's job).  What is checked, each refusal
naming the segment and its position (1 = the ISA segment):

* the text begins with a 106-character ISA segment, which sets the element, component and repetition
  separators and the segment terminator (X12.5 / X12.6: they are ISA's 4th, 105th, 83rd and 106th characters);
* every segment id is 2-3 upper-case letters or digits;
* nesting: ISA > GS > ST ... SE > GE > IEA, nothing outside a transaction set but the envelope;
* counts and control numbers: SE01 = segments from ST to SE inclusive and SE02 = ST02; GE01 = transaction
  sets in the group and GE02 = GS06; IEA01 = groups and IEA02 = ISA13.

Why not pyx12 (the well-kept BSD parser): it validates against the full implementation guide, which is
what a clearinghouse needs, but it read 2,000 service lines in 2.2 s (about 110 s for 100,000) and its raw
segment reader alone would take ~5 s for 100,000 lines; the import target is 5 s including reconciliation.
The tests still run the shipped samples through pyx12's guide validation where it is installed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import Final

from estimator.core.errors import InputError

ISA_LENGTH: Final = 106
_SEGMENT_ID: Final = re.compile(r"[A-Z0-9]{2,3}")
_ENVELOPE: Final = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA"})


class X12Error(InputError):
    """An X12 file that breaks the envelope rules: names the segment and its position."""

    def __init__(self, source: str, position: int | None, segment: str, problem: str) -> None:
        where = f"segment {segment} at position {position}" if position is not None else f"segment {segment}"
        super().__init__(f"{source}: {where}: {problem}")
        self.position = position
        self.segment = segment


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment: its position in the file (1 = ISA) and its elements (``elements[0]`` is the id)."""

    position: int
    elements: list[str]

    @property
    def id(self) -> str:
        return self.elements[0]

    def get(self, index: int) -> str:
        """Element ``index`` (X12 numbering: 1 is the first after the id), '' where absent."""
        return self.elements[index] if index < len(self.elements) else ""


@dataclass(frozen=True, slots=True)
class TransactionSet:
    """One ST...SE transaction set: its id (835, 837 ...), control number, version and body.

    ``rows`` are the body's segments (ST and SE excluded) as element lists; ``start`` is the position of the
    first of them, so ``rows[k]`` is the segment at position ``start + k``.
    """

    set_id: str
    control: str
    version: str  # GS08, e.g. 005010X221A1
    rows: list[list[str]]
    start: int

    @property
    def segments(self) -> list[Segment]:
        """The body as ``Segment`` values (for readers that prefer them to bare element lists)."""
        return [Segment(self.start + k, row) for k, row in enumerate(self.rows)]


@dataclass(frozen=True, slots=True)
class Interchange:
    """A whole X12 file: its separators and its transaction sets in order."""

    sender: str
    receiver: str
    control: str
    component_separator: str
    repetition_separator: str
    transactions: list[TransactionSet]

    def components(self, value: str) -> list[str]:
        """A composite element's components (``HC>17000>25`` -> ``['HC', '17000', '25']``)."""
        return value.split(self.component_separator)


def looks_like_x12(head: str) -> bool:
    """Whether text starts like an X12 interchange (for telling an 835/837 from a CSV)."""
    return head.lstrip("\ufeff \r\n\t").startswith("ISA")


def read_interchange(text: str, source: str = "file") -> Interchange:
    """Split and check an X12 interchange.

    Args:
        text: the whole file.
        source: the file's name, for messages.

    Returns:
        The interchange with every transaction set's body segments.

    Raises:
        X12Error: not X12, or an envelope rule is broken (the message names the segment and its position).
    """
    text = text.lstrip("\ufeff \r\n\t")
    if not text.startswith("ISA"):
        sample = text[:20].splitlines()[0] if text.strip() else "an empty file"
        raise X12Error(source, 1, "ISA", f"not an X12 file: it must begin with an ISA segment, found {sample!r}; "
                       "export the remittance (835) or claim (837) file itself from the clearinghouse")
    if len(text) < ISA_LENGTH:
        raise X12Error(source, 1, "ISA", f"the ISA segment is {len(text)} characters; it must be {ISA_LENGTH}")
    element, repetition, component, terminator = text[3], text[82], text[104], text[105]
    isa = text[:ISA_LENGTH - 1].split(element)
    if len(isa) != 17 or element.isalnum() or terminator.isalnum() or component.isalnum():
        raise X12Error(source, 1, "ISA", "malformed ISA segment: it must have 16 fixed-width elements "
                       f"(found {len(isa) - 1}) followed by the segment terminator")
    # Line breaks are not data in X12 (files are often wrapped at 80 columns): dropped before splitting.
    if terminator not in "\r\n":
        text = text.replace("\r", "").replace("\n", "")
    segs = [chunk for chunk in text.split(terminator) if chunk]  # segs[i] is the segment at position i + 1
    if segs and not segs[-1].strip():
        segs.pop()
    # Every segment split once: the envelope checks read the ids, the transaction sets keep the element lists.
    rows = [chunk.split(element) for chunk in segs]
    ids = list(map(itemgetter(0), rows))
    _check_ids(ids, 1, source)
    envelope = list(itertools.compress(itertools.count(), map(_ENVELOPE.__contains__, ids)))
    transactions: list[TransactionSet] = []
    group: tuple[Segment, int] | None = None  # GS and its transaction count
    st: Segment | None = None
    version = ""
    groups = 0
    isa_control = isa[13]
    previous = -1
    for i in envelope:
        if i > previous + 1:  # segments between two envelope segments: a transaction set's body
            first = previous + 1
            if st is None:
                seg_id = ids[first]
                if previous >= 0 and segs[previous].startswith("IEA" + element):
                    raise X12Error(source, first + 1, seg_id[:3], "found after IEA, which ends the interchange")
                raise X12Error(source, first + 1, seg_id, "is outside a transaction set (ST ... SE)")
        previous = i
        position = i + 1
        segment = Segment(position, rows[i])
        seg_id = segment.elements[0]
        if seg_id == "ISA":
            if position != 1:
                raise X12Error(source, position, "ISA", "a second interchange header: one interchange per file")
        elif seg_id == "GS":
            if group is not None:
                raise X12Error(source, position, "GS", f"the group opened at position {group[0].position} has no "
                               "GE before this GS")
            group, version, groups = (segment, 0), segment.get(8), groups + 1
        elif seg_id == "ST":
            if st is not None:
                raise X12Error(source, position, "ST", f"transaction set {st.get(2)} (ST at position {st.position}) "
                               "has no SE before this ST")
            if group is None:
                raise X12Error(source, position, "ST", "is outside a functional group (GS ... GE)")
            st = segment
            group = (group[0], group[1] + 1)
        elif seg_id == "SE":
            if st is None:
                raise X12Error(source, position, "SE", "has no ST before it")
            count = position - st.position + 1
            if segment.get(1) != str(count):
                raise X12Error(source, position, "SE", f"bad segment count: SE01 says {segment.get(1)!r}, but "
                               f"transaction set {st.get(2)} has {count} segments (ST to SE)")
            if segment.get(2) != st.get(2):
                raise X12Error(source, position, "SE", f"control number {segment.get(2)!r} does not match ST02 "
                               f"{st.get(2)!r} (position {st.position})")
            transactions.append(TransactionSet(st.get(1), st.get(2), version, rows[st.position:i],
                                               st.position + 1))
            st = None
        elif seg_id == "GE":
            if st is not None:
                raise X12Error(source, position, "GE", f"transaction set {st.get(2)} (ST at position {st.position}) "
                               "has no SE: its end is missing")
            if group is None:
                raise X12Error(source, position, "GE", "has no GS before it")
            if segment.get(1) != str(group[1]):
                raise X12Error(source, position, "GE", f"bad transaction count: GE01 says {segment.get(1)!r}, "
                               f"the group has {group[1]}")
            if segment.get(2) != group[0].get(6):
                raise X12Error(source, position, "GE", f"control number {segment.get(2)!r} does not match GS06 "
                               f"{group[0].get(6)!r}")
            group = None
        else:  # IEA
            if st is not None or group is not None:
                what = f"transaction set {st.get(2)} has no SE" if st is not None else "the group has no GE"
                raise X12Error(source, position, "IEA", f"{what}: the file ends too early")
            if segment.get(1) != str(groups):
                raise X12Error(source, position, "IEA", f"bad group count: IEA01 says {segment.get(1)!r}, the "
                               f"interchange has {groups}")
            if segment.get(2) != isa_control:
                raise X12Error(source, position, "IEA", f"control number {segment.get(2)!r} does not match ISA13 "
                               f"{isa_control!r}")
            if i + 1 < len(segs):
                seg_id = ids[i + 1]
                raise X12Error(source, i + 2, seg_id[:3], "found after IEA, which ends the interchange")
            return Interchange(isa[6].strip(), isa[8].strip(), isa_control, component, repetition, transactions)
    position = len(segs)
    if st is not None:
        raise X12Error(source, position, "SE", f"missing: transaction set {st.get(2)} (ST at position "
                       f"{st.position}) is not closed; the file is cut short")
    if previous + 1 < len(segs):
        seg_id = ids[previous + 1]
        raise X12Error(source, previous + 2, seg_id, "is outside a transaction set (ST ... SE)")
    raise X12Error(source, position, "IEA", "missing: the interchange is not closed; the file is cut short")


def _check_ids(ids: list[str], first_position: int, source: str) -> None:
    """Every segment id is 2-3 upper-case letters or digits (checked once per distinct id)."""
    for seg_id in set(ids):
        if _SEGMENT_ID.fullmatch(seg_id) is None:
            k = ids.index(seg_id)
            raise X12Error(source, first_position + k, repr(seg_id[:12]), "is not a segment id (2-3 upper-case "
                           "letters or digits): the file is damaged or not X12")


def loops(segments: list[Segment], starts: str) -> Iterator[list[Segment]]:
    """The runs of segments that each begin with a segment ``starts`` (what comes before the first is skipped)."""
    current: list[Segment] | None = None
    for segment in segments:
        if segment.elements[0] == starts:
            if current is not None:
                yield current
            current = [segment]
        elif current is not None:
            current.append(segment)
    if current is not None:
        yield current
