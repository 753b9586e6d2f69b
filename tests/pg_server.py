"""A real PostgreSQL server for the store tests (a pytest plugin, loaded by tests/conftest.py).

Fixtures:
    pg_server: the superuser DSN of a throwaway server (session scope) started by scripts/pg_test_server.sh in
        a temporary folder (Unix socket only) and stopped and deleted at the end; ``ESTIMATOR_TEST_PG=DSN``
        uses an existing server instead.  Where none can be started the test is skipped with the reason —
        except on CI (``CI`` set), where that is a failure: CI must test both engines.
    pg_database: a fresh, empty database on it for one test, dropped afterwards; its DSN.
    db_target: parametrized over both engines — a SQLite path or a PostgreSQL DSN, empty.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "pg_test_server.sh"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL tests cannot run on CI: {reason}")
    pytest.skip(f"no PostgreSQL server for the tests: {reason}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    external = os.environ.get("ESTIMATOR_TEST_PG")
    if external:
        yield external
        return
    folder = tempfile.mkdtemp(prefix="estimator-pg-")
    try:
        started = subprocess.run([str(SCRIPT), "start", folder], capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        _unavailable(f"{SCRIPT.name} could not run ({exc})")
    if started.returncode != 0:
        subprocess.run([str(SCRIPT), "stop", folder], capture_output=True, timeout=120)
        _unavailable(started.stderr.strip().splitlines()[-1] if started.stderr.strip() else "the server did not start")
    try:
        yield started.stdout.strip()
    finally:
        subprocess.run([str(SCRIPT), "stop", folder], capture_output=True, timeout=120)


def dsn_for(server: str, dbname: str, user: str | None = None) -> str:
    """The server's DSN pointed at another database (and user)."""
    info = psycopg.conninfo.conninfo_to_dict(server)
    host = str(info.get("host", ""))
    who = quote(user or str(info.get("user", "postgres")))
    query = f"?host={quote(host, safe='/')}" if host.startswith("/") else ""
    netloc = "" if host.startswith("/") else host + (f":{info['port']}" if info.get("port") else "")
    return f"postgresql://{who}@{netloc}/{dbname}{query}"


@pytest.fixture
def pg_database(pg_server: str) -> Iterator[str]:
    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(pg_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield dsn_for(pg_server, name)
    finally:
        with psycopg.connect(pg_server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty practice database on each engine: a SQLite path, or a fresh PostgreSQL database's DSN."""
    if request.param == "sqlite":
        return str(tmp_path / "practice.sqlite")
    return str(request.getfixturevalue("pg_database"))
