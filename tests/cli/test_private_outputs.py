"""Owner-only outputs of the command line: a GFE PDF, a CSV export and the database, under umask 022."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import Cli
from tests.cli.test_report_commands import GFE, PRACTICE
from tests.private import mode, permissive_umask  # noqa: F401 - permissive_umask is an autouse fixture

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


def test_a_gfe_pdf_and_a_cli_export_are_owner_only(cli: Cli, tmp_path: Path, qapp: object) -> None:
    assert cli(*PRACTICE).code == 0
    out = tmp_path / "gfe.pdf"
    assert cli(*GFE, "--out", str(out)).code == 0, "issued"
    assert mode(out) == 0o600
    export = tmp_path / "log.csv"
    assert cli("compare", "payers", "--lesions", "3", "--out", str(export)).code == 0
    assert mode(export) == 0o600
    db = Path(os.environ["ESTIMATOR_DB"])
    assert mode(db) == 0o600 and mode(db.parent) == 0o700
