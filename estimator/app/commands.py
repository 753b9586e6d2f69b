"""Undoable changes to the practice store (``QUndoCommand``s for the Payers page's ``QUndoStack``).

Each command has already been applied when it is pushed (the page does the change first, so a refused
change raises in the normal flow and never reaches the stack); ``redo`` therefore skips its first call.
Every do and undo calls the store and then ``context.notify_store_changed()``.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtGui import QUndoCommand

from estimator.app.context import AppContext
from estimator.core.payers import CodeKey, Payer


class StoreCommand(QUndoCommand):
    """Base: ``apply()`` and ``revert()`` touch the store; the first ``redo`` (at push) is skipped."""

    def __init__(self, context: AppContext, text: str) -> None:
        super().__init__(text)
        self.context = context
        self._pushed = False

    def apply(self) -> None:
        raise NotImplementedError

    def revert(self) -> None:
        raise NotImplementedError

    def do_first(self) -> None:
        """Apply the change now (before pushing); errors propagate to the caller."""
        self.apply()
        self.context.notify_store_changed()

    def redo(self) -> None:
        if not self._pushed:
            self._pushed = True
            return
        self.apply()
        self.context.notify_store_changed()

    def undo(self) -> None:
        self.revert()
        self.context.notify_store_changed()


class AddPayer(StoreCommand):
    def __init__(self, context: AppContext, payer: Payer) -> None:
        super().__init__(context, f"add {payer.name}")
        self.payer = payer

    def apply(self) -> None:
        self.context.store.add_payer(self.payer)

    def revert(self) -> None:
        self.context.store.remove_payer(self.payer.name)


class EditPayer(StoreCommand):
    """Save an edit made from ``version``; a change saved meanwhile elsewhere is refused (also by undo/redo)."""

    def __init__(self, context: AppContext, before: Payer, after: Payer, version: int | None = None) -> None:
        super().__init__(context, f"edit {after.name}")
        self.before, self.after = before, after
        self.version = version

    def _save(self, name: str, payer: Payer) -> None:
        self.context.store.update_payer(name, payer, version=self.version)
        if self.version is not None:
            self.version += 1

    def apply(self) -> None:
        self._save(self.before.name, self.after)

    def revert(self) -> None:
        self._save(self.after.name, self.before)


class RemovePayer(StoreCommand):
    def __init__(self, context: AppContext, payer: Payer) -> None:
        super().__init__(context, f"remove {payer.name}")
        self.payer = payer  # with its fees and overrides: add_payer restores them all

    def apply(self) -> None:
        self.context.store.remove_payer(self.payer.name)

    def revert(self) -> None:
        self.context.store.add_payer(self.payer)


class ReplaceCharges(StoreCommand):
    def __init__(self, context: AppContext, before: Mapping[CodeKey, int], after: Mapping[CodeKey, int]) -> None:
        super().__init__(context, f"import charge master ({len(after)} codes)")
        self.before, self.after = dict(before), dict(after)

    def apply(self) -> None:
        self.context.store.replace_charges(self.after)

    def revert(self) -> None:
        self.context.store.replace_charges(self.before)
