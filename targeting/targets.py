"""Target families in the priority desa: filters, deprivations and a suggested strategy.

A target list is a working document for the village meeting (musyawarah desa) that verifies
the families, and for the agencies (OPD) that deliver the sub-activities. Each family gets the
deprivations found in its P3KE row and the Inpres 4/2022 strategy those suggest, by the rules
of :data:`ATURAN_STRATEGI` (an **analytic choice**: no regulation maps a family's conditions
to a strategy), and the sub-activities already located in its desa that answer them.

Personal data (UU 27/2022): by default NIK and No KK are masked (``6111********0001``), names
are cut to initials, and the address, date of birth and the family's coordinates (its house)
are left out. Only ``data_pribadi=True`` keeps them, and the export records it. The P3KE family
id stays: only the holders of the P3KE list can resolve it, and the village meeting needs it to
find the family in the official list.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo.errors import TargetError
from geo.join import FLAG_COLUMNS
from geo.text import fold, fold_series
from targeting.export import mask_id
from targeting.indicators import DEPRIVASI
from targeting.interventions import KEBUTUHAN_DEPRIVASI
from targeting.settings import setting
from targeting.strategies import INPRES_NOMOR

__all__ = [
    "ATURAN_STRATEGI",
    "DATA_PRIBADI",
    "AturanStrategi",
    "TargetError",
    "TargetFilters",
    "TargetList",
    "initials",
    "target_families",
]


@dataclass(frozen=True)
class TargetFilters:
    """The target-list choices as written on the command line (``python -m targeting run``).

    Declared with :func:`targeting.settings.setting` so the CLI options are generated from
    it; the CLI parses the comma-separated values into a
    :class:`targeting.package.TargetOptions` (chosen desa, desil and strategy numbers).

    Attributes
    ----------
    desa : str or None
        Dotted or plain desa codes, comma-separated.
    top : int or None
        The N highest-scoring desa.
    skor_min : float or None
        Every desa scoring at least this (0-100).
    desil : str or None
        Desil kept, comma-separated (None: desil 1).
    hanya_berkekurangan : bool
        Only families with at least one deprivation rule true.
    strategi : str or None
        Only families suggested one of these Inpres strategies, comma-separated.
    include_personal : bool
        Keep NIK, No KK, names, address and exact coordinates (UU 27/2022).
    """

    desa: str | None = setting(
        None, label="Desa prioritas", flag="--desa", help="priority desa codes, comma-separated"
    )
    top: int | None = setting(
        None, label="Jumlah desa teratas", flag="--top", help="the N highest-scoring desa"
    )
    skor_min: float | None = setting(
        None, label="Skor minimal", flag="--skor-min", help="every desa scoring at least this"
    )
    desil: str | None = setting(
        None, label="Desil", flag="--desil", help="desil of the target families, comma-separated",
        default_text="1",
    )  # fmt: skip
    hanya_berkekurangan: bool = setting(
        False, label="Hanya keluarga berkekurangan", flag="--hanya-berkekurangan",
        help="only families with at least one deprivation",
    )  # fmt: skip
    strategi: str | None = setting(
        None, label="Hanya keluarga dengan usulan strategi", flag="--strategi",
        help="only families suggested one of these strategies (e.g. 1,3)",
        default_text="all",
    )  # fmt: skip
    include_personal: bool = setting(
        False, label="Sertakan data pribadi", flag="--include-personal",
        help="include NIK, No KK, names, address and exact coordinates (personal data, "
        "UU 27/2022); without it all are masked",
    )  # fmt: skip


@dataclass(frozen=True)
class AturanStrategi:
    """One rule from a family's P3KE row to a suggested strategy.

    Attributes
    ----------
    kode : str
        Rule key.
    label : str
        The deprivation in Bahasa Indonesia (shown per family).
    strategi : int
        Inpres 4/2022 strategy suggested: 1 reduce the expenditure burden, 2 raise income,
        3 reduce poverty pockets (basic infrastructure and housing).
    kebutuhan : str
        Register need tag (:data:`targeting.register.KEBUTUHAN`) a matching sub-activity
        carries.
    kolom : tuple of str
        P3KE columns read.
    nilai : tuple of str
        Values (case-insensitive, trimmed) that make the rule true.
    semua : bool
        True: every column must hold one of ``nilai`` (e.g. no programme at all); False: any.
    """

    kode: str
    label: str
    strategi: int
    kebutuhan: str
    kolom: tuple[str, ...]
    nilai: tuple[str, ...]
    semua: bool = False

    def teks(self) -> str:
        """Return the rule as a sentence for exports."""
        join = " dan " if self.semua else " atau "
        cols = join.join(self.kolom)
        vals = " / ".join(self.nilai)
        return f"{cols} = {vals} -> strategi {self.strategi} (kebutuhan '{self.kebutuhan}')"


_DEP_TAG = {dep: tag for tag, dep in KEBUTUHAN_DEPRIVASI.items()}

ATURAN_STRATEGI: tuple[AturanStrategi, ...] = (
    AturanStrategi(
        "tanpa_bansos", "tidak menerima PKH, BPNT maupun Sembako", 1, "pangan",
        ("penerima_pkh", "penerima_bpnt", "penerima_sembako"), ("Tidak",), semua=True,
    ),
    AturanStrategi(
        "risiko_stunting", "keluarga berisiko stunting", 1, "kesehatan",
        ("resiko_stunting",), ("Ya",),
    ),
    AturanStrategi(
        "tanpa_pekerjaan", "kepala keluarga tidak bekerja", 2, "pendapatan", ("pekerjaan",),
        ("Tidak Bekerja", "Belum/Tidak Bekerja", "Tidak/Belum Bekerja", "Belum Bekerja",
         "Tidak Punya Pekerjaan", "Tidak Memiliki Pekerjaan"),
    ),
    *(
        AturanStrategi(key, dep.label.lower(), 3, _DEP_TAG[key], (dep.kolom,), dep.nilai)
        for key, dep in DEPRIVASI.items()
    ),
)  # fmt: skip
"""Rules from a family's row to a suggested strategy (Inpres 4/2022): no social assistance
(PKH, BPNT, Sembako) or a stunting risk -> 1 (reduce the expenditure burden: assistance,
food, health cover); a head of family without work -> 2 (raise income); the four housing and
basic-service deprivations of :data:`targeting.indicators.DEPRIVASI` (no electricity, unsafe
drinking water, no own latrine, earth/bamboo floor) -> 3 (the infrastructure of poverty
pockets). An analytic choice; a family may get several strategies."""

DATA_PRIBADI = ("nik", "no_kk", "kepala_keluarga", "nama", "alamat", "tanggal_lahir")
"""Columns that hold personal data (UU 27/2022) in a P3KE export."""


@dataclass
class TargetList:
    """Target families of the chosen desa.

    Attributes
    ----------
    keluarga : pandas.DataFrame
        One row per target family, export-ready (masked unless ``data_pribadi``): ``no``,
        ``kode_desa``, ``desa``, ``kecamatan``, ``id_keluarga_p3ke``, ``kepala_keluarga``,
        ``nik``, ``no_kk`` (text), ``alamat`` and ``tanggal_lahir`` (only with personal
        data), ``dusun``/``rt``/``rw`` where present, ``desil``, ``jumlah_anggota``,
        ``kekurangan``, ``jumlah_kekurangan``, ``strategi_usulan`` (e.g. ``"1; 3"``),
        ``alasan_strategi``, ``sub_kegiatan_di_desa`` (matching sub-activities located in
        the desa), ``jumlah_sub_kegiatan``, ``lintang``/``bujur`` (degrees, EPSG:4326),
        ``baris_berkas`` (row of the input file), empty ``hasil_verifikasi_musdes`` and
        ``catatan_verifikasi`` columns for the village meeting, and ``tanda_data`` (import
        flags of the row, e.g. ``flag_nik_angka``). ``lintang``/``bujur`` only with personal
        data.
    parameter : dict
        Filters and the personal-data choice.
    aturan : list of str
        Rule texts of the strategies evaluated.
    catatan : list of str
        Rules that could not be evaluated (missing columns) and why.
    per_strategi : dict
        Target families per suggested strategy (a family may count under several).
    """

    keluarga: pd.DataFrame
    parameter: dict[str, object]
    aturan: list[str]
    catatan: list[str] = field(default_factory=list)
    per_strategi: dict[int, int] = field(default_factory=dict)


def initials(name: object) -> object:
    """Shorten a name to its initials (``"Siti Aminah"`` -> ``"S. A."``).

    Parameters
    ----------
    name : object
        A person's name.

    Returns
    -------
    object
        Initials of each word; None/NA and blanks unchanged.

    Examples
    --------
    >>> initials("  nurhayati  pratama ")
    'N. P.'
    """
    if name is None or name is pd.NA or (isinstance(name, float) and np.isnan(name)):
        return name
    words = re.findall(r"[^\W\d_]+", str(name))
    return " ".join(f"{w[0].upper()}." for w in words) if words else ""


def _rule_hits(keluarga: pd.DataFrame) -> tuple[pd.DataFrame, list[AturanStrategi], list[str]]:
    hits = pd.DataFrame(index=keluarga.index)
    used: list[AturanStrategi] = []
    notes: list[str] = []
    for rule in ATURAN_STRATEGI:
        missing = [c for c in rule.kolom if c not in keluarga.columns]
        if missing:
            notes.append(
                f"aturan '{rule.label}' tidak dinilai: kolom {', '.join(missing)} tidak ada di berkas"
            )
            continue
        wanted = {fold(v) for v in rule.nilai}
        per_col = [fold_series(keluarga[c]).isin(wanted).fillna(False) for c in rule.kolom]
        frame = pd.concat(per_col, axis=1)
        hits[rule.kode] = frame.all(axis=1) if rule.semua else frame.any(axis=1)
        used.append(rule)
    return hits.astype(bool), used, notes


def target_families(
    keluarga: pd.DataFrame,
    desa: pd.DataFrame,
    kode_desa: Sequence[str],
    *,
    desil: Iterable[int] = (1,),
    hanya_berkekurangan: bool = False,
    strategi: Iterable[int] | None = None,
    lokus: pd.DataFrame | None = None,
    data_pribadi: bool = False,
    desil_max: int = 10,
) -> TargetList:
    """List the target families of the chosen desa, with deprivations and strategies.

    Parameters
    ----------
    keluarga : pandas.DataFrame
        Placed families (``Placement.keluarga``): ``kode_desa``, ``desil``, ``_baris``, the
        P3KE columns present and an optional point ``geometry`` (EPSG:4326).
    desa : pandas.DataFrame
        ``kode_desa``, ``desa``, ``kecamatan`` of every desa (names for the list).
    kode_desa : sequence of str
        Dotted codes of the chosen (priority) desa.
    desil : iterable of int, default (1,)
        Desil kept (1 = poorest).
    hanya_berkekurangan : bool, default False
        Keep only families with at least one rule of :data:`ATURAN_STRATEGI` true.
    strategi : iterable of int, optional
        Keep only families whose suggested strategies include one of these (1-3).
    lokus : pandas.DataFrame, optional
        :func:`targeting.interventions.lokus_long` of the register: sub-activities located
        in each desa. A sub-activity matches a family when its ``kebutuhan`` tags include one
        of the family's needs (the ``kebutuhan`` of its rules), or, for a sub-activity without
        tags, when its strategy is one the family is suggested.
    data_pribadi : bool, default False
        Keep NIK, No KK, names, address, date of birth and the family's coordinates. Only
        when the user asks explicitly; the choice is recorded in ``parameter``.
    desil_max : int, default 10
        Highest desil of the file's scale (4 for P3KE, 10 for DTSEN).

    Returns
    -------
    TargetList
        Families sorted by the order of ``kode_desa`` (the ranking's), desil, number of
        deprivations (most first) and input row.

    Raises
    ------
    TargetError
        If no desil is given, a desil is outside 1..``desil_max``, or a strategy is not 1-3.
    """
    desil, wanted_s = _checked_choice(desil, strategi, desil_max)
    chosen = list(dict.fromkeys(kode_desa))
    k = keluarga[keluarga["kode_desa"].isin(chosen) & keluarga["desil"].isin(desil).fillna(False)]
    kekurangan, strategies, tags, rules, notes = _needs(k)
    labels = {r.kode: r.label for r in rules}
    rule_s = {r.kode: r.strategi for r in rules}
    keep = pd.Series(True, index=k.index)
    if hanya_berkekurangan:
        keep &= kekurangan.map(len) > 0
    if wanted_s:
        keep &= strategies.map(lambda ss: bool(set(ss) & set(wanted_s)))
    k, kekurangan, strategies, tags = k[keep], kekurangan[keep], strategies[keep], tags[keep]

    out = _identity_columns(k, desa, data_pribadi=data_pribadi)
    out["desil"] = k["desil"].astype("Int64")
    if "jumlah_anggota" in k.columns:
        out["jumlah_anggota"] = k["jumlah_anggota"].astype("Int64")
    out["kekurangan"] = kekurangan.map(lambda ks: "; ".join(labels[c] for c in ks))
    out["jumlah_kekurangan"] = kekurangan.map(len).astype(int)
    out["strategi_usulan"] = strategies.map(lambda ss: "; ".join(str(s) for s in ss))
    out["alasan_strategi"] = kekurangan.map(
        lambda ks: (
            "; ".join(f"S{rule_s[c]}: {labels[c]}" for c in ks)
            or "tidak ada kekurangan yang terbaca di baris P3KE"
        )
    )
    subs, n_subs = _matching_subs(out["kode_desa"], strategies, tags, lokus)
    out["sub_kegiatan_di_desa"] = subs
    out["jumlah_sub_kegiatan"] = n_subs
    geom = k.geometry if data_pribadi and "geometry" in k.columns else None
    if geom is not None:
        has = (geom.notna() & ~geom.is_empty).to_numpy()
        out["lintang"] = np.where(has, geom.y.where(has), np.nan) if len(k) else []
        out["bujur"] = np.where(has, geom.x.where(has), np.nan) if len(k) else []
    out["tanda_data"] = _data_flags(k)
    out["baris_berkas"] = k["_baris"].astype("Int64")
    out["hasil_verifikasi_musdes"] = ""
    out["catatan_verifikasi"] = ""
    out = _in_list_order(out, chosen)
    out.insert(0, "no", range(1, len(out) + 1))
    per_s = {s: int(strategies.map(lambda ss, s=s: s in ss).sum()) for s in INPRES_NOMOR}
    parameter: dict[str, object] = {
        "desa": chosen,
        "desil": desil,
        "hanya_berkekurangan": hanya_berkekurangan,
        "strategi": wanted_s,
        "data_pribadi": data_pribadi,
    }
    return TargetList(out, parameter, [r.teks() for r in rules], notes, per_s)


def _needs(k: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series, list, list[str]]:
    """Return per family the true rules, their strategies and need tags; and the rules."""
    hits, rules, notes = _rule_hits(k)
    rule_s = {r.kode: r.strategi for r in rules}
    rule_tag = {r.kode: r.kebutuhan for r in rules}
    cols = list(hits.columns)
    kekurangan = pd.Series(
        [[cols[j] for j in np.flatnonzero(row)] for row in hits.to_numpy(dtype=bool)]
        if cols
        else [[] for _ in range(len(k))],
        index=k.index,
        dtype=object,
    )
    strategies = kekurangan.map(lambda ks: sorted({rule_s[c] for c in ks}))
    tags = kekurangan.map(lambda ks: {rule_tag[c] for c in ks})
    return kekurangan, strategies, tags, rules, notes


def _in_list_order(out: pd.DataFrame, chosen: list[str]) -> pd.DataFrame:
    """Sort by the chosen desa's order, desil, deprivations (most first) and input row."""
    order = {kd: i for i, kd in enumerate(chosen)}
    out["_urut"] = out["kode_desa"].map(order)
    out = (
        out.sort_values(
            ["_urut", "desil", "jumlah_kekurangan", "baris_berkas"],
            ascending=[True, True, False, True],
            kind="mergesort",
        )
        .drop(columns="_urut")
        .reset_index(drop=True)
    )
    return out


def _checked_choice(
    desil: Iterable[int], strategi: Iterable[int] | None, desil_max: int
) -> tuple[list[int], list[int] | None]:
    """Sort the chosen desil and strategies; raise :class:`TargetError` when out of range."""
    desil = sorted({int(d) for d in desil})
    wanted_s = sorted({int(s) for s in strategi}) if strategi else None
    bad_d = [d for d in desil if not 1 <= d <= desil_max]
    if not desil or bad_d:
        msg = f"desil {bad_d or 'kosong'}: pilih desil 1 sampai {desil_max} (skala berkas ini)"
        en = f"desil {bad_d or 'empty'}: choose desil 1 to {desil_max} (this file's scale)"
        raise TargetError(msg, en=en)
    if wanted_s and not set(wanted_s) <= set(INPRES_NOMOR):
        msg = f"strategi {wanted_s}: strategi Inpres 4/2022 hanya 1, 2 dan 3"
        raise TargetError(msg, en=f"strategy {wanted_s}: Inpres 4/2022 has strategies 1, 2, 3")
    return desil, wanted_s


def _identity_columns(k: pd.DataFrame, desa: pd.DataFrame, *, data_pribadi: bool) -> pd.DataFrame:
    """Desa, family id, head (initials), NIK and No KK masked unless ``data_pribadi``, dusun."""
    names = pd.DataFrame(desa).drop(columns="geometry", errors="ignore").set_index("kode_desa")
    out = pd.DataFrame(index=k.index)
    out["kode_desa"] = k["kode_desa"].astype(str)
    out["desa"] = out["kode_desa"].map(names["desa"])
    out["kecamatan"] = out["kode_desa"].map(names["kecamatan"])
    if "id_keluarga_p3ke" in k.columns:
        out["id_keluarga_p3ke"] = k["id_keluarga_p3ke"].astype("string")
    for col in ("kepala_keluarga", "nik", "no_kk"):
        if col in k.columns:
            values = k[col].astype("string")
            if not data_pribadi:
                values = values.map(initials if col == "kepala_keluarga" else mask_id)
            out[col] = values
    if data_pribadi:
        for col in ("alamat", "tanggal_lahir"):
            if col in k.columns:
                out[col] = k[col].astype("string")
    for col in ("dusun", "rt", "rw"):
        if col in k.columns:
            out[col] = k[col].astype("string")
    return out


def _data_flags(k: pd.DataFrame) -> list[str] | str:
    """Join the data flags of each family with ``; `` (empty when the table has none)."""
    flags = [f for f in FLAG_COLUMNS if f in k.columns]
    return (
        [
            "; ".join(f for f, on in zip(flags, row, strict=True) if on)
            for row in k[flags].fillna(False).to_numpy(dtype=bool)
        ]
        if flags
        else ""
    )


def _strategy_tag(row: object) -> str:
    """``S1``-``S3`` for an Inpres tag, ``P1``-``P4`` for a Permendagri one (P4 has no Inpres)."""
    kode = str(getattr(row, "strategi_kode", "") or "")
    if kode.startswith("P"):
        return kode
    return f"S{int(row.strategi)}"  # type: ignore[attr-defined]


def _matching_subs(
    kode: pd.Series, strategies: pd.Series, tags: pd.Series, lokus: pd.DataFrame | None
) -> tuple[list[str], list[int]]:
    if lokus is None or lokus.empty or kode.empty:
        return [""] * len(kode), [0] * len(kode)
    by_desa = {k: g for k, g in lokus.groupby("kode_desa")}  # noqa: C416 (GroupBy.keys is a str)
    texts, counts = [], []
    cache: dict[tuple, tuple[str, int]] = {}
    for kd, ss, tg in zip(kode, strategies, tags, strict=True):
        key = (kd, tuple(ss), tuple(sorted(tg)))
        if key not in cache:
            rows = by_desa.get(kd)
            if rows is None or not (ss or tg):
                cache[key] = ("", 0)
            else:
                sub_tags = rows["kebutuhan"].fillna("").astype(str).str.split(";")
                sub_tags = sub_tags.map(lambda t: {x.strip() for x in t if x.strip()})
                by_tag = sub_tags.map(lambda t, tg=tg: bool(t & tg))
                untagged = (sub_tags.map(len) == 0) & rows["strategi"].isin(ss)
                ok = by_tag | untagged
                hit = rows[ok.to_numpy()].sort_values(["strategi", "kode_sub_kegiatan"])
                cache[key] = (
                    "; ".join(
                        f"{_strategy_tag(r)} {r.kode_sub_kegiatan} {r.nama_sub_kegiatan} ({r.opd})"
                        for r in hit.itertuples()
                    ),
                    len(hit),
                )
        texts.append(cache[key][0])
        counts.append(cache[key][1])
    return texts, counts
