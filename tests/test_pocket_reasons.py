"""Every pocket label and reason is true of the numbers beside it (issue 14, section 2).

Checked on the embedded data, on planted outliers and on random data (hypothesis), for both
statistics: the words of each reason (significant or not, before or after the FDR
correction, above or not above the mean, high among low ...) agree with z, p, q, alpha, the
desa's own value, its neighbours' mean and the mean the quadrant is measured against.
"""

import re

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from libpysal import weights
from shapely.geometry import box

from targeting.indicators import DEPRIVASI
from targeting.pockets import LABELS, PocketSettings, build_weights, desa_hotspots
from targeting.priority import _raw_values

METRIC = pyproj.CRS.from_epsg(32749)
QUADRANT_LABEL = {1: "panas", 2: "pencilan rendah", 3: "dingin", 4: "pencilan tinggi"}


def _grid(n: int) -> gpd.GeoDataFrame:
    rows = []
    for i in range(n):
        for j in range(n):
            x, y = 300_000 + i * 2000, 9_860_000 + j * 2000
            rows.append({"kode_desa": f"61.11.{1 + i:02d}.{2001 + j}", "desa": f"D{i}{j}",
                         "kecamatan": f"K{i}", "geometry": box(x, y, x + 2000, y + 2000)})  # fmt: skip
    return gpd.GeoDataFrame(rows, crs=METRIC)


def _indicators(gdf: gpd.GeoDataFrame, d1: np.ndarray, total: int = 1000) -> gpd.GeoDataFrame:
    return gdf.assign(
        ada_data=True,
        keluarga_total=pd.array([total] * len(gdf), dtype="Int64"),
        keluarga_desil_1=pd.array(d1, dtype="Int64"),
        persen_desil_1=np.asarray(d1) / total * 100,
    )


def _pocket_component(ind: pd.DataFrame, hot: pd.DataFrame) -> np.ndarray:
    """The priority component ``kantong`` (no household clusters, no register)."""
    for k in DEPRIVASI:
        ind = ind.assign(**{f"p3ke_{k}": pd.NA, f"persen_p3ke_{k}": np.nan})
    raw, _ = _raw_values(ind, hot, None, None)
    return raw["kantong"].to_numpy()


def _fmt(value: float, digits: int) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def assert_reasons_true(hot: pd.DataFrame, alpha: float, statistik: str) -> None:
    """Check each assessed desa's label and reason against its own numbers."""
    assert set(hot["kantong"]) <= set(LABELS)
    for row in hot.itertuples():
        reason = row.alasan
        if row.kantong == "tidak dinilai":
            assert reason.startswith("tidak dinilai")
            continue
        # The numbers printed are the numbers in the columns.
        assert f"z = {_fmt(row.gi_z, 2)}," in reason, reason
        assert f"p = {_fmt(row.gi_p, 3)}," in reason, reason
        assert f"q (FDR) = {_fmt(row.gi_q, 3)}," in reason, reason
        assert f"alpha {_fmt(alpha, 3)}" in reason, reason
        assert f"desa ini {_fmt(row.nilai, 2)}," in reason, reason
        assert f"dinilai {_fmt(row.rata_rata, 2)}," in reason, reason
        assert f"rata-rata tetangga {_fmt(row.nilai_tetangga, 2)};" in reason, reason
        own_high = row.nilai > row.rata_rata
        nb_high = row.nilai_tetangga > row.rata_rata
        quad = {(True, True): 1, (False, True): 2, (False, False): 3, (True, False): 4}[
            (own_high, nb_high)
        ]
        assert row.kuadran == quad
        significant = row.gi_q <= alpha
        assert ("tidak signifikan" in reason) == (not significant), reason
        assert ("KANTONG" in reason) == (row.kantong == "panas"), reason
        if not significant:
            assert row.kantong == "tidak signifikan"
            if row.gi_p > alpha:
                assert "(p > alpha)" in reason and "setelah koreksi" not in reason  # noqa: PT018
            else:
                assert "p <= alpha" in reason and "q > alpha" in reason  # noqa: PT018
            continue
        assert row.kantong == QUADRANT_LABEL[quad], reason
        assert "signifikan setelah koreksi FDR (q <= alpha)" in reason
        own_words = (
            "desa ini di atas rata-rata" in reason
            or "desa ini dan rata-rata tetangganya sama-sama di atas" in reason
        )
        assert own_words == own_high, reason
        nb_words = re.search(r"rata-rata tetangganya (sama-sama )?di atas", reason) is not None
        assert nb_words == nb_high, reason
        if statistik == "gi_star":
            # High-high tests above the mean, low-low not above it: the sign agrees.
            if row.kantong == "panas":
                assert row.gi_z > 0
            if row.kantong == "dingin":
                assert row.gi_z <= 0


@pytest.mark.parametrize("statistik", ["gi_star", "moran"])
def test_reasons_true_on_the_embedded_data(embedded, statistik):
    s = PocketSettings(statistik=statistik)
    hot = desa_hotspots(embedded.indikator, metric_crs=METRIC, settings=s)
    if statistik == "gi_star":  # the default: the pipeline's own labels are these
        pd.testing.assert_series_equal(hot["alasan"], embedded.kantong.desa["alasan"])
    assert_reasons_true(hot, s.alpha, statistik)
    assert (hot["kantong"] == "panas").any()


def _outlier_grid() -> tuple[gpd.GeoDataFrame, str, str]:
    """7 x 7 desa, poor in the west and better off in the east, with one outlier in each."""
    gdf = _grid(7)
    rng = np.random.default_rng(3)
    west = gdf["kode_desa"].str.slice(6, 8).astype(int) <= 3
    d1 = np.where(west, rng.integers(300, 340, len(gdf)), rng.integers(10, 40, len(gdf)))
    codes = gdf["kode_desa"].tolist()
    well_off_inside = "61.11.02.2004"
    poor_alone = "61.11.06.2004"
    d1[codes.index(well_off_inside)] = 5
    d1[codes.index(poor_alone)] = 900
    return _indicators(gdf, d1), well_off_inside, poor_alone


@pytest.mark.parametrize("statistik", ["gi_star", "moran"])
def test_spatial_outliers_are_named_not_called_insignificant(statistik):
    ind, well_off_inside, poor_alone = _outlier_grid()
    s = PocketSettings(statistik=statistik, tetangga="kontiguitas", smoothing=False, alpha=0.1)
    hot = desa_hotspots(ind, metric_crs=METRIC, settings=s).set_index("kode_desa")
    assert_reasons_true(hot.reset_index(), s.alpha, statistik)
    assert hot.loc[poor_alone, "kantong"] == "pencilan tinggi"
    assert hot.loc[poor_alone, "gi_q"] <= s.alpha
    assert "PENCILAN TINGGI" in hot.loc[poor_alone, "alasan"]
    assert hot.loc[well_off_inside, "kantong"] == "pencilan rendah"
    assert "pencilan rendah" in hot.loc[well_off_inside, "alasan"]
    # Outliers are not pockets for the priority ranking.
    flat = hot.reset_index()
    component = np.where(flat["kantong"] == "panas", 1.0, 0.0)
    raw = _pocket_component(ind, flat)
    np.testing.assert_array_equal(raw, component)


def test_gi_star_outlier_with_negative_z_is_not_told_insignificant():
    """The case of the issue: z < 0 and q <= alpha under Gi* was called not significant."""
    gdf = _grid(7)
    rng = np.random.default_rng(5)
    d1 = rng.integers(5, 15, len(gdf)).astype(int)
    codes = gdf["kode_desa"].tolist()
    # A mildly high desa among very low neighbours, with a very poor corner pulling the mean.
    for c in [f"61.11.{i:02d}.{j}" for i in (6, 7) for j in (2006, 2007)]:
        d1[codes.index(c)] = 600
    target = "61.11.02.2002"
    for i in (1, 2, 3):
        for j in (2001, 2002, 2003):
            d1[codes.index(f"61.11.{i:02d}.{j}")] = 0
    d1[codes.index(target)] = 40
    s = PocketSettings(tetangga="kontiguitas", smoothing=False)
    hot = desa_hotspots(_indicators(gdf, d1), metric_crs=METRIC, settings=s)
    assert_reasons_true(hot, s.alpha, "gi_star")
    negative_sig = hot[(hot["gi_z"] < 0) & (hot["gi_q"] <= s.alpha)]
    assert len(negative_sig)
    assert not negative_sig["alasan"].str.contains("tidak signifikan").any()


@pytest.mark.parametrize("statistik", ["gi_star", "moran"])
def test_quadrant_is_esda_moran_quadrant(statistik):
    ind, _, _ = _outlier_grid()
    s = PocketSettings(statistik=statistik, tetangga="kontiguitas", smoothing=False)
    hot = desa_hotspots(ind, metric_crs=METRIC, settings=s)
    w = build_weights(ind, metric_crs=METRIC, settings=s)
    ref = esda.Moran_Local(ind["persen_desil_1"].to_numpy(), w, transformation="r", permutations=0)
    np.testing.assert_array_equal(hot["kuadran"].to_numpy(), ref.q.astype(float))


GRID = _grid(5)
W_CACHE: dict[str, weights.W] = {}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    d1=st.lists(st.integers(0, 1000), min_size=25, max_size=25).filter(lambda v: len(set(v)) > 1),
    statistik=st.sampled_from(["gi_star", "moran"]),
    alpha=st.sampled_from([0.05, 0.1, 0.2]),
    seed=st.integers(0, 10_000),
)
def test_reasons_true_on_random_data(d1, statistik, alpha, seed):
    s = PocketSettings(statistik=statistik, alpha=alpha, seed=seed, k=4, smoothing=False)
    hot = desa_hotspots(_indicators(GRID, np.array(d1)), metric_crs=METRIC, settings=s)
    assert_reasons_true(hot, alpha, statistik)


def test_why_none_assessed_counts_each_reason_data_desa_first():
    import pandas as pd

    from targeting.pockets import TANPA_BARIS, why_none_assessed

    other = "tidak dinilai: tidak ada desa tetangga menurut aturan ini"
    desa = pd.DataFrame({
        "kantong": ["tidak dinilai"] * 5 + ["panas"],
        "alasan": [TANPA_BARIS, TANPA_BARIS, TANPA_BARIS, other, other, "panas: ..."],
    })  # fmt: skip
    text = why_none_assessed(desa)
    assert text == (
        "2 desa berdata: tidak ada desa tetangga menurut aturan ini; "
        "3 desa: tidak ada baris P3KE untuk desa itu"
    )
    assert why_none_assessed(desa.iloc[[5]]) == ""
