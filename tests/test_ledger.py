"""Row accounting: one Ledger schema for every reader, its invariant checked at runtime (issue 15)."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.errors import LedgerError
from geo.households import validate_households
from geo.io import read_boundaries, read_family_table
from geo.ledger import LEDGER_COLUMNS, Ledger, rejections
from geo.sheets import read_sheet
from targeting.register import read_register


def _one(row: int, code: str = "x") -> pd.DataFrame:
    return rejections([{"baris": row, "kode": code, "alasan": "alasan"}], berkas="k.csv")


def test_schema_and_masking() -> None:
    table = rejections([{"baris": 4, "kolom": "NIK", "nilai": "6111010101800001"}], berkas="k.csv")
    assert list(table.columns) == LEDGER_COLUMNS
    row = table.iloc[0]
    assert row["nilai"] == "6111********0001"  # a NIK-long digit run is never shown
    assert (row["berkas"], row["lembar"], row["baris"]) == ("k.csv", "", 4)
    assert list(rejections(berkas="k.csv").columns) == LEDGER_COLUMNS


def test_check_raises_when_rows_do_not_add_up() -> None:
    Ledger.stage("k.csv", rows_in=3, used=2, ditolak=_one(5)).check()
    with pytest.raises(LedgerError, match="3 baris masuk, 1 dipakai, 1 ditolak") as info:
        Ledger.stage("k.csv", rows_in=3, used=1, ditolak=_one(5)).check()
    assert "3 rows in, 1 used, 1 rejected" in info.value.en
    assert not isinstance(info.value, ValueError)  # a defect of Lokus, not of the input


def test_then_chains_stages_and_refuses_lost_rows() -> None:
    sheet = Ledger.stage("k.csv", rows_in=10, used=9, ditolak=_one(7, "baris_jumlah"))
    valid = Ledger.stage("k.csv", rows_in=9, used=8, ditolak=_one(3, "desil_tidak_sah"))
    whole = sheet.then(valid).check()
    assert (whole.rows_in, whole.rows_used, whole.rows_rejected) == (10, 8, 2)
    assert whole.ditolak["baris"].tolist() == [3, 7]
    assert whole.per_kode() == {"desil_tidak_sah": 1, "baris_jumlah": 1}
    with pytest.raises(LedgerError):
        sheet.then(Ledger.stage("k.csv", rows_in=8, used=8))


def test_merge_adds_up_parts() -> None:
    a = Ledger.stage("k.csv", rows_in=4, used=3, ditolak=_one(2))
    b = Ledger.stage("k.csv", rows_in=5, used=5)
    both = a.merge(b).check()
    assert (both.rows_in, both.rows_used, both.rows_rejected) == (9, 8, 1)


def test_in_sheet_names_the_sheet_where_none_is_named() -> None:
    named = Ledger.stage("k.xlsx", rows_in=1, used=0, ditolak=_one(2)).in_sheet("P3KE")
    assert named.ditolak["lembar"].tolist() == ["P3KE"]


def test_every_reader_keeps_the_invariant(squares) -> None:
    csv = (
        b"kode_kemdagri;desil_kesejahteraan;nik\n"
        b"6111012001;1;6111010101800001\n"
        b"6111012001;;6111010101800002\n"
        b"JUMLAH;;\n"
        b"6111012002;2;6111010101800003\n"
    )
    sheet = read_sheet(csv, label="k.csv")
    assert sheet.ledger.check().per_kode() == {"baris_jumlah": 1}
    check = validate_households(sheet.frame, source="k.csv")
    whole = sheet.ledger.then(check.ledger).check()
    assert (whole.rows_in, whole.rows_used, whole.rows_rejected) == (4, 2, 2)
    assert set(whole.ditolak["kode"]) == {"baris_jumlah", "desil_tidak_sah"}

    table, ledger = read_family_table(b"kode_desa,keluarga_total\n6111012001,10\n", name="t.csv")
    assert ledger.check().rows_used == len(table) == 1

    layer = squares.to_json().encode()
    load = read_boundaries(layer, name="b.geojson")
    assert load.ledger.check().rows_used == len(load.desa)

    reg = (
        b"opd,kode_sub_kegiatan,nama_sub_kegiatan,strategi,pagu,lokus\n"
        b"PUPR,1.03.03.2.01.0005,Air minum,1,1000000,61.11.01.2001\n"
        b"PUPR,bukan kode,Air minum,1,1000000,61.11.01.2001\n"
    )
    check_reg = read_register(reg, load.desa, name="r.csv")
    reg_ledger = check_reg.ledger.check()
    assert (reg_ledger.rows_in, reg_ledger.rows_used, reg_ledger.rows_rejected) == (2, 1, 1)
    assert reg_ledger.ditolak["kode"].tolist() == ["kode_sub_kegiatan_tidak_sah"]


def test_pipeline_ledger_counts_used_rows_itself(embedded) -> None:
    ledger = embedded.ledger.check()
    # used is counted from the placed families' member rows, not derived from the others
    assert ledger.rows_used == int(embedded.placement.keluarga["_n_baris"].sum())
    assert ledger.rows_rejected == len(embedded.ditolak)
    report = embedded.report()
    assert report["rows_in"] == ledger.rows_in
    assert sum(report["kode_ditolak"].values()) == ledger.rows_rejected


def test_report_accounts_for_every_input(embedded) -> None:
    accounts = embedded.report()["pembukuan_baris"]
    assert {"keluarga_p3ke", "batas_desa", "register"} <= set(accounts)
    for role, acc in accounts.items():
        assert acc["rows_in"] == acc["rows_used"] + acc["rows_rejected"], role
        assert sum(acc["kode_ditolak"].values()) == acc["rows_rejected"], role


def test_rejected_rows_name_the_column_as_the_file_writes_it(tmp_path):
    """The user's header ('Peringkat Desil'), not Lokus's spelling, in every rejected row
    (found by the last fresh-user pass: rejected.csv said 'peringkat_desil')."""
    from geo.region import default_region
    from targeting.snapshot import load_snapshot

    f = tmp_path / "p3ke.csv"
    f.write_text(
        "Kode Kemdagri,Desa  Kelurahan,Peringkat Desil,NIK\n"
        "6111012001,Sutera,1,9911010101010001\n"
        "6111012001,Sutera,,9911010101010002\n"
        "9999012001,Entah,2,9911010101010003\n",
        encoding="utf-8",
    )
    snap = load_snapshot(default_region(), households=f)
    d = snap.ledger.ditolak
    kolom = dict(zip(d["baris"].astype(int), d["kolom"], strict=True))
    assert kolom == {3: "Peringkat Desil", 4: "Kode Kemdagri; Desa Kelurahan"}
    assert snap.ledger.rows_in == snap.ledger.rows_used + snap.ledger.rows_rejected == 3


def test_with_headers_keeps_unknown_names_and_counts():
    from geo.ledger import Ledger, rejections

    table = rejections(
        [{"baris": 2, "kolom": "desil; x", "nilai": "", "kode": "k", "alasan": "a"}], berkas="f"
    )
    ledger = Ledger.stage("f", rows_in=3, used=2, ditolak=table)
    named = ledger.with_headers({"desil": "Desil"})
    assert named.ditolak["kolom"].tolist() == ["Desil; x"]
    assert (named.rows_in, named.rows_used, named.rows_rejected) == (3, 2, 1)
