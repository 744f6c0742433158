"""Pairing families of two snapshots on the Dask engine (nation scale: millions of families).

The same rule as :func:`targeting.banding.cocokkan` for family-level files: keys in the order
of :data:`targeting.banding.KUNCI`, each a keyed hash; a key value held by more than one family
of a snapshot is not used for it. Each key is a shuffle join (``dask.dataframe.merge`` on the
hashed key) of the families still unpaired; an anti-join (a left merge with an indicator)
keeps the rest for the next key. The input partitions are provinces; the join repartitions by
the hash. Following split households through their members is left to the pandas engine (a
district at a time).

The per-desa counts (:data:`targeting.banding.KOLOM_DESA`) are aggregated on the cluster and
returned as one small pandas table (84,000 rows for the nation).
"""

from __future__ import annotations

import hashlib
from typing import Any

import dask.dataframe as dd
import numpy as np
import pandas as pd

from targeting.banding import KOLOM_DESA, KUNCI

__all__ = ["hash_kunci", "pasangkan_dask", "perubahan_desa_dask"]


def hash_kunci(part: pd.DataFrame, salt: bytes, kolom: tuple[str, ...] = ("no_kk", "nik")) -> pd.DataFrame:
    """Replace identifier columns of one partition by keyed BLAKE2b hashes (int64).

    Parameters
    ----------
    part : pandas.DataFrame
        A partition with the identifier columns (text; blank or <NA> for none).
    salt : bytes
        Hash key of the run (never written).
    kolom : tuple of str
        Columns hashed; ``nik`` becomes ``nik_kepala`` (the family's head).

    Returns
    -------
    pandas.DataFrame
        ``part`` without the identifier columns, with one Int64 column per key of
        :data:`targeting.banding.KUNCI` found (<NA> where blank).
    """
    out = part.drop(columns=[c for c in kolom if c in part.columns])
    for col in kolom:
        if col not in part.columns:
            continue
        values = part[col].astype("string").str.replace(r"\D", "", regex=True)
        ok = (values.str.len() > 0).fillna(False).to_numpy()
        hashed = np.zeros(len(part), dtype="int64")
        hashed[ok] = [
            int.from_bytes(hashlib.blake2b(v.encode(), digest_size=8, key=salt).digest(), "big", signed=True)
            for v in values[ok]
        ]
        name = "nik_kepala" if col == "nik" else col
        out[name] = pd.array(np.where(ok, hashed, 0), dtype="Int64")
        out.loc[~ok, name] = pd.NA
    return out


def _unique_on(frame: dd.DataFrame, key: str) -> dd.DataFrame:
    """Rows whose ``key`` is set and held by no other row (a semi-join on the value counts)."""
    have = frame[frame[key].notnull()].astype({key: "Int64"})
    counts = have[key].value_counts().rename("n").to_frame().reset_index()
    once = counts[counts["n"] == 1][[key]].astype({key: "Int64"})
    return have.merge(once, on=key, how="inner")


def _anti(frame: dd.DataFrame, paired: dd.DataFrame, col: str) -> dd.DataFrame:
    """Rows of ``frame`` whose ``i`` is not in ``paired[col]`` (left merge with indicator)."""
    marks = paired[[col]].rename(columns={col: "i"})
    merged = frame.merge(marks, on="i", how="left", indicator=True)
    return merged[merged["_merge"] == "left_only"].drop(columns="_merge")


def pasangkan_dask(a: dd.DataFrame, b: dd.DataFrame) -> dict[str, dd.DataFrame]:
    """Pair the families of two snapshots by hashed keys, key after key (lazy).

    Parameters
    ----------
    a, b : dask.dataframe.DataFrame
        Families of the earlier and the later snapshot: ``i`` (int64, unique per snapshot),
        ``kode_desa``, ``desil`` (int64) and hashed keys of :data:`targeting.banding.KUNCI`
        (Int64, <NA> where blank; a missing column is a key the file lacks).

    Returns
    -------
    dict
        ``pasangan`` (``i_sebelum``, ``kode_desa``, ``desil``, ``i_sesudah``,
        ``kode_desa_b``, ``desil_b``, ``kunci``), ``sisa_sebelum`` and ``sisa_sesudah`` (the
        unpaired families of each side, their columns): lazy Dask frames.
    """
    keep = ["i", "kode_desa", "desil"]
    rest_a, rest_b, pairs = a, b, []
    for key in KUNCI:
        if key not in a.columns or key not in b.columns:
            continue
        ua = _unique_on(rest_a[[*keep, key]], key).rename(columns={"i": "i_sebelum"})
        ub = _unique_on(rest_b[[*keep, key]], key).rename(
            columns={"i": "i_sesudah", "kode_desa": "kode_desa_b", "desil": "desil_b"}
        )
        m = ua.merge(ub, on=key, how="inner").drop(columns=key).assign(kunci=key)
        pairs.append(m)
        rest_a = _anti(rest_a, m, "i_sebelum")
        rest_b = _anti(rest_b, m, "i_sesudah")
    pasangan = dd.concat(pairs) if pairs else None
    return {"pasangan": pasangan, "sisa_sebelum": rest_a[keep], "sisa_sesudah": rest_b[keep]}


def perubahan_desa_dask(a: dd.DataFrame, b: dd.DataFrame, **compute: Any) -> tuple[pd.DataFrame, dict[str, int]]:
    """Per-desa desil-1 changes between two snapshots on Dask (:data:`KOLOM_DESA`).

    Parameters
    ----------
    a, b : dask.dataframe.DataFrame
        As :func:`pasangkan_dask`.
    **compute
        Passed to :func:`dask.compute` (e.g. ``scheduler="sync"``).

    Returns
    -------
    pandas.DataFrame
        ``kode_desa`` and :data:`targeting.banding.KOLOM_DESA` (int64), one row per desa with
        a family in either snapshot, sorted; the definitions of :mod:`targeting.banding`.
    dict
        Pairs per key, and ``tidak_sebelum`` / ``tidak_sesudah`` (unpaired families).
    """
    import dask

    r = pasangkan_dask(a, b)
    p, ga, nb = r["pasangan"], r["sisa_sebelum"], r["sisa_sesudah"]
    d1a, d1b = p["desil"] == 1, p["desil_b"] == 1
    same = p["kode_desa"] == p["kode_desa_b"]
    parts = {
        "desil_1_sebelum": a[a["desil"] == 1]["kode_desa"],
        "desil_1_sesudah": b[b["desil"] == 1]["kode_desa"],
        "keluar_desil_1": p[d1a & ~d1b]["kode_desa"],
        "masuk_desil_1": p[~d1a & d1b]["kode_desa_b"],
        "tetap_desil_1": p[d1a & d1b & same]["kode_desa"],
        "pindah_desa": p[d1a & d1b & ~same]["kode_desa"],
        "tidak_lagi_di_daftar": ga[ga["desil"] == 1]["kode_desa"],
        "baru_di_daftar": nb[nb["desil"] == 1]["kode_desa"],
        "pindah_ke_desa_ini": p[d1a & d1b & ~same]["kode_desa_b"],
    }
    lazy = {k: v.value_counts() for k, v in parts.items()}
    lazy["_kunci"] = p["kunci"].value_counts()
    lazy["_ga"], lazy["_nb"] = ga.shape[0], nb.shape[0]
    (done,) = dask.compute(lazy, **compute)
    codes = sorted(set().union(*(set(done[k].index) for k in KOLOM_DESA)))
    table = pd.DataFrame({k: done[k].reindex(codes, fill_value=0) for k in KOLOM_DESA})
    table = table.rename_axis("kode_desa").reset_index().astype(dict.fromkeys(KOLOM_DESA, "int64"))
    info = {str(k): int(v) for k, v in done["_kunci"].items()}
    info.update(tidak_sebelum=int(done["_ga"]), tidak_sesudah=int(done["_nb"]))
    return table, info
