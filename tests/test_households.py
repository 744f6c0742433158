import pandas as pd
import pytest

from geo.errors import InputSchemaError
from geo.households import parse_decimal, validate_households
from targeting.export import mask_id
from tests.conftest import households


def test_aliases_and_unknown_columns():
    raw = households(
        [{"Kode_Kemendagri": "6111012001", "desil": "1", "nama_lengkap": "A", "warna_rumah": "x"}]
    )
    raw.columns = [c.lower() for c in raw.columns]
    check = validate_households(raw, source="k.csv")
    assert "kode_kemdagri" in check.keluarga.columns
    assert "kepala_keluarga" in check.keluarga.columns
    assert check.kolom_tidak_dikenal == ["warna_rumah"]
    assert check.keluarga.at[0, "warna_rumah"] == "x"  # kept


def test_missing_required_column_names_accepted_spellings():
    raw = households([{"kode": "6111012001"}])
    with pytest.raises(InputSchemaError, match=r"k\.csv: kolom wajib.*desil_kesejahteraan"):
        validate_households(raw, source="k.csv")


def test_without_code_and_name_columns_both_vocabularies_are_listed():
    raw = households([{"kode": "6111012001", "desil": "1"}])
    with pytest.raises(InputSchemaError) as info:
        validate_households(raw, source="k.csv")
    msg = str(info.value)
    assert "kode_kemdagri (atau desa_kelurahan)" in msg
    assert "kode_kemdagri: kode_kemdagri, kode_kemendagri, kemendagri_kode_desa, kode_desa" in msg
    assert "desa_kelurahan: desa_kelurahan, desa, kelurahan, nama_desa, desa_kel" in msg
    assert "desa_kelurahan: desa_kelurahan, desa, kelurahan, nama_desa" in info.value.en


def test_every_bad_desil_is_rejected_with_row_column_value_reason():
    raw = households(
        [
            {"kode_kemdagri": "6111012001", "desil_kesejahteraan": "1"},
            {"kode_kemdagri": pd.NA, "desil_kesejahteraan": "2"},
            {"kode_kemdagri": "6111012001", "desil_kesejahteraan": pd.NA},
            {"kode_kemdagri": "6111012001", "desil_kesejahteraan": "5"},
            {"kode_kemdagri": "6111012001", "desil_kesejahteraan": "2,5"},
            {"kode_kemdagri": "61110", "desil_kesejahteraan": "x"},
        ]
    )
    check = validate_households(raw, source="k.csv", desil_scale="p3ke")
    assert len(check.keluarga) + len(check.ditolak) == check.rows_in == 6
    rej = check.ditolak.set_index("baris")
    assert rej.loc[4, "alasan"] == "desil kosong"
    assert "luar skala P3KE 1-4" in rej.loc[5, "alasan"]
    assert rej.loc[5, "nilai"] == "5"
    assert rej.loc[6, "alasan"] == "desil bukan bilangan bulat"
    assert rej.loc[7, "kolom"] == "desil_kesejahteraan"
    assert (rej["berkas"] == "k.csv").all()
    # A blank code is not rejected here: geo.join tries the desa name first.
    kept = check.keluarga.set_index("_baris")
    assert pd.isna(kept.loc[3, "kode_desa"])
    assert kept.loc[3, "alasan_kode"] == "kode desa kosong"


def test_nik_problems_are_flagged_never_rejected():
    raw = households(
        [
            {"kode_kemdagri": "6111012001", "desil": "1", "nik": "9911010101800001"},
            {"kode_kemdagri": "6111012001", "desil": "1", "nik": "9.91101E+15"},
            {"kode_kemdagri": "6111012001", "desil": "1", "nik": "991101010180"},
            {"kode_kemdagri": "6111012001", "desil": "2", "nik": "9911010101800001"},
            {"kode_kemdagri": "6111012001", "desil": "1", "nik": "9911010101800009"},
        ]
    )
    check = validate_households(raw, source="k.xlsx", numeric_cells={"nik": {6}})
    k = check.keluarga
    assert check.ditolak.empty
    assert k["flag_nik_angka"].tolist() == [False, True, False, False, True]
    assert k["flag_nik_bukan_16_digit"].tolist() == [False, True, True, False, False]
    assert k["flag_nik_ganda"].tolist() == [True, False, False, True, False]
    assert k.at[0, "nik"] == "9911010101800001"  # text kept as it came


def test_ids_through_an_excel_float_column_lose_the_tail_and_are_flagged():
    raw = households(
        [
            {"kode_kemdagri": "6111012001", "desil": "1", "nik": "5555000000000008.0",
             "no_kk": "5555000000000009.00"},
            {"kode_kemdagri": "6111012001", "desil": "2", "nik": "55550000000008.0",
             "no_kk": "5555000000000019"},
            {"kode_kemdagri": "6111012001", "desil": "3", "nik": "5555000000000018",
             "no_kk": "5555000000000029.5"},
            # A decimal comma (a ;-separated export with Indonesian number settings).
            {"kode_kemdagri": "6111012001", "desil": "4", "nik": "5555000000000028,0",
             "no_kk": "5555000000000039,00"},
        ]
    )  # fmt: skip
    k = validate_households(raw, source="k.csv").keluarga
    assert k["nik"].tolist() == [
        "5555000000000008", "55550000000008", "5555000000000018", "5555000000000028"
    ]  # fmt: skip
    assert k["flag_nik_angka"].tolist() == [True, True, False, True]
    # The length is judged on the digits: 16 digits with a float tail is a 16-digit NIK.
    assert k["flag_nik_bukan_16_digit"].tolist() == [False, True, False, False]
    assert k["no_kk"].tolist() == [
        "5555000000000009", "5555000000000019", "5555000000000029.5", "5555000000000039"
    ]  # fmt: skip
    assert k["flag_no_kk_angka"].tolist() == [True, False, False, True]
    assert mask_id(k.at[0, "nik"]) == "5555********0008"
    assert mask_id(k.at[0, "no_kk"]) == "5555********0009"


def test_a_no_kk_with_a_float_tail_keeps_its_family_together():
    rows = [
        {"no_kk": "5555000000000009", "kode_kemdagri": "6111012001", "desil": "1",
         "hubungan_dengan_kepala_keluarga": "Kepala Keluarga", "nik": "5555000000000001"},
        {"no_kk": "5555000000000009.0", "kode_kemdagri": "6111012001", "desil": "1",
         "hubungan_dengan_kepala_keluarga": "Istri", "nik": "5555000000000002.0"},
    ]  # fmt: skip
    check = validate_households(households(rows), source="ind.csv")
    k = check.keluarga
    assert check.per_individu
    assert len(k) == 1
    assert k.at[0, "jumlah_anggota"] == 2
    assert bool(k.at[0, "flag_no_kk_angka"])
    assert bool(k.at[0, "flag_nik_angka"])  # the wife's NIK went through a number
    assert not bool(k.at[0, "flag_nik_bukan_16_digit"])


def test_individual_rows_become_families_with_member_count():
    rows = [
        {"id_keluarga": "K1", "kode_kemdagri": "6111012001", "desil": "1",
         "hubungan_dengan_kepala_keluarga": "Istri", "nama": "B"},
        {"id_keluarga": "K1", "kode_kemdagri": "6111012001", "desil": "1",
         "hubungan_dengan_kepala_keluarga": "Kepala Keluarga", "nama": "A"},
        {"id_keluarga": "K1", "kode_kemdagri": "6111012001", "desil": "1",
         "hubungan_dengan_kepala_keluarga": "Anak", "nama": "C"},
        {"id_keluarga": "K2", "kode_kemdagri": "6111012002", "desil": "3",
         "hubungan_dengan_kepala_keluarga": "Anak", "nama": "D"},
        {"id_keluarga": pd.NA, "kode_kemdagri": "6111012002", "desil": "3",
         "hubungan_dengan_kepala_keluarga": "Anak", "nama": "E"},
    ]  # fmt: skip
    check = validate_households(households(rows), source="ind.xlsx")
    assert check.per_individu
    fam = check.keluarga.set_index("id_keluarga_p3ke")
    assert fam.loc["K1", "nama"] == "A"  # the head's row represents the family
    assert fam.loc["K1", "jumlah_anggota"] == 3
    assert fam.loc["K1", "_baris_semua"] == "2;3;4"
    assert bool(fam.loc["K2", "flag_tanpa_kepala_keluarga"])
    assert check.ditolak["baris"].tolist() == [6]
    assert "tanpa id keluarga" in check.ditolak.at[0, "alasan"]


@pytest.mark.parametrize(
    ("values", "scale"),
    [(["1", "2", "4"], "p3ke"), (["1", "5", "7", "10"], "dtsen")],
    ids=["p3ke-1-4", "dtsen-1-10"],
)
def test_desil_scale_is_detected(values, scale):
    raw = households([{"kode_kemdagri": "6111012001", "desil_kesejahteraan": v} for v in values])
    check = validate_households(raw, source="k.csv")
    assert check.desil_scale == scale
    assert check.keluarga["desil"].tolist() == [int(v) for v in values]


def test_coordinates_with_comma_and_bad_values_are_flagged_not_rejected():
    raw = households(
        [
            {
                "kode_kemdagri": "6111012001",
                "desil": "1",
                "latitude": "-1,25",
                "longitude": "109,95",
            },
            {"kode_kemdagri": "6111012001", "desil": "1", "latitude": "0", "longitude": "0"},
            {"kode_kemdagri": "6111012001", "desil": "1", "latitude": "abc", "longitude": "109"},
            {"kode_kemdagri": "6111012001", "desil": "1", "latitude": pd.NA, "longitude": pd.NA},
            {
                "kode_kemdagri": "6111012001",
                "desil": "1",
                "latitude": "1 15 0 LS",
                "longitude": "109°57'0\"BT",
            },
        ]
    )
    check = validate_households(raw, source="k.csv")
    assert check.ditolak.empty
    k = check.keluarga
    assert k.at[0, "lintang"] == -1.25
    assert k.at[0, "bujur"] == 109.95
    assert k["flag_koordinat_tidak_valid"].tolist() == [False, True, True, False, False]
    assert k["lintang"].isna().tolist() == [False, True, True, True, False]
    assert k.at[4, "lintang"] == -1.25
    assert k.at[4, "bujur"] == pytest.approx(109.95)


def test_parse_decimal():
    assert parse_decimal(pd.Series(["1,5", " 2.25 ", ""])).tolist()[:2] == [1.5, 2.25]
