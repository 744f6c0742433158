"""The embedded sample: reproducible, marked synthetic, calibrated to the district."""

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.region import default_region
from targeting.synthetic import write_sample

DATA = default_region().batas_desa.parent


@pytest.fixture(scope="module")
def p3ke() -> pd.DataFrame:
    return pd.read_csv(DATA / "p3ke_keluarga_SINTETIS.csv.gz", dtype=str, keep_default_na=False)


@pytest.mark.slow
def test_generator_rebuilds_the_committed_files_byte_for_byte(tmp_path):
    written = write_sample(tmp_path, default_region().batas_desa)
    for path in written:
        assert path.read_bytes() == (DATA / path.name).read_bytes(), path.name


def test_every_record_is_marked_synthetic_and_ids_are_visibly_fake(p3ke):
    assert (p3ke["SINTETIS"] == "Ya").all()
    assert p3ke["nik"].str.fullmatch(r"99\d{14}").all()  # province 99 does not exist
    assert p3ke["no_kk"].str.fullmatch(r"99\d{14}").all()
    assert p3ke["id_keluarga_p3ke"].str.startswith("P3KE-SIN-").all()
    assert not p3ke["nik"].duplicated().any()
    assert not p3ke["id_keluarga_p3ke"].duplicated().any()
    assert set(p3ke["penerima_pkh"]) == {"Ya", "Tidak"}


def test_calibrated_to_kayong_utara(embedded):
    s = embedded.report()["ringkasan"]
    assert 32_000 <= s["keluarga_total"] <= 34_000  # 126,898 people / ~3.85 per family
    assert 0.35 <= s["keluarga_p3ke"] / s["keluarga_total"] <= 0.45  # the poorest ~40 %
    assert 1.5 <= s["persen_desil_1"] <= 4.0  # order of the 1.89 % extreme-poverty rate
    share = embedded.indikator["persen_desil_1"]
    assert share.max() / share.min() > 8  # strong variation between desa


def test_planted_pockets_stand_out_and_ground_truth_is_saved(embedded):
    truth = json.loads((DATA / "kantong_SINTETIS.json").read_text(encoding="utf-8"))
    assert truth["SINTETIS"] is True
    pocket_codes = {c for k in truth["kantong_desa"] for c in k["kode_desa"]}
    ind = embedded.indikator.set_index("kode_desa")["persen_desil_1"]
    assert ind[list(pocket_codes)].min() > ind.drop(list(pocket_codes)).median() * 2
    assert len(truth["klaster_keluarga"]) == 3
    members = {m for c in truth["klaster_keluarga"] for m in c["keluarga"]}
    k = embedded.placement.keluarga
    fams = k[k["id_keluarga_p3ke"].isin(members)]
    assert len(fams) == len(members)
    assert (fams["desil"] == 1).all()
    assert fams.geometry.notna().all()


def test_coordinates_sit_inside_their_own_desa_near_settlements(embedded):
    k = embedded.placement.keluarga
    with_pt = k[k.geometry.notna()]
    assert 0.3 < len(with_pt) / len(k) < 0.9  # only part of the families, as field work gives
    agree = (with_pt["kode_desa_titik"] == with_pt["kode_desa"]).mean()
    assert agree > 0.99  # a few planted GPS errors, flagged
    # Settlements, not forest: in every desa the families' nearest-neighbour distance is far
    # below that of as many points spread uniformly over the same polygon.
    desa = embedded.batas.desa.to_crs(32749).set_index("kode_desa")
    ratios = []
    for kode, pts in with_pt.to_crs(32749).groupby("kode_desa"):
        uniform = desa.geometry[[kode]].sample_points(len(pts), rng=1).explode()
        ratios.append(_nn_median(pts.geometry) / _nn_median(uniform))
    assert max(ratios) < 0.5


def _nn_median(points: gpd.GeoSeries) -> float:
    geoms = points.to_numpy()
    tree = shapely.STRtree(geoms)
    _, dist = tree.query_nearest(geoms, exclusive=True, return_distance=True, all_matches=False)
    return float(np.median(dist))


def test_register_totals_match_2024(embedded):
    reg = pd.read_csv(DATA / "sub_kegiatan_SINTETIS.csv", dtype=str)
    assert (reg["SINTETIS"] == "Ya").all()
    by = reg.groupby("strategi").agg(n=("pagu", "size"), rp=("pagu", lambda s: s.astype(int).sum()))
    assert by.loc["1"].tolist() == [43, 51_000_000_000]
    assert by.loc["2"].tolist() == [18, 8_000_000_000]
    assert by.loc["3"].tolist() == [23, 17_000_000_000]
    assert reg["kode_sub_kegiatan"].str.fullmatch(r"\d\.\d{2}\.\d{2}\.2\.\d{2}\.\d{4}").all()
    codes = set(embedded.batas.desa["kode_desa"])
    for lokus in reg["lokus"]:
        assert lokus == "kabupaten" or set(lokus.split(";")) <= codes
    assert reg["opd"].notna().all()
    assert all(re.fullmatch(r"\d+", p) for p in reg["pagu"])
