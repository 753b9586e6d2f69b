"""Test-wide set-up: headless Qt, an isolated user folder for every test, shared tables, Hypothesis profiles.

Fixtures:
    cms_dir: the raw CMS files (``../shared/cms`` beside the checkout); skips the test where they are absent.
    tables_2026, tables_2025: the shipped tables, loaded once per session.
    repo_root: the checkout's root folder.
"""

from __future__ import annotations

import os

# Before anything can import Qt: tests never open a window on the developer's screen (or need one in CI).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from estimator.core.schedule import TableSet
from estimator.tables.shipped import load_table_set

pytest_plugins = ["tests.pg_server"]  # pg_server, pg_database, db_target: the store on a real PostgreSQL

REPO_ROOT = Path(__file__).resolve().parents[1]
SHIPPED_TABLES = REPO_ROOT / "estimator" / "rvu_tables"
CMS_DIR = REPO_ROOT.parent / "shared" / "cms"

# "dev" keeps the local loop quick; CI (HYPOTHESIS_PROFILE=ci, set by .ci/run) runs more examples and is
# reproducible run to run.  No deadline: a cold numpy call or a busy CI machine is not a bug.
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci", max_examples=400, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

_GUI_FIXTURES = frozenset({"qapp", "qtbot"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs a QApplication as ``gui``, so ``-m "not gui"`` runs the rest alone."""
    for item in items:
        if _GUI_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.gui)


@pytest.fixture(autouse=True)
def _isolated_user_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the user data folder, the practice database and HOME at a temporary folder.

    No test may read or write the real user's imported tables, database or settings.
    """
    home = tmp_path / "home"
    data = tmp_path / "user-data"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("ESTIMATOR_DATA_DIR", str(data))
    monkeypatch.setenv("ESTIMATOR_DB", str(data / "practice.sqlite"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    for variable in ("ESTIMATOR_LOG_DIR", "ESTIMATOR_CACHE_DIR"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("ESTIMATOR_DEBUG", raising=False)
    yield data


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture
def cms_dir() -> Path:
    """The raw CMS files; the test is skipped (not failed) on a machine that does not have them."""
    if not (CMS_DIR / "PPRRVU2026_Jul_nonQPP.csv").is_file():
        pytest.skip(f"raw CMS files not available at {CMS_DIR} (only developers' machines and CI have them)")
    return CMS_DIR


@pytest.fixture(scope="session")
def tables_2026() -> TableSet:
    return load_table_set(SHIPPED_TABLES / "2026")


@pytest.fixture(scope="session")
def tables_2025() -> TableSet:
    return load_table_set(SHIPPED_TABLES / "2025")
