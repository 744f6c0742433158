"""Benchmark of the pocket analysis at province scale (run by hand or with `make bench`).

Desa level: Lokus's `desa_hotspots` (weights, EB smoothing, Gi* with 999 permutations, FDR,
labels and reasons) on a synthetic layer of about 2,000 desa, against a bare esda `G_Local`
on the same weights and values measured in the same run. Household level: Lokus's
`household_clusters` on 100,000 points against a bare scikit-learn DBSCAN on the same
coordinates. Figures are times (s), ratios to the bare reference, and the peak resident memory
of each step measured in a fresh process.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _layer(n_side: int):
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import box

    size = 3000.0
    x0, y0 = 200_000, 9_800_000
    rows = [
        {
            "kode_desa": f"61.{10 + i // 50:02d}.{i % 50 + 1:02d}.{2001 + j}",
            "desa": f"D{i}-{j}",
            "kecamatan": f"K{i}",
            "geometry": box(x0 + i * size, y0 + j * size, x0 + (i + 1) * size, y0 + (j + 1) * size),
        }
        for i in range(n_side)
        for j in range(n_side)
    ]
    gdf = gpd.GeoDataFrame(rows, crs=32749)
    rng = np.random.default_rng(1)
    total = rng.integers(200, 2000, len(gdf))
    d1 = rng.binomial(total, 0.02)
    return gdf.assign(
        ada_data=True,
        keluarga_total=pd.array(total, dtype="Int64"),
        keluarga_desil_1=pd.array(d1, dtype="Int64"),
        persen_desil_1=d1 / total * 100,
    )


def step(name: str) -> dict[str, float]:
    import warnings

    warnings.simplefilter("ignore")
    import pyproj

    from targeting.pockets import PocketSettings, build_weights, desa_hotspots, household_clusters

    metric = pyproj.CRS.from_epsg(32749)
    settings = PocketSettings(smoothing=False)
    if name in ("gi_lokus", "gi_esda"):
        ind = _layer(45)  # 2,025 desa
        t = time.perf_counter()
        if name == "gi_lokus":
            desa_hotspots(ind, metric_crs=metric, settings=settings)
        else:
            import esda

            w = build_weights(ind, metric_crs=metric, settings=settings)
            t = time.perf_counter()  # the reference times the statistic alone
            esda.G_Local(ind["persen_desil_1"].to_numpy(), w, transform="B", permutations=999,
                         star=True, seed=settings.seed)  # fmt: skip
        return {"detik": time.perf_counter() - t, "n": len(ind)}
    import geopandas as gpd
    import pandas as pd

    rng = np.random.default_rng(2)
    n = 100_000
    centres = rng.uniform([200_000, 9_800_000], [330_000, 9_930_000], size=(400, 2))
    xy = centres[rng.integers(0, 400, n)] + rng.normal(0, 300, size=(n, 2))
    if name == "dbscan_bare":
        from sklearn.cluster import DBSCAN

        t = time.perf_counter()
        DBSCAN(eps=100, min_samples=10).fit(xy)
        return {"detik": time.perf_counter() - t, "n": n}
    desa = _layer(45)
    pts = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=32749).to_crs(4326)
    fam = gpd.GeoDataFrame(
        {"desil": pd.array([1] * n, dtype="Int64"), "kode_desa": "x", "kode_desa_titik": "x"},
        geometry=pts.to_numpy(), crs=4326,
    )  # fmt: skip
    t = time.perf_counter()
    household_clusters(fam, desa, metric_crs=metric, settings=settings)
    return {"detik": time.perf_counter() - t, "n": n}


def _run_in_child(name: str) -> dict[str, float]:
    code = (
        f"import json, resource, sys; sys.path.insert(0, {str(ROOT)!r}); "
        f"from bench.bench_pockets import step; r = step({name!r}); "
        "r['rss_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; print(json.dumps(r))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Print the benchmark table."""
    res = {n: _run_in_child(n) for n in ("gi_esda", "gi_lokus", "dbscan_bare", "clusters_lokus")}
    print(f"machine: {resource.getpagesize()} B pages, python {sys.version.split()[0]}")
    print(f"{'step':<40}{'n':>10}{'s':>10}{'ratio':>8}{'peak MB':>10}")
    rows = [
        ("Gi* 999 perm, bare esda (reference)", "gi_esda", "gi_esda"),
        ("Lokus desa_hotspots (all steps)", "gi_lokus", "gi_esda"),
        ("DBSCAN bare scikit-learn (reference)", "dbscan_bare", "dbscan_bare"),
        ("Lokus household_clusters", "clusters_lokus", "dbscan_bare"),
    ]
    for label, key, ref in rows:
        r = res[key]
        ratio = r["detik"] / res[ref]["detik"]
        print(f"{label:<40}{int(r['n']):>10}{r['detik']:>10.2f}{ratio:>8.2f}{r['rss_mb']:>10.0f}")


if __name__ == "__main__":
    main()
