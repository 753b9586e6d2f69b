"""CI: what users run, run as they get it — the installed wheel and the frozen desktop build.

    python .ci/smoke_installed.py wheel PYTHON   build the wheel, install it with PYTHON into a fresh venv in a
                                                 temporary folder outside the checkout, and check it there
    python .ci/smoke_installed.py frozen DIR     check the one-folder desktop build in DIR (``./run build``)

Checks: ``price 17000 17003 17004`` (66.47, 6.35, 162.33 national non-facility, the CMS check values), the
README's encounter example (total 268.41), ``--version`` (``python -m estimator`` for the wheel), the app's
ordinary start (``--quit-after-show``: the frame paints, then the Estimate page; its ``startup:`` stamps in
order), and a screenshot of every one of the nine pages (an unknown or missing page is an error).  Exits 1 on
the first failure with one line saying what.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("estimate", "compare", "payers", "forecast", "tables", "negotiate", "documents", "audit", "practice")
CHECK_VALUES = {"17000": "66.47", "17003": "6.35", "17004": "162.33"}  # DOMAIN.md §1, national NF 2026
ENCOUNTER = ["encounter", "--lesions", "8", "--em", "99213", "--add", "11102", "--dx", "L57.0",
             "--date", "2026-03-02", "--pos", "11", "--format", "json"]
ENCOUNTER_TOTAL = "268.41"  # README, "Encounters and billing rules"


def fail(message: str) -> None:
    print(f"smoke: FAIL: {message}", flush=True)
    raise SystemExit(1)


def run(command: list[str], cwd: Path, env: dict[str, str], timeout: int = 180) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        fail(f"{' '.join(command[:3])}... exited {done.returncode}: {(done.stderr or done.stdout).strip()[-300:]}")
    return done.stdout


def clean_env(home: Path) -> dict[str, str]:
    """No source tree on sys.path, an empty home, an offscreen Qt."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "ESTIMATOR_", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), QT_QPA_PLATFORM="offscreen", XDG_DATA_HOME="", XDG_CONFIG_HOME="",
               XDG_CACHE_HOME="", XDG_STATE_HOME="")
    return env


def check(cli: list[str], gui: list[str], version: list[str], work: Path, label: str) -> None:
    env = clean_env(work / "home")
    (work / "home").mkdir(exist_ok=True)
    priced = json.loads(run([*cli, "price", *CHECK_VALUES, "--setting", "nonfacility", "--format", "json"], work, env))
    got = {row["code"]: row["amount"] for row in priced}
    if got != CHECK_VALUES:
        fail(f"{label}: price gave {got}, expected {CHECK_VALUES}")
    encounter = json.loads(run([*cli, *ENCOUNTER], work, env))
    if str(encounter.get("total")) != ENCOUNTER_TOTAL:
        fail(f"{label}: the README's encounter example totals {encounter.get('total')}, expected {ENCOUNTER_TOTAL}")
    line = run(version, work, env).strip()
    if "estimator" not in line or "RVU26" not in line:
        fail(f"{label}: --version printed {line!r}")
    for page in PAGES:
        png = work / f"{label}-{page}.png"
        run([*gui, "--screenshot", str(png), "--page", page], work, env)
        if not png.is_file() or png.stat().st_size < 10_000:
            fail(f"{label}: no screenshot of the {page} page")
    # The ordinary start: the frame painted first, then the tables, the database and the Estimate page.
    started = subprocess.run([*gui, "--quit-after-show"], cwd=work, env=env, capture_output=True, text=True,
                             timeout=180, check=False)
    from estimator.app.main import startup_stamps  # noqa: PLC0415 - the checkout's reader of the app's line

    stamps = startup_stamps(started.stderr)
    if started.returncode != 0 or not 0 < stamps.get("first_window", 0) < stamps.get("ready", 0):
        fail(f"{label}: the app did not start frame first, then its page ({started.returncode}): "
             f"{started.stderr.strip()[-300:]}")
    print(f"smoke: {label}: price, encounter, --version, start-up and all {len(PAGES)} pages OK ({line})",
          flush=True)


def wheel(python: str) -> None:
    with tempfile.TemporaryDirectory(prefix="estimator-smoke-") as tmp:
        work = Path(tmp)
        run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "dist"), str(ROOT)],
            work, dict(os.environ), timeout=600)
        wheels = list((work / "dist").glob("*.whl"))
        if len(wheels) != 1:
            fail(f"expected one wheel, found {wheels}")
        target = work / "venv"
        run([python, "-m", "venv", str(target)], work, dict(os.environ))
        bin_dir = target / ("Scripts" if os.name == "nt" else "bin")
        run([str(bin_dir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check", str(wheels[0])],
            work, dict(os.environ), timeout=900)
        where = run([str(bin_dir / "python"), "-c", "import estimator, sys; print(estimator.__file__)"], work,
                    clean_env(work))
        if str(ROOT) in where:
            fail(f"the installed package was imported from the checkout: {where.strip()}")
        label = "wheel-py" + run([str(bin_dir / "python"), "-c", "import sys; print(*sys.version_info[:2], sep='.')"],
                                 work, dict(os.environ)).strip()
        check([str(bin_dir / "estimator")], [str(bin_dir / "estimator-gui")],
              [str(bin_dir / "python"), "-m", "estimator", "--version"], work, label)


def frozen(folder: str) -> None:
    app = Path(folder).resolve()
    suffix = ".exe" if os.name == "nt" else ""
    with tempfile.TemporaryDirectory(prefix="estimator-frozen-") as tmp:
        cli = [str(app / f"estimator{suffix}")]
        check(cli, [str(app / f"estimator-gui{suffix}")], [*cli, "--version"], Path(tmp), "frozen")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("wheel", "frozen"):
        raise SystemExit(__doc__)
    (wheel if sys.argv[1] == "wheel" else frozen)(sys.argv[2])
