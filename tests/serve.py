"""Start ``streamlit run app.py`` on a free port for browser tests and the load test.

Not a test module: imported by ``tests/test_security_browser.py`` and ``bench/loadtest.py``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-quic", "--no-first-run", "--disable-sync",
]  # fmt: skip


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running app: its URL, process and log file."""

    url: str
    proc: subprocess.Popen
    log: Path


@contextmanager
def streamlit_server(
    log: Path, env: dict[str, str] | None = None, args: list[str] | None = None
) -> Iterator[Server]:
    """Run the app until the block ends; stdout and stderr go to ``log``.

    Parameters
    ----------
    log : pathlib.Path
        File receiving the server's stdout and stderr.
    env : dict, optional
        Extra environment variables (e.g. ``LOKUS_REGION``, ``HOME``, ``TMPDIR``).
    args : list of str, optional
        Extra ``streamlit run`` options.
    """
    port = free_port()
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.headless", "true", *(args or [])],
            cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 90
            while time.time() < deadline:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    time.sleep(0.3)
                if proc.poll() is not None:
                    break
            else:
                proc.kill()
            if proc.poll() is not None:
                out.flush()
                msg = f"streamlit did not start:\n{log.read_text(errors='replace')}"
                raise RuntimeError(msg)
            yield Server(url=url, proc=proc, log=log)
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of a process so far (Linux ``VmHWM``), in MB; NaN elsewhere."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def clickable_desa_point(frame, max_y: float | None = None) -> list[float]:
    """A point (frame pixels) inside a drawn desa polygon, as a user would click it.

    The first ``path.lokus-desa`` whose bounding-box centre is really on that polygon
    (a multi-island desa has sea at its centre) and, with ``max_y``, above that frame
    height (the part of the map visible in the window).
    """
    point = frame.evaluate(
        """(maxY) => {
            for (const p of document.querySelectorAll('path.lokus-desa')) {
                const r = p.getBoundingClientRect();
                const x = r.left + r.width / 2, y = r.top + r.height / 2;
                if (maxY !== null && y > maxY - 10) continue;
                if (r.width > 20 && document.elementFromPoint(x, y) === p) return [x, y];
            }
            return null;
        }""",
        max_y,
    )
    assert point is not None, "no desa polygon can be clicked at its centre"
    return point
