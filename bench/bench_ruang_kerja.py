"""Workspace speed (issue 18): import and open a kept snapshot, SQLite and PostgreSQL.

District: the Kayong Utara SYNTHETIC sample (12,907 families, 43 desa). Province: the same
families replicated to 300,000 (codes unchanged; a stand-in for a province file of the same
shape). PostgreSQL runs in a throwaway cluster (tests/pg_cluster.py). The reference, measured
in the same run, is reading the district from its files (``load_snapshot``): the goals are
"open a kept district snapshot in under 1 s, import it in under 3 s; a province imports into
PostgreSQL in under 60 s and opens in under 5 s". Figures are printed; nothing is asserted.

Run: ``.venv/bin/python bench/bench_ruang_kerja.py [--repeat 3] [--no-province]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.join import Placement  # noqa: E402
from geo.ledger import Ledger  # noqa: E402
from geo.region import default_region  # noqa: E402
from targeting.ruang_kerja import Cakupan, RuangKerja  # noqa: E402
from targeting.ruang_kerja.snapshot_ruang import to_snapshot  # noqa: E402
from targeting.snapshot import load_snapshot  # noqa: E402
from tests import pg_cluster  # noqa: E402

ALL = Cakupan.semua("bench")
DESA = Cakupan("bench_desa", "desa", ("61.11.01.2001",))


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _province(snap, n: int):
    k = snap.placement.keluarga
    times = -(-n // len(k))
    big = pd.concat([k] * times, ignore_index=True).iloc[:n].copy()
    big["_baris"] = range(2, n + 2)
    ledger = Ledger(snap.ledger.berkas, n, n, snap.ledger.ditolak.iloc[:0])
    return dataclasses.replace(
        snap, placement=Placement(keluarga=big, ditolak=snap.placement.ditolak), ledger=ledger
    )


def _row(label: str, backend: str, families: int, seconds: float, ref: float) -> str:
    return f"{label:<28}{backend:<12}{families:>9,}{seconds:>9.2f}{seconds / ref:>8.2f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-province", action="store_true")
    args = ap.parse_args()
    region = default_region()
    ref = _median(lambda: load_snapshot(region), args.repeat)
    snap = load_snapshot(region)
    n = snap.families_used
    print(f"machine: {platform.machine()}, python {platform.python_version()}")
    print(
        f"reference: district read from its files (load_snapshot) {ref:.2f} s (median of {args.repeat})"
    )
    print(f"{'step':<28}{'back end':<12}{'families':>9}{'s':>9}{'x ref':>8}")
    with tempfile.TemporaryDirectory() as tmp, pg_cluster.cluster() as pg:
        backends = {"sqlite": None, "postgresql": pg.new_database()}
        for name, url in backends.items():
            rk = RuangKerja(url, folder=Path(tmp) / name)
            t_imp = _median(lambda rk=rk: rk.impor(snap, ALL), args.repeat)
            sid = int(rk.daftar(ALL)["id"].iloc[0])
            t_open = _median(
                lambda rk=rk, sid=sid: to_snapshot(rk.buka(ALL, sid), region), args.repeat
            )
            t_desa = _median(
                lambda rk=rk, sid=sid: to_snapshot(rk.buka(DESA, sid), region), args.repeat
            )
            print(_row("district import", name, n, t_imp, ref))
            print(_row("district open (kabupaten)", name, n, t_open, ref))
            print(_row("district open (one desa)", name, n, t_desa, ref))
            rk.close()
        if not args.no_province:
            big = _province(snap, 300_000)
            rk = RuangKerja(pg.new_database(), folder=Path(tmp) / "prov")
            t = time.perf_counter()
            sid = rk.impor(big, ALL)
            t_imp = time.perf_counter() - t
            t = time.perf_counter()
            opened = rk.buka(ALL, sid)
            t_open = time.perf_counter() - t
            print(_row("province import (COPY)", "postgresql", len(opened.keluarga), t_imp, ref))
            print(_row("province open (families)", "postgresql", len(opened.keluarga), t_open, ref))
            rk.close()


if __name__ == "__main__":
    main()
