"""Place households in desa: by code first, then check points against the polygons.

A family always belongs to the desa its ``kode_kemdagri`` names (P3KE is by-name-by-address;
coordinates are optional field additions). Where the family has a point, Lokus checks that the
point lies in that desa and flags it when it does not; it never moves or drops the family.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely

from geo.crs import DISPLAY_CRS, require_crs
from geo.households import REJECT_COLUMNS

__all__ = ["FLAG_COLUMNS", "Placement", "place_households"]

FLAG_COLUMNS = {
    "flag_koordinat_tidak_valid": "koordinat tidak terbaca, 0,0, atau di luar rentang derajat",
    "flag_titik_luar_wilayah": "titik di luar semua poligon desa wilayah",
    "flag_titik_desa_lain": "titik jatuh di desa lain daripada kode desanya",
}
"""Flags a used row can carry, with their meaning (Bahasa Indonesia, shown in reports)."""


@dataclass
class Placement:
    """Families placed in desa.

    Attributes
    ----------
    keluarga : geopandas.GeoDataFrame
        One row per used family, EPSG:4326, index 0..n-1. Columns of the validated table plus
        ``kode_desa_titik`` (the desa the point lies in, ``<NA>`` without a usable point),
        the flag columns of :data:`FLAG_COLUMNS`, and point geometry (None without
        coordinates).
    ditolak : pandas.DataFrame
        Rows rejected at this step (code not in the region's boundaries), columns
        ``berkas``, ``baris``, ``kolom``, ``nilai``, ``alasan``.
    """

    keluarga: gpd.GeoDataFrame
    ditolak: pd.DataFrame


def place_households(
    keluarga: pd.DataFrame,
    desa: gpd.GeoDataFrame,
    *,
    source: str,
) -> Placement:
    """Place validated families in desa and check their points.

    Parameters
    ----------
    keluarga : pandas.DataFrame
        ``HouseholdCheck.keluarga``: needs ``kode_desa`` (dotted), ``lintang``, ``bujur``
        (float degrees, NaN where absent), ``flag_koordinat_tidak_valid`` and ``_baris``.
    desa : geopandas.GeoDataFrame
        Desa polygons with ``kode_desa``, any CRS (required). Points are tested in this CRS;
        for EPSG:4326 (how boundaries are stored) no reprojection touches either side, so a
        point exactly on a border stays exactly on it.
    source : str
        File name, written in every rejection.

    Returns
    -------
    Placement
        ``len(keluarga) == len(result.keluarga) + len(result.ditolak)``.

    Raises
    ------
    CRSError
        If ``desa`` has no CRS.

    Notes
    -----
    Border rule: a point on the shared border of its coded desa and another desa agrees with
    its code (the test is ``intersects``, boundary included). A point that lies outside its
    coded desa and on or inside several others is given the lowest ``kode_desa`` among them
    in ``kode_desa_titik``, so each point belongs to exactly one desa.
    """
    require_crs(desa, source="batas desa")
    known = keluarga["kode_desa"].isin(set(desa["kode_desa"]))
    ditolak = pd.DataFrame(
        {
            "berkas": source,
            "baris": keluarga.loc[~known, "_baris"].astype(int),
            "kolom": "kode_kemdagri",
            "nilai": keluarga.loc[~known, "kode_kemdagri"].astype("string"),
            "alasan": "kode desa tidak ada dalam batas desa wilayah",
        },
        columns=REJECT_COLUMNS,
    ).reset_index(drop=True)
    used = keluarga[known].reset_index(drop=True)

    has_point = used["lintang"].notna() & used["bujur"].notna()
    geometry = gpd.GeoSeries(
        gpd.points_from_xy(used["bujur"], used["lintang"]), crs=DISPLAY_CRS
    ).where(has_point.to_numpy(), None)
    out = gpd.GeoDataFrame(used, geometry=geometry, crs=DISPLAY_CRS)
    out["kode_desa_titik"] = pd.array([pd.NA] * len(out), dtype="string")
    out["flag_titik_luar_wilayah"] = False
    out["flag_titik_desa_lain"] = False

    if has_point.any():
        desa_c = desa[["kode_desa", "geometry"]]
        polys = desa_c.set_index("kode_desa").geometry
        pts = out.geometry[has_point].to_crs(desa.crs)
        shapely.prepare(polys.values)
        coded = polys.reindex(out.loc[has_point, "kode_desa"]).to_numpy()
        agrees = shapely.intersects(coded, pts.to_numpy())
        kode_titik = pd.Series(pd.NA, index=pts.index, dtype="string")
        kode_titik[agrees] = out.loc[has_point, "kode_desa"][agrees]
        other = pts[~agrees]
        if len(other):
            hits = gpd.sjoin(
                gpd.GeoDataFrame(geometry=other),
                desa_c,
                predicate="intersects",
                how="inner",
            )
            first = hits.groupby(level=0)["kode_desa"].min()
            kode_titik[first.index] = first.to_numpy()
            out.loc[first.index, "flag_titik_desa_lain"] = True
            outside = other.index.difference(first.index)
            out.loc[outside, "flag_titik_luar_wilayah"] = True
        out.loc[pts.index, "kode_desa_titik"] = kode_titik
    for flag in FLAG_COLUMNS:
        out[flag] = out[flag].astype(bool)
    out.attrs = {}
    return Placement(keluarga=out, ditolak=ditolak)
