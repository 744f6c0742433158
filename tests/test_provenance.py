"""Provenance: report.json and the workbook's ringkasan render one typed record (issue 15)."""

from __future__ import annotations

import dataclasses
import io
import json

import pandas as pd
import pytest

from targeting.package import TargetOptions, build_package
from targeting.pipeline import write_outputs
from targeting.provenance import InputFile, Provenance


@pytest.fixture(scope="module")
def renderings(embedded, tmp_path_factory):
    out = tmp_path_factory.mktemp("prov")
    write_outputs(embedded, out)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    ranking = embedded.peringkat()
    package = build_package(
        embedded, ranking, TargetOptions(desa=tuple(ranking.tabel["kode_desa"][:2]))
    )
    sheet = pd.read_excel(io.BytesIO(package.xlsx()), sheet_name="ringkasan", dtype=str)
    return report, sheet.set_index("butir")["nilai"].to_dict(), sheet


def test_both_list_the_same_inputs_with_their_hashes(embedded, renderings):
    report, ring, _ = renderings
    inputs = embedded.provenance.masukan
    assert (
        {f.peran for f in inputs}
        == set(report["masukan"])
        >= {"keluarga_p3ke", "batas_desa", "register"}
    )
    for f in inputs:
        assert len(f.sha256) == 64
        assert report["masukan"][f.peran]["sha256"] == f.sha256 == ring[f"{f.peran}: SHA-256"]
        assert report["masukan"][f.peran]["berkas"] == f.berkas == ring[f"{f.peran}: berkas"]
        assert report["masukan"][f.peran]["baris"] == f.baris == int(ring[f"{f.peran}: baris"])


def test_both_state_the_metric_crs_parameters_and_seed(embedded, renderings):
    report, ring, sheet = renderings
    crs = embedded.metric_crs.to_string()
    assert report["wilayah"]["crs_metrik"] == crs == ring["CRS metrik"]
    assert str(report["seed"]) == ring["seed"] == str(embedded.settings.kantong.seed)
    params = sheet[sheet["bagian"].str.startswith("parameter ")]
    listed = {
        (b.removeprefix("parameter "), k)
        for b, k in zip(params["bagian"], params["butir"], strict=True)
    }
    in_report = {(s, k) for s, values in report["parameter"].items() for k in values}
    assert listed == in_report | {("kantong", "seed")}
    assert {"impor", "kantong", "kecocokan"} <= set(report["parameter"])
    assert report["parameter"]["kantong"]["permutasi"] == embedded.settings.kantong.permutasi
    for key, text in report["aturan"].items():
        assert ring[key.replace("_", " ")] == text


def test_synthetic_comes_from_provenance_not_the_name(embedded):
    households = embedded.provenance.input("keluarga_p3ke")
    assert households is not None
    assert households.sintetis is True  # the embedded sample carries its marker


def test_records_are_frozen_and_copy_their_mappings():
    details = {"lembar": "P3KE"}
    item = InputFile(peran="keluarga_p3ke", berkas="k.xlsx", sha256="0" * 64, rincian=details)
    details["lembar"] = "lain"
    assert item.rincian["lembar"] == "P3KE"
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.berkas = "x"  # type: ignore[misc]
    prov = Provenance(wilayah="W", kode_wilayah="61", crs_metrik="EPSG:32749", masukan=(item,))
    done = prov.with_analysis({"kantong": {"alpha": 0.05}}, seed=7, aturan={"aturan_x": "teks"})
    assert prov.seed is None
    assert done.seed == 7
    assert done.to_report()["parameter"] == {"kantong": {"alpha": 0.05}}
    assert ("parameter kantong", "seed", "7") in done.rows()
    assert done.input("register") is None


def test_both_state_the_date_of_the_data(embedded, renderings):
    report, ring, _ = renderings
    assert report["tanggal_data"] == embedded.snapshot.tanggal == ring["tanggal data"]
