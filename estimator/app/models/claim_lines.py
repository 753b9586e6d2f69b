"""The claim lines of an estimate as a table: code, units, modifiers, allowed, reduction, payer, patient.

An adapter over the core ``Estimate``: it translates, it never computes.  Each row's tooltip is the
line's "explain this number" trace (``ClaimLine.trace.lines()`` and the payer's ``AllowedLine.notes``).
"""

from __future__ import annotations

from typing import Any, Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from estimator.app.text import money
from estimator.core.cost_sharing import Estimate, EstimateLine

COLUMNS: Final = ("Code", "Units", "Modifiers", "Allowed", "Reduction", "Payer pays", "Patient owes")
MONEY_COLUMNS: Final = frozenset({3, 5, 6})
LINE_ROLE: Final = Qt.ItemDataRole.UserRole + 1

# The roles as plain ints: a view asks ``data`` about 150 times per repaint of a two-line claim, and comparing
# the int it passes with PySide6's enum members builds an enum object each time.
_DISPLAY: Final = Qt.ItemDataRole.DisplayRole.value
_TOOLTIP: Final = Qt.ItemDataRole.ToolTipRole.value
_ALIGNMENT: Final = Qt.ItemDataRole.TextAlignmentRole.value
_FONT: Final = Qt.ItemDataRole.FontRole.value
_STATUS_TIP: Final = Qt.ItemDataRole.StatusTipRole.value
_LINE: Final = int(LINE_ROLE)
_RIGHT: Final = (Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value
_LEFT: Final = (Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter).value
_ALIGNMENTS: Final = tuple(_RIGHT if column in MONEY_COLUMNS or column in (1, 4) else _LEFT
                           for column in range(len(COLUMNS)))

Index = QModelIndex | QPersistentModelIndex


def explain_line(line: EstimateLine, patient_known: bool = True) -> list[str]:
    """Every step behind one line's numbers, in order (what the tooltip and the explain panel show)."""
    claim_line = line.allowed.line
    mods = f"-{'-'.join(claim_line.modifiers)}" if claim_line.modifiers else ""
    out = [f"{claim_line.code}{mods} x{claim_line.units}: {claim_line.label}"]
    out += claim_line.trace.lines()
    out += [f"allowed: {note}" for note in line.allowed.notes]
    if not patient_known:
        out.append(f"allowed {money(line.allowed_cents)}; the split between payer and patient is unknown until "
                   "the plan's benefits are entered")
        return out
    out.append(f"allowed {money(line.allowed_cents)} = payer {money(line.payer_cents)}"
               f" + patient {money(line.patient_cents)}"
               + (f" + secondary {money(line.secondary_cents)}" if line.secondary_cents else "")
               + (f" + sequestration {money(line.sequestration_cents)}" if line.sequestration_cents else ""))
    parts = [(label, cents) for label, cents in (("copay", line.copay_cents), ("deductible", line.deductible_cents),
                                                  ("coinsurance", line.coinsurance_cents),
                                                  ("self-pay", line.self_pay_cents)) if cents]
    if parts:
        out.append("patient: " + ", ".join(f"{label} {money(cents)}" for label, cents in parts))
    return out


class ClaimLinesModel(QAbstractTableModel):
    """Rows are the estimate's lines; no signals beyond QAbstractItemModel's."""

    def __init__(self, estimate: Estimate | None = None) -> None:
        super().__init__()
        self._lines: tuple[EstimateLine, ...] = ()
        self._cells: list[tuple[str, ...]] = []  # each row's texts, worked out once per estimate
        self._known = True
        self._bold = QFont()
        self._bold.setBold(True)
        self.set_estimate(estimate)

    def set_estimate(self, estimate: Estimate | None) -> None:
        lines = estimate.lines if estimate is not None else ()
        self._known = estimate.patient_known if estimate is not None else True
        cells = [self._texts(line) for line in lines]
        if len(lines) == len(self._lines) and lines:
            # Same shape: keep the selection (the explain panel follows the selected line), and repaint only
            # the columns whose texts changed (a payer change leaves code, units and modifiers as they were).
            changed = [c for c in range(len(COLUMNS))
                       if any(old[c] != new[c] for old, new in zip(self._cells, cells, strict=True))]
            self._lines, self._cells = lines, cells
            if changed:
                self.dataChanged.emit(self.index(0, changed[0]), self.index(len(lines) - 1, changed[-1]))
            return
        self.beginResetModel()
        self._lines, self._cells = lines, cells
        self.endResetModel()

    def _texts(self, line: EstimateLine) -> tuple[str, ...]:
        """One row's texts, in ``COLUMNS`` order."""
        claim_line = line.allowed.line
        pct = claim_line.reduction_pct
        return (claim_line.code, str(claim_line.units), ", ".join(claim_line.modifiers), money(line.allowed_cents),
                f"{pct.normalize():f}%" if pct else "",
                money(line.payer_cents) if self._known else "unknown",
                money(line.patient_cents) if self._known else "unknown")

    def line(self, row: int) -> EstimateLine:
        return self._lines[row]

    def explain(self, row: int) -> list[str]:
        return explain_line(self._lines[row], self._known)

    # --- Qt -----------------------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole \
                and section in MONEY_COLUMNS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        row, column = index.row(), index.column()
        if not 0 <= row < len(self._cells) or not 0 <= column < len(COLUMNS) or not index.isValid():
            return None
        role = int(role)
        if role == _DISPLAY:
            return self._cells[row][column]
        if role == _ALIGNMENT:
            return _ALIGNMENTS[column]
        if role == _FONT:
            return self._bold if column == 0 else None
        if role == _TOOLTIP:
            return "\n".join(explain_line(self._lines[row], self._known))
        if role == _STATUS_TIP:
            return self._lines[row].allowed.line.label
        if role == _LINE:
            return self._lines[row]
        return None
