"""Priority score: components, weights, normalisation, ties and selection."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from targeting.indicators import DEPRIVASI
from targeting.priority import (
    BOBOT_BAWAAN,
    KOMPONEN,
    TANPA_DATA,
    PriorityError,
    parse_weights,
    rank_desa,
    select_desa,
)


def indikator(rows: list[tuple]) -> pd.DataFrame:
    """(kode, persen_desil_1, keluarga_desil_1, deprivation share) per desa; None = no data."""
    out = []
    for kode, persen, d1, dep in rows:
        has = d1 is not None
        row = {
            "kode_desa": kode,
            "desa": f"Desa {kode[-4:]}",
            "kecamatan": "Kec",
            "ada_data": has,
            "persen_desil_1": np.nan if persen is None else persen,
            "keluarga_desil_1": pd.NA if d1 is None else d1,
        }
        for k in DEPRIVASI:
            row[f"p3ke_{k}"] = pd.NA if not has else 1
            row[f"persen_p3ke_{k}"] = np.nan if not has else dep
        out.append(row)
    df = pd.DataFrame(out)
    df["keluarga_desil_1"] = df["keluarga_desil_1"].astype("Int64")
    return df


BASE = indikator(
    [
        ("61.11.01.2001", 10.0, 5, 10.0),  # high share, few families
        ("61.11.01.2002", 2.0, 80, 30.0),  # low share, many families
        ("61.11.01.2003", 6.0, 40, 20.0),
        ("61.11.01.2004", 1.0, 2, 5.0),
        ("61.11.02.2001", None, None, None),  # no P3KE rows
    ]
)
KANTONG = pd.DataFrame(
    {"kode_desa": BASE["kode_desa"], "kantong": ["panas", "tidak signifikan", "dingin",
                                                  "tidak signifikan", "tidak dinilai"]}
)  # fmt: skip
KLASTER = pd.DataFrame({"kode_desa": ["61.11.01.2004"]})
MATRIKS = pd.DataFrame(
    {"kode_desa": BASE["kode_desa"], "sub_kegiatan_1": [1, 0, 1, 1, 0],
     "sub_kegiatan_2": [0, 0, 1, 1, 0], "sub_kegiatan_3": [0, 0, 1, 1, 0]}
)  # fmt: skip


def full(**kw):
    return rank_desa(BASE, kantong=KANTONG, klaster=KLASTER, matriks=MATRIKS, **kw)


def test_contributions_add_up_to_the_score_and_are_shown_per_component():
    t = full().tabel
    ranked = t[t["peringkat"].notna()]
    parts = ranked[[f"kontribusi_{k}" for k in KOMPONEN]].sum(axis=1)
    np.testing.assert_allclose(parts, ranked["skor"], rtol=0, atol=1e-9)
    assert ranked["skor"].between(0, 100).all()
    for k in KOMPONEN:
        assert {f"nilai_{k}", f"normal_{k}", f"kontribusi_{k}"} <= set(t.columns)
        assert ranked[f"normal_{k}"].between(0, 1).all()
    # the "why" text names each weighted component with its contribution
    why = ranked["alasan"].iloc[0]
    assert why.startswith("skor ")
    for comp in KOMPONEN.values():
        assert comp.label in why


def test_a_weight_changes_the_order_as_expected():
    share_only = full(bobot=dict.fromkeys(KOMPONEN, 0) | {"persen_desil_1": 1}).tabel
    count_only = full(bobot=dict.fromkeys(KOMPONEN, 0) | {"keluarga_desil_1": 1}).tabel
    assert share_only["kode_desa"].head(4).tolist() == [
        "61.11.01.2001", "61.11.01.2003", "61.11.01.2002", "61.11.01.2004"
    ]  # fmt: skip
    assert count_only["kode_desa"].head(4).tolist() == [
        "61.11.01.2002", "61.11.01.2003", "61.11.01.2001", "61.11.01.2004"
    ]  # fmt: skip
    # Raising the count's weight from the default moves the many-family desa up.
    default_rank = full().tabel.set_index("kode_desa")["peringkat"]
    heavy = full(bobot={"keluarga_desil_1": 200}).tabel.set_index("kode_desa")["peringkat"]
    assert heavy["61.11.01.2002"] < default_rank["61.11.01.2002"]


def test_only_ratios_of_weights_matter():
    a = full(bobot=dict(BOBOT_BAWAAN.items())).tabel
    b = full(bobot={k: 3 * w for k, w in BOBOT_BAWAAN.items()}).tabel
    pd.testing.assert_frame_equal(a, b)


def test_ties_follow_the_documented_rule():
    tied = indikator(
        [
            ("61.11.01.2003", 5.0, 10, 10.0),
            ("61.11.01.2002", 5.0, 20, 10.0),  # same share, more families: first
            ("61.11.01.2001", 5.0, 10, 10.0),  # identical to 2003: lower code first
            ("61.11.01.2004", 1.0, 1, 10.0),
        ]
    )
    t = rank_desa(tied, bobot=dict.fromkeys(KOMPONEN, 0) | {"persen_desil_1": 1}).tabel
    assert t["kode_desa"].tolist() == ["61.11.01.2002", "61.11.01.2001", "61.11.01.2003",
                                       "61.11.01.2004"]  # fmt: skip
    assert t["skor"].iloc[0] == t["skor"].iloc[2]
    assert t["peringkat"].tolist() == [1, 2, 3, 4]


def test_desa_without_data_are_listed_last_without_rank():
    t = full().tabel
    last = t.iloc[-1]
    assert last["kode_desa"] == "61.11.02.2001"
    assert pd.isna(last["peringkat"])
    assert pd.isna(last["skor"])
    assert "tidak ada data P3KE" in last["alasan"]


def test_no_desa_with_data_ranks_nothing_and_does_not_blame_the_weights():
    """Every household row rejected: no desa ranked, one note, no weights error."""
    empty = indikator([(kode, None, None, None) for kode in BASE["kode_desa"]])
    r = rank_desa(empty, kantong=KANTONG.assign(kantong="tidak dinilai"), matriks=MATRIKS)
    assert len(r.tabel) == len(empty)
    assert r.tabel["peringkat"].isna().all()
    assert r.tabel["skor"].isna().all()
    assert r.catatan == [TANPA_DATA]
    assert "laporan impor" in TANPA_DATA
    assert sum(r.bobot_terpakai.values()) == 0
    assert r.aturan()["komponen_celah"].endswith("(-)")
    assert select_desa(r.tabel, teratas=3) == []
    assert rank_desa(empty).tabel["peringkat"].isna().all()  # without pockets or register too


def test_data_without_any_weighted_value_still_names_the_weights():
    """Desa with data, but every weighted component without a value: the weights error."""
    with pytest.raises(PriorityError, match="tidak ada komponen berbobot") as info:
        rank_desa(BASE, bobot=dict.fromkeys(KOMPONEN, 0) | {"kantong": 1})
    assert "weight another component" in info.value.en


def test_pocket_and_gap_components_read_labels_and_matrix():
    t = full().tabel.set_index("kode_desa")
    assert t.at["61.11.01.2001", "nilai_kantong"] == 1.0  # panas
    assert t.at["61.11.01.2004", "nilai_kantong"] == 0.5  # holds a household cluster
    assert t.at["61.11.01.2003", "nilai_kantong"] == 0.0  # dingin
    assert t.at["61.11.01.2002", "nilai_celah"] == 1.0  # no sub-activity of any strategy
    assert t.at["61.11.01.2001", "nilai_celah"] == pytest.approx(2 / 3)


def test_missing_register_and_pockets_drop_their_components_with_a_note():
    r = rank_desa(BASE)
    assert r.bobot_terpakai["celah"] == 0
    assert r.bobot_terpakai["kantong"] == 0
    assert any(n.startswith("celah") for n in r.catatan)
    assert any(n.startswith("kantong") for n in r.catatan)
    ranked = r.tabel[r.tabel["peringkat"].notna()]
    np.testing.assert_allclose(
        ranked[[f"kontribusi_{k}" for k in KOMPONEN]].sum(axis=1), ranked["skor"]
    )


def test_rank_normalisation():
    t = full(normalisasi="peringkat", bobot=dict.fromkeys(KOMPONEN, 0) | {"persen_desil_1": 1})
    normal = t.tabel.set_index("kode_desa")["normal_persen_desil_1"]
    assert normal["61.11.01.2001"] == 1.0
    assert normal["61.11.01.2004"] == 0.0
    assert normal["61.11.01.2003"] == pytest.approx(2 / 3)
    with pytest.raises(PriorityError, match="normalisasi"):
        full(normalisasi="zscore")


@pytest.mark.parametrize(
    ("text", "match"),
    [("foo=1", "tidak dikenal"), ("celah=-1", "0 atau lebih"), ("celah=x", "bukan angka"),
     ("celah", "nama=nilai"), (",".join(f"{k}=0" for k in KOMPONEN), "semua bobot 0"),
     ("celah=nan", "0 atau lebih")],
)  # fmt: skip
def test_invalid_weights_are_refused(text, match):
    with pytest.raises(PriorityError, match=match) as info:
        parse_weights(text)
    assert info.value.en


def test_weights_keep_defaults_for_unnamed_components():
    w = parse_weights("persen_desil_1=50; kantong=2,5")
    assert w["persen_desil_1"] == 50
    assert w["kantong"] == 2.5
    assert w["celah"] == BOBOT_BAWAAN["celah"]


def test_selection_by_top_threshold_and_codes():
    t = full().tabel
    assert select_desa(t, teratas=2) == t["kode_desa"].head(2).tolist()
    top_score = float(t["skor"].max())
    assert select_desa(t, skor_min=top_score) == [t["kode_desa"].iloc[0]]
    both = select_desa(t, teratas=1, kode=["6111012004", " 61.11.1.2003 "])
    assert set(both) == {t["kode_desa"].iloc[0], "61.11.01.2004", "61.11.01.2003"}
    assert both == [k for k in t["kode_desa"] if k in set(both)]  # ranking order
    with pytest.raises(PriorityError, match="bukan desa wilayah ini"):
        select_desa(t, kode=["61.11.09.2999"])
    with pytest.raises(PriorityError):
        select_desa(t, teratas=0)


def test_embedded_ranking_is_led_by_the_planted_pocket(embedded):
    """On the SINTETIS sample the planted pocket desa (Sukadana) rank in the top five."""
    t = embedded.peringkat().tabel
    planted = {"61.11.01.2001", "61.11.01.2002", "61.11.01.2005", "61.11.01.2006",
               "61.11.01.2009"}  # fmt: skip
    assert len(planted & set(t["kode_desa"].head(5))) >= 4
    assert t["peringkat"].notna().sum() == embedded.indikator["ada_data"].sum()
