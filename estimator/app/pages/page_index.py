"""Each page module's ``KEY``, ``TITLE`` and ``ORDER``, so start-up lists every tab without importing every page.

Generated (``python -c "from estimator.app.main_window import write_page_index; write_page_index()"``);
a test checks it is current.  A ``*_page`` module missing from it still works: it is imported at start-up.
"""

from typing import Final

#: page module (in ``estimator.app.pages``) -> (KEY, TITLE, ORDER)
PAGES: Final[dict[str, tuple[str, str, int]]] = {
    "audit_page": ("audit", "Audit", 70),
    "compare_page": ("compare", "Compare", 20),
    "documents_page": ("documents", "Good Faith Estimates", 60),
    "estimate_page": ("estimate", "Estimate", 10),
    "forecast_page": ("forecast", "Forecast", 40),
    "negotiate_page": ("negotiate", "Negotiate", 50),
    "payers_page": ("payers", "Payers", 30),
    "practice_page": ("practice", "Practice settings", 90),
    "tables_page": ("tables", "Fee tables", 40),
}
