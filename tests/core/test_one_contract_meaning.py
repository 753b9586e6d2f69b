"""One contract, one meaning: "125% of Medicare" not pinned to a locality is priced at the visit's locality.

The practice profile sits in Houston; the visit is in Manhattan.  Every path that prices a contract —
the estimate (and the encounter engine behind it), Compare, the forecast's price table, the negotiator's
contract basis and the claims audit — must give the same allowed amount for the same visit, and that
amount is 125% of Medicare *in Manhattan*, line by line, rounded half-up.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from estimator.core import contracts
from estimator.core.audit import AuditLine, ClaimLines, audit_claims
from estimator.core.compare import compare_payers
from estimator.core.cost_sharing import Benefits, estimate
from estimator.core.encounter import Encounter
from estimator.core.forecast import LESION_TIERS, SETTINGS, price_table
from estimator.core.lesions import price_lesions
from estimator.core.payers import MEDICARE_PAYER, Method, Payer, Practice
from estimator.core.rules import build_claim
from estimator.core.schedule import Setting, TableSet

MANHATTAN, HOUSTON = "1320201", "0441218"
DAY = dt.date(2026, 3, 2)
LESIONS = 8
ACME = Payer("Acme PPO", Method.PERCENT_OF_MEDICARE, percent=Decimal(125))  # not pinned: the visit's locality
PRACTICE = Practice("Sunrise Dermatology", locality_key=HOUSTON)


def expected_cents(tables: TableSet) -> int:
    """125% of each Manhattan Medicare line (the lesion pricer, not the payer code), rounded half-up."""
    lines = price_lesions(tables, LESIONS, locality_key=MANHATTAN, setting=Setting.NONFACILITY)
    return sum(int((Decimal(ln.cents) * Decimal("1.25")).quantize(Decimal(1), ROUND_HALF_UP)) for ln in lines)


def test_one_percentage_contract_prices_the_same_through_every_path(tables_2026: TableSet) -> None:
    def tables_for(year: int) -> TableSet:
        return tables_2026

    want = expected_cents(tables_2026)
    houston = sum(int((Decimal(ln.cents) * Decimal("1.25")).quantize(Decimal(1), ROUND_HALF_UP))
                  for ln in price_lesions(tables_2026, LESIONS, locality_key=HOUSTON))
    assert want != houston  # the test can tell the two meanings apart

    claim = build_claim(Encounter(DAY, "11", MANHATTAN, PRACTICE.cf_variant, lesions=LESIONS), tables_2026)
    paths: dict[str, int] = {}
    paths["estimate"] = estimate(claim, ACME, PRACTICE, Benefits(), tables_for).allowed_cents
    rows = compare_payers(claim, [MEDICARE_PAYER, ACME], PRACTICE, Benefits(), tables_for)
    paths["compare"] = next(r.allowed_cents for r in rows if r.payer == ACME.name)

    table = price_table([MEDICARE_PAYER, ACME], PRACTICE, tables_2026, tables_for, locality_key=MANHATTAN, day=DAY)
    setting = SETTINGS.index(Setting.NONFACILITY)
    paths["forecast"] = int(table.allowed_cents[table.index(ACME.name), setting, 0, LESIONS - 1])

    # The negotiator's basis: every encounter is this visit (non-facility, no E/M, 8 lesions).
    clinical = [Fraction(0)] * (len(SETTINGS) * 2 * LESION_TIERS)
    clinical[(setting * 2 + 0) * LESION_TIERS + LESIONS - 1] = Fraction(1)
    basis = contracts.ContractBasis(table, tuple(clinical), {ACME.name: Fraction(1)}, 12)
    paths["negotiate"] = int(contracts.per_encounter(basis, ACME.name))

    audit_lines = [AuditLine("C1", "P1", DAY, ACME.name, ln.code, ln.units, diagnoses=("L57.0",),
                             locality_key=MANHATTAN, allowed_cents=1) for ln in claim.lines]
    result = audit_claims(ClaimLines.from_lines(audit_lines), payers=[ACME], practice=PRACTICE,
                          tables_for_date=lambda day: tables_2026, tables_for_year=tables_for)
    paths["audit"] = result.claims[0].expected_cents or 0

    assert paths == dict.fromkeys(paths, want)
    assert contracts.pct_of_medicare(basis, ACME.name) == Decimal("125.00")
