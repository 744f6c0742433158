"""Fresh-user pass on issue 19: a planner's own file for another kabupaten.

Found by trying Lokus as a new user: a household file for Kabupaten Sambas (61.01) with
families of the split-off (pemekaran) desa and 2022 spellings, read with the scan statistic.
Every family is SYNTHETIC.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from geo.wilayah import PEMEKARAN
from targeting.pockets import PocketSettings, desa_hotspots


@pytest.mark.parametrize("statistik", ["scan_tetangga", "scan_lingkaran"])
def test_the_scan_says_a_desa_without_polygon_is_pemekaran(embedded, statistik):
    # As in a real run: the pemekaran desa has families but no denominator in the family
    # table (the table predates the split) and no polygon. Its reason must name the missing
    # polygon, as Gi* does, not only the missing denominator.
    ind = embedded.indikator
    extra = ind.iloc[[0]].assign(kode_desa="61.11.01.2099", geometry=[None], keluarga_total=pd.NA)
    both = gpd.GeoDataFrame(pd.concat([ind, extra], ignore_index=True), crs=ind.crs)
    settings = PocketSettings(statistik=statistik)
    hot = desa_hotspots(both, metric_crs=embedded.metric_crs, settings=settings)
    row = hot.set_index("kode_desa").loc["61.11.01.2099"]
    assert row["kantong"] == "tidak dinilai"
    assert row["alasan"] == f"tidak dinilai: {PEMEKARAN}"


def test_gi_star_says_pemekaran_also_without_a_denominator(embedded):
    ind = embedded.indikator
    extra = ind.iloc[[0]].assign(kode_desa="61.11.01.2099", geometry=[None], keluarga_total=pd.NA)
    both = gpd.GeoDataFrame(pd.concat([ind, extra], ignore_index=True), crs=ind.crs)
    hot = desa_hotspots(both, metric_crs=embedded.metric_crs, settings=PocketSettings())
    assert (
        hot.set_index("kode_desa").loc["61.11.01.2099", "alasan"] == f"tidak dinilai: {PEMEKARAN}"
    )


@pytest.mark.parametrize("statistik", ["scan_tetangga", "scan_lingkaran"])
def test_the_scan_leaves_out_a_pemekaran_desa_that_has_a_denominator(embedded, statistik):
    ind = embedded.indikator
    extra = ind.iloc[[0]].assign(kode_desa="61.11.01.2099", geometry=[None])
    both = gpd.GeoDataFrame(pd.concat([ind, extra], ignore_index=True), crs=ind.crs)
    hot = desa_hotspots(
        both, metric_crs=embedded.metric_crs, settings=PocketSettings(statistik=statistik)
    )
    assert (
        hot.set_index("kode_desa").loc["61.11.01.2099", "alasan"] == f"tidak dinilai: {PEMEKARAN}"
    )


def _families_by_name(kode, rows: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """SYNTHETIC families (the embedded sample's rows) naming their desa, with no code."""
    from geo.region import DEFAULT_REGION_FILE

    sample = DEFAULT_REGION_FILE.parent / "p3ke_keluarga_SINTETIS.csv.gz"
    base = pd.read_csv(sample, dtype=str, keep_default_na=False).head(len(rows) * 2)
    rep = rows.loc[rows.index.repeat(2)].reset_index(drop=True)
    base["kode_kemdagri"] = ""
    base["desa_kelurahan"] = names.loc[names.index.repeat(2)].to_numpy()
    base["kecamatan"] = rep["kecamatan"].to_numpy()
    base["lintang"] = base["bujur"] = ""
    return base


@pytest.mark.parametrize("kab", ["61.01", "61.05"])
def test_a_family_naming_a_pemekaran_desa_or_a_2022_spelling_without_code_is_placed(tmp_path, kab):
    # Sambas has 2 pemekaran desa and 7 respelled desa; Sintang's "Taok" (2022) is "Tauk"
    # (2025), too far apart for the fuzzy match (75 < 85). With the code blank, the name
    # within its kecamatan identifies the desa through the code table of both years.
    import warnings

    from geo.region import load_region
    from geo.wilayah import LAPISAN_PROVINSI, read_kode_wilayah, write_region_folder
    from targeting.pipeline import run

    region = load_region(write_region_folder(LAPISAN_PROVINSI, kab, tmp_path / "r"))
    kode = read_kode_wilayah(region.kode_wilayah)
    new = _families_by_name(kode, kode.pemekaran, kode.pemekaran["desa"])
    old = _families_by_name(kode, kode.ejaan_lama, kode.ejaan_lama["desa_2022"])
    path = tmp_path / "keluarga_SINTETIS.csv"
    pd.concat([new, old], ignore_index=True).to_csv(path, index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run(region, households=path)
    assert result.rows_rejected == 0, result.placement.ditolak["alasan"].tolist()
    k = result.placement.keluarga
    want = sorted(list(kode.pemekaran["kode_desa"]) * 2 + list(kode.ejaan_lama["kode_desa"]) * 2)
    assert sorted(k["kode_desa"]) == want
    assert k["flag_desa_dari_nama"].all()
    assert k["flag_desa_tanpa_batas"].sum() == 2 * len(kode.pemekaran)
    assert k["flag_ejaan_lama"].sum() == 2 * len(kode.ejaan_lama)
    # The name matches list the 2025 name of the desa found.
    cocok = result.placement.cocok_nama.drop_duplicates("kode_desa").set_index("kode_desa")["desa"]
    names = kode.tabel.set_index("kode_desa")["desa"]
    assert all(cocok[c] == names[c] for c in cocok.index)


def test_wilayah_with_a_code_of_no_desa_says_nothing_was_written(tmp_path, capsys):
    # A planner's typo (61.99): the boundary file has no desa under it, nothing is written,
    # and the message must not claim a half-written folder.
    from geo.wilayah import LAPISAN_PROVINSI
    from targeting import cli

    out = tmp_path / "w"
    code = cli.main(
        ["wilayah", "--batas", str(LAPISAN_PROVINSI), "--kode", "61.99", "--out", str(out)]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert not out.exists()
    assert "nothing was written" in err, err
    assert "part-way" not in err, err
