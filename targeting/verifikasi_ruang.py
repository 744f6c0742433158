"""Verification results and recipient lists kept in the workspace (issues 17 and 18).

Returned workbooks read while a workspace snapshot is open are saved family by family in the
workspace's verification table (:meth:`targeting.ruang_kerja.gudang.RuangKerja.simpan_verifikasi_banyak`),
each guarded by the version read before the upload: when another operator saved a newer
result since, nothing is saved and the user is told to reload. Recipient lists are kept per
desa (the newest list of a desa is the one used). Every read and write goes through the
workspace's query layer with the user's :class:`targeting.ruang_kerja.Cakupan`, so a desa
operator reads and writes its own desa only; :func:`baca_untuk_ruang` also rejects, with
their reason in the ledger, the rows of sheets of other desa.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from geo.errors import AccessError, VersionConflictError
from geo.ledger import Ledger, rejections
from geo.region import DEFAULT_ZONA_WAKTU
from targeting.penerima import DaftarPenerima
from targeting.verifikasi import HasilVerifikasi, baca_verifikasi, kunci_verifikasi

__all__ = [
    "Tersimpan",
    "baca_untuk_ruang",
    "muat_hasil",
    "muat_penerima",
    "simpan_hasil",
    "simpan_penerima",
]

_KOLOM = ["kode_desa", "desa", "id_keluarga_p3ke", "status_verifikasi", "status_ditulis",
          "alasan", "catatan", "berkas", "lembar", "baris"]  # fmt: skip
_DESA = ["kecamatan", "jumlah_daftar", "disimpan", "tanggal_musdes", "ketua", "jumlah_hadir"]
_USULAN = ["kode_desa", "desa", "nama_kepala_keluarga", "alamat", "dusun_rt_rw",
           "alasan_usulan", "catatan", "berkas", "lembar", "baris"]  # fmt: skip
_PENERIMA = ["id_keluarga_p3ke", "kode_desa", "desil", "kode_sub_kegiatan", "tahun", "volume",
             "berkas", "lembar", "baris"]  # fmt: skip
SUMBER = "ruang kerja"


class Tersimpan:
    """What the workspace holds for a snapshot in scope, and the versions read.

    Attributes
    ----------
    hasil : HasilVerifikasi or None
        The saved results rebuilt (None when nothing is saved).
    versi : dict
        ``keluarga_id`` -> version read (the base of the next save).
    penerima_id : dict
        ``kode_desa`` -> id of the newest recipient list read.
    """

    def __init__(self, hasil, versi: dict[int, int], penerima_id: dict[str, int]) -> None:
        self.hasil = hasil
        self.versi = versi
        self.penerima_id = penerima_id


def baca_untuk_ruang(
    berkas, keluarga: pd.DataFrame, cakupan: Any, zona: str = DEFAULT_ZONA_WAKTU
) -> HasilVerifikasi:
    """Read returned workbooks for a user: sheets of desa outside the scope are rejected.

    Parameters
    ----------
    berkas : sequence of targeting.verifikasi.BerkasKembali
        The uploaded files.
    keluarga : pandas.DataFrame
        The families in scope (``id_keluarga_p3ke``, ``kode_desa``).
    cakupan : targeting.ruang_kerja.Cakupan
        The user's scope.
    zona : str, default "Asia/Pontianak"
        The region's ``zona_waktu`` for the workbooks' saved dates.

    Returns
    -------
    HasilVerifikasi
        As :func:`targeting.verifikasi.baca_verifikasi`; every row of another desa's sheet is
        in the ledger with ``desa_di_luar_wilayah``.
    """
    return baca_verifikasi(berkas, keluarga, kunci_verifikasi(), zona, wilayah=cakupan.covers)


def _plain(value: object) -> object:
    if value is None or (not isinstance(value, (str, bytes)) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _isi(row: dict, desa: dict) -> dict:
    return {**{k: _plain(row.get(k)) for k in _KOLOM}, **{k: _plain(desa.get(k)) for k in _DESA}}


def simpan_hasil(
    rk: Any, cakupan: Any, sid: int, hasil: HasilVerifikasi, versi: dict[int, int]
) -> dict[int, int]:
    """Save every applied row in the workspace, all or nothing, guarded by version.

    Parameters
    ----------
    rk : targeting.ruang_kerja.RuangKerja
        The workspace.
    cakupan : targeting.ruang_kerja.Cakupan
        Who saves; every family must be in scope (the query layer refuses otherwise).
    sid : int
        The open snapshot.
    hasil : HasilVerifikasi
        Read with :func:`baca_untuk_ruang`.
    versi : dict
        ``keluarga_id`` -> version read (:attr:`Tersimpan.versi`); absent: not saved yet.

    Returns
    -------
    dict
        ``keluarga_id`` -> new version (merge into the versions read).

    Raises
    ------
    VersionConflictError
        Another operator saved a newer result for one of the families: reload.
    AccessError
        A family outside the user's scope.
    """
    ids = rk.keluarga(cakupan, sid)[["_id_ruang", "id_keluarga_p3ke"]]
    ruang = dict(
        zip(ids["id_keluarga_p3ke"].astype(str).str.strip(), ids["_id_ruang"], strict=True)
    )
    desa = {d["kode_desa"]: d for d in hasil.desa[hasil.desa["dipakai"]].to_dict("records")}
    baris = []
    for row in hasil.diterapkan.to_dict("records"):
        kid = ruang.get(str(row["id_keluarga_p3ke"]).strip())
        if kid is None or not cakupan.covers(str(row["kode_desa"])):
            raise _outside(row["kode_desa"])
        kid = int(kid)
        baris.append((kid, _isi(row, desa.get(row["kode_desa"], {})), versi.get(kid, 0)))
    if not baris:
        return {}
    names = "; ".join(dict.fromkeys(hasil.diterapkan["berkas"].astype(str)))
    return rk.simpan_verifikasi_banyak(cakupan, sid, baris, rincian=names)


def _outside(kode: object) -> AccessError:
    msg = f"Hasil verifikasi desa {kode} di luar wilayah pengguna ini: tidak disimpan."
    return AccessError(msg, en=f"Verification results of desa {kode} are outside this user's area.")


def _hasil(saved: pd.DataFrame, sid: int) -> HasilVerifikasi | None:
    if saved.empty:
        return None
    isi = pd.DataFrame(list(saved["isi"]))
    diterapkan = isi.reindex(columns=_KOLOM).fillna("")
    desa = isi.reindex(columns=["kode_desa", "desa", *_DESA, "berkas", "lembar"])
    desa = desa.drop_duplicates("kode_desa", keep="last").reset_index(drop=True)
    desa["jumlah_daftar"] = pd.to_numeric(desa["jumlah_daftar"]).fillna(0).astype(int)
    desa["dipakai"] = True
    ledger = Ledger(SUMBER, len(isi), len(isi), rejections(berkas=SUMBER)).check()
    catatan = [
        f"Hasil verifikasi tersimpan di ruang kerja (snapshot {sid}): {len(isi)} keluarga. "
        "Baris yang ditolak dan usulan baru tidak disimpan; lihat unggahan aslinya."
    ]
    return HasilVerifikasi(
        diterapkan, ledger.ditolak, pd.DataFrame(columns=_USULAN), ledger, desa, catatan
    )


def muat_hasil(rk: Any, cakupan: Any, sid: int) -> Tersimpan:
    """Read the saved results and recipient lists of a snapshot in the user's scope.

    Returns
    -------
    Tersimpan
        The results rebuilt as a :class:`HasilVerifikasi` (applied rows, one desa row per
        desa; rejected rows and proposals are not kept), the versions read and the newest
        recipient list per desa.
    """
    saved = rk.verifikasi(cakupan, sid)
    versi = {int(k): int(v) for k, v in zip(saved["keluarga_id"], saved["versi"], strict=True)}
    lists = rk.penerima(cakupan, sid)
    newest = lists.groupby("kode_desa")["id"].max() if len(lists) else pd.Series(dtype=int)
    return Tersimpan(_hasil(saved, sid), versi, {str(k): int(v) for k, v in newest.items()})


def _conflict_penerima(kode: str) -> VersionConflictError:
    msg = (
        f"Daftar penerima desa {kode} sudah diganti operator lain sejak Anda membukanya. "
        "Muat ulang halaman, lalu unggah lagi."
    )
    en = f"The recipient list of desa {kode} was replaced by another operator since you opened it."
    return VersionConflictError(msg, en=en)


def simpan_penerima(
    rk: Any, cakupan: Any, sid: int, daftar: DaftarPenerima, nama: str, dibaca: dict[str, int]
) -> dict[str, int]:
    """Keep a recipient list in the workspace, one list per desa it names.

    Parameters
    ----------
    rk, cakupan, sid
        Workspace, the user's scope (each desa must be in it), the open snapshot.
    daftar : DaftarPenerima
        The list read (families in scope only).
    nama : str
        File name.
    dibaca : dict
        :attr:`Tersimpan.penerima_id`: the newest list per desa when the page was read.

    Returns
    -------
    dict
        ``kode_desa`` -> id of the list kept.

    Raises
    ------
    VersionConflictError
        A desa's list was replaced since it was read (nothing kept): reload.
    AccessError
        A desa outside the user's scope.
    """
    now = rk.penerima(cakupan, sid)
    newest = now.groupby("kode_desa")["id"].max().to_dict() if len(now) else {}
    rows = daftar.penerima.reindex(columns=_PENERIMA)
    for kode in rows["kode_desa"].astype(str).unique():
        if newest.get(kode) != dibaca.get(kode):
            raise _conflict_penerima(kode)
    out = {}
    for kode, part in rows.groupby(rows["kode_desa"].astype(str)):
        records = [{k: _plain(v) for k, v in r.items()} for r in part.to_dict("records")]
        out[kode] = rk.simpan_penerima(cakupan, sid, kode, nama, records)
    return out


def muat_penerima(rk: Any, cakupan: Any, sid: int) -> DaftarPenerima | None:
    """Read the newest kept recipient list of each desa in scope, together; None when none."""
    lists = rk.penerima(cakupan, sid)
    if lists.empty:
        return None
    newest = lists.sort_values("id").drop_duplicates("kode_desa", keep="last")
    rows = [r for isi in newest["isi"] for r in isi]
    penerima = pd.DataFrame(rows, columns=_PENERIMA)
    penerima["volume"] = pd.to_numeric(penerima["volume"])
    nama = "; ".join(dict.fromkeys(newest["nama"]))
    ledger = Ledger(nama, len(penerima), len(penerima), rejections(berkas=nama)).check()
    return DaftarPenerima(penerima, ledger)
