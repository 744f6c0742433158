"""Issue 14, section 1: every kind of file a planner sends (examples in tests/data/cases).

Every household record here is SYNTHETIC (``Warga Sintetis N``, NIK ``61110199990000NN``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from geo.households import validate_households
from geo.region import default_region
from geo.sheets import read_sheet
from geo.text import fold
from targeting.pipeline import run

CASES = Path(__file__).parent / "data" / "cases"


def _bytes(name: str) -> bytes:
    return (CASES / name).read_bytes()


def _balanced(res) -> None:
    assert res.rows_in == res.rows_used + res.rows_rejected


# n07: Unicode spaces ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Kepala\u00a0Keluarga", "kepala keluarga"),
        ("KEPALA\u2007KELUARGA", "kepala keluarga"),
        ("Kepala\u202f Keluarga\u200b", "kepala keluarga"),
        ("\ufeffYa", "ya"),
        ("Désa  Sukadana", "desa sukadana"),
        ("Ｔｅｌｕｋ Batang", "teluk batang"),
    ],
)
def test_fold_treats_every_space_case_and_accent_alike(raw, folded):
    assert fold(raw) == folded


def test_n07_head_of_family_written_with_a_nonbreaking_space_is_found():
    res = run(
        default_region(), households=_bytes("n07_individu_nbsp.csv"), households_name="n07.csv"
    )
    _balanced(res)
    assert res.check.per_individu
    assert not res.check.keluarga["flag_tanpa_kepala_keluarga"].any()
    # The head, not a child, represents the family.
    assert res.check.keluarga["nama"].str.startswith("Warga Sintetis").all()


def test_nbsp_in_yes_no_and_desa_names_is_folded():
    data = (
        "kode_kemdagri,desa_kelurahan,kecamatan,desil_kesejahteraan,penerima_pkh\n"
        ",Pangkalan\u00a0Buton,Suka\u202fdana,1,Ya\n"
        ",PANGKALAN BUTON,Sukadana,1,YA\u00a0\n"
    ).encode()
    res = run(default_region(), households=data, households_name="ws.csv")
    _balanced(res)
    assert res.rows_used == 2
    assert set(res.placement.keluarga["kode_desa"]) == {"61.11.01.2002"}


# n09: desil as a label ----------------------------------------------------------------


def test_n09_desil_labels_are_read_as_their_number():
    t = read_sheet(_bytes("n09_desil_label.csv"), label="n09.csv")
    check = validate_households(t.frame, source="n09.csv")
    got = dict(zip(check.keluarga["desil_kesejahteraan"], check.keluarga["desil"], strict=True))
    assert got["Desil 1"] == 1
    assert got["1 (Sangat Miskin)"] == 1
    assert got["DESIL 1"] == 1
    assert got["2 (Miskin)"] == 2
    assert len(check.ditolak) == 0
    assert check.desil_dari_label == len(check.keluarga) == 12
    assert any("label" in c for c in check.catatan)


def test_a_rejected_desil_label_is_shown_not_masked():
    data = (
        b"id_keluarga,kode_desa,desil,nama\n"
        b"K1,6111012001,Desil 7 (Mampu),Warga Sintetis 1\n"
        b"K2,6111012001,Desil 1,Warga Sintetis 2\n"
        b"K3,6111012001,Warga Sintetis 3,x\n"
    )
    res = run(default_region(), households=data, households_name="lbl.csv")
    _balanced(res)
    text = res.ditolak.to_csv()
    assert "Desil 7 (Mampu)" in text  # out of the P3KE scale, shown as written
    assert "Warga Sintetis 3" not in text  # a name from a shifted column stays hidden
    assert res.check.desil_dari_label == 1
