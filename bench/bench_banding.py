"""Benchmark of the comparison between snapshots (issue 16); run by hand.

District: the embedded synthetic snapshots 1 and 2 of Kayong Utara (12,907 and 12,780
families), loaded once; the comparison (:func:`targeting.banding.bandingkan`: hashing, pairing,
per-desa counts, transition matrix) against a bare pandas merge on the same keys in clear (id,
then No KK, then NIK, no hashing, no duplicate check) with the same desil-1 value counts.

Nation: SYNTHETIC DTSEN-like families (no P3KE id), ``--nation`` share of 10 million per
snapshot, 38 province partitions over 84,000 desa codes, the second snapshot moved on (left,
new, desil changes, moves, new No KK, split households). Pairing and per-desa counts on the Dask
engine (:func:`targeting.banding_dask.perubahan_desa_dask`, LocalCluster of 2 worker processes)
against a bare ``dask.dataframe.merge`` on the hashed No KK (inner join, row count). Each side
runs in its own cluster so its peak worker memory is its own; keys are hashed when the
partitions are generated (reported apart).

Usage::

    python bench/bench_banding.py                # district only
    python bench/bench_banding.py --nation 0.05  # plus the nation run on 5 % of the families
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

N_PROV, N_DESA, N_NATION = 38, 84_000, 10_000_000


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _best(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def district() -> None:
    from geo.region import default_region
    from targeting.banding import bandingkan
    from targeting.cli_banding import demo_files
    from targeting.snapshot import load_snapshot

    region = default_region()
    t = time.perf_counter()
    snaps = [
        load_snapshot(region, households=f, tanggal=d, desil_scale=s)
        for f, d, s in demo_files(region)[:2]
    ]
    load_s = time.perf_counter() - t
    ka, kb = (s.placement.keluarga for s in snaps)

    def bare() -> None:
        cols = ["id_keluarga_p3ke", "no_kk", "nik", "kode_desa", "desil"]
        a, b = ka[cols], kb[cols]
        pairs = []
        for key in ("id_keluarga_p3ke", "no_kk", "nik"):
            m = a.merge(b, on=key, suffixes=("", "_b"))
            pairs.append(m)
            a = a[~a[key].isin(m[key])]
            b = b[~b[key].isin(m[key])]
        p = pd.concat(pairs)
        for mask in (p["desil"] == 1, p["desil_b"] == 1, (p["desil"] == 1) & (p["desil_b"] != 1)):
            p.loc[mask, "kode_desa"].value_counts()

    lokus = _best(lambda: bandingkan(snaps))
    ref = _best(bare)
    print("District: two snapshots of Kayong Utara (SYNTHETIC), loaded once "
          f"({load_s:.2f} s for both)")  # fmt: skip
    print(f"families {len(ka):,} -> {len(kb):,}; desa 43")
    print(f"Lokus comparison {lokus * 1000:.0f} ms; bare pandas merge {ref * 1000:.0f} ms; "
          f"ratio {lokus / ref:.1f}; peak {_rss_mb():.0f} MB")  # fmt: skip


def _codes(p: int) -> np.ndarray:
    """Desa codes of province ``p`` (84,000 over 38 provinces)."""
    n = N_DESA // N_PROV + (1 if p < N_DESA % N_PROV else 0)
    i = np.arange(n)
    return np.array(
        [f"{11 + p:02d}.{1 + k // 400:02d}.{1 + (k // 20) % 20:02d}.{2001 + k % 20}" for k in i]
    )


def _snapshot_pair(
    p: int, n: int, salt: bytes, seed: int = 16
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One province's families at two dates, keys hashed (runs on a worker)."""
    from targeting.banding_dask import hash_kunci

    rng = np.random.default_rng([seed, p])
    codes = _codes(p)
    base = p * 10**8
    a = pd.DataFrame({
        "i": np.arange(n, dtype="int64"),
        "kode_desa": codes[rng.integers(0, len(codes), n)],
        "desil": rng.choice(np.arange(1, 11), n, p=[0.05] + [0.95 / 9] * 9).astype("int64"),
        "no_kk": [f"99{base + k:014d}" for k in range(n)],
        "nik": [f"98{base + k:014d}" for k in range(n)],
    })  # fmt: skip
    b = a[rng.random(n) > 0.03].copy()  # 3 % left the list
    m = len(b)
    d1 = (b["desil"] == 1).to_numpy()
    up = d1 & (rng.random(m) < 0.25)
    b.loc[up, "desil"] = rng.integers(2, 11, int(up.sum()))
    down = ~d1 & (rng.random(m) < 0.006)
    b.loc[down, "desil"] = 1
    move = rng.random(m) < 0.02
    b.loc[move, "kode_desa"] = codes[rng.integers(0, len(codes), int(move.sum()))]
    newkk = rng.random(m) < 0.04
    b.loc[newkk, "no_kk"] = [f"97{base + k:014d}" for k in range(int(newkk.sum()))]
    split = newkk & (rng.random(m) < 0.25)
    b.loc[split, "nik"] = [f"96{base + k:014d}" for k in range(int(split.sum()))]
    k_new = int(0.03 * n)
    new = pd.DataFrame({
        "kode_desa": codes[rng.integers(0, len(codes), k_new)],
        "desil": rng.integers(1, 11, k_new).astype("int64"),
        "no_kk": [f"95{base + k:014d}" for k in range(k_new)],
        "nik": [f"94{base + k:014d}" for k in range(k_new)],
    })  # fmt: skip
    b = pd.concat([b.drop(columns="i"), new], ignore_index=True)
    b.insert(0, "i", np.arange(len(b), dtype="int64"))
    # i unique per snapshot across provinces
    a["i"] += p * 10**8
    b["i"] += p * 10**8
    return hash_kunci(a, salt), hash_kunci(b, salt)


def _frames(client, share: float, salt: bytes):
    import dask
    import dask.dataframe as dd

    n = round(N_NATION * share / N_PROV)
    t = time.perf_counter()
    pairs = [dask.delayed(_snapshot_pair, nout=2)(p, n, salt) for p in range(N_PROV)]
    meta_a, meta_b = _snapshot_pair(0, 10, salt)
    a = dd.from_delayed([x[0] for x in pairs], meta=meta_a.iloc[:0]).persist()
    b = dd.from_delayed([x[1] for x in pairs], meta=meta_b.iloc[:0]).persist()
    na, nb = dask.compute(a.shape[0], b.shape[0])
    return a, b, na, nb, time.perf_counter() - t


def nation(share: float) -> None:
    import secrets

    from targeting.banding_dask import perubahan_desa_dask
    from targeting.engine_dask import dask_client

    salt = secrets.token_bytes(16)
    print(f"\nNation: Dask engine, LocalCluster of 2 worker processes, {share:.0%} of 10 million "
          f"families per snapshot, {N_PROV} province partitions, {N_DESA:,} desa codes")  # fmt: skip
    with dask_client(None, n_workers=2) as client:
        a, b, na, nb, gen = _frames(client, share, salt)
        t = time.perf_counter()
        import dask.dataframe as dd

        rows = len(dd.merge(a, b, on="no_kk", how="inner"))
        bare = time.perf_counter() - t
        peak_bare = max(client.run(_rss_mb).values())
    with dask_client(None, n_workers=2) as client:
        a, b, _, _, _ = _frames(client, share, salt)
        t = time.perf_counter()
        table, info = perubahan_desa_dask(a, b)
        lokus = time.perf_counter() - t
        peak = max(client.run(_rss_mb).values())
    print(f"families {na:,} -> {nb:,}; generated and hashed in {gen:.1f} s")
    print(f"bare dask.dataframe.merge on hashed No KK: {bare:.1f} s ({rows:,} rows); "
          f"largest worker peak {peak_bare:.0f} MB")  # fmt: skip
    print(f"Lokus pairing (No KK, then head NIK, duplicates excluded) + per-desa counts: {lokus:.1f} s; "
          f"ratio {lokus / bare:.1f}; largest worker peak {peak:.0f} MB")  # fmt: skip
    print(f"pairs per key {info}; desa with a count {len(table):,}; "
          f"desil 1 {int(table['desil_1_sebelum'].sum()):,} -> {int(table['desil_1_sesudah'].sum()):,}")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nation", type=float, default=0.0,
                    help="also run the nation scale on this share of 10 million families")  # fmt: skip
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    district()
    if args.nation:
        nation(args.nation)


if __name__ == "__main__":
    main()
