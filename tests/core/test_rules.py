"""Rule checks, one table-driven case per rule with its source (DOMAIN.md sections 3-4)."""

from __future__ import annotations

import datetime as dt

import pytest

from estimator.core.encounter import Encounter, PriorService, ServiceLine
from estimator.core.rules import build_claim, global_period
from estimator.core.schedule import TableSet

DAY = dt.date(2026, 3, 2)
AK = ("L57.0",)


def codes_found(encounter: Encounter, tables: TableSet) -> set[str]:
    return {f.code for f in build_claim(encounter, tables).findings}


CASES = [
    # (test id / source, encounter, rule code expected, severity)
    ("17004 with 17000 - CPT; Recovery Audit issue 0121",
     Encounter(DAY, lesions=20, procedures=(ServiceLine("17000"),), diagnoses=AK),
     "lesion-17004-exclusive", "error"),
    ("17004 with 17003 - CPT; Recovery Audit issue 0121",
     Encounter(DAY, lesions=20, procedures=(ServiceLine("17003", 2),), diagnoses=AK),
     "lesion-17004-exclusive", "error"),
    ("17003 without 17000 - CPT add-on instruction",
     Encounter(DAY, procedures=(ServiceLine("17003", 3),), diagnoses=AK), "add-on-without-primary", "error"),
    ("17003 over 13 units - Recovery Audit issue 0121",
     Encounter(DAY, lesions=14, procedures=(ServiceLine("17003", 1),), diagnoses=AK), "unit-limit", "error"),
    ("17000 twice - Recovery Audit issue 0121",
     Encounter(DAY, lesions=1, procedures=(ServiceLine("17000"),), diagnoses=AK), "unit-limit", "error"),
    ("17004 twice - Recovery Audit issue 0121",
     Encounter(DAY, lesions=20, procedures=(ServiceLine("17004"),), diagnoses=AK), "unit-limit", "error"),
    ("E/M on a procedure day without 25 - Claims Processing Manual ch. 12 s30.6.6(B)",
     Encounter(DAY, procedures=(ServiceLine("99213", diagnoses=AK), ServiceLine("17000")), diagnoses=AK),
     "em-needs-25", "error"),
    ("25 on a procedure - NCCI modifier policy",
     Encounter(DAY, procedures=(ServiceLine("17000", modifiers=("25",)),), diagnoses=AK),
     "modifier-25-not-visit", "error"),
    ("benign diagnosis on 17000 - points to 17110/17111",
     Encounter(DAY, lesions=3, diagnoses=("L82.1",)), "diagnosis-mismatch", "warning"),
    ("malignant diagnosis on 17000 - points to 17260-17286",
     Encounter(DAY, lesions=3, diagnoses=("C44.311",)), "diagnosis-mismatch", "warning"),
    ("actinic keratosis on 17110 - points to 17000-17004",
     Encounter(DAY, procedures=(ServiceLine("17110"),), diagnoses=AK), "diagnosis-mismatch", "warning"),
    ("no diagnosis at all",
     Encounter(DAY, lesions=3), "diagnosis-missing", "warning"),
    ("non-payable status (N, non-covered) - PPRRVU status indicators",
     Encounter(DAY, procedures=(ServiceLine("99401"),), diagnoses=AK), "not-payable", "error"),
    ("visit inside 17000's 010 global period without 24 - Claims Processing Manual ch. 12 s40.1",
     Encounter(DAY, em_code="99213", diagnoses=AK, prior_services=(PriorService("17000", DAY - dt.timedelta(days=5)),)),
     "global-period-visit", "warning"),
    ("procedure inside a global period without 79 - Claims Processing Manual ch. 12 s40.2",
     Encounter(DAY, lesions=2, diagnoses=AK, prior_services=(PriorService("17000", DAY - dt.timedelta(days=10)),)),
     "global-period-procedure", "warning"),
    ("missing documentation elements - MAC documentation requirements",
     Encounter(DAY, lesions=2, diagnoses=AK, documented=frozenset({"site", "size"})),
     "documentation-missing", "warning"),
    ("second indicator-2 procedure reduced - Claims Processing Manual ch. 12 s40.6",
     Encounter(DAY, lesions=2, procedures=(ServiceLine("11102"),), diagnoses=AK), "mppr-applied", "info"),
    ("G2211 with a -25 visit - CY 2024 PFS final rule",
     Encounter(DAY, lesions=2, em_code="99213", g2211=True, diagnoses=AK), "g2211-with-25", "warning"),
    ("both LT and RT on one line",
     Encounter(DAY, procedures=(ServiceLine("11102", modifiers=("LT", "RT")),), diagnoses=AK),
     "laterality-both", "error"),
    ("76 on a visit",
     Encounter(DAY, procedures=(ServiceLine("99213", modifiers=("76",)),), diagnoses=AK),
     "procedure-modifier-on-visit", "error"),
]


@pytest.mark.parametrize(("source", "encounter", "rule", "severity"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_fires_with_its_severity_and_source(
    tables_2026: TableSet, source: str, encounter: Encounter, rule: str, severity: str
) -> None:
    findings = [f for f in build_claim(encounter, tables_2026).findings if f.code == rule]
    assert findings, f"{rule} not found for: {source}"
    assert all(f.severity == severity and f.source and f.message for f in findings)
    if severity != "info":
        assert all(f.fix for f in findings)


def test_a_clean_visit_has_no_errors_or_warnings(tables_2026: TableSet) -> None:
    encounter = Encounter(DAY, lesions=8, em_code="99213", procedures=(ServiceLine("11102"),), diagnoses=AK,
                          documented=frozenset({"site", "size", "appearance", "method", "count", "diagnosis",
                                                "consent"}))
    findings = build_claim(encounter, tables_2026).findings
    assert {f.severity for f in findings} <= {"info"}


def test_visit_with_24_or_after_the_global_period_is_not_flagged(tables_2026: TableSet) -> None:
    prior = (PriorService("17000", DAY - dt.timedelta(days=11)),)
    assert "global-period-visit" not in codes_found(Encounter(DAY, em_code="99213", diagnoses=AK,
                                                               prior_services=prior), tables_2026)
    inside = (PriorService("17000", DAY - dt.timedelta(days=3)),)
    assert "global-period-visit" not in codes_found(
        Encounter(DAY, procedures=(ServiceLine("99213", modifiers=("24",)),), diagnoses=AK, prior_services=inside),
        tables_2026)


@pytest.mark.parametrize(("glob", "first", "last"), [
    ("010", dt.date(2026, 3, 2), dt.date(2026, 3, 12)),
    ("090", dt.date(2026, 3, 1), dt.date(2026, 5, 31)),
    ("000", dt.date(2026, 3, 2), dt.date(2026, 3, 2)),
])
def test_global_period_spans(glob: str, first: dt.date, last: dt.date) -> None:
    """010: procedure day + 10 days; 090: day before to 90 days after; 000: the day (DOMAIN section 4)."""
    assert global_period(glob, DAY) == (first, last)


@pytest.mark.parametrize("glob", ["XXX", "ZZZ", "YYY", "MMM"])
def test_codes_without_their_own_global_period(glob: str) -> None:
    assert global_period(glob, DAY) is None
