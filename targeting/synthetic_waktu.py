"""Later SYNTHETIC snapshots of Kayong Utara: the same synthetic families, moved on in time.

The embedded sample (:mod:`targeting.synthetic`, ``p3ke_keluarga_SINTETIS.csv.gz``) is the
first snapshot, dated :data:`TANGGAL_AWAL`. This module draws two more from it, seeded:

- ``p3ke_keluarga_SINTETIS_2024-06-30.csv.gz``: P3KE desil 1-4, same layout. Some desil-1
  families moved up, some families fell into desil 1, some moved to another desa, some left the
  list, some are new, and some kept their P3KE id under a new No KK.
- ``dtsen_keluarga_SINTETIS_2025-03-31.csv.gz``: DTSEN desil 1-10 without the P3KE id column
  (DTSEN has none), so families are followed by No KK, else the head's NIK. Besides the moves
  above, some families changed No KK with the same head (followed by NIK) and some changed
  both No KK and head (a split household in a family-level file: it cannot be followed and
  counts as gone and new).
- ``perubahan_SINTETIS.json``: the ground truth: per pair of snapshots, per desa, the counts
  :mod:`targeting.banding` must reproduce, computed here from the generator's own hidden
  family number (never from the identifiers the comparison uses).

Every identifier is synthetic: NIK and No KK start with ``99`` (no such province), as in
:mod:`targeting.synthetic`. Rebuild with ``python -m targeting.synthetic_waktu``; the same seed
gives byte-identical files, and the first snapshot is only read, never rewritten.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "BERKAS_KEBENARAN",
    "TANGGAL_AWAL",
    "SnapshotSintetis",
    "WaktuSettings",
    "generate_snapshots",
    "perubahan_desa_kebenaran",
    "write_snapshots",
]

TANGGAL_AWAL = "2023-12-31"
"""Date given to the embedded P3KE sample as the first snapshot (it carries no date column)."""

BERKAS_KEBENARAN = "perubahan_SINTETIS.json"
"""File name of the ground truth beside the snapshots."""

KOLOM_DESA = (
    "desil_1_sebelum", "desil_1_sesudah", "keluar_desil_1", "masuk_desil_1", "tetap_desil_1",
    "pindah_desa", "tidak_lagi_di_daftar", "baru_di_daftar", "pindah_ke_desa_ini",
)  # fmt: skip
"""Per-desa counts of a comparison (their meaning: :mod:`targeting.banding`)."""


@dataclass(frozen=True)
class WaktuSettings:
    """Settings of the later synthetic snapshots.

    Attributes
    ----------
    seed : int
        Seed of the generator; the defaults built the committed files.
    tanggal : tuple of str
        Dates (ISO) of the second and third snapshot.
    """

    seed: int = 20250331
    tanggal: tuple[str, str] = ("2024-06-30", "2025-03-31")


@dataclass(frozen=True)
class SnapshotSintetis:
    """One synthetic snapshot in memory.

    Attributes
    ----------
    berkas : str
        File name it is written under.
    tanggal : str
        Date (ISO).
    skala : str
        ``"p3ke"`` (desil 1-4) or ``"dtsen"`` (1-10).
    baris : pandas.DataFrame
        The file's rows, every cell text.
    uid : numpy.ndarray
        Hidden family number of each row (not written to the file).
    """

    berkas: str
    tanggal: str
    skala: str
    baris: pd.DataFrame
    uid: np.ndarray


def _desa_table(first: pd.DataFrame) -> pd.DataFrame:
    """Each desa of the sample with its names and the points of its families (for moves)."""
    return first.drop_duplicates("kode_kemdagri")[["kode_kemdagri", "desa_kelurahan", "kecamatan"]]


def _move(
    rng: np.random.Generator, rows: pd.DataFrame, idx: np.ndarray, donors: pd.DataFrame
) -> None:
    """Move families ``idx`` to another desa: its code, names and a point of one of its families."""
    desa = _desa_table(donors)
    codes = desa["kode_kemdagri"].to_numpy()
    for i in idx:
        here = rows.at[i, "kode_kemdagri"]
        code = rng.choice(codes[codes != here])
        pool = donors[donors["kode_kemdagri"] == code]
        with_point = pool[pool["lintang"] != ""]
        rows.at[i, "kode_kemdagri"] = code
        rows.at[i, "desa_kelurahan"] = pool["desa_kelurahan"].iloc[0]
        rows.at[i, "kecamatan"] = pool["kecamatan"].iloc[0]
        if len(with_point) and rows.at[i, "lintang"] != "":
            donor = with_point.iloc[int(rng.integers(len(with_point)))]
            rows.at[i, "lintang"], rows.at[i, "bujur"] = donor["lintang"], donor["bujur"]
        else:
            rows.at[i, "lintang"], rows.at[i, "bujur"] = "", ""


class _Numbers:
    """Fresh synthetic NIK / No KK / ids, never used before (prefix 99: no real province)."""

    def __init__(self, start: int) -> None:
        self.n = start

    def next(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n:08d}"


def _pick(rng: np.random.Generator, pool: np.ndarray, share: float) -> np.ndarray:
    """Draw ``share`` of ``pool`` without replacement, sorted."""
    k = round(len(pool) * share)
    return np.sort(rng.choice(pool, size=k, replace=False)) if k else pool[:0]


def _step(
    rng: np.random.Generator,
    rows: pd.DataFrame,
    uid: np.ndarray,
    nums: _Numbers,
    donors: pd.DataFrame,
    *,
    naik: dict[int, float],
    skala_max: int,
    baru: tuple[int, dict[int, float]],
    kunci_putus: float,
) -> tuple[pd.DataFrame, np.ndarray, set[int]]:
    """Move one snapshot on: leave, climb, fall, move desa, change No KK, split, new.

    Returns the next rows, their hidden numbers and the hidden numbers whose link is broken
    (No KK and head both changed: the comparison cannot follow them).
    """
    keep = np.ones(len(rows), dtype=bool)
    keep[_pick(rng, np.arange(len(rows)), 0.03)] = False  # left the list
    rows, uid = rows[keep].reset_index(drop=True).copy(), uid[keep]
    desil = rows["desil_kesejahteraan"].astype(int).to_numpy().copy()
    d1 = np.flatnonzero(desil == 1)
    up = _pick(rng, d1, 0.3)
    to = rng.choice(list(naik), size=len(up), p=list(naik.values()))
    desil[up] = to
    down = _pick(
        rng, np.flatnonzero((desil > 1) & (desil <= 4) & ~np.isin(np.arange(len(desil)), up)), 0.006
    )
    desil[down] = 1
    rows["desil_kesejahteraan"] = desil.astype(str)
    moved = np.union1d(
        _pick(rng, np.flatnonzero(desil == 1), 0.06), _pick(rng, np.arange(len(rows)), 0.01)
    )
    _move(rng, rows, moved, donors)
    kk = _pick(rng, np.arange(len(rows)), 0.03)  # new No KK, same head
    rows.loc[kk, "no_kk"] = [nums.next("99110199") for _ in kk]
    rest = np.setdiff1d(np.arange(len(rows)), kk)
    split = _pick(rng, rest, kunci_putus)  # new No KK and a new head
    rows.loc[split, "no_kk"] = [nums.next("99110199") for _ in split]
    rows.loc[split, "nik"] = [nums.next("99110188") for _ in split]
    n_new, p_new = baru
    new = rows.iloc[rng.choice(len(rows), size=n_new, replace=False)].copy().reset_index(drop=True)
    new["desil_kesejahteraan"] = rng.choice(list(p_new), size=n_new, p=list(p_new.values())).astype(
        str
    )
    new["no_kk"] = [nums.next("99110199") for _ in range(n_new)]
    new["nik"] = [nums.next("99110188") for _ in range(n_new)]
    if "id_keluarga_p3ke" in new.columns:
        new["id_keluarga_p3ke"] = [f"P3KE-SIN-B{nums.next('')}" for _ in range(n_new)]
    new_uid = np.arange(n_new) + int(uid.max()) + 1 + 10_000 * (skala_max == 10)
    out = pd.concat([rows, new], ignore_index=True)
    return out, np.concatenate([uid, new_uid]), set(uid[split].tolist())


def generate_snapshots(
    first_file: Path, settings: WaktuSettings = WaktuSettings()
) -> tuple[list[SnapshotSintetis], dict[str, object]]:
    """Build the second and third snapshot from the first, and the ground truth.

    Parameters
    ----------
    first_file : pathlib.Path
        The embedded P3KE sample (``p3ke_keluarga_SINTETIS.csv.gz``), read as text.
    settings : WaktuSettings, optional
        Seed and dates.

    Returns
    -------
    list of SnapshotSintetis
        The three snapshots (the first as read), oldest first.
    dict
        The ground truth (:data:`BERKAS_KEBENARAN`): per pair, per desa, the counts.
    """
    rng = np.random.default_rng(settings.seed)
    first = pd.read_csv(first_file, dtype=str, keep_default_na=False)
    uid1 = np.arange(len(first))
    nums = _Numbers(0)
    s1 = SnapshotSintetis(first_file.name, TANGGAL_AWAL, "p3ke", first, uid1)
    rows2, uid2, putus2 = _step(
        rng, first.copy(), uid1, nums, first, naik={2: 0.6, 3: 0.3, 4: 0.1}, skala_max=4,
        baru=(260, {1: 0.15, 2: 0.3, 3: 0.25, 4: 0.3}), kunci_putus=0.0,
    )  # fmt: skip
    rows2.insert(len(rows2.columns) - 1, "tanggal_data", settings.tanggal[0])
    s2 = SnapshotSintetis(
        f"p3ke_keluarga_SINTETIS_{settings.tanggal[0]}.csv.gz",
        settings.tanggal[0],
        "p3ke",
        rows2,
        uid2,
    )
    base3 = rows2.drop(columns=["id_keluarga_p3ke", "tanggal_data"])
    rows3, uid3, putus3 = _step(
        rng, base3, uid2, nums, first, naik={2: 0.35, 3: 0.25, 4: 0.15, 5: 0.15, 6: 0.1},
        skala_max=10, baru=(1500, {1: 0.03, 2: 0.05, 3: 0.04, 4: 0.03, 5: 0.2, 6: 0.2, 7: 0.15, 8: 0.12, 9: 0.1, 10: 0.08}),
        kunci_putus=0.01,
    )  # fmt: skip
    rows3.insert(len(rows3.columns) - 1, "tanggal_data", settings.tanggal[1])
    s3 = SnapshotSintetis(
        f"dtsen_keluarga_SINTETIS_{settings.tanggal[1]}.csv.gz",
        settings.tanggal[1],
        "dtsen",
        rows3,
        uid3,
    )
    assert not putus2
    snaps = [s1, s2, s3]
    truth: dict[str, object] = {
        "SINTETIS": True,
        "keterangan": "Kebenaran dasar perubahan antar data yang ditanam oleh targeting.synthetic_waktu",
        "seed": settings.seed,
        "snapshot": [
            {"berkas": s.berkas, "tanggal": s.tanggal, "skala_desil": s.skala} for s in snaps
        ],
        "pasangan": [
            _pair_truth(snaps, a, b, putus3 if b == 2 else set())
            for a, b in ((0, 1), (1, 2), (0, 2))
        ],
    }
    return snaps, truth


def _state(s: SnapshotSintetis) -> pd.DataFrame:
    """Hidden number -> desa, desil, identifiers of one snapshot."""
    kode = s.baris["kode_kemdagri"].str.replace(
        r"^(\d\d)(\d\d)(\d\d)(\d{4})$", r"\1.\2.\3.\4", regex=True
    )
    cols = {"kode_desa": kode, "desil": s.baris["desil_kesejahteraan"].astype(int),
            "no_kk": s.baris["no_kk"], "nik": s.baris["nik"]}  # fmt: skip
    return pd.DataFrame(cols).set_index(pd.Index(s.uid, name="uid"))


def _pair_truth(
    snaps: list[SnapshotSintetis], a: int, b: int, putus: set[int]
) -> dict[str, object]:
    """Ground truth of one pair: linked by hidden number unless the link was broken."""
    sa, sb = _state(snaps[a]), _state(snaps[b])
    linked = sa.index.intersection(sb.index).difference(pd.Index(sorted(putus)))
    both_id = snaps[a].skala == "p3ke" and snaps[b].skala == "p3ke"
    same_kk = sa.loc[linked, "no_kk"].to_numpy() == sb.loc[linked, "no_kk"].to_numpy()
    kunci = {"id_keluarga_p3ke": len(linked)} if both_id else {
        "no_kk": int(same_kk.sum()), "nik_kepala": int((~same_kk).sum())
    }  # fmt: skip
    desa = perubahan_desa_kebenaran(sa, sb, linked)
    return {
        "sebelum": snaps[a].berkas,
        "sesudah": snaps[b].berkas,
        "cocok": len(linked),
        "cocok_per_kunci": kunci,
        "tidak_cocok_sebelum": len(sa) - len(linked),
        "tidak_cocok_sesudah": len(sb) - len(linked),
        "desa": desa.to_dict(orient="records"),
    }


def perubahan_desa_kebenaran(sa: pd.DataFrame, sb: pd.DataFrame, linked: pd.Index) -> pd.DataFrame:
    """Per-desa counts from hidden numbers (the generator's own tally, for the ground truth).

    Parameters
    ----------
    sa, sb : pandas.DataFrame
        Indexed by hidden family number: ``kode_desa``, ``desil``.
    linked : pandas.Index
        Hidden numbers followed from ``sa`` to ``sb``.

    Returns
    -------
    pandas.DataFrame
        ``kode_desa`` and :data:`KOLOM_DESA`, one row per desa in either snapshot, sorted.
    """
    pair = sa.loc[linked, ["kode_desa", "desil"]].join(
        sb.loc[linked, ["kode_desa", "desil"]].add_suffix("_b")
    )
    gone = sa.loc[sa.index.difference(linked)]
    new = sb.loc[sb.index.difference(linked)]
    d1a, d1b = pair["desil"] == 1, pair["desil_b"] == 1
    same = pair["kode_desa"] == pair["kode_desa_b"]
    parts = {
        "desil_1_sebelum": sa.loc[sa["desil"] == 1, "kode_desa"],
        "desil_1_sesudah": sb.loc[sb["desil"] == 1, "kode_desa"],
        "keluar_desil_1": pair.loc[d1a & ~d1b, "kode_desa"],
        "masuk_desil_1": pair.loc[~d1a & d1b, "kode_desa_b"],
        "tetap_desil_1": pair.loc[d1a & d1b & same, "kode_desa"],
        "pindah_desa": pair.loc[d1a & d1b & ~same, "kode_desa"],
        "tidak_lagi_di_daftar": gone.loc[gone["desil"] == 1, "kode_desa"],
        "baru_di_daftar": new.loc[new["desil"] == 1, "kode_desa"],
        "pindah_ke_desa_ini": pair.loc[d1a & d1b & ~same, "kode_desa_b"],
    }
    codes = sorted(set(sa["kode_desa"]) | set(sb["kode_desa"]))
    table = pd.DataFrame(
        {k: v.value_counts().reindex(codes, fill_value=0) for k, v in parts.items()}
    )
    return table.rename_axis("kode_desa").reset_index().astype(dict.fromkeys(KOLOM_DESA, "int64"))


def write_snapshots(out_dir: Path, settings: WaktuSettings = WaktuSettings()) -> list[Path]:
    """Write the second and third snapshot and the ground truth beside the first.

    Parameters
    ----------
    out_dir : pathlib.Path
        The region folder holding ``p3ke_keluarga_SINTETIS.csv.gz`` (only read).
    settings : WaktuSettings, optional
        Seed and dates.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    snaps, truth = generate_snapshots(out_dir / "p3ke_keluarga_SINTETIS.csv.gz", settings)
    paths = []
    for s in snaps[1:]:
        path = out_dir / s.berkas
        s.baris.to_csv(
            path, index=False, lineterminator="\n", compression={"method": "gzip", "mtime": 0}
        )
        paths.append(path)
    path = out_dir / BERKAS_KEBENARAN
    path.write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return [*paths, path]


if __name__ == "__main__":  # pragma: no cover - rebuild by hand
    for p in write_snapshots(Path(__file__).resolve().parent.parent / "data" / "kayong_utara"):
        print(p)
