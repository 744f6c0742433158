"""Time and peak memory of each hostile input until its message (``python bench/hostile.py``).

Each case runs in a fresh Python process (so its peak resident memory, Linux ``VmHWM``, is
its own) and is compared with two references measured in the same run: the process with
Lokus imported and nothing read, and the whole pipeline on the embedded SYNTHETIC sample
(12,907 families). Inputs are built by the same helpers the tests use
(``tests/test_hostile_input.py``). Writes ``bench/HOSTILE.md``; asserts nothing.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CASES = {  # name: (build the input into x, the call that reads it)
    "imports only (reference)": ("x = None", "pass"),
    "embedded sample, whole pipeline (reference)": (
        "from targeting.pipeline import run; from geo.region import default_region; "
        "x = default_region()",
        "run(x)",
    ),
    "499,990-row CSV (just under the row limit), whole pipeline": (
        "from targeting.pipeline import run; from geo.region import default_region; "
        "x = big_csv(T / 'batas.csv', 499_990)",
        "run(default_region(), households=x)",
    ),
    "truncated XLSX": ("x = _xlsx()[:2000]", "read_table(x, name='potong.xlsx')"),
    "1,000,000-row CSV": ("x = big_csv(T / 'sejuta.csv', 1_000_000)", "read_table(x)"),
    "1,000,000-row XLSX sheet": ("x = long_sheet_xlsx(1_000_000)", "read_table(x, name='s.xlsx')"),
    "10,000-column CSV": ("x = wide_csv(T / 'lebar.csv')", "read_table(x)"),
    "zip bomb as zipped shapefile (300 MB unpacked)": (
        "x = zip_bomb(T / 'bom.zip', unpacked_mb=300)",
        "read_boundaries(x)",
    ),
    "self-intersecting multipolygon, 100,000 vertices (refused)": (
        "x = geojson(T / 'bintang.geojson', star(100_000))",
        "read_boundaries(x)",
    ),
    "self-intersecting multipolygon, 100,000 vertices, few crossings (repaired)": (
        "x = geojson(T / 'berkelok.geojson', wiggly(100_000))",
        "read_boundaries(x)",
    ),
}

RUNNER = """
import json, sys, time
from pathlib import Path
T = Path(sys.argv[1])
from geo.errors import LokusError
from geo.io import read_boundaries, read_table
from tests.test_hostile_input import (
    _xlsx, big_csv, geojson, long_sheet_xlsx, star, wide_csv, wiggly, zip_bomb,
)
{setup}
t0 = time.perf_counter()
try:
    {code}
    outcome = "read"
except LokusError as err:
    outcome = str(err).splitlines()[0][:110]
elapsed = time.perf_counter() - t0
hwm = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM'))
print(json.dumps({{"s": elapsed, "mb": hwm / 1024, "outcome": outcome}}))
"""


def measure(setup: str, code: str, tmp: Path) -> dict[str, object]:
    """Run one case in a fresh interpreter and return its seconds, peak MB and outcome."""
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER.format(setup=setup, code=code), str(tmp)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    if proc.returncode != 0:
        return {"s": float("nan"), "mb": float("nan"), "outcome": proc.stderr.strip()[-200:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    rows = []
    with tempfile.TemporaryDirectory(prefix="lokus_hostile_") as tmp:
        for name, (setup, code) in CASES.items():
            case_dir = Path(tmp) / str(len(rows))
            case_dir.mkdir()
            rows.append((name, measure(setup, code, case_dir)))
            print(name, rows[-1][1], flush=True)
    ref = rows[1][1]
    lines = [
        "# Hostile input: time and memory until the message",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} with "
        f"`bench/hostile.py` on {platform.machine()}, Python {platform.python_version()}. "
        "Each case runs in a fresh process; time is from the call to its result or message "
        "(building the input is not counted); memory is the process's peak resident size, "
        "building included (the 1,000,000-row CSV is built in memory first). "
        "Ratios are against the whole pipeline on the embedded sample, measured in the same "
        "run.",
        "",
        "| Input | Seconds | x sample run | Peak MB | x sample run | Outcome |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, r in rows:
        outcome = str(r["outcome"]).replace("|", "/")
        lines.append(
            f"| {name} | {r['s']:.2f} | {r['s'] / ref['s']:.2f} | {r['mb']:.0f} | "
            f"{r['mb'] / ref['mb']:.2f} | {outcome} |"
        )
    text = "\n".join(lines) + "\n"
    (ROOT / "bench" / "HOSTILE.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
