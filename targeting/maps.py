"""Build the folium map of desa indicators (compute apart from render, like esda ``explore``).

The map module only styles what :mod:`targeting.indicators` computed. It returns a
``folium.Map``; the Streamlit page merely displays it. Leaflet can be loaded from the app's
own static folder (``asset_base``) so the map draws without internet; tiles are optional.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.map import Layer
from jinja2 import Template

from geo.crs import DISPLAY_CRS, to_display
from targeting.format import angka, persen, rupiah
from targeting.strategies import INPRES, PERMENDAGRI

__all__ = [
    "INDIKATOR_PETA",
    "KANTONG_COLOURS",
    "KLASTER_COLOUR",
    "LEAFLET_VERSION",
    "NO_DATA_COLOUR",
    "PALETTE",
    "TAMPILAN_TOLERANSI_M",
    "Kelas",
    "add_priority_layer",
    "build_map",
    "class_breaks",
    "display_geometry",
    "priority_group",
    "standalone_html",
]

LEAFLET_VERSION = "1.9.3"
"""Leaflet release vendored in ``static/vendor/`` (the one folium 0.20 loads from its CDN)."""

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

# Compact JSON in the map page: folium's templates serialise layer data with Jinja's
# ``tojson``, whose json.dumps puts a space after every comma and colon (about 8 % of a desa
# layer). Only the whitespace changes; the data are the same.
folium.GeoJson._template.environment.policies["json.dumps_kwargs"] = {
    "sort_keys": True,
    "separators": (",", ":"),
}


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
        decimals. Compute it once per data set and pass it to :func:`build_map`
        (``tampilan``); the pipeline keeps it on its result.
    """
    metric = metric_crs or desa.estimate_utm_crs()
    simple = desa.geometry.to_crs(metric).simplify(toleransi_m, preserve_topology=True)
    shown = simple.to_crs(DISPLAY_CRS)
    rounded = _rounded(shown.to_numpy())
    return gpd.GeoSeries(
        rounded, index=pd.Index(desa["kode_desa"], name="kode_desa"), crs=DISPLAY_CRS
    )


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


_LEGEND = Template(
    """
{% macro script(this, kwargs) %}
(function() {
  var legend = L.control({position: '{{ this.position }}'});
  legend.onAdd = function () {
    var div = L.DomUtil.create('div', 'lokus-legend');
    div.innerHTML = {{ this.html_json }};
    // Opening or closing the legend must not click or zoom the map under it.
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  legend.addTo({{ this._parent.get_name() }});
})();
{% endmacro %}
"""
)


class _Legend(MacroElement):
    """A static HTML legend drawn as a Leaflet control (no d3, unlike branca colormaps)."""

    _template = _LEGEND

    def __init__(self, inner_html: str, position: str = "bottomright") -> None:
        super().__init__()
        self._name = "LokusLegend"
        self.html_json = json.dumps(inner_html)
        self.position = position


def _cluster_popup() -> folium.GeoJsonPopup:
    """Build the click popup of a household-cluster pocket (a new element per layer)."""
    return folium.GeoJsonPopup(
        fields=["id_kantong", "desa", "t_keluarga", "t_kekurangan", "t_aturan"],
        aliases=["Klaster", "Desa", "Keluarga desil 1", "Kekurangan utama", "Mengapa"],
        localize=False,
        max_width=420,
    )


class _OutlineOf(Layer):
    """An outline layer drawn from some features of the desa layer, in the browser.

    The desa geometry is sent once; pocket and lokus outlines reuse the desa layer's features
    (by ``kode_desa``) instead of embedding the same polygons again.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
var {{ this.get_name() }}_gaya = {{ this.styles_json }};
var {{ this.get_name() }} = L.geoJSON(null, {
  interactive: false,
  style: function (f) { return {{ this.get_name() }}_gaya[f.properties.kode_desa]; }
});
{{ this.source.get_name() }}.eachLayer(function (l) {
  if ({{ this.get_name() }}_gaya[l.feature.properties.kode_desa]) {
    {{ this.get_name() }}.addData(l.feature);
  }
});
{% endmacro %}
"""
    )

    def __init__(
        self, source: folium.GeoJson, styles: dict[str, dict], *, name: str, show: bool = True
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "OutlineOf"
        self.source = source
        # Codes and colours only; "<" escaped so the JSON cannot close the script element.
        self.styles_json = json.dumps(styles, sort_keys=True).replace("<", "\\u003c")


class _MetricScale(MacroElement):
    """A Leaflet scale bar in metres and kilometres only (folium's shows miles too)."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


def _legend_html(
    title: str, kelas: Kelas, *, integer: bool, extra: list[tuple[str, str, bool]] | None = None
) -> str:
    fmt = (lambda x: angka(x)) if integer else (lambda x: angka(x, 1))
    # A <details> element: a click on the title folds the legend away from the desa under it.
    rows = [
        "<details open><summary class='lokus-legend-title' title='Klik untuk menutup atau "
        f"membuka legenda'>{html.escape(title)}</summary>"
    ]
    if kelas.kosong:
        rows.append("<div class='lokus-legend-kosong'>Belum ada desa dengan data P3KE</div>")
    last = len(kelas.warna) - 1
    for i, colour in enumerate(kelas.warna):
        lo, hi = kelas.batas[i], kelas.batas[i + 1]
        # Classes are [lo, hi) except the last, [lo, hi]: say so, so no value has two colours.
        upper = f"{fmt(hi)}" if i == last else f"< {fmt(hi)}"
        rows.append(
            f"<div><span class='lokus-swatch' style='background:{colour}'></span>"
            f"{html.escape(fmt(lo))} – {html.escape(upper)}</div>"
        )
    rows.append(
        f"<div><span class='lokus-swatch lokus-nodata' style='background:{NO_DATA_COLOUR}'>"
        "</span>Tidak ada data</div>"
    )
    for colour, label, outline in extra or []:
        style = f"border:3px dashed {colour};background:none" if outline else f"background:{colour}"
        rows.append(
            f"<div><span class='lokus-swatch' style='{style}'></span>{html.escape(label)}</div>"
        )
    rows.append("</details>")
    return "".join(rows)


_CSS = """
<style>
.leaflet-container { background: #dce8f0; }
.lokus-legend { background: rgba(255,255,255,0.92); padding: 6px 9px; font: 12px/1.5 sans-serif;
  border-radius: 4px; box-shadow: 0 0 6px rgba(0,0,0,0.3); color: #222; }
.lokus-legend-title { font-weight: bold; margin-bottom: 3px; max-width: 190px; cursor: pointer; }
.lokus-legend details:not([open]) .lokus-legend-title { margin-bottom: 0; }
.lokus-swatch { display: inline-block; width: 14px; height: 12px; margin-right: 6px;
  border: 1px solid #555; vertical-align: middle; }
.lokus-nodata { border-style: dashed; }
.lokus-legend-kosong { font-style: italic; margin-bottom: 2px; }
path.leaflet-interactive:focus { outline: none; }
/* A desa's popup (why it is a pocket, its sub-activities) can be long: it scrolls inside a
   fixed height instead of covering the whole map. */
.leaflet-popup-content { max-height: 260px; overflow-y: auto; }
</style>
"""


def build_map(
    indikator: gpd.GeoDataFrame,
    *,
    kolom: str = "persen_desil_1",
    asset_base: str | None = None,
    basemap: str | None = None,
    terpilih: str | None = None,
    height: int = 560,
    kelas: Kelas | None = None,
    kantong: gpd.GeoDataFrame | None = None,
    klaster: gpd.GeoDataFrame | None = None,
    klaster_aturan: str | None = None,
    lokus: pd.DataFrame | None = None,
    tampilan: gpd.GeoSeries | None = None,
    popup: bool = True,
) -> folium.Map:
    """Choropleth of one desa indicator.

    Parameters
    ----------
    indikator : geopandas.GeoDataFrame
        Output of :func:`targeting.indicators.desa_indicators` (any CRS; drawn in EPSG:4326),
        possibly filtered. Needs ``kode_desa``, ``desa``, ``kecamatan``, ``keluarga_total``,
        ``keluarga_p3ke``, ``keluarga_desil_1``, ``persen_desil_1`` and ``kolom``.
    kolom : str, default "persen_desil_1"
        Indicator to colour by, a key of :data:`INDIKATOR_PETA`.
    asset_base : str, optional
        URL folder holding ``leaflet.js`` and ``leaflet.css`` (e.g. the app's
        ``/app/static/vendor/leaflet-1.9.3``). None keeps folium's CDN links.
    basemap : str, optional
        ``"OpenStreetMap"`` or another folium tile name; None draws no tiles (works offline).
    terpilih : str, optional
        ``kode_desa`` to outline as the selected desa.
    height : int, default 560
        Map height in pixels.
    kelas : Kelas, optional
        Class breaks to use, e.g. computed on the whole district so that a filtered view keeps
        the same colours (:func:`class_breaks`). Default: quantiles of ``indikator``.
    kantong : geopandas.GeoDataFrame, optional
        ``PocketResult.desa`` (``kode_desa``, ``kantong``, ``alasan``): adds a layer
        "Kantong desa" outlining ``panas`` (red) and ``dingin`` (blue) desa, and a click
        popup on every desa saying why it is or is not a pocket.
    klaster : geopandas.GeoDataFrame, optional
        ``PocketResult.klaster``: adds a layer "Klaster keluarga desil 1" of pocket polygons
        with a popup (families, desa, main deprivations, and why it is a pocket).
    klaster_aturan : str, optional
        The cluster rule text shown in that popup (``PocketResult.parameter["aturan_klaster"]``).
    lokus : pandas.DataFrame, optional
        :func:`targeting.interventions.lokus_long` of the register: adds one outline layer per
        strategy ("Lokus strategi 1/2/3", strategies 1 and 2 hidden at start) drawn over the
        pocket layer, and lists each desa's sub-activities (OPD, pagu) in its popup.
    tampilan : geopandas.GeoSeries, optional
        :func:`display_geometry` of the desa (indexed by ``kode_desa``), computed once per
        data set. Default: computed here. Every desa layer draws these outlines; only the
        properties the tooltip, popup and style need are sent.
    popup : bool, default True
        False leaves out the desa click popup (e.g. where a click selects the desa).

    Returns
    -------
    folium.Map
        One GeoJson layer ``Desa`` (one feature per desa, tooltip with name, kecamatan and
        the figures, formatted the Indonesian way), an optional selection outline, a legend,
        a layer control, and bounds fitted to the desa.

    Raises
    ------
    KeyError
        If ``kolom`` is not a known indicator.
    """
    if kolom not in INDIKATOR_PETA:
        msg = f"indikator peta {kolom!r} tidak dikenal; pilihan: {', '.join(INDIKATOR_PETA)}"
        raise KeyError(msg)
    gdf = to_display(indikator)
    integer = kolom.startswith("keluarga")
    values = gdf[kolom].astype("float64").where(gdf["ada_data"].to_numpy())
    kelas = kelas if kelas is not None else class_breaks(values, integer=integer)
    colours = {k: kelas.colour(v) for k, v in zip(gdf["kode_desa"], values, strict=True)}

    props = pd.DataFrame(
        {
            "kode_desa": gdf["kode_desa"].astype(str),
            "desa": gdf["desa"].astype(str).map(html.escape),
            "kecamatan": gdf["kecamatan"].astype(str).map(html.escape),
            "t_total": gdf["keluarga_total"].map(lambda v: angka(None if pd.isna(v) else v)),
            "t_p3ke": [
                angka(v) if ok else "–"
                for v, ok in zip(gdf["keluarga_p3ke"], gdf["ada_data"], strict=True)
            ],
            "t_d1": [
                angka(v) if ok else "–"
                for v, ok in zip(gdf["keluarga_desil_1"], gdf["ada_data"], strict=True)
            ],
            "t_persen": gdf["persen_desil_1"].map(lambda v: persen(None if pd.isna(v) else v)),
        }
    )
    want_popup, popup = popup, None
    if kantong is not None:
        k = kantong.drop(columns="geometry").set_index("kode_desa")
        props["t_kantong"] = gdf["kode_desa"].map(k["kantong"]).fillna("tidak dinilai").to_numpy()
        props["t_alasan"] = (
            gdf["kode_desa"].map(k["alasan"]).fillna("").astype(str).map(html.escape).to_numpy()
        )
        popup = folium.GeoJsonPopup(
            fields=["desa", "t_kantong", "t_alasan"],
            aliases=["Desa", "Kantong kemiskinan", "Mengapa"],
            localize=False,
            max_width=420,
        )
    if lokus is not None:
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
                f"{'' if r.strategi_kode.startswith('P') else 'S'}{r.strategi_kode} "
                f"{r.nama_sub_kegiatan} ({r.opd}, {rupiah(float(r.pagu_rp))})"
                for r in rows[:8]
            ]
            more = f" … dan {len(rows) - 8} lagi" if len(rows) > 8 else ""
            return html.escape("; ".join(items) + more)

        props["t_subkeg"] = [listing(str(k)) for k in gdf["kode_desa"]]
        fields = ["desa", "t_subkeg"]
        aliases = ["Desa", "Sub kegiatan di desa ini"]
        if popup is not None:
            fields = ["desa", "t_kantong", "t_alasan", "t_subkeg"]
            aliases = ["Desa", "Kantong kemiskinan", "Mengapa", "Sub kegiatan di desa ini"]
        popup = folium.GeoJsonPopup(fields=fields, aliases=aliases, localize=False, max_width=460)
    if tampilan is None:
        tampilan = display_geometry(gdf)
    shown = tampilan.reindex(gdf["kode_desa"].to_numpy())
    missing = shapely.is_missing(shown.to_numpy())  # a desa not in `tampilan`: full outline
    shown = shown.where(~missing, gdf.geometry.to_numpy())
    layer_data = gpd.GeoDataFrame(props, geometry=shown.to_numpy(), crs=DISPLAY_CRS)
    if not want_popup:
        popup = None

    m = folium.Map(tiles=None, control_scale=False, height=height, zoom_snap=0.25)
    m.add_child(_MetricScale())
    if asset_base is not None:
        base = asset_base.rstrip("/")
        m.default_js = [("leaflet", f"{base}/leaflet.js")]
        m.default_css = [("leaflet_css", f"{base}/leaflet.css")]
    m.get_root().header.add_child(Element(_CSS))
    if basemap:
        folium.TileLayer(basemap, name="Peta dasar", control=True).add_to(m)

    def style(feature: dict) -> dict:
        colour = colours.get(feature["properties"]["kode_desa"], NO_DATA_COLOUR)
        no_data = colour == NO_DATA_COLOUR
        return {
            "className": "lokus-desa",
            "fillColor": colour,
            "color": "#555555" if no_data else "#444444",
            "weight": 0.8,
            "dashArray": "4 3" if no_data else None,
            "fillOpacity": 0.55 if no_data else 0.8,
        }

    desa_layer = folium.GeoJson(
        layer_data,
        name="Desa",
        style_function=style,
        highlight_function=lambda _f: {"weight": 2.5, "color": "#1f4e9a"},
        tooltip=folium.GeoJsonTooltip(
            fields=["desa", "kecamatan", "t_d1", "t_persen", "t_p3ke", "t_total"],
            aliases=[
                "Desa",
                "Kecamatan",
                "Keluarga desil 1",
                "Desil 1 per 100 keluarga",
                "Keluarga P3KE",
                "Seluruh keluarga",
            ],
            localize=False,
            sticky=True,
        ),
        popup=popup,
        zoom_on_click=False,
    ).add_to(m)

    if kantong is not None:
        marked = kantong[kantong["kantong"].isin(list(KANTONG_COLOURS))]
        marked = marked[marked["kode_desa"].isin(set(gdf["kode_desa"]))]
        if len(marked):
            _OutlineOf(
                desa_layer,
                {
                    str(k): {"fill": False, "color": KANTONG_COLOURS[lab], "weight": 3.5,
                             "dashArray": "6 4"}
                    for k, lab in zip(marked["kode_desa"], marked["kantong"], strict=True)
                },
                name="Kantong desa (panas/pencilan/dingin)",
            ).add_to(m)  # fmt: skip
    if lokus is not None:
        shown_codes = set(layer_data["kode_desa"])
        for kode_s, name, colour, weight, desa_codes in _lokus_layers(lokus):
            codes = desa_codes & shown_codes
            if not codes:
                continue
            _OutlineOf(
                desa_layer,
                {str(k): {"fill": False, "color": colour, "weight": weight, "opacity": 0.85}
                 for k in sorted(codes)},
                name=name,
                show=kode_s in ("3", "P4"),
            ).add_to(m)  # fmt: skip
    if klaster is not None and len(klaster):
        layer = gpd.GeoDataFrame(
            {
                "id_kantong": klaster["id_kantong"].astype(str).to_numpy(),
                "desa": klaster["desa"].astype(str).map(html.escape).to_numpy(),
                "t_keluarga": klaster["keluarga_desil_1"].map(angka).to_numpy(),
                "t_kekurangan": klaster["kekurangan_utama"].astype(str).map(html.escape).to_numpy(),
                "t_aturan": html.escape(klaster_aturan or "klaster keluarga desil 1 (DBSCAN)"),
            },
            geometry=_rounded(to_display(klaster).geometry.to_numpy()),
            crs=DISPLAY_CRS,
        )
        group = folium.FeatureGroup(name="Klaster keluarga desil 1")
        folium.GeoJson(
            layer,
            style_function=lambda _f: {
                "className": "lokus-klaster",
                "color": KLASTER_COLOUR,
                "weight": 2,
                "fillColor": KLASTER_COLOUR,
                "fillOpacity": 0.45,
            },
            tooltip=folium.GeoJsonTooltip(
                fields=["id_kantong", "desa", "t_keluarga", "t_kekurangan"],
                aliases=["Klaster", "Desa", "Keluarga desil 1", "Kekurangan utama"],
                localize=False,
            ),
            popup=_cluster_popup(),
            zoom_on_click=True,
        ).add_to(group)
        # A marker keeps a 300 m cluster visible when the whole district is in view. It is a
        # GeoJson point layer: folium.Popup needs jQuery, which Lokus does not load.
        points = layer.set_geometry(layer.geometry.representative_point())
        folium.GeoJson(
            points,
            marker=folium.CircleMarker(
                radius=7,
                color="#ffffff",
                weight=2,
                fill=True,
                fill_color=KLASTER_COLOUR,
                fill_opacity=0.9,
            ),
            tooltip=folium.GeoJsonTooltip(
                fields=["id_kantong", "desa", "t_keluarga"],
                aliases=["Klaster", "Desa", "Keluarga desil 1"],
                localize=False,
            ),
            popup=_cluster_popup(),
        ).add_to(group)
        group.add_to(m)

    if terpilih is not None and terpilih in set(gdf["kode_desa"]):
        sel = layer_data[layer_data["kode_desa"] == terpilih][["kode_desa", "geometry"]]
        folium.GeoJson(
            sel,
            name="Desa terpilih",
            style_function=lambda _f: {"fill": False, "color": "#1f4e9a", "weight": 4},
            interactive=False,
        ).add_to(m)

    extra = []
    if kantong is not None:
        shown = kantong[kantong["kode_desa"].isin(set(gdf["kode_desa"]))]
        counts = shown["kantong"].value_counts()
        for lab, colour in KANTONG_COLOURS.items():
            if counts.get(lab, 0):
                extra.append((colour, f"{KANTONG_LEGENDA[lab]}: {counts[lab]} desa", True))
    if klaster is not None and len(klaster):
        extra.append((KLASTER_COLOUR, "Klaster keluarga desil 1", False))
    if lokus is not None:
        for kode_s, _name, colour, _w, desa_codes in _lokus_layers(lokus):
            if desa_codes:
                extra.append((colour, f"Lokus strategi {kode_s} (lapisan)", True))
    m.add_child(_Legend(_legend_html(INDIKATOR_PETA[kolom], kelas, integer=integer, extra=extra)))
    folium.LayerControl(collapsed=True).add_to(m)
    minx, miny, maxx, maxy = gdf.total_bounds
    if np.isfinite([minx, miny, maxx, maxy]).all():
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


PRIORITAS_COLOUR = "#000000"
"""Outline of the chosen priority desa (black: distinct from the YlOrRd fill and from the
purple pocket, cluster and the Dark2 strategy outlines)."""


LEAFLET_DIR = (
    Path(__file__).resolve().parents[1] / "static" / "vendor" / f"leaflet-{LEAFLET_VERSION}"
)
"""The vendored Leaflet files (also served by the app's static folder)."""


def priority_group(
    indikator: gpd.GeoDataFrame,
    kode_desa: list[str],
    *,
    peringkat: dict | None = None,
    tampilan: gpd.GeoSeries | None = None,
) -> folium.FeatureGroup:
    """Draw the chosen priority desa as a layer (class ``lokus-prioritas``), for any map.

    Parameters
    ----------
    indikator : geopandas.GeoDataFrame
        Desa polygons with ``kode_desa`` and ``desa`` (any CRS; drawn in EPSG:4326).
    kode_desa : list of str
        Dotted codes of the chosen desa; codes not in ``indikator`` are ignored.
    peringkat : dict, optional
        ``kode_desa`` -> rank, shown in the layer's tooltip.
    tampilan : geopandas.GeoSeries, optional
        :func:`display_geometry` (indexed by ``kode_desa``): the simplified outlines the
        other layers draw. Default: the full polygons.

    Returns
    -------
    folium.FeatureGroup
        "Desa prioritas terpilih": a thick black outline per chosen desa (empty when none).
        In Streamlit, pass it as ``st_folium(..., feature_group_to_add=...)`` so a change of
        selection redraws only this layer, not the whole map.
    """
    group = folium.FeatureGroup(name="Desa prioritas terpilih")
    chosen = indikator[indikator["kode_desa"].isin(set(kode_desa))]
    if chosen.empty:
        return group
    gdf = to_display(chosen)
    geometry = gdf.geometry.to_numpy()
    if tampilan is not None:
        shown = tampilan.reindex(gdf["kode_desa"].to_numpy()).to_numpy()
        geometry = np.where(shapely.is_missing(shown), geometry, shown)
    ranks = peringkat or {}
    layer = gpd.GeoDataFrame(
        {
            "kode_desa": gdf["kode_desa"].astype(str).to_numpy(),
            "desa": gdf["desa"].astype(str).map(html.escape).to_numpy(),
            "t_peringkat": [
                "–" if pd.isna(ranks.get(k)) else str(ranks.get(k)) for k in gdf["kode_desa"]
            ],
        },
        geometry=geometry,
        crs=DISPLAY_CRS,
    )
    folium.GeoJson(
        layer,
        style_function=lambda _f: {
            "className": "lokus-prioritas",
            "fill": False,
            "color": PRIORITAS_COLOUR,
            "weight": 4,
            "opacity": 0.9,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["desa", "t_peringkat"], aliases=["Desa prioritas", "Peringkat"], localize=False
        ),
        zoom_on_click=False,
    ).add_to(group)
    return group


def add_priority_layer(
    m: folium.Map,
    indikator: gpd.GeoDataFrame,
    kode_desa: list[str],
    *,
    peringkat: dict | None = None,
    tampilan: gpd.GeoSeries | None = None,
) -> folium.Map:
    """Outline the chosen priority desa on a map built by :func:`build_map`.

    Parameters
    ----------
    m : folium.Map
        The map (changed in place and returned).
    indikator, kode_desa, peringkat, tampilan
        As for :func:`priority_group`.

    Returns
    -------
    folium.Map
        With the layer of :func:`priority_group` when any desa is chosen.
    """
    n = int(indikator["kode_desa"].isin(set(kode_desa)).sum())
    if n:
        swatch = (
            f'<span class="lokus-swatch" style="background:none;border:3px solid '
            f'{PRIORITAS_COLOUR}"></span>Desa prioritas terpilih ({n})'
        )
        m.add_child(_Legend(swatch, position="bottomleft"))
        # The layer control must come after every layer it lists: take it out, add the
        # layer, put it back.
        controls = [(k, c) for k, c in m._children.items() if isinstance(c, folium.LayerControl)]
        for key, _ in controls:
            del m._children[key]
        priority_group(indikator, kode_desa, peringkat=peringkat, tampilan=tampilan).add_to(m)
        for key, control in controls:
            m.add_child(control, name=key)
    return m


def _inline_css(css: str, folder: Path) -> str:
    def data_uri(match: re.Match[str]) -> str:
        path = folder / match.group(1)
        if not path.is_file():
            return match.group(0)
        return f"url(data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()})"

    return re.sub(r"url\((images/[^)]+\.png)\)", data_uri, css)


def standalone_html(m: folium.Map, *, title: str = "Lokus") -> str:
    """Render the map as one HTML file that opens offline in a browser.

    Leaflet's script and style sheet (with its images as data URIs) are written into the file
    instead of links to a CDN or to the app's server, so the file works on a laptop without
    internet and without Lokus running. Tiles, if the map has any, still need internet.

    Parameters
    ----------
    m : folium.Map
        A map from :func:`build_map` (changed: its asset links are replaced).
    title : str, default "Lokus"
        The page title.

    Returns
    -------
    str
        Complete HTML document (UTF-8 text).
    """
    js = (LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8")
    css = _inline_css((LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8"), LEAFLET_DIR)
    m.default_js = []
    m.default_css = []
    root = m.get_root()
    js = js.replace("</script", "<\\/script")  # cannot close its own element early
    head = f"<title>{html.escape(title)}</title>\n<style>{css}</style>\n<script>{js}</script>"
    root.header.add_child(Element(head), name="lokus_leaflet_inline", index=0)
    return root.render()
