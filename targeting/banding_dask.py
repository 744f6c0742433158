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


def hash_kunci(
    part: pd.DataFrame, salt: bytes, kolom: tuple[str, ...] = ("no_kk", "nik")
) -> pd.DataFrame:
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
            int.from_bytes(
                hashlib.blake2b(v.encode(), digest_size=8, key=salt).digest(), "big", signed=True
            )
            for v in values[ok]
        ]
        name = "nik_kepala" if col == "nik" else col
        out[name] = pd.array(np.where(ok, hashed, 0), dtype="Int64")
        out.loc[~ok, name] = pd.NA
    return out


def _pair_local(part: pd.DataFrame, key: str) -> pd.DataFrame:
    """Pair the rows of one shuffled partition (every row of a key value is here).

    ``part`` holds both snapshots (``sisi`` 0 before, 1 after). A key value held by exactly
    one family on each side pairs them. Returns ``part`` with ``i_pasangan`` (the partner's
    ``i``, -1 when unpaired) and, on the earlier side, the partner's ``kode_desa_b`` and
    ``desil_b``.
    """
    counts = part.groupby([key, "sisi"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=[0, 1], fill_value=0)
    ok = counts.index[(counts[0] == 1) & (counts[1] == 1)]
    rows = part[part[key].isin(ok)]
    a = rows[rows["sisi"] == 0][["i", key]]
    b = rows[rows["sisi"] == 1][["i", "kode_desa", "desil", key]]
    pairs = a.merge(b, on=key, suffixes=("", "_b"))
    out = part.assign(i_pasangan=np.int64(-1), kode_desa_b=None, desil_b=np.int64(0))
    side_a = (out["sisi"] == 0).to_numpy()
    partner = pd.Series(pairs["i_b"].to_numpy(), index=pairs["i"].to_numpy())
    back = pd.Series(pairs["i"].to_numpy(), index=pairs["i_b"].to_numpy())
    pa = out["i"].map(partner).where(side_a)
    pb = out["i"].map(back).where(~side_a)
    out["i_pasangan"] = pa.fillna(pb).fillna(-1).astype("int64")
    desa_b = pd.Series(pairs["kode_desa_b"].to_numpy() if "kode_desa_b" in pairs else pairs["kode_desa"].to_numpy(),
                       index=pairs["i"].to_numpy())  # fmt: skip
    desil_b = pd.Series(pairs["desil_b"].to_numpy() if "desil_b" in pairs else pairs["desil"].to_numpy(),
                        index=pairs["i"].to_numpy())  # fmt: skip
    out["kode_desa_b"] = out["i"].map(desa_b).where(side_a).astype(object)
    out["desil_b"] = out["i"].map(desil_b).where(side_a).fillna(0).astype("int64")
    return out


def _pairs_of(marked: pd.DataFrame, key: str) -> pd.DataFrame:
    """Take the pairs out of a :func:`_pair_local` partition (one row per pair)."""
    p = marked[(marked["sisi"] == 0) & (marked["i_pasangan"] >= 0)]
    out = pd.DataFrame({"i_sebelum": p["i"], "kode_desa": p["kode_desa"], "desil": p["desil"],
                        "i_sesudah": p["i_pasangan"], "kode_desa_b": p["kode_desa_b"],
                        "desil_b": p["desil_b"], "kunci": key})  # fmt: skip
    return out.astype(_PAIR_META)


def _rest_of(marked: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Keep the unpaired rows of a :func:`_pair_local` partition, in the input's columns."""
    return marked.loc[marked["i_pasangan"] < 0, columns]


_PAIR_META = {"i_sebelum": "int64", "kode_desa": "object", "desil": "int64", "i_sesudah": "int64",
              "kode_desa_b": "object", "desil_b": "int64", "kunci": "object"}  # fmt: skip


def pasangkan_dask(a: dd.DataFrame, b: dd.DataFrame) -> dict[str, dd.DataFrame]:
    """Pair the families of two snapshots by hashed keys, key after key (one shuffle per key).

    Both snapshots are put in one frame (``sisi`` 0/1) and shuffled on the key, so that every
    row of a key value lands in one partition; there each value held by exactly one family per
    side pairs them (:func:`_pair_local`), and the rest goes on to the next key. Rows without
    the key skip the shuffle.

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
        ``kode_desa_b``, ``desil_b``, ``kunci``), ``sisa_sebelum`` and ``sisa_sesudah``
        (``i``, ``kode_desa``, ``desil`` of the unpaired families): Dask frames, persisted.
    """
    keys = [k for k in KUNCI if k in a.columns and k in b.columns]
    cols = ["i", "kode_desa", "desil", *keys]
    n = max(a.npartitions, b.npartitions)  # fewer, larger tasks than a plain concat's
    rest = (
        dd.concat([a[cols].assign(sisi=0), b[cols].assign(sisi=1)])
        .repartition(npartitions=n)
        .persist()
    )
    pairs = []
    for key in keys:
        have = rest[rest[key].notnull()].shuffle(on=key, npartitions=n).persist()
        meta = pd.DataFrame({c: pd.Series(dtype=t) for c, t in _PAIR_META.items()})
        marked_meta = _pair_local(have._meta, key)
        marked = have.map_partitions(_pair_local, key, meta=marked_meta).persist()
        m = marked.map_partitions(_pairs_of, key, meta=meta)
        left = marked.map_partitions(_rest_of, list(have.columns), meta=have._meta)
        rest = dd.concat([rest[rest[key].isnull()], left]).repartition(npartitions=n).persist()
        pairs.append(m)
    pasangan = (
        dd.concat(pairs) if pairs else dd.from_pandas(pd.DataFrame(_PAIR_META), npartitions=1)
    )
    keep = ["i", "kode_desa", "desil"]
    return {"pasangan": pasangan, "sisa_sebelum": rest[rest["sisi"] == 0][keep],
            "sisa_sesudah": rest[rest["sisi"] == 1][keep]}  # fmt: skip


def perubahan_desa_dask(
    a: dd.DataFrame, b: dd.DataFrame, **compute: Any
) -> tuple[pd.DataFrame, dict[str, int]]:
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
    meta = pd.DataFrame({"kode_desa": pd.Series(dtype=object), "kolom": pd.Series(dtype=object),
                         "n": pd.Series(dtype="int64")})  # fmt: skip
    long = dd.concat([
        a.map_partitions(_counts_snapshot, "desil_1_sebelum", meta=meta),
        b.map_partitions(_counts_snapshot, "desil_1_sesudah", meta=meta),
        r["sisa_sebelum"].map_partitions(_counts_snapshot, "tidak_lagi_di_daftar", meta=meta),
        r["sisa_sesudah"].map_partitions(_counts_snapshot, "baru_di_daftar", meta=meta),
        r["pasangan"].map_partitions(_counts_pairs, meta=meta),
    ])  # fmt: skip
    lazy = {"n": long.groupby(["kode_desa", "kolom"])["n"].sum(), "kunci": r["pasangan"]["kunci"].value_counts(),
            "ga": r["sisa_sebelum"].shape[0], "nb": r["sisa_sesudah"].shape[0]}  # fmt: skip
    (done,) = dask.compute(lazy, **compute)
    wide = done["n"].unstack("kolom", fill_value=0).reindex(columns=list(KOLOM_DESA), fill_value=0)
    table = (
        wide.sort_index()
        .rename_axis("kode_desa")
        .reset_index()
        .astype(dict.fromkeys(KOLOM_DESA, "int64"))
    )
    table.columns.name = None
    info = {str(k): int(v) for k, v in done["kunci"].items()}
    info.update(tidak_sebelum=int(done["ga"]), tidak_sesudah=int(done["nb"]))
    return table, info


def _long(codes: pd.Series, kolom: str) -> pd.DataFrame:
    """Value counts of desa codes as long rows (``kode_desa``, ``kolom``, ``n``)."""
    vc = codes.value_counts()
    return pd.DataFrame(
        {"kode_desa": vc.index.astype(object), "kolom": kolom, "n": vc.to_numpy().astype("int64")}
    )


def _counts_snapshot(part: pd.DataFrame, kolom: str) -> pd.DataFrame:
    """Desil-1 families per desa of one partition of families."""
    return _long(part.loc[part["desil"] == 1, "kode_desa"], kolom)


def _counts_pairs(p: pd.DataFrame) -> pd.DataFrame:
    """Count the paired columns of :data:`KOLOM_DESA` per desa in one partition of pairs."""
    d1a, d1b = p["desil"] == 1, p["desil_b"] == 1
    same = p["kode_desa"] == p["kode_desa_b"]
    parts = [
        _long(p.loc[d1a & ~d1b, "kode_desa"], "keluar_desil_1"),
        _long(p.loc[~d1a & d1b, "kode_desa_b"], "masuk_desil_1"),
        _long(p.loc[d1a & d1b & same, "kode_desa"], "tetap_desil_1"),
        _long(p.loc[d1a & d1b & ~same, "kode_desa"], "pindah_desa"),
        _long(p.loc[d1a & d1b & ~same, "kode_desa_b"], "pindah_ke_desa_ini"),
    ]
    return pd.concat(parts, ignore_index=True)
