import numpy as np
import pandas as pd
import pytest

from targeting.indicators import column_labels, desa_indicators, district_summary


@pytest.fixture
def keluarga():
    return pd.DataFrame(
        {
            "kode_desa": ["61.11.01.2001"] * 4 + ["61.11.01.2002"] * 2,
            "desil": pd.array([1, 1, 2, 4, 3, 4], dtype="Int64"),
            "sumber_penerangan": ["Bukan listrik", "listrik pln", "BUKAN LISTRIK ", "x", "y", "z"],
            "jenis_lantai": ["Tanah", "Bambu", "Keramik", "Tanah", "x", "x"],
        }
    )


@pytest.fixture
def denom():
    return pd.DataFrame(
        {
            "kode_desa": ["61.11.01.2001", "61.11.01.2002", "61.11.01.2003"],
            "keluarga_total": [40, 10, 30],
        }
    )


def test_counts_and_shares_with_their_counts(squares, keluarga, denom):
    ind = desa_indicators(keluarga, squares, denom).set_index("kode_desa")
    a = ind.loc["61.11.01.2001"]
    assert (a["keluarga_p3ke"], a["keluarga_desil_1"], a["keluarga_desil_2"]) == (4, 2, 1)
    assert a["persen_desil_1"] == pytest.approx(2 / 40 * 100)
    assert a["persen_desil_1_p3ke"] == pytest.approx(50.0)
    assert a["p3ke_tanpa_listrik"] == 2  # case and space insensitive
    assert a["persen_p3ke_tanpa_listrik"] == pytest.approx(50.0)
    assert a["p3ke_lantai_tanah_bambu"] == 3
    assert ind.loc["61.11.01.2002", "persen_desil_1"] == 0.0


def test_desa_without_p3ke_rows_has_no_data_not_zero(squares, keluarga, denom):
    ind = desa_indicators(keluarga, squares, denom).set_index("kode_desa")
    c = ind.loc["61.11.01.2003"]
    assert not c["ada_data"]
    assert pd.isna(c["keluarga_p3ke"])  # unknown, not zero
    assert pd.isna(c["keluarga_desil_1"])
    assert np.isnan(c["persen_desil_1"])
    assert pd.isna(ind.loc["61.11.01.2004", "keluarga_total"])


def test_missing_deprivation_column_gives_na_not_zero(squares, keluarga):
    ind = desa_indicators(keluarga.drop(columns="jenis_lantai"), squares)
    assert ind["p3ke_lantai_tanah_bambu"].isna().all()
    assert ind["persen_desil_1"].isna().all()  # no denominator given


def test_output_is_indexed_like_boundaries_and_keeps_crs(squares, keluarga):
    ind = desa_indicators(keluarga, squares, desil_max=10)
    assert ind["kode_desa"].tolist() == squares["kode_desa"].tolist()
    assert ind.crs == squares.crs
    assert "keluarga_desil_10" in ind.columns


def test_summary(squares, keluarga, denom):
    s = district_summary(desa_indicators(keluarga, squares, denom))
    assert s["keluarga_desil_1"] == 2
    assert s["keluarga_p3ke"] == 6
    assert s["desa_dengan_data"] == 2
    assert s["persen_desil_1"] == pytest.approx(2 / 50 * 100)  # only desa with data count


def test_labels():
    labels = column_labels(["keluarga_desil_3", "p3ke_tanpa_listrik", "geometry"])
    assert labels == {
        "keluarga_desil_3": "Keluarga desil 3",
        "p3ke_tanpa_listrik": "Tanpa listrik (keluarga)",
    }
