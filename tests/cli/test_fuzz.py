"""Fuzzing the whole command line: every subcommand (found from the parser, so a new one is fuzzed too) with
hostile arguments — huge and non-ASCII numbers, NaN, impossible dates, formula and control characters,
non-UTF-8 bytes, folders, pipes and missing files — must end with exit 0, 1 or 2, never 70 (internal error)."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estimator.cli import build_parser, main

#: 2,000 examples in CI (HYPOTHESIS_PROFILE=ci), a quick 150 in the local loop.
EXAMPLES = 2000 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 150

NUMBERS = ["0", "1", "8", "15", "-1", "-0", "2.5", "1e9", "1e400", "-1e400", "NaN", "nan", "inf", "-Infinity", "sNaN",
           "99999999999999999999", "9" * 5000, "²", "١٢", "３", "0x10", "1_000", "", " ", "1/99999999999999999999",
           "1/0", "0/0", "1/365", "120", "38.12345", "1000000000", "$1,000,000,000.00"]
DATES = ["9999-12-31", "0001-01-01", "1899-12-31", "2101-01-01", "2026-02-30", "2026-13-01", "2026-12-15",
         "2026-03-02", "2025-12-31", "today", "2026-1-1", "２０２６-01-01"]
TEXTS = ["=1+1", "@SUM(A1)", "\u202eevil", "a\x00b", "a\rb", "<b>x</b>", "x" * 20000, "\udcff\udcfe", "Medicare",
         "Self-pay", "'; DROP TABLE payers;--", "17000", "99213", "17000-25", "G2211", "XXXXX", "17000x999999999",
         "17000:25,LT@L57.0", "0441299", "national", "all", "11", "22", "L57.0", "en", "es", "nonqp", "qp", "on",
         "yes", "#1", "1", "nunez"]


def _files(folder: Path) -> list[str]:
    """Hostile input and output paths, all inside the test's folder (never a real device)."""
    bad_csv = folder / "bad.csv"
    bad_csv.write_bytes(b"code,modifier,amount\r17000,,1e400\r\n" + b'"' + b"x" * 200_000 + b'",1,2\n')
    binary = folder / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage\x80\x81")
    claims = folder / "claims.csv"
    claims.write_text("DOS,Claim #,Patient ID,Payer,POS,CPT,Units\r9999-12-31,C1,=1+1,Medicare,11,17000,"
                      "99999999999999999999\r0001-01-01,C2,P,Medicare,11,17003,²\n", encoding="utf-8")
    toml = folder / "scenario.toml"
    toml.write_text('annual_volume = 1e9\nmonths = 99999999999\n[payer_mix]\n"Medicare" = 100\n', encoding="utf-8")
    fifo = folder / "fifo"
    with contextlib.suppress(AttributeError, OSError):
        os.mkfifo(fifo)
    return [str(p) for p in (bad_csv, binary, claims, toml, folder, folder / "missing.csv", folder / "out.csv",
                             folder / "out.pdf", folder / "no" / "such" / "dir" / "x.csv", folder / ("n" * 300))] \
        + ([str(fifo)] if fifo.exists() else [])


def _commands() -> list[tuple[list[str], argparse.ArgumentParser]]:
    """Every leaf command of the parser with its own parser (``compare payers``, ``gfe``, ...)."""
    found: list[tuple[list[str], argparse.ArgumentParser]] = []

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs:
            found.append((path, parser))
            return
        for name, sub in subs[0].choices.items():
            walk(sub, [*path, name])

    walk(build_parser(), [])
    return found


COMMANDS = _commands()


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="fuzz-") as name:
        yield Path(name)


@st.composite
def invocations(draw: st.DrawFn, files: list[str]) -> list[str]:
    path, parser = draw(st.sampled_from(COMMANDS))
    values = st.sampled_from(NUMBERS) | st.sampled_from(DATES) | st.sampled_from(TEXTS) | st.sampled_from(files)
    argv = list(path)
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if not action.option_strings:  # positional: usually given, sometimes a choice, sometimes hostile
            if action.nargs == "?" and draw(st.booleans()):
                continue
            pick = st.sampled_from(list(action.choices)) if action.choices else values
            argv.append(draw(pick | values) if action.choices else draw(pick))
            continue
        if draw(st.integers(0, 3)) != 0 and not action.required:
            continue
        option = action.option_strings[-1]
        if action.nargs == 0:
            argv.append(option)
        else:
            choices = st.sampled_from(list(action.choices)) if action.choices else values
            argv += [option, draw(choices | values)]
    return argv


@pytest.fixture(scope="module")
def files(folder: Path) -> list[str]:
    return _files(folder)


def test_every_command_is_fuzzed() -> None:
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"price", "estimate", "gfe", "payers add", "audit", "forecast", "negotiate", "compare payers"} <= names


@pytest.mark.filterwarnings("ignore")
def test_hostile_arguments_never_reach_internal_error(files: list[str], folder: Path, qapp: object,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESTIMATOR_DB", str(folder / "fuzz.sqlite"))
    monkeypatch.chdir(folder)  # a value used as a relative --out path lands there, never in the checkout

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def run(data: st.DataObject) -> None:
        argv = data.draw(invocations(files))
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse (2) and --help/--version (0)
                code = exc.code if isinstance(exc.code, int) else 2
        shown = [a if len(a) < 60 else a[:40] + f"...({len(a)} chars)" for a in argv]
        assert code in (0, 1, 2), f"exit {code} for {shown!r}: {err.getvalue()[:300]}"

    run()
