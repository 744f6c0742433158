"""Workspace (issue 18): the same tests on SQLite and on a throwaway PostgreSQL + PostGIS.

Every household row here is SYNTHETIC (data/kayong_utara/p3ke_keluarga_SINTETIS.csv.gz).
"""

from __future__ import annotations

import base64
import gzip
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from geo.errors import AccessError, VersionConflictError, WorkspaceError
from geo.region import default_region
from targeting.ruang_kerja import Cakupan, RuangKerja
from targeting.ruang_kerja import gudang as gudang_mod
from targeting.ruang_kerja.cadangan import cadangkan, pulihkan
from targeting.ruang_kerja.pengguna import ada_pengguna, masuk, pengguna_sso, tambah_pengguna
from targeting.snapshot import load_snapshot
from tests import pg_cluster

DESA_A, DESA_B, KEC_A = "61.11.01.2001", "61.11.01.2002", "61.11.01"
LUAR = "61.11.02"  # another kecamatan
SEMUA = Cakupan.semua("tim")
OP_A = Cakupan("operator_a", "desa", (DESA_A,))
OP_B = Cakupan("operator_b", "desa", (DESA_B,))
CAMAT = Cakupan("camat", "kecamatan", (KEC_A,))


@pytest.fixture(scope="module")
def sumber() -> pd.DataFrame:
    """30 families each of two desa of kecamatan 01 and one desa of kecamatan 02, plus two bad rows."""
    region = default_region()
    with gzip.open(region.keluarga_p3ke, "rt", encoding="utf-8") as f:
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
    parts = [df[df["kode_kemdagri"] == k].iloc[:30] for k in ("6111012001", "6111012002")]
    parts.append(df[df["kode_kemdagri"].str.startswith("611102")].iloc[:30])
    bad = df.iloc[[5000, 5001]].copy()
    bad["desil_kesejahteraan"] = ["x", "9"]
    return pd.concat([*parts, bad], ignore_index=True)


@pytest.fixture(scope="module")
def snapshot(sumber):
    return load_snapshot(
        default_region(),
        households=sumber.to_csv(index=False).encode(),
        names={"keluarga_p3ke": "p3ke_SINTETIS.csv"},
    )


@pytest.fixture(scope="module")
def pg():
    if pg_cluster.bindir() is None:
        pytest.fail("PostgreSQL is not installed: run `make db-deps` (make test does)")
    with pg_cluster.cluster() as c:
        yield c


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, tmp_path):
    """(url or None, workspace folder): a fresh workspace on each back end."""
    folder = tmp_path / "ruang"
    if request.param == "sqlite":
        return None, folder
    return request.getfixturevalue("pg").new_database(), folder


@pytest.fixture
def rk(backend):
    url, folder = backend
    ws = RuangKerja(url, folder=folder)
    yield ws
    ws.close()


def _counts(rk: RuangKerja, sid: int) -> dict[str, int]:
    from targeting.ruang_kerja import skema as t

    out = {}
    with rk.transaksi(SEMUA) as conn:
        for name in ("desa", "keluarga", "tolak", "register", "hasil_verifikasi",
                     "daftar_penerima", "skenario"):  # fmt: skip
            table = t.metadata.tables[name]
            out[name] = conn.execute(
                sa.select(sa.func.count()).select_from(table).where(table.c.snapshot_id == sid)
            ).scalar_one()
        out["snapshot"] = conn.execute(
            sa.select(sa.func.count()).select_from(t.snapshot).where(t.snapshot.c.id == sid)
        ).scalar_one()
    return out


def test_import_then_open_gives_back_every_family_and_rejected_row(rk, snapshot, backend):
    sid = rk.impor(snapshot, SEMUA)
    rk.close()
    again = RuangKerja(backend[0], folder=backend[1])  # a restart keeps everything
    opened = again.buka(SEMUA, sid)
    want = snapshot.placement.keluarga.reset_index(drop=True)
    got = opened.keluarga.drop(columns="_id_ruang")
    pd.testing.assert_frame_equal(
        pd.DataFrame(got.drop(columns="geometry")), pd.DataFrame(want.drop(columns="geometry"))
    )
    same_point = got.geometry.geom_equals(want.geometry) | (
        got.geometry.isna() & want.geometry.isna()
    )
    assert same_point.all()
    assert len(opened.ditolak) == snapshot.rows_rejected == 2
    assert opened.info["rows_in"] == snapshot.rows_in
    assert opened.info["rows_in"] == opened.info["rows_used"] + opened.info["rows_rejected"]
    assert set(opened.desa["kode_desa"]) == set(snapshot.desa["kode_desa"])
    assert opened.provenance["masukan"]["keluarga_p3ke"]["berkas"] == "p3ke_SINTETIS.csv"
    listed = again.daftar(SEMUA)
    assert listed["id"].tolist() == [sid]
    assert listed["n_keluarga"].tolist() == [snapshot.families_used]
    again.close()


def test_scope_limits_every_read_to_the_users_desa(rk, snapshot):
    sid = rk.impor(snapshot, SEMUA)
    kode = snapshot.placement.keluarga["kode_desa"]
    a = rk.buka(OP_A, sid)
    assert set(a.keluarga["kode_desa"]) == {DESA_A}
    assert len(a.keluarga) == (kode == DESA_A).sum() > 0
    assert a.ditolak["kode"].isna().all() or set(a.ditolak["kode"]) <= {DESA_A}
    camat = rk.keluarga(CAMAT, sid)
    assert set(camat["kode_desa"]) == {DESA_A, DESA_B}
    assert rk.daftar(OP_B)["n_keluarga"].tolist() == [(kode == DESA_B).sum()]
    assert len(rk.keluarga(Cakupan("x", "desa", ("61.11.09.9999",)), sid)) == 0
    with pytest.raises(AccessError):
        rk.impor(snapshot, OP_A)
    with pytest.raises(AccessError):
        rk.hapus(CAMAT, sid)
    other = int(rk.keluarga(OP_B, sid)["_id_ruang"].iloc[0])
    with pytest.raises(AccessError):
        rk.simpan_verifikasi(OP_A, sid, other, {"hasil": "layak"}, 0)
    with pytest.raises(AccessError):
        rk.simpan_penerima(OP_A, sid, DESA_B, "daftar", ["nama"])


def test_postgres_row_level_security_is_a_second_wall(pg, snapshot, tmp_path):
    rk = RuangKerja(pg.new_database(), folder=tmp_path)
    sid = rk.impor(snapshot, SEMUA)
    raw = "SELECT DISTINCT kode_desa FROM keluarga WHERE snapshot_id = :s"
    with rk.transaksi(OP_A) as conn:  # a hand-written query, no scope filter in it
        assert {r[0] for r in conn.execute(sa.text(raw), {"s": sid})} == {DESA_A}
        # nor can it write another desa's row
        with pytest.raises(sa.exc.ProgrammingError), conn.begin_nested():
            conn.execute(
                sa.text("INSERT INTO tolak (snapshot_id, kode_desa, isi) VALUES (:s, :k, 'x')"),
                {"s": sid, "k": DESA_B},
            )
    with rk.engine.connect() as conn:  # no scope set: nothing
        assert conn.execute(sa.text("SELECT count(*) FROM keluarga")).scalar_one() == 0
    rk.close()


def test_a_crash_midway_leaves_no_half_snapshot(rk, snapshot, monkeypatch):
    def crash(*_a, **_k):
        msg = "disk full (simulated)"
        raise OSError(msg)

    monkeypatch.setattr(gudang_mod.RuangKerja, "_write_rejected", crash)
    with pytest.raises(OSError, match="simulated"):
        rk.impor(snapshot, SEMUA)
    assert rk.daftar(SEMUA).empty
    with rk.transaksi(SEMUA) as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM keluarga")).scalar_one() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM desa")).scalar_one() == 0


def test_two_operators_verifying_at_once_lose_nothing(rk, snapshot):
    sid = rk.impor(snapshot, SEMUA)
    kid = int(rk.keluarga(OP_A, sid)["_id_ruang"].iloc[0])
    other = Cakupan("operator_a2", "desa", (DESA_A,))
    assert rk.simpan_verifikasi(OP_A, sid, kid, {"hasil": "layak"}, 0) == 1
    with pytest.raises(VersionConflictError, match="Muat ulang"):
        rk.simpan_verifikasi(other, sid, kid, {"hasil": "pindah"}, 0)  # read before A saved
    assert rk.simpan_verifikasi(other, sid, kid, {"hasil": "pindah"}, 1) == 2
    with pytest.raises(VersionConflictError):
        rk.simpan_verifikasi(OP_A, sid, kid, {"hasil": "meninggal"}, 1)
    got = rk.verifikasi(OP_A, sid)
    assert got["isi"].tolist() == [{"hasil": "pindah"}]
    assert got["versi"].tolist() == [2]
    assert rk.verifikasi(OP_B, sid).empty


def test_deleting_a_snapshot_deletes_everything_derived(rk, snapshot):
    sid = rk.impor(snapshot, SEMUA)
    keep = rk.impor(snapshot, SEMUA)
    kid = int(rk.keluarga(OP_A, sid)["_id_ruang"].iloc[0])
    rk.simpan_verifikasi(OP_A, sid, kid, {"hasil": "layak"}, 0)
    rk.simpan_penerima(OP_A, sid, DESA_A, "BLT Desa", [{"nama": "x"}])
    rk.simpan_register(SEMUA, sid, "register.csv", b"kode_sub_kegiatan\n1\n")
    rk.simpan_skenario(SEMUA, "bobot A", {"bobot": {"persen_desil_1": 1}}, sid)
    assert all(n > 0 for n in _counts(rk, sid).values())
    rk.hapus(SEMUA, sid)
    assert set(_counts(rk, sid).values()) == {0}
    assert _counts(rk, keep)["keluarga"] == snapshot.families_used
    log = rk.log_audit(SEMUA)
    assert log["aksi"].tolist()[:1] == ["hapus"]


def _identities(sumber: pd.DataFrame) -> set[str]:
    """Every name, NIK, No KK and address of the file; a one-word name shorter than five
    letters (e.g. 'Sri') is left out: PostGIS's own catalogue holds 'Sri Lanka'."""
    cols = ["kepala_keluarga", "nik", "no_kk", "alamat"]
    return {v for c in cols for v in sumber[c] if len(v) >= 5}


def _storage_files(rk: RuangKerja, backend, oid: int | None, since: float) -> list[Path]:
    """The files a copy of the database would take: the SQLite file (and its WAL), or the
    PostgreSQL database's own folder and the write-ahead log segments written by this test."""
    if oid is not None:
        data = Path(rk.postgres_data)
        wal = [p for p in (data / "pg_wal").iterdir() if p.is_file() and p.stat().st_mtime >= since]
        return [*(data / "base" / str(oid)).iterdir(), *wal]
    return [p for p in backend[1].iterdir() if p.name != "kunci.key"]


def test_a_copy_of_the_database_without_the_key_reveals_nobody(
    rk, snapshot, sumber, backend, request
):
    since = time.time() - 1
    sid = rk.impor(snapshot, SEMUA)
    kid = int(rk.keluarga(OP_A, sid)["_id_ruang"].iloc[0])
    name = sumber["kepala_keluarga"].iloc[0]
    rk.simpan_verifikasi(OP_A, sid, kid, {"nama": name, "hasil": "layak"}, 0)
    oid = None
    if rk.postgres:
        with rk.engine.connect() as conn:
            oid = conn.execute(
                sa.text("SELECT oid FROM pg_database WHERE datname = current_database()")
            ).scalar_one()
        pg = request.getfixturevalue("pg")
        rk.postgres_data = pg.root / "data"
        eng = sa.create_engine(pg.admin_url(), isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(sa.text("CHECKPOINT"))  # the rows reach the table files
        eng.dispose()
    rk.close()
    files = _storage_files(rk, backend, oid, since)
    blob = b"".join(p.read_bytes() for p in files)
    assert len(blob) > 10_000
    assert b"Kayong Utara" in blob or b"61.11.01" in blob  # the scan does read the data
    found = sorted(v for v in _identities(sumber) if v.encode("utf-8") in blob)
    assert found == []
    if not rk.postgres:
        assert all(p.stat().st_mode & 0o077 == 0 for p in files)


def test_backup_and_restore_need_the_same_key(rk, snapshot, sumber, backend, tmp_path):
    sid = rk.impor(snapshot, SEMUA)
    before = rk.buka(SEMUA, sid).keluarga
    zip_path = tmp_path / "cadangan.zip"
    manifest = cadangkan(rk, SEMUA, zip_path)
    assert manifest["baris"]["keluarga"] == snapshot.families_used
    assert zip_path.stat().st_mode & 0o077 == 0
    with zipfile.ZipFile(zip_path) as zf:
        text = b"".join(zf.read(n) for n in zf.namelist())
    assert [v for v in _identities(sumber) if v.encode() in text] == []
    rk.hapus(SEMUA, sid)
    pulihkan(rk, SEMUA, zip_path)
    pd.testing.assert_frame_equal(rk.buka(SEMUA, sid).keluarga, before)
    with pytest.raises(WorkspaceError, match="kunci"):  # no new key beside kept data
        RuangKerja(rk.url, folder=tmp_path / "lain", migrate=False)
    assert not (tmp_path / "lain" / "kunci.key").exists()
    stray = base64.urlsafe_b64encode(b"k" * 32).decode()
    other_key = RuangKerja(rk.url, folder=tmp_path / "lain", key=stray, migrate=False)
    with pytest.raises(WorkspaceError, match="kunci"):
        other_key.keluarga(SEMUA, sid)
    other_key.close()
    with pytest.raises(AccessError):
        cadangkan(rk, OP_A, tmp_path / "x.zip")
    bad = tmp_path / "bukan.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(WorkspaceError, match="bukan cadangan"):
        pulihkan(rk, SEMUA, bad)


def test_users_log_in_with_argon2_and_the_audit_log_masks_identifiers(rk):
    assert not ada_pengguna(rk)
    admin = tambah_pengguna(rk, "admin", "sandi-admin-panjang", "admin")
    assert ada_pengguna(rk)
    with pytest.raises(AccessError):  # once a user exists, only an admin adds users
        tambah_pengguna(rk, "x", "sandi-panjang-x", "kabupaten")
    tambah_pengguna(rk, "op", "sandi-operator-1", "desa", DESA_A, oleh=admin)
    with pytest.raises(WorkspaceError, match=r"61\.11\.01\.2001"):
        tambah_pengguna(rk, "op2", "sandi-operator-2", "desa", "6111012001", oleh=admin)
    with pytest.raises(WorkspaceError):
        tambah_pengguna(rk, "op3", "pendek", "kabupaten", oleh=admin)
    assert masuk(rk, "op", "sandi-operator-1") == Cakupan("op", "desa", (DESA_A,))
    assert masuk(rk, "op", "salah-sandi-nya") is None
    assert masuk(rk, "tidak_ada", "sandi-operator-1") is None
    assert pengguna_sso(rk, "op") == Cakupan("op", "desa", (DESA_A,))  # named by the proxy
    assert pengguna_sso(rk, "tidak_ada") is None
    with rk.engine.connect() as conn:
        hashes = [r[0] for r in conn.execute(sa.text("SELECT hash FROM pengguna"))]
    assert all(h.startswith("$argon2id$") and "sandi" not in h for h in hashes)
    with rk.transaksi(admin) as conn:
        rk.catat(conn, admin, "ekspor", "daftar 9911016202980001", "NIK 9911016202980001")
    row = rk.log_audit(admin).iloc[0]
    assert "9911016202980001" not in row["objek"] + row["rincian"]
    assert "9911********0001" in row["rincian"]
    with pytest.raises(AccessError):
        rk.log_audit(OP_A)


def test_an_own_households_file_is_not_listed_as_synthetic(sumber, tmp_path):
    """Only the families decide the SINTETIS mark of a snapshot, not the bundled denominators.

    A planner's own P3KE file imported with the bundled (synthetic) family counts per desa
    was listed as ``40 keluarga SINTETIS``; the pages already go by the families alone.
    """
    own = sumber.drop(columns=[c for c in sumber.columns if c.lower() == "sintetis"])
    snap = load_snapshot(
        default_region(),
        households=own.to_csv(index=False).encode(),
        names={"keluarga_p3ke": "p3ke_maret.csv"},
    )
    assert snap.provenance.input("keluarga_desa").sintetis  # the bundled denominators
    assert not snap.provenance.input("keluarga_p3ke").sintetis
    ws = RuangKerja(None, folder=tmp_path / "ruang")
    try:
        ws.impor(snap, SEMUA)
        assert ws.daftar(SEMUA)["sintetis"].tolist() == [False]
    finally:
        ws.close()


def test_a_copied_database_without_its_key_gets_no_new_key(snapshot, tmp_path):
    """A database copied without ``kunci.key`` is refused, and no second key is made.

    Before, opening it silently wrote a new key file beside the copy: every old row stayed
    unreadable and new imports were sealed with another key than the old ones.
    """
    ws = RuangKerja(None, folder=tmp_path / "asli")
    ws.impor(snapshot, SEMUA)
    ws.close()
    copy = tmp_path / "salinan"
    copy.mkdir()
    (copy / "lokus.db").write_bytes((tmp_path / "asli" / "lokus.db").read_bytes())
    with pytest.raises(WorkspaceError, match="kuncinya tidak ada"):
        RuangKerja(None, folder=copy)
    assert not (copy / "kunci.key").exists()
    empty = RuangKerja(None, folder=tmp_path / "baru")  # a new workspace still makes its key
    empty.close()
    assert (tmp_path / "baru" / "kunci.key").exists()


def test_a_backup_is_not_restored_under_another_key(snapshot, tmp_path):
    """Restoring with another key is refused before anything is replaced.

    Before, ``pulihkan`` into a workspace with another key replaced everything with rows no
    key at hand could open, and said "restored".
    """
    asli = RuangKerja(None, folder=tmp_path / "asli")
    asli.impor(snapshot, SEMUA)
    cadangkan(asli, SEMUA, tmp_path / "c.zip")
    asli.close()
    lain = RuangKerja(None, folder=tmp_path / "lain")  # its own, new key
    sid = lain.impor(snapshot, SEMUA)
    with pytest.raises(WorkspaceError, match="kunci"):
        pulihkan(lain, SEMUA, tmp_path / "c.zip")
    assert len(lain.buka(SEMUA, sid).keluarga) == snapshot.families_used  # nothing replaced
    lain.close()


def test_a_deleted_snapshot_number_is_never_reused(snapshot, tmp_path):
    """SQLite gave a deleted snapshot's number to the next import (``hapus 2``, then a new
    import numbered 2 again): the audit log and ``run --snapshot 2`` would then name other
    data, and the app's cache could serve the deleted snapshot's families. The number is now
    never reused, and the stamp of a deleted snapshot is gone.
    """
    ws = RuangKerja(None, folder=tmp_path / "ruang")
    try:
        ws.impor(snapshot, SEMUA)
        sid = ws.impor(snapshot, SEMUA)
        before = ws.penanda(OP_A, sid)
        assert before is not None
        ws.hapus(SEMUA, sid)
        assert ws.penanda(OP_A, sid) is None
        again = ws.impor(snapshot, SEMUA)
        assert again == sid + 1  # AUTOINCREMENT: never the deleted number
        assert ws.penanda(OP_A, sid) is None
        assert ws.penanda(OP_A, again) not in (None, before)
    finally:
        ws.close()


def test_an_import_with_no_usable_row_is_refused(sumber, tmp_path):
    """Every row rejected: the import is refused like ``run`` refuses it, nothing is kept.

    Before, ``ruang-kerja impor`` of a file whose desil cells were all bad kept a snapshot of
    0 families and printed it as a success.
    """
    bad = sumber.copy()
    bad["desil_kesejahteraan"] = "x"
    snap = load_snapshot(
        default_region(), households=bad.to_csv(index=False).encode(),
        names={"keluarga_p3ke": "p3ke_SINTETIS.csv"},
    )  # fmt: skip
    ws = RuangKerja(None, folder=tmp_path / "ruang")
    try:
        with pytest.raises(WorkspaceError, match="semua 92 baris ditolak"):
            ws.impor(snap, SEMUA)
        assert ws.daftar(SEMUA).empty
    finally:
        ws.close()


def test_the_audit_log_times_carry_their_zone(rk):
    """The audit log's times are UTC with the zone, so the page can show them in WIB.

    The page showed them as SQLite keeps them, UTC without a zone (``05:31``), beside the
    snapshot list in WIB (``12.31``).
    """
    with rk.transaksi(SEMUA) as conn:
        rk.catat(conn, SEMUA, "uji", "snapshot 1")
    waktu = rk.log_audit(SEMUA)["waktu"]
    assert str(waktu.dt.tz) == "UTC"
    assert abs(pd.Timestamp.now(tz="UTC") - waktu.iloc[0]) < pd.Timedelta(minutes=5)
