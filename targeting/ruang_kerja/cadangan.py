"""Backup and restore of the whole workspace, the same on SQLite and PostgreSQL.

A backup is one ZIP file (mode 0600): ``manifest.json`` (schema version, time, rows per
table) and one ``<table>.jsonl`` per table. Sealed columns stay sealed: a backup, like the
database, reveals no person without the key, and restoring it needs the same key (back the
key up apart). Restoring replaces everything in the workspace but the audit log (which
only grows: the restore itself is written in it), in one transaction.
"""

from __future__ import annotations

import base64
import json
import os
import zipfile
from datetime import datetime
from pathlib import Path

from sqlalchemy import DateTime, LargeBinary, delete, insert, select, text

from geo.errors import WorkspaceError
from targeting.ruang_kerja import skema as t
from targeting.ruang_kerja.cakupan import Cakupan
from targeting.ruang_kerja.gudang import RuangKerja, _now
from targeting.ruang_kerja.migrasi import head

__all__ = ["cadangkan", "pulihkan"]

ORDER = ("pengguna", "audit", "snapshot", "skenario", "desa", "keluarga", "tolak",
         "register", "hasil_verifikasi", "daftar_penerima")  # fmt: skip
"""Tables in the order they can be inserted (parents first)."""

RESTORED = tuple(n for n in ORDER if n != "audit")
"""What a restore replaces: everything but the audit log, which only grows (the backup keeps
a copy of the log as it was)."""


def _encode(table, row) -> str:
    out = {}
    for col in table.columns:
        v = row[col.name]
        if v is not None and isinstance(col.type, LargeBinary):
            v = base64.b64encode(bytes(v)).decode("ascii")
        elif v is not None and isinstance(col.type, DateTime):
            v = v.isoformat()
        out[col.name] = v
    return json.dumps(out, ensure_ascii=False)


def _decode(table, line: str) -> dict:
    rec = json.loads(line)
    for col in table.columns:
        v = rec.get(col.name)
        if v is not None and isinstance(col.type, LargeBinary):
            rec[col.name] = base64.b64decode(v)
        elif v is not None and isinstance(col.type, DateTime):
            rec[col.name] = datetime.fromisoformat(v)
    return rec


def cadangkan(rk: RuangKerja, cakupan: Cakupan, tujuan: Path) -> dict:
    """Write a backup of every table to a ZIP file.

    Parameters
    ----------
    rk : RuangKerja
        The workspace.
    cakupan : Cakupan
        Who backs up (admin or kabupaten: a backup holds every desa).
    tujuan : pathlib.Path
        The ZIP file to write (created with mode 0600, replaced if it exists).

    Returns
    -------
    dict
        The manifest: ``versi`` (schema), ``dibuat``, ``baris`` (rows per table).

    Raises
    ------
    AccessError
        For a kecamatan or desa user.
    """
    cakupan.require("admin", "kabupaten")
    tujuan = Path(tujuan)
    tujuan.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(tujuan, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    counts: dict[str, int] = {}
    with rk.transaksi(cakupan) as conn, os.fdopen(fd, "wb") as raw:
        with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
            for name in ORDER:
                table = t.metadata.tables[name]
                rows = conn.execute(select(table)).mappings()
                with zf.open(f"{name}.jsonl", "w") as out:
                    n = 0
                    for row in rows:
                        out.write((_encode(table, row) + "\n").encode("utf-8"))
                        n += 1
                counts[name] = n
            manifest = {"versi": head(), "dibuat": _now().isoformat(), "baris": counts}
            zf.writestr("manifest.json", json.dumps(manifest, indent=1))
        rk.catat(conn, cakupan, "cadangkan", tujuan.name, json.dumps(counts))
    return manifest


def pulihkan(rk: RuangKerja, cakupan: Cakupan, sumber: Path) -> dict:
    """Replace the whole workspace with a backup, in one transaction.

    Parameters
    ----------
    rk : RuangKerja
        The workspace (its schema at the backup's version).
    cakupan : Cakupan
        Who restores (admin or kabupaten).
    sumber : pathlib.Path
        A ZIP file written by :func:`cadangkan`.

    Returns
    -------
    dict
        The backup's manifest.

    Raises
    ------
    AccessError
        For a kecamatan or desa user.
    WorkspaceError
        The file is not a Lokus workspace backup, or of another schema version, or its
        sealed rows do not open with this workspace's key (nothing is replaced then).
    """
    cakupan.require("admin", "kabupaten")
    try:
        with zipfile.ZipFile(sumber) as zf:
            manifest = json.loads(zf.read("manifest.json"))
            if manifest.get("versi") != head():
                raise _bad(sumber, f"versi skema {manifest.get('versi')}, bukan {head()}")
            _check_key(rk, zf)
            with rk.transaksi(cakupan) as conn:
                for name in reversed(RESTORED):
                    conn.execute(delete(t.metadata.tables[name]))
                for name in RESTORED:
                    _restore_table(conn, zf, name)
                if rk.postgres:
                    _reset_sequences(conn)
                rk.catat(
                    conn, cakupan, "pulihkan", Path(sumber).name, json.dumps(manifest["baris"])
                )
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as err:
        raise _bad(sumber, f"bukan cadangan ruang kerja Lokus ({err})") from None
    return manifest


def _check_key(rk: RuangKerja, zf: zipfile.ZipFile) -> None:
    """Open the backup's first family with the workspace key, before anything is replaced.

    Parameters
    ----------
    rk : RuangKerja
        The workspace whose key must open the backup.
    zf : zipfile.ZipFile
        The backup.

    Raises
    ------
    WorkspaceError
        The key is not the one the backup's rows were sealed with.
    """
    with zf.open("keluarga.jsonl") as src:
        first = src.readline()
    if first.strip():
        row = _decode(t.keluarga, first.decode("utf-8"))
        rk.sandi.open_raw(row["pribadi"], "keluarga", row["kode_desa"])


def _restore_table(conn, zf: zipfile.ZipFile, name: str) -> None:
    table = t.metadata.tables[name]
    batch: list[dict] = []
    with zf.open(f"{name}.jsonl") as src:
        for line in src:
            batch.append(_decode(table, line.decode("utf-8")))
            if len(batch) == 2000:
                conn.execute(insert(table), batch)
                batch = []
    if batch:
        conn.execute(insert(table), batch)


def _reset_sequences(conn) -> None:
    for table in t.metadata.sorted_tables:
        if "id" in table.c and table.c.id.autoincrement is not False and table.c.id.primary_key:
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"
                )
            )


def _bad(sumber: Path, why: str) -> WorkspaceError:
    msg = f"{Path(sumber).name}: {why}. Pilih berkas dari 'ruang-kerja cadangkan'."
    en = f"{Path(sumber).name}: cannot restore ({why}). Choose a file from 'ruang-kerja cadangkan'."
    return WorkspaceError(msg, en=en)
