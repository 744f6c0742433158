"""Compare household snapshots over time: who left desil 1, who entered, per desa.

A :class:`Perbandingan` takes two or more :class:`targeting.snapshot.Snapshot` of one region,
oldest first, and follows each family from one snapshot to the next:

1. **Keys, in order** (:data:`KUNCI`): the P3KE family id, else the No KK, else the head's
   NIK. Each key is compared as a keyed BLAKE2b hash (:func:`hashlib.blake2b`, 8 bytes) with a
   salt drawn for the run (:func:`secrets.token_bytes`) and kept in memory only: no output
   carries an identifier or its hash. A key value held by two families of one snapshot is not
   used for either (it could pair the wrong family); a later key may still pair them.
2. **Members** (files with one row per person on both sides): a family still unpaired is paired
   with the unpaired family of the other snapshot that holds most of its members (by member
   NIK; ties by row order), one to one. This follows a household whose No KK changed when it
   split or merged. In a family-level file members cannot be followed, and the reason says so.
3. Every family of each snapshot ends in exactly one place: paired (with the key that paired
   it) or unpaired with its reason. The accounting is a :class:`geo.ledger.Ledger` per side,
   checked (``rows_in == rows_used + rows_rejected``), with families in place of rows.

Counts per desa (:data:`KOLOM_DESA`) for a pair (before A, after B), desil-1 families only:

- ``desil_1_sebelum`` = ``tetap_desil_1`` + ``keluar_desil_1`` + ``pindah_desa`` +
  ``tidak_lagi_di_daftar`` (the desa of A);
- ``desil_1_sesudah`` = ``tetap_desil_1`` + ``masuk_desil_1`` + ``pindah_ke_desa_ini`` +
  ``baru_di_daftar`` (the desa of B).

``keluar_desil_1``: paired, desil 1 in A and not in B (the desil it went to is in the
transition matrix); ``masuk_desil_1``: paired, desil 1 in B from another desil of A;
``tetap_desil_1``: desil 1 in both, same desa; ``pindah_desa``: desil 1 in both, another desa
in B (counted in A's desa; ``pindah_ke_desa_ini`` counts it in B's); ``tidak_lagi_di_daftar``:
desil 1 in A, unpaired; ``baru_di_daftar``: desil 1 in B, unpaired (new in the list).

P3KE (desil 1-4, 2022) and DTSEN (desil 1-10, Inpres 4/2025) both rank the poorest tenth
nationally as desil 1; a P3KE and a DTSEN snapshot are compared at desil 1 and at "desil 1-4"
only (:data:`KELAS_CAMPUR`), never desil by desil above 1.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.columns import ALIASES
from geo.errors import PerbandinganError
from geo.ledger import Ledger, rejections
from geo.sheets import ROW_COL
from geo.text import fold
from targeting.export import to_csv_bytes
from targeting.snapshot import Snapshot

__all__ = [
    "CATATAN_SKALA",
    "CATATAN_STRATEGI",
    "KOLOM_DESA",
    "KUNCI",
    "DataMasuk",
    "Langkah",
    "Pencocokan",
    "Perbandingan",
    "bandingkan",
    "berkas_banding",
    "cocokkan",
    "kunci_keluarga",
    "muat_banding",
    "uraian_strategi",
    "write_banding",
]

KUNCI = ("id_keluarga_p3ke", "no_kk", "nik_kepala")
"""Keys that pair a family across snapshots, in order of trust."""

NAMA_KUNCI = {
    "id_keluarga_p3ke": "id keluarga P3KE",
    "no_kk": "No KK",
    "nik_kepala": "NIK kepala keluarga",
    "anggota": "anggota keluarga (NIK anggota)",
}
"""Words for each key in reports."""

KOLOM_DESA = (
    "desil_1_sebelum", "desil_1_sesudah", "keluar_desil_1", "masuk_desil_1", "tetap_desil_1",
    "pindah_desa", "tidak_lagi_di_daftar", "baru_di_daftar", "pindah_ke_desa_ini",
)  # fmt: skip
"""Per-desa counts of one comparison, in the order of ``perubahan_desa.csv``."""

KELAS_CAMPUR = {1: "1", 2: "2-4", 3: "2-4", 4: "2-4"}
"""Desil classes when a P3KE (1-4) and a DTSEN (1-10) snapshot are compared; 5-10 -> ``5-10``."""

CATATAN_SKALA = (
    "Data P3KE (desil 1-4) dan DTSEN (desil 1-10) dibandingkan hanya pada desil 1 dan "
    "'desil 1-4': keduanya menyebut desil 1 sebagai sepersepuluh termiskin nasional, tetapi "
    "desil 2-4 P3KE dan DTSEN tidak setara satu per satu."
)
"""Said wherever a P3KE and a DTSEN snapshot are compared."""

CATATAN_STRATEGI = (
    "Ini uraian, bukan taksiran dampak program: desa yang menerima sub kegiatan dipilih karena "
    "keadaannya, dan perubahan desil juga terjadi karena pemutakhiran data, pindah, dan "
    "sebab lain."
)
"""Caveat of the strategy description, on screen and in every export."""

ALASAN = {
    "tidak_ditemukan": "tidak ditemukan di data {lain} lewat id keluarga P3KE, No KK, maupun NIK kepala keluarga",
    "per_keluarga": "; berkas per keluarga: bila KK pecah atau bergabung, anggotanya tidak dapat diikuti",
    "anggota_terpakai": "; anggotanya ada di keluarga lain yang sudah dipasangkan (KK pecah atau bergabung)",
    "ganda": "; {kunci} yang sama dipakai lebih dari satu keluarga dalam data ini, tidak dipakai untuk memasangkan",
    "ditolak_impor": "; id keluarga, No KK atau NIK-nya ada di baris data {lain} yang ditolak saat impor (lihat baris_ditolak.csv): mungkin masih di daftar",
}  # fmt: skip
"""Reasons an unpaired family is listed with."""


def _alias(frame: pd.DataFrame, canonical: str) -> str | None:
    """Find the column of ``frame`` that holds ``canonical`` (its name or an alias), if any."""
    for name in (canonical, *ALIASES.get(canonical, ())):
        if name in frame.columns:
            return name
    return None


def _digits(values: pd.Series) -> pd.Series:
    """Keep the digits of NIK / No KK as compared; blank -> <NA>."""
    text = values.astype("string").str.replace(r"\D", "", regex=True)
    return text.mask(text.str.len() == 0)


def _folded(values: pd.Series) -> pd.Series:
    """Family ids as compared: folded (:func:`geo.text.fold`), blank -> <NA>."""
    text = values.astype("string").map(lambda v: fold(v) if isinstance(v, str) else v)
    text = text.astype("string")
    return text.mask(text.str.len() == 0)


def _hash(values: pd.Series, salt: bytes) -> pd.Series:
    """Keyed BLAKE2b (8 bytes, as int64) of each value; <NA> stays <NA>."""
    out = pd.Series(pd.NA, index=values.index, dtype="Int64")
    ok = values.notna().to_numpy()
    digests = [
        int.from_bytes(
            hashlib.blake2b(v.encode(), digest_size=8, key=salt).digest(), "big", signed=True
        )
        for v in values[ok]
    ]
    out[ok] = np.asarray(digests, dtype="int64")
    return out


def kunci_keluarga(snapshot: Snapshot, salt: bytes) -> pd.DataFrame:
    """List the families of a snapshot with their keys hashed, nothing personal kept.

    Parameters
    ----------
    snapshot : Snapshot
        A loaded snapshot (its used families, :attr:`Placement.keluarga`).
    salt : bytes
        Key of the hash (16 bytes or more, drawn per run; never written).

    Returns
    -------
    pandas.DataFrame
        One row per used family, in the snapshot's order: ``baris`` (the family's row, its
        head's in a person-level file), ``kode_desa``, ``desil`` (int64), the keys of
        :data:`KUNCI` (Int64 hashes, <NA> where blank or absent from the file) and
        ``anggota`` (list of Int64 hashes of member NIKs; empty for a family-level file).
    """
    k = snapshot.placement.keluarga
    out = pd.DataFrame(
        {
            "baris": k["_baris"].to_numpy().astype("int64"),
            "kode_desa": k["kode_desa"].astype(str).to_numpy(),
            "desil": k["desil"].astype("int64").to_numpy(),
        }
    )
    raw = {
        "id_keluarga_p3ke": _folded(k["id_keluarga_p3ke"]) if "id_keluarga_p3ke" in k else None,
        "no_kk": _digits(k["no_kk"]) if "no_kk" in k else None,
        "nik_kepala": _digits(k["nik"]) if "nik" in k else None,
    }
    for key, values in raw.items():
        out[key] = (
            _hash(values, salt).to_numpy()
            if values is not None
            else pd.array([pd.NA] * len(k), "Int64")
        )
    out["anggota"] = (
        _members(snapshot, k, salt) if snapshot.check.per_individu else [[] for _ in range(len(k))]
    )
    return out


def kunci_ditolak(snapshot: Snapshot, salt: bytes) -> frozenset[int]:
    """Hashed family ids, No KK and NIK written in the rows a snapshot's import rejected.

    Parameters
    ----------
    snapshot : Snapshot
        A loaded snapshot.
    salt : bytes
        The key of :func:`kunci_keluarga` (same run).

    Returns
    -------
    frozenset of int
        Hashes; a family of another snapshot holding one is unpaired perhaps only because its
        row here was rejected, and its reason says so.
    """
    sheet = snapshot.sheet.frame
    if ROW_COL not in sheet.columns:  # a snapshot rebuilt from the workspace keeps no raw rows
        return frozenset()
    rows = pd.to_numeric(snapshot.ditolak.get("baris", pd.Series(dtype="object")), errors="coerce")
    part = sheet[sheet[ROW_COL].astype("int64").isin(set(rows.dropna().astype("int64")))]
    out: set[int] = set()
    for canonical, clean in (("id_keluarga_p3ke", _folded), ("no_kk", _digits), ("nik", _digits)):
        col = _alias(part, canonical)
        if col is not None and len(part):
            out.update(int(h) for h in _hash(clean(part[col]), salt).dropna())
    return frozenset(out)


def _members(snapshot: Snapshot, k: pd.DataFrame, salt: bytes) -> list[list[int]]:
    """Hashed NIK of every member of each family of a person-level file."""
    sheet = snapshot.sheet.frame
    col = _alias(sheet, "nik")
    if col is None:
        return [[] for _ in range(len(k))]
    nik = _hash(_digits(sheet[col]), salt)
    by_row = dict(zip(sheet[ROW_COL].astype("int64"), nik, strict=True))
    out = []
    for rows in k["_baris_semua"].astype(str):
        hashes = [by_row.get(int(r)) for r in rows.split(";") if r]
        out.append(sorted({int(h) for h in hashes if h is not None and not pd.isna(h)}))
    return out


@dataclass(frozen=True)
class Pencocokan:
    """How the families of two snapshots were paired.

    Attributes
    ----------
    pasangan : pandas.DataFrame
        One row per pair: ``i_sebelum``, ``i_sesudah`` (positions in each snapshot's
        :func:`kunci_keluarga` frame) and ``kunci`` (:data:`KUNCI` or ``"anggota"``).
    tidak_sebelum, tidak_sesudah : pandas.DataFrame
        Unpaired families of each side: ``i`` (position) and ``alasan``.
    ledger_sebelum, ledger_sesudah : Ledger
        Family accounting of each side: families in, paired, unpaired with reason; checked.
    """

    pasangan: pd.DataFrame
    tidak_sebelum: pd.DataFrame
    tidak_sesudah: pd.DataFrame
    ledger_sebelum: Ledger
    ledger_sesudah: Ledger

    def per_kunci(self) -> dict[str, int]:
        """Pairs per key, every key of :data:`KUNCI` and ``anggota`` listed (0 if unused)."""
        counts = self.pasangan["kunci"].value_counts()
        return {key: int(counts.get(key, 0)) for key in (*KUNCI, "anggota")}


def _pair_on(a: pd.DataFrame, b: pd.DataFrame, key: str) -> tuple[pd.DataFrame, set[int], set[int]]:
    """Pair unpaired rows of ``a`` and ``b`` on one hashed key held by one family per side."""
    sa, sb = a[key].dropna(), b[key].dropna()
    dup_a = set(sa.index[sa.duplicated(keep=False)])
    dup_b = set(sb.index[sb.duplicated(keep=False)])
    sa, sb = sa[~sa.duplicated(keep=False)], sb[~sb.duplicated(keep=False)]
    m = pd.DataFrame({"k": sa.to_numpy(), "i_sebelum": sa.index}).merge(
        pd.DataFrame({"k": sb.to_numpy(), "i_sesudah": sb.index}), on="k"
    )
    return m[["i_sebelum", "i_sesudah"]].assign(kunci=key), dup_a, dup_b


def _pair_members(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Pair unpaired families by the members they share, most shared first, one to one."""
    ea = a["anggota"].explode().dropna()
    eb = b["anggota"].explode().dropna()
    if ea.empty or eb.empty:
        return pd.DataFrame({"i_sebelum": [], "i_sesudah": [], "kunci": []})
    shared = pd.DataFrame({"m": ea.to_numpy(), "i_sebelum": ea.index}).merge(
        pd.DataFrame({"m": eb.to_numpy(), "i_sesudah": eb.index}), on="m"
    )
    n = shared.groupby(["i_sebelum", "i_sesudah"]).size().rename("n").reset_index()
    n = n.sort_values(["n", "i_sebelum", "i_sesudah"], ascending=[False, True, True], kind="stable")
    chosen, used_a, used_b = [], set(), set()
    for ia, ib in zip(n["i_sebelum"], n["i_sesudah"], strict=True):
        if ia not in used_a and ib not in used_b:
            chosen.append((ia, ib))
            used_a.add(ia)
            used_b.add(ib)
    return pd.DataFrame(chosen, columns=["i_sebelum", "i_sesudah"]).assign(kunci="anggota")


def cocokkan(
    a: pd.DataFrame,
    b: pd.DataFrame,
    *,
    berkas: tuple[str, str] = ("", ""),
    ditolak: tuple[frozenset[int], frozenset[int]] = (frozenset(), frozenset()),
) -> Pencocokan:
    """Pair the families of two snapshots: keys in order, then members.

    Parameters
    ----------
    a, b : pandas.DataFrame
        :func:`kunci_keluarga` frames of the earlier and the later snapshot (same salt).
    berkas : tuple of str
        File names of the two snapshots (for the ledgers).
    ditolak : tuple of frozenset of int
        :func:`kunci_ditolak` of the two snapshots (named in the reasons of unpaired families).

    Returns
    -------
    Pencocokan
        Its two ledgers checked.

    Raises
    ------
    LedgerError
        If a family is paired twice or lost (a defect of Lokus).
    """
    pairs, ganda_a, ganda_b = [], {}, {}
    left_a, left_b = a, b
    for key in KUNCI:
        m, dup_a, dup_b = _pair_on(left_a, left_b, key)
        for i in dup_a:
            ganda_a.setdefault(i, key)
        for i in dup_b:
            ganda_b.setdefault(i, key)
        pairs.append(m)
        left_a = left_a.drop(index=m["i_sebelum"])
        left_b = left_b.drop(index=m["i_sesudah"])
    m = _pair_members(left_a, left_b)
    pairs.append(m)
    pasangan = pd.concat(pairs, ignore_index=True).astype(
        {"i_sebelum": "int64", "i_sesudah": "int64"}
    )
    pasangan = pasangan.sort_values("i_sebelum", kind="stable").reset_index(drop=True)
    per_orang = bool(a["anggota"].map(len).sum()) and bool(b["anggota"].map(len).sum())
    tidak_a = _unpaired(a, pasangan["i_sebelum"], b, ganda_a, "sesudah", per_orang, ditolak[1])
    tidak_b = _unpaired(b, pasangan["i_sesudah"], a, ganda_b, "sebelum", per_orang, ditolak[0])
    return Pencocokan(
        pasangan=pasangan,
        tidak_sebelum=tidak_a,
        tidak_sesudah=tidak_b,
        ledger_sebelum=_ledger(a, pasangan["i_sebelum"], tidak_a, berkas[0]),
        ledger_sesudah=_ledger(b, pasangan["i_sesudah"], tidak_b, berkas[1]),
    )


def _unpaired(
    side: pd.DataFrame,
    paired: pd.Series,
    other: pd.DataFrame,
    ganda: dict,
    lain: str,
    per_orang: bool,
    ditolak_lain: frozenset[int] = frozenset(),
) -> pd.DataFrame:
    """Unpaired families of one side with their reason."""
    rest = side.index.difference(pd.Index(paired))
    base = ALASAN["tidak_ditemukan"].format(lain=lain)
    taken = set(other["anggota"].explode().dropna()) if per_orang else set()
    reasons = []
    for i in rest:
        text = base
        if i in ganda:
            text += ALASAN["ganda"].format(kunci=NAMA_KUNCI[ganda[i]])
        if not per_orang:
            text += ALASAN["per_keluarga"]
        elif taken.intersection(side.at[i, "anggota"]):
            text += ALASAN["anggota_terpakai"]
        if ditolak_lain and (
            any(not pd.isna(side.at[i, k]) and int(side.at[i, k]) in ditolak_lain for k in KUNCI)
            or ditolak_lain.intersection(side.at[i, "anggota"])
        ):
            text += ALASAN["ditolak_impor"].format(lain=lain)
        reasons.append(text)
    return pd.DataFrame({"i": np.asarray(rest, dtype="int64"), "alasan": reasons})


def _ledger(side: pd.DataFrame, paired: pd.Series, tidak: pd.DataFrame, berkas: str) -> Ledger:
    """Family accounting of one side of a pairing (families, not rows), checked."""
    used = int(pd.Index(paired).isin(side.index).sum())
    if pd.Index(paired).has_duplicates:
        used = -1  # a family paired twice can never add up
    ditolak = pd.DataFrame(
        {
            "baris": side.loc[tidak["i"], "baris"].to_numpy(),
            "kolom": "",
            "nilai": "",
            "kode": "tidak_dipasangkan",
            "alasan": tidak["alasan"].to_numpy(),
        }
    )
    return Ledger.stage(
        berkas, rows_in=len(side), used=used, ditolak=rejections(ditolak, berkas=berkas)
    ).check()


@dataclass(frozen=True)
class Langkah:
    """One comparison: an earlier and a later snapshot.

    Attributes
    ----------
    sebelum, sesudah : int
        Positions of the two snapshots in :attr:`Perbandingan.snapshots`.
    pencocokan : Pencocokan
        How their families were paired.
    desa : pandas.DataFrame
        One row per desa of the region: ``kode_desa``, ``desa``, ``kecamatan``, ``kode_kecamatan``,
        :data:`KOLOM_DESA`, ``keluarga_sebelum`` / ``keluarga_sesudah`` (the denominators),
        ``penyebut_sebelum`` / ``penyebut_sesudah`` (their source), ``persen_desil_1_sebelum`` /
        ``persen_desil_1_sesudah`` (percent, NaN without a denominator), ``desil_1_4_sebelum`` /
        ``desil_1_4_sesudah`` and ``perubahan_desil_1`` (after minus before).
    transisi : pandas.DataFrame
        District desil x desil matrix: index ``dari`` (desil of A, or ``baru``), columns the
        desil of B and ``tidak_lagi``; classes of :data:`KELAS_CAMPUR` when the scales differ.
    skala_campur : bool
        True when one snapshot is P3KE (1-4) and the other DTSEN (1-10).
    """

    sebelum: int
    sesudah: int
    pencocokan: Pencocokan
    desa: pd.DataFrame
    transisi: pd.DataFrame
    skala_campur: bool


def _denominator(
    snapshot: Snapshot, families: pd.DataFrame, codes: pd.Series
) -> tuple[pd.Series, str]:
    """Families per desa at the snapshot's date: its family table, else the families listed."""
    if snapshot.keluarga_desa is not None:
        total = snapshot.keluarga_desa.set_index("kode_desa")["keluarga_total"]
        return codes.map(total).astype("float64"), "keluarga_desa"
    return codes.map(families["kode_desa"].value_counts()).fillna(0).astype(
        "float64"
    ), "daftar_keluarga"


def _desa_counts(a: pd.DataFrame, b: pd.DataFrame, p: Pencocokan) -> dict[str, pd.Series]:
    """Per-desa desil-1 counts as :data:`KOLOM_DESA` (value counts of desa codes)."""
    pa = a.loc[p.pasangan["i_sebelum"], ["kode_desa", "desil"]].reset_index(drop=True)
    pb = b.loc[p.pasangan["i_sesudah"], ["kode_desa", "desil"]].reset_index(drop=True)
    d1a, d1b = (pa["desil"] == 1).to_numpy(), (pb["desil"] == 1).to_numpy()
    same = (pa["kode_desa"] == pb["kode_desa"]).to_numpy()
    gone, new = a.loc[p.tidak_sebelum["i"]], b.loc[p.tidak_sesudah["i"]]
    return {
        "desil_1_sebelum": a.loc[a["desil"] == 1, "kode_desa"],
        "desil_1_sesudah": b.loc[b["desil"] == 1, "kode_desa"],
        "keluar_desil_1": pa.loc[d1a & ~d1b, "kode_desa"],
        "masuk_desil_1": pb.loc[~d1a & d1b, "kode_desa"],
        "tetap_desil_1": pa.loc[d1a & d1b & same, "kode_desa"],
        "pindah_desa": pa.loc[d1a & d1b & ~same, "kode_desa"],
        "tidak_lagi_di_daftar": gone.loc[gone["desil"] == 1, "kode_desa"],
        "baru_di_daftar": new.loc[new["desil"] == 1, "kode_desa"],
        "pindah_ke_desa_ini": pb.loc[d1a & d1b & ~same, "kode_desa"],
    }


def _desa_table(
    snaps: tuple[Snapshot, Snapshot], a: pd.DataFrame, b: pd.DataFrame, p: Pencocokan
) -> pd.DataFrame:
    """One row per desa of the region: counts, denominators, shares."""
    desa = pd.DataFrame(snaps[0].desa[["kode_desa", "desa", "kecamatan", "kode_kecamatan"]])
    desa = desa.sort_values("kode_desa", kind="stable").reset_index(drop=True)
    codes = desa["kode_desa"]
    for name, values in _desa_counts(a, b, p).items():
        desa[name] = codes.map(values.value_counts()).fillna(0).astype("int64")
    for side, snap, fam in (("sebelum", snaps[0], a), ("sesudah", snaps[1], b)):
        denom, source = _denominator(snap, fam, codes)
        desa[f"keluarga_{side}"] = denom
        desa[f"penyebut_{side}"] = source
        with np.errstate(divide="ignore", invalid="ignore"):
            share = 100 * desa[f"desil_1_{side}"] / denom.where(denom > 0)
        desa[f"persen_desil_1_{side}"] = share.round(2)
        desa[f"desil_1_4_{side}"] = (
            codes.map(fam.loc[fam["desil"] <= 4, "kode_desa"].value_counts())
            .fillna(0)
            .astype("int64")
        )
    desa["perubahan_desil_1"] = desa["desil_1_sesudah"] - desa["desil_1_sebelum"]
    return desa


def _kelas(desil: pd.Series, campur: bool) -> pd.Series:
    """Desil as a class label: itself, or :data:`KELAS_CAMPUR` across scales."""
    if not campur:
        return desil.astype("int64").astype(str)
    return desil.map(lambda d: KELAS_CAMPUR.get(int(d), "5-10"))


def _transition(
    a: pd.DataFrame, b: pd.DataFrame, p: Pencocokan, campur: bool, maks: tuple[int, int]
) -> pd.DataFrame:
    """District desil x desil matrix, with ``baru`` (row) and ``tidak_lagi`` (column)."""
    dari = pd.concat([_kelas(a.loc[p.pasangan["i_sebelum"], "desil"], campur).reset_index(drop=True),
                      _kelas(a.loc[p.tidak_sebelum["i"], "desil"], campur).reset_index(drop=True),
                      pd.Series(["baru"] * len(p.tidak_sesudah))], ignore_index=True)  # fmt: skip
    ke = pd.concat([_kelas(b.loc[p.pasangan["i_sesudah"], "desil"], campur).reset_index(drop=True),
                    pd.Series(["tidak_lagi"] * len(p.tidak_sebelum)),
                    _kelas(b.loc[p.tidak_sesudah["i"], "desil"], campur).reset_index(drop=True)],
                   ignore_index=True)  # fmt: skip
    if campur:
        rows, cols = ["1", "2-4", "5-10"], ["1", "2-4", "5-10"]
    else:
        rows, cols = (
            [str(d) for d in range(1, maks[0] + 1)],
            [str(d) for d in range(1, maks[1] + 1)],
        )
    table = pd.crosstab(dari, ke).reindex(
        index=[*rows, "baru"], columns=[*cols, "tidak_lagi"], fill_value=0
    )
    table.loc["baru", "tidak_lagi"] = 0
    table.index.name, table.columns.name = "dari", "ke"
    return table.astype("int64")


@dataclass(frozen=True)
class Perbandingan:
    """Snapshots of one region over time and the comparisons between them.

    Attributes
    ----------
    snapshots : tuple of Snapshot
        Oldest first (the order given).
    langkah : tuple of Langkah
        Each snapshot against the next, then (with three or more) the first against the last.
    kunci : tuple of pandas.DataFrame
        :func:`kunci_keluarga` of each snapshot (hashed keys; in memory only).
    """

    snapshots: tuple[Snapshot, ...]
    langkah: tuple[Langkah, ...]
    kunci: tuple[pd.DataFrame, ...] = field(repr=False)

    @property
    def keseluruhan(self) -> Langkah:
        """The first snapshot against the last: ``perubahan_desa.csv``."""
        return self.langkah[-1]

    def deret(self) -> pd.DataFrame:
        """Desil-1 families per desa at each snapshot (what remains; the line chart).

        Returns
        -------
        pandas.DataFrame
            ``kode_desa``, ``desa``, ``kecamatan``, then one int64 column per snapshot named by
            its date (``tanggal`` or ``data ke-<n>`` without one), one row per desa.
        """
        desa = pd.DataFrame(self.snapshots[0].desa[["kode_desa", "desa", "kecamatan"]])
        desa = desa.sort_values("kode_desa", kind="stable").reset_index(drop=True)
        for label, k in zip(self.label(), self.kunci, strict=True):
            desa[label] = (
                desa["kode_desa"]
                .map(k.loc[k["desil"] == 1, "kode_desa"].value_counts())
                .fillna(0)
                .astype("int64")
            )
        return desa

    def label(self) -> list[str]:
        """Label each snapshot: its date, numbered if two share one or it has none."""
        out = []
        for n, s in enumerate(self.snapshots, start=1):
            text = s.tanggal or f"data ke-{n}"
            out.append(text if text not in out else f"{text} ({n})")
        return out

    def tanggal_tidak_urut(self) -> list[tuple[str, str]]:
        """Consecutive snapshots whose dates run backwards (a file dated by its copy, say).

        Returns
        -------
        list of tuple of str
            ``(label_earlier, label_later)`` for each snapshot given after another but dated
            before it (or on the same day); empty when the dates run forward or are unknown.
        """
        labels, out = self.label(), []
        for i in range(len(self.snapshots) - 1):
            a, b = self.snapshots[i].tanggal, self.snapshots[i + 1].tanggal
            if a and b and b <= a:
                out.append((labels[i], labels[i + 1]))
        return out

    def skala_ditebak(self) -> list[str]:
        """Snapshots read as P3KE (1-4) only because no desil above 4 was seen, without P3KE ids.

        Returns
        -------
        list of str
            Labels of snapshots whose scale was detected (not given) as P3KE and that carry no
            P3KE family id: a DTSEN extract of desil 1-4 looks the same, and its desil 2-4 are
            not P3KE's. Empty when every such scale was given or the file has P3KE ids.
        """
        out = []
        for label, s, k in zip(self.label(), self.snapshots, self.kunci, strict=True):
            auto = s.provenance.parameter.get("impor", {}).get("skala_desil") == "auto"
            if auto and s.check.desil_scale == "p3ke" and k["id_keluarga_p3ke"].isna().all():
                out.append(label)
        return out

    def kabupaten(self) -> dict[str, Any]:
        """District totals of the overall comparison (sums of :attr:`Langkah.desa`)."""
        d = self.keseluruhan.desa
        out: dict[str, Any] = {c: int(d[c].sum()) for c in KOLOM_DESA}
        for side in ("sebelum", "sesudah"):
            total = d[f"keluarga_{side}"].sum()
            out[f"keluarga_{side}"] = int(total)
            out[f"persen_desil_1_{side}"] = (
                round(100 * out[f"desil_1_{side}"] / total, 2) if total else None
            )
        return out


def bandingkan(snapshots: Sequence[Snapshot], *, salt: bytes | None = None) -> Perbandingan:
    """Compare snapshots of one region, each with the next (and the first with the last).

    Parameters
    ----------
    snapshots : sequence of Snapshot
        Two or more, oldest first, of one region (same desa layer).
    salt : bytes, optional
        Hash key; default: 16 random bytes (:func:`secrets.token_bytes`). Outputs never
        depend on it.

    Returns
    -------
    Perbandingan

    Raises
    ------
    PerbandinganError
        Fewer than two snapshots, snapshots of different regions or desa layers, or a
        snapshot without one usable family (every row rejected, e.g. a file of another region).
    LedgerError
        If a pairing does not account for every family (a defect of Lokus).
    """
    snaps = tuple(snapshots)
    _check_same_region(snaps)
    _check_not_empty(snaps)
    salt = salt or secrets.token_bytes(16)
    keys = tuple(kunci_keluarga(s, salt) for s in snaps)
    rejected = tuple(kunci_ditolak(s, salt) for s in snaps)
    pairs = [(i, i + 1) for i in range(len(snaps) - 1)]
    if len(snaps) > 2:
        pairs.append((0, len(snaps) - 1))
    steps = []
    for i, j in pairs:
        names = (_berkas(snaps[i]), _berkas(snaps[j]))
        p = cocokkan(keys[i], keys[j], berkas=names, ditolak=(rejected[i], rejected[j]))
        scales = (snaps[i].check.desil_scale, snaps[j].check.desil_scale)
        campur = scales[0] != scales[1]
        steps.append(
            Langkah(
                sebelum=i, sesudah=j, pencocokan=p, skala_campur=campur,
                desa=_desa_table((snaps[i], snaps[j]), keys[i], keys[j], p),
                transisi=_transition(keys[i], keys[j], p, campur,
                                     (snaps[i].check.desil_max, snaps[j].check.desil_max)),
            )
        )  # fmt: skip
    return Perbandingan(snapshots=snaps, langkah=tuple(steps), kunci=keys)


def _berkas(s: Snapshot) -> str:
    item = s.provenance.input("keluarga_p3ke")
    return item.berkas if item is not None else ""


def _check_not_empty(snaps: tuple[Snapshot, ...]) -> None:
    """Raise when a snapshot kept no family: comparing it would report every family as gone."""
    for s in snaps:
        if s.families_used > 0:
            continue
        alasan = s.ledger.alasan()
        top = max(alasan, key=alasan.get) if alasan else "berkas kosong"
        msg = (
            f"{_berkas(s)}: tidak ada keluarga yang terpakai (semua {s.rows_rejected} baris "
            f"ditolak; alasan terbanyak: {top}). Periksa bahwa berkas ini data wilayah "
            f"{s.region.nama} ({s.region.kode})"
        )
        en = (
            f"{_berkas(s)}: no family was kept (all {s.rows_rejected} rows rejected; most common "
            f"reason: {top}); check that the file is of region {s.region.kode}"
        )
        raise PerbandinganError(msg, en=en)


def _check_same_region(snaps: tuple[Snapshot, ...]) -> None:
    """Raise unless there are two or more snapshots of one region and desa layer."""
    if len(snaps) < 2:
        msg = "perbandingan perlu sedikitnya dua data (sebelum dan sesudah); unggah atau berikan berkas kedua"
        en = "a comparison needs at least two snapshots (before and after); pass a second file"
        raise PerbandinganError(msg, en=en)
    first = set(snaps[0].desa["kode_desa"])
    for s in snaps[1:]:
        if s.region.kode != snaps[0].region.kode or set(s.desa["kode_desa"]) != first:
            msg = (
                f"{_berkas(s)}: wilayah atau batas desanya berbeda dari {_berkas(snaps[0])}; "
                "bandingkan data satu wilayah dengan batas desa yang sama"
            )
            en = (
                f"{_berkas(s)}: its region or desa layer differs from {_berkas(snaps[0])}; "
                "compare snapshots of one region with the same desa boundaries"
            )
            raise PerbandinganError(msg, en=en)


def per_kecamatan(desa: pd.DataFrame) -> pd.DataFrame:
    """Sum a :attr:`Langkah.desa` table per kecamatan (moves inside one kecamatan stay moves).

    Parameters
    ----------
    desa : pandas.DataFrame
        :attr:`Langkah.desa`.

    Returns
    -------
    pandas.DataFrame
        ``kode_kecamatan``, ``kecamatan``, :data:`KOLOM_DESA`, ``keluarga_sebelum``,
        ``keluarga_sesudah``, ``persen_desil_1_sebelum``, ``persen_desil_1_sesudah``,
        ``perubahan_desil_1``; one row per kecamatan.
    """
    cols = [*KOLOM_DESA, "keluarga_sebelum", "keluarga_sesudah", "perubahan_desil_1"]
    out = desa.groupby(["kode_kecamatan", "kecamatan"], sort=True)[cols].sum().reset_index()
    for side in ("sebelum", "sesudah"):
        total = out[f"keluarga_{side}"]
        out[f"persen_desil_1_{side}"] = (
            100 * out[f"desil_1_{side}"] / total.where(total > 0)
        ).round(2)
    return out


def uraian_strategi(desa: pd.DataFrame, register: pd.DataFrame) -> pd.DataFrame:
    """Desa with sub-activities of each strategy vs desa without: desil-1 counts (a description).

    Parameters
    ----------
    desa : pandas.DataFrame
        :attr:`Langkah.desa`.
    register : pandas.DataFrame
        :attr:`targeting.register.RegisterCheck.register` (``strategi``, ``lokus_kode``).

    Returns
    -------
    pandas.DataFrame
        Per strategy (``strategi``) and group (``kelompok``: ``dengan sub kegiatan`` /
        ``tanpa sub kegiatan``): ``desa``, ``desil_1_sebelum``, ``desil_1_sesudah``,
        ``keluar_desil_1``, ``perubahan_desil_1`` and ``persen_perubahan`` (percent of
        before); ``catatan`` carries :data:`CATATAN_STRATEGI` on every row. Not an estimate of
        effect: the groups were not chosen at random.
    """
    from targeting.interventions import lokus_long

    long = lokus_long(register)
    rows = []
    for k in sorted(long["strategi_kode"].dropna().astype(str).unique()):
        with_k = set(long.loc[long["strategi_kode"].astype(str) == k, "kode_desa"])
        mark = desa["kode_desa"].isin(with_k)
        for name, part in (
            ("dengan sub kegiatan", desa[mark]),
            ("tanpa sub kegiatan", desa[~mark]),
        ):
            before, after = int(part["desil_1_sebelum"].sum()), int(part["desil_1_sesudah"].sum())
            rows.append({"strategi": k, "kelompok": name, "desa": len(part),
                         "desil_1_sebelum": before, "desil_1_sesudah": after,
                         "keluar_desil_1": int(part["keluar_desil_1"].sum()),
                         "perubahan_desil_1": after - before,
                         "persen_perubahan": round(100 * (after - before) / before, 1) if before else np.nan,
                         "catatan": CATATAN_STRATEGI})  # fmt: skip
    return pd.DataFrame(rows)


def impor_ditolak_table(perbandingan: Perbandingan) -> pd.DataFrame:
    """Every row each file's import rejected, with its file and date (values masked).

    Parameters
    ----------
    perbandingan : Perbandingan

    Returns
    -------
    pandas.DataFrame
        ``tanggal``, then the import's rejected-row columns (:attr:`Snapshot.ditolak`, with ``berkas``).
    """
    labels, parts = perbandingan.label(), []
    for label, snap in zip(labels, perbandingan.snapshots, strict=True):
        part = snap.ditolak.copy()
        if "berkas" not in part.columns:
            part.insert(0, "berkas", _berkas(snap))
        part.insert(0, "tanggal", label)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def ditolak_table(perbandingan: Perbandingan) -> pd.DataFrame:
    """Every unpaired family of every comparison, without identifiers.

    Parameters
    ----------
    perbandingan : Perbandingan

    Returns
    -------
    pandas.DataFrame
        ``sebelum``, ``sesudah`` (dates), ``sisi`` (``sebelum``/``sesudah``), ``berkas``,
        ``baris`` (row in that file), ``kode_desa``, ``desil``, ``alasan``.
    """
    labels, parts = perbandingan.label(), []
    for step in perbandingan.langkah:
        p = step.pencocokan
        for sisi, idx, tidak in (
            ("sebelum", step.sebelum, p.tidak_sebelum),
            ("sesudah", step.sesudah, p.tidak_sesudah),
        ):
            k = perbandingan.kunci[idx].loc[tidak["i"]]
            parts.append(pd.DataFrame({
                "sebelum": labels[step.sebelum], "sesudah": labels[step.sesudah], "sisi": sisi,
                "berkas": _berkas(perbandingan.snapshots[idx]), "baris": k["baris"].to_numpy(),
                "kode_desa": k["kode_desa"].to_numpy(), "desil": k["desil"].to_numpy(),
                "alasan": tidak["alasan"].to_numpy(),
            }))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def report(perbandingan: Perbandingan, strategi: pd.DataFrame | None = None) -> dict[str, Any]:
    """Build the ``report.json`` of a comparison: ledgers, provenance, pairings.

    Parameters
    ----------
    perbandingan : Perbandingan
    strategi : pandas.DataFrame, optional
        :func:`uraian_strategi` of the overall comparison.

    Returns
    -------
    dict
        ``snapshot`` (per snapshot: label, date, desil scale, ledger counts and reasons,
        provenance), ``perbandingan`` (per comparison: pairs per key, ledgers of the pairing,
        district totals, whether scales are mixed with :data:`CATATAN_SKALA`), ``kabupaten``,
        ``deret_desil_1`` and ``strategi`` (with :data:`CATATAN_STRATEGI`). Counts, codes and
        file names only: no identifier, no hash, no salt.
    """
    labels = perbandingan.label()
    snaps = []
    for label, s in zip(labels, perbandingan.snapshots, strict=True):
        snaps.append({"label": label, "tanggal": s.tanggal, "skala_desil": s.check.desil_scale,
                      "keluarga_dipakai": s.families_used,
                      "ledger": {"baris_masuk": s.rows_in, "baris_dipakai": s.rows_used,
                                 "baris_ditolak": s.rows_rejected, "alasan": s.ledger.alasan()},
                      "provenance": s.provenance.to_report()})  # fmt: skip
    steps = []
    for step in perbandingan.langkah:
        p = step.pencocokan
        steps.append({
            "sebelum": labels[step.sebelum], "sesudah": labels[step.sesudah],
            "dipasangkan": len(p.pasangan), "dipasangkan_per_kunci": p.per_kunci(),
            "ledger_sebelum": _ledger_dict(p.ledger_sebelum), "ledger_sesudah": _ledger_dict(p.ledger_sesudah),
            "jumlah": {c: int(step.desa[c].sum()) for c in KOLOM_DESA},
            "skala_campur": step.skala_campur, "catatan_skala": CATATAN_SKALA if step.skala_campur else None,
        })  # fmt: skip
    deret = perbandingan.deret()
    return {
        "snapshot": snaps,
        "perbandingan": steps,
        "kabupaten": perbandingan.kabupaten(),
        "tanggal_tidak_urut": [list(p) for p in perbandingan.tanggal_tidak_urut()],
        "skala_ditebak_p3ke": perbandingan.skala_ditebak(),
        "deret_desil_1": {label: int(deret[label].sum()) for label in labels},
        "strategi": {"catatan": CATATAN_STRATEGI,
                     "uraian": [] if strategi is None else strategi.drop(columns="catatan").to_dict(orient="records")},
    }  # fmt: skip


def _ledger_dict(ledger: Ledger) -> dict[str, Any]:
    return {"keluarga_masuk": ledger.rows_in, "dipasangkan": ledger.used,
            "tidak_dipasangkan": ledger.rows_rejected, "alasan": ledger.alasan()}  # fmt: skip


def peta_perubahan(perbandingan: Perbandingan) -> gpd.GeoDataFrame:
    """Desa polygons (EPSG:4326) with the overall per-desa changes (``perubahan_desa.geojson``).

    Parameters
    ----------
    perbandingan : Perbandingan

    Returns
    -------
    geopandas.GeoDataFrame
        The columns of :attr:`Langkah.desa`, geometry of the first snapshot's desa layer.
    """
    desa = perbandingan.keseluruhan.desa
    geom = perbandingan.snapshots[0].desa.set_index("kode_desa").geometry
    return gpd.GeoDataFrame(desa, geometry=desa["kode_desa"].map(geom).to_numpy(), crs=4326)


def langkah_table(perbandingan: Perbandingan) -> pd.DataFrame:
    """Every comparison's per-desa rows, one block per comparison (``sebelum``, ``sesudah`` first)."""
    labels = perbandingan.label()
    parts = [
        s.desa.assign(sebelum=labels[s.sebelum], sesudah=labels[s.sesudah])
        for s in perbandingan.langkah
    ]
    table = pd.concat(parts, ignore_index=True)
    return table[
        ["sebelum", "sesudah", *[c for c in table.columns if c not in ("sebelum", "sesudah")]]
    ]


def transisi_table(perbandingan: Perbandingan) -> pd.DataFrame:
    """Flatten the overall transition matrix (``dari`` then one column per ``ke``)."""
    return perbandingan.keseluruhan.transisi.reset_index()


def berkas_banding(
    perbandingan: Perbandingan, strategi: pd.DataFrame | None = None
) -> dict[str, bytes]:
    """Render the comparison's files as bytes (CSV: UTF-8 with BOM, formulas neutralised).

    Parameters
    ----------
    perbandingan : Perbandingan
    strategi : pandas.DataFrame, optional
        :func:`uraian_strategi` (written as ``uraian_strategi.csv``, caveat on every row).

    Returns
    -------
    dict of str to bytes
        ``perubahan_desa.csv`` (first vs last snapshot, one row per desa, :data:`KOLOM_DESA`
        after ``kode_desa``), ``perubahan_kecamatan.csv``, ``transisi_desil.csv``,
        ``pencocokan_ditolak.csv``, ``baris_ditolak.csv`` (rows each import rejected),
        ``deret_desil_1.csv``, ``perubahan_langkah.csv`` (every
        comparison), ``uraian_strategi.csv`` (with a register), ``perubahan_desa.geojson``
        (EPSG:4326) and ``report.json``. The same inputs give the same bytes.
    """
    desa = perbandingan.keseluruhan.desa
    first = ["kode_desa", *KOLOM_DESA]
    tables = {
        "perubahan_desa.csv": desa[[*first, *[c for c in desa.columns if c not in first]]],
        "perubahan_kecamatan.csv": per_kecamatan(desa),
        "transisi_desil.csv": transisi_table(perbandingan),
        "pencocokan_ditolak.csv": ditolak_table(perbandingan),
        "baris_ditolak.csv": impor_ditolak_table(perbandingan),
        "deret_desil_1.csv": perbandingan.deret(),
        "perubahan_langkah.csv": langkah_table(perbandingan),
    }
    if strategi is not None:
        tables["uraian_strategi.csv"] = strategi
    out = {name: to_csv_bytes(table) for name, table in tables.items()}
    with tempfile.TemporaryDirectory() as tmp:  # a file path: the layer name is its stem
        path = Path(tmp) / "perubahan_desa.geojson"
        peta_perubahan(perbandingan).to_file(path, driver="GeoJSON", engine="pyogrio")
        out[path.name] = path.read_bytes()
    text = json.dumps(report(perbandingan, strategi), indent=2, ensure_ascii=False, default=str)
    out["report.json"] = (text + "\n").encode("utf-8")
    return out


def write_banding(
    perbandingan: Perbandingan, out: Path, strategi: pd.DataFrame | None = None
) -> list[Path]:
    """Write :func:`berkas_banding` into a folder (created if missing).

    Parameters
    ----------
    perbandingan : Perbandingan
    out : pathlib.Path
        Output folder.
    strategi : pandas.DataFrame, optional
        :func:`uraian_strategi`.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in berkas_banding(perbandingan, strategi).items():
        (out / name).write_bytes(data)
        paths.append(out / name)
    return paths


@dataclass(frozen=True)
class DataMasuk:
    """One household file to compare, as given.

    Attributes
    ----------
    sumber : path, bytes, binary file or Snapshot
        The P3KE/DTSEN file (CSV/XLSX), or a snapshot already loaded (e.g. one kept in the
        workspace, :func:`targeting.banding_ruang.data_ruang`), used as it is.
    nama : str or None
        File name (uploads).
    tanggal : str or None
        Date (ISO); default: a ``tanggal_data`` column, else the file's date.
    skala : {"auto", "p3ke", "dtsen"}
        Desil scale.
    keluarga_desa : path, bytes or binary file, optional
        All families per desa at this date (the denominator of its shares); default: the one
        given to :func:`muat_banding`, else the region's.
    """

    sumber: Any
    nama: str | None = None
    tanggal: str | None = None
    skala: str = "auto"
    keluarga_desa: Any = None


def muat_banding(
    region: Any,
    data: Sequence[DataMasuk],
    *,
    boundaries: Any = None,
    keluarga_desa: Any = None,
    register: Any = None,
) -> tuple[Perbandingan, pd.DataFrame | None]:
    """Load each file as a snapshot, compare them, describe by strategy (CLI and app).

    Parameters
    ----------
    region : geo.region.Region
        Region settings (desa layer, denominators and register by default).
    data : sequence of DataMasuk
        Two or more files, oldest first.
    boundaries, keluarga_desa, register : path, bytes or binary file, optional
        Desa layer, all families per desa, sub-activity register; default: the region's.

    Returns
    -------
    Perbandingan
    pandas.DataFrame or None
        :func:`uraian_strategi`, None without a register.

    Raises
    ------
    PerbandinganError, InputSchemaError, RegionError
        As :func:`bandingkan` and :func:`targeting.snapshot.load_snapshot`.
    """
    from targeting.register import read_register
    from targeting.snapshot import load_snapshot

    snaps = [
        d.sumber if isinstance(d.sumber, Snapshot) else
        load_snapshot(region, households=d.sumber, boundaries=boundaries,
                      keluarga_desa=d.keluarga_desa if d.keluarga_desa is not None else keluarga_desa,
                      names={"keluarga_p3ke": d.nama}, desil_scale=d.skala, tanggal=d.tanggal)
        for d in data
    ]  # fmt: skip
    perbandingan = bandingkan(snaps)
    register = register if register is not None else region.register
    if register is None:
        return perbandingan, None
    reg = read_register(register, snaps[0].desa)
    return perbandingan, uraian_strategi(perbandingan.keseluruhan.desa, reg.register)
