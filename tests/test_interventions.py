"""Do interventions hit the loci? Matrix, coverage, gaps, mistargeting and need match."""

import json
import re

import pandas as pd
import pytest

from targeting.cli import main
from targeting.interventions import MatchSettings, analyse_interventions, lokus_long


def _ind():
    return pd.DataFrame(
        {
            "kode_desa": ["A", "B", "C", "D"],
            "desa": ["Satu", "Dua", "Tiga", "Empat"],
            "kecamatan": ["K1", "K1", "K2", "K2"],
            "keluarga_desil_1": [40, 10, 2, 0],
            "persen_desil_1": [8.0, 2.0, 0.5, 0.0],
        }
    )


def _register():
    return pd.DataFrame(
        {
            "kode_sub_kegiatan": [
                "1.01.01.2.01.0001",
                "1.03.03.2.01.0005",
                "2.07.02.2.01.0003",
                "1.04.02.2.01.0013",
            ],
            "nama_sub_kegiatan": ["Bansos", "Air minum", "Pelatihan", "RTLH"],
            "opd": ["Dinsos", "PUPR", "Disnaker", "Perkim"],
            "strategi": [1, 3, 2, 3],
            "pagu_rp": pd.array([400, 300, 50, 900], dtype="Int64"),
            "lokus_kode": ["A;B", "C", "C;D", "D"],
            "kebutuhan": ["pangan", "air", "pendapatan", "rumah"],
            "_baris": [2, 3, 4, 5],
        }
    )


def _families():
    rows = [("A", "Sumur Tidak Terlindung")] * 30 + [("A", "Ledeng/PAM")] * 10
    rows += [("B", "Ledeng/PAM")] * 10 + [("C", "Air Hujan")] * 2
    return pd.DataFrame(
        {"kode_desa": [r[0] for r in rows], "desil": pd.array([1] * len(rows), dtype="Int64"),
         "sumber_air_minum": [r[1] for r in rows]}
    )  # fmt: skip


@pytest.fixture
def result():
    kantong = pd.DataFrame(
        {
            "kode_desa": ["A", "B", "C", "D"],
            "kantong": ["panas", "tidak signifikan", "tidak signifikan", "tidak signifikan"],
        }
    )
    return analyse_interventions(
        _register(), _ind(), _families(), kantong, MatchSettings(min_desil_1=5)
    )


def test_pagu_is_split_over_the_loci_and_traced_to_counts(result):
    long = lokus_long(_register())
    assert long.groupby("_baris")["pagu_desa_rp"].sum().tolist() == [400, 300, 50, 900]
    m = result.matriks.set_index("kode_desa")
    assert m.loc["A", "sub_kegiatan_1"] == 1
    assert m.loc["A", "pagu_1_rp"] == 200
    assert m.loc["A", "pagu_1_per_desil_1_rp"] == 5  # 200 / 40 families
    assert pd.isna(m.loc["D", "pagu_2_per_desil_1_rp"])  # no desil-1 family: no ratio


def test_coverage_counts_desil_1_families_in_reached_desa(result):
    c = result.cakupan.set_index(["wilayah", "strategi"])
    assert c.loc[("kabupaten", 1), "keluarga_desil_1_terjangkau"] == 50
    assert c.loc[("kabupaten", 1), "persen"] == pytest.approx(50 / 52 * 100)
    assert c.loc[("kabupaten", 3), "keluarga_desil_1_terjangkau"] == 2
    assert c.loc[("K2", 2), "persen"] == pytest.approx(100.0)


def test_gaps_pockets_high_desa_and_strategy_3_off_pocket(result):
    g = result.celah
    pocket = g[g["jenis"] == "kantong tanpa sub kegiatan"]
    assert set(pocket["kode_desa"]) == {"A"}
    assert set(pocket["strategi"]) == {2, 3}
    off = g[g["jenis"] == "lokus strategi 3 bukan kantong"]
    assert off["kode_desa"].tolist() == ["C", "D"]


def test_mistargeting_ranked_by_pagu(result):
    s = result.salah_sasaran
    # RTLH's only locus holds no desil-1 family: first, by pagu; then 2 and 2 families.
    assert s["nama_sub_kegiatan"].tolist() == ["RTLH", "Air minum", "Pelatihan"]
    assert s["keluarga_desil_1_di_lokus"].tolist() == [0, 2, 2]


def test_need_match(result):
    k = result.kebutuhan.set_index(["kode_desa", "kebutuhan"])
    assert k.loc[("A", "air"), "status"] == "kebutuhan tanpa sub kegiatan"  # 30 of 40 unsafe water
    # C: both of its 2 desil-1 families lack safe water, but 2 < 3 families is no need yet.
    assert k.loc[("C", "air"), "status"] == "sub kegiatan tanpa kebutuhan"
    relaxed = analyse_interventions(
        _register(), _ind(), _families(), None, MatchSettings(min_keluarga_kebutuhan=1)
    ).kebutuhan.set_index(["kode_desa", "kebutuhan"])
    assert relaxed.loc[("C", "air"), "status"] == "sesuai"
    assert k.loc[("A", "air"), "keluarga_desil_1_kekurangan"] == 30


def test_cli_writes_matrix_gaps_and_coverage(tmp_path):
    assert main(["run", "--out", str(tmp_path)]) == 0
    matrix = pd.read_csv(
        tmp_path / "interventions.csv", encoding="utf-8-sig", dtype={"kode_desa": str}
    )
    assert len(matrix) == 43
    assert {"sub_kegiatan_1", "pagu_3_rp", "pagu_2_per_desil_1_rp"} <= set(matrix.columns)
    assert matrix[[f"pagu_{s}_rp" for s in (1, 2, 3)]].sum().sum() == pytest.approx(76e9, rel=1e-6)
    gaps = pd.read_csv(tmp_path / "gaps.csv", encoding="utf-8-sig")
    assert set(gaps.columns) == {"kode_desa", "desa", "strategi", "jenis", "keterangan"}
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    cov = report["intervensi"]["cakupan_kabupaten"]
    assert [c["strategi"] for c in cov] == [1, 2, 3]
    assert report["intervensi"]["register"]["rows_used"] == 84
    # The app's tables, as files.
    salah = pd.read_csv(tmp_path / "salah_sasaran.csv", encoding="utf-8-sig")
    assert "keluarga_desil_1_di_lokus" in salah.columns
    need = pd.read_csv(tmp_path / "kecocokan_kebutuhan.csv", encoding="utf-8-sig")
    assert {"kode_desa", "kebutuhan", "status"} <= set(need.columns)
    assert len(need) == 43 * 4  # every desa and need tag
    coverage = pd.read_csv(tmp_path / "cakupan.csv", encoding="utf-8-sig")
    assert (
        coverage["keluarga_desil_1_terjangkau"] <= coverage["keluarga_desil_1_di_desa_terjangkau"]
    ).all()
    # The synthetic register's sub-activities with a family target reach at most that many.
    assert (
        coverage["keluarga_desil_1_terjangkau"] < coverage["keluarga_desil_1_di_desa_terjangkau"]
    ).any()


def test_csv_writes_counts_as_whole_numbers(tmp_path):
    """interventions.csv wrote family counts and Rupiah as ``41.0`` and ``59000000.0``; a
    whole-number column is written as integers, a column with decimals keeps them."""
    from targeting.export import to_csv_bytes

    text = to_csv_bytes(
        pd.DataFrame({"keluarga": [41.0, 6.0, None], "skor": [0.5, 1.0, 2.25]})
    ).decode("utf-8-sig")
    assert text.splitlines() == ["keluarga,skor", "41,0.5", "6,1.0", ",2.25"]
    assert main(["run", "--out", str(tmp_path)]) == 0
    matrix = (tmp_path / "interventions.csv").read_text(encoding="utf-8-sig").splitlines()
    header, first = matrix[0].split(","), matrix[1].split(",")
    for col in ("keluarga_desil_1", "sub_kegiatan_1", "pagu_1_rp", "keluarga_maks_1"):
        assert re.fullmatch(r"\d+", first[header.index(col)]), (col, first[header.index(col)])


def test_desa_not_assessed_are_not_called_bukan_kantong():
    """After an upload covering one desa no desa is assessed: the gaps said "strategy 3 in a
    desa that is not a pocket" of every desa with strategy-3 loci. Only assessed desa are."""
    labels = ["tidak dinilai"] * 4
    kantong = pd.DataFrame({"kode_desa": ["A", "B", "C", "D"], "kantong": labels})
    g = analyse_interventions(_register(), _ind(), _families(), kantong).celah
    assert g[g["jenis"] == "lokus strategi 3 bukan kantong"].empty
    kantong.loc[kantong["kode_desa"] == "D", "kantong"] = "tidak signifikan"
    g = analyse_interventions(_register(), _ind(), _families(), kantong).celah
    assert g.loc[g["jenis"] == "lokus strategi 3 bukan kantong", "kode_desa"].tolist() == ["D"]
