"""The desktop build as users start it: ``frozen_startup``.

- ``frozen_startup``: wall time of ``dist/estimator/estimator-gui --quit-after-show`` (the one-folder build of
  ``./run build``: process start to the first shown window, and exit), as a ratio to the same command from the
  wheel installed in a fresh venv (``estimator-gui`` of that venv), the two timed alternately in one run.
  Also records the build's size on disk.  Skipped, with the reason, when there is no build.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

try:
    from bench.run import REPO_ROOT, machine
except ModuleNotFoundError:  # run alone as ``python bench/bench_frozen.py``
    from run import REPO_ROOT, machine

RUNS = 7
FROZEN = REPO_ROOT / "dist" / "estimator"
WHEEL_VENV = REPO_ROOT / "bench" / "results" / "wheel-venv"


def _bin(folder: Path, name: str) -> Path:
    return folder / (f"{name}.exe" if os.name == "nt" else name)


def _wheel_venv() -> Path:
    """A venv with the wheel built from this checkout (rebuilt when pyproject.toml or the package is newer)."""
    stamp = WHEEL_VENV / ".built"
    newest = max(p.stat().st_mtime for p in [REPO_ROOT / "pyproject.toml", *REPO_ROOT.glob("estimator/**/*.py")])
    if not stamp.is_file() or stamp.stat().st_mtime < newest:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", tmp, str(REPO_ROOT)],
                           check=True)
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(WHEEL_VENV)], check=True)
            scripts = WHEEL_VENV / ("Scripts" if os.name == "nt" else "bin")
            subprocess.run([str(_bin(scripts, "python")), "-m", "pip", "install", "-q", *Path(tmp).glob("*.whl")],
                           check=True)
        stamp.touch()
    return WHEEL_VENV / ("Scripts" if os.name == "nt" else "bin")


def _timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=cwd)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()[-300:]}")
    return elapsed


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def frozen_startup() -> dict[str, Any]:
    frozen = _bin(FROZEN, "estimator-gui")
    if not frozen.is_file():
        return {"name": "frozen_startup", "skipped": f"no desktop build at {FROZEN}: run ./run build first",
                "machine": machine()}
    installed = _bin(_wheel_venv(), "estimator-gui")
    with tempfile.TemporaryDirectory(prefix="bench-frozen-") as tmp:
        folder = Path(tmp)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
        env.update(QT_QPA_PLATFORM="offscreen", ESTIMATOR_DATA_DIR=str(folder / "data"),
                   ESTIMATOR_DB=str(folder / "data" / "practice.sqlite"), ESTIMATOR_CONFIG_DIR=str(folder / "cfg"))
        commands = {"frozen": [str(frozen), "--quit-after-show"], "wheel": [str(installed), "--quit-after-show"]}
        for command in commands.values():  # warm-up: the database is created, OS caches filled
            _timed(command, env, folder)
        times: dict[str, list[float]] = {"frozen": [], "wheel": []}
        for _ in range(RUNS):
            for key, command in commands.items():
                times[key].append(_timed(command, env, folder))
    frozen_s, wheel_s = statistics.median(times["frozen"]), statistics.median(times["wheel"])
    return {
        "name": "frozen_startup", "seconds": round(frozen_s, 4), "wheel_seconds": round(wheel_s, 4),
        "ratio_to_wheel": round(frozen_s / wheel_s, 2), "size_mb": round(_size(FROZEN) / 1e6, 1),
        "machine": machine(),
        "note": f"median of {RUNS} alternating runs of --quit-after-show: the one-folder build vs the wheel "
                "installed in a fresh venv; size: the whole dist/estimator folder",
    }


BENCHMARKS = {"frozen_startup": frozen_startup}

if __name__ == "__main__":
    print(json.dumps(frozen_startup()), flush=True)
