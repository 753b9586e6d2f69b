"""Writing files from the app: whole or not at all (``QSaveFile``), and any table model as CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, QIODevice, QSaveFile, Qt

from estimator.core.errors import InputError


def save_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) atomically: a temporary file renamed over ``path`` on success.

    Raises:
        InputError: the file cannot be written (the message names it).
    """
    out = QSaveFile(str(path))
    if not out.open(QIODevice.OpenModeFlag.WriteOnly):
        raise InputError(f"{path}: cannot write there ({out.errorString()})")
    out.write(text.encode("utf-8"))
    if not out.commit():
        raise InputError(f"{path}: writing failed ({out.errorString()})")


def _text(value: object) -> str:
    return "" if value is None else str(value)


def model_csv(model: QAbstractItemModel) -> str:
    """A table model's header and rows as CSV text, exactly as displayed (amounts as shown)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    columns = model.columnCount()
    writer.writerow([_text(model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole))
                     for c in range(columns)])
    for row in range(model.rowCount()):
        writer.writerow([_text(model.data(model.index(row, c), Qt.ItemDataRole.DisplayRole)) for c in range(columns)])
    return buffer.getvalue()


def export_model_csv(model: QAbstractItemModel, path: Path) -> int:
    """Write ``model`` as CSV to ``path``; returns the number of rows written.

    Raises:
        InputError: the file cannot be written.
    """
    save_text(path, model_csv(model))
    return int(model.rowCount())
