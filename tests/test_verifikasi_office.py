"""The verification workbook in LibreOffice (headless): pages per desa and drop-downs kept.

Needs Debian's ``libreoffice-calc-nogui`` (``soffice``) and ``poppler-utils`` (``pdfinfo``
counts the PDF's pages); ``make test`` installs both (target ``office-deps``). Every record
here is SYNTHETIC.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from targeting.targets import target_families
from targeting.verifikasi import (
    STATUS_VERIFIKASI,
    BerkasKembali,
    KepalaLembar,
    baca_verifikasi,
    zip_per_desa,
)

KUNCI = b"kunci-uji-SINTETIS"
A, B = "61.11.01.2001", "61.11.01.2002"
PER_DESA = {A: 30, B: 4}
# 14 family rows per printed page (a page break after each block), then one page for the
# proposals and signatures: 30 families -> 3 + 1 pages, 4 families -> 1 + 1.
EXPECTED_PAGES = {A: 4, B: 2}


def _keluarga() -> pd.DataFrame:
    rows = []
    for kode, n in PER_DESA.items():
        for i in range(n):
            rows.append({
                "kode_desa": kode, "desil": 1, "_baris": len(rows) + 2,
                "id_keluarga_p3ke": f"P3KE-{kode[-4:]}-{i:03d}",
                "kepala_keluarga": f"Warga SINTETIS {i}", "nik": f"61110{len(rows):011d}",
                "sumber_penerangan": "Bukan Listrik", "jenis_lantai": "Tanah",
            })  # fmt: skip
    return pd.DataFrame(rows)


def _soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None or shutil.which("pdfinfo") is None:
        pytest.fail("LibreOffice (soffice) or pdfinfo missing: run `make office-deps`")
    return exe


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Path:
    exe = _soffice()
    root = tmp_path_factory.mktemp("office")
    desa = pd.DataFrame({"kode_desa": [A, B], "desa": ["Sutera", "Pangkalan Buton"],
                         "kecamatan": ["Sukadana"] * 2})  # fmt: skip
    sasaran = target_families(_keluarga(), desa, [A, B]).keluarga
    data = zip_per_desa(sasaran, KepalaLembar("Kayong Utara", "2026-01-01", True), KUNCI)
    zipfile.ZipFile(io.BytesIO(data)).extractall(root / "xlsx")
    files = sorted(str(p) for p in (root / "xlsx").glob("*.xlsx"))
    filled = _fill_first_rows(next(p for p in files if A in p), root / "terisi" / "terisi_A.xlsx")
    profile = f"-env:UserInstallation=file://{root / 'profile'}"
    for fmt, out, paths in (
        ("pdf", "pdf", files),
        ("xlsx:Calc MS Excel 2007 XML", "lo", [*files, str(filled)]),
    ):
        subprocess.run(
            [exe, profile, "--headless", "--convert-to", fmt, "--outdir", str(root / out), *paths],
            check=True, capture_output=True, timeout=180,
        )  # fmt: skip
    return root


def _fill_first_rows(path: str, out: Path) -> Path:
    """Statuses on the first three families, then saved; LibreOffice saves it again."""
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    header = next(c.row for row in ws.iter_rows() for c in row if c.value == "status_verifikasi")
    status = next(c.column for c in ws[header] if c.value == "status_verifikasi")
    for r, value in enumerate(("layak", "pindah", "Tidak Layak - Sudah Mampu"), start=1):
        ws.cell(header + r, status, value)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out


def test_filled_then_saved_by_libreoffice_reads_back(converted: Path) -> None:
    saved = converted / "lo" / "terisi_A.xlsx"
    got = baca_verifikasi([BerkasKembali(saved.name, saved.read_bytes())], _keluarga(), KUNCI)
    assert list(got.diterapkan["status_verifikasi"]) == [
        "layak", "pindah", "tidak layak - sudah mampu"
    ]  # fmt: skip
    assert got.ledger.rows_in == PER_DESA[A]
    assert set(got.ditolak["kode"]) == {"belum_diverifikasi"}


def test_pages_per_desa(converted: Path) -> None:
    for kode, pages in EXPECTED_PAGES.items():
        (pdf,) = (converted / "pdf").glob(f"verifikasi_{kode}_*.pdf")
        info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
        got = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.MULTILINE).group(1))
        assert got == pages, kode


def test_dropdown_survives_libreoffice_and_reads_back(converted: Path) -> None:
    (saved,) = (converted / "lo").glob(f"verifikasi_{A}_*.xlsx")
    wb = load_workbook(saved)
    ws = wb.worksheets[0]
    (dv,) = ws.data_validations.dataValidation
    assert dv.type == "list"
    listed = [v.strip() for v in dv.formula1.strip('"').split(",")]
    assert listed == list(STATUS_VERIFIKASI)
    assert ws.protection.sheet
    header = next(c.row for row in ws.iter_rows() for c in row if c.value == "status_verifikasi")
    status = next(c.column for c in ws[header] if c.value == "status_verifikasi")
    ws.cell(header + 1, status, "layak")
    out = io.BytesIO()
    wb.save(out)
    got = baca_verifikasi([BerkasKembali(saved.name, out.getvalue())], _keluarga(), KUNCI)
    assert len(got.diterapkan) == 1
    assert got.ledger.rows_in == PER_DESA[A]
