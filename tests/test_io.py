import gzip
import io
import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Polygon

from geo.errors import CRSError, InputSchemaError
from geo.io import read_boundaries, read_keluarga_desa, read_table
from geo.region import default_region


def _geojson_bytes(gdf: gpd.GeoDataFrame) -> bytes:
    return gdf.to_json().encode()


def test_real_boundaries_load_whole():
    load = read_boundaries(default_region().batas_desa, code_prefix="61.11")
    desa = load.desa
    assert len(desa) == 43
    assert desa.crs.to_epsg() == 4326
    assert desa["kode_desa"].str.fullmatch(r"61\.11\.0[1-6]\.2\d{3}").all()
    assert desa["kecamatan"].nunique() == 6
    assert desa.geometry.is_valid.all()
    assert set(desa.geom_type) == {"MultiPolygon"}
    area_km2 = desa.to_crs(32749).area.sum() / 1e6
    assert area_km2 == pytest.approx(4108.35, abs=0.5)  # SOURCES.md 1.1
    assert load.diperbaiki.empty
    assert len(load.sha256) == 64


def test_invalid_geometry_is_repaired_and_reported(squares):
    bowtie = Polygon([(109.0, -1.0), (109.01, -1.01), (109.01, -1.0), (109.0, -1.01)])
    gdf = squares.copy()
    gdf.loc[0, "geometry"] = bowtie
    load = read_boundaries(_geojson_bytes(gdf), name="b.geojson")
    assert load.diperbaiki["kode_desa"].tolist() == ["61.11.01.2001"]
    assert "Self-intersection" in load.diperbaiki.at[0, "masalah"]
    fixed = load.desa.set_index("kode_desa").geometry["61.11.01.2001"]
    assert fixed.is_valid
    assert fixed.geom_type == "MultiPolygon"
    assert fixed.area > 0


def test_missing_crs_is_refused(squares, tmp_path):
    path = tmp_path / "nocrs.geojson"
    data = json.loads(squares.to_json())
    data.pop("crs", None)
    # A shapefile without .prj is the usual way a CRS gets lost.
    squares.to_file(tmp_path / "x.shp")
    (tmp_path / "x.prj").unlink()
    with pytest.raises(CRSError, match=r"x\.shp.*tidak memiliki sistem koordinat"):
        read_boundaries(tmp_path / "x.shp")
    path.write_text(json.dumps(data))
    assert read_boundaries(path).desa.crs.to_epsg() == 4326  # GeoJSON is EPSG:4326 by RFC 7946


def test_empty_geometry_is_listed_and_area_change_reported(squares):
    gdf = squares.copy()
    gdf.loc[4, "geometry"] = None
    # A bowtie whose repair keeps both triangles: valid area differs from the signed area.
    gdf.loc[0, "geometry"] = Polygon(
        [(109.0, -1.0), (109.02, -1.01), (109.02, -1.0), (109.0, -1.01)]
    )
    load = read_boundaries(_geojson_bytes(gdf), name="b.geojson")
    assert load.dilewati.to_dict(orient="records") == [
        {"berkas": "b.geojson", "lembar": "", "baris": 5, "kolom": "geometry",
         "nilai": "61.11.02.2001", "kode": "geometri_kosong", "alasan": "geometri kosong"}
    ]  # fmt: skip
    assert load.ledger.check().rows_in == len(load.desa) + 1
    assert len(load.desa) == 4
    rep = load.diperbaiki.iloc[0]
    assert rep["luas_sesudah_m2"] > 0
    assert bool(rep["perlu_diperiksa"])


def test_bad_rows_are_all_listed_at_once(squares):
    gdf = squares.copy()
    gdf.loc[1, "kode_desa"] = "61.11.01.20X2"
    gdf.loc[3, "kode_desa"] = "61.11.01.2001"
    with pytest.raises(InputSchemaError) as info:
        read_boundaries(_geojson_bytes(gdf), name="b.geojson")
    text = str(info.value)
    assert "b.geojson" in text
    assert "baris 2, kolom kode_desa" in text
    assert "kode desa ganda 61.11.01.2001" in text


def test_missing_code_column_lists_what_exists(squares):
    gdf = squares.rename(columns={"kode_desa": "id"})
    with pytest.raises(InputSchemaError, match=r"kolom wajib tidak ditemukan: kode_desa.*id"):
        read_boundaries(_geojson_bytes(gdf), name="b.geojson")


def test_code_prefix_leaves_out_other_regions_and_lists_them(squares):
    load = read_boundaries(_geojson_bytes(squares), code_prefix="61.11.01")
    assert len(load.desa) == 4
    assert load.dilewati["nilai"].tolist() == ["61.11.02.2001"]
    with pytest.raises(InputSchemaError, match=r"berawalan 61\.12"):
        read_boundaries(_geojson_bytes(squares), code_prefix="61.12")


def test_unreadable_boundary_file():
    with pytest.raises(InputSchemaError, match="tidak dapat dibaca"):
        read_boundaries(b"not a vector file", name="x.geojson")


@pytest.mark.parametrize("sep", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_table_keeps_ids_as_text(sep):
    text = sep.join(["NIK", "Kode Kemdagri", "desil"]) + "\n"
    text += sep.join(["0012345678901234", "6111012001", "1"]) + "\n"
    df = read_table(text.encode(), name="k.csv")
    assert df.at[0, "nik"] == "0012345678901234"
    assert list(df.columns) == ["nik", "kode_kemdagri", "desil", "_baris"]
    assert df.at[0, "_baris"] == 2


def test_table_from_xlsx_and_gzip():
    frame = pd.DataFrame({"nik": ["9911010101800001"], "desil": ["2"]})
    buf = io.BytesIO()
    frame.to_excel(buf, index=False)
    assert read_table(buf.getvalue(), name="k.xlsx").at[0, "nik"] == "9911010101800001"
    gz = gzip.compress(frame.to_csv(index=False).encode())
    assert read_table(gz, name="k.csv.gz").at[0, "desil"] == "2"


def test_broken_tables_raise_schema_errors():
    with pytest.raises(InputSchemaError, match="gzip"):
        read_table(b"\x1f\x8b\x08\x00broken", name="k.csv.gz")
    assert list(read_table(b"nik,NIK\n1,2\n", name="k.csv").columns) == ["nik", "nik_2", "_baris"]
    with pytest.raises(InputSchemaError, match="rusak atau bukan XLSX"):
        read_table(b"PK\x03\x04garbage", name="k.xlsx")
    with pytest.raises(InputSchemaError, match=r"\.xls \(Excel 97-2003\)"):
        read_table(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, name="k.xls")
    # A CSV renamed to .xlsx is read by its content.
    assert read_table(b"kode_desa,desil\n6111012001,1\n", name="k.xlsx").at[0, "desil"] == "1"


def test_keluarga_desa_validation():
    ok = read_keluarga_desa(b"kode_desa,keluarga_total,sumber\n6111012001,625,x\n", name="k.csv")
    assert ok.at[0, "kode_desa"] == "61.11.01.2001"
    assert ok.at[0, "keluarga_total"] == 625
    bad = b"kode_desa,keluarga_total\n6111012001,-3\n6111012001,abc\n"
    with pytest.raises(InputSchemaError) as info:
        read_keluarga_desa(bad, name="k.csv")
    assert "baris 2, kolom keluarga_total" in str(info.value)
    assert "baris 3, kolom keluarga_total" in str(info.value)
    assert "kode desa ganda" in str(info.value)


@pytest.mark.parametrize("encoding", ["cp1252", "UTF-8"], ids=["cp1252-cpg", "utf8-cpg"])
def test_shapefile_attribute_encodings_decode(squares, tmp_path, encoding):
    gdf = squares.copy()
    gdf.loc[0, "desa"] = "Désa Sungai Ôrang"
    gdf.to_file(tmp_path / "d.shp", encoding=encoding)
    assert (tmp_path / "d.cpg").exists()
    assert read_boundaries(tmp_path / "d.shp").desa.at[0, "desa"] == "Désa Sungai Ôrang"


def test_utf8_shapefile_read_as_latin1_fails_loudly(squares, tmp_path):
    gdf = squares.copy()
    gdf.loc[0, "desa"] = "Désa"
    gdf.to_file(tmp_path / "d.shp", encoding="UTF-8")
    (tmp_path / "d.cpg").write_text("ISO-8859-1")  # wrong code page declared
    with pytest.raises(InputSchemaError, match=r"\.cpg"):
        read_boundaries(tmp_path / "d.shp")


def test_projected_boundaries_are_reprojected_and_big_aliases_read(squares, tmp_path):
    big = squares.rename(columns={"kode_desa": "KDEPUM", "desa": "WADMKD", "kecamatan": "WADMKC"})
    big.to_crs(32749).to_file(tmp_path / "big.gpkg")
    load = read_boundaries(tmp_path / "big.gpkg")
    assert load.desa.crs.to_epsg() == 4326
    assert load.desa["desa"].tolist()[:2] == ["Satu", "Dua"]
    assert load.desa["kecamatan"].iloc[0] == "Kec A"
    assert load.desa.geometry.iloc[0].bounds[0] == pytest.approx(109.90, abs=1e-6)
