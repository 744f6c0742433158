"""The map as data (targeting.mapspec): which layers, how many features, colours, legend and
tooltips, checked without drawing; and a few checks that the renderer draws what the spec says.
"""

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import targeting.mapspec as ms
from targeting.interventions import lokus_long
from targeting.mapspec import (
    DESA_TOOLTIP,
    KANTONG_COLOURS,
    KLASTER_COLOUR,
    LAPISAN_KANTONG,
    LAPISAN_KLASTER,
    LAPISAN_PRIORITAS,
    NO_DATA_COLOUR,
    PRIORITAS_COLOUR,
    ClusterLayer,
    LegendEntry,
    MapData,
    MapSettings,
    OutlineLayer,
    available_layers,
    lapisan_lokus,
    map_spec,
    priority_layer,
)
from targeting.strategies import INPRES

ROOT = Path(__file__).resolve().parents[1]


def test_the_spec_module_needs_no_folium():
    code = "import sys, targeting.mapspec; print(sorted(m for m in sys.modules if 'folium' in m))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"


def _labelled(r):
    k = r.kantong.desa
    return k[k["kantong"].isin(list(KANTONG_COLOURS))]


def test_every_layer_of_a_full_analysis(embedded):
    r = embedded
    spec = map_spec(MapData.from_result(r))
    lokus = lokus_long(r.register.register)
    strategies = [s.kode for s in INPRES.strategi]
    assert list(spec.available) == [
        LAPISAN_KANTONG, *(lapisan_lokus(k) for k in strategies), LAPISAN_KLASTER,
    ]  # fmt: skip  # drawing order
    assert spec.available == {n: n in (LAPISAN_KANTONG, lapisan_lokus(3), LAPISAN_KLASTER)
                              for n in spec.available}  # fmt: skip
    assert [lay.name for lay in spec.overlays] == list(spec.available)  # none chosen: all
    pockets = spec.layer(LAPISAN_KANTONG)
    assert isinstance(pockets, OutlineLayer)
    labelled = _labelled(r)
    assert pockets.n == len(labelled) > 0
    for kode, lab in zip(labelled["kode_desa"], labelled["kantong"], strict=True):
        assert pockets.styles[kode]["color"] == KANTONG_COLOURS[lab]
    for k in strategies:
        layer = spec.layer(lapisan_lokus(k))
        expected = set(lokus.loc[lokus["strategi"].astype(str) == k, "kode_desa"])
        assert set(layer.styles) == expected
        assert {st["color"] for st in layer.styles.values()} == {INPRES.get(k).warna}
    clusters = spec.layer(LAPISAN_KLASTER)
    assert isinstance(clusters, ClusterLayer)
    assert clusters.n == len(r.kantong.klaster) == 3
    assert spec.desa.data.shape[0] == len(r.indikator) == 43
    assert spec.prioritas is None


def test_legend_counts_the_desa_of_each_layer(embedded):
    r = embedded
    spec = map_spec(MapData.from_result(r))
    counts = _labelled(r)["kantong"].value_counts()
    entries = {e.label.split(":")[0]: e for e in spec.legend.entries}
    for lab, colour in KANTONG_COLOURS.items():
        if counts.get(lab, 0):
            (entry,) = [e for e in spec.legend.entries if e.colour == colour]
            assert entry.count == counts[lab]
            assert entry.label.endswith(f": {counts[lab]} desa")
            assert entry.swatch == "dashed"
    assert entries[LAPISAN_KLASTER] == LegendEntry(KLASTER_COLOUR, LAPISAN_KLASTER, "fill", 3)
    s3 = spec.layer(lapisan_lokus(3))
    assert entries["Lokus strategi 3"].count == s3.n
    assert spec.legend.title == "Keluarga desil 1 per 100 keluarga"
    assert len(spec.legend.kelas.warna) == 5


def test_without_pockets_clusters_or_register_there_is_only_the_choropleth(embedded):
    spec = map_spec(MapData(embedded.indikator, tampilan=embedded.tampilan))
    assert spec.available == {}
    assert spec.overlays == ()
    assert spec.legend.entries == ()
    assert spec.desa.popup is None  # nothing to say beyond the tooltip
    assert available_layers(MapData(embedded.indikator)) == {}


def test_pockets_without_any_significant_label_give_no_layer(embedded):
    quiet = embedded.kantong.desa.assign(kantong="tidak signifikan")
    spec = map_spec(MapData(embedded.indikator, kantong=quiet))
    assert LAPISAN_KANTONG not in spec.available
    assert spec.legend.entries == ()


def test_chosen_layers_only_and_all_shown(embedded):
    r = embedded
    spec = map_spec(MapData.from_result(r), MapSettings(lapisan=[lapisan_lokus(1)]))
    assert [(lay.name, lay.show) for lay in spec.overlays] == [(lapisan_lokus(1), True)]
    assert [e.label for e in spec.legend.entries] == ["Lokus strategi 1"]
    assert len(spec.available) == 5  # the buttons still offer every layer
    with pytest.raises(KeyError):
        spec.layer(LAPISAN_KANTONG)


def test_a_kecamatan_filter_narrows_every_layer_and_its_counts(embedded):
    r = embedded
    kec = r.indikator.set_index("kode_desa").loc[
        r.kantong.klaster["kode_desa"].iloc[0], "kecamatan"
    ]
    view = r.indikator[r.indikator["kecamatan"] == kec]
    codes = set(view["kode_desa"])
    spec = map_spec(MapData.from_result(r, indikator=view))
    assert spec.desa.data.shape[0] == len(view)
    for layer in spec.overlays:
        keys = layer.styles if isinstance(layer, OutlineLayer) else layer.data["desa"]
        if isinstance(layer, OutlineLayer):
            assert set(keys) <= codes
    assert spec.layer(LAPISAN_KLASTER).n == r.kantong.klaster["kode_desa"].isin(codes).sum()
    shown = _labelled(r)[_labelled(r)["kode_desa"].isin(codes)]
    pocket_entries = [e for e in spec.legend.entries if e.colour in KANTONG_COLOURS.values()]
    assert sum(e.count for e in pocket_entries) == len(shown)


def test_tooltips_and_popups(embedded):
    r = embedded
    app = map_spec(MapData.from_result(r), MapSettings(popup=False))
    assert app.desa.tooltip == DESA_TOOLTIP
    assert DESA_TOOLTIP.fields == ("desa", "kecamatan", "t_persen", "t_d1")
    assert app.desa.popup is None
    assert set(app.desa.data.columns) == {"kode_desa", "desa", "kecamatan", "t_d1", "t_persen",
                                          "geometry"}  # fmt: skip
    clusters = app.layer(LAPISAN_KLASTER)
    assert clusters.popup is None
    assert "t_aturan" not in clusters.data.columns
    assert clusters.tooltip.aliases == ("Klaster", "Desa", "Keluarga desil 1", "Kekurangan utama")
    file = map_spec(MapData.from_result(r))  # the stand-alone file: click popups
    assert file.desa.popup.fields == ("desa", "t_kantong", "t_alasan", "t_subkeg")
    assert file.layer(LAPISAN_KLASTER).popup.fields[-1] == "t_aturan"
    props = file.desa.data.set_index("kode_desa")
    hot = _labelled(r).iloc[0]
    assert props.loc[hot["kode_desa"], "t_kantong"] == hot["kantong"]
    for field in (*DESA_TOOLTIP.fields, *file.desa.popup.fields):
        assert field in props.columns or field == "kode_desa"


def test_no_data_desa_are_grey_and_dashed(embedded):
    ind = embedded.indikator.copy()
    ind.loc[ind["kecamatan"] == "Pulau Maya", "ada_data"] = False
    spec = map_spec(MapData(ind))
    maya = ind.loc[ind["kecamatan"] == "Pulau Maya", "kode_desa"]
    for kode in maya:
        style = spec.desa.style(kode)
        assert style["fillColor"] == NO_DATA_COLOUR
        assert style["dashArray"] == "4 3"
    other = ind.loc[ind["kecamatan"] != "Pulau Maya", "kode_desa"].iloc[0]
    assert spec.desa.style(other)["dashArray"] is None


def test_priority_selection(embedded):
    r = embedded
    codes = list(r.indikator["kode_desa"].iloc[:3])
    spec = map_spec(
        MapData.from_result(r),
        MapSettings(prioritas=(*codes, "99.99.99.9999"), peringkat={codes[0]: 1}),
    )
    layer = spec.prioritas
    assert layer.name == LAPISAN_PRIORITAS
    assert layer.n == 3  # a code not on the map is left out
    assert layer.legend == (LegendEntry(PRIORITAS_COLOUR, f"{LAPISAN_PRIORITAS} (3)", "solid", 3),)
    ranks = dict(zip(layer.data["kode_desa"], layer.data["t_peringkat"], strict=True))
    assert ranks == {codes[0]: "1", codes[1]: "–", codes[2]: "–"}
    assert spec.layer(LAPISAN_PRIORITAS) is layer
    assert (
        map_spec(MapData(r.indikator), MapSettings(prioritas=("99.99.99.9999",))).prioritas is None
    )
    assert priority_layer(MapData(r.indikator), []).n == 0


def test_unknown_indicator():
    with pytest.raises(KeyError, match="tidak dikenal"):
        map_spec(MapData(None), MapSettings(kolom="nope"))


def test_a_new_layer_is_one_builder(embedded, monkeypatch):
    """Adding a layer: one builder in LAYER_BUILDERS; spec, legend and renderer follow."""

    def edge_desa(data, codes, _popup):
        style = {"fill": False, "color": "#123456", "weight": 2}
        shown = sorted(codes)[:2]
        entry = LegendEntry("#123456", "Desa uji", count=len(shown))
        return [OutlineLayer("Lapisan uji", False, dict.fromkeys(shown, style), (entry,))]

    monkeypatch.setattr(ms, "LAYER_BUILDERS", (*ms.LAYER_BUILDERS, edge_desa))
    spec = map_spec(MapData(embedded.indikator))
    assert spec.available == {"Lapisan uji": False}
    assert spec.layer("Lapisan uji").n == 2
    assert spec.legend.entries[-1].label == "Desa uji"
    from targeting.maps import render

    html = render(spec).get_root().render()
    assert "Lapisan uji" in html
    assert "#123456" in html


# --- The renderer draws the spec ----------------------------------------------------------------


def test_render_draws_the_spec_colours_and_layers(embedded):
    import folium

    from targeting.maps import legend_html, render

    r = embedded
    spec = map_spec(
        MapData.from_result(r), MapSettings(prioritas=(r.indikator["kode_desa"].iloc[0],))
    )
    m = render(spec)
    (desa,) = [c for c in m._children.values() if isinstance(c, folium.GeoJson)]
    drawn = {f["properties"]["kode_desa"]: desa.style_function(f)["fillColor"]
             for f in desa.data["features"]}  # fmt: skip
    assert drawn == dict(spec.desa.colours)
    html = m.get_root().render()
    for layer in spec.overlays:
        assert layer.name in html
    assert LAPISAN_PRIORITAS in html
    assert "lokus-prioritas" in html
    assert f"{LAPISAN_PRIORITAS} (1)" in html  # its own small legend in the map
    legend = legend_html(spec.legend)
    for entry in spec.legend.entries:
        assert entry.label in legend
    hidden = replace(spec, settings=replace(spec.settings, legenda=False, kontrol_lapisan=False))
    assert "L.control.layers" not in render(hidden).get_root().render()


def test_render_writes_compact_json_without_import_time_patch():
    """Importing the renderer changes nothing in folium; render() writes compact layer data."""
    code = """
import folium.template, geopandas as gpd, shapely
from targeting.maps import render
from targeting.mapspec import MapData, map_spec
env = folium.template.Template('').environment
print(env.policies['json.dumps_kwargs'])
desa = gpd.GeoDataFrame(
    {'kode_desa': ['61.11.01.2001'], 'desa': ['Uji'], 'kecamatan': ['Uji'], 'ada_data': [True],
     'keluarga_desil_1': [3], 'persen_desil_1': [1.5]},
    geometry=[shapely.box(110.0, -1.2, 110.1, -1.1)], crs='EPSG:4326')
html = render(map_spec(MapData(desa))).get_root().render()
print('"type":"Feature"' in html, '"type": "Feature"' in html)
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.split("\n")[:2] == ["{'sort_keys': True}", "True False"]


def test_compact_json_reaches_folium_geojson(embedded):
    """Fails when folium no longer compiles GeoJson in the environment the policy is set on."""
    import folium
    import folium.template

    from targeting.maps import COMPACT_JSON, compact_json, render

    assert compact_json()
    env = folium.template.Template("").environment
    assert env is folium.GeoJson._template.environment
    assert env.policies["json.dumps_kwargs"] == COMPACT_JSON
    html = render(map_spec(MapData(embedded.indikator))).get_root().render()
    data = html.split("_add(", 1)[1].split(");\n", 1)[0]
    assert data.startswith('{"features":[{')
    assert '"bbox"' not in data  # no per-feature bounding box (targeting.maps.feature_collection)
    assert ", " not in data.split('"desa":', 1)[0]  # no space after a separator
    assert json.loads(data)["type"] == "FeatureCollection"
