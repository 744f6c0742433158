"""Target families, masking and the export package (XLSX, CSV, GeoJSON, GPKG, HTML, CLI)."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point

from geo.region import default_region
from targeting.cli import main
from targeting.package import LEMBAR, TargetOptions, build_package
from targeting.pipeline import run
from targeting.targets import TargetError, initials, target_families

MASKED = re.compile(r"^\d{4}\*{8}\d{4}$")
DESA = pd.DataFrame(
    {"kode_desa": ["61.11.01.2001", "61.11.01.2002"], "desa": ["Satu", "Dua"],
     "kecamatan": ["Kec A", "Kec A"]}
)  # fmt: skip


def family(**kw) -> dict:
    base = {
        "kode_desa": "61.11.01.2001", "desil": 1, "_baris": 2,
        "id_keluarga_p3ke": "P3KE-SIN-1", "kepala_keluarga": "Siti Aminah",
        "nik": "9911010101010001", "no_kk": "9911010101010999", "alamat": "Dusun Jaya RT 1",
        "tanggal_lahir": "1980-01-01", "penerima_pkh": "Ya", "penerima_bpnt": "Tidak",
        "penerima_sembako": "Tidak", "resiko_stunting": "Tidak", "pekerjaan": "Petani",
        "sumber_penerangan": "Listrik PLN", "sumber_air_minum": "Ledeng/PAM",
        "memiliki_fasilitas_buang_air_besar": "Ya", "jenis_lantai": "Semen/Bata Merah",
    }  # fmt: skip
    return base | kw


def frame(rows: list[dict]) -> gpd.GeoDataFrame:
    df = pd.DataFrame(rows)
    df["desil"] = df["desil"].astype("Int64")
    geom = [Point(109.95, -1.2345)] * len(df)
    return gpd.GeoDataFrame(df, geometry=geom, crs="EPSG:4326")


def test_rules_suggest_strategies_from_the_row():
    k = frame(
        [
            family(_baris=2),  # nothing deprived
            family(_baris=3, penerima_pkh=" tidak "),  # no PKH, BPNT, Sembako -> 1
            family(_baris=4, pekerjaan="Tidak Bekerja"),  # -> 2
            family(_baris=5, jenis_lantai="Tanah", sumber_air_minum="Air Hujan"),  # -> 3
            family(_baris=6, desil=2, jenis_lantai="Tanah"),  # desil 2: not listed
            family(_baris=7, kode_desa="61.11.01.2002", jenis_lantai="Tanah"),  # other desa
        ]
    )
    t = target_families(k, DESA, ["61.11.01.2001"]).keluarga.set_index("baris_berkas")
    assert sorted(t.index) == [2, 3, 4, 5]
    assert t.at[2, "strategi_usulan"] == ""
    assert "tidak ada kekurangan" in t.at[2, "alasan_strategi"]
    assert t.at[3, "strategi_usulan"] == "1"
    assert t.at[4, "strategi_usulan"] == "2"
    assert t.at[5, "strategi_usulan"] == "3"
    assert t.at[5, "jumlah_kekurangan"] == 2
    assert "lantai tanah/bambu" in t.at[5, "kekurangan"]
    # most deprived first within a desa and desil
    assert t.index[0] == 5


def test_filters_by_desil_need_and_strategy():
    k = frame([family(_baris=2), family(_baris=3, desil=2, jenis_lantai="Bambu"),
               family(_baris=4, pekerjaan="Belum/Tidak Bekerja")])  # fmt: skip
    assert len(target_families(k, DESA, ["61.11.01.2001"], desil=[1, 2]).keluarga) == 3
    need = target_families(k, DESA, ["61.11.01.2001"], desil=[1, 2], hanya_berkekurangan=True)
    assert need.keluarga["baris_berkas"].tolist() == [4, 3]
    s3 = target_families(k, DESA, ["61.11.01.2001"], desil=[1, 2], strategi=[3])
    assert s3.keluarga["baris_berkas"].tolist() == [3]
    assert s3.per_strategi == {1: 0, 2: 0, 3: 1}


def test_personal_data_is_masked_unless_asked():
    k = frame([family()])
    masked = target_families(k, DESA, ["61.11.01.2001"]).keluarga.iloc[0]
    assert MASKED.match(masked["nik"])
    assert MASKED.match(masked["no_kk"])
    assert masked["nik"] == "9911********0001"
    assert masked["kepala_keluarga"] == "S. A."
    assert "alamat" not in masked.index
    assert "tanggal_lahir" not in masked.index
    assert "lintang" not in masked.index  # the house's position is personal too
    assert "bujur" not in masked.index
    full = target_families(k, DESA, ["61.11.01.2001"], data_pribadi=True).keluarga.iloc[0]
    assert full["nik"] == "9911010101010001"
    assert full["kepala_keluarga"] == "Siti Aminah"
    assert full["alamat"] == "Dusun Jaya RT 1"
    assert full["lintang"] == -1.2345


def test_families_follow_the_ranking_order_and_carry_their_import_flags():
    k = frame([family(kode_desa="61.11.01.2001"), family(_baris=3, kode_desa="61.11.01.2002")])
    k["flag_nik_angka"] = [False, True]
    t = target_families(k, DESA, ["61.11.01.2002", "61.11.01.2001"]).keluarga
    assert t["kode_desa"].tolist() == ["61.11.01.2002", "61.11.01.2001"]
    assert t["tanda_data"].tolist() == ["flag_nik_angka", ""]


@pytest.mark.parametrize(
    ("kw", "match"),
    [({"desil": [5]}, "desil 1 sampai 4"), ({"desil": []}, "kosong"),
     ({"strategi": [9]}, "hanya 1, 2 dan 3")],
)  # fmt: skip
def test_filters_that_cannot_select_are_refused(kw, match):
    with pytest.raises(TargetError, match=match) as info:
        target_families(frame([family()]), DESA, ["61.11.01.2001"], desil_max=4, **kw)
    assert info.value.en


def test_missing_columns_are_noted_not_guessed():
    k = frame([family()]).drop(columns=["penerima_pkh", "pekerjaan"])
    t = target_families(k, DESA, ["61.11.01.2001"])
    assert any("penerima_pkh" in n for n in t.catatan)
    assert any("pekerjaan" in n for n in t.catatan)
    assert len(t.aturan) == 5


def test_sub_activities_match_by_need_tag_or_untagged_strategy():
    lokus = pd.DataFrame(
        {"kode_desa": ["61.11.01.2001"] * 3 + ["61.11.01.2002"], "strategi": [3, 3, 2, 3],
         "kode_sub_kegiatan": ["1.03.03.2.01.0001", "1.04.02.2.01.0014", "2.17.03.2.01.0001",
                               "1.03.03.2.01.0002"],
         "nama_sub_kegiatan": ["Air minum", "RTLH", "Pelatihan usaha", "Air desa lain"],
         "opd": ["PUPR", "Perkim", "Koperasi", "PUPR"], "kebutuhan": ["air", "rumah", "", "air"]}
    )  # fmt: skip
    k = frame([family(sumber_air_minum="Air Hujan"), family(_baris=3, pekerjaan="Tidak Bekerja")])
    t = target_families(k, DESA, ["61.11.01.2001"], lokus=lokus).keluarga.set_index("baris_berkas")
    assert t.at[2, "jumlah_sub_kegiatan"] == 1
    assert "Air minum (PUPR)" in t.at[2, "sub_kegiatan_di_desa"]
    assert t.at[3, "jumlah_sub_kegiatan"] == 1
    assert "Pelatihan usaha" in t.at[3, "sub_kegiatan_di_desa"]


def test_initials():
    assert initials("Muhammad  bin Abdullah") == "M. B. A."
    assert initials("") == ""
    assert initials(None) is None


# ---- the package on the embedded data -------------------------------------------------


@pytest.fixture(scope="module")
def package(embedded):
    ranking = embedded.peringkat()
    chosen = tuple(ranking.tabel["kode_desa"].head(3))
    now = dt.datetime(2026, 11, 29, 8, 0, tzinfo=dt.UTC)
    return build_package(
        embedded, ranking, TargetOptions(desa=chosen, cara_pilih="3 teratas"), now=now
    )


def test_workbook_round_trip(package):
    data = package.xlsx()
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, dtype=object)
    assert tuple(sheets) == LEMBAR
    fam = sheets["sasaran_keluarga"]
    assert len(fam) == len(package.sasaran.keluarga) > 0
    assert fam["nik"].map(lambda v: bool(MASKED.match(str(v)))).all()
    assert set(fam["desil"]) == {1}
    assert set(fam["kode_desa"]) == set(package.options.desa)
    prio = sheets["desa_prioritas"]
    assert (prio["terpilih"] == "ya").sum() == 3
    assert len(sheets["intervensi"]) == 3
    ring = dict(zip(sheets["ringkasan"]["butir"], sheets["ringkasan"]["nilai"], strict=True))
    assert ring["data pribadi disertakan"].startswith("tidak")
    assert "seed" in ring
    assert "PERHATIAN" in ring
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb["sasaran_keluarga"]
    header = [c.value for c in ws[1]]
    nik = ws.cell(row=2, column=header.index("nik") + 1)
    kode = ws.cell(row=2, column=header.index("kode_desa") + 1)
    assert nik.data_type == "s"
    assert nik.number_format == "@"
    assert kode.data_type == "s"
    assert kode.value.startswith("61.11.")
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref.startswith("A1:")
    assert ws.column_dimensions["A"].width >= 6


def test_full_nik_only_when_asked(embedded, package):
    opts = TargetOptions(desa=package.options.desa, data_pribadi=True)
    full = build_package(embedded, package.ranking, opts)
    fam = pd.read_excel(io.BytesIO(full.xlsx()), sheet_name="sasaran_keluarga", dtype=str)
    assert fam["nik"].str.fullmatch(r"\d{16}").all()
    ring = full.ringkasan().set_index("butir")["nilai"]
    assert ring["data pribadi disertakan"].startswith("YA")
    assert "DATA-PRIBADI" in full.file_name("xlsx")


def test_geo_exports_reread_within_the_district(package, embedded, tmp_path):
    minx, miny, maxx, maxy = embedded.batas.desa.to_crs(4326).total_bounds
    layer = gpd.read_file(io.BytesIO(package.geojson()))
    assert layer.crs.to_epsg() == 4326
    assert set(layer["lapisan"]) == {"desa_prioritas", "kantong_desa", "klaster_keluarga"}
    assert (layer["lapisan"] == "desa_prioritas").sum() == 3
    bx0, by0, bx1, by1 = layer.total_bounds
    assert minx - 1e-6 <= bx0
    assert by0 >= miny - 1e-6
    assert bx1 <= maxx + 1e-6
    assert by1 <= maxy + 1e-6
    gpkg = tmp_path / "x.gpkg"
    gpkg.write_bytes(package.gpkg())
    layers = dict(pyogrio.list_layers(gpkg))
    assert set(layers) == {"desa_prioritas", "kantong"}


def test_map_html_is_standalone(package):
    text = package.map_html()
    assert "<script src=" not in text
    assert "<link " not in text.split("<body", 1)[0].replace('<link rel="icon"', "")
    assert "cdn.jsdelivr" not in text
    assert "unpkg" not in text
    assert "L.map(" in text or "L.map (" in text
    assert "lokus-prioritas" in text
    assert "data:image/png;base64" in text


def test_file_names_carry_date_and_filter(package):
    assert package.file_name("xlsx") == "lokus_sasaran_2026-11-29_desil1_3desa.xlsx"
    one = build_package(package.result, package.ranking,
                        TargetOptions(desa=("61.11.01.2001",), desil=(1, 2), strategi=(3,),
                                      hanya_berkekurangan=True))  # fmt: skip
    assert re.fullmatch(r"lokus_peta_\d{4}-\d\d-\d\d_desil1-2_sutera_strategi3_berkekurangan\.html",
                        one.file_name("html", "peta"))  # fmt: skip


# ---- injected text stays inert, numbers stay numbers ------------------------------------


def test_formula_text_is_inert_and_negative_latitude_numeric(tmp_path):
    csv = tmp_path / "p3ke.csv"
    csv.write_text(
        "kode_kemdagri,desil_kesejahteraan,kepala_keluarga,nik,lintang,bujur,pekerjaan\n"
        '6111012001,1,"=HYPERLINK(""http://evil.example"",""klik"")",9911010101010001,-1.2345,'
        "109.9522,@SUM(1+1)\n"
        "6111012001,1,+Budi,9911010101010002,-1.2350,109.9530,-Tani\n",
        encoding="utf-8",
    )
    res = run(default_region(), households=csv)
    opts = TargetOptions(desa=("61.11.01.2001",), data_pribadi=True)
    pkg = build_package(res, res.peringkat(), opts)
    data = pkg.xlsx()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")}
    assert not any("<f>" in x or "<f " in x for x in xml.values())
    ws = openpyxl.load_workbook(io.BytesIO(data))["sasaran_keluarga"]
    header = [c.value for c in ws[1]]
    name = ws.cell(row=2, column=header.index("kepala_keluarga") + 1)
    lat = ws.cell(row=2, column=header.index("lintang") + 1)
    assert name.data_type == "s"
    assert name.quotePrefix
    assert name.value.startswith("=HYPERLINK")
    assert lat.data_type == "n"
    assert lat.value == pytest.approx(-1.2345)
    text = pkg.csv().decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert "'+Budi" in text
    row = pd.read_csv(io.StringIO(text), dtype=str).iloc[0]
    assert row["lintang"] == "-1.2345"
    semi = pd.read_csv(io.BytesIO(pkg.csv(";")), sep=";", decimal=",", encoding="utf-8-sig")
    assert semi["lintang"].dtype == np.float64
    assert semi["lintang"].iloc[0] == pytest.approx(-1.2345)


# ---- the CLI ------------------------------------------------------------------------------


def test_cli_writes_target_list(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", "--out", str(out), "--desa", "6111012001,61.11.01.2002", "--desil", "1",
                 "--permutasi", "999"])  # fmt: skip
    assert code == 0
    for name in ("target_list.xlsx", "target_list.csv", "target_list.geojson",
                 "target_list.gpkg", "target_map.html", "priority.csv"):  # fmt: skip
        assert (out / name).is_file(), name
    fam = pd.read_csv(out / "target_list.csv", dtype=str, encoding="utf-8-sig")
    assert set(fam["kode_desa"]) == {"61.11.01.2001", "61.11.01.2002"}
    assert fam["nik"].str.match(r"^\d{4}\*{8}\d{4}$").all()
    assert "personal data masked" in capsys.readouterr().out
    assert (out / "target_list.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_cli_refuses_an_unknown_desa_before_writing(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--out", str(out), "--desa", "61.11.09.2999"]) == 2
    assert "not a desa of this region" in capsys.readouterr().err
    assert not out.exists()
    assert main(["run", "--out", str(out), "--weights", "bogus=1"]) == 2
    assert not out.exists()


def test_ringkasan_states_the_permendagri_mapping_and_coverage_rule(package):
    ring = package.ringkasan()
    perm = ring[ring["bagian"] == "strategi Permendagri 53/2020"].set_index("butir")["nilai"]
    assert perm["P3"].endswith("-> Inpres 2")
    assert perm["P4"].endswith("tanpa padanan Inpres (kolom sendiri)")
    assert "Perpres 15/2010" in perm["sumber"]
    rule = ring.set_index("butir")["nilai"]["aturan cakupan"]
    assert "paling banyak" in rule
