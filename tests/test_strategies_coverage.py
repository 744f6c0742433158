"""Permendagri 53/2020 keeps its four strategies, and coverage never overstates (issue 14, s2)."""

import numpy as np
import pandas as pd
import pytest

from targeting.interventions import (
    MIN_DESIL_1_PER_KELUARGA,
    analyse_interventions,
    lokus_long,
)
from targeting.register import PERMENDAGRI_53, read_register
from targeting.strategies import INPRES, PERMENDAGRI, tanpa_padanan
from tests.test_register import DESA


def test_the_four_strategies_follow_perpres_15_2010_article_3():
    assert PERMENDAGRI.kode == ("P1", "P2", "P3", "P4")
    assert [s.inpres for s in PERMENDAGRI.strategi] == [1, 2, 2, None]
    assert "usaha mikro dan kecil" in PERMENDAGRI.get("P3").label
    assert "mensinergikan" in PERMENDAGRI.get("P4").label
    assert tanpa_padanan() == ("P4",)
    assert PERMENDAGRI_53 == {"P1": 1, "P2": 2, "P3": 2, "P4": None}
    assert "P4 -> tanpa padanan Inpres" in PERMENDAGRI.pemetaan()
    assert INPRES.kode == ("1", "2", "3")
    with pytest.raises(KeyError, match="P1, P2, P3, P4"):
        PERMENDAGRI.get("P5")


def _p_register_csv() -> bytes:
    head = "opd,kode_sub_kegiatan,nama_sub_kegiatan,strategi,pagu,lokus\n"
    rows = [
        "A,1.01.01.2.01.0001,Bansos,P1,100,61.11.01.2001",
        "B,1.01.01.2.01.0002,Pelatihan,P2,100,61.11.01.2001",
        "C,1.01.01.2.01.0003,UMKM,P3,100,61.11.01.2002",
        "D,1.01.01.2.01.0004,Rakor TKPK,P4,100,61.11.01.2002",
    ]
    return (head + "\n".join(rows) + "\n").encode()


def test_register_keeps_the_permendagri_tag_and_maps_only_where_it_holds():
    check = read_register(_p_register_csv(), DESA, name="p.csv")
    reg = check.register.set_index("opd")
    assert reg["strategi_kode"].tolist() == ["P1", "P2", "P3", "P4"]
    assert (reg["skema"] == "permendagri").all()
    assert reg.loc["C", "strategi"] == 2  # enterprises raise income: Inpres 2, not 3
    assert pd.isna(reg.loc["D", "strategi"])  # synergy: no Inpres counterpart


def _ind() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kode_desa": ["61.11.01.2001", "61.11.01.2002", "61.11.01.2003"],
            "desa": ["Satu", "Dua", "Tiga"],
            "kecamatan": ["K1", "K1", "K2"],
            "keluarga_desil_1": [400, 248, 3],
            "persen_desil_1": [40.0, 24.8, 1.0],
        }
    )


def _families() -> pd.DataFrame:
    return pd.DataFrame({"kode_desa": [], "desil": pd.array([], dtype="Int64")})


def test_four_strategy_view_and_inpres_view_from_a_p_register():
    reg = read_register(_p_register_csv(), DESA, name="p.csv").register
    res = analyse_interventions(reg, _ind(), _families())
    m = res.matriks.set_index("kode_desa")
    # Inpres view: P1 -> 1, P2 and P3 -> 2, nothing -> 3; P4 in no Inpres column.
    assert m["sub_kegiatan_1"].tolist() == [1, 0, 0]
    assert m["sub_kegiatan_2"].tolist() == [1, 1, 0]
    assert m["sub_kegiatan_3"].tolist() == [0, 0, 0]
    # Four-strategy view: each P its own column, P4 included.
    for key, expected in {
        "P1": [1, 0, 0],
        "P2": [1, 0, 0],
        "P3": [0, 1, 0],
        "P4": [0, 1, 0],
    }.items():
        assert m[f"sub_kegiatan_{key}"].tolist() == expected
    cov = res.cakupan[res.cakupan["wilayah"] == "kabupaten"].set_index("strategi")
    assert list(cov.index) == [1, 2, 3, "P1", "P2", "P3", "P4"]
    assert cov.loc["P4", "skema"] == "permendagri"
    assert cov.loc["P4", "desa_terjangkau"] == 1
    assert "P4 -> tanpa padanan Inpres" in res.parameter["pemetaan_strategi"]


def test_an_inpres_register_has_no_four_strategy_columns():
    reg = pd.DataFrame(
        {
            "kode_sub_kegiatan": ["1.01.01.2.01.0001"], "nama_sub_kegiatan": ["X"],
            "opd": ["A"], "strategi": [3], "pagu_rp": pd.array([10], dtype="Int64"),
            "lokus_kode": ["61.11.01.2001"], "kebutuhan": [""], "_baris": [2],
        }
    )  # fmt: skip
    res = analyse_interventions(reg, _ind(), _families())
    assert not [c for c in res.matriks.columns if "_P" in c]
    assert set(res.cakupan["strategi"]) == {1, 2, 3}


def _volume_register(jenis: str, volume: object, satuan: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "kode_sub_kegiatan": ["1.06.04.2.01.0001"],
            "nama_sub_kegiatan": ["Permakanan"],
            "opd": ["Dinsos"],
            "strategi": [1],
            "pagu_rp": pd.array([1_000_000], dtype="Int64"),
            "lokus_kode": ["61.11.01.2001;61.11.01.2002"],
            "kebutuhan": ["pangan"],
            "sasaran_jenis": [jenis],
            "target_volume": [volume],
            "satuan": [satuan],
            "_baris": [2],
        }
    )


def test_a_sub_activity_for_137_families_reaches_at_most_137():
    """The issue's case: 137 families over loci holding 648 desil-1 families."""
    res = analyse_interventions(
        _volume_register("keluarga", "137", "keluarga"), _ind(), _families()
    )
    cov = res.cakupan.set_index(["wilayah", "strategi"]).loc[("kabupaten", 1)]
    assert cov["desa_terjangkau"] == 2
    assert cov["keluarga_desil_1_di_desa_terjangkau"] == 648
    assert cov["keluarga_desil_1_terjangkau"] == 137
    assert cov["persen"] == pytest.approx(137 / 651 * 100)
    m = res.matriks.set_index("kode_desa")["keluarga_maks_1"]
    # Spread in proportion to desil-1 families: 400 and 248 of 648.
    assert m.tolist() == [round(137 * 400 / 648), round(137 * 248 / 648), 0]


@pytest.mark.parametrize(
    ("jenis", "volume", "satuan", "expected"),
    [
        ("individu", "73", "jiwa", 73),  # a person counts as one family at most
        ("", "1.250", "orang", 648),  # thousands dot; more than the loci hold: capped
        ("keluarga", "24", "unit", 24),
        ("wilayah", "3", "km", 648),  # an area reaches every desil-1 family of its loci
        ("keluarga", "", "keluarga", 648),  # no volume: no limit, as before
    ],
)
def test_target_volume_caps_coverage(jenis, volume, satuan, expected):
    res = analyse_interventions(_volume_register(jenis, volume, satuan), _ind(), _families())
    cov = res.cakupan.set_index(["wilayah", "strategi"]).loc[("kabupaten", 1)]
    assert cov["keluarga_desil_1_terjangkau"] == expected
    assert cov["keluarga_desil_1_terjangkau"] <= cov["keluarga_desil_1_di_desa_terjangkau"]


def test_two_sub_activities_in_one_desa_never_exceed_its_families():
    reg = pd.concat(
        [_volume_register("keluarga", "600", "keluarga")] * 2, ignore_index=True
    ).assign(_baris=[2, 3])
    res = analyse_interventions(reg, _ind(), _families())
    m = res.matriks.set_index("kode_desa")
    assert (m["keluarga_maks_1"] <= m["keluarga_desil_1"]).all()


def test_no_plain_pagu_per_family_below_five_desil_1_families():
    reg = _volume_register("wilayah", "1", "unit").assign(lokus_kode="61.11.01.2001;61.11.01.2003")
    res = analyse_interventions(reg, _ind(), _families())
    m = res.matriks.set_index("kode_desa")
    assert _ind()["keluarga_desil_1"].iloc[2] < MIN_DESIL_1_PER_KELUARGA
    assert np.isnan(m.loc["61.11.01.2003", "pagu_1_per_desil_1_rp"])
    assert "kurang dari 5 keluarga desil 1" in m.loc["61.11.01.2003", "catatan_pagu"]
    assert m.loc["61.11.01.2001", "pagu_1_per_desil_1_rp"] == 500_000 / 400
    assert m.loc["61.11.01.2001", "catatan_pagu"] == ""


def test_lokus_long_of_an_old_register_gets_inpres_codes():
    long = lokus_long(_volume_register("keluarga", "5", "keluarga"))
    assert set(long["strategi_kode"]) == {"1"}
    assert set(long["skema"]) == {"inpres"}
    assert set(long["keluarga_sasaran"]) == {5.0}


def test_target_list_names_permendagri_sub_activities_by_their_tag(embedded):
    """A P4 sub-activity (no Inpres strategy) matched by its need tag is listed as P4."""
    from targeting.targets import target_families

    reg = embedded.register.register.copy()
    reg["strategi_kode"] = [("P1", "P2", "P3", "P4")[i % 4] for i in range(len(reg))]
    reg["skema"] = "permendagri"
    reg["strategi"] = pd.array([PERMENDAGRI.get(k).inpres for k in reg["strategi_kode"]], "Int64")
    long = lokus_long(reg)
    p4 = long[(long["strategi_kode"] == "P4") & long["kebutuhan"].fillna("").ne("")]
    chosen = list(dict.fromkeys(p4["kode_desa"]))[:3]
    t = target_families(
        embedded.placement.keluarga, embedded.batas.desa, chosen, lokus=long
    ).keluarga
    listed = "; ".join(t["sub_kegiatan_di_desa"].astype(str))
    assert "P4 " in listed
    assert "S" not in {part.split(" ")[0][:1] for part in listed.split("; ") if part}
