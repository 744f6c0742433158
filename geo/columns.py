"""Column vocabulary of P3KE exports: canonical names, accepted spellings, known columns.

Source: the family- and individual-level columns seen in real exports and field-verification
sheets (DOMAIN.md, "P3KE"). Names are compared after :func:`canon`: lower case, spaces,
hyphens, dots and slashes as single underscores.
"""

from __future__ import annotations

import re

from geo.text import fold

__all__ = ["ALIASES", "KNOWN", "canon", "canonical_name"]

ALIASES: dict[str, tuple[str, ...]] = {
    "id_keluarga_p3ke": ("id_keluarga_p3ke", "id_keluarga", "id_kel", "idkeluarga", "id_kk"),
    "kode_kemdagri": (
        "kode_kemdagri",
        "kode_kemendagri",
        "kemendagri_kode_desa",
        "kode_desa",
        "kode_wilayah",
        "kode_desa_kelurahan",
    ),
    "desil_kesejahteraan": ("desil_kesejahteraan", "desil", "desil_nasional", "peringkat_desil"),
    "kepala_keluarga": ("kepala_keluarga", "nama_lengkap", "nama_kepala_keluarga", "nama_krt"),
    "nik": ("nik", "nik_kepala_keluarga", "nik_krt", "no_nik", "nomor_nik"),
    "no_kk": ("no_kk", "nomor_kk", "nokk", "nomor_kartu_keluarga", "no_kartu_keluarga"),
    "desa_kelurahan": ("desa_kelurahan", "desa", "kelurahan", "nama_desa", "desa_kel"),
    "kecamatan": ("kecamatan", "nama_kecamatan", "kec"),
    "lintang": ("lintang", "latitude", "lat", "koordinat_y", "koordinat_lintang", "y"),
    "bujur": ("bujur", "longitude", "lon", "lng", "long", "koordinat_x", "koordinat_bujur", "x"),
    "hubungan_dengan_kepala_keluarga": (
        "hubungan_dengan_kepala_keluarga",
        "hubungan_dengan_kk",
        "hubungan_keluarga",
        "shdk",
        "status_hubungan_dalam_keluarga",
        "hubungan_dgn_kk",
        "hubungan_kk",
        "hub_kk",
        "hub_kel",
        "hub_krt",
        "hubungan_dengan_krt",
        "status_dalam_keluarga",
    ),
    "id_individu": ("id_individu", "id_anggota", "id_art"),
    "nama": ("nama", "nama_anggota", "nama_art"),
}
"""Canonical column name -> accepted spellings (after :func:`canon`)."""

_OTHER = (
    "provinsi", "kabupaten_kota", "alamat", "padan_dukcapil", "jenis_kelamin",
    "tanggal_lahir", "pekerjaan", "pendidikan", "kepemilikan_rumah", "jenis_atap",
    "jenis_dinding", "jenis_lantai", "sumber_penerangan", "bahan_bakar_memasak",
    "sumber_air_minum", "memiliki_fasilitas_buang_air_besar", "penerima_bpnt",
    "penerima_bpum", "penerima_bst", "penerima_pkh", "penerima_sembako", "resiko_stunting",
    "sintetis", "rt", "rw", "dusun", "status_kawin", "usia", "no", "nomor", "no_urut",
    "jumlah_anggota_keluarga",
)  # fmt: skip

KNOWN: frozenset[str] = frozenset(
    {alias for spellings in ALIASES.values() for alias in spellings} | set(_OTHER)
)
"""Every column name Lokus recognises (canonical names, their spellings, other P3KE columns)."""

_SEP = re.compile(r"[\s\-./\\()]+")


def canon(name: object) -> str:
    """Canonical form of a column name.

    Parameters
    ----------
    name : object
        A header cell.

    Returns
    -------
    str
        Lower case, runs of spaces/hyphens/dots/slashes/brackets as one underscore, trimmed.

    Examples
    --------
    >>> canon(" Kode  Kemendagri ")
    'kode_kemendagri'
    >>> canon("Hubungan Dengan Kepala-Keluarga")
    'hubungan_dengan_kepala_keluarga'
    """
    text = _SEP.sub("_", fold(name))
    return re.sub(r"_+", "_", text).strip("_")


def canonical_name(name: str) -> str | None:
    """Return the canonical column a (canonicalised) name stands for, if any.

    Parameters
    ----------
    name : str
        Output of :func:`canon`.

    Returns
    -------
    str or None
        E.g. ``"kode_kemdagri"`` for ``"kemendagri_kode_desa"``; None for other names.

    Examples
    --------
    >>> canonical_name("longitude")
    'bujur'
    """
    return next((c for c, spellings in ALIASES.items() if name in spellings), None)
