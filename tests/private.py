"""Shared by the owner-only tests: a file's permission bits, and a permissive umask to prove they hold anyway."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    """A typical desktop umask (022): what the program writes must be private anyway."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)
