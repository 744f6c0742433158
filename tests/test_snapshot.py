"""Snapshot: one import (read -> place -> measure), analysed apart (issue 15)."""

from __future__ import annotations

import gzip
import io

import pandas as pd
import pytest

import targeting.pipeline as pipeline
from geo.region import default_region
from targeting.pipeline import Analysis, AnalysisSettings, analyse
from targeting.pockets import PocketSettings
from targeting.snapshot import Snapshot, load_snapshot


@pytest.fixture(scope="module")
def region():
    return default_region()


def _households(region, n: int = 40, **extra: str) -> bytes:
    with gzip.open(region.keluarga_p3ke, "rt", encoding="utf-8") as f:
        df = pd.read_csv(f, dtype=str, keep_default_na=False).iloc[:n].copy()
    for col, value in extra.items():
        df[col] = value
    return df.to_csv(index=False).encode()


def test_load_snapshot_reads_places_and_measures_only(region, monkeypatch):
    def refuse(*_a, **_k):
        msg = "a snapshot runs no pocket analysis and reads no register"
        raise AssertionError(msg)

    monkeypatch.setattr(pipeline, "find_pockets", refuse)
    monkeypatch.setattr(pipeline, "read_register", refuse)
    snap = load_snapshot(region, households=_households(region), names={"keluarga_p3ke": "k.csv"})
    assert isinstance(snap, Snapshot)
    assert snap.ledger.check().rows_in == 40
    assert snap.rows_in == snap.rows_used + snap.rows_rejected
    assert snap.indikator["keluarga_p3ke"].sum() == snap.families_used
    assert snap.provenance.seed is None
    assert set(snap.provenance.parameter) == {"impor"}
    assert [f.peran for f in snap.provenance.masukan][:2] == ["keluarga_p3ke", "batas_desa"]
    assert snap.ledgers["batas_desa"].rows_used == len(snap.desa)
    assert snap.tanggal is None  # bytes: no file date, no date column, none given


def test_snapshot_date_from_a_column_or_the_user(region):
    dated = _households(region, tanggal_data="15/11/2026")
    assert load_snapshot(region, households=dated).tanggal == "2026-11-15"
    assert load_snapshot(region, households=dated, tanggal="2026-12-01").tanggal == "2026-12-01"
    mixed = pd.read_csv(io.BytesIO(_households(region, n=2)), dtype=str)
    mixed["tanggal_data"] = ["2026-11-01", "2026-11-02"]
    assert load_snapshot(region, households=mixed.to_csv(index=False).encode()).tanggal is None


def test_default_snapshot_date_is_the_household_files(region):
    snap = load_snapshot(region)
    assert snap.tanggal == snap.provenance.input("keluarga_p3ke").tanggal is not None
    if region.keluarga_desa is not None:
        assert snap.ledgers["keluarga_desa"].check().rows_in >= 1


def test_analyse_adds_pockets_register_and_priority_without_touching_the_snapshot(region):
    snap = load_snapshot(region, households=_households(region, n=300))
    settings = AnalysisSettings(kantong=PocketSettings(permutasi=999, seed=7))
    analysis = analyse(snap, settings)
    assert isinstance(analysis, Analysis)
    assert analysis.snapshot is snap
    assert analysis.provenance.seed == 7
    assert analysis.provenance.parameter["kantong"]["permutasi"] == 999
    assert snap.provenance.seed is None  # the snapshot's record is not changed
    assert analysis.provenance.input("register") is not None
    assert snap.provenance.input("register") is None
    assert len(analysis.prioritas.tabel) == len(snap.desa)
    assert analysis.rows_in == snap.rows_in


def test_a_bad_register_is_reported_not_raised(region):
    snap = load_snapshot(region, households=_households(region))
    analysis = analyse(snap, register=b"a,b\n1,2\n", register_name="r.csv")
    assert analysis.register is None
    assert "r.csv" in analysis.register_galat


def test_engine_choice_is_checked(region):
    with pytest.raises(ValueError, match="engine must be in"):
        load_snapshot(region, engine="spark")
