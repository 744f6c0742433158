"""Recipients by name: coverage per family, inclusion and exclusion errors (issue 17).

A small hand-made case whose answers are worked out by hand below. Every record is SYNTHETIC.
"""

from __future__ import annotations

import pandas as pd
import pytest

from geo.errors import VerifikasiError
from targeting.penerima import SUMBER_CAMPURAN, SUMBER_DAFTAR, SUMBER_LOKUS, baca_penerima, cakupan

A, B = "61.11.01.2001", "61.11.01.2002"

# F1, F2 in A and F3, F4, F7 in B are desil 1; F4 is verified 'tidak layak'; F5 is desil 6
# (outside 1-4), F6 desil 3.
KELUARGA = pd.DataFrame(
    {
        "id_keluarga_p3ke": ["F1", "F2", "F3", "F4", "F5", "F6", "F7"],
        "kode_desa": [A, A, B, B, A, B, B],
        "desil": pd.array([1, 1, 1, 1, 6, 3, 1], dtype="Int64"),
        "no_kk": ["6111000000000001", "6111000000000002", "", "", "", "", ""],
    }
)
# 1.01 (strategy 1) located in A and B; 2.01 (strategy 2) in A; 3.01 (strategy 3) in B.
REGISTER = pd.DataFrame(
    {
        "kode_sub_kegiatan": ["1.01", "1.01", "2.01", "3.01"],
        "nama_sub_kegiatan": ["Permakanan", "Permakanan", "Pelatihan", "Jamban"],
        "strategi": [1, 1, 2, 3],
        "kode_desa": [A, B, A, B],
    }
)
CSV = (
    "id_keluarga_p3ke;No KK;kode_sub_kegiatan;tahun;volume\n"
    "F1;;1.01;2025;1\n"
    "F1;;1.01;2025;1\n"  # the same family twice in one sub-activity and year
    "F5;;1.01;2025;1\n"  # desil 6: inclusion error
    "F3;;3.01;2025;1\n"
    "F6;;3.01;2025;1\n"  # desil 3: inside 1-4, not an inclusion error
    ";6111-0000-0000-0002;2.01;2025;1\n"  # F2 by No KK
    "X9;;1.01;2025;1\n"  # unknown family
    "F3;;9.99;2025;1\n"  # sub-activity not in the register
    ";;;;\n"
)


@pytest.fixture(scope="module")
def daftar():
    return baca_penerima(CSV.encode(), "penerima.csv", KELUARGA, set(REGISTER["kode_sub_kegiatan"]))


def test_recipient_ledger(daftar) -> None:
    led = daftar.ledger
    assert (led.rows_in, led.rows_used, led.rows_rejected) == (8, 5, 3)
    assert dict(zip(led.ditolak["baris"], led.ditolak["kode"], strict=True)) == {
        3: "penerima_ganda",
        8: "tidak_dikenal",
        9: "sub_tidak_dikenal",
    }
    assert set(daftar.penerima["id_keluarga_p3ke"]) == {"F1", "F2", "F3", "F5", "F6"}
    assert list(daftar.ganda["baris"]) == [3]


def test_coverage_and_errors_by_hand(daftar) -> None:
    got = cakupan(KELUARGA, REGISTER, daftar, tidak_layak={"F4"})
    # eligible: F1, F2, F3, F7 (F4 verified not eligible)
    per_s = got.per_strategi.set_index("strategi")
    assert per_s["keluarga_layak"].tolist() == [4, 4, 4]
    assert per_s["terjangkau"].tolist() == [1, 1, 1]  # F1; F2; F3
    assert per_s.loc[1, "persen"] == 25.0
    assert got.belum_tersentuh["id_keluarga_p3ke"].tolist() == ["F7"]
    desa = got.belum_per_desa.set_index("kode_desa")
    assert desa.loc[A, "belum_tersentuh"] == 0
    assert desa.loc[B, "belum_tersentuh"] == 1
    assert desa.loc[B, "persen_belum"] == 50.0
    k = got.ketepatan.set_index("kode_sub_kegiatan")
    # 1.01: recipients F1, F5; F5 outside desil 1-4; eligible in A+B: F1 F2 F3 F7, missed 3
    assert k.loc["1.01", ["penerima", "galat_inklusi", "keluarga_layak", "galat_eksklusi",
                          "penerima_ganda"]].tolist() == [2, 1, 4, 3, 1]  # fmt: skip
    assert k.loc["1.01", "persen_inklusi"] == 50.0
    assert k.loc["1.01", "persen_eksklusi"] == 75.0
    # 2.01: F2 only; eligible in A: F1 F2 -> F1 missed
    assert k.loc["2.01", ["penerima", "galat_inklusi", "galat_eksklusi"]].tolist() == [1, 0, 1]
    # 3.01: F3, F6 (desil 3 is in 1-4); eligible in B: F3 F7 -> F7 missed
    assert k.loc["3.01", ["penerima", "galat_inklusi", "galat_eksklusi"]].tolist() == [2, 0, 1]


def test_fallback_to_register_loci() -> None:
    got = cakupan(KELUARGA, REGISTER, None)
    assert got.sumber == SUMBER_LOKUS
    # every eligible family (F1 F2 F3 F4 F7) lies in a desa of 1.01's loci
    assert got.belum_tersentuh.empty
    assert got.per_strategi.set_index("strategi")["terjangkau"].tolist() == [5, 2, 3]
    assert got.ketepatan.empty


def test_full_list_counts_only_the_list(daftar) -> None:
    got = cakupan(KELUARGA, REGISTER, daftar, tidak_layak={"F4"})
    assert got.sumber == SUMBER_DAFTAR
    assert got.per_strategi["sumber"].tolist() == ["daftar"] * 3


def test_partial_list_falls_back_to_loci_for_sub_activities_it_does_not_name() -> None:
    # A list naming only 1.01 (strategy 1): strategies 2 and 3 must not read as reaching
    # nobody; 2.01 (loci A) reaches F1, F2 and 3.01 (loci B) reaches F3, F7 by their loci.
    only = baca_penerima(b"id_keluarga_p3ke;kode_sub_kegiatan\nF1;1.01\nF5;1.01\n", "p.csv",
                         KELUARGA, set(REGISTER["kode_sub_kegiatan"]))  # fmt: skip
    got = cakupan(KELUARGA, REGISTER, only, tidak_layak={"F4"})
    assert got.sumber == SUMBER_CAMPURAN
    per_s = got.per_strategi.set_index("strategi")
    assert per_s["terjangkau"].tolist() == [1, 2, 2]
    assert per_s["sumber"].tolist() == ["daftar", "lokus", "lokus"]
    assert got.belum_tersentuh.empty
    # the errors of targeting are measured only where a list names the recipients
    assert got.ketepatan["kode_sub_kegiatan"].tolist() == ["1.01"]


def test_list_without_id_column() -> None:
    with pytest.raises(VerifikasiError, match="kode_sub_kegiatan"):
        baca_penerima(b"nama;program\nA;B\n", "x.csv", KELUARGA)


def test_a_file_without_family_ids_still_counts_every_family() -> None:
    # regression (tests/test_hostile_input.py): a household file of only kode_desa and desil
    bare = KELUARGA.drop(columns=["id_keluarga_p3ke", "no_kk"]).assign(_baris=range(2, 9))
    got = cakupan(bare, REGISTER, None)
    assert len(got.per_keluarga) == 5  # F1 F2 F3 F4 F7 by their rows
    assert got.per_strategi.set_index("strategi")["terjangkau"].tolist() == [5, 2, 3]
