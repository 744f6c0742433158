"""The verification and recipient commands of ``python -m targeting`` (issue 17). SYNTHETIC data."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from targeting.cli import main

DESA = "61.11.01.2001"


@pytest.fixture(autouse=True)
def _key(monkeypatch) -> None:
    monkeypatch.setenv("LOKUS_KUNCI_VERIFIKASI", "kunci-uji-cli")


def test_out_fill_in_and_run(tmp_path, capsys) -> None:
    assert main(["verifikasi-keluar", "--desa", DESA, "--out", str(tmp_path / "k")]) == 0
    book = tmp_path / "k" / "verifikasi_musdes.xlsx"
    assert (tmp_path / "k" / "verifikasi_musdes_per_desa.zip").exists()
    wb = load_workbook(book)
    ws = wb.worksheets[0]
    header = next(c.row for row in ws.iter_rows() for c in row if c.value == "status_verifikasi")
    cols = {c.value: c.column for c in ws[header]}
    first_id = ws.cell(header + 1, cols["id_keluarga_p3ke"]).value
    ws.cell(header + 1, cols["status_verifikasi"], "tidak layak - sudah mampu")
    ws.cell(header + 2, cols["status_verifikasi"], "layak")
    returned = tmp_path / "kembali.xlsx"
    wb.save(returned)
    out = tmp_path / "m"
    assert main(["verifikasi-masuk", "--berkas", str(returned), "--out", str(out)]) == 0
    applied = pd.read_csv(out / "verifikasi_diterapkan.csv", dtype=str)
    assert len(applied) == 2
    rejected = pd.read_csv(out / "verifikasi_ditolak.csv", dtype=str)
    summary = pd.read_csv(out / "ringkasan_verifikasi.csv", dtype={"kode_desa": str})
    assert summary.loc[0, "diverifikasi"] == 2
    assert summary.loc[0, "belum_diverifikasi"] == len(rejected)
    assert (out / "report.json").exists()
    assert (out / "usulan_baru.csv").exists()
    penerima = tmp_path / "penerima.csv"
    penerima.write_text(f"id_keluarga_p3ke,kode_sub_kegiatan\n{first_id},1.06.04.2.01.0001\n")
    run_out = tmp_path / "r"
    code = main(["run", "--desa", DESA, "--verifikasi", str(returned), "--penerima",
                 str(penerima), "--out", str(run_out)])  # fmt: skip
    assert code == 0
    targets = pd.read_csv(run_out / "target_list.csv", dtype=str)
    assert first_id not in set(targets["id_keluarga_p3ke"])
    assert set(targets["status_verifikasi"]) == {"layak", "belum diverifikasi"}
    ketepatan = pd.read_csv(run_out / "ketepatan_sasaran.csv", dtype=str)
    # the one recipient was verified not eligible: inclusion error of that sub-activity is 0
    # (it is in desil 1), and it no longer counts among the eligible
    assert ketepatan.loc[0, "penerima"] == "1"
    assert (run_out / "belum_tersentuh.csv").exists()
    assert "recipients: 1 rows read: 1 used" in capsys.readouterr().out
