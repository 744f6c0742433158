"""Benchmarks at district, province and nation scale (run by hand or with `make bench`).

Every figure is printed, never asserted. Each step runs in a fresh process so that its peak
resident memory ("peak MB") is its own; ratios compare Lokus with a bare reference measured in
the same process on the same input. Times are the best of a few repeats where a step is
repeated. Inputs are SYNTHETIC (bench/scale_data.py), generated into a cache folder
(``$LOKUS_BENCH_CACHE``, default ``/tmp/lokus-bench``), never committed.

Usage::

    python bench/bench_scale.py                 # district and province tables
    python bench/bench_scale.py --nation 0.1    # plus the nation run on 10 % of the families
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CACHE = Path(os.environ.get("LOKUS_BENCH_CACHE", "/tmp/lokus-bench"))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _best(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def _district_families():
    from geo.households import validate_households
    from geo.io import read_boundaries, read_bytes
    from geo.region import default_region
    from geo.sheets import read_sheet

    region = default_region()
    desa = read_boundaries(region.batas_desa, code_prefix=region.kode).desa
    table = read_sheet(read_bytes(region.keluarga_p3ke), label="p3ke.csv.gz")
    check = validate_households(table.frame, source="p3ke.csv.gz", numeric_cells={})
    return desa, check.keluarga


def _province_families():
    """The REAL Kalimantan Barat polygons (2,130 desa) with 300,000 SYNTHETIC families."""
    from bench.scale_data import PROVINCE, real_province_households
    from geo.households import validate_households

    desa, raw = real_province_households(PROVINCE.n_keluarga)
    check = validate_households(raw, source="p3ke_SINTETIS.csv", desil_scale="dtsen")
    return desa, check.keluarga


def step_place(scale: str) -> dict:
    """Lokus placement against a bare geopandas.sjoin of the same points."""
    import geopandas as gpd

    from geo.crs import choose_metric_crs
    from geo.join import place_households

    desa, kel = _district_families() if scale == "district" else _province_families()
    metric = choose_metric_crs(desa)

    def bare():
        has = kel["lintang"].notna() & kel["bujur"].notna()
        pts = gpd.GeoDataFrame(
            geometry=gpd.points_from_xy(kel.loc[has, "bujur"], kel.loc[has, "lintang"]), crs=4326
        )
        return gpd.sjoin(pts, desa[["kode_desa", "geometry"]], predicate="within")

    def lokus():
        return place_households(kel, desa, source="p3ke", metric_crs=metric)

    lokus()  # warm imports and caches on both sides alike
    bare()
    t_bare = _best(bare, 7)
    t_lokus = _best(lokus, 7)
    flags = lokus().keluarga.filter(like="flag_titik").sum().to_dict()
    return {"n": len(kel), "desa": len(desa), "bare_s": t_bare, "lokus_s": t_lokus,
            "flags": {k: int(v) for k, v in flags.items()}}  # fmt: skip


def _province_result():
    """The whole pipeline on the province data, from GeoParquet working files."""
    from bench.scale_data import PROVINCE, real_province_households
    from geo.region import Region
    from targeting.pipeline import run

    folder = CACHE / "province-real"
    folder.mkdir(parents=True, exist_ok=True)
    b, h = folder / "desa.parquet", folder / "p3ke_SINTETIS.parquet"
    if not (b.exists() and h.exists()):
        desa, raw = real_province_households(PROVINCE.n_keluarga)
        desa.to_parquet(b)
        raw.drop(columns="_baris").to_parquet(h)
    region = Region(nama="Kalimantan Barat (batas asli)", kode="61", batas_desa=b, keluarga_p3ke=h)
    t = time.perf_counter()
    result = run(region, desil_scale="dtsen")
    return result, time.perf_counter() - t


def step_map(scale: str) -> dict:
    """Lean map against a naive folium map with one marker per family, same run."""
    from dataclasses import replace

    import folium

    from targeting.maps import render
    from targeting.mapspec import MapData, map_spec

    if scale == "district":
        from geo.region import default_region
        from targeting.pipeline import run

        t = time.perf_counter()
        r = run(default_region())
        t_run = time.perf_counter() - t
    else:
        r, t_run = _province_result()

    data = MapData.from_result(r)
    data_lean = replace(data, lokus=None, klaster_aturan=None)  # pockets and clusters only

    def lean() -> str:
        m = render(map_spec(data_lean))
        return m.get_root().render()

    html = lean()
    t_lean = _best(lean)
    app_bytes = None
    if r.register is not None:  # the app also draws the register's lokus layers and popups
        app_bytes = len(render(map_spec(data)).get_root().render().encode())
    kel = r.placement.keluarga
    pts = kel[~kel.geometry.is_empty.to_numpy() & kel.geometry.notna().to_numpy()]
    t = time.perf_counter()
    naive = folium.Map(tiles=None)
    names = pts["desa_kelurahan"].astype(str) if "desa_kelurahan" in pts else pts["kode_desa"]
    for x, y, desa, d in zip(pts.geometry.x, pts.geometry.y, names, pts["desil"], strict=True):
        folium.Marker([y, x], tooltip=f"{desa}: desil {d}").add_to(naive)
    naive_html = naive.get_root().render()
    t_naive = time.perf_counter() - t
    import gzip

    return {"n": len(pts), "desa": len(r.indikator), "run_s": t_run, "lean_s": t_lean,
            "lean_bytes": len(html.encode()), "lean_gz": len(gzip.compress(html.encode())),
            "naive_s": t_naive, "naive_bytes": len(naive_html.encode()),
            "naive_gz": len(gzip.compress(naive_html.encode())), "app_bytes": app_bytes}  # fmt: skip


def step_stages() -> dict:
    """Stage times of the province pipeline (Gi* included)."""
    import geopandas as gpd  # noqa: F401

    from geo.crs import choose_metric_crs
    from targeting.indicators import desa_indicators
    from targeting.pockets import desa_hotspots, household_clusters

    desa, kel = _province_families()
    metric = choose_metric_crs(desa)
    from geo.join import place_households

    out: dict[str, float] = {"n": len(kel), "desa": len(desa)}
    t = time.perf_counter()
    placed = place_households(kel, desa, source="p3ke", metric_crs=metric)
    out["place_s"] = time.perf_counter() - t
    t = time.perf_counter()
    ind = desa_indicators(placed.keluarga, desa, desil_max=10)
    out["indicators_s"] = time.perf_counter() - t
    # No denominator in this synthetic set: the desil-1 count is tested.
    from targeting.pockets import PocketSettings

    settings = PocketSettings(variabel="keluarga_desil_1", smoothing=False)
    t = time.perf_counter()
    desa_hotspots(ind, metric_crs=metric, settings=settings)
    out["gi_s"] = time.perf_counter() - t
    t = time.perf_counter()
    household_clusters(placed.keluarga, desa, metric_crs=metric, settings=settings)
    out["clusters_s"] = time.perf_counter() - t
    return out


def step_partisi() -> dict:
    """Dask engine at province scale: kecamatan against Hilbert partitions, same run."""
    import numpy as np

    from geo.crs import choose_metric_crs
    from targeting.engine_dask import dask_client, partition_key, place_and_count

    desa, kel = _province_families()
    kel = kel.reset_index(drop=True)
    metric = choose_metric_crs(desa)
    out: dict = {"n": len(kel), "desa": len(desa)}
    counts = {}
    with dask_client(None, n_workers=2) as client:
        # Warm the workers (imports, the scattered desa layer) so neither key pays for it.
        place_and_count(kel.head(20_000), desa, source="p3ke", metric_crs=metric,
                        client=client, desil_max=10)  # fmt: skip
        for by in ("kecamatan", "hilbert"):
            t = time.perf_counter()
            r = place_and_count(kel, desa, source="p3ke", metric_crs=metric, client=client,
                                desil_max=10, partisi=by)  # fmt: skip
            out[f"{by}_s"] = time.perf_counter() - t
            counts[by] = r.counts
            out["partitions"] = r.partitions
            # Desa and kecamatan each partition touches: equal cuts of the sorted table.
            order = partition_key(kel, desa, by=by).to_numpy().argsort(kind="stable")
            kode = kel["kode_desa"].fillna("~").to_numpy(dtype=object)[order]
            cuts = np.array_split(kode, r.partitions)
            out[f"{by}_desa"] = sum(len(set(c)) for c in cuts) / len(cuts)
            out[f"{by}_kec"] = sum(len({k[:8] for k in c}) for c in cuts) / len(cuts)
    out["same"] = bool(counts["kecamatan"].equals(counts["hilbert"]))
    return out


def step_app() -> dict:
    """Server time of the app's first view (cold) and of a rerun after a filter change."""
    import warnings

    warnings.simplefilter("ignore")
    import streamlit as st  # noqa: TID251
    from streamlit.testing.v1 import AppTest  # noqa: TID251 (drives the app, like tests/)

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    t = time.perf_counter()
    at.run()
    cold = time.perf_counter() - t  # a fresh process: imports of every library included
    assert not at.exception, at.exception
    st.cache_data.clear()  # a running server's first visitor: modules loaded, caches empty
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    t = time.perf_counter()
    at.run()
    first = time.perf_counter() - t
    assert not at.exception, at.exception
    kec = at.multiselect(key="filter_kecamatan").options
    reruns = []
    for choice in ([kec[0]], [kec[1], kec[2]], []):
        at.multiselect(key="filter_kecamatan").set_value(choice)
        t = time.perf_counter()
        at.run()
        reruns.append(time.perf_counter() - t)
        assert not at.exception, at.exception
    return {"cold_s": cold, "first_s": first, "rerun_s": min(reruns)}


def step_nation(fraction: float) -> dict:
    """Nation scale through the Dask engine on a local cluster (2 worker processes)."""
    import dask
    import geopandas as gpd

    from bench.scale_data import NATION, make_desa
    from geo.crs import choose_metric_crs
    from targeting.engine_dask import dask_client, place_and_count
    from targeting.indicators import indicators_from_counts

    folder = CACHE / f"nation-{fraction:g}"
    fam_dir = folder / "keluarga"
    out: dict = {}
    t = time.perf_counter()
    d = make_desa(NATION)
    out["desa_gen_s"] = time.perf_counter() - t
    folder.mkdir(parents=True, exist_ok=True)
    d.gdf.to_parquet(folder / "desa_SINTETIS.parquet")
    n_prov = NATION.provinsi[0] * NATION.provinsi[1]
    per_prov = round(NATION.n_keluarga * fraction / n_prov)
    with dask_client(None, n_workers=2) as client:
        # Cached partitions are reused only if this version's validation wrote them.
        from geo.households import HOUSEHOLD_FLAGS

        schema, stamp = json.dumps(sorted(HOUSEHOLD_FLAGS)), folder / "skema.json"
        if not (
            fam_dir.exists()
            and len(list(fam_dir.glob("*.parquet"))) == n_prov
            and stamp.exists()
            and stamp.read_text() == schema
        ):
            for old in fam_dir.glob("*.parquet"):
                old.unlink()
            fam_dir.mkdir(parents=True, exist_ok=True)
            t = time.perf_counter()
            d_f = client.scatter(d, broadcast=True)
            jobs = [
                dask.delayed(_nation_partition)(d_f, p, per_prov, str(fam_dir))
                for p in range(n_prov)
            ]
            client.gather(client.compute(jobs))
            stamp.write_text(schema)
            out["families_gen_s"] = time.perf_counter() - t
        metric = choose_metric_crs(d.gdf)
        t = time.perf_counter()
        res = place_and_count(
            fam_dir, d.gdf, source="p3ke_SINTETIS", metric_crs=metric, client=client,
            desil_max=10, out_dir=folder / "ditempatkan",
        )  # fmt: skip
        ind = indicators_from_counts(res.counts, d.gdf, desil_max=10)
        out["place_count_s"] = time.perf_counter() - t
        out["worker_peak_mb"] = max(client.run(_rss_mb).values())
    # Pockets over the whole country on the driver (no denominator: the desil-1 count).
    from targeting.pockets import PocketSettings, desa_hotspots

    t = time.perf_counter()
    hot = desa_hotspots(
        ind, metric_crs=metric,
        settings=PocketSettings(variabel="keluarga_desil_1", smoothing=False),
    )  # fmt: skip
    out["gi_s"] = time.perf_counter() - t
    out["kantong"] = {str(k): int(v) for k, v in hot["kantong"].value_counts().items()}
    out.update(
        n=res.families_used + len(res.placement.ditolak),
        used=res.families_used,
        rejected=len(res.placement.ditolak),
        desa=len(d.gdf),
        desa_with_data=int(ind["ada_data"].sum()),
        partitions=res.partitions,
        flags={k: v for k, v in res.flags.items() if v},
    )
    del gpd
    return out


def _nation_partition(d, p: int, n: int, folder: str) -> int:
    """Generate, validate and write one province's families (runs on a worker)."""
    import geopandas as gpd

    from bench.scale_data import Desa, make_households
    from geo.households import validate_households

    prov = d.gdf["kode_desa"].str.slice(0, 2).astype(int) == 11 + p
    sub = Desa(
        gdf=d.gdf[prov.to_numpy()].reset_index(drop=True),
        seeds=d.seeds[prov.to_numpy()],
        cell=d.cell,
        seed=d.seed,
    )
    raw = make_households(sub, n, start=p * n)
    check = validate_households(raw, source="p3ke_SINTETIS", desil_scale="dtsen")
    kel = check.keluarga
    geom = gpd.points_from_xy(kel["bujur"], kel["lintang"])
    gpd.GeoDataFrame(kel, geometry=geom, crs=4326).to_parquet(
        Path(folder) / f"provinsi-{11 + p:02d}.parquet"
    )
    return len(kel)


def _child(name: str, *args: object) -> dict:
    code = (
        "import json, sys, warnings; warnings.simplefilter('ignore'); "
        f"sys.path.insert(0, {str(ROOT)!r}); import bench.bench_scale as b; "
        f"r = b.step_{name}(*{args!r}); r['rss_mb'] = b._rss_mb(); print(json.dumps(r))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Print the benchmark tables."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--nation", type=float, default=0.0,
                    help="also run the nation scale on this fraction of 10 million families")  # fmt: skip
    args = ap.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
        f"python {sys.version.split()[0]}"
    )
    print("\nPlacement (code lookup + point-in-polygon check) vs bare geopandas.sjoin")
    print(
        f"{'scale':<10}{'families':>10}{'desa':>7}{'sjoin ms':>10}{'Lokus ms':>10}{'ratio':>7}"
        f"{'peak MB':>9}"
    )
    for scale in ("district", "province"):
        r = _child("place", scale)
        print(f"{scale:<10}{r['n']:>10,}{r['desa']:>7,}{r['bare_s'] * 1e3:>10.1f}"
              f"{r['lokus_s'] * 1e3:>10.1f}"
              f"{r['lokus_s'] / r['bare_s']:>7.2f}{r['rss_mb']:>9.0f}")  # fmt: skip
    print("\nMap: lean Lokus map vs naive folium map (one marker + tooltip per family)")
    print(f"{'scale':<10}{'points':>10}{'lean KB':>9}{'naive KB':>10}{'smaller':>8}"
          f"{'gz x':>6}{'lean s':>8}{'naive s':>8}{'peak MB':>9}")  # fmt: skip
    for scale in ("district", "province"):
        r = _child("map", scale)
        print(f"{scale:<10}{r['n']:>10,}{r['lean_bytes'] / 1e3:>9.0f}{r['naive_bytes'] / 1e3:>10.0f}"
              f"{r['naive_bytes'] / r['lean_bytes']:>8.1f}{r['naive_gz'] / r['lean_gz']:>6.1f}"
              f"{r['lean_s']:>8.2f}{r['naive_s']:>8.2f}{r['rss_mb']:>9.0f}")  # fmt: skip
        print(f"{'':<10}(pipeline run before the map: {r['run_s']:.2f} s)")
        if r["app_bytes"]:
            print(f"{'':<10}(with the register's lokus layers and popups, as the app draws it: "
                  f"{r['app_bytes'] / 1e3:.0f} KB, {r['naive_bytes'] / r['app_bytes']:.1f}x smaller)")  # fmt: skip
    print("\nDask engine, province, 2 local worker processes: kecamatan vs Hilbert partitions")
    r = _child("partisi")
    print(f"{'partisi':<11}{'s':>7}{'desa/part':>11}{'kec/part':>10}")
    for by in ("kecamatan", "hilbert"):
        print(f"{by:<11}{r[by + '_s']:>7.1f}{r[by + '_desa']:>11.1f}{r[by + '_kec']:>10.1f}")
    print(f"{r['partitions']} partitions of {r['n']:,} families over {r['desa']:,} desa; "
          f"counts per desa identical: {r['same']}; peak {r['rss_mb']:.0f} MB (driver)")  # fmt: skip
    print(
        "\nApp server time (AppTest, district): first view, rerun after a kecamatan filter change"
    )
    r = _child("app")
    print(f"first view {r['first_s']:.2f} s (modules loaded, caches empty); in a fresh process "
          f"with every import {r['cold_s']:.2f} s; rerun after a filter change (warm caches) "
          f"{r['rerun_s']:.2f} s; peak {r['rss_mb']:.0f} MB")  # fmt: skip
    print("\nProvince pipeline stages (s)")
    r = _child("stages")
    print(f"families {r['n']:,}, desa {r['desa']:,}: place {r['place_s']:.2f}, indicators "
          f"{r['indicators_s']:.2f}, Gi* 999 perm {r['gi_s']:.2f}, household clusters "
          f"{r['clusters_s']:.2f}; peak {r['rss_mb']:.0f} MB")  # fmt: skip
    if args.nation:
        print(f"\nNation through the Dask engine (LocalCluster, 2 worker processes), "
              f"{args.nation:.0%} of 10 million families")  # fmt: skip
        r = _child("nation", args.nation)
        gen = r.get("families_gen_s")
        print(f"desa polygons: {r['desa']:,} in {r['desa_gen_s']:.1f} s; families: {r['n']:,} in "
              f"{r['partitions']} GeoParquet partitions (one per province)"
              + (f", generated, validated and written in {gen:.1f} s" if gen else " (cached)"))  # fmt: skip
        print(f"read + place + count per desa: {r['place_count_s']:.1f} s "
              f"({r['n'] / r['place_count_s']:,.0f} families/s); used {r['used']:,}, rejected "
              f"{r['rejected']:,}; desa with data {r['desa_with_data']:,}")  # fmt: skip
        print(f"Gi* (knn 5, 999 permutations) on all {r['desa']:,} desa on the driver: "
              f"{r['gi_s']:.1f} s; " + ", ".join(f"{k} {v:,}" for k, v in r["kantong"].items()))  # fmt: skip
        print(
            f"peak memory: driver {r['rss_mb']:,.0f} MB, largest worker {r['worker_peak_mb']:,.0f} MB"
        )
        print(
            "flags: " + ", ".join(f"{k.removeprefix('flag_')} {v:,}" for k, v in r["flags"].items())
        )


if __name__ == "__main__":
    main()
