"""`--scheduler` on a real cluster: `dask scheduler` and `dask worker` started outside the repo.

The README's recipe ("Scaling") starts a scheduler and workers with the Lokus environment; the
workers must not need Lokus's folder on their path (Lokus ships ``geo/`` and ``targeting/``
to them). The processes listen on 127.0.0.1 only and are stopped at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from targeting.cli import main

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def _start(args: list[str], cwd: Path, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    with log.open("wb") as fh:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [str(BIN / "dask"), *args], cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT,
        )  # fmt: skip


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture
def real_cluster(tmp_path_factory):
    """A scheduler and one worker, as separate processes, in a folder outside the repo."""
    home = tmp_path_factory.mktemp("cluster")
    repo = Path(__file__).resolve().parent.parent
    assert repo not in home.parents
    sched_file = home / "scheduler.json"
    procs = [
        _start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                "--scheduler-file", str(sched_file)], home, home / "scheduler.log"),
    ]  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while not sched_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert sched_file.exists(), (home / "scheduler.log").read_text()
        procs.append(
            _start(["worker", "--scheduler-file", str(sched_file), "--host", "127.0.0.1",
                    "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                    "--memory-limit", "1GiB", "--local-directory", str(home / "w")],
                   home, home / "worker.log")
        )  # fmt: skip
        # The worker cannot import Lokus by itself: the recipe would fail without shipping it.
        probe = subprocess.run(
            [sys.executable, "-c", "import targeting"], cwd=home, capture_output=True,
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, check=False,
        )  # fmt: skip
        assert probe.returncode != 0
        from distributed import Client

        address = json.loads(sched_file.read_text())["address"]
        with Client(address, timeout=20) as client:
            client.wait_for_workers(1, timeout=20)
        yield address, home
    finally:
        for proc in reversed(procs):
            _stop(proc)


def test_cli_runs_on_a_scheduler_whose_workers_lack_the_code(real_cluster, tmp_path):
    address, home = real_cluster
    out_dask, out_pandas = tmp_path / "dask", tmp_path / "pandas"
    assert main(["run", "--engine", "dask", "--scheduler", address, "--out", str(out_dask)]) == 0
    assert main(["run", "--out", str(out_pandas)]) == 0
    log = (home / "worker.log").read_text(errors="replace")
    assert "ModuleNotFoundError" not in log
    a = json.loads((out_dask / "report.json").read_text(encoding="utf-8"))
    b = json.loads((out_pandas / "report.json").read_text(encoding="utf-8"))
    for key in ("rows_in", "rows_used", "rows_rejected", "keluarga_dipakai"):
        assert a[key] == b[key]
    read = {"dtype": {"kode_desa": str}, "encoding": "utf-8-sig"}
    pd.testing.assert_frame_equal(
        pd.read_csv(out_dask / "rejected.csv", **read),
        pd.read_csv(out_pandas / "rejected.csv", **read),
    )
