"""Fresh-user pass on issue 19: a planner's own file for another kabupaten.

Found by trying Lokus as a new user: a household file for Kabupaten Sambas (61.01) with
families of the split-off (pemekaran) desa and 2022 spellings, read with the scan statistic.
Every family is SYNTHETIC.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from geo.wilayah import PEMEKARAN
from targeting.pockets import PocketSettings, desa_hotspots


@pytest.mark.parametrize("statistik", ["scan_tetangga", "scan_lingkaran"])
def test_the_scan_says_a_desa_without_polygon_is_pemekaran(embedded, statistik):
    # As in a real run: the pemekaran desa has families but no denominator in the family
    # table (the table predates the split) and no polygon. Its reason must name the missing
    # polygon, as Gi* does, not only the missing denominator.
    ind = embedded.indikator
    extra = ind.iloc[[0]].assign(kode_desa="61.11.01.2099", geometry=[None], keluarga_total=pd.NA)
    both = gpd.GeoDataFrame(pd.concat([ind, extra], ignore_index=True), crs=ind.crs)
    settings = PocketSettings(statistik=statistik)
    hot = desa_hotspots(both, metric_crs=embedded.metric_crs, settings=settings)
    row = hot.set_index("kode_desa").loc["61.11.01.2099"]
    assert row["kantong"] == "tidak dinilai"
    assert row["alasan"] == f"tidak dinilai: {PEMEKARAN}"


def test_gi_star_says_pemekaran_also_without_a_denominator(embedded):
    ind = embedded.indikator
    extra = ind.iloc[[0]].assign(kode_desa="61.11.01.2099", geometry=[None], keluarga_total=pd.NA)
    both = gpd.GeoDataFrame(pd.concat([ind, extra], ignore_index=True), crs=ind.crs)
    hot = desa_hotspots(both, metric_crs=embedded.metric_crs, settings=PocketSettings())
    assert hot.set_index("kode_desa").loc["61.11.01.2099", "alasan"] == f"tidak dinilai: {PEMEKARAN}"


@pytest.mark.parametrize("statistik", ["scan_tetangga", "scan_lingkaran"])
def test_the_scan_leaves_out_a_pemekaran_desa_that_has_a_denominator(embedded, statistik):
    ind = embedded.indikator
    extra = ind.iloc[[0]].assign(kode_desa="61.11.01.2099", geometry=[None])
    both = gpd.GeoDataFrame(pd.concat([ind, extra], ignore_index=True), crs=ind.crs)
    hot = desa_hotspots(
        both, metric_crs=embedded.metric_crs, settings=PocketSettings(statistik=statistik)
    )
    assert hot.set_index("kode_desa").loc["61.11.01.2099", "alasan"] == f"tidak dinilai: {PEMEKARAN}"
