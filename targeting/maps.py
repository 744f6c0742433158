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
from collections.abc import Collection
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
    "LAPISAN_KANTONG",
    "LAPISAN_KLASTER",
    "LEAFLET_VERSION",
    "LEGENDA_LIPAT_PX",
    "LEGEND_CSS",
    "NO_DATA_COLOUR",
    "PALETTE",
    "TAMPILAN_TOLERANSI_M",
    "Kelas",
    "add_priority_layer",
    "available_layers",
    "build_map",
    "class_breaks",
    "display_geometry",
    "lapisan_lokus",
    "map_legend",
    "priority_group",
    "standalone_html",
    "sub_kegiatan_text",
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


LEGENDA_LIPAT_PX = 700
"""Map width in pixels below which the in-map legend starts folded (title only)."""

LAPISAN_KANTONG = "Kantong desa (panas/pencilan/dingin)"
LAPISAN_KLASTER = "Klaster keluarga desil 1"


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


_LEGEND = Template(
    """
{% macro script(this, kwargs) %}
(function() {
  var legend = L.control({position: '{{ this.position }}'});
  legend.onAdd = function () {
    var div = L.DomUtil.create('div', 'lokus-legend');
    div.innerHTML = {{ this.html_json }};
    // On a narrow map (a laptop at 1024 px, a phone) the legend starts folded: its title
    // stays, a click opens it.
    var details = div.querySelector('details');
    if (details && {{ this._parent.get_name() }}.getSize().x < {{ this.fold_below }}) {
      details.open = false;
    }
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
        self.fold_below = LEGENDA_LIPAT_PX


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


class _FocusWithoutScroll(MacroElement):
    """Keep the page still when the map takes keyboard focus on mouse-down.

    Leaflet's keyboard handler focuses the map container on ``mousedown`` and then restores
    the scroll position of the map's own window only. Inside an iframe (streamlit-folium)
    the browser scrolls the *parent page* to bring the focused element into view, so the
    mouse-up of the same click lands on another spot and the click is lost (issue 13).
    ``focus({preventScroll: true})`` keeps keyboard panning and scrolls nothing.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function (map) {
  var kb = map.keyboard;
  if (!kb) { return; }
  var enabled = kb.enabled();
  if (enabled) { kb.disable(); }
  kb._onMouseDown = function () {
    if (!this._focused) { this._map._container.focus({preventScroll: true}); }
  };
  if (enabled) { kb.enable(); }
})({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "FocusWithoutScroll"


class _ClickStamp(MacroElement):
    """Stamp a clicked desa feature with the click time (``properties._klik``, ms).

    streamlit-folium returns the last clicked feature and sends a value only when it differs
    from the last one sent, so a second click on the same desa never reached the server
    (issue 13). With the stamp, in a new properties object each time, every click returns a
    new value; the page handles each stamp once (``views.ui.map_click``).
    The handler is bound before streamlit-folium's own, so the feature it sends is stamped.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
{{ this.layer.get_name() }}.on('click', function (e) {
  var f = e.layer && e.layer.feature;
  // A new object, not a change of the old one: streamlit-folium keeps the last value it
  // sent, which shares this feature's properties, and sends nothing when they compare equal.
  if (f && f.properties) { f.properties = Object.assign({}, f.properties, {_klik: Date.now()}); }
});
{% endmacro %}
"""
    )

    def __init__(self, layer: folium.GeoJson) -> None:
        super().__init__()
        self._name = "ClickStamp"
        self.layer = layer


class _KeepView(MacroElement):
    """Keep the map's centre and zoom in the browser tab (``sessionStorage``) under a key.

    A change of colour or layers builds a new map; with the same key it opens where the
    planner left it instead of jumping back to the whole district (issue 13). Nothing goes to
    the server and no rerun is needed. A new key (another kecamatan filter) fits the map to
    its desa again. Without storage (a locked-down browser) the map simply fits its desa.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function (map, key) {
  var store;
  try { store = window.sessionStorage; } catch (e) { return; }
  try {
    var v = JSON.parse(store.getItem(key) || 'null');
    if (v && v.c && v.z) { map.setView(v.c, v.z, {animate: false}); }
  } catch (e) { /* no saved view */ }
  map.on('moveend', function () {
    var c = map.getCenter();
    try { store.setItem(key, JSON.stringify({c: [c.lat, c.lng], z: map.getZoom()})); }
    catch (e) { /* storage full or blocked: the view is simply not kept */ }
  });
})({{ this._parent.get_name() }}, {{ this.key_json }});
{% endmacro %}
"""
    )

    def __init__(self, key: str) -> None:
        super().__init__()
        self._name = "KeepView"
        self.key_json = json.dumps("lokus-pandangan:" + key).replace("<", "\\u003c")


class _LayerControlOnClick(MacroElement):
    """Make a collapsed layer control open on a click only, never on hover.

    Leaflet opens a collapsed control on ``mouseenter``: the click meant to open it then
    lands on the first checkbox under the cursor and unticks "Desa" (issue 13). The hover
    listeners are removed; a click (or tap) on the layers button opens the list, a click on
    the map closes it.
    """

    _template = Template(
        """
{% macro script(this, kwargs) %}
(function (control) {
  var el = control.getContainer();
  var events = el._leaflet_events || {};
  Object.keys(events).forEach(function (k) {
    var type = k.indexOf('mouseenter') === 0 ? 'mouseenter'
      : (k.indexOf('mouseleave') === 0 ? 'mouseleave' : null);
    if (type) { el.removeEventListener(type, events[k]); delete events[k]; }
  });
  L.DomEvent.on(control._layersLink, 'click', function (e) {
    L.DomEvent.stop(e);
    control.expand();
  });
})({{ this.control.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self, control: folium.LayerControl) -> None:
        super().__init__()
        self._name = "LayerControlOnClick"
        self.control = control


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


LEGEND_CSS = """
.lokus-legend { background: rgba(255,255,255,0.92); padding: 4px 7px; font: 11px/1.4 sans-serif;
  border-radius: 4px; box-shadow: 0 0 5px rgba(0,0,0,0.3); color: #222; max-width: 200px; }
.lokus-legend-title { font-weight: bold; cursor: pointer; }
.lokus-legend details[open] .lokus-legend-title { margin-bottom: 2px; }
.lokus-swatch { display: inline-block; width: 13px; height: 10px; margin-right: 5px;
  border: 1px solid #555; vertical-align: middle; }
.lokus-nodata { border-style: dashed; }
.lokus-legend-kosong { font-style: italic; margin-bottom: 2px; }
"""
"""Style of the legend (:func:`map_legend`), inside the map or on the page beside it."""

_CSS = (
    "<style>\n.leaflet-container { background: #dce8f0; }\n"
    + LEGEND_CSS
    + """path.leaflet-interactive:focus { outline: none; }
.lokus-tooltip { font-size: 12px; padding: 3px 6px; }
/* A desa's popup (stand-alone map file) can be long: it scrolls inside a fixed height
   instead of covering the whole map. */
.leaflet-popup-content { max-height: 200px; overflow-y: auto; margin: 8px 12px; }
</style>
"""
)


def _popup_and_properties(
    gdf: gpd.GeoDataFrame,
    kantong: gpd.GeoDataFrame | None,
    lokus: pd.DataFrame | None,
    popup: bool,
) -> tuple[pd.DataFrame, folium.GeoJsonPopup | None]:
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
    if kantong is not None:
        k = kantong.drop(columns="geometry").set_index("kode_desa")
        props["t_kantong"] = gdf["kode_desa"].map(k["kantong"]).fillna("tidak dinilai").to_numpy()
        props["t_alasan"] = (
            gdf["kode_desa"].map(k["alasan"]).fillna("").astype(str).map(html.escape).to_numpy()
        )
        fields += ["t_kantong", "t_alasan"]
        aliases += ["Kantong kemiskinan", "Mengapa"]
    if lokus is not None:
        props["t_subkeg"] = [html.escape(t) for t in sub_kegiatan_text(lokus, gdf["kode_desa"])]
        fields.append("t_subkeg")
        aliases.append("Sub kegiatan di desa ini")
    if len(fields) == 1:
        return props, None
    return props, folium.GeoJsonPopup(fields=fields, aliases=aliases, localize=False, max_width=360)


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


def available_layers(
    kantong: gpd.GeoDataFrame | None,
    klaster: gpd.GeoDataFrame | None,
    lokus: pd.DataFrame | None,
) -> dict[str, bool]:
    """Overlay layers a map of these results can draw, and whether each is shown at start.

    Parameters
    ----------
    kantong, klaster, lokus
        As for :func:`build_map`.

    Returns
    -------
    dict of str to bool
        Layer name -> shown by default (only Inpres strategy 3 / Permendagri P4 lokus shown at
        start), in drawing
        order. Pass the wanted names to :func:`build_map` as ``lapisan``.
    """
    out: dict[str, bool] = {}
    if kantong is not None and kantong["kantong"].isin(list(KANTONG_COLOURS)).any():
        out[LAPISAN_KANTONG] = True
    if lokus is not None:
        for kode_s, name, _colour, _weight, desa_codes in _lokus_layers(lokus):
            if desa_codes:
                out[name] = kode_s in ("3", "P4")
    if klaster is not None and len(klaster):
        out[LAPISAN_KLASTER] = True
    return out


def _add_outline_layers(
    m: folium.Map,
    desa_layer: folium.GeoJson,
    kantong: gpd.GeoDataFrame | None,
    lokus: pd.DataFrame | None,
    codes: set[str],
    wanted: dict[str, bool],
) -> None:
    """Pocket and strategy-lokus outlines, drawn from the desa layer's features."""
    if kantong is not None and LAPISAN_KANTONG in wanted:
        marked = kantong[kantong["kantong"].isin(list(KANTONG_COLOURS))]
        marked = marked[marked["kode_desa"].isin(codes)]
        if len(marked):
            _OutlineOf(
                desa_layer,
                {
                    str(k): {"fill": False, "color": KANTONG_COLOURS[lab], "weight": 3.5,
                             "dashArray": "6 4"}
                    for k, lab in zip(marked["kode_desa"], marked["kantong"], strict=True)
                },
                name=LAPISAN_KANTONG,
                show=wanted[LAPISAN_KANTONG],
            ).add_to(m)  # fmt: skip
    if lokus is None:
        return
    for _kode, name, colour, weight, desa_codes in _lokus_layers(lokus):
        shown = desa_codes & codes
        if not shown or name not in wanted:
            continue
        _OutlineOf(
            desa_layer,
            {str(k): {"fill": False, "color": colour, "weight": weight, "opacity": 0.85}
             for k in sorted(shown)},
            name=name,
            show=wanted[name],
        ).add_to(m)  # fmt: skip


def _add_cluster_layer(
    m: folium.Map, klaster: gpd.GeoDataFrame, aturan: str | None, *, popup: bool, show: bool
) -> None:
    """Household-cluster pocket polygons and a marker per cluster (tooltip; popup optional)."""
    layer = gpd.GeoDataFrame(
        {
            "id_kantong": klaster["id_kantong"].astype(str).to_numpy(),
            "desa": klaster["desa"].astype(str).map(html.escape).to_numpy(),
            "t_keluarga": klaster["keluarga_desil_1"].map(angka).to_numpy(),
            "t_kekurangan": klaster["kekurangan_utama"].astype(str).map(html.escape).to_numpy(),
            "t_aturan": html.escape(aturan or "klaster keluarga desil 1 (DBSCAN)"),
        },
        geometry=_rounded(to_display(klaster).geometry.to_numpy()),
        crs=DISPLAY_CRS,
    )
    if not popup:
        layer = layer.drop(columns="t_aturan")
    group = folium.FeatureGroup(name=LAPISAN_KLASTER, show=show)
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
        popup=_cluster_popup() if popup else None,
        zoom_on_click=True,
    ).add_to(group)
    # A marker keeps a 300 m cluster visible when the whole district is in view. It is a
    # GeoJson point layer: folium.Popup needs jQuery, which Lokus does not load.
    points = layer.set_geometry(layer.geometry.representative_point())
    folium.GeoJson(
        points,
        marker=folium.CircleMarker(
            radius=7, color="#ffffff", weight=2, fill=True, fill_color=KLASTER_COLOUR,
            fill_opacity=0.9,
        ),
        tooltip=folium.GeoJsonTooltip(
            fields=["id_kantong", "desa", "t_keluarga"],
            aliases=["Klaster", "Desa", "Keluarga desil 1"],
            localize=False,
        ),
        popup=_cluster_popup() if popup else None,
    ).add_to(group)  # fmt: skip
    group.add_to(m)


def map_legend(
    kolom: str,
    kelas: Kelas,
    *,
    kantong: gpd.GeoDataFrame | None = None,
    lapisan: Collection[str] = (),
) -> str:
    """HTML of the map legend (classes, no data, and the overlay layers drawn).

    Parameters
    ----------
    kolom : str
        Indicator coloured, a key of :data:`INDIKATOR_PETA`.
    kelas : Kelas
        Its class breaks.
    kantong : geopandas.GeoDataFrame, optional
        ``PocketResult.desa`` of the desa shown: which pocket labels exist, and how many desa
        carry each (written in the legend).
    lapisan : collection of str, default ()
        Overlay layers drawn (names from :func:`available_layers`).

    Returns
    -------
    str
        A ``<details>`` element (title as summary), classes ``lokus-legend-*``; the style
        sheet is the map's (``_CSS``) or, outside the map, :data:`LEGEND_CSS`.
    """
    extra = []
    if kantong is not None and LAPISAN_KANTONG in lapisan:
        counts = kantong["kantong"].value_counts()
        for lab, colour in KANTONG_COLOURS.items():
            if counts.get(lab, 0):
                extra.append((colour, f"{KANTONG_LEGENDA[lab]}: {counts[lab]} desa", True))
    if LAPISAN_KLASTER in lapisan:
        extra.append((KLASTER_COLOUR, "Klaster keluarga desil 1", False))
    for scheme in (INPRES, PERMENDAGRI):
        for st in scheme.strategi:
            if lapisan_lokus(st.kode) in lapisan:
                extra.append((st.warna, f"Lokus strategi {st.kode}", True))
    integer = kolom.startswith("keluarga")
    return _legend_html(INDIKATOR_PETA[kolom], kelas, integer=integer, extra=extra)


def _layer_data(
    gdf: gpd.GeoDataFrame, props: pd.DataFrame, tampilan: gpd.GeoSeries | None
) -> gpd.GeoDataFrame:
    """Desa features for the browser: ``props`` on the simplified display outlines."""
    if tampilan is None:
        tampilan = display_geometry(gdf)
    shown = tampilan.reindex(gdf["kode_desa"].to_numpy())
    missing = shapely.is_missing(shown.to_numpy())  # a desa not in `tampilan`: full outline
    shown = shown.where(~missing, gdf.geometry.to_numpy())
    return gpd.GeoDataFrame(props, geometry=shown.to_numpy(), crs=DISPLAY_CRS)


def _base_map(height: int, asset_base: str | None, basemap: str | None) -> folium.Map:
    """Start a map: metric scale, focus without scrolling, local Leaflet, style, tiles."""
    m = folium.Map(tiles=None, control_scale=False, height=height, zoom_snap=0.25)
    m.add_child(_MetricScale())
    m.add_child(_FocusWithoutScroll())
    if asset_base is not None:
        base = asset_base.rstrip("/")
        m.default_js = [("leaflet", f"{base}/leaflet.js")]
        m.default_css = [("leaflet_css", f"{base}/leaflet.css")]
    m.get_root().header.add_child(Element(_CSS))
    if basemap:
        folium.TileLayer(basemap, name="Peta dasar", control=True).add_to(m)
    return m


def _desa_layer(
    layer_data: gpd.GeoDataFrame, colours: dict[str, str], popup: folium.GeoJsonPopup | None
) -> folium.GeoJson:
    """Build the choropleth layer "Desa" with a small tooltip (name, kecamatan, share, count)."""

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

    return folium.GeoJson(
        layer_data,
        name="Desa",
        style_function=style,
        highlight_function=lambda _f: {"weight": 2.5, "color": "#1f4e9a"},
        tooltip=folium.GeoJsonTooltip(
            fields=["desa", "kecamatan", "t_persen", "t_d1"],
            aliases=["Desa", "Kecamatan", "Desil 1 per 100 keluarga", "Keluarga desil 1"],
            localize=False,
            sticky=True,
            class_name="lokus-tooltip",
        ),
        popup=popup,
        zoom_on_click=False,
    )


def _selected_outline(layer_data: gpd.GeoDataFrame, kode: str) -> folium.GeoJson:
    """Outline one desa (thick blue line, not clickable) as "Desa terpilih"."""
    return folium.GeoJson(
        layer_data[layer_data["kode_desa"] == kode][["kode_desa", "geometry"]],
        name="Desa terpilih",
        style_function=lambda _f: {"fill": False, "color": "#1f4e9a", "weight": 4},
        interactive=False,
    )


def _finish(
    m: folium.Map, gdf: gpd.GeoDataFrame, *, kontrol_lapisan: bool, pandangan: str | None
) -> None:
    """Add the layer control (click only), fit the desa, and restore a kept view."""
    if kontrol_lapisan:
        control = folium.LayerControl(collapsed=True).add_to(m)
        m.add_child(_LayerControlOnClick(control))
    minx, miny, maxx, maxy = gdf.total_bounds
    if np.isfinite([minx, miny, maxx, maxy]).all():
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    if pandangan is not None:
        m.add_child(_KeepView(pandangan))  # after fit_bounds: a kept view wins


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
    lapisan: Collection[str] | None = None,
    kontrol_lapisan: bool = True,
    legenda: bool = True,
    pandangan: str | None = None,
) -> folium.Map:
    """Choropleth of one desa indicator.

    Parameters
    ----------
    indikator : geopandas.GeoDataFrame
        :func:`targeting.indicators.desa_indicators` (any CRS, drawn in EPSG:4326), possibly
        filtered; needs ``kode_desa``, ``desa``, ``kecamatan``, ``ada_data``,
        ``keluarga_desil_1``, ``persen_desil_1`` and ``kolom``.
    kolom : str, default "persen_desil_1"
        Indicator to colour by, a key of :data:`INDIKATOR_PETA`.
    asset_base, basemap : str, optional
        URL folder of ``leaflet.js``/``leaflet.css`` (None: folium's CDN); a folium tile name
        such as ``"OpenStreetMap"`` (None: no tiles, works offline).
    terpilih : str, optional
        ``kode_desa`` to outline as the selected desa.
    height : int, default 560
        Map height in pixels.
    kelas : Kelas, optional
        Class breaks (:func:`class_breaks`), e.g. of the whole district so that a filtered
        view keeps its colours. Default: quantiles of ``indikator``.
    kantong, klaster, klaster_aturan, lokus : optional
        ``PocketResult.desa`` (pocket outlines), ``PocketResult.klaster`` (household-cluster
        polygons, only those in the desa shown: they follow a kecamatan filter), the cluster
        rule text, :func:`targeting.interventions.lokus_long` (one outline layer per strategy).
    tampilan : geopandas.GeoSeries, optional
        :func:`display_geometry` of the desa, computed once per data set (default: here).
    popup : bool, default True
        Click popups (pocket reason, sub-activities, clusters) for the stand-alone map file.
        The app passes False: a click selects the desa and its side panel gives the detail.
    lapisan : collection of str, optional
        Overlay layers to draw (names from :func:`available_layers`), all shown. Default:
        every available layer with its default visibility.
    kontrol_lapisan, legenda : bool, default True
        Leaflet's layer control (opens on a click, never on hover) and the in-map legend
        (folded on a map narrower than :data:`LEGENDA_LIPAT_PX`). The app passes False: layer
        buttons and :func:`map_legend` stand beside the map.
    pandangan : str, optional
        Key under which the browser tab keeps the map's centre and zoom (``_KeepView``); None
        fits the map to its desa.

    Returns
    -------
    folium.Map
        Layer ``Desa`` (one feature per desa, a small tooltip: name, kecamatan, share and
        count of desil-1 families), the overlays, optional selection outline, legend and layer
        control; bounds fitted; focus on the map never scrolls the page.

    Raises
    ------
    KeyError
        If ``kolom`` is not a known indicator.
    """
    if kolom not in INDIKATOR_PETA:
        msg = f"indikator peta {kolom!r} tidak dikenal; pilihan: {', '.join(INDIKATOR_PETA)}"
        raise KeyError(msg)
    gdf = to_display(indikator)
    codes = set(gdf["kode_desa"])
    if klaster is not None:
        klaster = klaster[klaster["kode_desa"].isin(codes)]
    available = available_layers(kantong, klaster, lokus)
    wanted = {n: (show if lapisan is None else True) for n, show in available.items()
              if lapisan is None or n in lapisan}  # fmt: skip
    integer = kolom.startswith("keluarga")
    values = gdf[kolom].astype("float64").where(gdf["ada_data"].to_numpy())
    kelas = kelas if kelas is not None else class_breaks(values, integer=integer)
    colours = {k: kelas.colour(v) for k, v in zip(gdf["kode_desa"], values, strict=True)}
    props, popup_el = _popup_and_properties(gdf, kantong, lokus, popup)
    layer_data = _layer_data(gdf, props, tampilan)
    m = _base_map(height, asset_base, basemap)
    desa_layer = _desa_layer(layer_data, colours, popup_el).add_to(m)
    m.add_child(_ClickStamp(desa_layer))
    _add_outline_layers(m, desa_layer, kantong, lokus, codes, wanted)
    if klaster is not None and LAPISAN_KLASTER in wanted:
        _add_cluster_layer(m, klaster, klaster_aturan, popup=popup, show=wanted[LAPISAN_KLASTER])
    if terpilih is not None and terpilih in codes:
        _selected_outline(layer_data, terpilih).add_to(m)
    if legenda:
        shown = None if kantong is None else kantong[kantong["kode_desa"].isin(codes)]
        m.add_child(_Legend(map_legend(kolom, kelas, kantong=shown, lapisan=list(wanted))))
    _finish(m, gdf, kontrol_lapisan=kontrol_lapisan, pandangan=pandangan)
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
        controls = [
            (k, c)
            for k, c in m._children.items()
            if isinstance(c, folium.LayerControl | _LayerControlOnClick)
        ]
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
