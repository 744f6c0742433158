"""Benchmark of the village-meeting verification workbook (run by hand; issue 17).

On the embedded SYNTHETIC Kayong Utara data: the verification workbook of every desa (desil 1,
and desil 1-4) written by Lokus (one protected sheet per desa, drop-down, HMAC per row) against
the plain one-sheet XLSX export of the same families (``targeting.export.to_xlsx_bytes``), and
read back by Lokus (every row to the ledger) against a bare openpyxl read of the same file,
both measured in the same run. Figures are seconds and ratios to the reference.
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _best(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _bare_read(data: bytes) -> int:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), data_only=True)
    return sum(1 for ws in wb.worksheets for _ in ws.iter_rows(values_only=True))


def main() -> None:
    """Print the table of times and ratios."""
    from geo.region import default_region
    from targeting.export import to_xlsx_bytes
    from targeting.pipeline import run
    from targeting.targets import target_families
    from targeting.verifikasi import (
        BerkasKembali,
        KepalaLembar,
        baca_verifikasi,
        lembar_verifikasi,
    )

    result = run(default_region())
    fam = result.placement.keluarga
    codes = result.indikator["kode_desa"].tolist()
    kepala = KepalaLembar("Kayong Utara", "2026", sintetis=True)
    print(f"{'step':48s}{'n':>8s}{'s':>9s}{'ratio':>8s}")
    for desil in ((1,), (1, 2, 3, 4)):
        sasaran = target_families(fam, result.indikator, codes, desil=desil).keluarga
        n = len(sasaran)
        ref, _ = _best(lambda s=sasaran: to_xlsx_bytes({"sasaran": s}))
        t, book = _best(lambda s=sasaran: lembar_verifikasi(s, kepala, b"bench"))
        print(f"{'one-sheet XLSX export (reference)':48s}{n:8d}{ref:9.2f}{1:8.2f}")
        print(f"{'verification workbook, 43 sheets':48s}{n:8d}{t:9.2f}{t / ref:8.2f}")
        ref, _ = _best(lambda b=book: _bare_read(b))
        t, _ = _best(lambda b=book: baca_verifikasi([BerkasKembali("b.xlsx", b)], fam, b"bench"))
        print(f"{'bare openpyxl read (reference)':48s}{n:8d}{ref:9.2f}{1:8.2f}")
        print(f"{'baca_verifikasi (every row to the ledger)':48s}{n:8d}{t:9.2f}{t / ref:8.2f}")


if __name__ == "__main__":
    main()
