"""The Dask engine equals the single-machine engine on the district data (LocalCluster)."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
from distributed import LocalCluster

from geo.region import default_region
from targeting.cli import main
from targeting.engine_dask import partition_key
from targeting.pipeline import run
from tests.conftest import assert_accounting


@pytest.fixture(scope="module")
def cluster():
    # Threads in this process keep the test to seconds on CI's 2 cores; the engine's code path
    # (scatter, partitions, gather) is the one a process or remote cluster runs.
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as c:
        yield c


@pytest.fixture(scope="module")
def faulty_sample(tmp_path_factory):
    """The embedded SINTETIS sample with faults the placement must handle row by row."""
    region = default_region()
    with gzip.open(region.keluarga_p3ke, "rt", encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(8)
    pick = rng.choice(len(df), size=600, replace=False)
    blank, foreign, swap, sea, other, bad_desil = np.array_split(pick, 6)
    df.loc[blank, "kode_kemdagri"] = ""  # resolved by desa name within the kecamatan
    df.loc[blank[:10], "desa_kelurahan"] = "Desa Yang Tidak Ada"  # rejected: no such name
    df.loc[foreign, "kode_kemdagri"] = "6199012001"  # another district: rejected
    df.loc[swap, ["lintang", "bujur"]] = df.loc[swap, ["bujur", "lintang"]].to_numpy()
    df.loc[sea, "lintang"] = "-1.9"  # far in the sea
    df.loc[other, ["lintang", "bujur"]] = df.loc[
        rng.permutation(other), ["lintang", "bujur"]
    ].to_numpy()
    df.loc[bad_desil, "desil_kesejahteraan"] = "7"
    path = tmp_path_factory.mktemp("dask") / "p3ke_SINTETIS_rusak.csv"
    df.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def single(faulty_sample):
    return run(default_region(), households=faulty_sample, desil_scale="p3ke")


@pytest.mark.parametrize("partisi", ["kecamatan", "hilbert"])
def test_dask_engine_equals_pandas_engine_on_district_data(cluster, faulty_sample, single, partisi):
    region = default_region()
    dist = run(
        region,
        households=faulty_sample,
        desil_scale="p3ke",
        engine="dask",
        scheduler=cluster.scheduler_address,
        partisi=partisi,
    )
    assert single.rows_rejected > 100  # the faults are really there
    assert len(single.placement.cocok_nama) > 50
    for result in (single, dist):
        assert_accounting(result)
    pd.testing.assert_frame_equal(single.indikator, dist.indikator)
    pd.testing.assert_frame_equal(single.ditolak, dist.ditolak)
    pd.testing.assert_frame_equal(single.placement.keluarga, dist.placement.keluarga)
    pd.testing.assert_frame_equal(single.placement.cocok_nama, dist.placement.cocok_nama)
    assert single.placement.kode_tidak_dikenal == dist.placement.kode_tidak_dikenal
    a, b = single.report(), dist.report()
    for key in ("rows_in", "rows_used", "rows_rejected", "flags", "alasan_ditolak", "ringkasan"):
        assert a[key] == b[key], key
    pd.testing.assert_frame_equal(single.kantong.desa, dist.kantong.desa)


def test_cli_engine_dask_on_a_scheduler(cluster, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", "--out", str(out), "--engine", "dask",
                 "--scheduler", cluster.scheduler_address])  # fmt: skip
    assert code == 0
    assert "12907 rows read: 12907 used, 0 rejected" in capsys.readouterr().out
    assert (out / "desa.geojson").exists()


def test_geoparquet_working_files_give_the_same_indicators(embedded, tmp_path):
    import geopandas as gpd

    region = default_region()
    with gzip.open(region.keluarga_p3ke, "rt", encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype=str, keep_default_na=False)
    lat, lon = pd.to_numeric(df.pop("lintang")), pd.to_numeric(df.pop("bujur"))
    hh = gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(lon, lat), crs=4326)
    hh.to_parquet(tmp_path / "p3ke_SINTETIS.parquet")
    gpd.read_file(region.batas_desa).to_parquet(tmp_path / "desa.parquet")
    result = run(
        region,
        households=tmp_path / "p3ke_SINTETIS.parquet",
        boundaries=tmp_path / "desa.parquet",
    )
    assert (result.rows_in, result.rows_rejected) == (embedded.rows_in, 0)
    pd.testing.assert_frame_equal(result.indikator, embedded.indikator)
    assert result.report()["flags"] == embedded.report()["flags"]


def test_hilbert_key_keeps_partitions_compact(embedded):
    """Families cut into partitions along the Hilbert key touch few desa each."""
    from geo.io import read_boundaries

    region = default_region()
    batas = read_boundaries(region.batas_desa, code_prefix=region.kode).desa
    kel = embedded.placement.keluarga
    key = partition_key(kel, batas, by="hilbert")
    assert key.dtype == "int64"
    assert (key < 4**16).all()  # every family has a point or a known desa
    kode = kel["kode_desa"].to_numpy()

    def desa_touched(order: np.ndarray) -> int:
        """Distinct desa per partition, summed over 8 partitions."""
        return sum(len(set(kode[part])) for part in np.array_split(order, 8))

    hilbert = desa_touched(key.to_numpy().argsort(kind="stable"))
    shuffled = desa_touched(np.random.default_rng(0).permutation(len(kel)))
    assert shuffled == 8 * 43  # a random cut touches every desa in every partition
    assert hilbert < shuffled / 3


def test_hilbert_key_of_families_without_a_usable_point():
    import geopandas as gpd
    from shapely.geometry import box

    desa = gpd.GeoDataFrame(
        {"kode_desa": ["61.11.01.2001", "61.11.01.2002"]},
        geometry=[box(110.0, -1.0, 110.5, -0.5), box(110.5, -1.0, 111.0, -0.5)],
        crs=4326,
    )
    kel = pd.DataFrame(
        {
            "kode_desa": pd.array(
                ["61.11.01.2001", "61.11.01.2002", "61.11.01.2002", pd.NA, pd.NA],
                dtype="string",
            ),
            "bujur": [110.2, np.nan, 0.0, 110.7, np.nan],
            "lintang": [-0.7, np.nan, 0.0, -0.7, np.nan],
        }
    )
    key = partition_key(kel, desa, by="hilbert")
    # A known code: the key of a point inside the coded desa, whatever the family's point.
    anchor = desa.representative_point().hilbert_distance(total_bounds=desa.total_bounds)
    assert key[:3].tolist() == [anchor[0], anchor[1], anchor[1]]
    assert key[3] < 4**16  # a point in the region, no code: placed by its point
    assert key[3] != anchor[1]
    assert key[4] == 4**16  # neither: after every distance on the curve
    with pytest.raises(ValueError, match="partisi"):
        partition_key(kel, desa, by="geohash")
    with pytest.raises(ValueError, match="desa polygons"):
        partition_key(kel, by="hilbert")


def test_cli_partisi_needs_the_dask_engine(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "--out", str(out), "--partisi", "hilbert"]) == 2
    assert "--partisi needs --engine dask" in capsys.readouterr().err
    assert not out.exists()  # refused before anything is written


def test_package_zip_makes_lokus_importable_outside_the_repo(tmp_path):
    """The zip sent to the workers of an existing cluster holds every module of the packages."""
    import os
    import subprocess
    import sys

    from targeting.engine_dask import package_zip

    path = package_zip(tmp_path)
    assert path.name.startswith("lokus_kode_")
    assert package_zip(tmp_path) != path  # a new name each time (zip importers cache by path)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = "import geo.join, targeting.indicators, targeting.engine_dask"
    bare = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, check=False)  # fmt: skip
    assert bare.returncode != 0
    shipped = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                             env={**env, "PYTHONPATH": str(path)}, check=False)  # fmt: skip
    assert shipped.returncode == 0, shipped.stderr.decode()
