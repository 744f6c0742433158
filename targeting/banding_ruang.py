"""Snapshots kept in the workspace as inputs of a comparison (:mod:`targeting.banding`).

:func:`data_ruang` opens each snapshot through the workspace's one query layer for the user's
scope (:meth:`targeting.ruang_kerja.gudang.RuangKerja.buka`): a desa operator compares only
the families of its own desa. Each opening is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from targeting.banding import DataMasuk

__all__ = ["data_ruang", "label_ruang"]


def label_ruang(info: dict) -> str:
    """Name a kept snapshot for the comparison: ``snapshot ID: name``."""
    return f"snapshot {info['id']}: {info['nama']}"


def data_ruang(rk: Any, cakupan: Any, ids: Sequence[int], region: Any) -> list[DataMasuk]:
    """Open kept snapshots for a comparison, within the user's scope.

    Parameters
    ----------
    rk : targeting.ruang_kerja.RuangKerja
        The workspace.
    cakupan : targeting.ruang_kerja.Cakupan
        The user's scope; only the families in it are compared.
    ids : sequence of int
        Snapshot ids, oldest first.
    region : geo.region.Region
        Region settings (register, metric CRS).

    Returns
    -------
    list of DataMasuk
        One per id, ``sumber`` the rebuilt :class:`targeting.snapshot.Snapshot`, ``tanggal``
        the snapshot's data date.

    Raises
    ------
    WorkspaceError
        An unknown snapshot id.
    """
    from targeting.ruang_kerja.snapshot_ruang import to_snapshot

    out = []
    for sid in ids:
        opened = rk.buka(cakupan, int(sid))
        snapshot = to_snapshot(opened, region)
        with rk.transaksi(cakupan) as conn:
            rk.catat(
                conn, cakupan, "banding", f"snapshot {sid}", f"{len(opened.keluarga)} keluarga"
            )
        out.append(
            DataMasuk(snapshot, nama=label_ruang(opened.info), tanggal=opened.info.get("tanggal"))
        )
    return out
