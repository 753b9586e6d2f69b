"""Writing files from the app: whole or not at all, owner-only, and any table model as CSV."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QAbstractItemModel, Qt

from estimator.csv_out import csv_text
from estimator.files import write_text_atomically


def save_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) atomically and owner-only (0600): a temporary file renamed over ``path``.

    The program's one atomic writer (``estimator.files``), not ``QSaveFile``: that one gives a new file the
    umask's permissions, and an export of the GFE log holds patients' names.

    Raises:
        InputError: the file cannot be written, or is a folder or device (the message names it).
    """
    write_text_atomically(path, text)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def model_csv(model: QAbstractItemModel) -> str:
    """A table model's header and rows as CSV text, exactly as displayed (amounts as shown)."""
    columns = model.columnCount()
    header = [_text(model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole))
              for c in range(columns)]
    rows = ([_text(model.data(model.index(row, c), Qt.ItemDataRole.DisplayRole)) for c in range(columns)]
            for row in range(model.rowCount()))
    return csv_text(header, rows)


def export_model_csv(model: QAbstractItemModel, path: Path) -> int:
    """Write ``model`` as CSV to ``path``; returns the number of rows written.

    Raises:
        InputError: the file cannot be written.
    """
    save_text(path, model_csv(model))
    return int(model.rowCount())
