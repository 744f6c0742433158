"""Workspace CLI (issue 18): `ruang-kerja impor|daftar|hapus|cadangkan|pulihkan|pengguna|migrasi`
and `run --snapshot ID`, on the embedded SQLite workspace. Household rows are SYNTHETIC."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from geo.region import default_region
from targeting.cli import main
from targeting.pipeline import AnalysisSettings, analyse
from targeting.ruang_kerja import Cakupan, RuangKerja
from targeting.ruang_kerja.snapshot_ruang import to_snapshot

DESA_A = "61.11.01.2001"


@pytest.fixture(scope="module")
def households(tmp_path_factory):
    region = default_region()
    with gzip.open(region.keluarga_p3ke, "rt", encoding="utf-8") as f:
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
    part = df[df["kode_kemdagri"].str.startswith(("611101200", "611102"))].iloc[::3].copy()
    part.iloc[0, part.columns.get_loc("desil_kesejahteraan")] = "x"  # one rejected row
    path = tmp_path_factory.mktemp("p3ke") / "p3ke_SINTETIS.csv"
    part.to_csv(path, index=False)
    return path


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    folder = tmp_path / "ruang"
    monkeypatch.setenv("LOKUS_WORKSPACE", str(folder))
    monkeypatch.delenv("LOKUS_DATABASE_URL", raising=False)
    monkeypatch.delenv("LOKUS_WORKSPACE_KEY", raising=False)
    monkeypatch.setenv("LOKUS_PENGGUNA", "uji")
    return folder


def test_impor_then_run_snapshot_writes_what_run_on_the_file_writes(
    households, workspace, tmp_path, capsys
):
    assert main(["ruang-kerja", "impor", "--households", str(households), "--nama", "Des"]) == 0
    assert "snapshot 1:" in capsys.readouterr().out
    assert main(["ruang-kerja", "daftar"]) == 0
    listed = capsys.readouterr().out
    assert listed.startswith("1\tDes\t")
    assert "SINTETIS" in listed
    assert main(["run", "--snapshot", "1", "--out", str(tmp_path / "a")]) == 0
    assert main(["run", "--households", str(households), "--out", str(tmp_path / "b")]) == 0
    exported = RuangKerja().log_audit(Cakupan.semua())
    assert exported["aksi"].iloc[0] == "ekspor"
    assert str(tmp_path / "a") in exported["rincian"].iloc[0]
    for name in ("priority.csv", "desa.geojson", "rejected.csv", "pockets.geojson"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    capsys.readouterr()
    assert (
        main(["run", "--snapshot", "1", "--households", "x.csv", "--out", str(tmp_path / "c")]) == 2
    )
    assert "--households cannot go with --snapshot" in capsys.readouterr().err
    assert main(["run", "--snapshot", "9", "--out", str(tmp_path / "c")]) == 2
    assert "Snapshot 9 is not in the workspace" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_a_desa_scope_analyses_only_its_own_families(households, workspace):
    rk = RuangKerja()
    snap = __import__("targeting.snapshot", fromlist=["load_snapshot"]).load_snapshot(
        default_region(), households=households
    )
    sid = rk.impor(snap, Cakupan.semua())
    own = to_snapshot(rk.buka(Cakupan("op", "desa", (DESA_A,)), sid), default_region())
    assert set(own.placement.keluarga["kode_desa"]) == {DESA_A}
    assert own.ledger.rows_in == own.rows_used + own.rows_rejected
    result = analyse(own, AnalysisSettings())
    counted = result.indikator.set_index("kode_desa")["keluarga_p3ke"]
    assert counted[DESA_A] == (snap.placement.keluarga["kode_desa"] == DESA_A).sum()
    assert counted.drop(DESA_A).fillna(0).eq(0).all()
    rk.close()


def test_users_backup_restore_and_delete_from_the_cli(
    households, workspace, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("LOKUS_SANDI_BARU", "sandi-desa-panjang")
    assert (
        main(["ruang-kerja", "pengguna", "tambah", "op", "--peran", "desa", "--wilayah", DESA_A])
        == 0
    )
    assert (
        main(["ruang-kerja", "pengguna", "tambah", "x", "--peran", "desa", "--wilayah", "6111"])
        == 2
    )
    assert "Role desa needs dotted desa codes" in capsys.readouterr().err
    assert main(["ruang-kerja", "pengguna", "daftar"]) == 0
    assert capsys.readouterr().out.splitlines() == [f"op\tdesa\t{DESA_A}"]
    # adding a name that exists replaces its password, role and codes, and says so
    main(["ruang-kerja", "pengguna", "tambah", "op", "--peran", "desa", "--wilayah", DESA_A])
    assert "user op replaced" in capsys.readouterr().out
    assert main(["ruang-kerja", "impor", "--households", str(households)]) == 0
    zip_path = tmp_path / "cadangan.zip"
    assert main(["ruang-kerja", "cadangkan", str(zip_path)]) == 0
    assert main(["ruang-kerja", "hapus", "1"]) == 0
    assert main(["ruang-kerja", "pulihkan", str(zip_path)]) == 2  # without --ya: nothing done
    capsys.readouterr()
    assert main(["ruang-kerja", "daftar"]) == 0
    assert "no snapshot" in capsys.readouterr().out
    assert main(["ruang-kerja", "pulihkan", str(zip_path), "--ya"]) == 0
    assert main(["ruang-kerja", "daftar"]) == 0
    assert capsys.readouterr().out.count("\n") >= 2  # restored line(s)
    assert main(["ruang-kerja", "migrasi"]) == 0
    assert "schema at version 0001" in capsys.readouterr().out
    log = RuangKerja().log_audit(Cakupan.semua())
    assert {"impor", "hapus", "cadangkan", "pulihkan", "pengguna"} <= set(log["aksi"])
