"""The map as data: layers, styles, legend and tooltips of an analysis, apart from drawing.

:func:`map_spec` turns an analysis (:class:`MapData`, from a pipeline result with
:meth:`MapData.from_result`) and the planner's choices (:class:`MapSettings`) into a
:class:`MapSpec`: plain dataclasses that say which layers a map has, which desa each outlines
and in which colour, what the legend lists (with counts) and which fields the tooltips show.
Nothing here knows folium; :func:`targeting.maps.render` draws a spec. Tests can check a map
without rendering it.

A new overlay layer is one function added to :data:`LAYER_BUILDERS` (it returns
:class:`OutlineLayer` or :class:`ClusterLayer` specs with their own legend entries); the
renderer draws every spec of a known kind.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import DISPLAY_CRS, to_display
from targeting.format import angka, persen, rupiah
from targeting.strategies import INPRES, PERMENDAGRI

__all__ = [
    "DESA_TOOLTIP",
    "INDIKATOR_PETA",
    "KANTONG_COLOURS",
    "KANTONG_LEGENDA",
    "KLASTER_COLOUR",
    "LAPISAN_KANTONG",
    "LAPISAN_KLASTER",
    "LAPISAN_PRIORITAS",
    "LAPISAN_VERIFIKASI",
    "LAYER_BUILDERS",
    "LOKUS_COLOURS",
    "NO_DATA_COLOUR",
    "PALETTE",
    "PRIORITAS_COLOUR",
    "TAMPILAN_TOLERANSI_M",
    "VERIFIKASI_KELAS",
    "ClusterLayer",
    "DesaLayer",
    "Kelas",
    "Layer",
    "Legend",
    "LegendEntry",
    "MapData",
    "MapSettings",
    "MapSpec",
    "OutlineLayer",
    "SelectionLayer",
    "Tooltip",
    "available_layers",
    "class_breaks",
    "display_geometry",
    "lapisan_lokus",
    "map_spec",
    "priority_layer",
    "selected_layer",
    "sub_kegiatan_text",
]

PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
"""ColorBrewer YlOrRd, 5 classes (Cynthia Brewer, colorbrewer2.org, Apache 2.0)."""

NO_DATA_COLOUR = "#9e9e9e"
"""Grey for desa without P3KE rows or without a denominator; drawn with a dashed outline."""

KANTONG_COLOURS = {
    "panas": "#7a0177",
    "pencilan tinggi": "#c51b7d",
    "pencilan rendah": "#66c2a5",
    "dingin": "#2166ac",
}
"""Outline colours of the significant pocket labels on the map: purple for pockets, pink for a
poor desa among better-off ones, teal for a better-off desa among poor ones, blue for cold."""

KANTONG_LEGENDA = {
    "panas": "Kantong desa (panas)",
    "pencilan tinggi": "Pencilan tinggi (miskin di antara sejahtera)",
    "pencilan rendah": "Pencilan rendah (sejahtera di antara miskin)",
    "dingin": "Desa dingin",
}
"""Legend entries of the pocket labels, with the number of desa appended on the map."""

LOKUS_COLOURS = {int(st.kode): st.warna for st in INPRES.strategi}
"""Outline colours of the Inpres strategy lokus layers (ColorBrewer Dark2); Permendagri P1-P4
colours are in :data:`targeting.strategies.PERMENDAGRI`."""

STRATEGI_SINGKAT = {int(st.kode): st.singkat for st in INPRES.strategi}
"""Short labels of the Inpres 4/2022 strategies for map layers."""


def _lokus_layers(lokus: pd.DataFrame) -> list[tuple[str, str, str, float, set[str]]]:
    """Lokus layers: (code, name, colour, weight, desa codes), in the register's own scheme.

    A register tagged P1-P4 gets the four Permendagri layers (P4 included); otherwise the three
    Inpres layers. Rows of the other scheme in a mixed register are drawn by their Inpres
    strategy when they have one.
    """
    permendagri = "skema" in lokus.columns and (lokus["skema"] == PERMENDAGRI.nama).any()
    scheme = PERMENDAGRI if permendagri else INPRES
    column = "strategi_kode" if permendagri else "strategi"
    values = lokus[column].astype(str)
    weights = (5.5, 4.0, 3.0, 2.5)
    return [
        (st.kode, f"Lokus strategi {st.kode}: {st.singkat}", st.warna, weights[i],
         set(lokus.loc[(values == st.kode).to_numpy(), "kode_desa"].astype(str)))
        for i, st in enumerate(scheme.strategi)
    ]  # fmt: skip


KLASTER_COLOUR = "#542788"
"""Fill of household-cluster pocket polygons."""

TAMPILAN_TOLERANSI_M = 50.0
"""Metres by which desa outlines may move when simplified for display (the analysis keeps the
full geometry). At the district's usual zoom (9-13) a screen pixel covers 20-300 m, so the
outline looks the same; zoomed in on one desa, neighbouring outlines may part by up to this
much. A choice of display only."""

TAMPILAN_DESIMAL = 4
"""Decimal places of longitude/latitude sent to the browser (1e-4 degree is about 11 m, well
inside the simplification tolerance)."""


def _rounded(geoms: np.ndarray) -> np.ndarray:
    """Coordinates rounded to :data:`TAMPILAN_DESIMAL` decimals (display only)."""
    return shapely.transform(geoms, lambda xy: np.round(xy, TAMPILAN_DESIMAL))


def display_geometry(
    desa: gpd.GeoDataFrame,
    *,
    metric_crs: object | None = None,
    toleransi_m: float = TAMPILAN_TOLERANSI_M,
) -> gpd.GeoSeries:
    """Desa outlines for the browser: simplified in metres, coordinates rounded.

    Parameters
    ----------
    desa : geopandas.GeoDataFrame
        Desa polygons with ``kode_desa``, any CRS (required).
    metric_crs : pyproj.CRS or str, optional
        Metric CRS for the tolerance; default: the UTM zone of the polygons.
    toleransi_m : float, default :data:`TAMPILAN_TOLERANSI_M`
        Douglas-Peucker tolerance in metres (topology preserved within each desa, so no
        polygon or island disappears).

    Returns
    -------
    geopandas.GeoSeries
        EPSG:4326, indexed by ``kode_desa``, coordinates rounded to :data:`TAMPILAN_DESIMAL`
        decimals. Compute it once per data set and pass it in :class:`MapData`
        (``tampilan``); the pipeline keeps it on its result.
    """
    metric = metric_crs or desa.estimate_utm_crs()
    simple = desa.geometry.to_crs(metric).simplify(toleransi_m, preserve_topology=True)
    shown = simple.to_crs(DISPLAY_CRS)
    rounded = _rounded(shown.to_numpy())
    return gpd.GeoSeries(
        rounded, index=pd.Index(desa["kode_desa"], name="kode_desa"), crs=DISPLAY_CRS
    )


PRIORITAS_COLOUR = "#000000"
"""Outline of the chosen priority desa (black: distinct from the YlOrRd fill and from the
purple pocket, cluster and the Dark2 strategy outlines)."""


LAPISAN_KANTONG = "Kantong desa (panas/pencilan/dingin)"
LAPISAN_KLASTER = "Klaster keluarga desil 1"
LAPISAN_PRIORITAS = "Desa prioritas terpilih"
LAPISAN_VERIFIKASI = "Progres verifikasi musdes"
VERIFIKASI_KELAS = (
    (100.0, "#08519c", "Selesai diverifikasi (100%)"),
    (50.0, "#4292c6", "Sebagian besar (50-99%)"),
    (0.0, "#9ecae1", "Baru sedikit (di bawah 50%)"),
)
"""Verification progress classes: lowest share of the list verified, fill colour of the desa
returned (ColorBrewer Blues: a hue the YlOrRd choropleth under it never uses, darker = more
verified), legend label."""


def lapisan_lokus(strategi: int | str) -> str:
    """Name of the lokus outline layer of one strategy (Inpres 1-3 or Permendagri P1-P4)."""
    for scheme in (INPRES, PERMENDAGRI):
        for st in scheme.strategi:
            if st.kode == str(strategi):
                return f"Lokus strategi {st.kode}: {st.singkat}"
    msg = f"unknown strategy {strategi!r}: expected 1-3 (Inpres 4/2022) or P1-P4"
    raise ValueError(msg)


INDIKATOR_PETA: dict[str, str] = {
    "persen_desil_1": "Keluarga desil 1 per 100 keluarga",
    "keluarga_desil_1": "Jumlah keluarga desil 1",
}
"""Indicators the choropleth can show: column -> legend title (Bahasa Indonesia)."""


@dataclass(frozen=True)
class Kelas:
    """Class breaks of a choropleth.

    Attributes
    ----------
    batas : tuple of float
        ``k + 1`` increasing break values; class ``i`` is ``batas[i] <= x <= batas[i+1]``
        (left-closed except the first, which includes its lower edge). Empty when no desa
        has a value (:attr:`kosong`).
    warna : tuple of str
        ``k`` hex colours.
    """

    batas: tuple[float, ...]
    warna: tuple[str, ...]

    @property
    def kosong(self) -> bool:
        """Tell whether there is no class because no desa has a value."""
        return not self.warna

    def colour(self, value: float | None) -> str:
        """Colour of one value; :data:`NO_DATA_COLOUR` for None/NaN.

        Parameters
        ----------
        value : float or None
            Indicator value.

        Returns
        -------
        str
            Hex colour.
        """
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return NO_DATA_COLOUR
        if self.kosong:  # classes of no value at all: nothing to rank against
            return PALETTE[0]
        i = int(np.searchsorted(np.asarray(self.batas[1:-1]), value, side="right"))
        return self.warna[min(i, len(self.warna) - 1)]


def class_breaks(values: pd.Series, k: int = 5, *, integer: bool = False) -> Kelas:
    """Quantile class breaks over the values that exist.

    Parameters
    ----------
    values : pandas.Series
        Indicator values; NaN ignored.
    k : int, default 5
        Wanted number of classes (fewer when values repeat).
    integer : bool, default False
        Round breaks to whole numbers (counts of households).

    Returns
    -------
    Kelas
        Breaks and colours. With no finite value, no class at all (``Kelas.kosong``): the
        legend then says there is no data instead of showing a class "0 – 0".

    Notes
    -----
    Quantile classes put about the same number of desa in each colour, so a skewed indicator
    (a few pocket desa far above the rest) still separates the middle. An analytic choice.
    """
    finite = values.astype("float64").dropna().to_numpy()
    if finite.size == 0:
        return Kelas((), ())
    qs = np.quantile(finite, np.linspace(0, 1, k + 1))
    qs = np.round(qs) if integer else np.round(qs, 1)
    qs[0] = math.floor(finite.min() * 10) / 10 if not integer else math.floor(finite.min())
    qs[-1] = math.ceil(finite.max() * 10) / 10 if not integer else math.ceil(finite.max())
    edges = tuple(float(x) for x in np.unique(qs))
    if len(edges) == 1:
        edges = (edges[0], edges[0])
    n = len(edges) - 1
    # One class says nothing about high or low: all zero is the lightest colour, any other
    # single value the middle one (never the darkest, which reads as "worst").
    single = [0] if edges[-1] == 0 else [len(PALETTE) // 2]
    pick = np.round(np.linspace(0, len(PALETTE) - 1, n)).astype(int) if n > 1 else single
    return Kelas(edges, tuple(PALETTE[i] for i in pick))


def sub_kegiatan_text(lokus: pd.DataFrame, kode_desa: pd.Series | list[str]) -> list[str]:
    """One line per desa listing its sub-activities (at most 8, largest pagu first).

    Parameters
    ----------
    lokus : pandas.DataFrame
        :func:`targeting.interventions.lokus_long` (``kode_desa``, ``strategi``,
        ``nama_sub_kegiatan``, ``opd``, ``pagu_rp``).
    kode_desa : sequence of str
        Desa codes, in the wanted order.

    Returns
    -------
    list of str
        Plain text (not escaped), e.g. ``"S3 Bedah rumah (Dinas Perkim, Rp 150.000.000)"``.
    """
    # One pass over the register (grouped once), not one filter of it per desa.
    if "strategi_kode" not in lokus.columns:
        lokus = lokus.assign(strategi_kode=lokus["strategi"].astype(str))
    cols = ["kode_desa", "strategi_kode", "nama_sub_kegiatan", "opd", "pagu_rp"]
    by_desa = {
        str(k): list(g.sort_values("pagu_rp", ascending=False).itertuples(index=False))
        for k, g in lokus[cols].groupby("kode_desa", sort=False)
    }

    def listing(kode: str) -> str:
        rows = by_desa.get(kode, [])
        if not rows:
            return "tidak ada sub kegiatan berlokus di desa ini"
        items = [
            f"{'' if str(r.strategi_kode).startswith('P') else 'S'}{r.strategi_kode} "
            f"{r.nama_sub_kegiatan} ({r.opd}, {rupiah(float(r.pagu_rp))})"
            for r in rows[:8]
        ]
        more = f" … dan {len(rows) - 8} lagi" if len(rows) > 8 else ""
        return "; ".join(items) + more

    return [listing(str(k)) for k in kode_desa]


# --- The spec: plain data a renderer draws -------------------------------------------------


@dataclass(frozen=True)
class Tooltip:
    """Fields of a feature shown on hover (or in a click popup), with their labels.

    Attributes
    ----------
    fields : tuple of str
        Property names of the layer's features (texts already formatted and HTML-escaped).
    aliases : tuple of str
        Labels in Bahasa Indonesia, one per field.
    """

    fields: tuple[str, ...]
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class LegendEntry:
    """One line of the legend below the colour classes.

    Attributes
    ----------
    colour : str
        Hex colour of the swatch.
    label : str
        Text (plain, escaped by the renderer), counts included, e.g. ``"Desa dingin: 2 desa"``.
    swatch : {"dashed", "solid", "fill"}
        A dashed outline (pocket and lokus outlines), a solid outline (chosen priority desa) or
        a filled box (household clusters).
    count : int or None
        Number of desa or clusters behind the entry, where the legend counts them.
    """

    colour: str
    label: str
    swatch: Literal["dashed", "solid", "fill"] = "dashed"
    count: int | None = None


@dataclass(frozen=True, eq=False)
class OutlineLayer:
    """An overlay outlining some desa of the desa layer (drawn from its features).

    Attributes
    ----------
    name : str
        Layer name (layer buttons, layer control).
    show : bool
        Shown when the map opens.
    styles : mapping of str to dict
        ``kode_desa`` -> Leaflet path style of the desa outlined (only desa on the map).
    legend : tuple of LegendEntry
        What the legend lists for this layer.
    """

    name: str
    show: bool
    styles: Mapping[str, Mapping[str, Any]]
    legend: tuple[LegendEntry, ...] = ()

    @property
    def n(self) -> int:
        """Number of desa outlined."""
        return len(self.styles)


@dataclass(frozen=True, eq=False)
class ClusterLayer:
    """Household-cluster polygons with a marker each.

    Attributes
    ----------
    name, show, legend
        As for :class:`OutlineLayer`.
    data : geopandas.GeoDataFrame
        EPSG:4326, one row per cluster: ``id_kantong``, ``desa``, ``t_keluarga``,
        ``t_kekurangan`` (and ``t_aturan`` when popups are wanted), texts escaped.
    tooltip, marker_tooltip : Tooltip
        Hover fields of the polygons and of the markers.
    popup : Tooltip or None
        Click popup fields (stand-alone map file), None in the app.
    colour : str
        Fill and outline colour.
    """

    name: str
    show: bool
    data: gpd.GeoDataFrame
    tooltip: Tooltip
    marker_tooltip: Tooltip
    popup: Tooltip | None
    colour: str = KLASTER_COLOUR
    legend: tuple[LegendEntry, ...] = ()

    @property
    def n(self) -> int:
        """Number of clusters drawn."""
        return len(self.data)


Layer = OutlineLayer | ClusterLayer
"""An overlay of a map spec."""


@dataclass(frozen=True, eq=False)
class SelectionLayer:
    """Desa drawn as a layer of their own (chosen priority desa, the desa picked on the map).

    Attributes
    ----------
    name : str
        Layer name.
    data : geopandas.GeoDataFrame
        EPSG:4326, ``kode_desa`` and the tooltip fields, display outlines.
    style : dict
        Leaflet path style of every feature.
    tooltip : Tooltip or None
        Hover fields; None for a layer that takes no mouse events.
    legend : tuple of LegendEntry
        Legend lines (the in-map legend of the chosen priority desa).
    """

    name: str
    data: gpd.GeoDataFrame
    style: Mapping[str, Any]
    tooltip: Tooltip | None = None
    legend: tuple[LegendEntry, ...] = ()

    @property
    def n(self) -> int:
        """Number of desa in the layer."""
        return len(self.data)


@dataclass(frozen=True, eq=False)
class DesaLayer:
    """The choropleth: one feature per desa with its colour, tooltip and optional popup.

    Attributes
    ----------
    data : geopandas.GeoDataFrame
        EPSG:4326 display outlines with ``kode_desa``, ``desa``, ``kecamatan``, ``t_d1``,
        ``t_persen`` (and ``t_kantong``, ``t_alasan``, ``t_subkeg`` for a popup), escaped.
    colours : dict of str to str
        ``kode_desa`` -> fill colour (:data:`NO_DATA_COLOUR` without a value).
    tooltip : Tooltip
        Hover fields (name, kecamatan, share, count).
    popup : Tooltip or None
        Click popup fields (stand-alone map), None when there is nothing more to say or in
        the app (a click there selects the desa).
    """

    data: gpd.GeoDataFrame
    colours: Mapping[str, str]
    tooltip: Tooltip
    popup: Tooltip | None = None

    def style(self, kode_desa: str) -> dict[str, Any]:
        """Leaflet path style of one desa: its class colour, dashed grey without data."""
        colour = self.colours.get(kode_desa, NO_DATA_COLOUR)
        no_data = colour == NO_DATA_COLOUR
        return {
            "className": "lokus-desa",
            "fillColor": colour,
            "color": "#555555" if no_data else "#444444",
            "weight": 0.8,
            "dashArray": "4 3" if no_data else None,
            "fillOpacity": 0.55 if no_data else 0.8,
        }


@dataclass(frozen=True)
class Legend:
    """The legend: title, colour classes, a no-data line and the overlay entries."""

    title: str
    kelas: Kelas
    integer: bool
    entries: tuple[LegendEntry, ...] = ()


@dataclass(frozen=True)
class MapSettings:
    """What the planner chose to see, and how the map is shown.

    Attributes
    ----------
    kolom : str, default "persen_desil_1"
        Indicator coloured, a key of :data:`INDIKATOR_PETA`.
    kelas : Kelas, optional
        Class breaks (e.g. of the whole district, so that a filtered view keeps its colours);
        default: quantiles of the desa shown.
    lapisan : collection of str, optional
        Overlay layers to draw, all shown; default: every available layer with its default
        visibility (:attr:`MapSpec.available`).
    popup : bool, default True
        Click popups (stand-alone map file); the app passes False.
    prioritas : tuple of str, default ()
        ``kode_desa`` of the chosen priority desa, outlined in black (:data:`LAPISAN_PRIORITAS`).
    peringkat : dict, optional
        ``kode_desa`` -> rank, in the priority layer's tooltip.
    height : int, default 560
        Map height in pixels.
    asset_base, basemap : str, optional
        URL folder of ``leaflet.js``/``leaflet.css`` (None: folium's CDN); a tile name such as
        ``"OpenStreetMap"`` (None: no tiles, works offline).
    kontrol_lapisan, legenda : bool, default True
        Leaflet's layer control and the in-map legend; the app draws both beside the map.
    pandangan : str, optional
        Key under which the browser tab keeps the map's centre and zoom; None fits the desa.
    judul : tuple of (str, str), optional
        Title and note written on the map (stand-alone file), plain text.
    fokus_prioritas : bool, default False
        Open on the chosen priority desa instead of the whole district.
    halaman_penuh : bool, default False
        The map fills its page (stand-alone file).
    """

    kolom: str = "persen_desil_1"
    kelas: Kelas | None = None
    lapisan: Collection[str] | None = None
    popup: bool = True
    prioritas: tuple[str, ...] = ()
    peringkat: Mapping[str, Any] | None = None
    height: int = 560
    asset_base: str | None = None
    basemap: str | None = None
    kontrol_lapisan: bool = True
    legenda: bool = True
    pandangan: str | None = None
    judul: tuple[str, str] | None = None
    fokus_prioritas: bool = False
    halaman_penuh: bool = False


@dataclass(frozen=True, eq=False)
class MapSpec:
    """A whole map as data; :func:`targeting.maps.render` draws it with folium.

    Attributes
    ----------
    desa : DesaLayer
        The choropleth.
    available : dict of str to bool
        Every overlay this analysis can draw -> shown by default, in drawing order (the layer
        buttons offer these).
    overlays : tuple of OutlineLayer or ClusterLayer
        The overlays chosen, in drawing order, with their visibility at start.
    legend : Legend
        Classes and the entries of the chosen overlays, counted over the desa shown.
    prioritas : SelectionLayer or None
        The chosen priority desa on the map, when any.
    bounds : tuple of float or None
        ``(minx, miny, maxx, maxy)`` in EPSG:4326 to fit (None: no finite bounds).
    settings : MapSettings
        The settings the spec was built with (display options for the renderer).
    """

    desa: DesaLayer
    available: dict[str, bool]
    overlays: tuple[Layer, ...]
    legend: Legend
    prioritas: SelectionLayer | None
    bounds: tuple[float, float, float, float] | None
    settings: MapSettings = field(default_factory=MapSettings)

    def layer(self, name: str) -> Layer | SelectionLayer:
        """Find the overlay (or priority layer) called ``name``; KeyError when not drawn."""
        for lay in (*self.overlays, self.prioritas):
            if lay is not None and lay.name == name:
                return lay
        raise KeyError(name)


@dataclass(frozen=True, eq=False)
class MapData:
    """What a map draws from an analysis, in one place.

    Attributes
    ----------
    indikator : geopandas.GeoDataFrame
        :func:`targeting.indicators.desa_indicators` of the desa shown (any CRS), possibly
        filtered; ``kode_desa``, ``desa``, ``kecamatan``, ``ada_data``, ``keluarga_desil_1``,
        ``persen_desil_1``.
    kantong : geopandas.GeoDataFrame, optional
        ``PocketResult.desa`` of the whole district (pocket labels and reasons).
    klaster : geopandas.GeoDataFrame, optional
        ``PocketResult.klaster`` (household-cluster polygons); only those in the desa shown
        are drawn.
    klaster_aturan : str, optional
        The cluster rule text (popup).
    lokus : pandas.DataFrame, optional
        :func:`targeting.interventions.lokus_long` of the register (one outline layer per
        strategy, sub-activities in the popup).
    tampilan : geopandas.GeoSeries, optional
        :func:`display_geometry` of the desa, built once per data set (default: computed).
    """

    indikator: gpd.GeoDataFrame
    kantong: gpd.GeoDataFrame | None = None
    klaster: gpd.GeoDataFrame | None = None
    klaster_aturan: str | None = None
    lokus: pd.DataFrame | None = None
    tampilan: gpd.GeoSeries | None = None
    verifikasi: pd.DataFrame | None = None
    """:func:`targeting.verifikasi.progres_desa`: ``kode_desa``, ``persen_diverifikasi``
    (0-100) of the desa whose verification workbook came back (issue 17)."""

    @classmethod
    def from_result(cls, result: Any, indikator: gpd.GeoDataFrame | None = None) -> MapData:
        """Take the map's parts from a pipeline result (``targeting.pipeline.Result``).

        Parameters
        ----------
        result : targeting.pipeline.Result
            Read for ``indikator``, ``kantong`` (``desa``, ``klaster``,
            ``parameter["aturan_klaster"]``), ``register`` and ``tampilan``.
        indikator : geopandas.GeoDataFrame, optional
            The desa to show (e.g. one kecamatan); default: every desa of the result.

        Returns
        -------
        MapData
        """
        from targeting.interventions import lokus_long

        k = result.kantong
        return cls(
            indikator=result.indikator if indikator is None else indikator,
            kantong=k.desa if k is not None else None,
            klaster=k.klaster if k is not None else None,
            klaster_aturan=k.parameter.get("aturan_klaster") if k is not None else None,
            lokus=lokus_long(result.register.register) if result.register is not None else None,
            tampilan=result.tampilan,
        )


# --- Layer builders: one function per kind of overlay ---------------------------------------

LayerBuilder = Callable[[MapData, frozenset[str], bool], list[Layer]]
"""``(data, codes of the desa shown, popup wanted) -> overlays`` this analysis can draw."""


def _pocket_layers(data: MapData, codes: frozenset[str], _popup: bool) -> list[Layer]:
    """Outlines of the significant pocket labels (hot, outliers, cold), counted per label."""
    k = data.kantong
    if k is None or not k["kantong"].isin(list(KANTONG_COLOURS)).any():
        return []
    shown = k[k["kantong"].isin(list(KANTONG_COLOURS)) & k["kode_desa"].isin(codes)]
    counts = shown["kantong"].value_counts()
    styles = {
        str(kode): {"fill": False, "color": KANTONG_COLOURS[lab], "weight": 3.5, "dashArray": "6 4"}
        for kode, lab in zip(shown["kode_desa"], shown["kantong"], strict=True)
    }
    legend = tuple(
        LegendEntry(colour, f"{KANTONG_LEGENDA[lab]}: {counts[lab]} desa", count=int(counts[lab]))
        for lab, colour in KANTONG_COLOURS.items()
        if counts.get(lab, 0)
    )
    return [OutlineLayer(LAPISAN_KANTONG, True, styles, legend)]


def _lokus_overlays(data: MapData, codes: frozenset[str], _popup: bool) -> list[Layer]:
    """One outline layer per strategy of the register's scheme that has lokus desa."""
    if data.lokus is None:
        return []
    out: list[Layer] = []
    for kode_s, name, colour, weight, desa_codes in _lokus_layers(data.lokus):
        if not desa_codes:
            continue
        shown = sorted(desa_codes & codes)
        style = {"fill": False, "color": colour, "weight": weight, "opacity": 0.85}
        entry = LegendEntry(colour, f"Lokus strategi {kode_s}", count=len(shown))
        out.append(OutlineLayer(name, kode_s in ("3", "P4"), dict.fromkeys(shown, style), (entry,)))
    return out


def _cluster_overlays(data: MapData, codes: frozenset[str], popup: bool) -> list[Layer]:
    """Household-cluster pockets in the desa shown (they follow a kecamatan filter)."""
    if data.klaster is None:
        return []
    klaster = data.klaster[data.klaster["kode_desa"].isin(codes)]
    if not len(klaster):
        return []
    layer = gpd.GeoDataFrame(
        {
            "id_kantong": klaster["id_kantong"].astype(str).to_numpy(),
            "desa": klaster["desa"].astype(str).map(html.escape).to_numpy(),
            "t_keluarga": klaster["keluarga_desil_1"].map(angka).to_numpy(),
            "t_kekurangan": klaster["kekurangan_utama"].astype(str).map(html.escape).to_numpy(),
        },
        geometry=_rounded(to_display(klaster).geometry.to_numpy()),
        crs=DISPLAY_CRS,
    )
    fields = ("id_kantong", "desa", "t_keluarga", "t_kekurangan")
    aliases = ("Klaster", "Desa", "Keluarga desil 1", "Kekurangan utama")
    pop = None
    if popup:
        aturan = data.klaster_aturan or "klaster keluarga desil 1 (DBSCAN)"
        layer.insert(4, "t_aturan", html.escape(aturan))
        pop = Tooltip((*fields, "t_aturan"), (*aliases, "Mengapa"))
    return [
        ClusterLayer(
            LAPISAN_KLASTER, True, layer, Tooltip(fields, aliases),
            Tooltip(fields[:3], aliases[:3]), pop,
            legend=(LegendEntry(KLASTER_COLOUR, LAPISAN_KLASTER, "fill", count=len(layer)),),
        )
    ]  # fmt: skip


def _verification_layer(data: MapData, codes: frozenset[str], _popup: bool) -> list[Layer]:
    """Fill the desa whose verification came back by the share verified."""
    v = data.verifikasi
    if v is None or not len(v):
        return []
    shown = v[v["kode_desa"].astype(str).isin(codes)]
    styles: dict[str, dict[str, Any]] = {}
    counts = dict.fromkeys(range(len(VERIFIKASI_KELAS)), 0)
    for kode, share in zip(shown["kode_desa"], shown["persen_diverifikasi"], strict=True):
        i = next(i for i, (low, _c, _l) in enumerate(VERIFIKASI_KELAS) if float(share) >= low)
        counts[i] += 1
        styles[str(kode)] = {"fill": True, "fillColor": VERIFIKASI_KELAS[i][1],
                             "fillOpacity": 0.9, "color": "#222222", "weight": 2.5}  # fmt: skip
    legend = tuple(
        LegendEntry(colour, f"{label}: {counts[i]} desa", "fill", count=counts[i])
        for i, (_low, colour, label) in enumerate(VERIFIKASI_KELAS)
        if counts[i]
    )
    return [OutlineLayer(LAPISAN_VERIFIKASI, True, styles, legend)]


LAYER_BUILDERS: tuple[LayerBuilder, ...] = (
    _pocket_layers, _lokus_overlays, _cluster_overlays, _verification_layer,
)  # fmt: skip
"""The overlays a map can have, in drawing order. A new layer: one builder added here."""


def available_layers(data: MapData) -> dict[str, bool]:
    """Overlays a map of this analysis can draw, and whether each is shown at start.

    Parameters
    ----------
    data : MapData
        The analysis (its ``indikator`` are the desa shown).

    Returns
    -------
    dict of str to bool
        Layer name -> shown by default (of the lokus layers only Inpres strategy 3 /
        Permendagri P4), in drawing order; pass the wanted names as ``MapSettings.lapisan``.
    """
    codes = frozenset(data.indikator["kode_desa"].astype(str))
    return {lay.name: lay.show for b in LAYER_BUILDERS for lay in b(data, codes, False)}


# --- The desa layer and the selections --------------------------------------------------------


def _desa_properties(
    gdf: gpd.GeoDataFrame, data: MapData, popup: bool
) -> tuple[pd.DataFrame, Tooltip | None]:
    """Properties of the desa features (tooltip texts, and popup texts when ``popup``)."""
    props = pd.DataFrame(
        {
            "kode_desa": gdf["kode_desa"].astype(str),
            "desa": gdf["desa"].astype(str).map(html.escape),
            "kecamatan": gdf["kecamatan"].astype(str).map(html.escape),
            "t_d1": [
                angka(v) if ok else "–"
                for v, ok in zip(gdf["keluarga_desil_1"], gdf["ada_data"], strict=True)
            ],
            "t_persen": gdf["persen_desil_1"].map(lambda v: persen(None if pd.isna(v) else v)),
        }
    )
    if not popup:
        return props, None
    fields, aliases = ["desa"], ["Desa"]
    if data.kantong is not None:
        k = data.kantong.drop(columns="geometry").set_index("kode_desa")
        props["t_kantong"] = gdf["kode_desa"].map(k["kantong"]).fillna("tidak dinilai").to_numpy()
        props["t_alasan"] = (
            gdf["kode_desa"].map(k["alasan"]).fillna("").astype(str).map(html.escape).to_numpy()
        )
        fields += ["t_kantong", "t_alasan"]
        aliases += ["Kantong kemiskinan", "Mengapa"]
    if data.lokus is not None:
        props["t_subkeg"] = [
            html.escape(t) for t in sub_kegiatan_text(data.lokus, gdf["kode_desa"])
        ]
        fields.append("t_subkeg")
        aliases.append("Sub kegiatan di desa ini")
    if len(fields) == 1:
        return props, None
    return props, Tooltip(tuple(fields), tuple(aliases))


def _display_outlines(gdf: gpd.GeoDataFrame, tampilan: gpd.GeoSeries | None) -> np.ndarray:
    """Display outlines of ``gdf``'s desa (EPSG:4326); a desa not in ``tampilan`` keeps its own."""
    if tampilan is None:
        tampilan = display_geometry(gdf)
    shown = tampilan.reindex(gdf["kode_desa"].to_numpy()).to_numpy()
    return np.where(shapely.is_missing(shown), gdf.geometry.to_numpy(), shown)


DESA_TOOLTIP = Tooltip(
    ("desa", "kecamatan", "t_persen", "t_d1"),
    ("Desa", "Kecamatan", "Desil 1 per 100 keluarga", "Keluarga desil 1"),
)
"""Hover fields of a desa: name, kecamatan, share and count of desil-1 families."""


def priority_layer(
    data: MapData, kode_desa: Collection[str], peringkat: Mapping[str, Any] | None = None
) -> SelectionLayer:
    """Draw the chosen priority desa as a layer (black outline, class ``lokus-prioritas``).

    Parameters
    ----------
    data : MapData
        The analysis; desa chosen but not in ``data.indikator`` are left out.
    kode_desa : collection of str
        Dotted codes of the chosen desa.
    peringkat : mapping, optional
        ``kode_desa`` -> rank, shown in the tooltip ("–" without one).

    Returns
    -------
    SelectionLayer
        :data:`LAPISAN_PRIORITAS`, possibly empty; its legend entry counts the desa.
    """
    chosen = data.indikator[data.indikator["kode_desa"].isin(set(kode_desa))]
    gdf = to_display(chosen)
    ranks = peringkat or {}
    layer = gpd.GeoDataFrame(
        {
            "kode_desa": gdf["kode_desa"].astype(str).to_numpy(),
            "desa": gdf["desa"].astype(str).map(html.escape).to_numpy(),
            "t_peringkat": [
                "–" if pd.isna(ranks.get(k)) else str(ranks.get(k)) for k in gdf["kode_desa"]
            ],
        },
        geometry=_display_outlines(gdf, data.tampilan) if len(gdf) else [],
        crs=DISPLAY_CRS,
    )
    style = {
        "className": "lokus-prioritas",
        "fill": False,
        "color": PRIORITAS_COLOUR,
        "weight": 4,
        "opacity": 0.9,
    }
    entry = LegendEntry(
        PRIORITAS_COLOUR, f"{LAPISAN_PRIORITAS} ({len(layer)})", "solid", len(layer)
    )
    tip = Tooltip(("desa", "t_peringkat"), ("Desa prioritas", "Peringkat"))
    return SelectionLayer(LAPISAN_PRIORITAS, layer, style, tip, (entry,))


def selected_layer(spec: MapSpec, kode_desa: str | None) -> SelectionLayer:
    """Outline the desa picked on the map in blue ("Desa terpilih", not clickable).

    Parameters
    ----------
    spec : MapSpec
        The map the desa is picked on.
    kode_desa : str or None
        The desa picked; None or a desa not on the map gives an empty layer.

    Returns
    -------
    SelectionLayer
    """
    data = spec.desa.data
    return SelectionLayer(
        "Desa terpilih",
        data.loc[data["kode_desa"] == kode_desa, ["kode_desa", "geometry"]],
        {"fill": False, "color": "#1f4e9a", "weight": 4},
    )


# --- The spec ---------------------------------------------------------------------------------


def _chosen(layers: list[Layer], lapisan: Collection[str] | None) -> tuple[Layer, ...]:
    """Keep the overlays wanted: all with their default visibility, or those named, shown."""
    if lapisan is None:
        return tuple(layers)
    return tuple(replace(lay, show=True) for lay in layers if lay.name in lapisan)


def map_spec(data: MapData, settings: MapSettings | None = None) -> MapSpec:
    """Describe the map of an analysis: layers, styles, legend and tooltips, as data.

    Parameters
    ----------
    data : MapData
        The analysis (:meth:`MapData.from_result`); ``data.indikator`` are the desa shown.
    settings : MapSettings, optional
        Indicator, layers, selection and display options (default: :class:`MapSettings`).

    Returns
    -------
    MapSpec
        The choropleth of ``settings.kolom`` (quantile classes unless ``settings.kelas``), the
        overlays chosen (:data:`LAYER_BUILDERS`), the legend with counts over the desa shown,
        the priority layer when desa are chosen, and the bounds to fit.

    Raises
    ------
    KeyError
        If ``settings.kolom`` is not a key of :data:`INDIKATOR_PETA`.
    """
    s = settings or MapSettings()
    if s.kolom not in INDIKATOR_PETA:
        msg = f"indikator peta {s.kolom!r} tidak dikenal; pilihan: {', '.join(INDIKATOR_PETA)}"
        raise KeyError(msg)
    gdf = to_display(data.indikator)
    codes = frozenset(gdf["kode_desa"].astype(str))
    integer = s.kolom.startswith("keluarga")
    values = gdf[s.kolom].astype("float64").where(gdf["ada_data"].to_numpy())
    kelas = s.kelas if s.kelas is not None else class_breaks(values, integer=integer)
    colours = {k: kelas.colour(v) for k, v in zip(gdf["kode_desa"], values, strict=True)}
    props, popup = _desa_properties(gdf, data, s.popup)
    desa = DesaLayer(
        gpd.GeoDataFrame(props, geometry=_display_outlines(gdf, data.tampilan), crs=DISPLAY_CRS),
        colours,
        DESA_TOOLTIP,
        popup,
    )
    layers = [lay for build in LAYER_BUILDERS for lay in build(data, codes, s.popup)]
    overlays = _chosen(layers, s.lapisan)
    entries = tuple(e for lay in overlays for e in lay.legend)
    prioritas = priority_layer(data, s.prioritas, s.peringkat) if s.prioritas else None
    bounds = tuple(float(x) for x in gdf.total_bounds)
    return MapSpec(
        desa=desa,
        available={lay.name: lay.show for lay in layers},
        overlays=overlays,
        legend=Legend(INDIKATOR_PETA[s.kolom], kelas, integer, entries),
        prioritas=prioritas if prioritas is not None and prioritas.n else None,
        bounds=bounds if np.isfinite(bounds).all() else None,  # type: ignore[arg-type]
        settings=s,
    )
