"""The benchmark's SYNTHETIC province/nation generator (bench/scale_data.py), on a tiny scale."""

import geopandas as gpd
import pandas as pd
import pyproj

from bench.scale_data import Scale, make_desa, make_households
from geo.codes import normalise_kode_desa
from geo.households import validate_households
from geo.join import place_households

TINY = Scale("tiny", 60, 3_000, (109.0, -1.0, 109.6, -0.4), (1, 1), (2, 2), (2, 2), 80)


def test_generated_desa_and_families_are_deterministic_and_plausible():
    d = make_desa(TINY)
    again = make_desa(TINY)
    assert d.gdf.geom_equals_exact(again.gdf, tolerance=0).all()
    assert d.gdf["kode_desa"].is_unique
    assert d.gdf.is_valid.all()
    assert normalise_kode_desa(d.gdf["kode_desa"])["kode_desa"].notna().all()
    assert d.gdf["kode_desa"].str.match(r"^61\.0[1-4]\.0[1-4]\.20\d\d$").all()
    # Tessellation: the desa cover the extent without overlapping.
    assert abs(d.gdf.union_all().area - 0.36) < 1e-3
    raw = make_households(d, TINY.n_keluarga)
    pd.testing.assert_frame_equal(raw, make_households(d, TINY.n_keluarga))
    check = validate_households(raw, source="t", desil_scale="dtsen")
    placed = place_households(
        check.keluarga, d.gdf, source="t", metric_crs=pyproj.CRS.from_epsg(32749)
    )
    k = placed.keluarga
    assert len(k) + len(placed.ditolak) == TINY.n_keluarga
    with_point = k["kode_desa_titik"].notna()
    agrees = (k.loc[with_point, "kode_desa_titik"] == k.loc[with_point, "kode_desa"]).mean()
    assert 0.97 < agrees < 1.0  # mostly inside their desa, a few faults on purpose
    assert isinstance(k, gpd.GeoDataFrame)
