"""The workspace schema: SQLAlchemy 2 Core tables, one metadata for SQLite and PostgreSQL.

Every table derived from a snapshot carries ``snapshot_id`` with ``ON DELETE CASCADE``, so
deleting a snapshot deletes everything made from it (UU 27/2022, the right to erasure). Every
table holding a family's data carries ``kode_desa`` in clear: it is what the one query layer
(:mod:`targeting.ruang_kerja.gudang`) and the PostgreSQL row-level security policies
(:mod:`targeting.ruang_kerja.postgres`) filter on. Personal columns live only in the
``pribadi``/``isi`` blobs, encrypted (:mod:`targeting.ruang_kerja.kunci`).

Geometry is stored as WKB bytes, not in a GeoPackage or PostGIS column: a family's point is
personal and so encrypted with the rest of its row (no spatial index can read ciphertext);
desa outlines are public, and WKB keeps one code path on both back ends (shapely reads it
back without GDAL; PostGIS can cast it with ``ST_GeomFromWKB`` when a spatial query needs it).
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

__all__ = [
    "SCOPED_TABLES",
    "audit",
    "daftar_penerima",
    "desa",
    "hasil_verifikasi",
    "keluarga",
    "metadata",
    "pengguna",
    "register",
    "skenario",
    "snapshot",
    "tolak",
]

metadata = MetaData()


def _snapshot_fk() -> Column:
    return Column(
        "snapshot_id",
        Integer,
        ForeignKey("snapshot.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


snapshot = Table(
    "snapshot",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("nama", String(200), nullable=False),
    Column("wilayah", String(200), nullable=False),
    Column("kode_wilayah", String(20), nullable=False),
    Column("skala_desil", String(10), nullable=False),  # p3ke or dtsen, as read
    Column("tanggal", String(10)),
    Column("dibuat", DateTime(timezone=True), nullable=False),
    Column("oleh", String(100), nullable=False),
    Column("provenance", Text, nullable=False),  # JSON; names no person
    Column("kolom", Text, nullable=False),  # JSON: family column -> dtype, in order
    Column("cocok_nama", Text, nullable=False),  # JSON records: desa found by name (no person)
    Column("kode_tidak_dikenal", Text, nullable=False),  # JSON list of codes
    Column("ledger_lain", Text, nullable=False),  # JSON: ledgers of the boundary/family tables
    Column("rows_in", Integer, nullable=False),
    Column("rows_used", Integer, nullable=False),
    Column("rows_rejected", Integer, nullable=False),
    Column("n_keluarga", Integer, nullable=False),
    Column("sintetis", Boolean, nullable=False),
    # SQLite would give a deleted snapshot's number to the next import, and the audit log's
    # "snapshot 2" or `run --snapshot 2` would then name other data; AUTOINCREMENT never reuses
    # a number (PostgreSQL's sequences never do).
    sqlite_autoincrement=True,
)
"""One import (one :class:`targeting.snapshot.Snapshot`): provenance and ledger totals."""

desa = Table(
    "desa",
    metadata,
    _snapshot_fk(),
    Column("kode_desa", String(20), nullable=False),
    Column("desa", String(200)),
    Column("kecamatan", String(200)),
    Column("keluarga_total", Integer),
    Column("geom", LargeBinary),  # WKB, EPSG:4326
    UniqueConstraint("snapshot_id", "kode_desa"),
)
"""The desa layer of a snapshot (public: codes, names, outlines, all-family counts)."""

keluarga = Table(
    "keluarga",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _snapshot_fk(),
    Column("kode_desa", String(20), nullable=False),
    Column("baris", Integer, nullable=False),
    Column("desil", Integer),
    Column("atribut", Text, nullable=False),  # JSON of the non-personal columns
    Column("pribadi", LargeBinary, nullable=False),  # AES-GCM of the personal columns + point
    Index("ix_keluarga_snapshot_desa", "snapshot_id", "kode_desa"),
)
"""One placed family per row: scope columns in clear, personal columns encrypted."""

tolak = Table(
    "tolak",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _snapshot_fk(),
    Column("kode_desa", String(20)),  # NULL: the row names no known desa (kabupaten only)
    Column("isi", LargeBinary, nullable=False),  # AES-GCM of the ledger row (nilai may be a NIK)
)
"""The rejected rows of the snapshot's ledger (berkas, lembar, baris, kolom, nilai, kode, alasan)."""

register = Table(
    "register",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _snapshot_fk(),
    Column("nama", String(200), nullable=False),
    Column("isi", LargeBinary, nullable=False),  # the register file as given (no person in it)
)
"""Registers of sub-activities analysed with a snapshot."""

hasil_verifikasi = Table(
    "hasil_verifikasi",
    metadata,
    _snapshot_fk(),
    Column("keluarga_id", Integer, ForeignKey("keluarga.id", ondelete="CASCADE"), nullable=False),
    Column("kode_desa", String(20), nullable=False),
    Column("isi", LargeBinary, nullable=False),  # AES-GCM JSON of the meeting's result
    Column("versi", Integer, nullable=False),
    Column("diubah", DateTime(timezone=True), nullable=False),
    Column("oleh", String(100), nullable=False),
    UniqueConstraint("snapshot_id", "keluarga_id"),
)
"""A village meeting's result for one family; ``versi`` guards concurrent edits."""

daftar_penerima = Table(
    "daftar_penerima",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _snapshot_fk(),
    Column("kode_desa", String(20), nullable=False),
    Column("nama", String(200), nullable=False),
    Column("isi", LargeBinary, nullable=False),  # AES-GCM of the list (names of recipients)
    Column("dibuat", DateTime(timezone=True), nullable=False),
    Column("oleh", String(100), nullable=False),
)
"""A recipient list of one desa (generic blob, for the verification issue's code)."""

skenario = Table(
    "skenario",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("snapshot_id", Integer, ForeignKey("snapshot.id", ondelete="CASCADE")),
    Column("nama", String(200), nullable=False),
    Column("oleh", String(100), nullable=False),
    Column("isi", Text, nullable=False),  # JSON: weights, selection (desa codes), filters
    Column("dibuat", DateTime(timezone=True), nullable=False),
)
"""A saved selection and weight set."""

pengguna = Table(
    "pengguna",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("nama", String(100), nullable=False, unique=True),
    Column("hash", String(300), nullable=False),  # argon2id
    Column("peran", String(20), nullable=False),
    Column("wilayah", Text, nullable=False),  # comma-separated kecamatan/desa codes
    Column("aktif", Boolean, nullable=False, default=True),
)
"""Users: role and the codes of their kecamatan or desa."""

audit = Table(
    "audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("waktu", DateTime(timezone=True), nullable=False),
    Column("pengguna", String(100), nullable=False),
    Column("aksi", String(40), nullable=False),
    Column("objek", String(200), nullable=False),
    Column("rincian", Text, nullable=False),  # masked (geo.masking.mask_ids)
)
"""Who imported, verified, exported or deleted what and when (identifiers masked)."""

SCOPED_TABLES = ("keluarga", "tolak", "hasil_verifikasi", "daftar_penerima")
"""Tables whose rows belong to one desa: filtered by scope, and by RLS on PostgreSQL."""
