"""Programme recipients by name: coverage per family and targeting accuracy per sub-activity.

A **recipient list** (daftar penerima) names, per sub-activity, the families it reached: one row
per family (``id_keluarga_p3ke``, or ``no_kk`` / ``nik``) x ``kode_sub_kegiatan``, with an
optional ``tahun`` and ``volume``. :func:`baca_penerima` reads it with the ledger rules (every
row used or rejected with file, sheet, row, column, value and reason). :func:`cakupan` then
answers the district's per-family questions:

- which eligible desil-1 families were reached by at least one sub-activity of each Inpres
  4/2022 strategy, and which were reached by **nothing** ("belum tersentuh"), per desa;
- per sub-activity, the two standard errors of targeting (Cornia & Stewart 1993, "Two errors
  of targeting", *Journal of International Development* 5(5); Coady, Grosh & Hoddinott 2004,
  *Targeting of Transfers in Developing Countries*, World Bank, ch. 2): the **inclusion error**
  (leakage), recipients outside the target group (here: outside desil 1-4) as a count and a
  share of the recipients; the **exclusion error** (under-coverage), eligible families (desil 1,
  not verified ``tidak layak``) of the sub-activity's area (its loci; the whole district for a
  district-wide one) that it did not reach, as a count and a share of the eligible;
- the same family listed twice by one sub-activity (and year), flagged and counted once.

Without a recipient list, coverage falls back to the register's loci: a family counts as
reached by a sub-activity located in its desa. That is an upper bound (a desa in the loci does
not mean every family in it was reached; the register's volume caps it) and every output says
so in ``sumber``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo.errors import VerifikasiError
from geo.ledger import Ledger, rejections
from geo.sheets import grids_from_bytes
from geo.text import fold

__all__ = [
    "SUMBER_CAMPURAN",
    "SUMBER_DAFTAR",
    "SUMBER_LOKUS",
    "Cakupan",
    "DaftarPenerima",
    "baca_penerima",
    "cakupan",
]

SUMBER_DAFTAR = "daftar penerima"
SUMBER_LOKUS = (
    "lokus register (tanpa daftar penerima): keluarga dihitung terjangkau bila desanya menjadi "
    "lokus sub kegiatan; batas atas, bukan penerima nyata"
)
SUMBER_CAMPURAN = (
    "daftar penerima untuk sub kegiatan yang ada di daftar; lokus register (batas atas, bukan "
    "penerima nyata) untuk sub kegiatan register yang tidak ada di daftar"
)

_ALIAS = {
    "id_keluarga_p3ke": ("id_keluarga_p3ke", "id_keluarga", "idkeluarga", "id_p3ke"),
    "no_kk": ("no_kk", "nomor_kk", "no_kartu_keluarga", "nomor_kartu_keluarga", "kk"),
    "nik": ("nik", "nik_kepala_keluarga", "nik_kk"),
    "kode_sub_kegiatan": ("kode_sub_kegiatan", "kode_subkegiatan", "sub_kegiatan", "kode_sub"),
    "tahun": ("tahun", "tahun_anggaran"),
    "volume": ("volume", "jumlah", "volume_bantuan"),
}
_KUNCI = ("id_keluarga_p3ke", "no_kk", "nik")

ALASAN = {
    "id_kosong": "tidak ada id_keluarga_p3ke, no_kk maupun nik",
    "tidak_dikenal": "keluarga tidak ditemukan di data P3KE yang dimuat (periksa id/NIK/No KK)",
    "sub_kosong": "kode_sub_kegiatan kosong",
    "sub_tidak_dikenal": "kode_sub_kegiatan tidak ada di register sub kegiatan",
    "penerima_ganda": "keluarga yang sama tercatat lagi untuk sub kegiatan dan tahun ini; "
    "dihitung sekali",
    "volume_tidak_sah": "volume bukan angka",
    "kunci_ganda": "No KK / NIK ini milik lebih dari satu keluarga di data P3KE; tulis "
    "id_keluarga_p3ke-nya",
}
"""Reason code -> sentence of each rejected recipient row."""


@dataclass
class DaftarPenerima:
    """A recipient list as read.

    Attributes
    ----------
    penerima : pandas.DataFrame
        One row per family x sub-activity (x year) used: ``id_keluarga_p3ke``, ``kode_desa``,
        ``desil``, ``kode_sub_kegiatan``, ``tahun`` (text, may be empty), ``volume`` (float,
        NaN when absent), ``berkas``, ``lembar``, ``baris``.
    ledger : Ledger
        ``rows_in == rows_used + rows_rejected``; duplicates are rejected with
        ``penerima_ganda``.
    """

    penerima: pd.DataFrame
    ledger: Ledger
    ganda: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Rows that repeat a family within one sub-activity (and year): ``id_keluarga_p3ke``,
    ``kode_sub_kegiatan``, ``tahun``, ``berkas``, ``lembar``, ``baris`` (also in the ledger,
    ``penerima_ganda``)."""


def _canon(text: object) -> str:
    return re.sub(r"[^0-9a-z]+", "_", fold(text)).strip("_")


def _header(rows: list[list[str | None]]) -> tuple[int, dict[str, int]] | None:
    """Find the header row (within the first 20) and the column of each known field."""
    lookup = {alias: name for name, aliases in _ALIAS.items() for alias in aliases}
    for r, row in enumerate(rows[:20]):
        cols: dict[str, int] = {}
        for c, cell in enumerate(row):
            name = lookup.get(_canon(cell))
            if name and name not in cols:
                cols[name] = c
        if "kode_sub_kegiatan" in cols and any(k in cols for k in _KUNCI):
            return r, cols
    return None


def _digits(value: object) -> str:
    return re.sub(r"\D", "", str(value or ""))


def baca_penerima(
    data: bytes, nama: str, keluarga: pd.DataFrame, kode_sub: set[str] | None = None
) -> DaftarPenerima:
    """Read a recipient list (CSV or XLSX, every sheet with a recipient header).

    Parameters
    ----------
    data : bytes
        File content.
    nama : str
        File name (for the ledger).
    keluarga : pandas.DataFrame
        Placed P3KE families: ``id_keluarga_p3ke``, ``kode_desa``, ``desil`` and, when the
        file names families by them, ``no_kk`` / ``nik`` (compared as digits).
    kode_sub : set of str, optional
        Sub-activity codes of the register; a code outside it is rejected. None: any code.

    Returns
    -------
    DaftarPenerima

    Raises
    ------
    InputSchemaError
        If the file cannot be read (:func:`geo.sheets.grids_from_bytes`).
    VerifikasiError
        If no sheet has a ``kode_sub_kegiatan`` column and an id column.
    """
    grids = grids_from_bytes(data, label=nama)
    index = _family_index(keluarga)
    used: list[dict[str, object]] = []
    rejected: list[dict[str, object]] = []
    rows_in = 0
    found = False
    seen: set[tuple[str, str, str]] = set()
    dup: list[dict[str, object]] = []
    for lembar, grid in grids.items():
        head = _header(grid.rows)
        if head is None:
            continue
        found = True
        r0, cols = head
        lembar_name = "" if lembar == "csv" else lembar
        for r in range(r0 + 1, len(grid.rows)):
            row = grid.rows[r]
            cells = {k: (row[c] or "").strip() if c < len(row) and row[c] else ""
                     for k, c in cols.items()}  # fmt: skip
            if not any(cells.values()):
                continue
            rows_in += 1
            where = {"berkas": nama, "lembar": lembar_name, "baris": r + 1}
            kode, kolom, nilai, fam = _judge(cells, index, kode_sub, seen)
            if kode == "penerima_ganda":
                dup.append({"id_keluarga_p3ke": fam["id_keluarga_p3ke"],
                            "kode_sub_kegiatan": cells["kode_sub_kegiatan"],
                            "tahun": cells.get("tahun", ""), **where})  # fmt: skip
            if kode is not None:
                rejected.append({**where, "kolom": kolom, "nilai": nilai, "kode": kode,
                                 "alasan": ALASAN[kode]})  # fmt: skip
                continue
            used.append({**fam, "kode_sub_kegiatan": cells["kode_sub_kegiatan"],
                         "tahun": cells.get("tahun", ""),
                         "volume": _float(cells.get("volume", "")), **where})  # fmt: skip
    if not found:
        msg = (
            f"{nama}: tidak ada lembar dengan kolom kode_sub_kegiatan dan id_keluarga_p3ke, "
            "no_kk atau nik. Templat: id_keluarga_p3ke (atau no_kk / nik), kode_sub_kegiatan, "
            "tahun, volume."
        )
        en = f"{nama}: no sheet with kode_sub_kegiatan and id_keluarga_p3ke/no_kk/nik columns"
        raise VerifikasiError(msg, en=en)
    cols_out = ["id_keluarga_p3ke", "kode_desa", "desil", "kode_sub_kegiatan", "tahun",
                "volume", "berkas", "lembar", "baris"]  # fmt: skip
    penerima = pd.DataFrame(used, columns=cols_out)
    ledger = Ledger.stage(nama, rows_in=rows_in, used=len(penerima),
                          ditolak=rejections(rejected, berkas=nama))  # fmt: skip
    ganda = pd.DataFrame(dup, columns=["id_keluarga_p3ke", "kode_sub_kegiatan", "tahun",
                                       "berkas", "lembar", "baris"])  # fmt: skip
    return DaftarPenerima(penerima, ledger.check(), ganda)


def _float(text: str) -> float:
    if not text:
        return np.nan
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return np.nan


def _family_index(keluarga: pd.DataFrame) -> dict[str, dict[str, dict[str, object] | None]]:
    """Per key kind, the key -> the family's id, desa and desil (None: shared by two)."""
    base = keluarga[["id_keluarga_p3ke", "kode_desa", "desil"]].copy()
    base["id_keluarga_p3ke"] = base["id_keluarga_p3ke"].astype(str).str.strip()
    records = base.to_dict("records")
    index: dict[str, dict[str, dict[str, object] | None]] = {
        "id_keluarga_p3ke": {r["id_keluarga_p3ke"]: r for r in records}
    }
    for col in ("no_kk", "nik"):
        if col in keluarga.columns:
            keys = keluarga[col].map(_digits).tolist()
            index[col] = {}
            for k, r in zip(keys, records, strict=True):
                if k:  # a number of two families: None, rejected as ambiguous (kunci_ganda)
                    index[col][k] = None if k in index[col] else r
    return index


def _judge(
    cells: dict[str, str], index: dict, kode_sub: set[str] | None, seen: set
) -> tuple[str | None, str, str, dict[str, object]]:
    """Judge one recipient row: (reason code or None, column, value, family)."""
    fam = None
    given = [k for k in _KUNCI if cells.get(k)]
    if not given:
        return "id_kosong", "; ".join(k for k in _KUNCI if k in cells), "", {}
    ambiguous = ""
    for k in given:
        key = cells[k].strip() if k == "id_keluarga_p3ke" else _digits(cells[k])
        fam = index.get(k, {}).get(key)
        if fam is not None:
            break
        if key in index.get(k, {}):
            ambiguous = k
    if fam is None and ambiguous:
        return "kunci_ganda", ambiguous, cells[ambiguous], {}
    if fam is None:
        return "tidak_dikenal", given[0], cells[given[0]], {}
    sub = cells.get("kode_sub_kegiatan", "")
    if not sub:
        return "sub_kosong", "kode_sub_kegiatan", "", {}
    if kode_sub is not None and sub not in kode_sub:
        return "sub_tidak_dikenal", "kode_sub_kegiatan", sub, {}
    if cells.get("volume") and np.isnan(_float(cells["volume"])):
        return "volume_tidak_sah", "volume", cells["volume"], {}
    key3 = (str(fam["id_keluarga_p3ke"]), sub, cells.get("tahun", ""))
    if key3 in seen:
        return "penerima_ganda", given[0], cells[given[0]], dict(fam)
    seen.add(key3)
    return None, "", "", dict(fam)


@dataclass
class Cakupan:
    """Coverage per family and targeting accuracy.

    Attributes
    ----------
    per_keluarga : pandas.DataFrame
        One row per eligible family (desil 1, not verified ``tidak layak``):
        ``id_keluarga_p3ke``, ``kode_desa``, ``strategi_1``..``strategi_3`` (bool: reached by
        a sub-activity of that Inpres strategy), ``jumlah_sub_kegiatan``, ``tersentuh``.
    per_strategi : pandas.DataFrame
        ``strategi``, ``keluarga_layak``, ``terjangkau``, ``persen`` (0-100), ``sumber``
        (``daftar``: the recipient list; ``lokus``: the register's loci, an upper bound, for
        sub-activities the list does not name; ``campuran``: both).
    belum_tersentuh : pandas.DataFrame
        Eligible families reached by nothing: ``kode_desa``, ``id_keluarga_p3ke``.
    belum_per_desa : pandas.DataFrame
        ``kode_desa``, ``keluarga_layak``, ``belum_tersentuh``, ``persen_belum`` (0-100).
    ketepatan : pandas.DataFrame
        Per sub-activity: ``kode_sub_kegiatan``, ``nama_sub_kegiatan``, ``strategi``,
        ``wilayah``, ``penerima``, ``penerima_ganda``, ``galat_inklusi`` (recipients outside
        desil 1-4), ``persen_inklusi``, ``keluarga_layak`` (in its area), ``galat_eksklusi``
        (eligible not reached), ``persen_eksklusi``, ``sumber``. Empty without a list.
    sumber : str
        :data:`SUMBER_DAFTAR`, :data:`SUMBER_LOKUS` (no list) or :data:`SUMBER_CAMPURAN` (a
        list naming only some of the register's sub-activities: the others by their loci).
    """

    per_keluarga: pd.DataFrame
    per_strategi: pd.DataFrame
    belum_tersentuh: pd.DataFrame
    belum_per_desa: pd.DataFrame
    ketepatan: pd.DataFrame
    sumber: str
    catatan: list[str] = field(default_factory=list)


def cakupan(
    keluarga: pd.DataFrame,
    register: pd.DataFrame | None,
    penerima: DaftarPenerima | None = None,
    *,
    tidak_layak: set[str] | frozenset[str] = frozenset(),
    desil_sasaran: int = 4,
    desa: pd.DataFrame | None = None,
) -> Cakupan:
    """Coverage per family, families reached by nothing, inclusion and exclusion errors.

    Parameters
    ----------
    keluarga : pandas.DataFrame
        Placed families: ``id_keluarga_p3ke``, ``kode_desa``, ``desil``.
    register : pandas.DataFrame or None
        :func:`targeting.interventions.lokus_long` of the register (``kode_sub_kegiatan``,
        ``nama_sub_kegiatan``, ``strategi``, ``kode_desa``); None: no strategy is known.
    penerima : DaftarPenerima, optional
        :func:`baca_penerima`; None falls back to the register's loci (:data:`SUMBER_LOKUS`).
    tidak_layak : set of str
        Family ids verified not eligible by the village meeting (not counted as eligible).
    desil_sasaran : int, default 4
        Highest desil of the target group for the inclusion error (P3KE: 1-4).
    desa : pandas.DataFrame, optional
        ``kode_desa``, ``desa``, ``kecamatan``: names added to ``belum_tersentuh`` and
        ``belum_per_desa`` (sorted by the number not reached, most first).

    Returns
    -------
    Cakupan

    Notes
    -----
    Definitions: Cornia & Stewart (1993); Coady, Grosh & Hoddinott (2004). Eligible = desil 1
    (extreme poverty, Inpres 4/2022) minus families verified not eligible.
    """
    fam = _dengan_id(keluarga)[["id_keluarga_p3ke", "kode_desa", "desil"]].copy()
    fam["id_keluarga_p3ke"] = fam["id_keluarga_p3ke"].astype(str).str.strip()
    layak = fam[(fam["desil"] == 1).fillna(False) & ~fam["id_keluarga_p3ke"].isin(tidak_layak)]
    lokus = register if register is not None else pd.DataFrame(
        columns=["kode_sub_kegiatan", "nama_sub_kegiatan", "strategi", "kode_desa"])  # fmt: skip
    reach, dari_lokus, sumber = _reach(layak, lokus, penerima)
    strat = lokus.drop_duplicates("kode_sub_kegiatan").set_index("kode_sub_kegiatan")["strategi"]
    reach = reach.assign(strategi=reach["kode_sub_kegiatan"].map(strat))
    per = _per_family(layak, reach)
    per_s = pd.DataFrame(
        [{"strategi": s, "keluarga_layak": len(per), "terjangkau": int(per[f"strategi_{s}"].sum()),
          "persen": _pct(per[f"strategi_{s}"].sum(), len(per)),
          "sumber": _sumber_strategi(s, strat, dari_lokus, penerima is not None)} for s in (1, 2, 3)]
    )  # fmt: skip
    belum = per.loc[~per["tersentuh"], ["kode_desa", "id_keluarga_p3ke"]].reset_index(drop=True)
    by_desa = per.groupby("kode_desa").agg(
        keluarga_layak=("tersentuh", "size"), belum_tersentuh=("tersentuh", lambda t: int((~t).sum()))
    ).reset_index()  # fmt: skip
    by_desa["persen_belum"] = [
        _pct(b, n) for b, n in zip(by_desa["belum_tersentuh"], by_desa["keluarga_layak"], strict=True)
    ]  # fmt: skip
    if desa is not None:
        names = pd.DataFrame(desa)[["kode_desa", "desa", "kecamatan"]]
        belum = names.merge(belum, on="kode_desa", how="right")
        by_desa = names.merge(by_desa, on="kode_desa", how="right")
        by_desa = by_desa.sort_values(["belum_tersentuh", "kode_desa"], ascending=[False, True])
        by_desa = by_desa.reset_index(drop=True)
    ketepatan = (
        _ketepatan(fam, layak, lokus, penerima, desil_sasaran)
        if penerima is not None
        else pd.DataFrame()
    )
    return Cakupan(per, per_s, belum, by_desa, ketepatan, sumber)


def _dengan_id(keluarga: pd.DataFrame) -> pd.DataFrame:
    """Give families without an ``id_keluarga_p3ke`` column a stand-in id.

    A file without the column (e.g. only ``kode_desa`` and ``desil``) gets its row number as a stand-in (``baris N``), so coverage
    per family still counts every family; such families can only be reached by register loci
    or by No KK / NIK in a recipient list.
    """
    if "id_keluarga_p3ke" in keluarga.columns:
        return keluarga
    rows = (
        keluarga["_baris"] if "_baris" in keluarga.columns else pd.RangeIndex(1, len(keluarga) + 1)
    )
    return keluarga.assign(id_keluarga_p3ke=[f"baris {r}" for r in rows])


def _reach(
    layak: pd.DataFrame, lokus: pd.DataFrame, penerima: DaftarPenerima | None
) -> tuple[pd.DataFrame, set[str], str]:
    """Who each sub-activity reached: its recipient list, else its loci (an upper bound).

    A list that names only some of the register's sub-activities is used for those; the
    others fall back to their loci, so a strategy without recipients on the list is not
    reported as reaching nobody. Returns (``id_keluarga_p3ke``, ``kode_sub_kegiatan`` pairs;
    the sub-activities counted from their loci; the :data:`SUMBER_*` text).
    """
    listed = pd.DataFrame(columns=["id_keluarga_p3ke", "kode_sub_kegiatan"])
    if penerima is not None:
        listed = penerima.penerima[["id_keluarga_p3ke", "kode_sub_kegiatan"]].drop_duplicates()
    pairs = lokus.loc[
        ~lokus["kode_sub_kegiatan"].isin(set(listed["kode_sub_kegiatan"])),
        ["kode_desa", "kode_sub_kegiatan"],
    ].drop_duplicates()
    fallback = layak.merge(pairs, on="kode_desa")[["id_keluarga_p3ke", "kode_sub_kegiatan"]]
    dari_lokus = set(pairs["kode_sub_kegiatan"].dropna())
    sumber = SUMBER_CAMPURAN if dari_lokus else SUMBER_DAFTAR
    sumber = SUMBER_LOKUS if penerima is None else sumber
    reach = pd.concat([listed, fallback], ignore_index=True) if len(fallback) else listed
    return reach, dari_lokus, sumber


def _sumber_strategi(s: int, strat: pd.Series, dari_lokus: set[str], ada_daftar: bool) -> str:
    """Where strategy ``s``'s coverage comes from: ``daftar``, ``lokus`` or ``campuran``."""
    subs = set(strat.index[(strat == s).fillna(False)])
    if not ada_daftar:
        return "lokus"
    lokus = subs & dari_lokus
    if not lokus:
        return "daftar"
    return "lokus" if lokus == subs else "campuran"


def _pct(part: float, whole: float) -> float:
    return round(100.0 * float(part) / float(whole), 1) if whole else 0.0


def _per_family(layak: pd.DataFrame, reach: pd.DataFrame) -> pd.DataFrame:
    """Eligible families with the strategies that reached them."""
    per = layak[["id_keluarga_p3ke", "kode_desa"]].reset_index(drop=True).copy()
    mine = reach[reach["id_keluarga_p3ke"].isin(set(per["id_keluarga_p3ke"]))]
    for s in (1, 2, 3):
        ids = set(mine.loc[(mine["strategi"] == s).fillna(False), "id_keluarga_p3ke"])
        per[f"strategi_{s}"] = per["id_keluarga_p3ke"].isin(ids)
    counts = mine.groupby("id_keluarga_p3ke")["kode_sub_kegiatan"].nunique()
    per["jumlah_sub_kegiatan"] = per["id_keluarga_p3ke"].map(counts).fillna(0).astype(int)
    per["tersentuh"] = per["jumlah_sub_kegiatan"] > 0
    return per


def _ketepatan(
    fam: pd.DataFrame,
    layak: pd.DataFrame,
    lokus: pd.DataFrame,
    penerima: DaftarPenerima,
    desil_sasaran: int,
) -> pd.DataFrame:
    """Inclusion and exclusion errors per sub-activity of the recipient list."""
    rec = penerima.penerima.drop_duplicates(["id_keluarga_p3ke", "kode_sub_kegiatan"])
    desil = fam.set_index("id_keluarga_p3ke")["desil"]
    ganda = penerima.ganda
    rows = []
    for sub, group in rec.groupby("kode_sub_kegiatan", sort=True):
        area = lokus.loc[lokus["kode_sub_kegiatan"] == sub, "kode_desa"].dropna().unique()
        in_area = layak[layak["kode_desa"].isin(area)] if len(area) else layak
        got = set(group["id_keluarga_p3ke"])
        d = group["id_keluarga_p3ke"].map(desil)
        outside = int(((d > desil_sasaran) | d.isna()).sum())
        missed = int((~in_area["id_keluarga_p3ke"].isin(got)).sum())
        info = lokus[lokus["kode_sub_kegiatan"] == sub]
        n_dup = int((ganda["kode_sub_kegiatan"] == sub).sum()) if len(ganda) else 0
        rows.append({
            "kode_sub_kegiatan": sub,
            "nama_sub_kegiatan": info["nama_sub_kegiatan"].iloc[0] if len(info) else "",
            "strategi": info["strategi"].iloc[0] if len(info) else pd.NA,
            "wilayah": f"{len(area)} desa lokus" if len(area) else "seluruh kabupaten",
            "penerima": len(got), "penerima_ganda": n_dup,
            "galat_inklusi": outside, "persen_inklusi": _pct(outside, len(got)),
            "keluarga_layak": len(in_area), "galat_eksklusi": missed,
            "persen_eksklusi": _pct(missed, len(in_area)), "sumber": SUMBER_DAFTAR,
        })  # fmt: skip
    return pd.DataFrame(rows)
