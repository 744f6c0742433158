"""Per-desa indicators: families per desil, the desil-1 share, and deprivation shares.

Every share comes with the counts behind it: ``persen_desil_1`` is
``keluarga_desil_1 / keluarga_total * 100`` and each ``persen_p3ke_<x>`` is
``p3ke_<x> / keluarga_p3ke * 100``.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.codes import kode_kecamatan
from geo.text import fold, fold_series

__all__ = [
    "DEPRIVASI",
    "Deprivasi",
    "column_labels",
    "count_families",
    "desa_indicators",
    "district_summary",
    "indicators_from_counts",
]


@dataclass(frozen=True)
class Deprivasi:
    """One deprivation: a P3KE column and the values that count as deprived.

    Attributes
    ----------
    kolom : str
        P3KE column name.
    nilai : tuple of str
        Values (compared case-insensitively, trimmed) that mark a family as deprived.
    label : str
        Bahasa Indonesia label for the UI.
    """

    kolom: str
    nilai: tuple[str, ...]
    label: str


DEPRIVASI: dict[str, Deprivasi] = {
    "tanpa_listrik": Deprivasi("sumber_penerangan", ("Bukan listrik",), "Tanpa listrik"),
    "air_tidak_layak": Deprivasi(
        "sumber_air_minum",
        (
            "Sumur Tidak Terlindung",
            "Mata Air Tidak Terlindung",
            "Air Hujan",
            "Air Permukaan (Sungai, Danau, dll)",
        ),
        "Air minum tidak layak",
    ),
    "tanpa_jamban_sendiri": Deprivasi(
        "memiliki_fasilitas_buang_air_besar", ("Tidak",), "Tanpa jamban sendiri"
    ),
    "lantai_tanah_bambu": Deprivasi("jenis_lantai", ("Tanah", "Bambu"), "Lantai tanah/bambu"),
}
"""Deprivations measured per desa. Values follow the P3KE export (DOMAIN.md, "Typical
deprivation values"); ``Air Hujan`` counts as unsafe water as in DOMAIN.md, although BPS's
"air minum layak" counts protected rainwater as improved. An analytic choice: change it here."""


def desa_indicators(
    keluarga: pd.DataFrame,
    desa: gpd.GeoDataFrame,
    keluarga_desa: pd.DataFrame | None = None,
    *,
    desil_max: int = 4,
) -> gpd.GeoDataFrame:
    """Count families per desa and compute the desil-1 and deprivation shares.

    Parameters
    ----------
    keluarga : pandas.DataFrame
        Placed families (``Placement.keluarga``): ``kode_desa`` and ``desil`` (Int64) at
        least; deprivation columns of :data:`DEPRIVASI` where present.
    desa : geopandas.GeoDataFrame
        Desa polygons with ``kode_desa``, ``desa``, ``kecamatan``, ``kode_kecamatan``.
    keluarga_desa : pandas.DataFrame, optional
        All families per desa (``kode_desa``, ``keluarga_total``): the denominator of
        ``persen_desil_1``. Without it, ``keluarga_total`` and ``persen_desil_1`` are NaN.
    desil_max : int, default 4
        Highest desil of the scale (4 for P3KE, 10 for DTSEN): one count column per desil.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per desa of ``desa``, same CRS and order, with columns ``kode_desa``,
        ``desa``, ``kecamatan``, ``kode_kecamatan``, ``keluarga_total`` (households, Int64),
        ``keluarga_p3ke``, ``keluarga_desil_1`` ... ``keluarga_desil_<desil_max>``,
        ``persen_desil_1`` (desil-1 families per 100 families), ``persen_desil_1_p3ke``
        (per 100 P3KE families), ``ada_data`` (bool), and for each deprivation ``p3ke_<x>``
        (families) and ``persen_p3ke_<x>``, then ``geometry``.

    Notes
    -----
    A desa with no P3KE row has no data (``ada_data`` False, counts and shares missing): an
    absent desa in a P3KE file means "not covered", not "no poor families". It is drawn in
    the map's "no data" colour rather than as zero. Where ``keluarga_total`` is smaller than
    the desa's P3KE families, ``penyebut_tidak_cukup`` is True and no share is computed.
    """
    return indicators_from_counts(
        count_families(keluarga, desil_max=desil_max),
        desa,
        keluarga_desa,
        desil_max=desil_max,
    )


def count_families(keluarga: pd.DataFrame, *, desil_max: int = 4) -> pd.DataFrame:
    """Count families per desa: the additive part of :func:`desa_indicators`.

    Counts of disjoint sets of families add up, so a table split into partitions (the Dask
    engine) gives the same totals as the whole table: sum the partitions' counts by
    ``kode_desa``.

    Parameters
    ----------
    keluarga : pandas.DataFrame
        Placed families: ``kode_desa``, ``desil`` (Int64) and the :data:`DEPRIVASI` columns
        where present.
    desil_max : int, default 4
        Highest desil of the scale.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``kode_desa`` (only desa with families), int64 columns
        ``keluarga_p3ke``, ``keluarga_desil_1`` ... ``keluarga_desil_<desil_max>`` and
        ``p3ke_<x>`` for each deprivation whose column is present (absent columns are left
        out, so the indicator is unknown rather than zero).
    """
    kode = keluarga["kode_desa"].astype("object")
    out = pd.DataFrame({"keluarga_p3ke": kode.value_counts()})
    out.index.name = "kode_desa"
    by_desil = keluarga.groupby([kode, keluarga["desil"]]).size().unstack(fill_value=0)
    for d in range(1, desil_max + 1):
        col = by_desil[d] if d in by_desil.columns else pd.Series(dtype="int64")
        out[f"keluarga_desil_{d}"] = col.reindex(out.index).fillna(0)
    for key, dep in DEPRIVASI.items():
        if dep.kolom in keluarga.columns:
            wanted = {fold(v) for v in dep.nilai}
            hit = fold_series(keluarga[dep.kolom]).isin(wanted)
            n = kode[hit.fillna(False).to_numpy()].value_counts()
            out[f"p3ke_{key}"] = n.reindex(out.index).fillna(0)
    return out.astype("int64")


def indicators_from_counts(
    counts: pd.DataFrame,
    desa: gpd.GeoDataFrame,
    keluarga_desa: pd.DataFrame | None = None,
    *,
    desil_max: int = 4,
) -> gpd.GeoDataFrame:
    """Turn per-desa counts into the indicator layer of :func:`desa_indicators`.

    Parameters
    ----------
    counts : pandas.DataFrame
        :func:`count_families` (or the sum of it over partitions).
    desa, keluarga_desa, desil_max
        As in :func:`desa_indicators`.

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`desa_indicators`.
    """
    base = desa[["kode_desa", "desa", "kecamatan"]].copy()
    base["kode_kecamatan"] = kode_kecamatan(desa["kode_desa"])
    n_p3ke = counts["keluarga_p3ke"] if len(counts) else pd.Series(dtype="int64")
    out = base.assign(keluarga_p3ke=base["kode_desa"].map(n_p3ke).fillna(0).astype("Int64"))
    if keluarga_desa is not None:
        total = keluarga_desa.set_index("kode_desa")["keluarga_total"]
        out["keluarga_total"] = out["kode_desa"].map(total).astype("Int64")
    else:
        out["keluarga_total"] = pd.array([pd.NA] * len(out), dtype="Int64")
    for d in range(1, desil_max + 1):
        col = counts.get(f"keluarga_desil_{d}", pd.Series(dtype="int64"))
        out[f"keluarga_desil_{d}"] = out["kode_desa"].map(col).fillna(0).astype("Int64")
    out["ada_data"] = out["keluarga_p3ke"] > 0
    total_f = out["keluarga_total"].astype("float64")
    d1 = out["keluarga_desil_1"].astype("float64")
    p3ke = out["keluarga_p3ke"].astype("float64")
    # A denominator smaller than the P3KE families counted in the desa cannot be right
    # (wrong table, or a synthetic table beside real households): no share is computed.
    out["penyebut_tidak_cukup"] = (out["ada_data"] & (total_f < p3ke)).fillna(False).astype(bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = out["ada_data"] & (total_f > 0) & ~out["penyebut_tidak_cukup"]
        share = np.where(ok, d1 / total_f * 100, np.nan)
        out["persen_desil_1"] = share
        out["persen_desil_1_p3ke"] = np.where(out["ada_data"], d1 / p3ke * 100, np.nan)
    for key in DEPRIVASI:
        if f"p3ke_{key}" in counts.columns:
            n = counts[f"p3ke_{key}"]
            out[f"p3ke_{key}"] = out["kode_desa"].map(n).fillna(0).astype("Int64")
        else:
            out[f"p3ke_{key}"] = pd.array([pd.NA] * len(out), dtype="Int64")
        with np.errstate(divide="ignore", invalid="ignore"):
            num = out[f"p3ke_{key}"].astype("float64")
            out[f"persen_p3ke_{key}"] = np.where(out["ada_data"], num / p3ke * 100, np.nan)
    ordered = [
        "kode_desa", "desa", "kecamatan", "kode_kecamatan", "keluarga_total", "keluarga_p3ke",
        *[f"keluarga_desil_{d}" for d in range(1, desil_max + 1)],
        "persen_desil_1", "persen_desil_1_p3ke", "ada_data", "penyebut_tidak_cukup",
        *[c for k in DEPRIVASI for c in (f"p3ke_{k}", f"persen_p3ke_{k}")],
    ]  # fmt: skip
    # A desa without data has unknown counts, not zero counts.
    cols = ["keluarga_p3ke", *[f"keluarga_desil_{d}" for d in range(1, desil_max + 1)]]
    cols += [f"p3ke_{k}" for k in DEPRIVASI]
    for col in cols:
        out[col] = out[col].astype("Int64").where(out["ada_data"], pd.NA)
    return gpd.GeoDataFrame(out[ordered], geometry=desa.geometry.values, crs=desa.crs)


def district_summary(indicators: pd.DataFrame) -> dict[str, float | int]:
    """Headline figures for the whole (or filtered) district.

    Parameters
    ----------
    indicators : pandas.DataFrame
        Output of :func:`desa_indicators`, possibly filtered to some kecamatan.

    Returns
    -------
    dict
        ``desa`` (count), ``desa_dengan_data``, ``desa_dengan_persen`` (desa with a share),
        ``keluarga_total`` (all families of the desa with a share), ``keluarga_p3ke``,
        ``keluarga_desil_1`` (households, every desa with data) and ``persen_desil_1``
        (desil-1 families per 100 families over the desa with a share; NaN if none), so the
        share and its denominator always describe the same desa.
    """
    with_total = indicators[indicators["persen_desil_1"].notna()]
    denom = float(with_total["keluarga_total"].sum())
    return {
        "desa": len(indicators),
        "desa_dengan_data": int(indicators["ada_data"].sum()),
        "desa_dengan_persen": len(with_total),
        "keluarga_total": int(with_total["keluarga_total"].sum()),
        "keluarga_p3ke": int(indicators["keluarga_p3ke"].fillna(0).sum()),
        "keluarga_desil_1": int(indicators["keluarga_desil_1"].fillna(0).sum()),
        "persen_desil_1": (
            float(with_total["keluarga_desil_1"].sum()) / denom * 100 if denom > 0 else np.nan
        ),
    }


def column_labels(columns: list[str] | pd.Index) -> dict[str, str]:
    """Bahasa Indonesia labels for indicator columns, for tables and exports.

    Parameters
    ----------
    columns : list of str or pandas.Index
        Column names from :func:`desa_indicators`.

    Returns
    -------
    dict
        Column -> label, for the columns that have one (others are left out).

    Examples
    --------
    >>> column_labels(["keluarga_desil_2", "persen_p3ke_tanpa_listrik"])
    {'keluarga_desil_2': 'Keluarga desil 2', 'persen_p3ke_tanpa_listrik': 'Tanpa listrik per 100 P3KE'}
    """
    fixed = {
        "kode_desa": "Kode desa",
        "desa": "Desa",
        "kecamatan": "Kecamatan",
        "kode_kecamatan": "Kode kecamatan",
        "keluarga_total": "Seluruh keluarga",
        "keluarga_p3ke": "Keluarga P3KE",
        "persen_desil_1": "Desil 1 per 100 keluarga",
        "persen_desil_1_p3ke": "Desil 1 per 100 P3KE",
        "ada_data": "Ada data P3KE",
    }
    out: dict[str, str] = {}
    for col in columns:
        if col in fixed:
            out[col] = fixed[col]
        elif col.startswith("keluarga_desil_"):
            out[col] = f"Keluarga desil {col.rsplit('_', 1)[1]}"
        elif col.startswith("persen_p3ke_") and col[12:] in DEPRIVASI:
            out[col] = f"{DEPRIVASI[col[12:]].label} per 100 P3KE"
        elif col.startswith("p3ke_") and col[5:] in DEPRIVASI:
            out[col] = f"{DEPRIVASI[col[5:]].label} (keluarga)"
    return out
