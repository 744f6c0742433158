import pandas as pd
import pytest

from geo.errors import InputSchemaError
from geo.households import parse_decimal, validate_households
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


def test_every_bad_row_is_rejected_with_row_column_value_reason():
    raw = households(
        [
            {"kode_kemdagri": "6111012001", "desil_kesejahteraan": "1"},
            {"kode_kemdagri": "", "desil_kesejahteraan": "2"},
            {"kode_kemdagri": "6111012001", "desil_kesejahteraan": ""},
            {"kode_kemdagri": "6111012001", "desil_kesejahteraan": "5"},
            {"kode_kemdagri": "6111012001", "desil_kesejahteraan": "2,5"},
            {"kode_kemdagri": "61110", "desil_kesejahteraan": "x"},
        ]
    )
    raw = raw.replace("", pd.NA)
    check = validate_households(raw, source="k.csv", desil_scale="p3ke")
    assert len(check.keluarga) + len(check.ditolak) == check.rows_in == 6
    rej = check.ditolak.set_index("baris")
    assert rej.loc[3, "alasan"] == "kode desa kosong"
    assert rej.loc[4, "alasan"] == "desil kosong"
    assert "luar skala P3KE 1-4" in rej.loc[5, "alasan"]
    assert rej.loc[5, "nilai"] == "5"
    assert rej.loc[6, "alasan"] == "desil bukan bilangan bulat"
    assert rej.loc[7, "kolom"] == "kode_kemdagri; desil_kesejahteraan"  # both problems listed
    assert (rej["berkas"] == "k.csv").all()


@pytest.mark.parametrize(
    ("values", "scale"),
    [(["1", "2", "4"], "p3ke"), (["1", "7", "10"], "dtsen")],
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
        ]
    )
    check = validate_households(raw, source="k.csv")
    assert check.ditolak.empty
    k = check.keluarga
    assert k.at[0, "lintang"] == -1.25
    assert k.at[0, "bujur"] == 109.95
    assert k["flag_koordinat_tidak_valid"].tolist() == [False, True, True, False]
    assert k["lintang"].isna().tolist() == [False, True, True, True]


def test_parse_decimal():
    assert parse_decimal(pd.Series(["1,5", " 2.25 ", ""])).tolist()[:2] == [1.5, 2.25]
