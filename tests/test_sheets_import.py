"""Real-world layouts and faults: each fixture is built in code and its outcome asserted."""

import io

import pandas as pd
import pytest
from openpyxl import Workbook

from geo.errors import InputSchemaError
from geo.region import default_region
from geo.sheets import read_sheet
from targeting.pipeline import run
from tests.conftest import assert_accounting


def _raw_p3ke_workbook() -> bytes:
    """A ministry-style sheet: title block, two-row merged header, merged desa cells,
    a header repeated at a page break, a JUMLAH row, a NIK stored as a number."""
    wb = Workbook()
    cover = wb.active
    cover.title = "Keterangan"
    cover["A1"] = "Data ini rahasia"
    ws = wb.create_sheet("Data P3KE")
    ws["A1"] = "DATA KELUARGA P3KE"
    ws["A2"] = "KABUPATEN KAYONG UTARA"
    ws["A3"] = "Tahun 2023"
    header_top = [
        "No",
        "Kecamatan",
        "Desa/Kelurahan",
        "Kode Kemendagri",
        "Desil Kesejahteraan",
        "NIK",
        "Kepala Keluarga",
        "Penerima",
        None,
    ]
    header_bottom = [None, None, None, None, None, None, None, "PKH", "BPNT"]
    for c, v in enumerate(header_top, start=1):
        ws.cell(row=12, column=c, value=v)
    for c, v in enumerate(header_bottom, start=1):
        ws.cell(row=13, column=c, value=v)
    for col in "ABCDEFG":  # single-level columns are merged over both header rows
        ws.merge_cells(f"{col}12:{col}13")
    ws.merge_cells("H12:I12")  # "Penerima" spans PKH and BPNT
    data = [
        [1, "Sukadana", "Sutera", "6111012001", 1, "9911010101800001", "A", "Ya", "Tidak"],
        [2, None, None, "6111012001", 2, 9911010101800002, "B", "Tidak", "Ya"],
        [3, None, None, "6111012001", 1, "9911010101800003", "C", "Ya", "Ya"],
    ]
    for r, row in enumerate(data, start=14):
        for c, v in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=v)
    ws.merge_cells("B14:B16")
    ws.merge_cells("C14:C16")
    for c, v in enumerate(header_top, start=1):  # header repeated after a page break
        ws.cell(row=17, column=c, value=v)
    ws.cell(row=18, column=1, value=4)
    ws.cell(row=18, column=2, value="Pulau Maya")
    ws.cell(row=18, column=3, value="Dusun Kecil")
    ws.cell(row=18, column=4, value=None)  # code missing: found by name
    ws.cell(row=18, column=5, value=1)
    ws.cell(row=19, column=1, value="JUMLAH")
    ws.cell(row=19, column=5, value=5)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_raw_excel_layout_is_read_as_laid_out():
    table = read_sheet(_raw_p3ke_workbook(), label="p3ke.xlsx")
    assert table.sheet == "Data P3KE"  # the sheet with the recognised header
    assert table.sheets == ["Keterangan", "Data P3KE"]
    assert table.header_row == 13
    f = table.frame
    assert {
        "kode_kemendagri",
        "desil_kesejahteraan",
        "nik",
        "penerima_pkh",
        "penerima_bpnt",
    } <= set(f.columns)
    assert f["_baris"].tolist() == [14, 15, 16, 18]
    assert f["desa_kelurahan"].tolist()[:3] == ["Sutera"] * 3  # merged cells filled
    assert f["kecamatan"].tolist()[:3] == ["Sukadana"] * 3
    assert table.numeric_cells["nik"] == {15}
    assert table.dilewati.set_index("baris")["alasan"].to_dict() == {
        17: "judul kolom berulang",
        19: "baris jumlah/total",
    }


def test_raw_excel_through_the_pipeline_accounts_for_every_row():
    res = run(default_region(), households=_raw_p3ke_workbook(), households_name="p3ke.xlsx")
    assert_accounting(res)
    assert (res.rows_in, res.rows_used, res.rows_rejected) == (6, 4, 2)
    k = res.placement.keluarga.set_index("_baris")
    assert bool(k.loc[15, "flag_nik_angka"])
    assert k.loc[18, "kode_desa"] == "61.11.04.2003"
    assert bool(k.loc[18, "flag_desa_dari_nama"])
    text = res.ditolak.to_csv()
    assert "9911010101800002" not in text


def test_trailing_commas_do_not_shift_columns():
    data = b"kode_desa,desil\n6111012001,1,\n6111012001,2,\n"
    res = run(default_region(), households=data, households_name="t.csv")
    assert (res.rows_used, res.rows_rejected) == (2, 0)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"kode_desa,desil\n", "tidak ada baris data"),
        (b"\x00\x01\x02\x03garbage\x00" * 50, "biner"),
        (b"", "berkas kosong"),
        (b"\n\n ,\n", "berkas kosong"),
    ],
    ids=["header-only", "binary", "empty", "blank-lines"],
)
def test_unusable_files_say_why(data, message):
    with pytest.raises(InputSchemaError, match=message):
        run(default_region(), households=data, households_name="x.csv")


HEADER = b"kode_desa,desil,alamat,catatan\n"
ROW = b"6111012001,1,Dusun Karya RT 004,x\n"


@pytest.mark.parametrize(
    ("bad", "line", "spanned"),
    [
        (b'6111012001,1,"Dusun Karya RT 004,x\n', 4, 3),  # never closed: to the end
        (b'6111012001,1,"Dusun Karya,x\n', 4, 2),  # closed by the next stray quote
    ],
    ids=["to-end-of-file", "to-next-quote"],
)
def test_an_unclosed_quote_never_swallows_rows_silently(bad, line, spanned):
    """A stray quote would read the rows after it as one cell: refused, naming the line."""
    if spanned == 2:
        data = HEADER + ROW * 2 + bad + ROW + b'6111012001,2,Jl. Baru",x\n' + ROW
    else:
        data = HEADER + ROW * 2 + bad + ROW * 3
    with pytest.raises(InputSchemaError, match=f"baris teks {line}, kolom 3: tanda kutip") as err:
        run(default_region(), households=data, households_name="kutip.csv")
    assert f"{spanned} baris berikutnya" in str(err.value)


def test_a_stray_quote_in_a_two_column_file_is_refused():
    """One separator per line is all a narrow file has: the swallowed rows still count."""
    data = (
        b"kode_kemdagri,desil\n"
        + b"6111012001,1\n" * 3
        + b'"6111012002,2\n'
        + (b"6111012001,1\n" * 20)
    )
    with pytest.raises(InputSchemaError, match="baris teks 5, kolom 1: tanda kutip"):
        run(default_region(), households=data, households_name="sempit.csv")


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        # A stray quote closed by a later quote on the same line: cells merged.
        (b'6111012001,2,"Dusun Karya,"Jl. Baru" x\n', "tanda kutip"),
        (b"6111012001,2,Jl. Melati, RT 1,x\n", "pemisah ',' di dalam sel"),  # unquoted comma
    ],
    ids=["quote-closed-on-the-line", "unquoted-separator"],
)
def test_a_row_whose_values_would_shift_is_listed_not_used(bad, reason):
    data = HEADER + ROW * 2 + bad + ROW
    res = run(default_region(), households=data, households_name="geser.csv")
    assert_accounting(res)
    assert (res.rows_in, res.rows_used, res.rows_rejected) == (4, 3, 1)
    row = res.ditolak.iloc[0]
    assert row["baris"] == 4
    assert reason in row["alasan"]
    assert "nilai bergeser" in row["alasan"]


def test_a_stray_quote_in_the_last_row_is_listed_not_used():
    data = HEADER + ROW * 2 + b'6111012001,3,"Dusun Karya,x\n'
    res = run(default_region(), households=data, households_name="akhir.csv")
    assert (res.rows_used, res.rows_rejected) == (2, 1)
    assert "tanda kutip" in res.ditolak.iloc[0]["alasan"]


def test_unnamed_trailing_columns_are_not_taken_for_shifted_rows():
    """Every row longer than the header: the header lacks names, the rows are fine."""
    data = b"kode_desa,desil\n6111012001,1,catatan a\n6111012001,2,catatan b\n"
    res = run(default_region(), households=data, households_name="tanpa_judul.csv")
    assert (res.rows_used, res.rows_rejected) == (2, 0)


def test_a_quoted_address_over_two_lines_is_one_cell():
    data = HEADER + ROW + b'6111012001,2,"Dusun Karya,\nRT 004, RW 002",x\n' + ROW
    res = run(default_region(), households=data, households_name="alamat.csv")
    assert (res.rows_in, res.rows_used, res.rows_rejected) == (3, 3, 0)
    assert res.placement.keluarga["alamat"].tolist()[1] == "Dusun Karya,\nRT 004, RW 002"


def test_utf16_excel_unicode_text_export():
    data = "kode_desa\tdesil\n6111012001\t1\n".encode("utf-16")
    res = run(default_region(), households=data, households_name="u.txt")
    assert res.rows_used == 1


def test_exact_duplicates_count_once_and_same_id_is_flagged():
    data = (
        b"id_keluarga_p3ke,kode_desa,desil\n"
        b"K1,6111012001,1\nK1,6111012001,1\nK1,6111012001,2\nK2,6111012001,1\n"
    )
    res = run(default_region(), households=data, households_name="d.csv")
    assert_accounting(res)
    assert res.ditolak.set_index("baris").loc[3, "alasan"] == "baris ganda persis dari baris 2"
    k = res.placement.keluarga.set_index("_baris")
    assert k["flag_id_keluarga_ganda"].to_dict() == {2: True, 4: True, 5: False}


def test_one_typo_does_not_switch_the_desil_scale():
    rows = "".join(f"K{i},6111012001,1\n" for i in range(30)) + "K99,6111012001,5\n"
    data = ("id_keluarga,kode_desa,desil\n" + rows).encode()
    res = run(default_region(), households=data, households_name="t.csv")
    assert res.check.desil_scale == "p3ke"
    rej = res.ditolak.iloc[0]
    assert "luar skala P3KE" in rej["alasan"]
    assert rej["kolom"] == "desil"  # the user's column name, not Lokus's


def test_rejected_csv_cannot_run_as_a_formula(tmp_path):
    from targeting.pipeline import write_outputs

    data = b'kode_desa,desil\n"=HYPERLINK(""http://x"",""klik"")",1\n6111012001,1\n'
    res = run(default_region(), households=data, households_name="f.csv")
    write_outputs(res, tmp_path)
    text = (tmp_path / "rejected.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text
    assert ",=HYPERLINK" not in text


def test_denominator_smaller_than_p3ke_gives_no_share():
    rows = "".join(f"K{i},6111012001,1\n" for i in range(5)) + "K9,6111012002,1\n"
    hh = ("id_keluarga,kode_desa,desil\n" + rows).encode()
    denom = b"kode_desa,keluarga_total\n6111012001,3\n6111012002,625.0\n"
    res = run(default_region(), households=hh, households_name="h.csv", keluarga_desa=denom,
              keluarga_desa_name="k.csv")  # fmt: skip
    ind = res.indikator.set_index("kode_desa")
    assert bool(ind.loc["61.11.01.2001", "penyebut_tidak_cukup"])
    assert pd.isna(ind.loc["61.11.01.2001", "persen_desil_1"])
    assert ind.loc["61.11.01.2002", "keluarga_total"] == 625  # "625.0" is 625, not 6250
    assert ind.loc["61.11.01.2002", "persen_desil_1"] == pytest.approx(100 / 625)


def test_families_without_ids_are_never_taken_for_duplicates():
    data = b"kode_desa,desil\n" + b"6111012001,1\n" * 15 + b"6111012001,5\n"
    res = run(default_region(), households=data, households_name="noid.csv")
    assert res.check.desil_scale == "p3ke"  # one stray 5 is an error, not DTSEN evidence
    assert (res.rows_used, res.rows_rejected) == (15, 1)
    assert "luar skala P3KE" in res.ditolak.at[0, "alasan"]


def test_shifted_columns_do_not_leak_names_or_nik_into_reports():
    data = (
        b"id_keluarga,kode_desa,desil,nama\n"
        b"K1,6111012001,Budi Santoso,x\n"
        b"K2,6111012001,6111010101800004,y\n"
        b"K3,6111012001,1,z\n"
    )
    res = run(default_region(), households=data, households_name="geser.csv")
    text = res.ditolak.to_csv()
    assert "Budi" not in text
    assert "6111010101800004" not in text
    assert "disamarkan" in text


def test_individual_file_desil_comes_from_the_head_and_oddities_are_flagged():
    data = (
        b"id_keluarga_p3ke,hubungan_dengan_kepala_keluarga,kode_kemdagri,desil_kesejahteraan,nama\n"
        b"K1,Kepala Keluarga,6111012001,1,A\n"
        b"K1,Anak,6111012001,,B\n"  # member without desil: fine, the family is desil 1
        b"K2,Kepala Keluarga,6111012001,2,C\n"
        b"K2,Kepala Keluarga,6111012002,3,D\n"  # a second head in another desa
        b"K3,Kepala Keluarga,6111012001,,E\n"  # head without desil: family rejected
        b"K3,Istri,6111012001,,F\n"
    )
    res = run(default_region(), households=data, households_name="ind.csv")
    assert_accounting(res)
    fam = res.placement.keluarga.set_index("id_keluarga_p3ke")
    assert fam.loc["K1", "jumlah_anggota"] == 2
    assert bool(fam.loc["K2", "flag_kepala_ganda"])
    assert bool(fam.loc["K2", "flag_anggota_beda_desa_desil"])
    assert "K3" not in fam.index
    reasons = res.ditolak.set_index("baris")["alasan"]
    assert reasons[6] == "desil kosong"
    assert "anggota keluarga baris 6 yang ditolak" in reasons[7]


def test_semicolon_csv_with_title_rows():
    data = "DATA P3KE KAB KAYONG UTARA\nTAHUN 2023\n\nkode_desa;desil;lintang;bujur\n6111012001;1;−1,2;109,9\n"
    res = run(
        default_region(),
        households=data.encode("cp1252", errors="replace"),
        households_name="t.csv",
    )
    assert res.rows_used == 1
    res = run(default_region(), households=data.encode("utf-8"), households_name="t.csv")
    assert res.placement.keluarga.at[0, "lintang"] == pytest.approx(-1.2)  # Unicode minus


def test_title_merged_across_the_whole_row_stays_fast():
    wb = Workbook()
    ws = wb.active
    ws["A1"] = "DATA P3KE"
    ws.merge_cells("A1:XFD1")
    ws.append(["kode_desa", "desil"])
    for i in range(500):
        ws.append([f"611101200{1 + i % 9}", 1 + i % 4])
    buf = io.BytesIO()
    wb.save(buf)
    table = read_sheet(buf.getvalue(), label="lebar.xlsx")
    assert table.frame.shape == (500, 3)


def test_other_sheets_with_a_header_are_named(capsys, tmp_path):
    wb = Workbook()
    for i, name in enumerate(["Sukadana", "Simpang Hilir"]):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = name
        ws.append(["kode_desa", "desil"])
        ws.append([f"611101200{i + 1}", 1])
    path = tmp_path / "per_kecamatan.xlsx"
    wb.save(path)
    res = run(default_region(), households=path)
    assert res.sheet.sheet == "Sukadana"
    assert res.sheet.lembar_lain == ["Simpang Hilir"]
    assert res.report()["masukan"]["keluarga_p3ke"]["lembar_lain_berjudul_p3ke_tidak_dibaca"] == [
        "Simpang Hilir"
    ]
    from targeting.cli import main

    assert main(["run", "--households", str(path), "--out", str(tmp_path / "o")]) == 0
    assert "Simpang Hilir" in capsys.readouterr().err
    assert (
        main(
            [
                "run",
                "--households",
                str(path),
                "--sheet",
                "Simpang Hilir",
                "--out",
                str(tmp_path / "o2"),
            ]
        )
        == 0
    )


def test_raw_individual_level_excel_with_faults():
    """The issue's 'done when': title rows, merged desa cells, a total row, one row per person,
    a NIK stored as a number, a missing code found by name, a person without family id."""
    wb = Workbook()
    ws = wb.active
    ws["A1"] = "DATA INDIVIDU P3KE KABUPATEN KAYONG UTARA"
    ws.merge_cells("A1:XFD1")
    header = ["No", "ID Keluarga P3KE", "Kecamatan", "Desa/Kelurahan", "Kode Kemendagri",
              "Desil Kesejahteraan", "NIK", "Nama", "Hubungan Dengan Kepala Keluarga"]  # fmt: skip
    for c, v in enumerate(header, start=1):
        ws.cell(row=5, column=c, value=v)
    rows = [
        [
            1,
            "K1",
            "Sukadana",
            "Sutera",
            "6111012001",
            1,
            "9911010101800001",
            "A",
            "Kepala Keluarga",
        ],
        [2, "K1", None, None, "6111012001", 1, 9911010101800002, "B", "Istri"],
        [3, "K2", None, None, None, 2, "9911010101800003", "C", "Kepala Keluarga"],
        [4, None, None, None, "6111012001", 1, "9911010101800004", "D", "Anak"],
    ]
    for r, row in enumerate(rows, start=6):
        for c, v in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=v)
    ws.merge_cells("C6:C8")
    ws.merge_cells("D6:D8")
    ws.cell(row=10, column=1, value="JUMLAH")
    ws.cell(row=10, column=6, value=4)
    buf = io.BytesIO()
    wb.save(buf)
    res = run(default_region(), households=buf.getvalue(), households_name="individu.xlsx")
    assert_accounting(res)
    assert res.check.per_individu
    assert (res.rows_in, res.rows_used, res.rows_rejected) == (5, 3, 2)
    fam = res.placement.keluarga.set_index("id_keluarga_p3ke")
    assert fam.loc["K1", "jumlah_anggota"] == 2
    assert bool(fam.loc["K1", "flag_nik_angka"])  # the wife's NIK was stored as a number
    assert fam.loc["K2", "kode_desa"] == "61.11.01.2001"  # merged desa cell, found by name
    assert bool(fam.loc["K2", "flag_desa_dari_nama"])
    reasons = res.ditolak.set_index("baris")["alasan"].to_dict()
    assert reasons == {9: "baris individu tanpa id keluarga", 10: "baris jumlah/total"}


def test_name_disagreeing_with_code_is_flagged_and_unknown_denominator_codes_listed():
    hh = (
        b"id_keluarga,kode_desa,desa_kelurahan,desil\n"
        b"K1,6111012001,Sutera,1\nK2,6111012001,Padang,1\nK3,6111012002,Pangkalan Buton,2\n"
    )
    denom = b"kode_desa,keluarga_total\n6111012001,625\n6111012002,599\n6199012001,10\n"
    res = run(default_region(), households=hh, households_name="h.csv", keluarga_desa=denom,
              keluarga_desa_name="k.csv")  # fmt: skip
    k = res.placement.keluarga.set_index("id_keluarga_p3ke")
    assert k["flag_nama_desa_beda"].to_dict() == {"K1": False, "K2": True, "K3": False}
    assert k.loc["K2", "kode_desa"] == "61.11.01.2001"  # stays in its coded desa
    assert res.report()["penyebut_kode_tidak_dikenal"] == ["61.99.01.2001"]


def test_a_data_row_holding_column_words_is_not_taken_for_the_header():
    """Notes like 'x', 'y', 'desa' in a data row must not outscore the real header."""
    data = (
        b"kode_kemdagri,desil_kesejahteraan,catatan1,catatan2,catatan3\n"
        b"6111012001,1,x,y,desa\n6111012002,1,ok,ok,ok\n"
    )
    table = read_sheet(data, label="catatan.csv")
    assert table.header_row == 1
    assert list(table.frame.columns[:2]) == ["kode_kemdagri", "desil_kesejahteraan"]
    assert len(table.frame) == 2


def test_repeated_header_check_matches_the_plain_count():
    """The early-stopping check gives the plain count's answer, number-named headers included."""
    import random

    from geo.sheets import _NUMBER_NAME, _canon, _repeats_header

    cells = ["NIK", "Nama", "Desa", "3201012345678901", "-1.25", "109,1", "Sukadana", "2021",
             "Kode Desa", "61.11.01.2001", "nama", " desa ", "x"]  # fmt: skip
    rng = random.Random(19)
    for header in ({"nik", "nama", "desa", "kode_desa"}, {"2021", "nama", "61_11_01_2001"}):
        numbers = any(_NUMBER_NAME.fullmatch(h) for h in header)
        for _ in range(500):
            row = rng.choices(cells, k=rng.randint(2, 9))
            plain = sum(_canon(v) in header for v in row) >= len(row) / 2
            assert _repeats_header(row, header, numbers) == plain, (row, header)
    assert _repeats_header(["NIK", "Nama", "Desa", "3201"], {"nik", "nama", "desa"}, False)
    assert not _repeats_header(["3201", "Budi", "Desa"], {"nik", "nama", "desa"}, False)
