"""What a Good Faith Estimate log search matches: one slim, folded key per entry in ``gfe_search``.

A keystroke in the log's search box then scans a few MB of keys instead of every row with its PDF (1-2 s at
100,000 entries).  Shared by the log (``estimator.store.gfe_log``) and the migration that fills the table for
entries logged before it existed.
"""

from __future__ import annotations

import unicodedata
from typing import Any


def folded(text: str) -> str:
    """Lower case without accents, so "nunez" finds "Núñez"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def search_key(patient_name: str, patient_dob: str, scheduled_date: str, issued_at: str) -> str:
    """What a search matches, folded (``nunez`` finds ``Núñez``), one field a line (a needle never spans
    two fields: it is stripped, so it holds no line break)."""
    return "\n".join(folded(f) for f in (patient_name, patient_dob, scheduled_date, issued_at[:10]))


def fill_gfe_search(db: Any) -> None:
    """Give every logged estimate its search row (inside the migration's transaction, either engine)."""
    rows = db.execute("SELECT id, issued_at, patient_name, patient_dob, scheduled_date FROM gfe_log").fetchall()
    db.executemany("INSERT INTO gfe_search (id, issued_at, key) VALUES (?, ?, ?)",
                   [(r[0], r[1], search_key(r[2], r[3], r[4], r[1])) for r in rows])
