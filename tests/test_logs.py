"""The log file (estimator.logs): made at the first record, owner-only, rotated, closed at the end of a run."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

from estimator import logs


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_nothing_is_written_until_something_is_logged_and_then_the_file_is_owner_only(monkeypatch, tmp_path):
    monkeypatch.setenv("ESTIMATOR_LOG_DIR", str(tmp_path / "log"))
    path = logs.setup_logging()
    try:
        assert path == tmp_path / "log" / logs.LOG_NAME and path.parent.is_dir() and not path.exists()
        logging.getLogger("estimator.test").warning("first record")
        logging.getLogger("estimator.test").info("second record")
    finally:
        logs.close_logging()
    assert mode(path) == 0o600
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [line.split(": ", 1)[1] for line in lines] == ["first record", "second record"]
    assert "WARNING estimator.test" in lines[0]


def test_a_full_log_file_rolls_over_to_owner_only_generations(monkeypatch, tmp_path):
    monkeypatch.setenv("ESTIMATOR_LOG_DIR", str(tmp_path))
    monkeypatch.setattr(logs, "MAX_BYTES", 200)
    path = logs.setup_logging()
    try:
        for number in range(10):
            logging.getLogger("estimator").info("record %d %s", number, "x" * 60)
    finally:
        logs.close_logging()
    assert path is not None
    generations = sorted(tmp_path.glob(f"{logs.LOG_NAME}*"))
    assert len(generations) > 2 and all(mode(p) == 0o600 for p in generations)
    assert "record 9" in path.read_text(encoding="utf-8")


def test_an_unwritable_log_folder_means_no_log_file_and_no_error(monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("ESTIMATOR_LOG_DIR", str(blocker / "log"))
    try:
        assert logs.setup_logging() is None
        logging.getLogger("estimator").warning("goes nowhere")
    finally:
        logs.close_logging()
