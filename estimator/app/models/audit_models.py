"""The claims audit as tables: one row per audited claim, and the rows that were not audited.

Adapters only: they show an ``AuditResult`` (``estimator.core.audit``) and compute nothing.  The claim
model builds a claim's row when it is first shown (a large file has tens of thousands of claims) and
sorts itself on the shown values.
"""

from __future__ import annotations

from typing import Any, Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush

from estimator.app.models.findings import SEVERITY_LABEL, severity_color
from estimator.app.text import money, plain_tooltip
from estimator.core.audit import AuditedClaim, AuditResult, RowProblem
from estimator.core.findings import SEVERITY_ORDER

Index = QModelIndex | QPersistentModelIndex
CLAIM_ROLE: Final = Qt.ItemDataRole.UserRole + 1
CLAIM_COLUMNS: Final = ("Claim", "Patient", "Date", "Payer", "Lines", "Billed", "Expected", "Allowed", "Findings",
                        "Worst")
MONEY_COLUMNS: Final = frozenset({5, 6, 7})
RIGHT: Final = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
PROBLEM_COLUMNS: Final = ("Line", "Kind", "Column", "Problem")
KIND_LABEL: Final = {"bad": "Bad row", "held-out": "Held out", "notice": "Notice"}


class ClaimAuditModel(QAbstractTableModel):
    """Audited claims, all of them or only those with findings."""

    def __init__(self) -> None:
        super().__init__()
        self._result: AuditResult | None = None
        self._rows: list[int] = []
        self._cache: dict[int, AuditedClaim] = {}
        self._only_flagged = False

    def set_result(self, result: AuditResult | None) -> None:
        self.beginResetModel()
        self._result = result
        self._cache = {}
        self._rows = self._shown()
        self.endResetModel()

    def set_only_flagged(self, only: bool) -> None:
        """Show only the claims that have findings (True) or every audited claim."""
        if only == self._only_flagged:
            return
        self.beginResetModel()
        self._only_flagged = only
        self._rows = self._shown()
        self.endResetModel()

    def _shown(self) -> list[int]:
        if self._result is None:
            return []
        if self._only_flagged:
            return self._result.claims.with_findings()
        return list(range(len(self._result.claims)))

    def claim(self, row: int) -> AuditedClaim | None:
        """The claim shown on ``row``."""
        if self._result is None or not 0 <= row < len(self._rows):
            return None
        index = self._rows[row]
        found = self._cache.get(index)
        if found is None:
            found = self._cache[index] = self._result.claims[index]
        return found

    def claim_index(self, row: int) -> int | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(CLAIM_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return CLAIM_COLUMNS[section]
        return None

    @staticmethod
    def _value(claim: AuditedClaim, column: int) -> Any:
        return (claim.claim_id, claim.patient_id, claim.date_of_service.isoformat(), claim.payer, len(claim.lines),
                claim.billed_cents, claim.expected_cents, claim.remitted_cents, len(claim.findings),
                claim.worst)[column]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        claim = self.claim(index.row()) if index.isValid() else None
        if claim is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            value = self._value(claim, column)
            if column in MONEY_COLUMNS:
                return money(value)
            if column == 9:
                return SEVERITY_LABEL[value] if value else ""
            if column == 3 and not claim.payer_known:
                return f"{value} (unknown)"
            return str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and (column in MONEY_COLUMNS or column in (4, 8)):
            return RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and claim.worst is not None and column in (0, 8, 9):
            return QBrush(severity_color(claim.worst))
        if role == CLAIM_ROLE:
            return self._rows[index.row()]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if self._result is None:
            return

        def key(row_index: int) -> tuple[int, Any]:
            index = self._rows[row_index]
            claim = self._cache.get(index)
            if claim is None:
                claim = self._cache[index] = self._result.claims[index]  # type: ignore[union-attr]
            value = self._value(claim, column)
            if column == 9:
                value = -1 if value is None else 2 - SEVERITY_ORDER[value]
            return (value is None, value if value is not None else 0)

        self.layoutAboutToBeChanged.emit()
        ranks = sorted(range(len(self._rows)), key=key, reverse=order == Qt.SortOrder.DescendingOrder)
        self._rows = [self._rows[r] for r in ranks]
        self.layoutChanged.emit()


class ProblemModel(QAbstractTableModel):
    """Rows that were not audited (bad, held out with their claim) and notices, by line number."""

    def __init__(self) -> None:
        super().__init__()
        self._problems: tuple[RowProblem, ...] = ()

    def set_problems(self, problems: tuple[RowProblem, ...]) -> None:
        self.beginResetModel()
        self._problems = problems
        self.endResetModel()

    def problems(self) -> tuple[RowProblem, ...]:
        return self._problems

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._problems)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(PROBLEM_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return PROBLEM_COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._problems):
            return None
        problem = self._problems[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (str(problem.line), KIND_LABEL[problem.kind], problem.column, problem.message)[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 0:
            return RIGHT
        if role == Qt.ItemDataRole.ForegroundRole and problem.kind == "bad":
            return QBrush(severity_color("error"))
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(problem.message)
        return None
