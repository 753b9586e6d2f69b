"""Slow work off the GUI thread: a task runs in a QThreadPool and reports back through signals.

A task function receives a ``Progress`` it may call with a fraction (0..1) and a message, and that
raises ``Cancelled`` once the user cancelled; its result or error arrives on the GUI thread.

Signals (on ``Task``):
    progressed(float, str): fraction done and what is happening.
    finished(object): the function's return value.
    failed(str): the error's message (an EstimatorError's text, or the exception's).
    cancelled(): the task stopped because it was cancelled.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class Cancelled(Exception):
    """Raised inside a task when the user cancelled it."""


class Progress:
    """Handed to a task function: report progress, and stop when cancelled."""

    def __init__(self, task: Task) -> None:
        self._task = task

    def __call__(self, fraction: float, message: str = "") -> None:
        if self._task.is_cancelled:
            raise Cancelled
        self._task.progressed.emit(float(fraction), message)

    @property
    def cancelled(self) -> bool:
        return self._task.is_cancelled


class Task(QObject):
    """One background job (see module docstring for the signals)."""

    progressed = Signal(float, str)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def is_cancelled(self) -> bool:
        return self._cancel.is_set()


class _Runnable(QRunnable):
    def __init__(self, task: Task, fn: Callable[[Progress], Any]) -> None:
        super().__init__()
        self.task = task
        self.fn = fn

    def run(self) -> None:
        try:
            result = self.fn(Progress(self.task))
        except Cancelled:
            self.task.cancelled.emit()
        except Exception as exc:  # reported to the GUI, never lost in a thread
            self.task.failed.emit(str(exc) or type(exc).__name__)
        else:
            if self.task.is_cancelled:
                self.task.cancelled.emit()
            else:
                self.task.finished.emit(result)


class TaskRunner(QObject):
    """Starts tasks on a private thread pool."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)

    def start(
        self,
        fn: Callable[[Progress], Any],
        *,
        finished: Callable[[Any], None] | None = None,
        failed: Callable[[str], None] | None = None,
        progressed: Callable[[float, str], None] | None = None,
        cancelled: Callable[[], None] | None = None,
    ) -> Task:
        """Run ``fn(progress)`` off the GUI thread; the callbacks are connected before it starts and run on
        the GUI thread (queued through the Task, which lives there)."""
        task = Task(self)
        for signal, slot in ((task.finished, finished), (task.failed, failed), (task.progressed, progressed),
                             (task.cancelled, cancelled)):
            if slot is not None:
                signal.connect(slot)
        self.pool.start(_Runnable(task, fn))
        return task

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until every task is done (tests and shutdown)."""
        return bool(self.pool.waitForDone(msecs))
