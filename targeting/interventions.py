"""Do interventions hit the loci? Sub-activities against desil-1 families and pockets.

Every figure is traced to counts: households (keluarga), Rupiah (pagu), desa. Thresholds are
settings with stated defaults (:class:`MatchSettings`); they are analytic choices, not rules
of Inpres 4/2022.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from geo.text import fold, fold_series
from targeting.format import angka
from targeting.indicators import DEPRIVASI
from targeting.pockets import TIDAK_DINILAI
from targeting.settings import setting
from targeting.strategies import INPRES, INPRES_NOMOR, PERMENDAGRI

__all__ = [
    "KEBUTUHAN_DEPRIVASI",
    "MIN_DESIL_1_PER_KELUARGA",
    "SATUAN_KELUARGA",
    "SATUAN_ORANG",
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

SATUAN_KELUARGA = frozenset({"keluarga", "kk", "rumah tangga", "rt", "rts", "rtm", "kpm", "rumah"})
"""Units of ``satuan`` that count families (one unit = one family)."""

SATUAN_ORANG = frozenset({"orang", "jiwa", "individu", "siswa", "peserta", "anak", "lansia"})
"""Units of ``satuan`` that count people. A target of n people counts as at most n families
(each person in a different family: the most families it could reach)."""

MIN_DESIL_1_PER_KELUARGA = 5
"""Fewest desil-1 families for which the matrix shows pagu per desil-1 family as a number;
below it a ratio over 1-4 families says more about the count than the budget (a note instead)."""


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

    min_desil_1: int = setting(
        10, label="Salah sasaran: keluarga desil 1 di lokus kurang dari", flag="--min-desil-1",
        key="i_min", min=0, max=10_000,
        help="a sub-activity whose loci hold fewer desil-1 families than this is possible "
        "mistargeting",
    )  # fmt: skip
    persen_tinggi: float | None = setting(
        None, label="Ambang desa tinggi (per 100 keluarga)", flag="--persen-tinggi",
        help="desil-1 families per 100 families from which a desa counts as high",
        default_text="upper quartile",
    )  # fmt: skip
    persen_kebutuhan: float = setting(
        25.0, label="Kebutuhan nyata bila kekurangan ≥ (% desil 1)", flag="--persen-kebutuhan",
        key="i_need", min=1, max=100,
        help="a need is real when this many per 100 desil-1 families lack it",
    )  # fmt: skip
    min_keluarga_kebutuhan: int = setting(
        3,
        label="Keluarga minimal per kebutuhan",
        help="fewest desil-1 families with a deprivation for a need to count",
    )


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
        Columns of the register plus ``strategi_kode`` and ``skema`` (filled from
        ``strategi`` when absent), ``keluarga_sasaran`` (most families the row can reach, NaN
        without a limit, see :func:`_family_target`), ``kode_desa`` and ``pagu_desa_rp`` (the
        pagu split equally over the loci: an analytic choice, since a register gives no
        split).
    """
    if register.empty:
        columns = ["kode_sub_kegiatan", "nama_sub_kegiatan", "opd", "strategi", "pagu_rp",
                   "lokus_kode", "kebutuhan", "_baris", "strategi_kode", "skema",
                   "keluarga_sasaran", "kode_desa", "pagu_desa_rp"]  # fmt: skip
        return pd.DataFrame(columns=columns)
    register = _with_scheme(register)
    register = register.assign(keluarga_sasaran=_family_target(register))
    long = register.assign(kode_desa=register["lokus_kode"].str.split(";")).explode("kode_desa")
    n = long.groupby("_baris")["kode_desa"].transform("size")
    long["pagu_desa_rp"] = long["pagu_rp"].astype("float64") / n
    return long.reset_index(drop=True)


def _with_scheme(register: pd.DataFrame) -> pd.DataFrame:
    """Fill ``strategi_kode`` and ``skema`` for a register given with Inpres numbers only."""
    out = register.copy()
    strategi = pd.array(out["strategi"], dtype="Int64")
    if "strategi_kode" not in out.columns:
        out["strategi_kode"] = [str(v) if v is not pd.NA else "" for v in strategi]
    if "skema" not in out.columns:
        out["skema"] = INPRES.nama
    out["strategi"] = strategi
    return out


def _volume(value: object) -> float | None:
    """Read ``target_volume``: ``137``, ``1.250`` (thousands dot), ``12,5``; None if blank."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (int, float)):
        return float(value) if value >= 0 else None
    text = str(value).strip().replace(" ", "")
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
        text = text.replace(".", "")
    text = text.replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if np.isfinite(number) and number >= 0 else None


def _family_target(register: pd.DataFrame) -> pd.Series:
    """Most desil-1 families a row can reach: its target in families, or NaN (no limit).

    A row counts families when ``sasaran_jenis`` is ``keluarga`` or ``individu``, or, with no
    ``sasaran_jenis``, when its ``satuan`` is a family or person unit (:data:`SATUAN_KELUARGA`,
    :data:`SATUAN_ORANG`). People count one family each (an upper bound). ``wilayah`` rows
    (roads, water networks) and rows without a readable volume reach every desil-1 family of
    their loci.
    """
    n = len(register)
    volume = register.get("target_volume", pd.Series([None] * n, index=register.index))
    jenis = register.get("sasaran_jenis", pd.Series([None] * n, index=register.index))
    satuan = register.get("satuan", pd.Series([None] * n, index=register.index))
    out = []
    for vol, kind, unit in zip(volume, jenis, satuan, strict=True):
        kind = "" if kind is None or kind is pd.NA or kind != kind else str(kind).strip().lower()
        unit = "" if unit is None or unit is pd.NA or unit != unit else str(unit).strip().lower()
        counts_families = kind in ("keluarga", "individu") or (
            not kind and unit in SATUAN_KELUARGA | SATUAN_ORANG
        )
        number = _volume(vol)
        out.append(np.ceil(number) if counts_families and number is not None else np.nan)
    return pd.Series(out, index=register.index, dtype="float64")


def _off_pocket_gaps(
    s3: pd.DataFrame, base: pd.DataFrame, kantong: pd.DataFrame, pockets: set[str]
) -> list[tuple]:
    """Return the gaps "lokus strategi 3 bukan kantong" (strategy-3 loci outside pockets).

    Only assessed desa are listed: a desa left "tidak dinilai" (too few desa, no neighbours)
    is not known to be "bukan kantong". ``s3`` holds the register's strategy-3 loci
    (``kode_desa``, ``nama_sub_kegiatan``), ``base`` the desa names, ``kantong`` the labels
    (``kode_desa``, ``kantong``) and ``pockets`` the codes labelled ``panas``. Returns
    ``(kode_desa, desa, 3, jenis, keterangan)`` tuples.
    """
    names = dict(zip(base["kode_desa"], base["desa"], strict=True))
    assessed = set(kantong.loc[kantong["kantong"].ne(TIDAK_DINILAI), "kode_desa"])
    out = []
    for kode in sorted((set(s3["kode_desa"]) & assessed) - pockets):
        subs = s3.loc[s3["kode_desa"] == kode, "nama_sub_kegiatan"].astype(str)
        out.append((kode, names.get(kode, kode), 3, "lokus strategi 3 bukan kantong",
                    f"{len(subs)} sub kegiatan strategi 3 di desa yang bukan kantong: "
                    + "; ".join(subs.head(3))))  # fmt: skip
    return out


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
    long = _with_reach(long, base.set_index("kode_desa")["keluarga_desil_1"])
    keys = _strategy_keys(long)
    matriks = _matrix(base, long, keys)
    cakupan = _coverage(matriks, keys)

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
        for s in INPRES_NOMOR:
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
    s3 = long[long["strategi"].eq(3).fillna(False).to_numpy(dtype=bool)]
    if kantong is not None:
        celah += _off_pocket_gaps(s3, base, kantong, pockets)
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
        "aturan_cakupan": ATURAN_CAKUPAN,
        "aturan_pagu_per_keluarga": (
            f"pagu per keluarga desil 1 tidak ditampilkan sebagai angka untuk desa dengan kurang "
            f"dari {MIN_DESIL_1_PER_KELUARGA} keluarga desil 1: catatan sebagai gantinya"
        ),
        "skema_strategi": sorted(set(long["skema"])) if len(long) else [],
        "pemetaan_strategi": PERMENDAGRI.pemetaan(),
    }
    return InterventionResult(matriks, cakupan, celah_df, salah, kebutuhan, parameter)


ATURAN_CAKUPAN = (
    "desa terjangkau = desa dengan paling sedikit satu sub kegiatan strategi itu; keluarga "
    "desil 1 terjangkau paling banyak = untuk sub kegiatan bersasaran keluarga atau individu "
    "(target_volume; satu individu dihitung satu keluarga, batas atas), target dibagi ke desa "
    "lokusnya sebanding dengan keluarga desil 1-nya dan dibatasi jumlah keluarga desil 1 desa "
    "itu; sub kegiatan bersasaran wilayah atau tanpa volume menjangkau semua keluarga desil 1 "
    "di desa lokusnya; beberapa sub kegiatan di satu desa dijumlah, paling banyak sebanyak "
    "keluarga desil 1 desa itu"
)
"""How coverage is counted (for the page, the report and the workbook)."""


def _with_reach(long: pd.DataFrame, d1: pd.Series) -> pd.DataFrame:
    """Add ``keluarga_maks``: desil-1 families of the desa this locus row can reach at most.

    A row's family target is spread over its loci in proportion to their desil-1 families,
    so no locus gets more than it holds: ``d1_j * min(1, target / sum(d1 over the loci))``.
    """
    out = long.assign(d1=long["kode_desa"].map(d1).fillna(0.0).astype("float64"))
    if out.empty:
        return out.assign(keluarga_maks=pd.Series(dtype="float64"))
    total = out.groupby("_baris")["d1"].transform("sum")
    cap = out["keluarga_sasaran"].astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        fraction = np.where(total > 0, np.minimum(1.0, cap / total), 0.0)
    out["keluarga_maks"] = np.where(cap.isna(), out["d1"], out["d1"] * fraction)
    return out


def _strategy_keys(long: pd.DataFrame) -> list[tuple[object, np.ndarray]]:
    """Strategies of the views: Inpres 1-3, then P1-P4 when the register uses Permendagri.

    Each key comes with the mask of its rows in ``long``. Inpres strategy s takes the rows
    mapped to s (Inpres tags and P1-P3); P4 has no Inpres counterpart and appears only in
    the four-strategy view.
    """
    inpres = long["strategi"].astype("Int64")
    keys: list[tuple[object, np.ndarray]] = [
        (int(st.kode), inpres.eq(int(st.kode)).fillna(False).to_numpy(dtype=bool))
        for st in INPRES.strategi
    ]
    if (long["skema"] == PERMENDAGRI.nama).any():
        for st in PERMENDAGRI.strategi:
            keys.append((st.kode, (long["strategi_kode"] == st.kode).to_numpy(dtype=bool)))
    return keys


def _matrix(
    base: pd.DataFrame, long: pd.DataFrame, keys: list[tuple[object, np.ndarray]]
) -> pd.DataFrame:
    matriks = base.copy()
    d1 = matriks["keluarga_desil_1"]
    small = (d1 > 0) & (d1 < MIN_DESIL_1_PER_KELUARGA)
    # Only the three columns counted: filtering the whole register (its text columns) once per
    # strategy cost 47 s of the province's 290 s profile (bench/RESULTS.md).
    needed = long[["kode_desa", "pagu_desa_rp", "keluarga_maks"]]
    for key, mask in keys:
        part = needed[mask]
        count = part.groupby("kode_desa").size()
        pagu = part.groupby("kode_desa")["pagu_desa_rp"].sum()
        reach = part.groupby("kode_desa")["keluarga_maks"].sum()
        matriks[f"sub_kegiatan_{key}"] = matriks["kode_desa"].map(count).fillna(0).astype(int)
        matriks[f"pagu_{key}_rp"] = matriks["kode_desa"].map(pagu).fillna(0.0).round(0)
        matriks[f"keluarga_maks_{key}"] = np.minimum(
            matriks["kode_desa"].map(reach).fillna(0.0), d1
        ).round(0)
        with np.errstate(divide="ignore", invalid="ignore"):
            per = matriks[f"pagu_{key}_rp"] / d1
        matriks[f"pagu_{key}_per_desil_1_rp"] = per.where((d1 > 0) & ~small).round(0)
    matriks["catatan_pagu"] = np.where(
        small,
        f"kurang dari {MIN_DESIL_1_PER_KELUARGA} keluarga desil 1: pagu per keluarga tidak "
        "ditampilkan",
        "",
    )
    return matriks


def _coverage(matriks: pd.DataFrame, keys: list[tuple[object, np.ndarray]]) -> pd.DataFrame:
    rows = []
    for wilayah, group in [("kabupaten", matriks), *matriks.groupby("kecamatan")]:
        total = float(group["keluarga_desil_1"].sum())
        for key, _mask in keys:
            reached = group[f"sub_kegiatan_{key}"] > 0
            at_most = float(group[f"keluarga_maks_{key}"].sum())
            rows.append(
                {
                    "wilayah": wilayah,
                    "skema": PERMENDAGRI.nama if isinstance(key, str) else INPRES.nama,
                    "strategi": key,
                    "desa": len(group),
                    "desa_terjangkau": int(reached.sum()),
                    "keluarga_desil_1": int(total),
                    "keluarga_desil_1_di_desa_terjangkau": int(
                        group.loc[reached, "keluarga_desil_1"].sum()
                    ),
                    "keluarga_desil_1_terjangkau": round(at_most),
                    "persen": at_most / total * 100 if total else np.nan,
                }
            )
    return pd.DataFrame(rows)


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
