"""Killing ``estimator gfe`` at random points never leaves a Good Faith Estimate that is not in the log, and
the next start removes every temp file a kill left (they hold the patient's name).

Processes are killed with SIGKILL (no clean-up runs), five at a time on one database, so the kills also
land while another writer holds the lock.  50 kills in CI, as the reliability pass did.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from estimator.core.payers import Practice
from estimator.files import TEMP_PREFIX
from estimator.store import gfe_log
from estimator.store.sqlite_store import SqliteStore

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")

#: 50 kills in CI (HYPOTHESIS_PROFILE=ci, about 90 s on two busy cores); 10 in the quick local loop.
KILLS = int(os.environ.get("ESTIMATOR_GFE_KILLS", "50" if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else "10"))
AT_ONCE = 5
RUN = "import sys; from estimator.cli import main; sys.exit(main(sys.argv[1:]))"
GFE = ["gfe", "--patient-name", "Ana Q. Testpatient", "--dob", "1951-02-03", "--scheduled", "2026-12-15",
       "--scheduled-on", "2026-11-30", "--lesions", "8", "--dx", "L57.0", "--pos", "11"]


def _start(env: dict[str, str], out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", RUN, *GFE, "--out", str(out)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_killed_gfe_is_either_logged_or_absent_and_leaves_no_temp_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    db = data / "practice.sqlite"
    out = tmp_path / "out"
    out.mkdir()
    store = SqliteStore(db)
    store.save_practice(Practice("Sunrise Dermatology", "1234567893", "12-3456789", "1 Main St, Houston, TX 77001"))
    store.close()
    env = {**os.environ, "ESTIMATOR_DB": str(db), "ESTIMATOR_DATA_DIR": str(data), "QT_QPA_PLATFORM": "offscreen"}

    began = time.monotonic()
    whole = _start(env, out / "complete.pdf")
    assert whole.wait(120) == 0
    runtime = time.monotonic() - began

    # Kill points spread over the whole run (start-up, pricing, rendering, logging, writing the copy); the
    # processes of a batch share the machine, so each takes about AT_ONCE / 2 times as long as one alone.
    rng = random.Random(15)
    span = runtime * max(1.0, AT_ONCE / 2) * 1.1
    for first in range(0, KILLS, AT_ONCE):
        began = time.monotonic()
        batch = sorted(((rng.uniform(0.05, span), _start(env, out / f"gfe-{first + i}.pdf")) for i in range(AT_ONCE)),
                       key=lambda pair: pair[0])
        for deadline, proc in batch:
            time.sleep(max(0.0, deadline - (time.monotonic() - began)))
            proc.send_signal(signal.SIGKILL)
        for _, proc in batch:
            proc.wait(60)

    # The next start: any command cleans the staging folder of the killed processes' temp files.
    after = subprocess.run([sys.executable, "-c", RUN, "gfe", "list", "--format", "json"], env=env,
                           capture_output=True, text=True, timeout=120, check=False)
    assert after.returncode == 0, after.stderr
    store = SqliteStore(db)
    assert store.integrity_ok()
    logged = {gfe_log.get(store, r.id).pdf for r in gfe_log.list_entries(store)}
    store.close()
    pdfs = sorted(out.glob("*.pdf"))
    assert out / "complete.pdf" in pdfs
    for pdf in pdfs:
        assert pdf.read_bytes() in logged, f"{pdf.name} was given out but is not in the log"
    leftovers = [p.name for folder in (out, data, data / "tmp") if folder.is_dir()
                 for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX)]
    assert leftovers == []
