"""The strict X12 reader: separators from ISA, the envelope's counts and control numbers, positions in errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from estimator.core.remits import billed_lines, remit_lines
from estimator.core.x12 import X12Error, read_interchange

ISA = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260420*1200*^*00501*000000007*0*T*>~"


def _file(*body: str, se: str | None = None, ge: str = "GE*1*5", iea: str = "IEA*1*000000007") -> str:
    count = len(body) + 2
    return "".join(s + "~" for s in ("GS*HP*S*R*20260420*1200*5*X*005010X221A1", "ST*835*0001", *body,
                                       se or f"SE*{count}*0001", ge, iea)).join((ISA, ""))


PAYMENT = ("BPR*I*10*C*ACH*CCP*01*1*DA*1*1**01*1*DA*1*20260220", "TRN*1*T1*1", "N1*PR*Medicare", "LX*1",
           "CLP*C1*1*20*10*0*MB*P1", "NM1*QC*1*SYNTHETIC*PATIENT****MI*SYN-PT-1", "DTM*232*20260202",
           "SVC*HC>17000>25*20*10**1", "CAS*CO*45*10", "AMT*B6*10")


def test_a_well_formed_835_gives_its_lines_with_separators_read_from_isa() -> None:
    lines = remit_lines(read_interchange(_file(*PAYMENT)))
    assert len(lines) == 1
    line = lines[0]
    assert (line.code, line.modifiers, line.charge_cents, line.paid_cents, line.allowed) == ("17000", ("25",), 2000,
                                                                                           1000, 1000)
    assert line.adjustments == (("CO", "45", 1000),) and line.line_id == "1" and line.patient_id == "SYN-PT-1"


@pytest.mark.parametrize(("text", "message"), [
    ("hello", "segment ISA at position 1: not an X12 file"),
    ("", "segment ISA at position 1: not an X12 file"),
    (_file(*PAYMENT, se="SE*3*0001"), "segment SE at position 14: bad segment count: SE01 says '3'"),
    (_file(*PAYMENT, se="SE*12*0002"), "segment SE at position 14: control number '0002' does not match ST02"),
    (_file(*PAYMENT, ge="GE*2*5"), "segment GE at position 15: bad transaction count"),
    (_file(*PAYMENT, iea="IEA*1*000000008"), "segment IEA at position 16: control number"),
    (_file(*PAYMENT).replace("SE*12*0001~", ""), "segment GE at position 14: transaction set 0001"),
    (_file(*PAYMENT).replace("IEA*1*000000007~", ""), "segment IEA at position 15: missing"),
    (_file(*PAYMENT).replace("LX*1", "lx*1"), "segment 'lx' at position 7: is not a segment id"),
    (_file(*PAYMENT).replace("SVC*HC>17000>25*20*", "SVC*HC>17000>25*2O*"), "segment SVC at position 11: element 2"),
])
def test_a_malformed_file_is_refused_naming_the_segment_and_its_position(text: str, message: str) -> None:
    with pytest.raises(X12Error) as error:
        remit_lines(read_interchange(text, "f.835"), "f.835")
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_an_837_is_not_taken_for_a_remittance_and_its_lines_point_to_their_diagnoses(repo_root: Path) -> None:
    text = (repo_root / "samples" / "claims.837").read_text()
    interchange = read_interchange(text)
    with pytest.raises(X12Error, match="not a remittance"):
        remit_lines(interchange)
    lines = billed_lines(interchange)
    assert [(x.claim_id, x.code, x.modifiers, x.units) for x in lines[:3]] == [
        ("SYN-CLM-5001", "99213", ("25",), 1), ("SYN-CLM-5001", "17000", (), 1), ("SYN-CLM-5001", "17003", (), 6)]
    assert lines[0].place_of_service == "11" and lines[0].payer == "Medicare"
    five = [x for x in lines if x.claim_id == "SYN-CLM-5003"]
    assert five[0].diagnoses == ("D48.5", "L57.0")
