"""Hostile and broken input: each gets a clear message naming the file, and nothing hangs.

Inputs are generated in ``tmp_path`` with bounded sizes (the largest, a 1,000,000-row CSV of
about 21 MB, takes about half a second to build). Time and memory are measured by
``bench/hostile.py``, never asserted here.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
import shapely
from openpyxl import Workbook
from shapely.geometry import MultiPolygon, Polygon, box, mapping
from streamlit.testing.v1 import AppTest

from geo.errors import InputSchemaError
from geo.io import read_boundaries, read_table
from geo.limits import MAX_CROSSINGS, MAX_ROWS, count_crossings
from targeting.cli import main

ROOT = Path(__file__).resolve().parent.parent
X0, Y0 = 109.90, -1.20


def _xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["id_keluarga", "kode_desa", "desil"])
    for i in range(50):
        ws.append([f"K{i}", "6111012001", 1 + i % 4])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def big_csv(path: Path, rows: int) -> Path:
    """A family table of ``rows`` rows (codes cycling over Kayong Utara's desa)."""
    body = "\n".join(f"K{i},61110120{i % 9 + 1:02d},{i % 4 + 1}" for i in range(rows))
    path.write_text("id_keluarga,kode_desa,desil\n" + body + "\n", encoding="utf-8")
    return path


def long_sheet_xlsx(rows: int) -> bytes:
    """A hand-made workbook whose one sheet has ``rows`` rows (1,000,000: 2 MB packed)."""
    row = '<row r="{}"><c t="inlineStr"><is><t>1</t></is></c></row>'
    xml = "<worksheet><sheetData>" + "".join(row.format(i) for i in range(1, rows + 1))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("xl/worksheets/sheet1.xml", xml + "</sheetData></worksheet>")
    return buf.getvalue()


def wide_csv(path: Path, columns: int = 10_000) -> Path:
    header = "kode_desa,desil," + ",".join(f"k{i}" for i in range(columns - 2))
    row = "6111012001,1," + ",".join("x" for _ in range(columns - 2))
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    return path


def zip_bomb(path: Path, unpacked_mb: int) -> Path:
    """A 'zipped shapefile' whose .dbf unpacks to ``unpacked_mb`` MB of zeros."""
    poly = box(X0, Y0, X0 + 0.01, Y0 + 0.01)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("desa.prj", 'GEOGCS["WGS 84",DATUM["WGS_1984"]]')
        z.writestr("desa.shp", shapely.to_wkb(poly))
        with z.open("desa.dbf", "w", force_zip64=True) as f:
            chunk = b"\0" * 2**20
            for _ in range(unpacked_mb):
                f.write(chunk)
    return path


def star(n: int) -> MultiPolygon:
    """A ring of ``n`` vertices where every edge crosses about n/2 others."""
    k = n // 2 - 1
    t = 2 * np.pi * ((np.arange(n) * k) % n) / n
    return MultiPolygon([Polygon(np.c_[X0 + 0.01 * np.cos(t), Y0 + 0.01 * np.sin(t)])])


def wiggly(n: int) -> MultiPolygon:
    """A wiggly ring of ``n`` vertices with two vertices swapped: a few self-crossings."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    r = 0.01 * (1 + 0.02 * np.sin(t * 2000))
    xs, ys = X0 + r * np.cos(t), Y0 + r * np.sin(t)
    xs[[10, n // 2]] = xs[[n // 2, 10]]
    ys[[10, n // 2]] = ys[[n // 2, 10]]
    return MultiPolygon([Polygon(np.c_[xs, ys])])


def geojson(path: Path, geom: MultiPolygon) -> Path:
    fc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        "features": [
            {
                "type": "Feature",
                "properties": {"kode_desa": "61.11.01.2001", "desa": "Rusak", "kecamatan": "A"},
                "geometry": mapping(geom),
            },
            {
                "type": "Feature",
                "properties": {"kode_desa": "61.11.01.2002", "desa": "Baik", "kecamatan": "A"},
                "geometry": mapping(box(X0 + 0.02, Y0, X0 + 0.03, Y0 + 0.01)),
            },
        ],
    }
    path.write_text(json.dumps(fc), encoding="utf-8")
    return path


# --- tables -------------------------------------------------------------------------------


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_xlsx_names_the_file(cut):
    data = _xlsx()
    with pytest.raises(InputSchemaError, match=r"potong\.xlsx: berkas XLSX rusak") as err:
        read_table(data[: int(len(data) * cut)], name="potong.xlsx")
    assert "corrupt" in err.value.en


def test_corrupt_xlsx_member_names_the_file():
    data = bytearray(_xlsx())
    mid = len(data) // 2
    data[mid : mid + 200] = b"\xff" * 200  # damage the deflate stream inside the archive
    with pytest.raises(InputSchemaError, match=r"^rusak\.xlsx: "):
        read_table(bytes(data), name="rusak.xlsx")


def test_xlsx_zip_bomb_is_refused_unopened():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * (20 * 2**20) + b">")
    with pytest.raises(InputSchemaError, match=r"bom\.xlsx: arsip zip ditolak"):
        read_table(buf.getvalue(), name="bom.xlsx")


def test_million_row_csv_gets_a_clear_message(tmp_path):
    path = big_csv(tmp_path / "sejuta.csv", 1_000_000)
    with pytest.raises(InputSchemaError, match=r"^sejuta\.csv: sekitar 1\.000\.001 baris") as err:
        read_table(path)
    assert "LOKUS_MAX_BARIS" in str(err.value)
    assert f"{MAX_ROWS:,}" in err.value.en


def test_row_limit_is_set_by_the_administrator(tmp_path, monkeypatch):
    path = big_csv(tmp_path / "p3ke.csv", 2_000)
    monkeypatch.setenv("LOKUS_MAX_BARIS", "1000")
    with pytest.raises(InputSchemaError, match=r"paling banyak 1\.000 baris"):
        read_table(path)
    monkeypatch.setenv("LOKUS_MAX_BARIS", "5000")
    assert len(read_table(path)) == 2_000


def test_ten_thousand_columns_get_a_clear_message(tmp_path):
    with pytest.raises(InputSchemaError, match=r"^lebar\.csv: baris 1 memiliki 10000 kolom"):
        read_table(wide_csv(tmp_path / "lebar.csv"))


def test_cli_reports_hostile_tables_and_exits_2(tmp_path, capsys):
    for path in (big_csv(tmp_path / "sejuta.csv", 1_000_000), wide_csv(tmp_path / "lebar.csv")):
        assert main(["run", "--households", str(path), "--out", str(tmp_path / "out")]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"error: {path.name}: ")
        assert "Traceback" not in err


# --- boundaries ---------------------------------------------------------------------------


def test_zip_bomb_posing_as_a_zipped_shapefile(tmp_path):
    path = zip_bomb(tmp_path / "batas.shp.zip", unpacked_mb=300)
    assert path.stat().st_size < 2 * 2**20
    with pytest.raises(InputSchemaError, match=r"^batas\.shp\.zip: arsip zip ditolak") as err:
        read_boundaries(path)
    assert "decompression bomb" in err.value.en


def test_small_zip_bomb_is_caught_by_its_ratio(tmp_path):
    path = zip_bomb(tmp_path / "kecil.zip", unpacked_mb=5)  # under the size limit
    with pytest.raises(InputSchemaError, match="dipadatkan secara tidak wajar"):
        read_boundaries(path.read_bytes(), name="kecil.zip")


def test_an_honest_zipped_shapefile_still_reads(tmp_path, squares):
    squares.to_file(tmp_path / "desa.shp")
    path = tmp_path / "desa.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for part in tmp_path.glob("desa.*"):
            if part.suffix != ".zip":
                z.write(part, part.name)
    assert len(read_boundaries(path.read_bytes(), name="desa.zip").desa) == 5


def test_crossing_count():
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    assert count_crossings(bowtie) == 1
    assert count_crossings(box(0, 0, 3, 3).difference(box(1, 1, 2, 2))) == 0
    assert count_crossings(star(2_001)) > MAX_CROSSINGS


def test_self_intersecting_100k_vertex_multipolygon_is_refused(tmp_path):
    path = geojson(tmp_path / "bintang.geojson", star(100_000))
    with pytest.raises(
        InputSchemaError, match=r"^bintang\.geojson: baris 1 \(kode 61\.11\.01\.2001\)"
    ):
        read_boundaries(path)


def test_cli_refuses_a_polygon_crossing_itself_everywhere(tmp_path, capsys):
    path = geojson(tmp_path / "bintang.geojson", star(5_001))
    assert main(["run", "--boundaries", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "crosses itself at more than" in capsys.readouterr().err


def test_self_intersecting_100k_vertex_multipolygon_with_few_crossings_is_repaired(tmp_path):
    load = read_boundaries(geojson(tmp_path / "berkelok.geojson", wiggly(100_000)))
    assert len(load.desa) == 2
    assert load.desa.geometry.is_valid.all()
    assert load.diperbaiki["kode_desa"].tolist() == ["61.11.01.2001"]
    assert "Self-intersection" in load.diperbaiki.at[0, "masalah"]


# --- the app keeps working ----------------------------------------------------------------


def test_app_shows_each_hostile_upload_and_keeps_working(tmp_path):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    bad = {
        "sejuta.csv": big_csv(tmp_path / "sejuta.csv", 1_000_000).read_bytes(),
        "lebar.csv": wide_csv(tmp_path / "lebar.csv").read_bytes(),
        "potong.xlsx": _xlsx()[:2000],
        "bom.xlsx": zip_bomb(tmp_path / "bom.zip", unpacked_mb=5).read_bytes(),
        "kosong.csv": b"",
    }
    for name, data in bad.items():
        at.session_state["_berkas_p3ke"] = (name, data)
        at.run()
        assert not at.exception, (name, at.exception)
        assert at.error, name
        assert name in at.error[0].value.replace("\\", "")
    good = b"id_keluarga,kode_desa,desil\nK1,6111012001,1\nK2,6111012002,1\nK3,6111012002,2\n"
    at.session_state["_berkas_p3ke"] = ("baik.csv", good)
    at.run()
    assert not at.exception
    assert not at.error
    assert next(m.value for m in at.metric if m.label == "Keluarga desil 1") == "2"


def test_a_sheet_too_long_for_memory_is_refused_before_openpyxl(monkeypatch):
    monkeypatch.setenv("LOKUS_MAX_BARIS", "60")
    assert len(read_table(_xlsx(), name="p3ke.xlsx")) == 50  # 51 rows with the header
    monkeypatch.setenv("LOKUS_MAX_BARIS", "30")
    with pytest.raises(
        InputSchemaError, match=r"^p3ke\.xlsx: lembar sheet1 memiliki lebih dari 30"
    ):
        read_table(_xlsx(), name="p3ke.xlsx")


def test_million_row_sheet_xml_is_counted_without_parsing():
    with pytest.raises(InputSchemaError, match=r"lebih dari 500\.000 baris"):
        read_table(long_sheet_xlsx(1_000_000), name="sejuta.xlsx")


def test_a_minimal_family_file_works_on_every_page():
    """Regression: without deprivation columns the sub-activity page raised KeyError 'status'
    (found by the browser scan in tests/test_security_browser.py)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["_berkas_p3ke"] = ("minimal.csv", b"kode_desa,desil\n6111012001,1\n")
    at.run()
    assert not at.exception
    pages = re.findall(r'st\.Page\("(views/[a-z_]+\.py)"', (ROOT / "app.py").read_text())
    assert len(pages) >= 3
    for page in pages:
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
