"""Roles and scopes: who may see which desa's families.

Roles (``PERAN``): ``admin`` (every desa, manages users), ``kabupaten`` (every desa: the
Bappeda/TKPK team), ``kecamatan`` (the desa of its kecamatan codes) and ``desa`` (its own desa
codes only). A :class:`Cakupan` is what the query layer (:mod:`targeting.ruang_kerja.gudang`)
filters every read and write of family data with; on PostgreSQL the same scope is set per
transaction for the row-level security policies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from geo.errors import AccessError, WorkspaceError

__all__ = ["PERAN", "Cakupan", "parse_wilayah"]

PERAN = ("admin", "kabupaten", "kecamatan", "desa")
"""Roles, widest first."""

_KODE = {
    "kecamatan": re.compile(r"^\d{2}\.\d{2}\.\d{2}$"),
    "desa": re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$"),
}


def parse_wilayah(peran: str, wilayah: str | None) -> tuple[str, ...]:
    """Check a role's codes (comma-separated) and return them as a tuple.

    Parameters
    ----------
    peran : {"admin", "kabupaten", "kecamatan", "desa"}
        The role.
    wilayah : str or None
        Kemendagri codes with dots: kecamatan ``61.11.01`` for the kecamatan role, desa
        ``61.11.01.2001`` for the desa role; ignored (empty) for admin and kabupaten.

    Returns
    -------
    tuple of str
        The codes; empty for admin and kabupaten (every desa).

    Raises
    ------
    WorkspaceError
        Unknown role, or a kecamatan/desa role without codes or with a code of the wrong form.
    """
    if peran not in PERAN:
        msg = f"Peran '{peran}' tidak dikenal; pilih salah satu: {', '.join(PERAN)}."
        raise WorkspaceError(msg, en=f"Unknown role '{peran}'; choose one of: {', '.join(PERAN)}.")
    if peran in ("admin", "kabupaten"):
        return ()
    codes = tuple(c.strip() for c in (wilayah or "").split(",") if c.strip())
    bad = [c for c in codes if not _KODE[peran].match(c)]
    if not codes or bad:
        contoh = "61.11.01" if peran == "kecamatan" else "61.11.01.2001"
        msg = (
            f"Peran {peran} perlu kode {peran} bertitik (mis. {contoh}); "
            f"ditemukan: {', '.join(bad) or 'tidak ada'}."
        )
        en = (
            f"Role {peran} needs dotted {peran} codes (e.g. {contoh}); "
            f"found: {', '.join(bad) or 'none'}."
        )
        raise WorkspaceError(msg, en=en)
    return codes


@dataclass(frozen=True)
class Cakupan:
    """The desa a user may see and change.

    Attributes
    ----------
    pengguna : str
        User name (written in the audit log).
    peran : str
        One of :data:`PERAN`.
    wilayah : tuple of str
        Kecamatan or desa codes; empty for admin and kabupaten (every desa).
    """

    pengguna: str
    peran: str
    wilayah: tuple[str, ...] = ()

    @classmethod
    def semua(cls, pengguna: str = "lokal") -> Cakupan:
        """Every desa: the single-user local mode and the kabupaten team."""
        return cls(pengguna, "kabupaten")

    @property
    def semua_desa(self) -> bool:
        """True when the scope covers every desa."""
        return self.peran in ("admin", "kabupaten")

    def covers(self, kode_desa: str | None) -> bool:
        """Tell whether the desa (dotted code) is in scope; a missing code only for every desa."""
        if self.semua_desa:
            return True
        if not kode_desa:
            return False
        return any(kode_desa == w or kode_desa.startswith(w + ".") for w in self.wilayah)

    def setting(self) -> str:
        """Give the scope as the PostgreSQL setting ``app.lokus_cakupan`` reads it (``*`` = all)."""
        return "*" if self.semua_desa else ",".join(self.wilayah)

    def require(self, *peran: str) -> None:
        """Raise :class:`AccessError` unless the role is one of ``peran``."""
        if self.peran not in peran:
            msg = f"Peran {self.peran} tidak boleh melakukan ini (perlu: {', '.join(peran)})."
            en = f"Role {self.peran} may not do this (needs: {', '.join(peran)})."
            raise AccessError(msg, en=en)
