"""The fee schedule (~19,000 rows) as a table, read lazily from the numpy columns; no per-row objects.

``FeeTableModel`` maps view rows to schedule rows through one index array, so sorting is a numpy
``argsort`` (not 19,000 x log n Python comparisons).  ``FeeFilterProxy`` is the search box: the match is
computed as one numpy mask per search, and ``filterAcceptsRow`` only looks it up.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt

from estimator.app.text import money
from estimator.core.pricing import NA_NOTE
from estimator.core.schedule import STATUS_REASONS, TableSet

COLUMNS: Final = ("Code", "Mod", "Status", "Work RVU", "PE RVU (non-facility)", "PE RVU (facility)", "MP RVU",
                  "Global", "Mult. proc.", "Price", "Description")
RVU_COLUMNS: Final = {3: "work", 4: "pe_nonfacility", 5: "pe_facility", 6: "mp"}
PRICE_COLUMN: Final = 9
STATUS_NAMES: Final = {"A": "active", "R": "restricted coverage", "T": "paid only if alone", **STATUS_REASONS}

Index = QModelIndex | QPersistentModelIndex
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _rvu_text(hundredths: int) -> str:
    sign = "-" if hundredths < 0 else ""
    value = abs(int(hundredths))
    return f"{sign}{value // 100}.{value % 100:02d}"


class FeeTableModel(QAbstractTableModel):
    """One row per PPRRVU row (code + modifier) of a table set, plus its price in one locality/setting."""

    def __init__(self, tables: TableSet) -> None:
        super().__init__()
        self._tables = tables
        self._order: IntArray = np.arange(len(tables.schedule), dtype=np.int64)
        self._cents: IntArray | None = None
        self._priced: BoolArray | None = None
        self._na: BoolArray | None = None  # the priced setting is marked NA by CMS (amount as in its PFREV file)
        self.price_caption = "Price"

    @property
    def tables(self) -> TableSet:
        return self._tables

    def set_tables(self, tables: TableSet) -> None:
        self.beginResetModel()
        self._tables = tables
        self._order = np.arange(len(tables.schedule), dtype=np.int64)
        self._cents = self._priced = None
        self.endResetModel()

    def set_prices(self, cents: IntArray | None, priced: BoolArray | None, caption: str = "Price",
                   na: BoolArray | None = None) -> None:
        """The price column: cents per schedule row (and which rows have a price, and which are NA there)."""
        self._cents, self._priced, self._na = cents, priced, na
        self.price_caption = caption
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, PRICE_COLUMN, PRICE_COLUMN)
        if self.rowCount():
            self.dataChanged.emit(self.index(0, PRICE_COLUMN), self.index(self.rowCount() - 1, PRICE_COLUMN))

    def schedule_row(self, row: int) -> int:
        """The schedule row shown at view row ``row``."""
        return int(self._order[row])

    def view_row(self, code: str, modifier: str = "") -> int:
        """The view row of a code (+ modifier), or -1."""
        schedule = self._tables.schedule
        if not schedule.has(code, modifier):
            return -1
        hits = np.flatnonzero(self._order == schedule.row(code, modifier))
        return int(hits[0]) if len(hits) else -1

    def price_cents(self, row: int) -> int | None:
        """The price shown at view row ``row`` (None when unpriced or not computed)."""
        if self._cents is None or self._priced is None:
            return None
        r = self.schedule_row(row)
        return int(self._cents[r]) if self._priced[r] else None

    @property
    def order(self) -> IntArray:
        """Schedule rows in display order."""
        return self._order

    def header(self) -> list[str]:
        return [self.price_caption if c == PRICE_COLUMN else name for c, name in enumerate(COLUMNS)]

    def row_texts(self, r: int) -> list[str]:
        """Every column's text for schedule row ``r`` (what the view shows)."""
        s = self._tables.schedule
        price = ""
        if self._cents is not None and self._priced is not None:
            price = self._price_text(r)
        return [str(s.codes[r]), str(s.modifiers[r]), str(s.status[r]), _rvu_text(int(s.work[r])),
                "NA" if s.nonfacility_na[r] else _rvu_text(int(s.pe_nonfacility[r])),
                "NA" if s.facility_na[r] else _rvu_text(int(s.pe_facility[r])), _rvu_text(int(s.mp[r])),
                str(s.global_days[r]), str(s.mult_proc[r]), price, self._tables.label(str(s.codes[r]))]

    # --- Qt -----------------------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.price_caption if section == PRICE_COLUMN else COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole and section == 8:
            return "Multiple-procedure indicator: 2 = standard reduction (100/50/50...), 0 = none"
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._order):
            return None
        r = int(self._order[index.row()])
        column = index.column()
        s = self._tables.schedule
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return str(s.codes[r])
            if column == 1:
                return str(s.modifiers[r])
            if column == 2:
                return str(s.status[r])
            if column in RVU_COLUMNS:
                na = (column == 4 and bool(s.nonfacility_na[r])) or (column == 5 and bool(s.facility_na[r]))
                return "NA" if na else _rvu_text(int(getattr(s, RVU_COLUMNS[column])[r]))
            if column == 7:
                return str(s.global_days[r])
            if column == 8:
                return str(s.mult_proc[r])
            if column == PRICE_COLUMN:
                if self._cents is None or self._priced is None:
                    return ""
                return self._price_text(r)
            if column == 10:
                return self._tables.label(str(s.codes[r]))
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and 3 <= column <= PRICE_COLUMN:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column == PRICE_COLUMN and self._na is not None and self._na[r]:
            return NA_NOTE
        if role == Qt.ItemDataRole.ToolTipRole and column == 2:
            status = str(s.status[r])
            return f"Status {status}: {STATUS_NAMES.get(status, 'see the PPRRVU documentation')}"
        return None

    def _price_text(self, r: int) -> str:
        assert self._cents is not None and self._priced is not None
        if not self._priced[r]:
            return "—"
        flagged = self._na is not None and bool(self._na[r])
        return money(int(self._cents[r])) + (" (NA)" if flagged else "")

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort with one numpy ``argsort`` of the column (stable; unpriced rows sort as lowest)."""
        if not 0 <= column < len(COLUMNS):
            return
        s = self._tables.schedule
        key: Any
        if column in RVU_COLUMNS:
            key = getattr(s, RVU_COLUMNS[column])
        elif column == PRICE_COLUMN:
            if self._cents is None or self._priced is None:
                return
            key = np.where(self._priced, self._cents, -1)
        elif column == 10:
            key = np.array([self._tables.label(str(c)) for c in s.codes.tolist()])
        else:
            key = (s.codes, s.modifiers, s.status, None, None, None, None, s.global_days, s.mult_proc)[column]
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        old_rows = [self._order[p.row()] if p.isValid() else -1 for p in persistent]
        order_ = np.lexsort((s.modifiers, s.codes) if column == 0 else (s.modifiers, s.codes, key))
        if order == Qt.SortOrder.DescendingOrder:
            order_ = order_[::-1]
        self._order = np.ascontiguousarray(order_, dtype=np.int64)
        position = np.empty_like(self._order)
        position[self._order] = np.arange(len(self._order))
        for p, old in zip(persistent, old_rows, strict=True):
            if old >= 0:
                self.changePersistentIndex(p, self.index(int(position[old]), p.column()))
        self.layoutChanged.emit()


class FeeFilterProxy(QSortFilterProxyModel):
    """Search by code (prefix) or description words, optionally one status; sorting goes to the source."""

    def __init__(self, source: FeeTableModel) -> None:
        super().__init__()
        self.setSourceModel(source)
        self._mask: BoolArray | None = None
        self._text = ""
        self._status = ""

    def source(self) -> FeeTableModel:
        model = self.sourceModel()
        assert isinstance(model, FeeTableModel)
        return model

    def set_search(self, text: str, status: str = "") -> None:
        """Keep rows whose code starts with ``text`` or whose description contains it; ``status`` ('' = all)."""
        self.beginFilterChange()
        self._text, self._status = text.strip(), status.strip().upper()
        self._recompute()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def refresh(self) -> None:
        """Recompute the mask (the source's tables changed)."""
        self.beginFilterChange()
        self._recompute()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def _recompute(self) -> None:
        source = self.source()
        s = source.tables.schedule
        if not self._text and not self._status:
            self._mask = None
            return
        mask = np.ones(len(s), dtype=bool)
        if self._text:
            upper = self._text.upper()
            by_code = np.char.startswith(s.codes, upper)
            by_text = np.char.find(np.char.upper(s.descriptions), upper) >= 0
            mask &= by_code | by_text
        if self._status:
            mask &= s.status == self._status
        self._mask = mask

    def schedule_rows(self) -> IntArray:
        """The schedule rows the proxy shows, in display order (vectorized; for export)."""
        order = self.source().order
        return order if self._mask is None else order[self._mask[order]]

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        if self._mask is None:
            return True
        return bool(self._mask[self.source().schedule_row(source_row)])

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        # The source sorts with numpy; the proxy keeps the source's order (no Python lessThan per pair).
        self.source().sort(column, order)
