"""Running ``estimator.cli.main`` in-process, as the CLI tests do end to end.

Fixtures:
    cli: ``cli(*args)`` runs ``estimator.cli.main(list(args))`` and returns a ``Run``: the exit code (also when
        argparse or ``--version`` exits through ``SystemExit``) and what was printed to stdout and stderr.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from estimator.cli import main


@dataclass(frozen=True)
class Run:
    """One CLI call: its exit code and its captured output."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """stdout parsed as JSON."""
        return json.loads(self.out)


Cli = Callable[..., Run]


def csv_rows(text: str) -> list[dict[str, str]]:
    """CSV text (stdout or a written file) as rows keyed by its header."""
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    def run(*args: str) -> Run:
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors and --version exit through SystemExit
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
