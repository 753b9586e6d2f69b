"""Documents and exports: the patient estimate and Good Faith Estimate (HTML -> PDF with Qt), and CSV files.

Modules:
    i18n: the fixed text of every document in English and Spanish, dates, money, service labels.
    documents: the documents as HTML for ``QTextDocument``; PDF through ``QPdfWriter``; printing.
    csv_exports: estimates, comparisons and a locality's fee schedule as CSV (money as two-decimal strings).

This package may use Qt's GUI and print classes, never ``estimator.app``, ``store`` or ``tables``.  Files
are written whole or not at all through ``estimator.files`` (shared with ``store``).
"""
