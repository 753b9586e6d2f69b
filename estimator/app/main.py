"""``estimator-gui``: parse arguments, build the QApplication, then show the main window."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QLabel  # noqa: PLC0415 - keep import time off the CLI path

    app = QApplication.instance() or QApplication(list(argv or sys.argv))
    label = QLabel("17000 reimbursement estimator")
    label.show()
    return int(app.exec())
