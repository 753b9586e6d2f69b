"""Rule-check findings as a list: errors first (red, bold), each with its one-line fix; source in the tooltip."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from estimator.app import theme
from estimator.core.findings import SEVERITY_ORDER, Finding

SEVERITY_LABEL: Final = {"error": "ERROR", "warning": "Warning", "info": "Note"}
def severity_color(severity: str) -> QColor:
    """A finding's text colour in the palette in force (errors red, warnings amber, notes muted)."""
    return theme.tone({"error": "error", "warning": "warning"}.get(severity, "muted"))  # type: ignore[arg-type]


FINDING_ROLE: Final = Qt.ItemDataRole.UserRole + 1

Index = QModelIndex | QPersistentModelIndex


def finding_text(finding: Finding) -> str:
    text = f"{SEVERITY_LABEL[finding.severity]}: {finding.message}"
    if finding.fix:
        text += f"\n    Fix: {finding.fix}"
    return text


class FindingsModel(QAbstractListModel):
    """One row per finding, sorted by severity (stable, so rule order is kept within a severity)."""

    def __init__(self) -> None:
        super().__init__()
        self._findings: list[Finding] = []

    def set_findings(self, findings: Sequence[Finding]) -> None:
        ordered = sorted(findings, key=lambda f: SEVERITY_ORDER[f.severity])
        if ordered == self._findings:
            return
        self.beginResetModel()
        self._findings = ordered
        self.endResetModel()

    def findings(self) -> list[Finding]:
        return list(self._findings)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._findings)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._findings):
            return None
        finding = self._findings[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return finding_text(finding)
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(severity_color(finding.severity))
        if role == Qt.ItemDataRole.FontRole and finding.severity == "error":
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Source: {finding.source}" + (f"\nLine: {finding.line_code}" if finding.line_code else "")
        if role == FINDING_ROLE:
            return finding
        return None
