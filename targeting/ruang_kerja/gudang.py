"""The workspace and its one query layer: every read and write of family data goes here.

:class:`RuangKerja` opens the workspace database (SQLite file by default, PostgreSQL with
``LOKUS_DATABASE_URL``), imports a :class:`targeting.snapshot.Snapshot` in one transaction,
lists, opens and deletes snapshots, and keeps verification results, recipient lists,
registers, scenarios and the audit log. Every method that touches family data takes a
:class:`targeting.ruang_kerja.cakupan.Cakupan` and filters by it in SQL; on PostgreSQL the
scope is also set for the row-level security policies of the transaction.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Connection, create_engine, delete, event, func, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from geo.errors import AccessError, VersionConflictError, WorkspaceError
from geo.masking import mask_ids
from targeting.ruang_kerja import skema as t
from targeting.ruang_kerja.cakupan import Cakupan
from targeting.ruang_kerja.keluarga import family_rows, frame_from_rows
from targeting.ruang_kerja.kunci import Sandi, load_key
from targeting.ruang_kerja.postgres import copy_rows, set_scope

__all__ = ["ENV_DB", "ENV_FOLDER", "RuangKerja", "Terbuka", "default_folder", "workspace_url"]

ENV_FOLDER = "LOKUS_WORKSPACE"
ENV_DB = "LOKUS_DATABASE_URL"
DB_FILE = "lokus.db"
_CHUNK = 2000


def default_folder() -> Path:
    """Give the workspace folder: ``LOKUS_WORKSPACE``, else ``ruang_kerja/`` beside the project."""
    given = os.environ.get(ENV_FOLDER)
    return Path(given) if given else Path(__file__).resolve().parents[2] / "ruang_kerja"


def workspace_url(folder: Path | None = None) -> str:
    """Give the database URL: ``LOKUS_DATABASE_URL``, else the SQLite file in the folder."""
    return os.environ.get(ENV_DB) or f"sqlite:///{(folder or default_folder()) / DB_FILE}"


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Terbuka:
    """A snapshot opened from the workspace, limited to the user's scope.

    Attributes
    ----------
    info : dict
        The snapshot row: ``id``, ``nama``, ``wilayah``, ``kode_wilayah``, ``skala_desil``,
        ``tanggal``, ``dibuat``, ``oleh``, ``rows_in``, ``rows_used``, ``rows_rejected``,
        ``n_keluarga``, ``sintetis``; ``cocok_nama`` (desa found by name, in scope, a
        DataFrame) and ``kode_tidak_dikenal`` (codes absent from the boundaries; kabupaten).
    provenance : dict
        :meth:`targeting.provenance.Provenance.to_report` of the import.
    desa : geopandas.GeoDataFrame
        Every desa of the snapshot (EPSG:4326): ``kode_desa``, ``desa``, ``kecamatan``,
        ``keluarga_total``, geometry (public data).
    keluarga : geopandas.GeoDataFrame
        The placed families in scope (EPSG:4326), as imported, plus ``_id_ruang``.
    ditolak : pandas.DataFrame
        The rejected rows in scope (ledger columns).
    """

    info: dict
    provenance: dict
    desa: gpd.GeoDataFrame
    keluarga: gpd.GeoDataFrame
    ditolak: pd.DataFrame


def _scope_clause(table, cakupan: Cakupan):
    if cakupan.semua_desa:
        return None
    kode = table.c.kode_desa
    return or_(*(or_(kode == w, kode.like(w + ".%")) for w in cakupan.wilayah))


def _where_scope(stmt, table, cakupan: Cakupan):
    clause = _scope_clause(table, cakupan)
    return stmt if clause is None else stmt.where(clause)



def _nothing_used(snapshot) -> WorkspaceError:
    """The error for an import whose every row was rejected, with the most common reason.

    Parameters
    ----------
    snapshot : Snapshot
        The import.

    Returns
    -------
    WorkspaceError
        To raise; no snapshot is written.
    """
    alasan = snapshot.ditolak.get("alasan", pd.Series(dtype=str)).value_counts()
    top = f" Alasan terbanyak ({alasan.iloc[0]} baris): {alasan.index[0]}" if len(alasan) else ""
    top_en = f" Most common reason ({alasan.iloc[0]} rows): {alasan.index[0]}" if len(alasan) else ""
    msg = (f"Tidak ada keluarga yang dapat dipakai: semua {snapshot.rows_in} baris ditolak; "
           f"snapshot tidak disimpan.{top}")  # fmt: skip
    en = (f"No family could be used: all {snapshot.rows_in} rows were rejected; no snapshot "
          f"was kept.{top_en}")  # fmt: skip
    return WorkspaceError(msg, en=en)


def _families_synthetic(snapshot) -> bool:
    """Whether the families of a snapshot are synthetic (the SINTETIS mark of ``daftar``).

    Parameters
    ----------
    snapshot : Snapshot
        The imported snapshot.

    Returns
    -------
    bool
        The mark of its households input; bundled synthetic denominators or registers do not
        make a planner's own families synthetic (the pages go by the families alone too).
    """
    households = snapshot.provenance.input("keluarga_p3ke")
    return bool(households and households.sintetis)


class RuangKerja:
    """The workspace: snapshots, families, verification, users and audit in one database.

    Parameters
    ----------
    url : str, optional
        SQLAlchemy URL; default :func:`workspace_url` (SQLite in :func:`default_folder`).
    key : str, optional
        The workspace key in base64 (e.g. from Streamlit's secrets); default
        :func:`targeting.ruang_kerja.kunci.load_key`'s order.
    folder : pathlib.Path, optional
        Workspace folder (SQLite file and default key file); default :func:`default_folder`.
    migrate : bool, default True
        Bring the schema to the newest version (Alembic) on opening.

    Raises
    ------
    WorkspaceError
        When the key is not valid.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        key: str | None = None,
        folder: Path | None = None,
        migrate: bool = True,
    ) -> None:
        self.folder = Path(folder or default_folder())
        self.url = url or workspace_url(self.folder)
        self.postgres = self.url.startswith("postgresql")
        if not self.postgres:
            self._prepare_sqlite_file()
        self.engine: Engine = create_engine(self.url, future=True)
        if not self.postgres:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        if migrate:
            from targeting.ruang_kerja.migrasi import upgrade

            upgrade(self.engine)
        if not self.postgres:
            os.chmod(self._sqlite_path(), 0o600)
        try:
            self.sandi = Sandi(load_key(self.folder, key, create=not self._holds_snapshots()))
        except WorkspaceError:
            self.engine.dispose()
            raise

    def _holds_snapshots(self) -> bool:
        """Whether any snapshot (hence encrypted rows) is stored already."""
        with self.transaksi(Cakupan.semua("kunci")) as conn:
            return conn.execute(select(t.snapshot.c.id).limit(1)).first() is not None

    def _sqlite_path(self) -> Path:
        return Path(self.url.removeprefix("sqlite:///"))

    def _prepare_sqlite_file(self) -> None:
        path = self._sqlite_path()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    @contextmanager
    def transaksi(self, cakupan: Cakupan) -> Iterator[Connection]:
        """One transaction with the scope set for PostgreSQL's row-level security.

        Yields
        ------
        sqlalchemy.Connection
            Committed when the block ends, rolled back when it raises.
        """
        with self.engine.begin() as conn:
            if self.postgres:
                set_scope(conn, cakupan.setting())
            yield conn

    def catat(
        self, conn: Connection, cakupan: Cakupan, aksi: str, objek: str, rincian: str = ""
    ) -> None:
        """Write one audit row (identifiers masked) in the given transaction."""
        conn.execute(
            insert(t.audit).values(
                waktu=_now(), pengguna=cakupan.pengguna, aksi=aksi,
                objek=mask_ids(objek)[:200], rincian=mask_ids(rincian),
            )
        )  # fmt: skip

    # --- snapshots ---------------------------------------------------------------------

    def impor(self, snapshot, cakupan: Cakupan, *, nama: str | None = None) -> int:
        """Import a snapshot in one transaction; nothing is kept when any step fails.

        Parameters
        ----------
        snapshot : targeting.snapshot.Snapshot
            The import (families, desa layer, ledger, provenance).
        cakupan : Cakupan
            Who imports; an import covers the whole region, so admin or kabupaten only.
        nama : str, optional
            A label; default the region and the date.

        Returns
        -------
        int
            The new snapshot id.

        Raises
        ------
        AccessError
            For a kecamatan or desa user.
        WorkspaceError
            When no row of the file could be used (as ``run`` refuses it): nothing is kept.
        """
        cakupan.require("admin", "kabupaten")
        k = snapshot.placement.keluarga
        if len(k) == 0:
            raise _nothing_used(snapshot)
        kolom = {c: str(k[c].dtype) for c in k.columns if c != "geometry"}
        prov = snapshot.provenance.to_report()
        label = nama or f"{snapshot.region.nama} {snapshot.tanggal or ''}".strip()
        with self.transaksi(cakupan) as conn:
            sid = conn.execute(
                insert(t.snapshot).values(
                    nama=label,
                    wilayah=snapshot.provenance.wilayah,
                    kode_wilayah=snapshot.provenance.kode_wilayah,
                    skala_desil=snapshot.check.desil_scale,
                    tanggal=snapshot.tanggal,
                    dibuat=_now(), oleh=cakupan.pengguna,
                    provenance=json.dumps(prov, ensure_ascii=False, default=str),
                    kolom=json.dumps(kolom), rows_in=snapshot.rows_in,
                    cocok_nama=snapshot.placement.cocok_nama.to_json(orient="split"),
                    kode_tidak_dikenal=json.dumps(list(snapshot.placement.kode_tidak_dikenal)),
                    ledger_lain=_ledgers_json(snapshot.ledgers),
                    rows_used=snapshot.rows_used, rows_rejected=snapshot.rows_rejected,
                    n_keluarga=len(k),
                    sintetis=_families_synthetic(snapshot),
                ).returning(t.snapshot.c.id)
            ).scalar_one()  # fmt: skip
            self._write_desa(conn, sid, snapshot)
            self._write_families(conn, sid, k)
            self._write_rejected(conn, sid, snapshot.ditolak)
            self.catat(conn, cakupan, "impor", f"snapshot {sid}", f"{label}: {len(k)} keluarga")
        return sid

    def _write_desa(self, conn: Connection, sid: int, snapshot) -> None:
        d = snapshot.desa
        total = {}
        if snapshot.keluarga_desa is not None:
            kd = snapshot.keluarga_desa
            total = dict(zip(kd["kode_desa"], kd["keluarga_total"], strict=True))
        wkb = shapely.to_wkb(d.geometry.to_numpy())
        rows = [
            {"snapshot_id": sid, "kode_desa": str(kode), "desa": str(nama),
             "kecamatan": str(kec), "keluarga_total": _int(total.get(kode)), "geom": g}
            for kode, nama, kec, g in zip(d["kode_desa"], d["desa"], d["kecamatan"], wkb, strict=True)
        ]  # fmt: skip
        if rows:
            conn.execute(insert(t.desa), rows)

    def _write_families(self, conn: Connection, sid: int, keluarga: gpd.GeoDataFrame) -> None:
        rows = ((sid, *row) for row in family_rows(keluarga, self.sandi))
        cols = ("snapshot_id", "kode_desa", "baris", "desil", "atribut", "pribadi")
        if self.postgres:
            copy_rows(conn, "keluarga", cols, rows)
            return
        batch: list[dict] = []
        for row in rows:
            batch.append(dict(zip(cols, row, strict=True)))
            if len(batch) == _CHUNK:
                conn.execute(insert(t.keluarga), batch)
                batch = []
        if batch:
            conn.execute(insert(t.keluarga), batch)

    def _write_rejected(self, conn: Connection, sid: int, ditolak: pd.DataFrame) -> None:
        rows = []
        for rec in ditolak.astype(object).where(ditolak.notna(), None).to_dict("records"):
            kode = rec.get("kode") or None
            kode = str(kode) if kode else None
            rows.append(
                {"snapshot_id": sid, "kode_desa": kode,
                 "isi": self.sandi.seal(rec, "tolak", kode)}
            )  # fmt: skip
        if rows:
            conn.execute(insert(t.tolak), rows)

    def daftar(self, cakupan: Cakupan) -> pd.DataFrame:
        """List the snapshots, newest first, with the families in the user's scope.

        Returns
        -------
        pandas.DataFrame
            ``id``, ``nama``, ``wilayah``, ``tanggal``, ``dibuat``, ``oleh``, ``n_keluarga``
            (families in scope), ``sintetis``.
        """
        n = (
            _where_scope(
                select(t.keluarga.c.snapshot_id, func.count().label("n")), t.keluarga, cakupan
            )
            .group_by(t.keluarga.c.snapshot_id)
            .subquery()
        )
        s = t.snapshot.c
        stmt = (
            select(s.id, s.nama, s.wilayah, s.tanggal, s.dibuat, s.oleh,
                   func.coalesce(n.c.n, 0).label("n_keluarga"), s.sintetis)
            .outerjoin(n, n.c.snapshot_id == s.id)
            .order_by(s.id.desc())
        )  # fmt: skip
        with self.transaksi(cakupan) as conn:
            rows = conn.execute(stmt).mappings().all()
        cols = ["id", "nama", "wilayah", "tanggal", "dibuat", "oleh", "n_keluarga", "sintetis"]
        return pd.DataFrame([dict(r) for r in rows], columns=cols)

    def penanda(self, cakupan: Cakupan, sid: int) -> str | None:
        """A stamp that tells this snapshot from any other that later takes its number.

        SQLite gives a deleted snapshot's number to the next import; whatever keeps results
        by snapshot number (the app's cache) must key them by this stamp too.

        Parameters
        ----------
        cakupan : Cakupan
            Who asks.
        sid : int
            The snapshot number.

        Returns
        -------
        str or None
            The number and the time of the import; None when the snapshot is not (or no
            longer) in the workspace.
        """
        with self.transaksi(cakupan) as conn:
            dibuat = conn.execute(
                select(t.snapshot.c.dibuat).where(t.snapshot.c.id == sid)
            ).scalar_one_or_none()
        return None if dibuat is None else f"{sid}@{pd.Timestamp(dibuat).isoformat()}"

    def _info(self, conn: Connection, sid: int) -> dict:
        row = conn.execute(select(t.snapshot).where(t.snapshot.c.id == sid)).mappings().first()
        if row is None:
            msg = f"Snapshot {sid} tidak ada di ruang kerja (lihat daftar snapshot)."
            en = f"Snapshot {sid} is not in the workspace (see the list of snapshots)."
            raise WorkspaceError(msg, en=en)
        return dict(row)

    def keluarga(self, cakupan: Cakupan, sid: int) -> gpd.GeoDataFrame:
        """Read the placed families of a snapshot in the user's scope (decrypted).

        Returns
        -------
        geopandas.GeoDataFrame
            As :attr:`Terbuka.keluarga`.

        Raises
        ------
        WorkspaceError
            Unknown snapshot, or a key other than the import's.
        """
        with self.transaksi(cakupan) as conn:
            info = self._info(conn, sid)
            k = t.keluarga.c
            stmt = _where_scope(
                select(k.id, k.kode_desa, k.atribut, k.pribadi).where(k.snapshot_id == sid),
                t.keluarga,
                cakupan,
            ).order_by(k.id)
            rows = conn.execute(stmt).all()
        return frame_from_rows(rows, json.loads(info["kolom"]), self.sandi)

    def buka(self, cakupan: Cakupan, sid: int) -> Terbuka:
        """Open a snapshot for the user's scope: desa layer, families, rejected rows.

        Raises
        ------
        WorkspaceError
            Unknown snapshot, or a key other than the import's.
        """
        keluarga = self.keluarga(cakupan, sid)
        with self.transaksi(cakupan) as conn:
            info = self._info(conn, sid)
            d = conn.execute(select(t.desa).where(t.desa.c.snapshot_id == sid)).mappings().all()
            tolak = conn.execute(
                _where_scope(
                    select(t.tolak.c.kode_desa, t.tolak.c.isi).where(t.tolak.c.snapshot_id == sid),
                    t.tolak,
                    cakupan,
                ).order_by(t.tolak.c.id)
            ).all()
        desa = gpd.GeoDataFrame(
            [{k: v for k, v in r.items() if k not in ("geom", "snapshot_id")} for r in d],
            columns=["kode_desa", "desa", "kecamatan", "keluarga_total"],
            geometry=shapely.from_wkb([r["geom"] for r in d]) if d else [],
            crs="EPSG:4326",
        )
        ditolak = pd.DataFrame(
            [self.sandi.open(isi, "tolak", kode) for kode, isi in tolak],
            columns=["berkas", "lembar", "baris", "kolom", "nilai", "kode", "alasan"],
        )
        prov = json.loads(info.pop("provenance"))
        info.pop("kolom")
        cocok = pd.read_json(io.StringIO(info.pop("cocok_nama")), orient="split", dtype=False)
        if "kode_desa" in cocok and not cakupan.semua_desa:
            cocok = cocok[[cakupan.covers(k) for k in cocok["kode_desa"]]].reset_index(drop=True)
        info["cocok_nama"] = cocok
        info["kode_tidak_dikenal"] = (
            json.loads(info["kode_tidak_dikenal"]) if cakupan.semua_desa else []
        )
        return Terbuka(info, prov, desa, keluarga, ditolak)

    def hapus(self, cakupan: Cakupan, sid: int) -> None:
        """Delete a snapshot and everything derived from it (UU 27/2022).

        Raises
        ------
        AccessError
            For a kecamatan or desa user.
        WorkspaceError
            Unknown snapshot.
        """
        cakupan.require("admin", "kabupaten")
        with self.transaksi(cakupan) as conn:
            info = self._info(conn, sid)
            conn.execute(delete(t.snapshot).where(t.snapshot.c.id == sid))
            self.catat(conn, cakupan, "hapus", f"snapshot {sid}", info["nama"])

    # --- verification, recipients, registers, scenarios ---------------------------------

    def _family_in_scope(self, conn: Connection, cakupan: Cakupan, sid: int, kid: int) -> str:
        k = t.keluarga.c
        kode = conn.execute(
            _where_scope(
                select(k.kode_desa).where(k.snapshot_id == sid, k.id == kid), t.keluarga, cakupan
            )
        ).scalar()
        if kode is None:
            msg = f"Keluarga {kid} tidak ada di snapshot {sid} dalam wilayah pengguna ini."
            en = f"Family {kid} is not in snapshot {sid} within this user's area."
            raise AccessError(msg, en=en)
        return kode

    def simpan_verifikasi(
        self, cakupan: Cakupan, sid: int, keluarga_id: int, isi: dict, versi: int
    ) -> int:
        """Save a village meeting's result for one family, guarded by its version.

        Parameters
        ----------
        cakupan : Cakupan
            Who verifies; the family must be in scope.
        sid, keluarga_id : int
            Snapshot and family (``_id_ruang``).
        isi : dict
            The result (JSON-serialisable; sealed, may name people).
        versi : int
            The version read before editing (0 when there was no result yet).

        Returns
        -------
        int
            The new version.

        Raises
        ------
        AccessError
            The family is not in the user's scope.
        VersionConflictError
            Someone saved this family's result since ``versi`` was read: reload.
        """
        with self.transaksi(cakupan) as conn:
            kode = self._family_in_scope(conn, cakupan, sid, keluarga_id)
            sealed = self.sandi.seal(isi, "hasil_verifikasi", kode)
            v = t.hasil_verifikasi.c
            if versi == 0:
                exists = conn.execute(
                    select(v.versi).where(v.snapshot_id == sid, v.keluarga_id == keluarga_id)
                ).scalar()
                if exists is not None:
                    raise _conflict(keluarga_id)
                conn.execute(
                    insert(t.hasil_verifikasi).values(
                        snapshot_id=sid, keluarga_id=keluarga_id, kode_desa=kode, isi=sealed,
                        versi=1, diubah=_now(), oleh=cakupan.pengguna,
                    )
                )  # fmt: skip
            else:
                done = conn.execute(
                    update(t.hasil_verifikasi)
                    .where(v.snapshot_id == sid, v.keluarga_id == keluarga_id, v.versi == versi)
                    .values(isi=sealed, versi=versi + 1, diubah=_now(), oleh=cakupan.pengguna)
                ).rowcount
                if done != 1:
                    raise _conflict(keluarga_id)
            self.catat(conn, cakupan, "verifikasi", f"snapshot {sid} keluarga {keluarga_id}", kode)
        return versi + 1

    def simpan_verifikasi_banyak(
        self, cakupan: Cakupan, sid: int, baris: list[tuple[int, dict, int]], rincian: str = ""
    ) -> dict[int, int]:
        """Save many families' results in one transaction: all saved, or none.

        Parameters
        ----------
        cakupan : Cakupan
            Who verifies; every family must be in scope.
        sid : int
            Snapshot.
        baris : list of (int, dict, int)
            ``(keluarga_id, isi, versi)`` as in :meth:`simpan_verifikasi`.
        rincian : str, optional
            Written (masked) in the one audit row, e.g. the file names.

        Returns
        -------
        dict
            ``keluarga_id`` -> new version.

        Raises
        ------
        AccessError
            A family is not in the user's scope (nothing saved).
        VersionConflictError
            A family's result changed since its version was read (nothing saved): reload.
        """
        try:
            return self._simpan_banyak(cakupan, sid, baris, rincian)
        except IntegrityError as err:  # another operator's first save of a family raced ours
            raise _conflict(baris[0][0] if baris else 0) from err

    def _simpan_banyak(
        self, cakupan: Cakupan, sid: int, baris: list[tuple[int, dict, int]], rincian: str
    ) -> dict[int, int]:
        v = t.hasil_verifikasi.c
        out = {}
        with self.transaksi(cakupan) as conn:
            for kid, isi, versi in baris:
                kode = self._family_in_scope(conn, cakupan, sid, kid)
                sealed = self.sandi.seal(isi, "hasil_verifikasi", kode)
                if versi == 0:
                    done = (
                        conn.execute(
                            select(v.versi).where(v.snapshot_id == sid, v.keluarga_id == kid)
                        ).scalar()
                        is None
                    )
                    if done:
                        conn.execute(
                            insert(t.hasil_verifikasi).values(
                                snapshot_id=sid, keluarga_id=kid, kode_desa=kode, isi=sealed,
                                versi=1, diubah=_now(), oleh=cakupan.pengguna,
                            )
                        )  # fmt: skip
                else:
                    done = (
                        conn.execute(
                            update(t.hasil_verifikasi)
                            .where(v.snapshot_id == sid, v.keluarga_id == kid, v.versi == versi)
                            .values(
                                isi=sealed, versi=versi + 1, diubah=_now(), oleh=cakupan.pengguna
                            )
                        ).rowcount
                        == 1
                    )
                if not done:
                    raise _conflict(kid)
                out[kid] = versi + 1
            self.catat(
                conn, cakupan, "verifikasi", f"snapshot {sid}", f"{len(out)} keluarga {rincian}"
            )
        return out

    def verifikasi(self, cakupan: Cakupan, sid: int) -> pd.DataFrame:
        """Read the verification results of a snapshot in scope.

        Returns
        -------
        pandas.DataFrame
            ``keluarga_id``, ``kode_desa``, ``isi`` (dict), ``versi``, ``diubah``, ``oleh``.
        """
        v = t.hasil_verifikasi.c
        stmt = _where_scope(
            select(v.keluarga_id, v.kode_desa, v.isi, v.versi, v.diubah, v.oleh).where(
                v.snapshot_id == sid
            ),
            t.hasil_verifikasi,
            cakupan,
        ).order_by(v.keluarga_id)
        with self.transaksi(cakupan) as conn:
            rows = conn.execute(stmt).mappings().all()
        out = [
            {**r, "isi": self.sandi.open(r["isi"], "hasil_verifikasi", r["kode_desa"])}
            for r in rows
        ]
        cols = ["keluarga_id", "kode_desa", "isi", "versi", "diubah", "oleh"]
        return pd.DataFrame(out, columns=cols)

    def simpan_penerima(
        self, cakupan: Cakupan, sid: int, kode_desa: str, nama: str, isi: object
    ) -> int:
        """Keep a recipient list of one desa (sealed); returns its id.

        Raises
        ------
        AccessError
            The desa is not in the user's scope.
        """
        if not cakupan.covers(kode_desa):
            msg = f"Desa {kode_desa} di luar wilayah pengguna ini."
            raise AccessError(msg, en=f"Desa {kode_desa} is outside this user's area.")
        with self.transaksi(cakupan) as conn:
            self._info(conn, sid)
            pid = conn.execute(
                insert(t.daftar_penerima).values(
                    snapshot_id=sid, kode_desa=kode_desa, nama=nama, dibuat=_now(),
                    oleh=cakupan.pengguna,
                    isi=self.sandi.seal(isi, "daftar_penerima", kode_desa),
                ).returning(t.daftar_penerima.c.id)
            ).scalar_one()  # fmt: skip
            self.catat(conn, cakupan, "penerima", f"snapshot {sid} desa {kode_desa}", nama)
        return pid

    def penerima(self, cakupan: Cakupan, sid: int) -> pd.DataFrame:
        """Recipient lists of a snapshot in scope: ``id``, ``kode_desa``, ``nama``, ``isi``."""
        p = t.daftar_penerima.c
        stmt = _where_scope(
            select(p.id, p.kode_desa, p.nama, p.isi).where(p.snapshot_id == sid),
            t.daftar_penerima,
            cakupan,
        ).order_by(p.id)
        with self.transaksi(cakupan) as conn:
            rows = conn.execute(stmt).all()
        out = [
            {"id": i, "kode_desa": k, "nama": n, "isi": self.sandi.open(b, "daftar_penerima", k)}
            for i, k, n, b in rows
        ]
        return pd.DataFrame(out, columns=["id", "kode_desa", "nama", "isi"])

    def simpan_register(self, cakupan: Cakupan, sid: int, nama: str, isi: bytes) -> None:
        """Keep the register file analysed with a snapshot (no personal data in it)."""
        cakupan.require("admin", "kabupaten")
        with self.transaksi(cakupan) as conn:
            self._info(conn, sid)
            conn.execute(insert(t.register).values(snapshot_id=sid, nama=nama, isi=isi))
            self.catat(conn, cakupan, "register", f"snapshot {sid}", nama)

    def simpan_skenario(
        self, cakupan: Cakupan, nama: str, isi: dict, sid: int | None = None
    ) -> int:
        """Keep a selection and weight set (JSON); returns its id."""
        with self.transaksi(cakupan) as conn:
            return conn.execute(
                insert(t.skenario).values(
                    snapshot_id=sid, nama=nama, oleh=cakupan.pengguna,
                    isi=json.dumps(isi, ensure_ascii=False), dibuat=_now(),
                ).returning(t.skenario.c.id)
            ).scalar_one()  # fmt: skip

    def skenario(self, cakupan: Cakupan) -> pd.DataFrame:
        """List saved scenarios: ``id``, ``snapshot_id``, ``nama``, ``oleh``, ``isi`` (dict)."""
        s = t.skenario.c
        with self.transaksi(cakupan) as conn:
            rows = conn.execute(
                select(s.id, s.snapshot_id, s.nama, s.oleh, s.isi).order_by(s.id)
            ).all()
        out = [(i, sid, n, o, json.loads(x)) for i, sid, n, o, x in rows]
        return pd.DataFrame(out, columns=["id", "snapshot_id", "nama", "oleh", "isi"])

    def catat_ekspor(self, cakupan: Cakupan, sid: int, berkas: str, n: int) -> None:
        """Write to the audit log that a user exported ``n`` families of a snapshot."""
        with self.transaksi(cakupan) as conn:
            self.catat(conn, cakupan, "ekspor", f"snapshot {sid}", f"{berkas}: {n} keluarga")

    def log_audit(self, cakupan: Cakupan) -> pd.DataFrame:
        """Read the audit log, newest first (admin and kabupaten only).

        Returns
        -------
        pandas.DataFrame
            ``waktu`` (UTC, with its zone: SQLite keeps it without one), ``pengguna``,
            ``aksi``, ``objek``, ``rincian`` (masked).
        """
        cakupan.require("admin", "kabupaten")
        a = t.audit.c
        with self.transaksi(cakupan) as conn:
            rows = conn.execute(
                select(a.waktu, a.pengguna, a.aksi, a.objek, a.rincian).order_by(a.id.desc())
            ).all()
        log = pd.DataFrame(rows, columns=["waktu", "pengguna", "aksi", "objek", "rincian"])
        log["waktu"] = pd.to_datetime(log["waktu"], utc=True)
        return log


def _ledgers_json(ledgers) -> str:
    """Write the ledgers of the boundary and family tables (desa codes, no person) as JSON."""
    return json.dumps(
        {
            peran: {"berkas": lg.berkas, "rows_in": lg.rows_in, "used": lg.used,
                    "ditolak": lg.ditolak.to_json(orient="split")}
            for peran, lg in ledgers.items()
        }
    )  # fmt: skip


def _conflict(keluarga_id: int) -> VersionConflictError:
    msg = (
        f"Hasil verifikasi keluarga {keluarga_id} sudah diubah operator lain sejak Anda "
        "membukanya. Muat ulang halaman, lalu masukkan perubahan Anda lagi."
    )
    en = (
        f"The verification of family {keluarga_id} was changed by another operator since you "
        "opened it. Reload, then enter your change again."
    )
    return VersionConflictError(msg, en=en)


def _int(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.close()
