import pandas as pd
import pytest

from geo.errors import InputSchemaError
from geo.households import validate_households
from geo.join import place_households
from tests.conftest import LAT0, LON0, STEP, households


def _row(kode: str, i: float | None = None, j: float | None = None) -> dict[str, object]:
    """A family coded to ``kode`` with a point at grid position (i, j) in cell units."""
    row: dict[str, object] = {"kode_kemdagri": kode, "desil_kesejahteraan": "1"}
    if i is not None and j is not None:
        lon, lat = round(LON0 + i * STEP, 9), round(LAT0 + j * STEP, 9)
        row.update({"lintang": repr(lat), "bujur": repr(lon)})
    else:
        row.update({"lintang": pd.NA, "bujur": pd.NA})
    return row


@pytest.fixture
def placed(squares):
    rows = [
        _row("6111012001", 0.5, 1.5),  # 0 inside its own desa
        _row("6111012001", 1.5, 1.5),  # 1 inside desa 2002: flagged
        _row("6111012001", 1.0, 1.5),  # 2 on the 2001|2002 border: agrees
        _row("6111012004", 1.0, 1.0),  # 3 corner of all four, coded 2004: agrees
        _row("6111022001", 1.0, 1.0),  # 4 corner, coded elsewhere: lowest code
        _row("6111012003", 3.0, 0.5),  # 5 in the sea between desa, 2 km from its own
        _row("6111012003"),  # 6 no coordinates
        _row("6111992001", 0.5, 0.5),  # 7 code not in the boundaries: rejected
    ]
    check = validate_households(households(rows), source="k.csv")
    return check, place_households(check.keluarga, squares, source="k.csv")


def test_no_row_is_lost(placed):
    check, p = placed
    assert len(p.keluarga) + len(p.ditolak) == len(check.keluarga) == 8
    assert p.ditolak["baris"].tolist() == [9]
    assert "tidak ada dalam batas desa" in p.ditolak.at[0, "alasan"]


def test_family_stays_in_its_coded_desa_and_disagreements_are_flagged(placed):
    _, p = placed
    k = p.keluarga
    assert k["kode_desa"].tolist()[:7] == [
        "61.11.01.2001", "61.11.01.2001", "61.11.01.2001", "61.11.01.2004",
        "61.11.02.2001", "61.11.01.2003", "61.11.01.2003",
    ]  # fmt: skip
    assert k["flag_titik_desa_lain"].tolist() == [False, True, False, False, True, False, False]
    assert k.at[1, "kode_desa_titik"] == "61.11.01.2002"
    assert k["flag_titik_luar_wilayah"].tolist() == [False] * 5 + [True, False]
    assert pd.isna(k.at[5, "kode_desa_titik"])


def test_border_rule_gives_exactly_one_desa(placed):
    _, p = placed
    k = p.keluarga
    assert k.at[2, "kode_desa_titik"] == "61.11.01.2001"  # border point agrees with its code
    assert k.at[3, "kode_desa_titik"] == "61.11.01.2004"
    assert k.at[4, "kode_desa_titik"] == "61.11.01.2001"  # lowest code among those touching


def test_points_are_in_display_crs_and_missing_ones_are_null(placed):
    _, p = placed
    k = p.keluarga
    assert k.crs.to_epsg() == 4326
    assert k.geometry.isna().tolist() == [False] * 6 + [True]
    assert pd.isna(k.at[6, "kode_desa_titik"])


def test_input_is_not_mutated(squares):
    check = validate_households(households([_row("6111012001", 0.1, 1.1)]), source="k")
    before = check.keluarga.copy()
    place_households(check.keluarga, squares, source="k")
    pd.testing.assert_frame_equal(check.keluarga, before)


def test_sea_points_swaps_and_out_of_extent(squares):
    rows = [
        _row("6111012004", 2.3, 0.5),  # 330 m off its desa's edge: just off the coast
        _row("6111012004", 3.5, 0.5),  # 1.6 km off: outside the region
        _row("6111012001", 0.5, 1.5),  # valid, then swapped below
        _row("6111012001", -40.0, 30.0),  # far outside the extent: coordinates dropped
    ]
    raw = households(rows)
    raw.loc[2, ["lintang", "bujur"]] = [raw.at[2, "bujur"], raw.at[2, "lintang"]]
    check = validate_households(raw, source="k.csv")
    k = place_households(check.keluarga, squares, source="k.csv").keluarga
    assert k["flag_titik_lepas_pantai"].tolist() == [True, False, False, False]
    assert k["flag_titik_luar_wilayah"].tolist() == [False, True, False, False]
    assert k["flag_koordinat_ditukar"].tolist() == [False, False, True, False]
    assert k.at[2, "kode_desa_titik"] == "61.11.01.2001"
    assert k.at[2, "lintang"] == pytest.approx(LAT0 + 1.5 * STEP)
    assert k["flag_koordinat_tidak_valid"].tolist() == [False, False, False, True]
    assert k.geometry.isna().tolist() == [False, False, False, True]


@pytest.mark.parametrize(
    ("kode", "desa", "kecamatan", "expected"),
    [
        (pd.NA, "Tiga", "Kec A", "61.11.01.2003"),  # exact name, no code
        ("6111019999", "Desa Tigaa", "Kec A", "61.11.01.2003"),  # unknown code, near name
        ("abc", "tiga", pd.NA, "61.11.01.2003"),  # unreadable code, no kecamatan
    ],
    ids=["no-code", "unknown-code-typo", "bad-code-no-kecamatan"],
)
def test_desa_found_by_name_when_code_fails(squares, kode, desa, kecamatan, expected):
    raw = households(
        [{"kode_kemdagri": kode, "desil": "1", "desa_kelurahan": desa, "kecamatan": kecamatan}]
    )
    check = validate_households(raw, source="k.csv")
    p = place_households(check.keluarga, squares, source="k.csv")
    assert p.ditolak.empty
    assert p.keluarga.at[0, "kode_desa"] == expected
    assert bool(p.keluarga.at[0, "flag_desa_dari_nama"])
    assert p.cocok_nama.at[0, "kode_desa"] == expected


def test_unknown_name_and_ambiguous_name_are_rejected(squares):
    sq = squares.copy()
    sq.loc[1, "desa"] = "Tiga Baru"  # now "Tiga" and "Tiga Baru" compete... but exact wins
    sq.loc[0, "desa"] = "Sungai Dua"
    sq.loc[3, "desa"] = "Sungai Duo"
    raw = households(
        [
            {"kode_kemdagri": pd.NA, "desil": "1", "desa_kelurahan": "Entah", "kecamatan": "Kec A"},
            {
                "kode_kemdagri": pd.NA,
                "desil": "1",
                "desa_kelurahan": "Sungai Du",
                "kecamatan": "Kec A",
            },
            {"kode_kemdagri": "6111999999", "desil": "1", "desa_kelurahan": pd.NA},
        ]
    )
    check = validate_households(raw, source="k.csv")
    p = place_households(check.keluarga, sq, source="k.csv")
    assert p.keluarga.empty
    reasons = p.ditolak.set_index("baris")["alasan"]
    assert "tidak cocok" in reasons[2]
    assert "ambigu" in reasons[3]
    assert "61.11.99.9999 tidak ada dalam batas desa" in reasons[4]
    assert "nama desa kosong" in reasons[4]
    assert p.kode_tidak_dikenal == ["61.11.99.9999"]


def test_code_of_another_district_is_rejected_not_matched_by_name(squares):
    raw = households(
        [
            {
                "kode_kemdagri": "6104122005",
                "desil": "1",
                "desa_kelurahan": "Tiga",
                "kecamatan": "Kec A",
            },
            {
                "kode_kemdagri": pd.NA,
                "desil": "1",
                "desa_kelurahan": "Tiga Baru",
                "kecamatan": "Kec A",
            },
        ]
    )
    p = place_households(validate_households(raw, source="k.csv").keluarga, squares, source="k.csv")
    assert p.keluarga.empty
    reasons = p.ditolak.set_index("baris")["alasan"]
    # Not "another region's code": only outside this one, with the prefixes compared.
    assert "kode desa di luar wilayah ini (awalan 61.04, wilayah 61.11)" in reasons[2]
    assert "tidak dicocokkan dengan nama" in reasons[2]
    assert "wilayah lain" not in reasons[2]
    assert "tidak cocok" in reasons[3]  # "Tiga Baru" is not "Tiga"


def test_code_outside_the_region_names_the_prefixes_compared(squares):
    raw = households(
        [{"kode_kemdagri": "9999999999", "desil": "1", "desa_kelurahan": "Satu",
          "kecamatan": "Kec A"}]
    )  # fmt: skip
    kel = validate_households(raw, source="k.csv").keluarga
    p = place_households(kel, squares, source="k.csv")
    assert p.keluarga.empty  # still rejected, never matched by name
    assert p.ditolak.at[0, "alasan"].endswith(
        "kode desa di luar wilayah ini (awalan 99.99, wilayah 61.11); tidak dicocokkan dengan nama"
    )
    # A province-sized region: the first prefixes and how many there are.
    many = squares.assign(kode_desa=[f"61.{k:02d}.01.2001" for k in range(1, 6)])
    p = place_households(kel, many, source="k.csv")
    assert (
        "(awalan 99.99, wilayah 61.01, 61.02, 61.03, 61.04, ... (5 awalan))"
        in p.ditolak.at[0, "alasan"]
    )


def test_name_check_once_per_pair_and_boundaries_in_a_metric_crs(squares):
    """The written desa name is compared with the coded desa's name (normalised, fuzzy)."""
    rows = [
        {**_row("6111012001", 0.5, 1.5), "desa_kelurahan": "Satu"},
        {**_row("6111012001", 0.5, 1.5), "desa_kelurahan": "Desa SATU"},
        {**_row("6111012001", 0.5, 1.5), "desa_kelurahan": "Dua"},  # another desa's name
        {**_row("6111012002", 1.5, 1.5), "desa_kelurahan": pd.NA},  # no name: no verdict
        {**_row("6111012002", 1.5, 1.5), "desa_kelurahan": "Dua"},
        {**_row("6111012002", 1.5, 1.5), "desa_kelurahan": "Satu"},
        {**_row("6111012003", 0.5, 0.5), "desa_kelurahan": "Tigaa"},  # a typo agrees
    ]
    check = validate_households(households(rows), source="k.csv")
    k = place_households(check.keluarga, squares, source="k.csv").keluarga
    assert k["flag_nama_desa_beda"].tolist() == [False, False, True, False, False, True, False]
    # Inside points give the same desa when the boundaries come in a metric CRS.
    utm = place_households(check.keluarga, squares.to_crs(32749), source="k.csv").keluarga
    assert utm["kode_desa_titik"].tolist() == k["kode_desa_titik"].tolist()
    assert utm.crs == k.crs == "EPSG:4326"


def test_families_validated_by_another_version_are_refused_clearly(squares):
    check = validate_households(households([_row("6111012001", 0.5, 1.5)]), source="k.csv")
    old = check.keluarga.drop(columns="flag_no_kk_angka")
    with pytest.raises(InputSchemaError, match=r"flag_no_kk_angka.*validasi ulang"):
        place_households(old, squares, source="bagian-1.parquet")
