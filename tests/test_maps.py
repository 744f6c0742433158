import json

import folium
import numpy as np
import pandas as pd
import pytest

from targeting.interventions import lokus_long
from targeting.maps import (
    LAPISAN_KANTONG,
    LAPISAN_KLASTER,
    LEGENDA_LIPAT_PX,
    NO_DATA_COLOUR,
    PALETTE,
    class_breaks,
    lapisan_lokus,
    legend_html,
    render,
)
from targeting.mapspec import MapData, MapSettings, available_layers, map_spec

LOCAL = "/app/static/vendor/leaflet-1.9.3"


def build_map(indikator, *, kantong=None, klaster=None, klaster_aturan=None, lokus=None, **kw):
    """Spec and render in one call, as the pages do."""
    data = MapData(indikator, kantong, klaster, klaster_aturan, lokus)
    return render(map_spec(data, MapSettings(**kw)))


def map_legend(kolom, kelas, *, kantong=None, lapisan=(), lokus=None, indikator=None):
    """The legend of a map of ``indikator`` with these layers, as HTML."""
    data = MapData(indikator, kantong=kantong, lokus=lokus)
    return legend_html(
        map_spec(data, MapSettings(kolom=kolom, kelas=kelas, lapisan=lapisan)).legend
    )


def _layers(m: folium.Map, name: str) -> list[folium.GeoJson]:
    return [
        c for c in m._children.values() if isinstance(c, folium.GeoJson) and c.layer_name == name
    ]


def _colours(m: folium.Map) -> dict[str, str]:
    layer = _layers(m, "Desa")[0]
    return {
        f["properties"]["kode_desa"]: layer.style_function(f)["fillColor"]
        for f in layer.data["features"]
    }


def test_one_feature_per_desa_with_only_needed_properties(embedded):
    m = build_map(embedded.indikator)
    (layer,) = _layers(m, "Desa")
    feats = layer.data["features"]
    assert len(feats) == 43
    assert set(feats[0]["properties"]) == {
        "kode_desa", "desa", "kecamatan", "t_d1", "t_persen",
    }  # fmt: skip  # a small tooltip: name, kecamatan, share, count; detail in the side panel
    colours = set(_colours(m).values())
    assert colours <= set(PALETTE)
    assert len(colours) == 5


def test_no_data_desa_get_the_no_data_colour_and_legend_entry(embedded):
    ind = embedded.indikator.copy()
    ind.loc[ind["kecamatan"] == "Pulau Maya", "ada_data"] = False
    m = build_map(ind)
    colours = _colours(m)
    maya = ind.loc[ind["kecamatan"] == "Pulau Maya", "kode_desa"]
    assert {colours[k] for k in maya} == {NO_DATA_COLOUR}
    html = m.get_root().render()
    assert "Tidak ada data" in html


def _legend(m: folium.Map) -> str:
    (legend,) = [c for c in m._children.values() if type(c).__name__ == "_Legend"]
    return json.loads(legend.html_json)


@pytest.mark.parametrize("kolom", ["persen_desil_1", "keluarga_desil_1"])
def test_without_any_desa_with_data_the_legend_says_so(embedded, kolom):
    ind = embedded.indikator.assign(ada_data=False)
    m = build_map(ind, kolom=kolom)
    assert set(_colours(m).values()) == {NO_DATA_COLOUR}
    legend = _legend(m)
    assert "Belum ada desa dengan data P3KE" in legend
    assert "Tidak ada data" in legend
    assert legend.count("class='lokus-swatch") == 1  # the no-data swatch, no colour class
    assert "0 – 0" not in legend
    assert "0,0 – 0,0" not in legend


def test_all_zero_values_keep_their_single_class(embedded):
    ind = embedded.indikator.assign(keluarga_desil_1=0)
    legend = _legend(build_map(ind, kolom="keluarga_desil_1"))
    assert "0 – 0" in legend  # real data that are all zero: one class, not "no data"
    assert "Belum ada desa" not in legend


def test_rendered_html_uses_local_leaflet_and_no_tiles(embedded):
    html = build_map(embedded.indikator, asset_base=LOCAL).get_root().render()
    assert f"{LOCAL}/leaflet.js" in html
    assert f"{LOCAL}/leaflet.css" in html
    assert "cdn.jsdelivr" not in html
    assert "code.jquery" not in html
    assert "cdnjs" not in html
    assert "tile.openstreetmap" not in html
    assert (
        "tile.openstreetmap"
        in build_map(embedded.indikator, basemap="OpenStreetMap").get_root().render()
    )


def test_map_needs_no_jquery(embedded):
    """Only Leaflet is served to the browser: no element may use jQuery's $()."""
    k = embedded.kantong
    html = (
        build_map(
            embedded.indikator,
            asset_base=LOCAL,
            kantong=k.desa,
            klaster=k.klaster,
            klaster_aturan="x",
        )
        .get_root()
        .render()
    )
    assert "$(" not in html
    assert "lokus-klaster" in html


def test_tooltip_and_legend_are_indonesian(embedded):
    m = build_map(embedded.indikator)
    (layer,) = _layers(m, "Desa")
    props = {f["properties"]["kode_desa"]: f["properties"] for f in layer.data["features"]}
    row = embedded.indikator.set_index("kode_desa").loc["61.11.04.2003"]
    assert props["61.11.04.2003"]["t_d1"] == f"{int(row['keluarga_desil_1']):,}".replace(",", ".")
    assert props["61.11.04.2003"]["t_persen"].endswith(" %")
    assert "," in props["61.11.04.2003"]["t_persen"]
    html = m.get_root().render()
    assert "Keluarga desil 1 per 100 keluarga" in html


def test_names_from_data_are_escaped(embedded):
    ind = embedded.indikator.copy()
    ind.loc[0, "desa"] = '<img src=x onerror="alert(1)">'
    m = build_map(ind)
    (layer,) = _layers(m, "Desa")
    assert layer.data["features"][0]["properties"]["desa"].startswith("&lt;img")
    assert "<img src=x" not in m.get_root().render()


def test_bounds_cover_the_islands(embedded):
    m = build_map(embedded.indikator)
    html = m.get_root().render()
    assert "fitBounds" in html
    minx, _miny, _maxx, _maxy = embedded.indikator.total_bounds
    assert minx < 108.9  # Karimata islands lie far west of the mainland


def test_count_indicator_and_unknown_indicator(embedded):
    m = build_map(embedded.indikator, kolom="keluarga_desil_1")
    assert "Jumlah keluarga desil 1" in m.get_root().render()
    with pytest.raises(KeyError, match="tidak dikenal"):
        build_map(embedded.indikator, kolom="nope")


def test_class_breaks():
    k = class_breaks(pd.Series([0.0, 1, 2, 3, 4, 5, 6, 7, 8, 9, np.nan]))
    assert k.batas[0] == 0
    assert k.batas[-1] == 9
    assert list(k.batas) == sorted(k.batas)
    assert k.colour(0) == PALETTE[0]
    assert k.colour(9) == PALETTE[-1]
    assert k.colour(float("nan")) == NO_DATA_COLOUR
    same = class_breaks(pd.Series([2.0, 2.0]))
    assert len(same.warna) == 1
    assert not same.kosong
    none = class_breaks(pd.Series([np.nan]))
    assert none.kosong  # no value, no class (not a class "0 - 0")
    assert none.batas == ()
    assert none.colour(float("nan")) == NO_DATA_COLOUR
    assert none.colour(1.0) == PALETTE[0]


def test_display_outlines_are_simplified_in_metres_and_keep_every_desa(embedded):
    import shapely

    from targeting.maps import TAMPILAN_TOLERANSI_M, display_geometry

    full = embedded.batas.desa
    shown = display_geometry(full, metric_crs=embedded.metric_crs)
    assert shown.index.tolist() == full["kode_desa"].tolist()
    assert shown.equals(embedded.tampilan)  # the pipeline builds them once with the data
    assert (
        shapely.get_num_coordinates(shown.to_numpy()).sum()
        < 0.8 * shapely.get_num_coordinates(full.geometry.to_numpy()).sum()
    )
    a = full.geometry.to_crs(embedded.metric_crs).to_numpy()
    b = shown.to_crs(embedded.metric_crs).to_numpy()
    # Outlines move by about the tolerance (topology-preserving Douglas-Peucker, then rounding
    # to 1e-5 degree); no island is lost.
    assert (shapely.hausdorff_distance(a, b) <= 1.5 * TAMPILAN_TOLERANSI_M).all()
    assert (shapely.get_num_geometries(a) == shapely.get_num_geometries(b)).all()
    assert (~shown.is_empty).all()
    assert full.geometry.equals(embedded.indikator.geometry)  # the analysis keeps full geometry


def test_spatial_outliers_have_their_own_outline_and_legend_entry(embedded):
    """Every significant pocket label is drawn, coloured and counted in the legend."""
    from targeting.maps import KANTONG_COLOURS, KANTONG_LEGENDA

    hot = embedded.kantong.desa.copy()
    labels = ["panas", "pencilan tinggi", "pencilan tinggi", "pencilan rendah", "dingin"]
    hot["kantong"] = "tidak signifikan"
    hot.loc[hot.index[: len(labels)], "kantong"] = labels
    html = build_map(embedded.indikator, kantong=hot).get_root().render()
    for lab, colour in KANTONG_COLOURS.items():
        entry = f"{KANTONG_LEGENDA[lab]}: {labels.count(lab)} desa"
        assert entry in html
        assert colour in html
    styles = json.loads(html.split("_gaya = ", 1)[1].split(";\n", 1)[0].replace("\\u003c", "<"))
    # No pocket colour is reused by a strategy layer, the clusters or the priority outline.
    from targeting.maps import KLASTER_COLOUR, PRIORITAS_COLOUR
    from targeting.strategies import INPRES, PERMENDAGRI

    others = {s.warna for s in (*INPRES.strategi, *PERMENDAGRI.strategi)}
    others |= {KLASTER_COLOUR, PRIORITAS_COLOUR}
    assert not set(KANTONG_COLOURS.values()) & others
    assert len(set(KANTONG_COLOURS.values())) == len(KANTONG_COLOURS)
    outlier = hot.loc[hot["kantong"] == "pencilan tinggi", "kode_desa"].iloc[0]
    assert styles[outlier]["color"] == KANTONG_COLOURS["pencilan tinggi"]
    assert len(styles) == len(labels)


def test_permendagri_register_gets_four_lokus_layers(embedded):
    """P1-P4 layers in their own colours; P4 (no Inpres counterpart) is a layer of its own."""
    from targeting.interventions import lokus_long
    from targeting.strategies import PERMENDAGRI

    reg = embedded.register.register.copy()
    reg["strategi_kode"] = [("P1", "P2", "P3", "P4")[i % 4] for i in range(len(reg))]
    reg["skema"] = "permendagri"
    reg["strategi"] = pd.array(
        [PERMENDAGRI.get(k).inpres for k in reg["strategi_kode"]], dtype="Int64"
    )
    m = build_map(embedded.indikator, lokus=lokus_long(reg))
    html = m.get_root().render()
    for st in PERMENDAGRI.strategi:
        assert f"Lokus strategi {st.kode}: {st.singkat}" in html
        assert st.warna in html
    assert "Lokus strategi 3:" not in html
    layers = available_layers(MapData(embedded.indikator, lokus=lokus_long(reg)))
    assert list(layers) == [
        f"Lokus strategi {st.kode}: {st.singkat}" for st in PERMENDAGRI.strategi
    ]
    legend = map_legend("persen_desil_1", class_breaks(embedded.indikator["persen_desil_1"]),
                        lapisan=list(layers), lokus=lokus_long(reg),
                        indikator=embedded.indikator)  # fmt: skip
    for st in PERMENDAGRI.strategi:
        assert f"Lokus strategi {st.kode}<" in legend.replace("</span>", "<")


def _script(m: folium.Map) -> str:
    return m.get_root().render()


def test_map_focus_never_scrolls_the_page(embedded):
    """Leaflet focuses the map on mouse-down; inside an iframe that scrolled the page and the
    click was lost (issue 13). The map focuses with preventScroll instead."""
    html = _script(build_map(embedded.indikator))
    assert "focus({preventScroll: true})" in html
    assert "kb._onMouseDown" in html


def test_every_click_gets_a_new_stamp_object(embedded):
    html = _script(build_map(embedded.indikator))
    # A new properties object per click: streamlit-folium compares with what it last sent.
    assert "f.properties = Object.assign({}, f.properties, {_klik: Date.now()})" in html


def test_app_map_has_no_popup_no_layer_control_and_no_legend_inside(embedded):
    r = embedded
    m = build_map(
        r.indikator, kantong=r.kantong.desa, klaster=r.kantong.klaster,
        lokus=lokus_long(r.register.register), popup=False, kontrol_lapisan=False,
        legenda=False,
    )  # fmt: skip
    html = _script(m)
    assert "bindPopup" not in html
    assert "L.control.layers" not in html
    assert "lokus-legend" not in html.split("</style>", 1)[1]  # only its style sheet
    (layer,) = _layers(m, "Desa")
    (tip,) = [c for c in layer._children.values() if isinstance(c, folium.GeoJsonTooltip)]
    assert tip.fields == ["desa", "kecamatan", "t_persen", "t_d1"]  # name, share, count


def test_layer_control_opens_on_click_only(embedded):
    html = _script(build_map(embedded.indikator, kantong=embedded.kantong.desa))
    assert "L.control.layers" in html
    assert "removeEventListener(type, events[k])" in html  # the hover listeners go
    assert "control.expand()" in html


def test_only_the_chosen_layers_are_drawn(embedded):
    r = embedded
    lokus = lokus_long(r.register.register)
    everything = available_layers(
        MapData(r.indikator, r.kantong.desa, r.kantong.klaster, None, lokus)
    )
    assert everything[LAPISAN_KANTONG]
    assert everything[lapisan_lokus(3)]
    assert not everything[lapisan_lokus(1)]  # strategies 1 and 2 hidden at start
    m = build_map(
        r.indikator, kantong=r.kantong.desa, klaster=r.kantong.klaster, lokus=lokus,
        lapisan=[lapisan_lokus(1)],
    )  # fmt: skip  # the layer control lists the layers drawn
    html = _script(m)
    assert lapisan_lokus(1) in html
    assert LAPISAN_KANTONG not in html
    assert "lokus-klaster" not in html
    legend = map_legend("persen_desil_1", class_breaks(r.indikator["persen_desil_1"]),
                        kantong=r.kantong.desa, lapisan=[lapisan_lokus(1)], lokus=lokus,
                        indikator=r.indikator)  # fmt: skip
    assert "Lokus strategi 1" in legend
    assert "Kantong desa" not in legend


def test_household_clusters_follow_the_kecamatan_filter(embedded):
    r = embedded
    klaster = r.kantong.klaster
    assert len(klaster) == 3
    kec = r.indikator.set_index("kode_desa").loc[klaster["kode_desa"].iloc[0], "kecamatan"]
    view = r.indikator[r.indikator["kecamatan"] == kec]
    inside = klaster["kode_desa"].isin(set(view["kode_desa"])).sum()
    m = build_map(view, klaster=klaster)
    groups = [c for c in m._children.values() if isinstance(c, folium.FeatureGroup)]
    (group,) = [g for g in groups if g.layer_name == LAPISAN_KLASTER]
    polygons = next(iter(group._children.values()))
    assert len(polygons.data["features"]) == inside < 3


def test_in_map_legend_folds_on_a_narrow_map_and_view_key_is_kept(embedded):
    html = _script(build_map(embedded.indikator, pandangan="peta_desa:Sukadana"))
    assert f"getSize().x < {LEGENDA_LIPAT_PX}" in html
    assert "details.open = false" in html
    assert '"lokus-pandangan:peta_desa:Sukadana"' in html
    assert "sessionStorage" in html
    assert "sessionStorage" not in _script(build_map(embedded.indikator))  # no key: fit bounds


PETA_PROVINSI_MAKS = 3_000_000
"""Page data of the province map in the app (issue 19): under 3 MB."""


def test_the_app_map_of_the_whole_province_is_under_3_mb():
    """The 2,130 real Kalimantan Barat desa, every overlay shown and every desa outlined.

    The figures are synthetic (only their text length matters); the outlines are the real
    polygons simplified by the province's size, as the pipeline does. A size, not a timing.
    """
    import geopandas as gpd

    from geo.wilayah import LAPISAN_PROVINSI, toleransi_tampilan
    from targeting.mapspec import display_geometry

    desa = gpd.read_parquet(LAPISAN_PROVINSI)
    rng = np.random.default_rng(19)
    desa["keluarga_desil_1"] = rng.integers(0, 3000, len(desa))
    desa["persen_desil_1"] = rng.uniform(0, 100, len(desa))
    desa["ada_data"] = True
    kantong = desa[["kode_desa", "geometry"]].assign(
        kantong=rng.choice(["panas", "dingin", "pencilan tinggi"], len(desa)),
        alasan="Gi* z = 3,1; p = 0,001 (999 permutasi)",
    )
    lokus = pd.DataFrame(
        {
            "kode_desa": np.repeat(desa["kode_desa"].to_numpy(), 3),
            "strategi": np.tile([1, 2, 3], len(desa)),
            "nama_sub_kegiatan": "Penyediaan rumah layak huni bagi korban bencana",
            "opd": "Dinas Perumahan Rakyat dan Kawasan Permukiman",
            "pagu_rp": 150_000_000.0,
        }
    )
    tampilan = display_geometry(desa, toleransi_m=toleransi_tampilan(desa))
    data = MapData(desa, kantong=kantong, lokus=lokus, tampilan=tampilan)
    settings = MapSettings(
        popup=False, kontrol_lapisan=False, legenda=False, lapisan=tuple(available_layers(data))
    )
    spec = map_spec(data, settings)
    assert len(spec.overlays) == 4
    assert all(lay.n == len(desa) for lay in spec.overlays)
    page = render(spec).get_root().render().encode()
    assert len(page) < PETA_PROVINSI_MAKS, f"{len(page):,} bytes"
    assert page.count(b'"type":"Feature"') == len(desa)
