"""The one-line notice above the pages about the fee-schedule tables: the estimate's date of service is
priced provisionally (next year's rates not yet published), or, from 1 December, next year's release is
due and not imported."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

if TYPE_CHECKING:  # the window shows this banner before the tables (and numpy) are loaded
    from estimator.core.schedule import TablesInForce


def banner_text(in_force: TablesInForce | None, reminder: str) -> str:
    """What the banner says ('' hides it): the provisional note for the date shown first, else the reminder."""
    if in_force is not None and in_force.provisional:
        return (f"Provisional: {in_force.for_year} Medicare rates are not yet published, so this estimate uses the "
                f"{in_force.year} rates ({in_force.release}), conversion factor {in_force.conversion_factor}. "
                f"Import RVU{in_force.for_year % 100:02d}A in Fee tables > Import CMS release when CMS publishes it.")
    return f"Reminder: {reminder}" if reminder else ""


class TablesBanner(QLabel):
    """A wrapped, palette-coloured label; hidden while there is nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tables_banner")
        self.setAccessibleName("Fee-schedule tables notice")
        self.setWordWrap(True)
        self.setTextFormat(self.textFormat().PlainText)
        self.setMargin(6)
        self.setAutoFillBackground(True)
        # Tool-tip colours: a highlighted note in both light and dark palettes.
        self.setBackgroundRole(QPalette.ColorRole.ToolTipBase)
        self.setForegroundRole(QPalette.ColorRole.ToolTipText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.hide()

    def show_notice(self, in_force: TablesInForce | None, reminder: str) -> None:
        text = banner_text(in_force, reminder)
        self.setText(text)
        self.setAccessibleDescription(text)
        self.setVisible(bool(text))
