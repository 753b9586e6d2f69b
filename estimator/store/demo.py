"""Clearly labelled example payers and charges, so a new user can try every feature at once."""

from __future__ import annotations

from decimal import Decimal

from estimator.core.codes import BIOPSIES, EM_CODES, PHOTODYNAMIC, PREMALIGNANT
from estimator.core.money import scale_cents
from estimator.core.payers import Method, Payer
from estimator.core.pricing import price_unit
from estimator.core.schedule import TableSet
from estimator.store.sql_store import SqlStore

DEMO_CODES = sorted(PREMALIGNANT | BIOPSIES | PHOTODYNAMIC | EM_CODES | {"17110", "17111", "G2211"})


def _national(tables: TableSet, code: str) -> int:
    return price_unit(tables, code).cents or 0


def load_demo(store: SqlStore, tables: TableSet) -> list[str]:
    """Add the demo payers (and a demo charge master if none); returns the names added."""
    fixed = {(c, ""): int(scale_cents(_national(tables, c), Decimal("1.10"))) for c in DEMO_CODES}
    demo = [
        Payer("Demo: Acme PPO (115%)", Method.PERCENT_OF_MEDICARE, percent=Decimal(115), year=tables.year,
              em25_reduction=Decimal(50), lesser_of_charge=True, notes="example data"),
        Payer("Demo: Summit Health (130%)", Method.PERCENT_OF_MEDICARE, percent=Decimal(130), year=tables.year,
              prior_auth_codes=frozenset({"96574"}), frequency_count=2, frequency_days=365, notes="example data"),
        Payer("Demo: Fixed Fee Plan", Method.FEE_SCHEDULE, fees=fixed, notes="example data: 110% of 2026 national"),
        Payer("Demo: Own-CF Plan ($38.00)", Method.OWN_CF, conversion_factor=Decimal("38.00"), notes="example data"),
    ]
    existing = {n.lower() for n in store.payer_names()}
    added = []
    for payer in demo:
        if payer.name.lower() not in existing:
            store.add_payer(payer)
            added.append(payer.name)
    if not store.practice().charges:
        store.replace_charges({(c, ""): int(scale_cents(_national(tables, c), Decimal(2))) for c in DEMO_CODES})
        added.append("demo charge master (2x national Medicare)")
    return added
