"""Any Kalimantan Barat region from its code, codes across years, the demo for any region.

The province layer and code lists are real (data/kalbar/SOURCES.md); every family here is
SYNTHETIC (the embedded Kayong Utara sample, recoded, or targeting.synthetic).
"""

from __future__ import annotations

import json
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.errors import RegionError
from geo.region import DEFAULT_REGION_FILE, load_region
from geo.wilayah import (
    LAPISAN_PROVINSI,
    PEMEKARAN,
    is_region_code,
    read_kode_wilayah,
    write_region_folder,
)
from targeting import cli
from targeting.pipeline import run, write_outputs
from targeting.pockets import PocketSettings, desa_hotspots
from targeting.synthetic import write_sample
from targeting.wilayah import region_file, resolve_region

SAMPLE = DEFAULT_REGION_FILE.parent / "p3ke_keluarga_SINTETIS.csv.gz"


@pytest.fixture(scope="module")
def province(tmp_path_factory) -> tuple:
    """The province as a region folder (polygons and code table only, no sample)."""
    folder = tmp_path_factory.mktemp("prov")
    toml = write_region_folder(LAPISAN_PROVINSI, "61", folder)
    return load_region(toml), read_kode_wilayah(load_region(toml).kode_wilayah)


def test_codes_and_paths_are_told_apart():
    assert is_region_code("61")
    assert is_region_code("61.04")
    assert is_region_code(" 61.72 ")
    assert not is_region_code("data/kayong_utara/region.toml")
    assert not is_region_code("61.04.01")  # a kecamatan is not a region here
    assert resolve_region("61.11").batas_desa == load_region(DEFAULT_REGION_FILE).batas_desa


def test_ketapang_from_its_code_has_its_262_desa(tmp_path):
    region = load_region(write_region_folder(LAPISAN_PROVINSI, "6104", tmp_path))
    desa = gpd.read_parquet(region.batas_desa)
    assert region.nama == "Kabupaten Ketapang"
    assert region.kode == "61.04"
    assert len(desa) == 262
    assert desa["kode_desa"].str.startswith("61.04.").all()
    assert region.metric_crs == "EPSG:32749"  # UTM 49S: Ketapang lies south of the equator
    assert desa["kecamatan"].nunique() == 20


def test_the_province_lists_2130_polygons_15_pemekaran_and_33_respellings(province):
    region, kode = province
    assert len(gpd.read_parquet(region.batas_desa)) == 2130
    assert len(kode.tabel) == 2145
    assert len(kode.pemekaran) == 15
    assert "61.12.01.2021" in set(kode.pemekaran["kode_desa"])
    old = kode.ejaan_lama.set_index("kode_desa")
    assert len(old) == 33
    assert (old.loc["61.01.13.2001", "desa_2022"], old.loc["61.01.13.2001", "desa"]) == (
        "Singa Raya",
        "Singaraya",
    )


def test_unknown_code_is_refused_with_the_list():
    with pytest.raises(RegionError, match=r"61\.99") as err:
        region_file("61.99")
    assert "61.04" in str(err.value)


def _families(region_codes: pd.DataFrame, names: pd.Series, n_each: int = 3) -> pd.DataFrame:
    """SYNTHETIC families (the embedded sample's rows) recoded to the given desa."""
    base = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False).head(len(region_codes) * n_each)
    codes = region_codes.loc[region_codes.index.repeat(n_each)].reset_index(drop=True)
    base["kode_kemdagri"] = codes["kode_desa"].str.replace(".", "", regex=False).to_numpy()
    base["desa_kelurahan"] = names.loc[names.index.repeat(n_each)].to_numpy()
    base["kecamatan"] = codes["kecamatan"].to_numpy()
    base["kabupaten_kota"] = "Kabupaten Kubu Raya"
    base["lintang"] = base["bujur"] = ""
    return base


@pytest.fixture(scope="module")
def kubu_raya(tmp_path_factory) -> tuple:
    """Kubu Raya (61.12): 6 pemekaran desa and 2 respelled desa; families of every one."""
    folder = tmp_path_factory.mktemp("kubu")
    region = load_region(write_region_folder(LAPISAN_PROVINSI, "61.12", folder))
    kode = read_kode_wilayah(region.kode_wilayah)
    new = _families(kode.pemekaran, kode.pemekaran["desa"])
    old = _families(kode.ejaan_lama, kode.ejaan_lama["desa_2022"])
    path = folder / "keluarga_SINTETIS.csv"
    pd.concat([new, old], ignore_index=True).to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run(region, households=path)
    return region, kode, path, result


def test_pemekaran_families_are_counted_under_their_code_never_rejected(kubu_raya, tmp_path):
    _region, kode, _, result = kubu_raya
    assert result.rows_rejected == 0
    assert result.rows_used == result.rows_in == 6 * 3 + 2 * 3
    k = result.placement.keluarga
    new = k[k["kode_desa"].isin(set(kode.pemekaran["kode_desa"]))]
    assert len(new) == 18
    assert new["flag_desa_tanpa_batas"].all()
    listed = result.placement.tanpa_batas.set_index("kode_desa")
    assert set(listed.index) == set(kode.pemekaran["kode_desa"])
    assert (listed["keluarga"] == 3).all()
    # In the desa table under their own code, without a polygon, not assessed as a pocket.
    ind = result.indikator.set_index("kode_desa").loc[list(kode.pemekaran["kode_desa"])]
    assert (ind["keluarga_p3ke"] == 3).all()
    assert ind.geometry.isna().all()
    pocket = result.kantong.desa.set_index("kode_desa").loc[list(kode.pemekaran["kode_desa"])]
    assert (pocket["kantong"] == "tidak dinilai").all()
    # In the exports: desa.geojson, report.json, bertanda.csv.
    write_outputs(result, tmp_path)
    out = gpd.read_file(tmp_path / "desa.geojson")
    assert set(kode.pemekaran["kode_desa"]) <= set(out["kode_desa"])
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert len(report["desa_tanpa_batas_pemekaran"]) == 6
    assert report["ringkasan"]["keluarga_p3ke"] == 24
    flagged = pd.read_csv(tmp_path / "bertanda.csv", dtype=str)
    assert flagged["kode_desa"].isin(set(kode.pemekaran["kode_desa"])).sum() == 18


def test_a_desa_without_polygon_is_not_assessed_as_a_pocket_and_says_why(embedded):
    ind = embedded.indikator
    extra = ind.iloc[[0]].assign(kode_desa="61.11.01.2099", geometry=[None])
    both = gpd.GeoDataFrame(pd.concat([ind, extra], ignore_index=True), crs=ind.crs)
    hot = desa_hotspots(both, metric_crs=embedded.metric_crs, settings=PocketSettings())
    row = hot.set_index("kode_desa").loc["61.11.01.2099"]
    assert row["kantong"] == "tidak dinilai"
    assert row["alasan"] == f"tidak dinilai: {PEMEKARAN}"
    # The other 43 desa are assessed as without the extra row.
    assert (hot["kantong"] == "panas").sum() == (embedded.kantong.desa["kantong"] == "panas").sum()


def test_without_the_code_table_the_same_families_are_rejected_as_unknown(kubu_raya):
    region, _kode, path, _ = kubu_raya
    plain = load_region(region.batas_desa.parent / "region.toml")
    bare = type(plain)(**{**plain.__dict__, "kode_wilayah": None})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run(bare, households=path)
    assert result.rows_rejected == 18  # the control: the table is what saves them
    assert result.rows_in == result.rows_used + result.rows_rejected


def test_a_2022_spelling_matches_by_code_and_is_listed_as_ejaan_lama(kubu_raya):
    _, kode, _, result = kubu_raya
    k = result.placement.keluarga
    old = k[k["kode_desa"].isin(set(kode.ejaan_lama["kode_desa"]))]
    assert len(old) == 6
    assert old["flag_ejaan_lama"].all()
    assert not old["flag_nama_desa_beda"].any()
    listed = result.placement.ejaan_lama
    assert set(listed["nama_masukan"]) == set(kode.ejaan_lama["desa_2022"])
    assert (listed["keluarga"] == 3).all()
    # The 2025 spelling is no old spelling.
    new = k[k["kode_desa"].isin(set(kode.pemekaran["kode_desa"]))]
    assert not new["flag_ejaan_lama"].any()


def test_run_region_code_from_the_cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LOKUS_WILAYAH_DIR", str(tmp_path / "cache"))
    assert cli.main(["run", "--region", "61.72", "--out", str(tmp_path / "out")]) == 0
    desa = gpd.read_file(tmp_path / "out" / "desa.geojson")
    assert len(desa) == 26
    assert desa["kode_desa"].str.startswith("61.72.").all()
    toml = next((tmp_path / "cache").glob("61.72-*/region.toml"))
    assert "Kota Singkawang" in toml.read_text(encoding="utf-8")


def test_wilayah_command_writes_a_region_folder(tmp_path, capsys):
    out = tmp_path / "pontianak"
    argv = ["wilayah", "--batas", str(LAPISAN_PROVINSI), "--kode", "61.71", "--out", str(out)]
    assert cli.main(argv) == 0
    region = load_region(out / "region.toml")
    assert region.nama == "Kota Pontianak"
    assert len(gpd.read_parquet(region.batas_desa)) == 29


def _found(folder) -> tuple[float, float]:
    """Recall and precision of the planted pockets with the default pocket method."""
    region = load_region(folder / "region.toml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run(region)
    truth = json.loads((folder / "kantong_SINTETIS.json").read_text(encoding="utf-8"))
    planted = {c for k in truth["kantong_desa"] for c in k["kode_desa"]}
    d = result.kantong.desa
    hot = set(d.loc[d["kantong"] == "panas", "kode_desa"])
    assert truth["SINTETIS"] is True
    assert planted
    return len(planted & hot) / len(planted), len(planted & hot) / max(1, len(hot))


def _demo_folder(tmp_path, kode: str):
    toml = write_region_folder(LAPISAN_PROVINSI, kode, tmp_path)
    write_sample(tmp_path, tmp_path / "batas_desa.parquet")
    toml.write_text(
        toml.read_text(encoding="utf-8")
        + 'keluarga_desa = "keluarga_desa_SINTETIS.csv"\n'
        + 'keluarga_p3ke = "p3ke_keluarga_SINTETIS.csv.gz"\n',
        encoding="utf-8",
    )
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize(
    "kode",
    [
        "61.71",  # Kota Pontianak: 29 city kelurahan
        "61.72",  # Kota Singkawang: 26 kelurahan and desa
        "61.02",  # Kabupaten Mempawah: 67 desa
        "61.11",  # Kayong Utara's polygons, planned anew: the pocket lands on the Pulau Maya islands
    ],
)
def test_planted_pockets_are_found_in_four_kabupaten(tmp_path, kode):
    folder = _demo_folder(tmp_path, kode)
    truth = json.loads((folder / "kantong_SINTETIS.json").read_text(encoding="utf-8"))
    codes = [c for k in truth["kantong_desa"] for c in k["kode_desa"]]
    assert all(c.startswith(kode + ".") for c in codes)  # chosen from the region itself
    if kode == "61.11":
        assert truth["kantong_desa"][0]["nama"] == "kantong_pulau"
        assert all(c.startswith("61.11.04.") for c in codes)  # Pulau Maya kecamatan
    families = pd.read_csv(folder / "p3ke_keluarga_SINTETIS.csv.gz", dtype=str)
    assert (families["SINTETIS"] == "Ya").all()
    assert families["nik"].str.startswith("99").all()
    recall, precision = _found(folder)
    assert recall >= 0.9, (recall, precision)
    assert precision >= 0.8, (recall, precision)


def test_pockets_per_kabupaten_test_each_kabupaten_on_its_own(embedded):
    from targeting.wilayah import pockets_by_kabupaten

    ind = embedded.indikator.copy()
    # Two "kabupaten": the embedded desa of kecamatan 01-03 keep 61.11, the rest become 61.98.
    other = ~ind["kode_kecamatan"].isin(["61.11.01", "61.11.02", "61.11.03"])
    ind.loc[other, "kode_desa"] = "61.98" + ind.loc[other, "kode_desa"].str.slice(5)
    settings = PocketSettings(cakupan="kabupaten")
    got = pockets_by_kabupaten(
        ind, embedded.placement.keluarga, embedded.snapshot.desa,
        metric_crs=embedded.metric_crs, settings=settings,
    )  # fmt: skip
    assert got.desa["kode_desa"].tolist() == ind["kode_desa"].tolist()  # input order kept
    alone = desa_hotspots(ind[~other], metric_crs=embedded.metric_crs, settings=settings)
    part = got.desa.set_index("kode_desa").loc[alone["kode_desa"]]
    assert part["gi_q"].round(9).tolist() == alone["gi_q"].round(9).tolist()
    whole = desa_hotspots(ind, metric_crs=embedded.metric_crs, settings=settings)
    assert not np.allclose(whole["gi_q"].to_numpy(), got.desa["gi_q"].to_numpy(), equal_nan=True)
    assert "per kabupaten/kota (2)" in got.parameter["aturan_desa"]


def test_a_province_map_is_simplified_more_than_a_kabupaten(province):
    from geo.wilayah import toleransi_tampilan

    region, _ = province
    desa = gpd.read_parquet(region.batas_desa)
    assert toleransi_tampilan(desa[desa["kode_desa"].str.startswith("61.11.")]) == 50.0
    assert toleransi_tampilan(desa[desa["kode_desa"].str.startswith("61.05.")]) == 50.0
    assert toleransi_tampilan(desa) == pytest.approx(213.0)
