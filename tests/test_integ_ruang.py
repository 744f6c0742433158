"""The workspace (issue 18) wired into comparisons (issue 16) and verification (issue 17).

Comparing kept snapshots within a user's scope, ``banding --snapshot``, verification results
and recipient lists saved with a version check and read back after a restart,
``verifikasi-masuk --snapshot``, and the same in the app (AppTest), with audited downloads.
SQLite; household rows are SYNTHETIC.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from streamlit.testing.v1 import AppTest

from geo.errors import AccessError, VersionConflictError
from geo.region import default_region
from targeting.banding import muat_banding
from targeting.banding_ruang import data_ruang
from targeting.cli import main
from targeting.format import angka
from targeting.penerima import baca_penerima
from targeting.ruang_kerja import Cakupan, RuangKerja
from targeting.snapshot import load_snapshot
from targeting.targets import target_families
from targeting.verifikasi import BerkasKembali, KepalaLembar, kunci_verifikasi, lembar_verifikasi
from targeting.verifikasi_ruang import (
    baca_untuk_ruang,
    muat_hasil,
    muat_penerima,
    simpan_hasil,
    simpan_penerima,
)

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PERUBAHAN = str(ROOT / "views" / "perubahan.py")
DESA_A, DESA_B = "61.11.01.2001", "61.11.01.2002"
KAB = Cakupan.semua("tim")
OP_A = Cakupan("operator_a", "desa", (DESA_A,))


@pytest.fixture(scope="module")
def sumber() -> pd.DataFrame:
    region = default_region()
    with gzip.open(region.keluarga_p3ke, "rt", encoding="utf-8") as f:
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
    parts = [df[df["kode_kemdagri"] == k].iloc[:80] for k in ("6111012001", "6111012002")]
    return pd.concat(parts, ignore_index=True)


def _snap(frame: pd.DataFrame, tanggal: str):
    return load_snapshot(
        default_region(), households=frame.to_csv(index=False).encode(),
        names={"keluarga_p3ke": f"p3ke_{tanggal}_SINTETIS.csv"}, tanggal=tanggal,
    )  # fmt: skip


@pytest.fixture
def workspace(tmp_path, monkeypatch, sumber):
    """Two kept snapshots: the second with two desil-1 families of each desa out of desil 1."""
    monkeypatch.setenv("LOKUS_WORKSPACE", str(tmp_path / "ruang"))
    monkeypatch.delenv("LOKUS_DATABASE_URL", raising=False)
    monkeypatch.delenv("LOKUS_WORKSPACE_KEY", raising=False)
    monkeypatch.setenv("LOKUS_PENGGUNA", "uji")
    monkeypatch.setenv("LOKUS_KUNCI_VERIFIKASI", "kunci-uji-SINTETIS")
    later = sumber.copy()
    d1 = later.index[later["desil_kesejahteraan"] == "1"]
    for kode in ("6111012001", "6111012002"):
        rows = [i for i in d1 if later.at[i, "kode_kemdagri"] == kode][:2]
        later.loc[rows, "desil_kesejahteraan"] = "3"
    rk = RuangKerja()
    ids = [rk.impor(_snap(sumber, "2024-01-01"), KAB), rk.impor(_snap(later, "2025-01-01"), KAB)]
    yield rk, ids
    rk.close()


def test_a_desa_operator_compares_only_its_own_desa(workspace):
    rk, ids = workspace
    region = default_region()
    whole, _ = muat_banding(region, data_ruang(rk, KAB, ids, region))
    own, _ = muat_banding(region, data_ruang(rk, OP_A, ids, region))
    for b in (whole, own):
        for s in b.snapshots:
            assert s.ledger.rows_in == s.rows_used + s.rows_rejected
    assert set(own.snapshots[0].placement.keluarga["kode_desa"]) == {DESA_A}
    desa = whole.keseluruhan.desa.set_index("kode_desa")
    mine = own.keseluruhan.desa.set_index("kode_desa")
    assert mine.loc[DESA_A, "keluar_desil_1"] == desa.loc[DESA_A, "keluar_desil_1"] >= 2
    assert mine.drop(DESA_A)["keluar_desil_1"].sum() == 0
    assert whole.kabupaten()["keluar_desil_1"] > own.kabupaten()["keluar_desil_1"]
    assert (rk.log_audit(KAB)["aksi"] == "banding").sum() == 4


def test_cli_banding_snapshot(workspace, tmp_path, capsys):
    _rk, ids = workspace
    out = tmp_path / "b"
    assert main(["banding", "--snapshot", str(ids[0]), "--snapshot", str(ids[1]),
                 "--out", str(out)]) == 0  # fmt: skip
    desa = pd.read_csv(out / "perubahan_desa.csv", dtype={"kode_desa": str})
    assert desa.set_index("kode_desa").loc[DESA_A, "keluar_desil_1"] >= 2
    capsys.readouterr()
    assert (
        main(["banding", "--snapshot", "99", "--snapshot", "1", "--out", str(tmp_path / "c")]) == 2
    )
    assert "Snapshot 99 is not in the workspace" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def _returned(rk, sid) -> bytes:
    """Both desa's sheets filled: every family of the list 'layak'."""
    keluarga = rk.keluarga(KAB, sid).drop(columns="_id_ruang")
    desa = pd.DataFrame({"kode_desa": [DESA_A, DESA_B], "desa": ["A", "B"], "kecamatan": ["K"] * 2})
    sasaran = target_families(keluarga, desa, [DESA_A, DESA_B]).keluarga
    data = lembar_verifikasi(
        sasaran, KepalaLembar("Kayong Utara", "2025", True), kunci_verifikasi()
    )
    wb = load_workbook(io.BytesIO(data))
    for ws in wb.worksheets:
        head = next(c.row for row in ws.iter_rows() for c in row if c.value == "status_verifikasi")
        col = next(c.column for c in ws[head] if c.value == "status_verifikasi")
        ident = next(c.column for c in ws[head] if c.value == "id_keluarga_p3ke")
        r = head + 1
        while ws.cell(r, ident).value:
            ws.cell(r, col, "layak")
            r += 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_verification_saved_in_scope_with_version_check_and_read_after_restart(workspace):
    rk, ids = workspace
    sid = ids[1]
    files = [BerkasKembali("musdes_SINTETIS.xlsx", _returned(rk, sid))]
    before_a = muat_hasil(rk, OP_A, sid)
    before_kab = muat_hasil(rk, KAB, sid)  # the team reads too, before the operator saves
    hasil = baca_untuk_ruang(files, rk.keluarga(OP_A, sid), OP_A)
    luar = hasil.ditolak[hasil.ditolak["kode"] == "desa_di_luar_wilayah"]
    assert len(luar) > 0
    assert set(luar["nilai"]) == {DESA_B}
    assert set(hasil.diterapkan["kode_desa"]) == {DESA_A}
    assert hasil.ledger.rows_in == hasil.ledger.rows_used + hasil.ledger.rows_rejected
    assert list(hasil.ringkasan()["kode_desa"]) == [DESA_A]
    saved = simpan_hasil(rk, OP_A, sid, hasil, before_a.versi)
    assert len(saved) == len(hasil.diterapkan)
    assert set(saved.values()) == {1}
    # the team's upload of the same families on the versions read before: told to reload
    whole = baca_untuk_ruang(files, rk.keluarga(KAB, sid), KAB)
    with pytest.raises(VersionConflictError, match="Muat ulang"):
        simpan_hasil(rk, KAB, sid, whole, before_kab.versi)
    assert len(rk.verifikasi(KAB, sid)) == len(saved)  # nothing of the refused save kept
    # a desa operator cannot save another desa's families, even bypassing the reader
    with pytest.raises(AccessError):
        simpan_hasil(rk, OP_A, sid, whole, {})
    # after reloading the team saves; everything survives a restart
    simpan_hasil(rk, KAB, sid, whole, muat_hasil(rk, KAB, sid).versi)
    rk.close()
    again = RuangKerja()
    got = muat_hasil(again, KAB, sid)
    assert len(got.hasil.diterapkan) == len(whole.diterapkan)
    assert set(got.versi.values()) == {1, 2}
    summary = got.hasil.ringkasan().set_index("kode_desa")
    assert summary.loc[DESA_A, "layak"] == len(hasil.diterapkan)
    mine = muat_hasil(again, OP_A, sid)
    assert set(mine.hasil.diterapkan["kode_desa"]) == {DESA_A}
    assert "verifikasi" in set(again.log_audit(KAB)["aksi"])
    again.close()


def _recipients(rk, sid, cakupan) -> bytes:
    k = rk.keluarga(KAB, sid)
    rows = k[k["desil"] == 1].groupby("kode_desa").head(3)
    return (
        pd.DataFrame(
            {"id_keluarga_p3ke": rows["id_keluarga_p3ke"], "kode_sub_kegiatan": "1.02.02.2.01.0001"}
        )
        .to_csv(index=False)
        .encode()
    )


def test_recipient_lists_kept_per_desa_with_version_check(workspace):
    rk, ids = workspace
    sid = ids[1]
    data = _recipients(rk, sid, KAB)
    read_a = muat_hasil(rk, OP_A, sid).penerima_id
    read_kab = muat_hasil(rk, KAB, sid).penerima_id
    daftar_a = baca_penerima(data, "penerima.csv", rk.keluarga(OP_A, sid))
    assert daftar_a.ledger.rows_used == 3
    assert daftar_a.ledger.rows_rejected == 3
    simpan_penerima(rk, OP_A, sid, daftar_a, "penerima.csv", read_a)
    daftar = baca_penerima(data, "penerima.csv", rk.keluarga(KAB, sid))
    with pytest.raises(VersionConflictError):
        simpan_penerima(rk, KAB, sid, daftar, "penerima.csv", read_kab)
    kept = simpan_penerima(
        rk, KAB, sid, daftar, "penerima.csv", muat_hasil(rk, KAB, sid).penerima_id
    )
    assert set(kept) == {DESA_A, DESA_B}
    back = muat_penerima(rk, KAB, sid)
    assert len(back.penerima) == 6
    assert set(muat_penerima(rk, OP_A, sid).penerima["kode_desa"]) == {DESA_A}


def test_cli_verifikasi_masuk_snapshot_saves_into_the_workspace(workspace, tmp_path):
    rk, ids = workspace
    sid = ids[1]
    path = tmp_path / "musdes_SINTETIS.xlsx"
    path.write_bytes(_returned(rk, sid))
    args = ["verifikasi-masuk", "--snapshot", str(sid), "--berkas", str(path), "--out"]
    assert main([*args, str(tmp_path / "v")]) == 0
    n = len(rk.verifikasi(KAB, sid))
    assert n > 0
    assert main([*args, str(tmp_path / "w")]) == 0  # again: a newer version, nothing lost
    assert set(rk.verifikasi(KAB, sid)["versi"]) == {2}


def test_a_desa_operator_compares_kept_snapshots_of_its_own_desa(workspace):
    rk, ids = workspace
    at = AppTest.from_file(PERUBAHAN, default_timeout=180)
    at.session_state["_cakupan"] = OP_A
    at.run()
    assert not at.exception, at.exception
    assert not at.toggle  # no synthetic demo and no upload for a desa operator
    assert any("dua snapshot" in i.value for i in at.info)
    at.multiselect(key="banding_snapshot").set_value(list(ids)).run()
    assert not at.exception, at.exception
    metric = {m.label: m.value for m in at.metric}
    own = rk.keluarga(OP_A, ids[0])
    assert metric["Desil 1 (2024-01-01)"] == angka(int((own["desil"] == 1).sum()))
    assert (rk.log_audit(KAB)["aksi"] == "banding").sum() == 2  # each kept snapshot opened


def test_app_downloads_write_a_masked_audit_line(workspace):
    from views import ruang_sesi

    rk, _ids = workspace
    build = ruang_sesi.diaudit(lambda: b"isi", "sasaran_6111012001000123.csv", 7)
    assert (rk.log_audit(KAB)["aksi"] == "ekspor").sum() == 0  # only when the file is built
    assert build() == b"isi"
    ruang_sesi.catat_unduhan("perubahan_desa.csv")
    log = rk.log_audit(KAB)
    rows = log[log["aksi"] == "ekspor"]
    assert rows["rincian"].iloc[0] == "aplikasi perubahan_desa.csv"  # newest first
    assert "6111012001000123" not in rows["rincian"].iloc[1]
    assert rows["rincian"].iloc[1].endswith(": 7 baris")


def test_kept_results_show_in_a_new_session_and_feed_the_priority_page(workspace):
    rk, ids = workspace
    sid = ids[1]
    files = [BerkasKembali("musdes_SINTETIS.xlsx", _returned(rk, sid))]
    hasil = baca_untuk_ruang(files, rk.keluarga(OP_A, sid), OP_A)
    simpan_hasil(rk, OP_A, sid, hasil, muat_hasil(rk, OP_A, sid).versi)
    at = AppTest.from_file(APP, default_timeout=180)
    at.session_state["_cakupan"] = OP_A
    at.session_state["_snapshot_ruang"] = sid
    at.run()
    at.switch_page("views/verifikasi.py").run()
    assert not at.exception, at.exception
    metric = {m.label: m.value for m in at.metric}
    assert metric["Diterapkan"] == angka(len(hasil.diterapkan))
    assert any("tersimpan di ruang kerja" in c.value for c in at.caption)
    at.switch_page("views/prioritas.py").run()
    assert not at.exception, at.exception


def test_on_postgresql_the_batch_save_is_scoped_and_version_checked(sumber, tmp_path, monkeypatch):
    from tests import pg_cluster

    if pg_cluster.bindir() is None:
        pytest.fail("PostgreSQL is not installed: run `make db-deps` (make test does)")
    monkeypatch.setenv("LOKUS_KUNCI_VERIFIKASI", "kunci-uji-SINTETIS")
    with pg_cluster.cluster() as c:
        rk = RuangKerja(c.new_database(), folder=tmp_path / "ruang")
        try:
            sid = rk.impor(_snap(sumber, "2024-01-01"), KAB)
            files = [BerkasKembali("musdes_SINTETIS.xlsx", _returned(rk, sid))]
            stale = muat_hasil(rk, KAB, sid).versi
            hasil = baca_untuk_ruang(files, rk.keluarga(OP_A, sid), OP_A)
            assert set(hasil.diterapkan["kode_desa"]) == {DESA_A}
            simpan_hasil(rk, OP_A, sid, hasil, muat_hasil(rk, OP_A, sid).versi)
            whole = baca_untuk_ruang(files, rk.keluarga(KAB, sid), KAB)
            with pytest.raises(AccessError):
                simpan_hasil(rk, OP_A, sid, whole, {})
            with pytest.raises(VersionConflictError):
                simpan_hasil(rk, KAB, sid, whole, stale)
            assert len(rk.verifikasi(KAB, sid)) == len(hasil.diterapkan)
            simpan_hasil(rk, KAB, sid, whole, muat_hasil(rk, KAB, sid).versi)
            assert set(muat_hasil(rk, OP_A, sid).hasil.diterapkan["kode_desa"]) == {DESA_A}
            assert len(muat_hasil(rk, KAB, sid).hasil.diterapkan) == len(whole.diterapkan)
        finally:
            rk.close()


def test_the_team_picks_kept_snapshots_beside_uploads(workspace):
    _rk, ids = workspace
    at = AppTest.from_file(PERUBAHAN, default_timeout=180)
    at.run()
    at.toggle(key="banding_demo").set_value(False).run()
    assert not at.exception, at.exception
    assert any("Unggah 2 berkas" in i.value for i in at.info)  # no snapshot chosen yet
    at.multiselect(key="banding_snapshot").set_value([ids[0]]).run()
    assert any("sedikitnya dua data" in i.value for i in at.info)
    assert at.number_input(key="banding_n_tambah").value == 0
    at.multiselect(key="banding_snapshot").set_value(list(ids)).run()
    assert not at.exception, at.exception
    metric = {m.label: m.value for m in at.metric}
    assert "Desil 1 (2025-01-01)" in metric
