"""A sequence whose items are built when they are read (the audit's claims, the reconciliation's lines).

A 100,000-line file has tens of thousands of claims and lines, most never opened; building them all up front
would cost more than the audit or the reconciliation itself.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import TypeVar, overload

T = TypeVar("T")


class BuiltOnRead(Sequence[T]):
    """``len`` and ``_item(i)`` make the rest: indexing (negative too), slices, iteration, ``in``."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def _item(self, index: int) -> T:
        """Item ``index`` (0 <= index < len), built now."""

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self._item(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._item(index)
