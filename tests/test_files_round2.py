"""Issue 14, section 1: every kind of file a planner sends (examples in tests/data/cases).

Every household record here is SYNTHETIC (``Warga Sintetis N``, NIK ``61110199990000NN``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from geo.households import validate_households
from geo.region import default_region
from geo.sheets import read_sheet
from geo.text import fold
from targeting.pipeline import run

CASES = Path(__file__).parent / "data" / "cases"


def _bytes(name: str) -> bytes:
    return (CASES / name).read_bytes()


def _balanced(res) -> None:
    assert res.rows_in == res.rows_used + res.rows_rejected


# n07: Unicode spaces ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Kepala\u00a0Keluarga", "kepala keluarga"),
        ("KEPALA\u2007KELUARGA", "kepala keluarga"),
        ("Kepala\u202f Keluarga\u200b", "kepala keluarga"),
        ("\ufeffYa", "ya"),
        ("Désa  Sukadana", "desa sukadana"),
        ("Ｔｅｌｕｋ Batang", "teluk batang"),
    ],
)
def test_fold_treats_every_space_case_and_accent_alike(raw, folded):
    assert fold(raw) == folded


def test_n07_head_of_family_written_with_a_nonbreaking_space_is_found():
    res = run(
        default_region(), households=_bytes("n07_individu_nbsp.csv"), households_name="n07.csv"
    )
    _balanced(res)
    assert res.check.per_individu
    assert not res.check.keluarga["flag_tanpa_kepala_keluarga"].any()
    # The head, not a child, represents the family.
    assert res.check.keluarga["nama"].str.startswith("Warga Sintetis").all()


def test_nbsp_in_yes_no_and_desa_names_is_folded():
    data = (
        "kode_kemdagri,desa_kelurahan,kecamatan,desil_kesejahteraan,penerima_pkh\n"
        ",Pangkalan\u00a0Buton,Suka\u202fdana,1,Ya\n"
        ",PANGKALAN BUTON,Sukadana,1,YA\u00a0\n"
    ).encode()
    res = run(default_region(), households=data, households_name="ws.csv")
    _balanced(res)
    assert res.rows_used == 2
    assert set(res.placement.keluarga["kode_desa"]) == {"61.11.01.2002"}


# n09: desil as a label ----------------------------------------------------------------


def test_n09_desil_labels_are_read_as_their_number():
    t = read_sheet(_bytes("n09_desil_label.csv"), label="n09.csv")
    check = validate_households(t.frame, source="n09.csv")
    got = dict(zip(check.keluarga["desil_kesejahteraan"], check.keluarga["desil"], strict=True))
    assert got["Desil 1"] == 1
    assert got["1 (Sangat Miskin)"] == 1
    assert got["DESIL 1"] == 1
    assert got["2 (Miskin)"] == 2
    assert len(check.ditolak) == 0
    assert check.desil_dari_label == len(check.keluarga) == 12
    assert any("label" in c for c in check.catatan)


@pytest.mark.parametrize(
    ("label", "desil"),
    [("Desil-1", 1), ("Desil: 3", 3), ("desil ke-2", 2), ("Desil II", 2),
     ("desil iv (rentan miskin)", 4), ("1. Sangat Miskin", 1), ("2 \u2013 Miskin", 2),
     ("\uff13", 3)],
    ids=["hyphen", "colon", "ke", "roman", "roman-words", "dot-words", "en-dash", "full-width"],
)  # fmt: skip
def test_other_wordings_of_a_desil_label_are_read_and_shown(label, desil):
    # Found by trying (try14): these were rejected as "not a whole number" and the longer
    # ones hidden as if personal data.
    data = (f"id_keluarga,kode_desa,desil\nK1,6111012001,{label}\nK2,6111012001,D 1\n").encode()
    t = read_sheet(data, label="lbl.csv")
    check = validate_households(t.frame, source="lbl.csv")
    assert check.keluarga["desil"].tolist() == [desil]
    assert check.desil_dari_label == 1
    assert check.ditolak["nilai"].tolist() == ["D 1"]  # not a label: rejected, shown


def test_a_desil_label_whose_words_name_another_desil_is_rejected_and_shown():
    # Found by trying (try14): "1 (Hampir Miskin)" was read as desil 1 although its words
    # name desil 3; which one was meant cannot be told.
    data = (
        b"id_keluarga,kode_desa,desil\n"
        b"K1,6111012001,1 (Hampir Miskin)\nK2,6111012001,4 (Sangat Miskin)\n"
        b"K3,6111012001,3 (Hampir Miskin)\nK4,6111012001,Desil 2 - Miskin\n"
    )
    res = run(default_region(), households=data, households_name="beda.csv")
    _balanced(res)
    assert sorted(res.check.keluarga["desil"].tolist()) == [2, 3]
    rejected = res.ditolak.set_index("baris")
    assert rejected["nilai"].to_dict() == {2: "1 (Hampir Miskin)", 3: "4 (Sangat Miskin)"}
    assert "'hampir miskin' adalah desil 3" in rejected.loc[2, "alasan"]


def test_labels_in_a_person_level_file_are_counted_as_families():
    # Found by trying (try14): 900 person rows, 225 families with a label, and the note
    # said "225 rows wrote the desil as a label".
    data = (
        b"id_keluarga_p3ke,hubungan_dengan_kepala_keluarga,kode_desa,desil\n"
        b"K1,Kepala Keluarga,6111012001,Desil 1\nK1,Istri,6111012001,Desil 1\n"
        b"K1,Anak,6111012001,Desil 1\nK2,Kepala Keluarga,6111012001,2\n"
    )
    t = read_sheet(data, label="orang.csv")
    check = validate_households(t.frame, source="orang.csv")
    assert check.per_individu
    assert check.desil_dari_label == 1
    assert any(c.startswith("1 keluarga (baris kepala keluarga) menulis") for c in check.catatan)


def test_a_rejected_desil_label_is_shown_not_masked():
    data = (
        b"id_keluarga,kode_desa,desil,nama\n"
        b"K1,6111012001,Desil 7 (Mampu),Warga Sintetis 1\n"
        b"K2,6111012001,Desil 1,Warga Sintetis 2\n"
        b"K3,6111012001,Warga Sintetis 3,x\n"
    )
    res = run(default_region(), households=data, households_name="lbl.csv")
    _balanced(res)
    text = res.ditolak.to_csv()
    assert "Desil 7 (Mampu)" in text  # out of the P3KE scale, shown as written
    assert "Warga Sintetis 3" not in text  # a name from a shifted column stays hidden
    assert res.check.desil_dari_label == 1


# n01 / n03 / n05: workbook kinds -------------------------------------------------------


def _xlsx(build) -> bytes:
    import io

    from openpyxl import Workbook

    wb = Workbook()
    build(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


HEADER = ["id_keluarga_p3ke", "kode_kemdagri", "desil_kesejahteraan", "kepala_keluarga"]


def _rows(n: int, start: int = 1) -> list[list[str]]:
    return [
        [f"P3KE-SIN-{i:06d}", "61.11.01.2001", str(1 + i % 2), f"Warga Sintetis {i}"]
        for i in range(start, start + n)
    ]


def test_n01_password_protected_workbook_says_so_and_how_to_remove_it():
    from geo.errors import InputSchemaError

    with pytest.raises(InputSchemaError) as err:
        read_sheet(_bytes("n01_p3ke_berpassword.xlsx"), label="n01.xlsx")
    assert "kata sandi" in str(err.value)
    assert "password-protected" in err.value.en
    assert "Encrypt with Password" in err.value.en
    assert "97-2003" not in err.value.en  # not mistaken for an old .xls
    assert "rahasia" not in str(err.value)


def test_a_genuine_old_xls_is_still_called_an_old_xls():
    from geo.errors import InputSchemaError

    fake_xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "Workbook".encode("utf-16-le") + b"\0" * 600
    with pytest.raises(InputSchemaError) as err:
        read_sheet(fake_xls, label="lama.xls")
    assert "97-2003" in err.value.en
    assert "password" not in err.value.en


def test_n03_formulas_without_saved_values_are_named_never_called_blank():
    from geo.sheets import sheet_notes

    t = read_sheet(_bytes("n03_desil_rumus_tanpa_cache.xlsx"), label="n03.xlsx")
    assert t.rumus_tanpa_nilai == {"desil_kesejahteraan": list(range(2, 14))}
    res = run(default_region(), households=_bytes("n03_desil_rumus_tanpa_cache.xlsx"),
              households_name="n03.xlsx")  # fmt: skip
    _balanced(res)
    assert res.rows_rejected == 12
    assert not res.ditolak["alasan"].str.contains("desil kosong").any()
    assert res.ditolak["alasan"].str.contains("rumus tanpa nilai tersimpan").all()
    (ind, en), *_ = sheet_notes(t, "n03.xlsx")
    assert "column desil_kesejahteraan (E), rows 2-13" in en
    assert "sheet 'P3KE'" in en
    assert "Paste Special > Values" in en
    assert "VLOOKUP" in en
    assert "Tempel Spesial" in ind


def test_formula_with_a_saved_value_is_read_as_the_value():
    def build(wb):
        ws = wb.active
        ws.append(HEADER)
        for row in _rows(3):
            ws.append(row)
        ws["C2"] = "=1+0"  # openpyxl writes no cached value: flagged

    t = read_sheet(_xlsx(build), label="f.xlsx")
    assert t.rumus_tanpa_nilai == {"desil_kesejahteraan": [2]}
    assert t.rumus_huruf == {"desil_kesejahteraan": "C"}


def test_a_header_with_a_zero_width_space_is_still_recognised():
    data = (
        "kode_kemdagri,desil\u200b,Hubungan\u00a0Dengan Kepala Keluarga\n6111012001,1,x\n".encode()
    )
    t = read_sheet(data, label="zw.csv")
    assert t.frame.columns.tolist()[:3] == [
        "kode_kemdagri",
        "desil",
        "hubungan_dengan_kepala_keluarga",
    ]


def test_n05_strict_open_xml_workbook_is_read():
    res = run(
        default_region(), households=_bytes("n05_strict_ooxml.xlsx"), households_name="n05.xlsx"
    )
    _balanced(res)
    assert res.rows_in == 12
    assert res.rows_used == 12


def test_a_broken_strict_workbook_says_how_to_save_an_ordinary_one():
    import io
    import zipfile

    from geo.errors import InputSchemaError

    src = zipfile.ZipFile(io.BytesIO(_bytes("n05_strict_ooxml.xlsx")))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if "worksheets" not in info.filename:  # the sheet itself is missing
                dst.writestr(info, src.read(info))
    with pytest.raises(InputSchemaError) as err:
        read_sheet(out.getvalue(), label="rusak.xlsx")
    assert "Strict Open XML" in err.value.en
    assert "Save As" in err.value.en


# Hidden sheets, hidden rows ---------------------------------------------------------------


def test_hidden_first_sheet_is_not_read_the_active_visible_sheet_is():
    def build(wb):
        old = wb.active
        old.title = "lama"
        old.append(HEADER)
        for row in _rows(2, start=90):
            old.append(row)
        old.sheet_state = "hidden"
        new = wb.create_sheet("data_2025")
        new.append(HEADER)
        for row in _rows(5):
            new.append(row)
        wb.active = 1

    data = _xlsx(build)
    t = read_sheet(data, label="h.xlsx")
    assert t.sheet == "data_2025"
    assert t.lembar_tersembunyi == ["lama"]
    from geo.sheets import sheet_notes

    assert any("hidden in Excel, not read: 'lama'" in en for _, en in sheet_notes(t, "h.xlsx"))
    res = run(default_region(), households=data, households_name="h.xlsx")
    _balanced(res)
    assert res.rows_in == 5
    assert res.provenance.input("keluarga_p3ke").rincian["lembar_tersembunyi"] == ["lama"]
    chosen = read_sheet(data, label="h.xlsx", sheet="lama")  # read when asked by name
    assert len(chosen.frame) == 2
    assert any("the sheet read is hidden" in en for _, en in sheet_notes(chosen, "h.xlsx"))


def test_an_empty_visible_sheet_names_the_hidden_sheet_that_holds_the_data():
    # Found by trying (try14): the only visible sheet was empty, the data hidden; the
    # message said only "sheet 'Ringkasan' is empty".
    from geo.errors import InputSchemaError

    def build(wb):
        wb.active.title = "Ringkasan"
        data = wb.create_sheet("Data")
        data.append(HEADER)
        for row in _rows(3):
            data.append(row)
        data.sheet_state = "hidden"

    raw = _xlsx(build)
    with pytest.raises(InputSchemaError) as err:
        read_sheet(raw, label="sembunyi.xlsx")
    assert "sheets hidden in Excel hold data: 'Data'" in err.value.en
    assert "--sheet" in err.value.en
    assert "Unhide" in err.value.en
    assert "'Data'" in str(err.value)
    assert "Lembar" in str(err.value)
    assert len(read_sheet(raw, label="sembunyi.xlsx", sheet="Data").frame) == 3


def test_rows_hidden_by_an_autofilter_are_all_used_and_counted():
    def build(wb):
        ws = wb.active
        ws.append(HEADER)
        for row in _rows(10):
            ws.append(row)
        ws.auto_filter.ref = "A1:D11"
        for r in (3, 4, 8):
            ws.row_dimensions[r].hidden = True

    res = run(default_region(), households=_xlsx(build), households_name="af.xlsx")
    _balanced(res)
    assert (res.rows_in, res.rows_used) == (10, 10)
    assert res.sheet.baris_tersembunyi == [3, 4, 8]
    assert res.provenance.input("keluarga_p3ke").rincian["baris_tersembunyi_di_excel"] == 3
    from geo.sheets import sheet_notes

    en = " ".join(e for _, e in sheet_notes(res.sheet, "af.xlsx"))
    assert "3 rows are hidden in Excel (an AutoFilter" in en
    assert "rows 3-4, 8" in en


# n04 / n04b / KMZ: boundary files -----------------------------------------------------------


def test_n04_geopackage_with_a_point_layer_first_gives_the_polygon_layer():
    from geo.io import read_boundaries

    b = read_boundaries(CASES / "n04_batas_multilayer.gpkg", code_prefix="61.11")
    assert b.lapisan == "batas_desa"
    assert len(b.desa) == 43
    assert b.lapisan_tersedia == [("kantor_desa", "Point"), ("batas_desa", "MultiPolygon")]
    as_bytes = read_boundaries(_bytes("n04_batas_multilayer.gpkg"), name="n04.gpkg")
    assert len(as_bytes.desa) == 43


@pytest.mark.parametrize(
    ("name", "layer", "said"),
    [
        ("n04_batas_multilayer.gpkg", "kantor_desa", "layer 'kantor_desa' holds no polygons"),
        ("n04_batas_multilayer.gpkg", "tidak_ada", "no layer 'tidak_ada'"),
        ("n04b_kantor_desa_titik.geojson", None, "no layer holds polygons"),
    ],
)
def test_a_boundary_file_without_polygons_is_refused_with_its_layers(name, layer, said):
    from geo.errors import InputSchemaError
    from geo.io import read_boundaries

    with pytest.raises(InputSchemaError) as err:
        read_boundaries(CASES / name, layer=layer)
    assert said in err.value.en
    assert "(Point)" in err.value.en  # every layer with its geometry type
    assert "(Point)" in str(err.value)


def test_cli_layer_option_and_points_refused_without_traceback(tmp_path, capsys):
    from targeting.cli import main

    rc = main(["run", "--boundaries", str(CASES / "n04b_kantor_desa_titik.geojson"),
               "--out", str(tmp_path / "a")])  # fmt: skip
    err = capsys.readouterr().err
    assert rc == 2
    assert "Traceback" not in err
    assert "no layer holds polygons" in err
    rc = main(["run", "--boundaries", str(CASES / "n04_batas_multilayer.gpkg"),
               "--layer", "batas_desa", "--out", str(tmp_path / "b")])  # fmt: skip
    out = capsys.readouterr().out
    assert rc == 0
    assert "layer 'batas_desa' read" in out


def test_kmz_zipped_by_hand_keeps_its_attributes(tmp_path):
    import zipfile

    import geopandas as gpd

    from geo.io import read_boundaries

    polygons = gpd.read_file(CASES / "n04_batas_multilayer.gpkg", layer="batas_desa").head(4)
    polygons.to_file(tmp_path / "batas.kml", driver="KML")
    kmz = tmp_path / "batas.kmz"
    with zipfile.ZipFile(kmz, "w") as z:
        z.write(tmp_path / "batas.kml", "doc.kml")
    b = read_boundaries(kmz)
    assert sorted(b.desa["kode_desa"]) == sorted(polygons["kode_desa"])
    assert set(b.desa["desa"]) == set(polygons["desa"])
    assert len(read_boundaries(kmz.read_bytes(), name="batas.kmz").desa) == 4


def test_geopackage_with_a_kecamatan_polygon_layer_first_gives_the_desa_layer(tmp_path):
    # Found by trying (try14): the first polygon layer (kecamatan) was read and the file
    # refused for lacking desa columns, without naming the desa layer beside it.
    import geopandas as gpd

    from geo.errors import InputSchemaError
    from geo.io import read_boundaries

    desa = gpd.read_file(CASES / "n04_batas_multilayer.gpkg", layer="batas_desa")
    gpkg = tmp_path / "dua_poligon.gpkg"
    kec = desa.dissolve("kecamatan", as_index=False)[["kecamatan", "geometry"]]
    kec.to_file(gpkg, layer="batas_kecamatan", driver="GPKG")
    desa.to_file(gpkg, layer="batas_desa", driver="GPKG", mode="a")
    for src in (gpkg, gpkg.read_bytes()):
        b = read_boundaries(src, name="dua_poligon.gpkg")
        assert b.lapisan == "batas_desa"
        assert len(b.desa) == len(desa)
    with pytest.raises(InputSchemaError) as err:
        read_boundaries(gpkg, layer="batas_kecamatan")
    assert "batas_desa (MultiPolygon)" in err.value.en
    assert "--layer" in err.value.en


def _nested_kml(polygons) -> str:
    """A KML as Google Earth users arrange it: a district folder, a folder per kecamatan."""

    def placemark(row) -> str:
        ring = " ".join(f"{x},{y}" for x, y in row.geometry.geoms[0].exterior.coords)
        return (
            f"<Placemark><name>{row.desa}</name><ExtendedData><SchemaData schemaUrl='#s'>"
            f"<SimpleData name='KDEPUM'>{row.kode_desa}</SimpleData>"
            f"<SimpleData name='WADMKD'>{row.desa}</SimpleData></SchemaData></ExtendedData>"
            "<Polygon><outerBoundaryIs><LinearRing><coordinates>"
            f"{ring}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>"
        )

    folders = "".join(
        f"<Folder><name>{kec}</name><Folder><name>desa</name>"
        f"{''.join(placemark(r) for r in group.itertuples())}</Folder></Folder>"
        for kec, group in polygons.groupby("kecamatan")
    )
    return (
        "<?xml version='1.0' encoding='UTF-8'?><kml xmlns='http://www.opengis.net/kml/2.2'>"
        "<Document><Schema name='s' id='s'><SimpleField name='KDEPUM' type='string'/>"
        "<SimpleField name='WADMKD' type='string'/></Schema>"
        f"<Folder><name>Kayong Utara</name>{folders}</Folder></Document></kml>"
    )


def test_kmz_with_a_folder_per_kecamatan_gives_every_desa(tmp_path):
    # Found by trying (try14): GDAL makes each KML folder a layer; the first (empty district
    # folder) was read and the file refused as "holds only Name and description".
    import zipfile

    import geopandas as gpd

    from geo.io import read_boundaries

    desa = gpd.read_file(CASES / "n04_batas_multilayer.gpkg", layer="batas_desa")
    polygons = pd.concat([g.head(2) for _, g in desa.groupby("kecamatan")]).head(6)
    assert polygons["kecamatan"].nunique() == 3
    kmz = tmp_path / "bersarang.kmz"
    with zipfile.ZipFile(kmz, "w") as z:
        z.writestr("files/doc.kml", _nested_kml(polygons))
    for src in (kmz, kmz.read_bytes()):
        b = read_boundaries(src, name="bersarang.kmz")
        assert sorted(b.desa["kode_desa"]) == sorted(polygons["kode_desa"])
        assert b.lapisan == ""  # every folder read, none singled out
        assert len(b.lapisan_tersedia) > 3


# Register: amounts and loci ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rupiah"),
    [
        ("Rp 0,750 M", 750_000_000),
        ("Rp 1,250 M", 1_250_000_000),
        ("2,500 jt", 2_500_000),
        ("Rp 1,5 miliar", 1_500_000_000),
        ("Rp\u00a01,250\u00a0M", 1_250_000_000),
        ("1.5 M", 1_500_000_000),
        ("1.250,5 jt", 1_250_500_000),
        ("Rp 1.250.000.000", 1_250_000_000),
        # try14: triliun and IDR were "unreadable"; "jt" must not read as "t" (triliun)
        ("Rp 1,25 T", 1_250_000_000_000),
        ("0,5 triliun", 500_000_000_000),
        ("IDR 1.000.000", 1_000_000),
        ("Rp 1,5 jt", 1_500_000),
        ("Rp. 1.500.000,-", 1_500_000),
        ("750 Juta", 750_000_000),
        ("Rp 2 M", 2_000_000_000),
    ],
)
def test_amounts_with_a_decimal_comma_and_a_scale_word(text, rupiah):
    from targeting.register import read_rupiah

    assert read_rupiah(text) == (pytest.approx(rupiah), "")


def test_an_ambiguous_amount_is_flagged_never_multiplied_silently():
    from geo.io import read_boundaries
    from targeting.register import read_register, read_rupiah

    amount, why = read_rupiah("Rp 1.250 M")
    assert amount is None
    assert "ambigu" in why
    assert "1,25 miliar" in why
    assert "1.250 miliar" in why
    data = (
        b"tahun;opd;kode_sub_kegiatan;nama_sub_kegiatan;strategi;pagu;lokus;sasaran_jenis;kebutuhan\n"
        b"2025;Dinas A;1.03.03.2.01.0005;Air;3;Rp 1.250 M;Sutera;wilayah;air\n"
        b"2025;Dinas B;1.03.03.2.01.0006;Air;3;Rp 0,750 M;Sutera;wilayah;air\n"
    )
    desa = read_boundaries(default_region().batas_desa).desa
    check = read_register(data, desa, name="reg.csv")
    assert check.rows_in == len(check.register) + len(check.ditolak) == 2
    assert check.register["pagu_rp"].tolist() == [750_000_000]
    assert check.ditolak.loc[0, "baris"] == 2
    assert check.ditolak.loc[0, "kolom"] == "pagu"
    assert "ambigu" in check.ditolak.loc[0, "alasan"]


def test_n08_loci_on_separate_lines_and_a_name_that_is_also_a_kecamatan():
    from geo.io import read_boundaries
    from targeting.register import read_register

    desa = read_boundaries(default_region().batas_desa).desa
    check = read_register(CASES / "n08_register_lokus_baris_baru.xlsx", desa, name="n08.xlsx")
    assert check.rows_in == len(check.register) == 3
    assert len(check.ditolak) == 0
    lokus = check.register["lokus_kode"].tolist()
    assert lokus[0] == "61.11.01.2001;61.11.01.2002;61.11.01.2003"
    assert lokus[1] == "61.11.02.2001;61.11.02.2002"
    teluk = desa.loc[desa["desa"].map(fold).str.replace(" ", "") == "telukbatang", "kode_desa"]
    assert lokus[2] == teluk.item()
    amb = check.lokus_ambigu
    assert amb["nilai"].tolist() == ["Teluk Batang"]
    assert amb.loc[0, "diambil"] == teluk.item()
    assert "kecamatan" in amb.loc[0, "alasan"]
    assert "diambil" in amb.loc[0, "alasan"]


def test_a_line_break_separates_loci_in_a_csv_cell_too():
    from geo.io import read_boundaries
    from targeting.register import read_register

    data = (
        b"tahun,opd,kode_sub_kegiatan,nama_sub_kegiatan,strategi,pagu,lokus,sasaran_jenis,kebutuhan\n"
        b'2025,Dinas A,1.03.03.2.01.0005,Air,3,Rp 1 M,"Sutera\r\n61.11.01.2002",wilayah,"air\nsanitasi"\n'
    )
    desa = read_boundaries(default_region().batas_desa).desa
    check = read_register(data, desa, name="reg.csv")
    assert check.register["lokus_kode"].tolist() == ["61.11.01.2001;61.11.01.2002"]
    assert check.register["kebutuhan"].tolist() == ["air;sanitasi"]


# Raw workbook headers (issue 14, section 2) -------------------------------------------------


def _grouped_header(total_in_no: bool = True) -> bytes:
    def build(wb):
        ws = wb.active
        ws.append(["DATA P3KE KAYONG UTARA (SINTETIS)"])
        ws.merge_cells("A1:H1")
        ws.append([])
        ws.append(["No", "Kode Desa", "Desil", "Koordinat", None, "Penerima", None, "Nama"])
        ws.append([None, None, None, "Lintang", "Bujur", "PKH", "BPNT", None])
        for rng in ("D3:E3", "F3:G3", "A3:A4", "B3:B4", "C3:C4", "H3:H4"):
            ws.merge_cells(rng)
        ws.append([1, "61.11.01.2001", 1, -1.2446, 109.954, "Ya", "Tidak", "Warga Sintetis 1"])
        ws.append([2, "61.11.01.2002", 2, -1.2455, 109.970, "Tidak", "Ya", "Warga Sintetis 2"])
        ws.append(["JUMLAH"] if total_in_no else [None, "JUMLAH", 3])

    return _xlsx(build)


def test_two_groups_side_by_side_keep_both_group_names():
    t = read_sheet(_grouped_header(), label="grup.xlsx")
    cols = t.frame.columns.tolist()
    assert "koordinat_lintang" in cols
    assert "koordinat_bujur" in cols
    assert "penerima_pkh" in cols
    assert "penerima_bpnt" in cols
    assert t.frame["penerima_bpnt"].tolist() == ["Tidak", "Ya"]
    res = run(default_region(), households=_grouped_header(), households_name="grup.xlsx")
    assert res.check.keluarga["lintang"].notna().all()  # Koordinat/Lintang is the latitude


@pytest.mark.parametrize("total_in_no", [True, False])
def test_a_total_row_labelled_only_in_the_no_column_is_counted_and_listed(total_in_no):
    t = read_sheet(_grouped_header(total_in_no), label="grup.xlsx")
    assert t.dilewati["baris"].tolist() == [7]
    assert t.dilewati["alasan"].tolist() == ["baris jumlah/total"]
    res = run(default_region(), households=_grouped_header(total_in_no), households_name="g.xlsx")
    _balanced(res)
    assert (res.rows_in, res.rows_used, res.rows_rejected) == (3, 2, 1)


def test_a_title_merged_across_the_row_is_not_a_group_row():
    def build(wb):
        ws = wb.active
        ws.append(["REKAP DESIL", None, None, None])
        ws.merge_cells("A1:D1")
        ws.append(["kode_desa", "desil", "catatan", "nama"])
        ws.append(["61.11.01.2001", "1", "-", "Warga Sintetis 1"])

    t = read_sheet(_xlsx(build), label="judul.xlsx")
    assert t.frame.columns.tolist() == ["kode_desa", "desil", "catatan", "nama", "_baris"]


def test_family_table_thousands_separated_by_a_nonbreaking_space():
    from geo.io import read_keluarga_desa

    data = "kode_desa,keluarga_total\n6111012001,1\u00a0234\n6111012002,1\u202f050\n".encode()
    table = read_keluarga_desa(data, name="k.csv")
    assert table["keluarga_total"].tolist() == [1234, 1050]


def test_a_member_writing_the_desil_as_a_number_beside_a_label_is_not_flagged():
    data = (
        b"id_keluarga_p3ke,hubungan_dengan_kepala_keluarga,kode_kemdagri,desil_kesejahteraan\n"
        b"K1,Kepala Keluarga,6111012001,Desil 1\n"
        b"K1,Anak,6111012001,1\n"
        b"K2,Kepala Keluarga,6111012001,Desil 1\n"
        b"K2,Anak,6111012001,2\n"
    )
    t = read_sheet(data, label="ind.csv")
    check = validate_households(t.frame, source="ind.csv")
    assert check.keluarga["flag_anggota_beda_desa_desil"].tolist() == [False, True]
