"""Whole files shared by reports, store and cli: atomic writes (the new file or the old one, never a torn
one) and reads of a user's UTF-8 file that say what went wrong."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from estimator.core.errors import InputError
from estimator.files import read_text, write_bytes_atomically, write_text_atomically


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An empty folder of the test's own (``tmp_path`` also holds the isolated HOME)."""
    out = tmp_path / "out"
    out.mkdir()
    return out


def test_a_new_file_is_written_whole_and_no_temp_file_is_left(folder: Path) -> None:
    target = folder / "out.pdf"
    write_bytes_atomically(target, b"%PDF-1.4 ...")
    assert target.read_bytes() == b"%PDF-1.4 ..."
    assert [p.name for p in folder.iterdir()] == ["out.pdf"]


def test_text_replaces_an_existing_file_as_utf8_with_newlines_as_given(folder: Path) -> None:
    target = folder / "out.csv"
    target.write_text("old\n", encoding="utf-8")
    write_text_atomically(str(target), "a,é\r\nb\n")
    assert target.read_bytes() == "a,é\r\nb\n".encode()


def test_a_missing_folder_is_an_input_error_naming_the_file(folder: Path) -> None:
    target = folder / "absent" / "out.csv"
    with pytest.raises(InputError, match=r"out\.csv: cannot write there"):
        write_text_atomically(target, "x")


def test_a_failed_rename_keeps_the_old_file_and_removes_the_temp_file(folder: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    target = folder / "out.csv"
    target.write_text("old\n", encoding="utf-8")

    def fail(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(InputError, match=r"out\.csv: the disk is full; free some space"):
        write_text_atomically(target, "new\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in folder.iterdir()] == ["out.csv"]


def test_a_read_drops_the_byte_order_mark_excel_writes(folder: Path) -> None:
    path = folder / "fees.csv"
    path.write_bytes(b"\xef\xbb\xbfcode,modifier,amount\n")
    assert read_text(path) == "code,modifier,amount\n"


def test_a_missing_file_is_named_with_what_it_was(folder: Path) -> None:
    with pytest.raises(InputError, match=r"absent\.toml: cannot read the scenario file \("):
        read_text(folder / "absent.toml", "the scenario file")


@pytest.mark.parametrize(("hint", "message"), [
    ("", "not a UTF-8 text file"),
    ("save it as CSV (UTF-8)", "not a UTF-8 text file; save it as CSV (UTF-8)"),
])
def test_a_file_that_is_not_utf8_is_refused_with_the_hint(folder: Path, hint: str, message: str) -> None:
    path = folder / "latin1.csv"
    path.write_bytes("caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError) as info:
        read_text(path, hint=hint)
    assert str(info.value) == f"{path}: {message}"


def test_a_path_longer_than_the_limit_is_refused_in_one_line(tmp_path):
    from estimator.core.errors import InputError  # noqa: PLC0415
    from estimator.files import MAX_PATH_CHARS, check_input_file, check_output_path  # noqa: PLC0415

    long = tmp_path / ("x" * (MAX_PATH_CHARS + 1))
    for check in (lambda: check_input_file(long, "the claims file", 1000), lambda: check_output_path(long)):
        with pytest.raises(InputError, match="characters, longer than the 4,096 allowed") as refused:
            check()
        assert "\n" not in str(refused.value)
