import pandas as pd
import pytest

from geo.codes import (
    format_kode_desa,
    kode_kabupaten,
    kode_kecamatan,
    normalise_kode_desa,
    normalise_kode_prefix,
)
from geo.households import DESIL_SCALES, validate_households


@pytest.mark.parametrize(
    "raw",
    ["61.11.01.2001", "6111012001", " 61 11 01 2001 ", "6111012001.0", "61-11-01-2001", 6111012001],
    ids=["dotted", "plain", "spaces", "excel-float", "hyphens", "int"],
)
def test_same_desa_in_every_spelling(raw):
    out = normalise_kode_desa(pd.Series([raw]))
    assert out.at[0, "kode_desa"] == "61.11.01.2001"
    assert pd.isna(out.at[0, "alasan"])


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "kosong"),
        (None, "kosong"),
        ("61.11.01.20O1", "selain angka"),
        ("611101201", "10 digit"),
    ],
    ids=["blank", "none", "letter-O", "nine-digits"],
)
def test_unreadable_codes_carry_a_reason(raw, reason):
    out = normalise_kode_desa(pd.Series([raw], dtype=object))
    assert pd.isna(out.at[0, "kode_desa"])
    assert reason in out.at[0, "alasan"]


def test_index_is_kept():
    s = pd.Series(["6111012001", "x"], index=[10, 20])
    assert list(normalise_kode_desa(s).index) == [10, 20]


def test_format_and_prefix():
    assert format_kode_desa("6111042006") == "61.11.04.2006"
    with pytest.raises(ValueError, match="10 digit"):
        format_kode_desa("61110")
    assert normalise_kode_prefix("6111") == "61.11"
    assert normalise_kode_prefix("61.11.04") == "61.11.04"
    with pytest.raises(ValueError, match="2, 4 atau 6 digit"):
        normalise_kode_prefix("611")
    assert kode_kecamatan(pd.Series(["61.11.04.2006"])).tolist() == ["61.11.04"]


def test_code_prefixes_come_from_one_place():
    codes = pd.Series(["61.11.01.2001", None, "61.04.12.2003"], dtype=object)
    assert kode_kecamatan(codes).tolist()[::2] == ["61.11.01", "61.04.12"]
    assert kode_kecamatan(codes).isna().tolist() == [False, True, False]
    assert kode_kecamatan(codes.astype("string")).dtype == "string"
    assert [kode_kabupaten(c) for c in codes.dropna()] == ["61.11", "61.04"]


def test_desil_max_follows_the_scale_table():
    frame = pd.DataFrame({"kode_desa": ["6111012001"] * 2, "desil_kesejahteraan": ["1", "2"]})
    check = validate_households(frame, source="SINTETIS.csv", desil_scale="dtsen")
    assert check.desil_max == DESIL_SCALES["dtsen"][1] == 10
    check = validate_households(frame, source="SINTETIS.csv", desil_scale="p3ke")
    assert check.desil_max == 4
