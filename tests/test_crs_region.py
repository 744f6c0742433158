from pathlib import Path

import geopandas as gpd
import pyproj
import pytest

from geo.crs import choose_metric_crs, require_crs, to_display
from geo.errors import CRSError, RegionError
from geo.io import read_boundaries
from geo.region import DEFAULT_REGION_FILE, default_region, load_region


def test_kayong_utara_metric_crs_is_utm_49s():
    region = default_region()
    desa = read_boundaries(region.batas_desa).desa
    crs = choose_metric_crs(desa)
    assert crs == pyproj.CRS.from_epsg(32749)
    assert crs == pyproj.CRS.from_user_input(desa.estimate_utm_crs())


def test_metric_crs_setting_must_be_metres(squares):
    assert choose_metric_crs(squares, setting="EPSG:32749").to_epsg() == 32749
    with pytest.raises(CRSError, match="meter"):
        choose_metric_crs(squares, setting="EPSG:4326")


def test_layer_without_crs_is_refused(squares):
    bare = squares.set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="tidak memiliki sistem koordinat"):
        require_crs(bare, source="x.geojson")
    with pytest.raises(CRSError):
        to_display(bare)


def test_region_file_paths_resolve():
    region = load_region(DEFAULT_REGION_FILE)
    assert region.kode == "61.11"
    assert region.batas_desa.is_file()
    assert region.keluarga_p3ke is not None
    assert region.keluarga_p3ke.is_file()
    assert region.metric_crs is None  # chosen from the data, not a constant


def test_region_errors_name_the_problem(tmp_path: Path):
    with pytest.raises(RegionError, match="tidak ditemukan"):
        load_region(tmp_path / "none.toml")
    bad = tmp_path / "r.toml"
    bad.write_text('[region]\nnama = "X"\nkode = "61.11"\n', encoding="utf-8")
    with pytest.raises(RegionError, match="batas_desa"):
        load_region(bad)
    bad.write_text('[region]\nnama = "X"\nkode = "61.11"\nbatas_desa = "nope.geojson"\n')
    with pytest.raises(RegionError, match="tidak ada"):
        load_region(bad)
    bad.write_text("[region\n")
    with pytest.raises(RegionError, match="TOML"):
        load_region(bad)


def test_another_region_is_only_a_settings_file(tmp_path: Path, squares: gpd.GeoDataFrame):
    squares.to_file(tmp_path / "desa.gpkg")
    (tmp_path / "r.toml").write_text(
        '[region]\nnama = "Kabupaten Uji"\nkode = "6111"\nbatas_desa = "desa.gpkg"\n'
    )
    region = load_region(tmp_path / "r.toml")
    assert region.kode == "61.11"
    assert len(read_boundaries(region.batas_desa, code_prefix=region.kode).desa) == 5
