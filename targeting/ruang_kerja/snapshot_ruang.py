"""A :class:`targeting.snapshot.Snapshot` rebuilt from the workspace, for the user's scope.

:func:`to_snapshot` turns what :meth:`RuangKerja.buka` read (families and rejected rows in
the user's scope, the desa layer, the provenance) back into a Snapshot, so that
:func:`targeting.pipeline.analyse`, the CLI's ``run --snapshot`` and every page of the app
work on a kept snapshot exactly as on a fresh import, and see nothing outside the scope.
The ledger is the scope's: its used rows are the rows of the families in scope, its rejected
rows those naming a desa in scope, so ``rows_in == rows_used + rows_rejected`` holds.
"""

from __future__ import annotations

import io
import json

import pandas as pd
import pyproj

from geo.households import HouseholdCheck
from geo.io import BoundaryLoad
from geo.join import Placement
from geo.ledger import Ledger, rejections
from geo.region import Region
from geo.sheets import RawTable
from targeting.indicators import desa_indicators
from targeting.mapspec import display_geometry
from targeting.provenance import InputFile, Provenance
from targeting.ruang_kerja.gudang import Terbuka
from targeting.snapshot import Snapshot

__all__ = ["to_snapshot"]

_DESIL_MAX = {"p3ke": 4, "dtsen": 10}


def _provenance(info: dict, prov: dict) -> Provenance:
    masukan = tuple(
        InputFile(
            peran=peran, berkas=d["berkas"], sha256=d.get("sha256", ""), baris=d.get("baris"),
            tanggal=d.get("tanggal"), sintetis=bool(d.get("sintetis")),
            rincian={k: v for k, v in d.items()
                     if k not in ("berkas", "sha256", "baris", "tanggal", "sintetis")},
        )
        for peran, d in prov.get("masukan", {}).items()
    )  # fmt: skip
    parameter = dict(prov.get("parameter", {}))
    parameter["ruang_kerja"] = {"snapshot": info["id"], "dibuat": str(info["dibuat"])}
    return Provenance(
        wilayah=info["wilayah"], kode_wilayah=info["kode_wilayah"],
        crs_metrik=prov["crs_metrik"], masukan=masukan, parameter=parameter,
        seed=prov.get("seed"), aturan=prov.get("aturan", {}), versi=prov.get("versi", {}),
        tanggal_data=prov.get("tanggal_data"),
    )  # fmt: skip


def _ledgers(text: str) -> dict[str, Ledger]:
    out = {}
    for peran, d in json.loads(text).items():
        ditolak = pd.read_json(io.StringIO(d["ditolak"]), orient="split", dtype=False)
        out[peran] = Ledger(d["berkas"], d["rows_in"], d["used"], ditolak).check()
    return out


def _raw_table(prov: dict, berkas: str) -> RawTable:
    d = prov.get("masukan", {}).get("keluarga_p3ke", {})
    sheet = d.get("lembar") or "csv"
    return RawTable(
        frame=pd.DataFrame(), dilewati=rejections(berkas=berkas), sheet=sheet,
        sheets=list(d.get("lembar_tersedia") or [sheet]), header_row=int(d.get("baris_judul") or 1),
        numeric_cells={},
    )  # fmt: skip


def to_snapshot(terbuka: Terbuka, region: Region) -> Snapshot:
    """Rebuild a Snapshot of the families in scope from an opened workspace snapshot.

    Parameters
    ----------
    terbuka : Terbuka
        From :meth:`targeting.ruang_kerja.gudang.RuangKerja.buka` (already scoped).
    region : Region
        Region settings for the analysis (register, metric CRS); the desa layer is the
        snapshot's own.

    Returns
    -------
    Snapshot
        Families, desa layer (EPSG:4326, with ``kode_kecamatan``), indicators recomputed
        from the families in scope, a checked ledger of the scope, and the import's
        provenance (plus ``parameter["ruang_kerja"]``: the snapshot id and date).
    """
    info, prov = terbuka.info, terbuka.provenance
    keluarga = terbuka.keluarga.drop(columns="_id_ruang").reset_index(drop=True)
    desa = terbuka.desa.copy()
    desa["kode_kecamatan"] = desa["kode_desa"].str.rsplit(".", n=1).str[0]
    desa = desa[["kode_desa", "desa", "kecamatan", "kode_kecamatan", "geometry"]]
    berkas = prov.get("masukan", {}).get("keluarga_p3ke", {}).get("berkas", "")
    ditolak = terbuka.ditolak.copy()
    used = int(keluarga["_n_baris"].sum()) if "_n_baris" in keluarga else len(keluarga)
    ledger = Ledger(berkas, used + len(ditolak), used, ditolak).check()
    total = terbuka.desa[["kode_desa", "keluarga_total"]]
    denom = (
        None if total["keluarga_total"].isna().all() else total.astype({"keluarga_total": "Int64"})
    )
    desil_max = _DESIL_MAX[info["skala_desil"]]
    indikator = desa_indicators(keluarga, desa, denom, desil_max=desil_max)
    check = HouseholdCheck(
        keluarga=pd.DataFrame(keluarga.drop(columns="geometry")), ditolak=ditolak,
        desil_scale=info["skala_desil"], kolom_tidak_dikenal=[], rows_in=ledger.rows_in,
        per_individu=False, berkas=berkas,
    )  # fmt: skip
    metric = pyproj.CRS(prov["crs_metrik"])
    batas_berkas = prov.get("masukan", {}).get("batas_desa", {}).get("berkas", "")
    return Snapshot(
        region=region,
        batas=BoundaryLoad(desa=desa, source=batas_berkas),
        metric_crs=metric,
        sheet=_raw_table(prov, berkas),
        check=check,
        placement=Placement(
            keluarga=keluarga,
            ditolak=rejections(berkas=berkas),
            cocok_nama=info["cocok_nama"],
            kode_tidak_dikenal=list(info["kode_tidak_dikenal"]),
        ),
        indikator=indikator,
        ledger=ledger,
        provenance=_provenance(info, prov),
        tanggal=info.get("tanggal"),
        keluarga_desa=denom,
        ledgers=_ledgers(info["ledger_lain"]),
        tampilan=display_geometry(desa, metric_crs=metric),
    )
