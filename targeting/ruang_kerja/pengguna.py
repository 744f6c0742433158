"""Users of the workspace: argon2id password hashes, roles and desa scopes.

Passwords are hashed with ``argon2-cffi`` (:class:`argon2.PasswordHasher`, its default
argon2id parameters, RFC 9106). A wrong name costs the same hashing time as a wrong password,
so a login does not tell which names exist. Who may manage users: an admin, or anyone with
the workspace files while no user exists yet (the first admin, from the CLI).
"""

from __future__ import annotations

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, insert, select, update

from geo.errors import AccessError, WorkspaceError
from targeting.ruang_kerja import skema as t
from targeting.ruang_kerja.cakupan import Cakupan, parse_wilayah
from targeting.ruang_kerja.gudang import RuangKerja

__all__ = [
    "ada_pengguna",
    "daftar_pengguna",
    "hapus_pengguna",
    "masuk",
    "pengguna_sso",
    "tambah_pengguna",
]

_HASHER = PasswordHasher()
_DUMMY = _HASHER.hash("lokus-tanpa-pengguna")
MIN_PANJANG = 10
"""Shortest password accepted (NIST SP 800-63B asks at least 8; a shared server, so 10)."""


def ada_pengguna(rk: RuangKerja) -> bool:
    """Tell whether the workspace has an active user (the app then asks a login)."""
    with rk.engine.connect() as conn:
        n = conn.execute(
            select(func.count()).select_from(t.pengguna).where(t.pengguna.c.aktif)
        ).scalar_one()
    return n > 0


def _may_manage(rk: RuangKerja, oleh: Cakupan | None) -> Cakupan:
    if oleh is None:
        if ada_pengguna(rk):
            msg = "Hanya admin yang boleh mengatur pengguna (masuk sebagai admin)."
            raise AccessError(msg, en="Only an admin may manage users (log in as an admin).")
        return Cakupan("pemasangan", "admin")
    oleh.require("admin")
    return oleh


def tambah_pengguna(
    rk: RuangKerja,
    nama: str,
    sandi: str,
    peran: str,
    wilayah: str | None = None,
    *,
    oleh: Cakupan | None = None,
) -> Cakupan:
    """Add a user, or set a new password, role and codes for an existing one.

    Parameters
    ----------
    rk : RuangKerja
        The workspace.
    nama : str
        Login name.
    sandi : str
        Password, at least :data:`MIN_PANJANG` characters.
    peran : {"admin", "kabupaten", "kecamatan", "desa"}
        Role.
    wilayah : str, optional
        Comma-separated kecamatan (``61.11.01``) or desa (``61.11.01.2001``) codes.
    oleh : Cakupan, optional
        The admin doing it; None only while no user exists (the first one).

    Returns
    -------
    Cakupan
        The user's scope.

    Raises
    ------
    AccessError
        ``oleh`` is not an admin (or None while users exist).
    WorkspaceError
        Empty name, short password, unknown role or codes of the wrong form.
    """
    admin = _may_manage(rk, oleh)
    codes = parse_wilayah(peran, wilayah)
    nama = (nama or "").strip()
    if not nama or len(sandi or "") < MIN_PANJANG:
        msg = f"Nama pengguna wajib diisi dan kata sandi paling sedikit {MIN_PANJANG} karakter."
        en = f"A user name is required and the password needs at least {MIN_PANJANG} characters."
        raise WorkspaceError(msg, en=en)
    values = {
        "hash": _HASHER.hash(sandi),
        "peran": peran,
        "wilayah": ",".join(codes),
        "aktif": True,
    }
    with rk.transaksi(admin) as conn:
        found = conn.execute(select(t.pengguna.c.id).where(t.pengguna.c.nama == nama)).scalar()
        if found is None:
            conn.execute(insert(t.pengguna).values(nama=nama, **values))
        else:
            conn.execute(update(t.pengguna).where(t.pengguna.c.id == found).values(**values))
        rk.catat(conn, admin, "pengguna", nama, f"{peran} {','.join(codes)}".strip())
    return Cakupan(nama, peran, codes)


def masuk(rk: RuangKerja, nama: str, sandi: str) -> Cakupan | None:
    """Check a login; the user's scope, or None for a wrong name or password.

    Parameters
    ----------
    rk : RuangKerja
        The workspace.
    nama, sandi : str
        What the user typed.

    Returns
    -------
    Cakupan or None
        The scope of the active user whose password matches.
    """
    with rk.engine.connect() as conn:
        row = conn.execute(
            select(t.pengguna.c.hash, t.pengguna.c.peran, t.pengguna.c.wilayah).where(
                t.pengguna.c.nama == (nama or "").strip(), t.pengguna.c.aktif
            )
        ).first()
    try:
        _HASHER.verify(row[0] if row else _DUMMY, sandi or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    codes = tuple(c for c in row[2].split(",") if c)
    return Cakupan((nama or "").strip(), row[1], codes)


def pengguna_sso(rk: RuangKerja, nama: str) -> Cakupan | None:
    """Give the scope of an active user named by a trusted reverse proxy (no password check)."""
    with rk.engine.connect() as conn:
        row = conn.execute(
            select(t.pengguna.c.peran, t.pengguna.c.wilayah).where(
                t.pengguna.c.nama == (nama or "").strip(), t.pengguna.c.aktif
            )
        ).first()
    if row is None:
        return None
    return Cakupan(nama.strip(), row[0], tuple(c for c in row[1].split(",") if c))


def hapus_pengguna(rk: RuangKerja, nama: str, *, oleh: Cakupan | None = None) -> None:
    """Remove a user (admin only; the audit log keeps the name).

    Raises
    ------
    AccessError
        ``oleh`` is not an admin.
    WorkspaceError
        No such user.
    """
    admin = _may_manage(rk, oleh)
    with rk.transaksi(admin) as conn:
        n = conn.execute(delete(t.pengguna).where(t.pengguna.c.nama == nama)).rowcount
        if n == 0:
            msg = f"Pengguna '{nama}' tidak ada."
            raise WorkspaceError(msg, en=f"There is no user '{nama}'.")
        rk.catat(conn, admin, "hapus pengguna", nama)


def daftar_pengguna(rk: RuangKerja) -> pd.DataFrame:
    """Users: ``nama``, ``peran``, ``wilayah``, ``aktif`` (never the hashes)."""
    p = t.pengguna.c
    with rk.engine.connect() as conn:
        rows = conn.execute(select(p.nama, p.peran, p.wilayah, p.aktif).order_by(p.nama)).all()
    return pd.DataFrame(rows, columns=["nama", "peran", "wilayah", "aktif"])
