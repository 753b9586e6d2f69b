"""The one place the app opens file dialogs, asks questions, shows messages and prints.

Widgets call ``dialogs()`` and never construct a ``QFileDialog`` or ``QMessageBox`` themselves, so tests
can ``install()`` a scripted service, and a headless run (``QT_QPA_PLATFORM=offscreen``, or
``ESTIMATOR_HEADLESS=1``) logs what it would have asked instead of blocking on an invisible modal
dialog.  Headless answers are the safe ones: no file chosen, "no" to a question.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtGui import QGuiApplication, QTextDocument
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

log = logging.getLogger(__name__)

HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal"})


class DialogService:
    """Modal dialogs, or log lines when no one can answer them."""

    @property
    def headless(self) -> bool:
        if os.environ.get("ESTIMATOR_HEADLESS"):
            return True
        return QGuiApplication.platformName() in HEADLESS_PLATFORMS

    def open_file(self, parent: QWidget | None, title: str, filters: str = "CSV files (*.csv)") -> Path | None:
        """A file to read, or ``None`` when cancelled (or headless)."""
        if self.headless:
            log.info("headless: would ask for a file to open (%s)", title)
            return None
        name, _ = QFileDialog.getOpenFileName(parent, title, "", filters)
        return Path(name) if name else None

    def save_file(self, parent: QWidget | None, title: str, suggested: str = "",
                  filters: str = "CSV files (*.csv)") -> Path | None:
        """A file to write, or ``None`` when cancelled (or headless)."""
        if self.headless:
            log.info("headless: would ask where to save (%s)", title)
            return None
        name, _ = QFileDialog.getSaveFileName(parent, title, suggested, filters)
        return Path(name) if name else None

    def open_directory(self, parent: QWidget | None, title: str) -> Path | None:
        """A folder, or ``None`` when cancelled (or headless)."""
        if self.headless:
            log.info("headless: would ask for a folder (%s)", title)
            return None
        name = QFileDialog.getExistingDirectory(parent, title)
        return Path(name) if name else None

    def confirm(self, parent: QWidget | None, title: str, text: str) -> bool:
        """Ask a yes/no question (the safe answer, no, when headless)."""
        if self.headless:
            log.info("headless: would ask %r -> no", title)
            return False
        answer = QMessageBox.question(parent, title, text, QMessageBox.StandardButton.Yes
                                      | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def error(self, parent: QWidget | None, title: str, text: str) -> None:
        if self.headless:
            log.warning("headless: error dialog %r (its text is not logged: it may name a patient)", title)
            print(f"{title}: {text}", file=sys.stderr)
            return
        QMessageBox.warning(parent, title, text)

    def information(self, parent: QWidget | None, title: str, text: str) -> None:
        if self.headless:
            log.info("headless: information dialog %r", title)
            return
        QMessageBox.information(parent, title, text)

    def print_document(self, parent: QWidget | None, document: QTextDocument,
                       before_printing: Callable[[], object] | None = None) -> bool:
        """Show the print dialog and print ``document``; True when printed.

        ``before_printing`` runs once the user has chosen to print and before anything is sent to the
        printer (a Good Faith Estimate is logged there); if it raises, nothing is printed.
        """
        if self.headless:
            log.info("headless: would print a %d-character document", document.characterCount())
            return False
        # QtPrintSupport is only needed here; importing it lazily keeps it off the start-up path.
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter  # noqa: PLC0415

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, parent)
        if dialog.exec() != QPrintDialog.DialogCode.Accepted:
            return False
        if before_printing is not None:
            before_printing()
        document.print_(printer)
        return True


_service: DialogService = DialogService()


def dialogs() -> DialogService:
    """The service in use."""
    return _service


def install(service: DialogService) -> DialogService:
    """Use ``service`` from now on (tests install a scripted one); returns the previous service."""
    global _service
    previous, _service = _service, service
    return previous
