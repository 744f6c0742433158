"""Families to workspace rows and back: personal columns sealed, the rest as JSON.

A placed family (a row of :attr:`targeting.snapshot.Snapshot.placement` ``.keluarga``)
becomes one ``keluarga`` row: ``kode_desa``, ``baris`` and ``desil`` in clear (the scope and
the counts), the non-personal columns of :data:`PLAIN` as a JSON list, and every other column
(names, NIK, No KK, address, date of birth, coordinates, the point as WKB) sealed with
:class:`targeting.ruang_kerja.kunci.Sandi`. A column Lokus does not know is sealed too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from targeting.ruang_kerja.kunci import Sandi

__all__ = ["PLAIN", "family_rows", "frame_from_rows", "split_columns"]

PLAIN = frozenset(
    {
        "provinsi", "kabupaten_kota", "kecamatan", "desa_kelurahan", "kode_kemdagri",
        "desil_kesejahteraan", "padan_dukcapil", "jenis_kelamin", "pekerjaan", "pendidikan",
        "kepemilikan_rumah", "jenis_atap", "jenis_dinding", "jenis_lantai",
        "sumber_penerangan", "bahan_bakar_memasak", "sumber_air_minum",
        "memiliki_fasilitas_buang_air_besar", "resiko_stunting", "sintetis", "_baris",
        "desil", "_baris_semua", "_n_baris", "kode_desa", "alasan_kode", "kode_desa_titik",
    }
)  # fmt: skip
"""Columns stored in clear: codes, desil, housing and programme answers, flags."""


def _plain(column: str) -> bool:
    return column in PLAIN or column.startswith(("flag_", "penerima_"))


def split_columns(columns: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split family columns into (clear, sealed); ``geometry`` is neither (sealed as WKB).

    Parameters
    ----------
    columns : sequence of str
        Column names of a placed-family table.

    Returns
    -------
    tuple of (list of str, list of str)
        Columns kept in clear (:data:`PLAIN`, ``flag_*``, ``penerima_*``) and the rest.
    """
    cols = [c for c in columns if c != "geometry"]
    return [c for c in cols if _plain(c)], [c for c in cols if not _plain(c)]


def _py(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _column(series: pd.Series) -> list:
    values = series.astype(object)
    return values.where(series.notna().to_numpy(), None).tolist()


def family_rows(keluarga: gpd.GeoDataFrame, sandi: Sandi) -> Iterator[tuple]:
    """Yield one workspace row per family, personal columns sealed.

    Parameters
    ----------
    keluarga : geopandas.GeoDataFrame
        Placed families in EPSG:4326 with ``kode_desa``, ``_baris`` and ``desil`` (Int64).
    sandi : Sandi
        The workspace cipher.

    Yields
    ------
    tuple
        ``(kode_desa, baris, desil, atribut, pribadi)``: ``atribut`` the JSON list of the
        clear columns, ``pribadi`` the sealed JSON list of the personal columns followed by
        the point's WKB in hex (None without a point).
    """
    clear, sealed = split_columns(list(keluarga.columns))
    cols_clear = [_column(keluarga[c]) for c in clear]
    cols_sealed = [_column(keluarga[c]) for c in sealed]
    geom = keluarga.geometry
    wkb = shapely.to_wkb(geom.to_numpy(), hex=True)
    wkb = [w if ok else None for w, ok in zip(wkb, geom.notna().to_numpy(), strict=True)]
    kode = keluarga["kode_desa"].astype(str).tolist()
    baris = keluarga["_baris"].astype("int64").tolist()
    desil = _column(keluarga["desil"])
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_py).encode
    for i, k in enumerate(kode):
        atribut = dumps([c[i] for c in cols_clear])
        pribadi = sandi.seal([*(c[i] for c in cols_sealed), wkb[i]], "keluarga", k)
        yield k, baris[i], desil[i], atribut, pribadi


def frame_from_rows(rows: Sequence[tuple], kolom: dict[str, str], sandi: Sandi) -> gpd.GeoDataFrame:
    """Rebuild the placed-family table from workspace rows.

    Parameters
    ----------
    rows : sequence of tuple
        ``(id, kode_desa, atribut, pribadi)`` as read from the ``keluarga`` table.
    kolom : dict
        Column -> dtype of the imported table, in order (the snapshot's ``kolom``).
    sandi : Sandi
        The workspace cipher (the key used at import).

    Returns
    -------
    geopandas.GeoDataFrame
        The families (EPSG:4326) with the imported columns and dtypes, plus ``_id_ruang``
        (the workspace row id, the key of a verification result).

    Raises
    ------
    WorkspaceError
        When the key is not the one used at import.
    """
    clear, sealed = split_columns([c for c in kolom if c != "geometry"])
    ids = [r[0] for r in rows]
    # One JSON parse for all rows (a list of lists) instead of one per row, then a transpose
    # in C (zip): opening 300,000 families is bound by this, not by the decryption.
    clear_rows = json.loads("[" + ",".join(r[2] for r in rows) + "]")
    raw = b",".join(sandi.open_raw(r[3], "keluarga", r[1]) for r in rows)
    sealed_rows = json.loads(b"[" + raw + b"]")
    n_clear, n_sealed = len(clear), len(sealed) + 1
    clear_cols = list(zip(*clear_rows, strict=True)) if rows else [()] * n_clear
    sealed_cols = list(zip(*sealed_rows, strict=True)) if rows else [()] * n_sealed
    data: dict[str, object] = {"_id_ruang": ids}
    for c, values in zip(clear, clear_cols, strict=True):
        data[c] = _typed(pd.Series(values, dtype=object), kolom[c])
    for c, values in zip(sealed, sealed_cols[: len(sealed)], strict=True):
        data[c] = _typed(pd.Series(values, dtype=object), kolom[c])
    geometry = shapely.from_wkb(np.array(sealed_cols[len(sealed)], dtype=object))
    frame = pd.DataFrame(data)
    order = ["_id_ruang", *(c for c in kolom if c != "geometry")]
    return gpd.GeoDataFrame(frame[order], geometry=geometry, crs="EPSG:4326")


def _typed(series: pd.Series, dtype: str) -> pd.Series:
    if dtype == "bool":
        return series.fillna(False).astype(bool)
    if dtype == "object":
        return series.astype(object)
    return series.astype(dtype)
