"""Map of change between snapshots: a :class:`targeting.mapspec.MapSpec` drawn by :mod:`targeting.maps`.

Each desa is coloured by the change in its desil-1 families, first snapshot to last, on a
diverging scale: fewer families green, more red, no change a pale grey. Hover and click
(popup) show the counts behind it. The spec reuses the desa layer, legend and renderer of
the main map; it has no overlays.
"""

from __future__ import annotations

import html
import math

import geopandas as gpd
import pandas as pd

from targeting.banding import Perbandingan, peta_perubahan
from targeting.format import angka
from targeting.mapspec import DesaLayer, Kelas, Legend, MapSettings, MapSpec, Tooltip

__all__ = ["WARNA_DIVERGEN", "kelas_divergen", "peta_spec"]

WARNA_DIVERGEN = ("#1a9641", "#a6d96a", "#f0f0f0", "#fdae61", "#d7191c")
"""Fewer (green) -> no change (grey) -> more (red): ColorBrewer RdYlGn, reversed, grey centre."""

_FIELDS = (
    ("desa", "Desa"), ("kecamatan", "Kecamatan"), ("t_sebelum", "Desil 1 sebelum"),
    ("t_sesudah", "Desil 1 sesudah"), ("t_ubah", "Perubahan"), ("t_keluar", "Keluar desil 1"),
    ("t_masuk", "Masuk dari desil lain"), ("t_baru", "Baru di daftar"),
    ("t_tidak_lagi", "Tidak lagi di daftar"), ("t_pindah", "Pindah ke desa lain"),
)  # fmt: skip


def kelas_divergen(perubahan: pd.Series) -> Kelas:
    """Five diverging classes of a change in counts, symmetric around zero.

    Parameters
    ----------
    perubahan : pandas.Series
        Change per desa (after minus before), whole numbers.

    Returns
    -------
    Kelas
        Breaks ``(-m, -k, 0, 1, k + 1, m)`` with ``k`` about a third of the largest absolute
        change (at least 1) and ``m`` above ``k + 1``: fewer by more than ``k``, fewer, no
        change (``[0, 1)``), more, more by more than ``k``; colours :data:`WARNA_DIVERGEN`.
        An analytic choice: the same distance from zero gets the same strength either way.
    """
    top = int(perubahan.abs().max()) if len(perubahan) else 0
    k = max(1, math.ceil(top / 3))
    m = max(top, k + 2)
    return Kelas((float(-m), float(-k), 0.0, 1.0, float(k + 1), float(m)), WARNA_DIVERGEN)


def _texts(desa: pd.DataFrame) -> pd.DataFrame:
    """Format and escape the tooltip texts of each desa."""
    ubah = desa["perubahan_desil_1"]
    return pd.DataFrame(
        {
            "desa": desa["desa"].map(lambda v: html.escape(str(v))),
            "kecamatan": desa["kecamatan"].map(lambda v: html.escape(str(v))),
            "t_sebelum": desa["desil_1_sebelum"].map(angka),
            "t_sesudah": desa["desil_1_sesudah"].map(angka),
            "t_ubah": [f"+{angka(v)}" if v > 0 else angka(v) for v in ubah],
            "t_keluar": desa["keluar_desil_1"].map(angka),
            "t_masuk": desa["masuk_desil_1"].map(angka),
            "t_baru": desa["baru_di_daftar"].map(angka),
            "t_tidak_lagi": desa["tidak_lagi_di_daftar"].map(angka),
            "t_pindah": desa["pindah_desa"].map(angka),
        },
        index=desa.index,
    )


def peta_spec(perbandingan: Perbandingan, settings: MapSettings | None = None) -> MapSpec:
    """Build the map of change (first snapshot to last) as a map spec.

    Parameters
    ----------
    perbandingan : Perbandingan
        The comparison.
    settings : MapSettings, optional
        Display options (height, local Leaflet, basemap); ``kolom`` and ``kelas`` are not
        used. Default: popups on, legend in the map.

    Returns
    -------
    MapSpec
        One desa layer (EPSG:4326, ``kode_desa`` and the tooltip texts), diverging colours
        (:func:`kelas_divergen`), tooltip and popup with the counts, no overlays.
    """
    settings = settings or MapSettings()
    layer = peta_perubahan(perbandingan)
    kelas = kelas_divergen(layer["perubahan_desil_1"])
    data = gpd.GeoDataFrame(
        pd.concat([layer[["kode_desa"]], _texts(layer)], axis=1), geometry=layer.geometry, crs=4326
    )
    colours = dict(
        zip(
            layer["kode_desa"],
            map(kelas.colour, layer["perubahan_desil_1"].astype(float)),
            strict=True,
        )
    )
    tip = Tooltip(tuple(f for f, _ in _FIELDS), tuple(a for _, a in _FIELDS))
    labels = perbandingan.label()
    legend = Legend(f"Perubahan keluarga desil 1, {labels[0]} → {labels[-1]}", kelas, integer=True)
    bounds = tuple(float(x) for x in data.total_bounds) if len(data) else None
    return MapSpec(
        desa=DesaLayer(data=data, colours=colours, tooltip=tip, popup=tip if settings.popup else None),
        available={}, overlays=(), legend=legend, prioritas=None,
        bounds=bounds, settings=settings,  # type: ignore[arg-type]
    )  # fmt: skip
