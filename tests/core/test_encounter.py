"""Claim building: lesion tiers, modifier 25, the multiple-procedure reduction and the explanation trace.

Sources are in each test's docstring (DOMAIN.md sections 3-4).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estimator.core.encounter import Encounter, ServiceLine
from estimator.core.errors import InputError
from estimator.core.ncci import LESION_UNIT_LIMITS
from estimator.core.rules import build_claim
from estimator.core.schedule import TableSet

DAY = dt.date(2026, 3, 2)


def lines_by_code(claim):
    return {line.code: line for line in claim.lines}


def test_the_issue_example_8_lesions_99213_and_a_biopsy(tables_2026: TableSet) -> None:
    """Issue 3's example (2026, national, office, non-QP): 99213-25 $95.19 in full; 11102 ranks first at
    $95.53; 17000 reduced to 50%; 17003 x7 unreduced (CMS Claims Processing Manual ch. 12 s40.6)."""
    claim = build_claim(Encounter(DAY, lesions=8, em_code="99213", procedures=(ServiceLine("11102"),),
                                  diagnoses=("L57.0",)), tables_2026)
    lines = lines_by_code(claim)
    assert lines["99213"].modifiers == ("25",) and lines["99213"].cents == 9519
    assert lines["11102"].mppr_ranks == (1,) and lines["11102"].cents == 9553
    assert lines["17000"].mppr_ranks == (2,) and lines["17000"].cents == 3324
    assert lines["17000"].reduction_pct == Decimal(50) and "51" in lines["17000"].modifiers
    assert lines["17003"].units == 7 and lines["17003"].cents == 4445 and lines["17003"].reduction_pct == 0
    assert claim.total_cents == 9519 + 9553 + 3324 + 4445
    assert not claim.errors


@pytest.mark.parametrize(("count", "expected"), [
    (1, {"17000": 1}), (2, {"17000": 1, "17003": 1}), (14, {"17000": 1, "17003": 13}), (15, {"17004": 1}),
    (200, {"17004": 1}),
])
def test_lesion_count_becomes_the_cpt_tier(tables_2026: TableSet, count: int, expected: dict[str, int]) -> None:
    """DOMAIN section 3: 1 -> 17000; 2-14 -> 17000 + 17003 x (n-1); 15+ -> 17004 alone."""
    claim = build_claim(Encounter(DAY, lesions=count, diagnoses=("L57.0",)), tables_2026)
    assert {line.code: line.units for line in claim.lines} == expected


def test_modifier_25_is_added_only_when_a_minor_procedure_is_billed(tables_2026: TableSet) -> None:
    """CMS Claims Processing Manual ch. 12 s30.6.6(B): 25 marks a separately identifiable same-day visit."""
    with_procedure = build_claim(Encounter(DAY, lesions=3, em_code="99213", diagnoses=("L57.0",)), tables_2026)
    visit_only = build_claim(Encounter(DAY, em_code="99213", diagnoses=("L57.0",)), tables_2026)
    assert lines_by_code(with_procedure)["99213"].modifiers == ("25",)
    assert lines_by_code(visit_only)["99213"].modifiers == ()


def test_sixth_procedure_is_flagged_by_report(tables_2026: TableSet) -> None:
    """Indicator 2: 100%, then 50% for the next four, then 'by report' (DOMAIN section 4)."""
    procedures = tuple(ServiceLine(code) for code in ("11102", "11104", "11106", "17110", "17000", "96567"))
    claim = build_claim(Encounter(DAY, procedures=procedures, diagnoses=("L57.0",)), tables_2026)
    ranked = sorted((r, line.code) for line in claim.lines for r in line.mppr_ranks)
    assert [r for r, _ in ranked] == list(range(1, len(ranked) + 1))
    assert any(line.by_report for line in claim.lines) == (len(ranked) > 5)
    assert "mppr-by-report" in {f.code for f in claim.findings} or len(ranked) <= 5


def test_the_trace_explains_every_step(tables_2026: TableSet) -> None:
    """'Explain this number': RVUs and release, GPCIs and locality, CF, setting and why, rounding, MPPR."""
    claim = build_claim(Encounter(DAY, place_of_service="22", locality_key="0441299", lesions=8,
                                  procedures=(ServiceLine("11102"),), diagnoses=("L57.0",)), tables_2026)
    lines = lines_by_code(claim)
    reduced = next(line for line in claim.lines if line.mppr_ranks == (2,))
    text = "\n".join(lines["17000"].trace.lines()) + "\n".join(reduced.trace.lines())
    for needle in ("RVU26C", "REST OF TEXAS", "0441299", "33.4009", "facility", "place of service 22",
                   "rounded once, half-up", "multiple-procedure rule (indicator 2): rank", "rank 2 -> 50%",
                   "modifier 51"):
        assert needle in text


@pytest.mark.parametrize("text", ["1700", "11102x0", "11102x", "11102:Z", "11102:QQ", "11102@XYZ", "11102x1000"])
def test_malformed_added_procedures_are_refused_with_a_message(text: str) -> None:
    with pytest.raises(InputError):
        ServiceLine.parse(text)


def test_added_procedure_syntax_carries_units_modifiers_and_diagnoses() -> None:
    assert ServiceLine.parse("11103x2:rt,59@d48.5,L57.0") == ServiceLine("11103", 2, ("RT", "59"), ("D48.5", "L57.0"))


@pytest.mark.parametrize(("line", "text"), [
    (ServiceLine("11102"), "11102"),
    (ServiceLine("17110", modifiers=("59",)), "17110:59"),
    (ServiceLine("11103", 2, ("RT", "59"), ("D48.5", "L57.0")), "11103x2:RT,59@D48.5,L57.0"),
])
def test_a_procedure_is_written_back_in_the_syntax_it_is_parsed_from(line: ServiceLine, text: str) -> None:
    assert line.text() == text
    assert ServiceLine.parse(text) == line


def test_an_em_code_that_is_not_an_office_visit_is_refused() -> None:
    with pytest.raises(InputError, match="office E/M"):
        Encounter(DAY, em_code="17000")


extra_codes = st.sampled_from(["11102", "11103", "11104", "11106", "17110", "17111", "96567", "96573", "99213"])


@given(lesions=st.integers(1, 500), extras=st.lists(extra_codes, max_size=6),
       em=st.sampled_from([None, "99212", "99213", "99214"]), pos=st.sampled_from(["11", "22"]))
def test_any_visit_respects_unit_limits_exclusivity_totals_and_never_raises_pay(
    tables_2026: TableSet, lesions: int, extras: list[str], em: str | None, pos: str
) -> None:
    """Hypothesis: for any lesion count and mix of procedures, the claim never breaks the per-day unit limits
    or 17004's exclusivity, the total is the sum of the lines, and the reduction never raises a payment."""
    claim = build_claim(Encounter(DAY, place_of_service=pos, lesions=lesions, em_code=em,
                                  procedures=tuple(ServiceLine(c) for c in extras), diagnoses=("L57.0",)),
                        tables_2026)
    units = {c: sum(line.units for line in claim.lines if line.code == c) for c in LESION_UNIT_LIMITS}
    assert all(units[c] <= limit.units for c, limit in LESION_UNIT_LIMITS.items())
    assert not (units["17004"] and (units["17000"] or units["17003"]))
    assert claim.total_cents == sum(line.cents or 0 for line in claim.lines)
    for line in claim.lines:
        if line.cents is not None:
            assert 0 <= line.cents <= (line.full_cents or 0)
    lesion_errors = {f.code for f in claim.errors if f.line_code in ("17000", "17003", "17004")}
    assert not lesion_errors & {"unit-limit", "lesion-17004-exclusive", "add-on-without-primary"}
