"""The workspace (ruang kerja): a memory for Lokus, with users, roles and an audit log.

SQLite by default (one file in ``LOKUS_WORKSPACE``), PostgreSQL + PostGIS for a team
(``LOKUS_DATABASE_URL``), through the same code. See :class:`RuangKerja` (the one query layer),
:class:`Cakupan` (a user's desa scope), :mod:`targeting.ruang_kerja.pengguna` (users,
argon2 passwords) and :mod:`targeting.ruang_kerja.cadangan` (backup and restore).
"""

from targeting.ruang_kerja.cakupan import PERAN, Cakupan
from targeting.ruang_kerja.gudang import RuangKerja, Terbuka, default_folder, workspace_url

__all__ = ["PERAN", "Cakupan", "RuangKerja", "Terbuka", "default_folder", "workspace_url"]
