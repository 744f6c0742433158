"""Poverty pockets: the planted truth is found, noise is not, and the statistic is esda's."""

import json

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
from shapely.geometry import Point, box

from geo.region import default_region
from targeting.pockets import (
    AnalysisError,
    PocketSettings,
    build_weights,
    desa_hotspots,
    household_clusters,
)

METRIC = pyproj.CRS.from_epsg(32749)
TRUTH = json.loads(
    (default_region().batas_desa.parent / "kantong_SINTETIS.json").read_text(encoding="utf-8")
)


def _grid(n: int = 6, size: float = 2000.0, gap: float = 0.0) -> gpd.GeoDataFrame:
    """n x n square desa in EPSG:32749 with optional gaps (metres) between them."""
    x0, y0 = 300_000, 9_860_000
    rows = []
    for i in range(n):
        for j in range(n):
            x, y = x0 + i * (size + gap), y0 + j * (size + gap)
            rows.append({"kode_desa": f"61.11.{1 + i:02d}.{2001 + j}", "desa": f"D{i}{j}",
                         "kecamatan": f"K{i}", "geometry": box(x, y, x + size, y + size)})  # fmt: skip
    return gpd.GeoDataFrame(rows, crs=METRIC)


def _indicators(gdf: gpd.GeoDataFrame, share: np.ndarray, total: int = 1000) -> gpd.GeoDataFrame:
    d1 = np.round(share / 100 * total).astype(int)
    return gdf.assign(
        ada_data=True,
        keluarga_total=pd.array([total] * len(gdf), dtype="Int64"),
        keluarga_desil_1=pd.array(d1, dtype="Int64"),
        persen_desil_1=d1 / total * 100,
    )


def _planted(gdf: gpd.GeoDataFrame, seed: int = 1) -> tuple[np.ndarray, set[str]]:
    rng = np.random.default_rng(seed)
    share = np.clip(rng.lognormal(0, 0.5, len(gdf)), 0.3, 3.0)
    centre = {f"61.11.{i:02d}.{j}" for i in (2, 3, 4) for j in (2002, 2003, 2004)}
    mask = gdf["kode_desa"].isin(centre).to_numpy()
    share[mask] = rng.uniform(8, 10, mask.sum())
    return share, centre


# --- the embedded sample: planted truth found, at the default settings ---------------------


def test_planted_desa_pocket_found_with_the_bars(embedded):
    planted = {c for k in TRUTH["kantong_desa"] for c in k["kode_desa"]}
    labels = embedded.kantong.desa.set_index("kode_desa")["kantong"]
    found = set(labels[labels == "panas"].index)
    recall = len(found & planted) / len(planted)
    precision = len(found & planted) / max(len(found), 1)
    print(f"desa level: recall {recall:.2f}, precision {precision:.2f}")
    assert recall >= 0.9
    assert precision >= 0.8


def test_planted_household_clusters_found_with_the_bars(embedded):
    k = embedded.placement.keluarga
    members = embedded.kantong.anggota
    matched, used = 0, set()
    for cluster in TRUTH["klaster_keluarga"]:
        idx = set(k.index[k["id_keluarga_p3ke"].isin(cluster["keluarga"])])
        for kid, group in members.groupby("id_kantong"):
            overlap = len(idx & set(group["indeks"]))
            if overlap >= 0.5 * len(idx) and overlap >= 0.5 * len(group):
                matched += 1
                used.add(kid)
                break
    recall = matched / len(TRUTH["klaster_keluarga"])
    precision = len(used) / max(members["id_kantong"].nunique(), 1)
    print(f"cluster level: recall {recall:.2f}, precision {precision:.2f}")
    assert recall >= 0.9
    assert precision >= 0.8


@pytest.mark.parametrize("seed", [1, 2, 3], ids=lambda s: f"null-{s}")
def test_no_pocket_when_none_is_planted(embedded, seed):
    """Null model: every desa gets the values of a randomly drawn non-pocket desa.

    Under this complete null, Benjamini-Hochberg bounds the chance of any false pocket by
    alpha (0.05); the seeds are fixed, so the test is deterministic.
    """
    planted = {c for k in TRUTH["kantong_desa"] for c in k["kode_desa"]}
    ind = embedded.indikator.copy()
    background = ind[~ind["kode_desa"].isin(planted)]
    pick = np.random.default_rng(seed).integers(0, len(background), len(ind))
    for col in ("keluarga_desil_1", "keluarga_total", "persen_desil_1"):
        ind[col] = background[col].to_numpy()[pick]
    hot = desa_hotspots(ind, metric_crs=embedded.metric_crs, settings=PocketSettings())
    assert (hot["kantong"] != "panas").all()


def test_no_household_cluster_in_spread_out_points(embedded):
    desa = embedded.batas.desa
    rng = np.random.default_rng(7)
    sukadana = desa[desa["kode_desa"] == "61.11.01.2008"]
    pts = sukadana.to_crs(METRIC).sample_points(300, rng=rng).explode().to_crs(4326)
    fam = gpd.GeoDataFrame(
        {"desil": pd.array([1] * len(pts), dtype="Int64"), "kode_desa": "61.11.01.2008",
         "kode_desa_titik": "61.11.01.2008"},
        geometry=pts.to_numpy(), crs=4326,
    )  # fmt: skip
    clusters, _ = household_clusters(fam, desa, metric_crs=METRIC, settings=PocketSettings())
    assert clusters.empty


# --- the statistic itself ------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    ["knn", "kontiguitas", "kontiguitas_knn", "jarak"],
    ids=["knn-5", "contiguity-tolerance", "contiguity-plus-knn", "distance-band"],
)
def test_gi_star_equals_esda_on_the_same_weights(rule):
    gdf = _grid()
    share, _ = _planted(gdf)
    settings = PocketSettings(tetangga=rule, smoothing=False, jarak_m=2500)
    hot = desa_hotspots(_indicators(gdf, share), metric_crs=METRIC, settings=settings)
    w = build_weights(gdf, metric_crs=METRIC, settings=settings)
    y = _indicators(gdf, share)["persen_desil_1"].to_numpy()
    ref = esda.G_Local(y, w, transform="B", permutations=999, star=True, seed=settings.seed)
    np.testing.assert_allclose(hot["gi_z"].to_numpy(), ref.Zs)
    np.testing.assert_allclose(hot["gi_p"].to_numpy(), ref.p_sim)


def test_grid_pocket_found_and_labels_explained():
    gdf = _grid()
    share, centre = _planted(gdf)
    settings = PocketSettings(tetangga="kontiguitas")
    hot = desa_hotspots(_indicators(gdf, share), metric_crs=METRIC, settings=settings)
    found = set(hot.loc[hot["kantong"] == "panas", "kode_desa"])
    assert found
    assert found <= centre
    reason = hot.loc[hot["kantong"] == "panas", "alasan"].iloc[0]
    assert reason.startswith("KANTONG")
    assert "z = " in reason and "q (FDR)" in reason  # noqa: PT018
    assert set(hot["kantong"]) <= {"panas", "dingin", "tidak signifikan", "tidak dinilai"}
    assert hot.crs.to_epsg() == 4326


def test_same_seed_same_output_and_row_order_does_not_matter():
    gdf = _grid()
    share, _ = _planted(gdf)
    ind = _indicators(gdf, share)
    a = desa_hotspots(ind, metric_crs=METRIC, settings=PocketSettings())
    b = desa_hotspots(ind, metric_crs=METRIC, settings=PocketSettings())
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"))
    shuffled = ind.iloc[np.random.default_rng(3).permutation(len(ind))]
    c = desa_hotspots(shuffled, metric_crs=METRIC, settings=PocketSettings())
    left = a.set_index("kode_desa")["kantong"].sort_index()
    right = c.set_index("kode_desa")["kantong"].sort_index()
    assert (left == right).mean() >= 0.95  # permutation draws follow the row order


def test_island_desa_gets_neighbours_or_is_not_assessed():
    gdf = _grid(4)
    island = gpd.GeoDataFrame(
        [{"kode_desa": "61.11.09.2001", "desa": "Pulau", "kecamatan": "KP",
          "geometry": Point(330_000, 9_860_000).buffer(800)}], crs=METRIC,
    )  # fmt: skip
    both = pd.concat([gdf, island], ignore_index=True)
    share = np.r_[np.linspace(0.5, 3, 16), 2.0]
    ind = _indicators(both, share)
    knn = build_weights(both, metric_crs=METRIC, settings=PocketSettings(k=3))
    assert knn.cardinalities["61.11.09.2001"] >= 3
    contig = build_weights(both, metric_crs=METRIC, settings=PocketSettings(tetangga="kontiguitas"))
    assert contig.cardinalities["61.11.09.2001"] == 1  # attached to its nearest desa
    band = desa_hotspots(ind, metric_crs=METRIC,
                         settings=PocketSettings(tetangga="jarak", jarak_m=3000, k=3))  # fmt: skip
    row = band.set_index("kode_desa").loc["61.11.09.2001"]
    assert row["kantong"] == "tidak dinilai"
    assert "tidak ada desa tetangga" in row["alasan"]


def test_a_two_metre_gap_is_not_an_island():
    gdf = _grid(3, gap=2.0)
    tol = build_weights(gdf, metric_crs=METRIC, settings=PocketSettings(tetangga="kontiguitas"))
    assert tol.cardinalities["61.11.02.2002"] == 8  # queen neighbours through the 2 m slivers
    strict = build_weights(gdf, metric_crs=METRIC,
                           settings=PocketSettings(tetangga="kontiguitas", toleransi_m=0))  # fmt: skip
    assert strict.cardinalities["61.11.02.2002"] < 8  # without tolerance the grid falls apart
    assert not tol.islands


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (np.full(36, 2.0), "sama"),
        (np.zeros(36), "bernilai 0"),
        (np.r_[-1.0, np.ones(35)], "negatif"),
    ],
    ids=["constant", "all-zero", "negative"],
)
def test_unusable_values_raise(values, message):
    gdf = _grid()
    ind = gdf.assign(ada_data=True, keluarga_total=pd.array([100] * 36, dtype="Int64"),
                     keluarga_desil_1=pd.array([0] * 36, dtype="Int64"), persen_desil_1=values)  # fmt: skip
    with pytest.raises(AnalysisError, match=message):
        desa_hotspots(ind, metric_crs=METRIC, settings=PocketSettings(smoothing=False))


def test_coincident_points_do_not_make_a_pocket():
    gdf = _grid(2)
    centre = gdf.to_crs(4326).geometry.iloc[0].centroid
    fam = gpd.GeoDataFrame(
        {"desil": pd.array([1] * 40, dtype="Int64"), "kode_desa": "61.11.01.2001",
         "kode_desa_titik": "61.11.01.2001"},
        geometry=[centre] * 40, crs=4326,
    )  # fmt: skip
    clusters, _ = household_clusters(fam, gdf, metric_crs=METRIC, settings=PocketSettings())
    assert clusters.empty  # one GPS placeholder, not a pocket
    # The same 40 families 1-20 m apart (real, separate houses) are a cluster.
    rng = np.random.default_rng(0)
    c = gpd.GeoSeries([centre], crs=4326).to_crs(METRIC).iloc[0]
    near = gpd.GeoSeries(
        gpd.points_from_xy(c.x + rng.uniform(-20, 20, 40), c.y + rng.uniform(-20, 20, 40)),
        crs=METRIC,
    ).to_crs(4326)
    clusters, members = household_clusters(
        fam.set_geometry(near.to_numpy()), gdf, metric_crs=METRIC, settings=PocketSettings()
    )
    assert len(clusters) == 1
    assert len(members) == 40


def test_invalid_settings_are_refused():
    with pytest.raises(ValueError, match="permutasi"):
        PocketSettings(permutasi=99)
    with pytest.raises(ValueError, match="statistik"):
        PocketSettings(statistik="nope")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="satu titik GPS"):
        PocketSettings(min_keluarga=2)
    with pytest.raises(ValueError, match="radius_m"):
        PocketSettings(radius_m=0)
    with pytest.raises(ValueError, match="seed"):
        PocketSettings(seed=-1)


def test_clusters_survive_when_the_desa_statistic_cannot_run(embedded):
    from targeting.pockets import find_pockets

    only = embedded.indikator.copy()
    keep_code = "61.11.01.2008"  # Sedahan Jaya holds a planted household cluster
    only["ada_data"] = only["kode_desa"] == keep_code
    res = find_pockets(only, embedded.placement.keluarga, embedded.batas.desa,
                       metric_crs=embedded.metric_crs)  # fmt: skip
    assert "galat_desa" in res.parameter
    assert "paling sedikit 3 desa" in res.parameter["galat_desa"]
    assert (res.desa["kantong"] == "tidak dinilai").all()
    assert len(res.klaster) == 3


def test_a_desa_bordering_every_other_desa_is_not_assessed():
    gdf = _grid(3)
    share = np.r_[np.linspace(0.5, 3, 8), 9.0]
    hot = desa_hotspots(_indicators(gdf, share), metric_crs=METRIC,
                        settings=PocketSettings(k=8, smoothing=False))  # fmt: skip
    assert (hot["kantong"] == "tidak dinilai").all()
    assert hot["alasan"].str.contains("tidak terdefinisi").all()
