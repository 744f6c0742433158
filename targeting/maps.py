"""Draw a :class:`targeting.mapspec.MapSpec` with folium: the only module that knows folium.

:mod:`targeting.mapspec` decides what a map shows (layers, styles, legend, tooltips) as plain
data; :func:`render` turns a spec into a ``folium.Map`` (the app displays it with
streamlit-folium, :func:`standalone_html` writes it as one offline HTML file). Leaflet can be
loaded from the app's own static folder (``MapSettings.asset_base``) so the map draws without
internet; tiles are optional.
"""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path

import folium
import folium.template
import geopandas as gpd
import shapely
from branca.element import Element, MacroElement
from folium.map import Layer
from jinja2 import Template

from targeting.format import angka
from targeting.mapspec import (
    INDIKATOR_PETA,
    KANTONG_COLOURS,
    KANTONG_LEGENDA,
    KLASTER_COLOUR,
    LAPISAN_KANTONG,
    LAPISAN_KLASTER,
    LAPISAN_PRIORITAS,
    LOKUS_COLOURS,
    NO_DATA_COLOUR,
    PALETTE,
    PRIORITAS_COLOUR,
    TAMPILAN_TOLERANSI_M,
    ClusterLayer,
    Kelas,
    Legend,
    LegendEntry,
    MapSpec,
    OutlineLayer,
    SelectionLayer,
    Tooltip,
    class_breaks,
    display_geometry,
    lapisan_lokus,
)

__all__ = [
    "INDIKATOR_PETA",
    "KANTONG_COLOURS",
    "KANTONG_LEGENDA",
    "KLASTER_COLOUR",
    "LAPISAN_KANTONG",
    "LAPISAN_KLASTER",
    "LAPISAN_PRIORITAS",
    "LEAFLET_DIR",
    "LEAFLET_VERSION",
    "LEGENDA_LIPAT_PX",
    "LEGEND_CSS",
    "LOKUS_COLOURS",
    "NO_DATA_COLOUR",
    "PALETTE",
    "PRIORITAS_COLOUR",
    "TAMPILAN_TOLERANSI_M",
    "Kelas",
    "class_breaks",
    "compact_json",
    "display_geometry",
    "lapisan_lokus",
    "legend_html",
    "render",
    "render_selection",
    "standalone_html",
]

LEAFLET_VERSION = "1.9.3"
"""Leaflet release vendored in ``static/vendor/`` (the one folium 0.20 loads from its CDN)."""

LEGENDA_LIPAT_PX = 700
"""Map width in pixels below which the in-map legend starts folded (title only)."""

COMPACT_JSON = {"sort_keys": True, "separators": (",", ":")}
"""Jinja ``tojson`` options for the map page: folium's templates serialise layer data with
Jinja's ``tojson``, whose default ``json.dumps`` puts a space after every comma and colon
(about 8 % of a desa layer). Only the whitespace changes; the data are the same."""


def compact_json() -> bool:
    """Make folium's templates write layer data as compact JSON (no spaces after separators).

    Jinja's documented ``policies["json.dumps_kwargs"]`` of the environment folium's
    :class:`folium.template.Template` compiles with is set to :data:`COMPACT_JSON`. Called by
    :func:`render`, never at import: importing this module changes nothing in folium. The
    environment is Jinja's shared one for folium's template class, so the setting holds for
    every folium map of the process (the JSON is the same, its spaces go).
    ``tests/test_maps.py`` fails when folium stops compiling its GeoJson template there.

    Returns
    -------
    bool
        True when the policy is in place; False when folium's environment has no Jinja
        policies (the map is then written with folium's default spacing).
    """
    env = folium.template.Template("").environment
    policies = getattr(env, "policies", None)
    if not isinstance(policies, dict):
        return False
    policies["json.dumps_kwargs"] = dict(COMPACT_JSON)
    return True


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
"""Style of the legend (:func:`legend_html`), inside the map or on the page beside it."""

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


def _swatch(entry: LegendEntry) -> str:
    """One legend line of an overlay: its swatch (outline or fill) and its label."""
    style = {
        "dashed": f"border:3px dashed {entry.colour};background:none",
        "solid": f"background:none;border:3px solid {entry.colour}",
        "fill": f"background:{entry.colour}",
    }[entry.swatch]
    return (
        f"<div><span class='lokus-swatch' style='{style}'></span>{html.escape(entry.label)}</div>"
    )


def legend_html(legend: Legend, *, extra: tuple[LegendEntry, ...] = ()) -> str:
    """HTML of a map legend (classes, no data, the overlays drawn), in the map or beside it.

    Parameters
    ----------
    legend : targeting.mapspec.Legend
        ``MapSpec.legend``.
    extra : tuple of LegendEntry, default ()
        Lines for layers drawn apart from the spec (the app's priority layer).

    Returns
    -------
    str
        A ``<details>`` element (title as summary), classes ``lokus-legend-*``; the style
        sheet is the map's or, outside the map, :data:`LEGEND_CSS`.
    """
    kelas = legend.kelas
    fmt = (lambda x: angka(x)) if legend.integer else (lambda x: angka(x, 1))
    # A <details> element: a click on the title folds the legend away from the desa under it.
    rows = [
        "<details open><summary class='lokus-legend-title' title='Klik untuk menutup atau "
        f"membuka legenda'>{html.escape(legend.title)}</summary>"
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
    rows.extend(_swatch(e) for e in (*legend.entries, *extra))
    rows.append("</details>")
    return "".join(rows)


def feature_collection(gdf: gpd.GeoDataFrame) -> dict:
    """Write ``gdf`` as a GeoJSON FeatureCollection for folium, in one pass.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        EPSG:4326 (or no CRS); properties must be JSON-serialisable (the spec's texts).

    Returns
    -------
    dict
        ``{"type": "FeatureCollection", "features": [...]}``, each feature with ``id`` (the row
        position), ``properties`` and ``geometry``, without the
        per-feature ``bbox`` geopandas adds. The geometries are written by GEOS
        (``shapely.to_geojson``, shortest round-trip numbers) and parsed once, instead of
        folium walking every coordinate through ``__geo_interface__`` twice (5.7 s of a
        9.1 s province map render under load, bench/RESULTS.md).
    """
    geoms = shapely.to_geojson(gdf.geometry.to_numpy())
    props = gdf.drop(columns=gdf.geometry.name).to_dict(orient="records")
    parts = [
        f'{{"id":"{i}","type":"Feature","properties":{json.dumps(p, default=str)},'
        f'"geometry":{"null" if g is None else g}}}'
        for i, (p, g) in enumerate(zip(props, geoms, strict=True))
    ]
    return json.loads('{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}")


def _tooltip(tip: Tooltip, **kwargs: object) -> folium.GeoJsonTooltip:
    return folium.GeoJsonTooltip(
        fields=list(tip.fields), aliases=list(tip.aliases), localize=False, **kwargs
    )


def _popup(tip: Tooltip | None, max_width: int) -> folium.GeoJsonPopup | None:
    if tip is None:
        return None
    return folium.GeoJsonPopup(
        fields=list(tip.fields), aliases=list(tip.aliases), localize=False, max_width=max_width
    )


def _base_map(spec: MapSpec) -> folium.Map:
    """Start a map: metric scale, focus without scrolling, local Leaflet, style, tiles."""
    s = spec.settings
    m = folium.Map(tiles=None, control_scale=False, height=s.height, zoom_snap=0.25)
    m.add_child(_MetricScale())
    m.add_child(_FocusWithoutScroll())
    if s.asset_base is not None:
        base = s.asset_base.rstrip("/")
        m.default_js = [("leaflet", f"{base}/leaflet.js")]
        m.default_css = [("leaflet_css", f"{base}/leaflet.css")]
    m.get_root().header.add_child(Element(_CSS))
    if s.basemap:
        folium.TileLayer(s.basemap, name="Peta dasar", control=True).add_to(m)
    return m


def _render_desa(spec: MapSpec) -> folium.GeoJson:
    """Draw the choropleth layer "Desa": colours, a small sticky tooltip, optional popup."""
    desa = spec.desa
    return folium.GeoJson(
        feature_collection(desa.data),
        name="Desa",
        style_function=lambda f: desa.style(f["properties"]["kode_desa"]),
        highlight_function=lambda _f: {"weight": 2.5, "color": "#1f4e9a"},
        tooltip=_tooltip(desa.tooltip, sticky=True, class_name="lokus-tooltip"),
        popup=_popup(desa.popup, 360),
        zoom_on_click=False,
    )


def _render_cluster(layer: ClusterLayer) -> folium.FeatureGroup:
    """Household-cluster polygons and a marker per cluster (tooltip; popup optional)."""
    group = folium.FeatureGroup(name=layer.name, show=layer.show)
    folium.GeoJson(
        feature_collection(layer.data),
        style_function=lambda _f: {
            "className": "lokus-klaster",
            "color": layer.colour,
            "weight": 2,
            "fillColor": layer.colour,
            "fillOpacity": 0.45,
        },
        tooltip=_tooltip(layer.tooltip),
        popup=_popup(layer.popup, 420),
        zoom_on_click=True,
    ).add_to(group)
    # A marker keeps a 300 m cluster visible when the whole district is in view. It is a
    # GeoJson point layer: folium.Popup needs jQuery, which Lokus does not load.
    points = layer.data.set_geometry(layer.data.geometry.representative_point())
    folium.GeoJson(
        feature_collection(points),
        marker=folium.CircleMarker(
            radius=7, color="#ffffff", weight=2, fill=True, fill_color=layer.colour,
            fill_opacity=0.9,
        ),
        tooltip=_tooltip(layer.marker_tooltip),
        popup=_popup(layer.popup, 420),
    ).add_to(group)  # fmt: skip
    return group


def render_selection(layer: SelectionLayer) -> folium.FeatureGroup:
    """Draw a selection layer (chosen priority desa, the desa picked) as a feature group.

    Parameters
    ----------
    layer : targeting.mapspec.SelectionLayer
        From :func:`targeting.mapspec.priority_layer` or :func:`~targeting.mapspec.selected_layer`.

    Returns
    -------
    folium.FeatureGroup
        Named ``layer.name``, empty when the layer has no desa. In Streamlit, pass it as
        ``st_folium(..., feature_group_to_add=...)`` so a change of selection redraws only
        this layer, not the whole map.
    """
    group = folium.FeatureGroup(name=layer.name)
    if layer.n:
        style = dict(layer.style)
        folium.GeoJson(
            feature_collection(layer.data),
            style_function=lambda _f: style,
            tooltip=_tooltip(layer.tooltip) if layer.tooltip is not None else None,
            interactive=layer.tooltip is not None,
            zoom_on_click=False,
        ).add_to(group)
    return group


def _render_overlays(m: folium.Map, spec: MapSpec, desa_layer: folium.GeoJson) -> None:
    """Overlays in drawing order: outlines from the desa features, clusters as groups."""
    for layer in spec.overlays:
        if not layer.n:  # nothing of this layer among the desa shown
            continue
        if isinstance(layer, OutlineLayer):
            styles = {k: dict(v) for k, v in layer.styles.items()}
            _OutlineOf(desa_layer, styles, name=layer.name, show=layer.show).add_to(m)
        elif isinstance(layer, ClusterLayer):
            _render_cluster(layer).add_to(m)
        else:  # a new kind of layer needs its drawing here
            msg = f"no renderer for map layer {type(layer).__name__}"
            raise TypeError(msg)


def _finish(m: folium.Map, spec: MapSpec) -> None:
    """Title, layer control (click only), bounds, kept view, page fill."""
    s = spec.settings
    if s.judul is not None:
        title, note = (html.escape(t) for t in s.judul)
        m.get_root().html.add_child(
            Element(
                '<div class="lokus-judul" style="position:absolute;top:8px;left:60px;'
                "z-index:1000;background:rgba(255,255,255,.92);padding:6px 10px;"
                'border-radius:4px;font:13px sans-serif;box-shadow:0 1px 4px #999">'
                f"<b>{title}</b><br>{note}</div>"
            )
        )
    if s.kontrol_lapisan:
        control = folium.LayerControl(collapsed=True).add_to(m)
        m.add_child(_LayerControlOnClick(control))
    if spec.bounds is not None:
        minx, miny, maxx, maxy = spec.bounds
        m.fit_bounds([[miny, minx], [maxy, maxx]])
    if s.fokus_prioritas and spec.prioritas is not None:
        # Open on the chosen desa; the whole district is one zoom-out away.
        minx, miny, maxx, maxy = spec.prioritas.data.total_bounds
        m.fit_bounds([[miny, minx], [maxy, maxx]], padding=(30, 30))
    if s.pandangan is not None:
        m.add_child(_KeepView(s.pandangan))  # after fit_bounds: a kept view wins
    if s.halaman_penuh:
        m.get_root().header.add_child(
            Element(
                "<style>html,body{height:100%;margin:0}.folium-map{height:100vh!important}</style>"
            )
        )


def render(spec: MapSpec) -> folium.Map:
    """Draw a map spec with folium.

    Parameters
    ----------
    spec : targeting.mapspec.MapSpec
        From :func:`targeting.mapspec.map_spec`.

    Returns
    -------
    folium.Map
        Layer ``Desa`` (one feature per desa, every click stamped so that each one reaches the
        app), the overlays of the spec, the chosen priority desa with their in-map legend,
        the legend and layer control when the settings ask for them, bounds fitted or a kept
        view; focus on the map never scrolls the page. Layer data are written as compact
        JSON (:func:`compact_json`).
    """
    compact_json()
    m = _base_map(spec)
    desa_layer = _render_desa(spec).add_to(m)
    m.add_child(_ClickStamp(desa_layer))
    _render_overlays(m, spec, desa_layer)
    if spec.prioritas is not None:
        m.add_child(_Legend("".join(map(_swatch, spec.prioritas.legend)), position="bottomleft"))
        render_selection(spec.prioritas).add_to(m)
    if spec.settings.legenda:
        m.add_child(_Legend(legend_html(spec.legend)))
    _finish(m, spec)
    return m


LEAFLET_DIR = (
    Path(__file__).resolve().parents[1] / "static" / "vendor" / f"leaflet-{LEAFLET_VERSION}"
)
"""The vendored Leaflet files (also served by the app's static folder)."""


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
        A map from :func:`render` (changed: its asset links are replaced).
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
