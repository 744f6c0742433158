"""Do interventions hit the loci? Sub-activities against desil-1 families and pockets.

Every figure is traced to counts: households (keluarga), Rupiah (pagu), desa. Thresholds are
settings with stated defaults (:class:`MatchSettings`); they are analytic choices, not rules
of Inpres 4/2022.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from geo.text import fold, fold_series
from targeting.format import angka
from targeting.indicators import DEPRIVASI

__all__ = [
    "KEBUTUHAN_DEPRIVASI",
    "InterventionResult",
    "MatchSettings",
    "analyse_interventions",
    "lokus_long",
]

KEBUTUHAN_DEPRIVASI = {
    "listrik": "tanpa_listrik",
    "air": "air_tidak_layak",
    "sanitasi": "tanpa_jamban_sendiri",
    "rumah": "lantai_tanah_bambu",
}
"""Register ``kebutuhan`` tag -> P3KE deprivation of :data:`targeting.indicators.DEPRIVASI`."""


@dataclass(frozen=True)
class MatchSettings:
    """Thresholds of the match analysis (analytic choices, defaults stated).

    Attributes
    ----------
    min_desil_1 : int
        A sub-activity whose loci hold fewer desil-1 families than this in all (households)
        is listed as possible mistargeting (default 10).
    persen_tinggi : float or None
        Desil-1 families per 100 families from which a desa counts as "high"; None (default)
        means the district's upper quartile of desa.
    persen_kebutuhan : float
        A need counts in a desa when at least this share (per 100) of its desil-1 families
        have the deprivation (default 25) ...
    min_keluarga_kebutuhan : int
        ... and at least this many desil-1 families have it (default 3), so one family of
        three does not make a need.
    """

    min_desil_1: int = 10
    persen_tinggi: float | None = None
    persen_kebutuhan: float = 25.0
    min_keluarga_kebutuhan: int = 3


@dataclass
class InterventionResult:
    """The match analysis.

    Attributes
    ----------
    matriks : pandas.DataFrame
        One row per desa: ``kode_desa``, ``desa``, ``kecamatan``, ``keluarga_desil_1`` and per
        strategy s in 1-3 ``sub_kegiatan_s`` (count), ``pagu_s_rp`` (Rupiah, the pagu of each
        sub-activity split equally over its loci) and ``pagu_s_per_desil_1_rp``.
    cakupan : pandas.DataFrame
        Coverage: ``wilayah`` (``kabupaten`` or a kecamatan), ``strategi``,
        ``keluarga_desil_1``, ``keluarga_desil_1_terjangkau`` (in desa with at least one
        sub-activity of the strategy) and ``persen`` (per 100).
    celah : pandas.DataFrame
        Gaps: ``kode_desa``, ``desa``, ``strategi``, ``jenis`` and ``keterangan``.
    salah_sasaran : pandas.DataFrame
        Sub-activities whose loci hold few desil-1 families, ranked by pagu.
    kebutuhan : pandas.DataFrame
        Need match per desa and need: deprived desil-1 families, share, whether a located
        sub-activity answers it, and sub-activities located there that answer no need found.
    parameter : dict
        The settings and rule texts.
    """

    matriks: pd.DataFrame
    cakupan: pd.DataFrame
    celah: pd.DataFrame
    salah_sasaran: pd.DataFrame
    kebutuhan: pd.DataFrame
    parameter: dict[str, object]


def lokus_long(register: pd.DataFrame) -> pd.DataFrame:
    """One row per sub-activity and desa of its loci.

    Parameters
    ----------
    register : pandas.DataFrame
        ``RegisterCheck.register``: ``kode_sub_kegiatan``, ``nama_sub_kegiatan``, ``opd``,
        ``strategi``, ``pagu_rp``, ``lokus_kode`` (``;`` separated), ``kebutuhan``, ``_baris``.

    Returns
    -------
    pandas.DataFrame
        Columns of the register plus ``kode_desa`` and ``pagu_desa_rp`` (the pagu split
        equally over the loci: an analytic choice, since a register gives no split).
    """
    if register.empty:
        columns = ["kode_sub_kegiatan", "nama_sub_kegiatan", "opd", "strategi", "pagu_rp",
                   "lokus_kode", "kebutuhan", "_baris", "kode_desa", "pagu_desa_rp"]  # fmt: skip
        return pd.DataFrame(columns=columns)
    long = register.assign(kode_desa=register["lokus_kode"].str.split(";")).explode("kode_desa")
    n = long.groupby("_baris")["kode_desa"].transform("size")
    long["pagu_desa_rp"] = long["pagu_rp"].astype("float64") / n
    return long.reset_index(drop=True)


def analyse_interventions(
    register: pd.DataFrame,
    indikator: pd.DataFrame,
    keluarga: pd.DataFrame,
    kantong: pd.DataFrame | None = None,
    settings: MatchSettings | None = None,
) -> InterventionResult:
    """Match the sub-activity register against desil-1 families, needs and pockets.

    Parameters
    ----------
    register : pandas.DataFrame
        Validated register (:func:`targeting.register.read_register`).
    indikator : pandas.DataFrame
        Per-desa indicators (``kode_desa``, ``desa``, ``kecamatan``, ``keluarga_desil_1``,
        ``persen_desil_1``).
    keluarga : pandas.DataFrame
        Placed families (``kode_desa``, ``desil`` and the deprivation columns).
    kantong : pandas.DataFrame, optional
        Pocket labels (``kode_desa``, ``kantong``); without them no pocket gaps are listed.
    settings : MatchSettings, optional
        Thresholds.

    Returns
    -------
    InterventionResult
        Matrix, coverage, gaps, mistargeting and need match.
    """
    settings = settings or MatchSettings()
    ind = pd.DataFrame(indikator).drop(columns="geometry", errors="ignore")
    base = ind[["kode_desa", "desa", "kecamatan"]].copy()
    base["keluarga_desil_1"] = ind["keluarga_desil_1"].astype("float64").fillna(0).to_numpy()
    long = lokus_long(register)

    matriks = base.copy()
    for s in (1, 2, 3):
        part = long[long["strategi"] == s]
        count = part.groupby("kode_desa").size()
        pagu = part.groupby("kode_desa")["pagu_desa_rp"].sum()
        matriks[f"sub_kegiatan_{s}"] = matriks["kode_desa"].map(count).fillna(0).astype(int)
        matriks[f"pagu_{s}_rp"] = matriks["kode_desa"].map(pagu).fillna(0.0).round(0)
        with np.errstate(divide="ignore", invalid="ignore"):
            per = matriks[f"pagu_{s}_rp"] / matriks["keluarga_desil_1"]
        matriks[f"pagu_{s}_per_desil_1_rp"] = per.where(matriks["keluarga_desil_1"] > 0).round(0)

    rows = []
    for wilayah, group in [("kabupaten", matriks), *matriks.groupby("kecamatan")]:
        total = float(group["keluarga_desil_1"].sum())
        for s in (1, 2, 3):
            reached = float(group.loc[group[f"sub_kegiatan_{s}"] > 0, "keluarga_desil_1"].sum())
            rows.append(
                {
                    "wilayah": wilayah,
                    "strategi": s,
                    "keluarga_desil_1": int(total),
                    "keluarga_desil_1_terjangkau": int(reached),
                    "persen": reached / total * 100 if total else np.nan,
                }
            )
    cakupan = pd.DataFrame(rows)

    share = ind.set_index("kode_desa")["persen_desil_1"].astype("float64")
    threshold = (
        settings.persen_tinggi
        if settings.persen_tinggi is not None
        else float(share.dropna().quantile(0.75))
        if share.notna().any()
        else np.inf
    )
    pockets = (
        set() if kantong is None else set(kantong.loc[kantong["kantong"] == "panas", "kode_desa"])
    )
    celah = []
    for r in matriks.itertuples():
        high = share.get(r.kode_desa, np.nan) >= threshold
        for s in (1, 2, 3):
            if getattr(r, f"sub_kegiatan_{s}") > 0:
                continue
            if r.kode_desa in pockets:
                celah.append((r.kode_desa, r.desa, s, "kantong tanpa sub kegiatan",
                              f"desa kantong kemiskinan dengan {int(r.keluarga_desil_1)} keluarga desil 1 "
                              f"tanpa sub kegiatan strategi {s}"))  # fmt: skip
            elif high:
                celah.append((r.kode_desa, r.desa, s, "desil 1 tinggi tanpa sub kegiatan",
                              f"{angka(share[r.kode_desa], 1)} keluarga desil 1 per 100 keluarga "
                              f"(ambang {angka(threshold, 1)}) tanpa sub kegiatan strategi {s}"))  # fmt: skip
    s3 = long[long["strategi"] == 3]
    if kantong is not None:
        names = dict(zip(base["kode_desa"], base["desa"], strict=True))
        for kode in sorted(set(s3["kode_desa"]) - pockets):
            subs = s3.loc[s3["kode_desa"] == kode, "nama_sub_kegiatan"].astype(str)
            celah.append((kode, names.get(kode, kode), 3, "lokus strategi 3 bukan kantong",
                          f"{len(subs)} sub kegiatan strategi 3 di desa yang bukan kantong: "
                          + "; ".join(subs.head(3))))  # fmt: skip
    celah_df = pd.DataFrame(celah, columns=["kode_desa", "desa", "strategi", "jenis", "keterangan"])

    d1 = base.set_index("kode_desa")["keluarga_desil_1"]
    if len(long) and len(register):
        reach = long.assign(d1=long["kode_desa"].map(d1).fillna(0)).groupby("_baris")["d1"].sum()
        mis = register.assign(keluarga_desil_1_di_lokus=register["_baris"].map(reach).astype(int))
        mis = mis[mis["keluarga_desil_1_di_lokus"] < settings.min_desil_1]
        salah = mis.sort_values("pagu_rp", ascending=False)[
            ["kode_sub_kegiatan", "nama_sub_kegiatan", "opd", "strategi", "pagu_rp",
             "lokus_kode", "keluarga_desil_1_di_lokus"]
        ].reset_index(drop=True)  # fmt: skip
    else:
        salah = pd.DataFrame()

    kebutuhan = _need_match(long, keluarga, base, settings)
    parameter: dict[str, object] = {
        **asdict(settings),
        "ambang_desil_1_tinggi_terpakai": threshold,
        "aturan_pagu": "pagu sub kegiatan dibagi rata ke desa lokusnya (register tidak memuat rinciannya)",
        "aturan_cakupan": "keluarga desil 1 di desa dengan paling sedikit satu sub kegiatan strategi itu",
    }
    return InterventionResult(matriks, cakupan, celah_df, salah, kebutuhan, parameter)


NEED_COLUMNS = [
    "kode_desa", "desa", "kebutuhan", "keluarga_desil_1", "keluarga_desil_1_kekurangan",
    "persen", "kebutuhan_nyata", "ada_sub_kegiatan", "status",
]  # fmt: skip


def _need_match(
    long: pd.DataFrame, keluarga: pd.DataFrame, base: pd.DataFrame, settings: MatchSettings
) -> pd.DataFrame:
    d1 = keluarga[(keluarga["desil"] == 1).fillna(False).to_numpy()]
    rows = []
    tags_by_desa = (
        long.assign(tag=long["kebutuhan"].fillna("").str.split(";"))
        .explode("tag")
        .groupby("kode_desa")["tag"]
        .agg(lambda t: {x for x in t if x})
        if len(long)
        else pd.Series(dtype=object)
    )
    counts = d1.groupby("kode_desa").size()
    for tag, dep_key in KEBUTUHAN_DEPRIVASI.items():
        dep = DEPRIVASI[dep_key]
        if dep.kolom not in d1.columns:
            continue
        wanted = {fold(v) for v in dep.nilai}
        hit = fold_series(d1[dep.kolom]).isin(wanted).fillna(False)
        n = d1[hit.to_numpy()].groupby("kode_desa").size()
        for r in base.itertuples():
            total = int(counts.get(r.kode_desa, 0))
            deprived = int(n.get(r.kode_desa, 0))
            share = deprived / total * 100 if total else np.nan
            tags = tags_by_desa.get(r.kode_desa, set())
            need = (
                total > 0
                and share >= settings.persen_kebutuhan
                and deprived >= settings.min_keluarga_kebutuhan
            )
            rows.append(
                {
                    "kode_desa": r.kode_desa, "desa": r.desa, "kebutuhan": tag,
                    "keluarga_desil_1": total, "keluarga_desil_1_kekurangan": deprived,
                    "persen": share, "kebutuhan_nyata": need, "ada_sub_kegiatan": tag in tags,
                    "status": (
                        "kebutuhan tanpa sub kegiatan" if need and tag not in tags
                        else "sub kegiatan tanpa kebutuhan" if tag in tags and not need
                        else "sesuai" if need else "-"
                    ),
                }
            )  # fmt: skip
    # Same columns when no row qualifies (a family file without the deprivation columns).
    return pd.DataFrame(rows, columns=NEED_COLUMNS)
