"""Exports read back as their readers see them (issue 13 item 8).

Counts are number cells and integer fields (never text, never ``62.0``); scores keep every
digit in the cell but show one decimal; every time stamp is the district's local time (WIB)
with its offset, and dates in file names are local dates.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re

import openpyxl
import pandas as pd
import pyogrio
import pytest

from geo.errors import RegionError
from geo.region import DEFAULT_REGION_FILE, default_region, load_region
from targeting.export import FLOAT_FORMAT, INT_FORMAT, to_xlsx_bytes
from targeting.package import TargetOptions, build_package
from targeting.pipeline import run, write_outputs
from targeting.waktu import stempel

# 20:00 UTC on 30 November is 03:00 WIB on 1 December: the local date differs from UTC's.
LATE_UTC = dt.datetime(2026, 11, 30, 20, 0, 5, tzinfo=dt.UTC)
INTEGER_TYPES = {"int32", "int64"}


@pytest.fixture(scope="module")
def package(embedded):
    ranking = embedded.peringkat()
    chosen = tuple(ranking.tabel["kode_desa"].head(3))
    return build_package(
        embedded, ranking, TargetOptions(desa=chosen, cara_pilih="3 teratas"), now=LATE_UTC
    )


@pytest.fixture(scope="module")
def workbook(package):
    return openpyxl.load_workbook(io.BytesIO(package.xlsx()))


def _ringkasan_cells(workbook) -> dict[str, openpyxl.cell.cell.Cell]:
    ws = workbook["ringkasan"]
    return {row[1].value: row[2] for row in ws.iter_rows(min_row=2)}


def _column(ws, name: str) -> list[openpyxl.cell.cell.Cell]:
    header = [c.value for c in ws[1]]
    col = header.index(name) + 1
    return [ws.cell(row=r, column=col) for r in range(2, ws.max_row + 1)]


# ---- workbook -----------------------------------------------------------------------------


def test_ringkasan_counts_are_number_cells(workbook, package):
    cells = _ringkasan_cells(workbook)
    for butir, expected in (
        ("baris dibaca", package.result.rows_in),
        ("baris dipakai", package.result.rows_used),
        ("keluarga dipakai", package.result.families_used),
        ("keluarga sasaran", len(package.sasaran.keluarga)),
    ):
        cell = cells[butir]
        assert cell.data_type == "n", butir
        assert cell.value == expected, butir
        assert cell.number_format == INT_FORMAT, butir
    alpha = cells["alpha"]
    assert alpha.data_type == "n"
    assert alpha.value == pytest.approx(package.result.kantong.parameter["alpha"])
    assert alpha.number_format == "General"  # a setting is shown as typed (0,05), not 0,1
    assert cells["seed"].data_type == "s"  # a label, not a quantity: no thousands separator
    assert cells["judul"].data_type == "s"


def test_scores_keep_every_digit_but_show_one_decimal(workbook, package):
    ws = workbook["desa_prioritas"]
    skor = _column(ws, "skor")
    expected = package.ranking.tabel["skor"].to_list()
    assert [c.value for c in skor] == pytest.approx(expected, abs=0, rel=1e-15)
    assert any(v != round(v, 1) for v in expected)  # the data really has more digits
    assert {c.number_format for c in skor} == {FLOAT_FORMAT}
    assert {c.number_format for c in _column(ws, "peringkat")} == {"0"}
    assert {c.number_format for c in _column(ws, "normal_persen_desil_1")} == {"0.00"}
    counts = _column(ws, "nilai_keluarga_desil_1")  # a count held in a decimal column
    assert {c.number_format for c in counts} == {INT_FORMAT}


def test_number_formats_per_column_and_override():
    frame = pd.DataFrame(
        {"skor": [1.23456], "lintang": [-1.234567], "n": [62], "baris": [1226], "x": [0.05]}
    )
    data = to_xlsx_bytes({"t": frame}, float_formats={"x": "General"})
    ws = openpyxl.load_workbook(io.BytesIO(data))["t"]
    formats = {ws.cell(row=1, column=c).value: ws.cell(row=2, column=c) for c in range(1, 6)}
    assert formats["skor"].number_format == "#,##0.0"
    assert formats["skor"].value == pytest.approx(1.23456)
    assert formats["lintang"].number_format == "0.000000"
    assert formats["n"].number_format == INT_FORMAT
    assert formats["baris"].number_format == "0"
    assert formats["x"].number_format == "General"


# ---- time stamps --------------------------------------------------------------------------


def test_workbook_time_is_wib_with_its_offset(workbook, package):
    cells = _ringkasan_cells(workbook)
    assert "dibuat (UTC)" not in cells
    assert cells["dibuat (WIB)"].value == "2026-12-01T03:00:05+07:00"
    assert cells["zona waktu"].value == "Asia/Pontianak"
    # file names and the map's note use the local date, not UTC's 30 November
    assert package.file_name("xlsx").startswith("lokus_sasaran_2026-12-01_")
    assert "dibuat 2026-12-01" in package.map_html()


def test_report_json_time_is_wib_with_its_offset(embedded, tmp_path):
    assert embedded.report(now=LATE_UTC)["dibuat"] == "2026-12-01T03:00:05+07:00"
    write_outputs(embedded, tmp_path)
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert "dibuat_utc" not in report
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00", report["dibuat"])
    assert report["zona_waktu"] == "Asia/Pontianak"


def test_region_time_zone_is_a_setting(tmp_path):
    batas = default_region().batas_desa
    toml = tmp_path / "region.toml"
    toml.write_text(
        f'[region]\nnama = "X"\nkode = "61.11"\nbatas_desa = "{batas.as_posix()}"\n'
        'zona_waktu = "Asia/Makassar"\n',
        encoding="utf-8",
    )
    region = load_region(toml)
    assert region.zona_waktu == "Asia/Makassar"
    assert stempel(LATE_UTC, region.zona_waktu) == "2026-12-01T04:00:05+08:00"
    assert load_region(DEFAULT_REGION_FILE).zona_waktu == "Asia/Pontianak"
    toml.write_text(toml.read_text().replace("Asia/Makassar", "Asia/Sukadana"))
    with pytest.raises(RegionError, match=r"zona_waktu 'Asia/Sukadana'.*Asia/Pontianak"):
        load_region(toml)


# ---- GeoJSON and GeoPackage ---------------------------------------------------------------


def _field_types(path, layer=None) -> dict[str, str]:
    info = pyogrio.read_info(path, layer=layer)
    return dict(zip(info["fields"], info["dtypes"], strict=True))


def _assert_int_properties(geojson: dict, fields: tuple[str, ...]) -> None:
    seen = 0
    for feature in geojson["features"]:
        for name in fields:
            value = feature["properties"].get(name)
            if value is not None:
                assert isinstance(value, int), (name, value)
                seen += 1
    assert seen


def test_target_layers_write_counts_as_integers(package, tmp_path):
    counts = ("peringkat", "keluarga_desil_1", "keluarga_sasaran")
    data = package.geojson()
    _assert_int_properties(json.loads(data), counts)
    path = tmp_path / "t.geojson"
    path.write_bytes(data)
    types = _field_types(path)
    assert {types[f] for f in counts} <= INTEGER_TYPES
    gpkg = tmp_path / "t.gpkg"
    gpkg.write_bytes(package.gpkg())
    for layer in ("desa_prioritas", "kantong"):
        types = _field_types(gpkg, layer)
        assert {types[f] for f in counts} <= INTEGER_TYPES, layer


def test_cli_layers_write_counts_as_integers(embedded, tmp_path):
    write_outputs(embedded, tmp_path)
    pockets = json.loads((tmp_path / "pockets.geojson").read_text(encoding="utf-8"))
    _assert_int_properties(pockets, ("keluarga_desil_1",))
    assert _field_types(tmp_path / "pockets.geojson")["keluarga_desil_1"] in INTEGER_TYPES
    desa = _field_types(tmp_path / "desa.geojson")
    for name in ("keluarga_total", "keluarga_p3ke", "keluarga_desil_1", "p3ke_tanpa_listrik"):
        assert desa[name] in INTEGER_TYPES, name


def test_desa_without_data_keep_integer_counts(tmp_path):
    csv = tmp_path / "p3ke.csv"
    csv.write_text(
        "kode_kemdagri,desil_kesejahteraan\n6111012001,1\n6111012001,2\n6111012002,1\n",
        encoding="utf-8",
    )
    result = run(default_region(), households=csv)
    write_outputs(result, tmp_path / "out")
    path = tmp_path / "out" / "desa.geojson"
    assert _field_types(path)["keluarga_desil_1"] in INTEGER_TYPES
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    values = [f["properties"]["keluarga_desil_1"] for f in features]
    assert None in values  # desa without a P3KE row: no data, not zero and not 0.0
    assert sorted(v for v in values if v is not None) == [1, 1]


def test_input_file_dates_are_local_dates(tmp_path):
    csv = tmp_path / "p3ke.csv"
    csv.write_text("kode_kemdagri,desil_kesejahteraan\n6111012001,1\n", encoding="utf-8")
    os.utime(csv, (LATE_UTC.timestamp(), LATE_UTC.timestamp()))  # 03:00 WIB on 1 December
    result = run(default_region(), households=csv)
    assert result.provenance.input("keluarga_p3ke").tanggal == "2026-12-01"
