"""Poverty pockets (kantong kemiskinan): desa hotspots and household clusters below the desa.

No regulation defines a poverty pocket numerically: the rules here are an **analytic choice**,
stated in every output.

Desa level
    Local Getis-Ord Gi* (Getis & Ord 1992; Ord & Getis 1995; esda ``G_Local``, ``star=True``)
    or local Moran's I (Anselin 1995; esda ``Moran_Local``) on the desil-1 share (empirical
    Bayes smoothed, Clayton & Kaldor 1987, esda ``Empirical_Bayes``) or count, with seeded
    conditional permutation inference (esda's directed pseudo p-values: one-sided in the
    direction observed) and the Benjamini-Hochberg false-discovery-rate
    correction (scipy ``false_discovery_control``).

Scan statistic
    Alternatively (``statistik="scan_lingkaran"`` or ``"scan_tetangga"``), Kulldorff's
    spatial scan statistic on desil-1 families among all families (:mod:`targeting.scan`,
    :func:`scan_hotspots`): desa of a cluster with Monte Carlo p <= alpha are ``panas``, the
    others ``tidak signifikan``; no FDR step and no quadrants.

Labels
    A desa whose q <= alpha is named by its quadrant, as local Moran quadrants are (Anselin
    1995; esda ``Moran_Local.q``): its own value, and the mean of its neighbours' values (the
    spatial lag, row-standardised), each above or not above the mean of the tested desa.
    High-high is ``panas`` (a pocket: a desa that is itself poor among poor neighbours,
    DOMAIN.md), low-low ``dingin``, high-low ``pencilan tinggi`` (a poor desa among better-off
    ones) and low-high ``pencilan rendah`` (a better-off desa among poor ones). A desa with
    q > alpha is ``tidak signifikan``. The quadrant is computed by Lokus for both statistics
    (for Moran it equals esda's ``q``). The mean, not the median, is the reference because it
    is the one both statistics test against: Gi* (binary, star) compares the sum of a desa and
    its k neighbours with (k + 1) times the mean, so a high-high desa always has z > 0 and a
    low-low desa z <= 0, and a label never contradicts the sign of its statistic. With the
    median, a desa above the median among neighbours above the median could carry a
    significant z < 0 when a few very poor desa pull the mean up.

Power
    With 43 desa, conditional permutation and FDR, a desa can only reach significance when
    nearly all of its neighbours are high too: with k = 5 nearest neighbours, about four of
    five. Loose or small groups of poor desa are therefore reported "tidak signifikan"
    however poor they are; read the map of shares beside the pocket map.

Below the desa
    DBSCAN (Ester et al. 1996; scikit-learn) on the desil-1 families that have a point inside
    their own desa, in metres. Each cluster becomes a polygon: the concave hull of its
    points, buffered.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from typing import Literal

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from libpysal import weights
from scipy.stats import false_discovery_control
from sklearn.cluster import DBSCAN

from geo.crs import DISPLAY_CRS
from geo.errors import AnalysisError
from geo.text import fold, fold_series
from targeting import scan as scan_mod
from targeting.indicators import DEPRIVASI
from targeting.settings import setting

__all__ = [
    "KUADRAN",
    "LABELS",
    "PINDAI",
    "AnalysisError",
    "PocketResult",
    "PocketSettings",
    "berlaku",
    "build_weights",
    "desa_hotspots",
    "find_pockets",
    "household_clusters",
    "nama_metode",
    "scan_hotspots",
    "why_none_assessed",
]

LABELS = (
    "panas",
    "pencilan tinggi",
    "pencilan rendah",
    "dingin",
    "tidak signifikan",
    "tidak dinilai",
)
"""Desa labels: hot (a pocket: high among high), high outlier (high among low), low outlier
(low among high), cold (low among low), not significant, not assessed (no data or no
neighbour). Only ``panas`` is a poverty pocket."""

TIDAK_DINILAI = LABELS[-1]
"""Label of a desa the local statistic could not assess: not a pocket, nor known not to be one."""


PINDAI = ("scan_lingkaran", "scan_tetangga")
"""Values of :attr:`PocketSettings.statistik` that run the scan statistic (targeting/scan.py)."""

HANYA_LOKAL = frozenset({"variabel", "smoothing", "tetangga", "k", "jarak_m"})
"""Settings only Gi* and local Moran use (the scan tests counts of families, and its
neighbour-based windows always use contiguity)."""

HANYA_PINDAI = frozenset({"nol_pindai", "pindai_maks_persen", "pindai_maks_desa"})
"""Settings only the scan statistic uses."""


def berlaku(nama: str, statistik: str) -> bool:
    """Tell whether the setting ``nama`` of :class:`PocketSettings` acts under ``statistik``.

    Parameters
    ----------
    nama : str
        A field of :class:`PocketSettings`.
    statistik : str
        A value of :attr:`PocketSettings.statistik`.

    Returns
    -------
    bool
        False for a Gi*/Moran-only setting (:data:`HANYA_LOKAL`) under the scan, and for a
        scan-only setting (:data:`HANYA_PINDAI`) under Gi* or Moran; True otherwise. The app
        draws a widget only for the settings that act, so none moves nothing.
    """
    if statistik in PINDAI:
        return nama not in HANYA_LOKAL
    return nama not in HANYA_PINDAI


_MAKS_TITIK_SAMA = 3
"""Default of :attr:`PocketSettings.maks_titik_sama` (the widget's floor of ``min_keluarga``)."""


@dataclass(frozen=True)
class PocketSettings:
    """Settings of the pocket analysis, with their defaults.

    Attributes
    ----------
    statistik : {"gi_star", "moran", "scan_lingkaran", "scan_tetangga"}
        Local Getis-Ord Gi* (default), local Moran's I, or Kulldorff's spatial scan statistic
        with circular or neighbour-based windows (:mod:`targeting.scan`). bench/POWER.md
        measures them: the neighbour-based scan with the permutation null finds small groups
        (3 desa, island groups) that Gi* + FDR misses; why Gi* stays the default is in the
        README ("Spatial scan statistic").
    nol_pindai : {"permutasi", "binomial"}
        Null model of the scan's Monte Carlo replicas (``permutasi``: desa shuffled over the
        locations; ``binomial``: Kulldorff's, cases spread at random over all families).
    pindai_maks_persen : float
        Largest share of all families in one scan window, per 100 (SaTScan default 50).
    pindai_maks_desa : int
        Largest neighbour-based scan window, in desa (default 8).
    variabel : {"persen_desil_1", "keluarga_desil_1"}
        Desil-1 share (per 100 families, EB-smoothed when ``smoothing``) or count.
    smoothing : bool
        Empirical Bayes smoothing of the share (desa with few families borrow strength).
    tetangga : {"knn", "kontiguitas", "kontiguitas_knn", "jarak"}
        Neighbour rule, in metres in the metric CRS: ``knn`` (default) the ``k`` nearest desa
        by representative point, so island desa always have neighbours; ``kontiguitas`` desa
        within ``toleransi_m`` of each other, desa left without neighbour attached to their
        nearest desa (libpysal ``attach_islands``); ``kontiguitas_knn`` the union of both;
        ``jarak`` every desa within ``jarak_m`` (desa with none are "tidak dinilai").
    k : int
        Neighbours of the ``knn`` rules (default 5, see "Power" in the module notes).
    toleransi_m : float
        Gap in metres still counted as a shared border (digitising slivers; default 50).
    jarak_m : float
        Distance band in metres for ``jarak`` (default 15,000).
    permutasi : int
        Conditional permutations (at least 999).
    seed : int
        Seed of the permutations; the same input and seed give identical output.
    alpha : float
        False-discovery rate (Benjamini-Hochberg) for a desa to count as significant.
    radius_m : float
        DBSCAN neighbourhood radius in metres for household clusters (default 100).
    min_keluarga : int
        Fewest desil-1 families that make a cluster (default 10).
    maks_titik_sama : int
        Families recorded at one exact point beyond this count are treated as one location
        (a GPS placeholder such as the desa office must not create a pocket; default 3).
    buffer_m : float
        Buffer in metres around a cluster's concave hull (default 50).
    cakupan : {"wilayah", "kabupaten"}
        Test the desa of the whole region together (default) or each kabupaten/kota on its
        own (its own neighbours, mean and FDR correction): a choice for a province.
    """

    statistik: Literal["gi_star", "moran", "scan_lingkaran", "scan_tetangga"] = setting(
        "gi_star", label="Statistik", help="pocket method: local statistic or scan statistic",
        flag="--statistik", key="k_statistik",
        choices={
            "gi_star": "Getis-Ord Gi*", "moran": "Moran lokal (HH/LL)",
            "scan_lingkaran": "Pindai (lingkaran)",
            "scan_tetangga": "Pindai (bersinggungan)",
        },
    )  # fmt: skip
    variabel: Literal["persen_desil_1", "keluarga_desil_1"] = setting(
        "persen_desil_1", label="Nilai yang diuji", help="value tested", flag="--variabel",
        key="k_variabel",
        choices={"persen_desil_1": "Persentase desil 1", "keluarga_desil_1": "Jumlah desil 1"},
    )  # fmt: skip
    smoothing: bool = setting(
        True, label="Penghalusan Empirical Bayes", help="without Empirical Bayes smoothing",
        flag="--tanpa-smoothing", negate=True, key="k_eb",
    )  # fmt: skip
    tetangga: Literal["knn", "kontiguitas", "kontiguitas_knn", "jarak"] = setting(
        "knn", label="Aturan tetangga", help="neighbour rule", flag="--tetangga", key="k_tetangga",
        choices={
            "knn": "k desa terdekat", "kontiguitas": "Bersinggungan (+ toleransi)",
            "kontiguitas_knn": "Bersinggungan atau k terdekat", "jarak": "Dalam jarak tertentu",
        },
    )  # fmt: skip
    k: int = setting(
        5, label="k (tetangga terdekat)", help="number of nearest neighbours", flag="--k",
        key="k_k", min=1, max=12,
    )  # fmt: skip
    toleransi_m: float = setting(
        50.0, label="Toleransi celah batas (m)", help="border gap still counted as touching",
        unit="m", flag="--toleransi-m", key="k_tol", min=0, max=1000,
    )  # fmt: skip
    jarak_m: float = setting(
        15_000.0, label="Pita jarak (m)", help="distance band of --tetangga jarak", unit="m",
        flag="--jarak-m", key="k_jarak", min=500, max=100_000, step=500,
    )  # fmt: skip
    permutasi: int = setting(
        999, label="Permutasi", help="conditional permutations, at least 999",
        flag="--permutasi", key="k_perm", min=999, max=99_999, step=1000,
    )  # fmt: skip
    seed: int = setting(
        20240601, label="Seed", help="seed of the permutations", flag="--seed", key="k_seed",
        min=0, max=2**31 - 1,
    )  # fmt: skip
    alpha: float = setting(
        0.05, label="Alpha (FDR)", help="false-discovery rate", flag="--alpha", key="k_alpha",
        options=(0.001, 0.005, 0.01, 0.05, 0.1, 0.2),
    )  # fmt: skip
    nol_pindai: Literal["permutasi", "binomial"] = setting(
        "permutasi", label="Model nol statistik pindai", help="null model of the scan's replicas",
        flag="--nol-pindai", key="k_nol_pindai",
        choices={"permutasi": "Permutasi desa (susunan ruang)", "binomial": "Binomial (Kulldorff)"},
    )  # fmt: skip
    pindai_maks_persen: float = setting(
        50.0, label="Jendela pindai: keluarga maksimal (%)",
        help="largest share of all families in one scan window", unit="%",
        flag="--pindai-maks-persen", key="k_pindai_persen", min=1, max=50,
    )  # fmt: skip
    pindai_maks_desa: int = setting(
        8, label="Jendela pindai bertetangga: desa maksimal",
        help="largest neighbour-based scan window, in desa", flag="--pindai-maks-desa",
        key="k_pindai_desa", min=1, max=12,
    )  # fmt: skip
    radius_m: float = setting(
        100.0, label="Radius klaster keluarga (m)", help="DBSCAN radius of family clusters",
        unit="m", flag="--radius-m", key="k_radius", min=10, max=2000,
    )  # fmt: skip
    min_keluarga: int = setting(
        10, label="Keluarga minimal per klaster", help="fewest families per cluster",
        flag="--min-keluarga", key="k_min", min=_MAKS_TITIK_SAMA + 1, max=200,
    )  # fmt: skip
    maks_titik_sama: int = setting(
        _MAKS_TITIK_SAMA, label="Keluarga maksimal per titik yang sama",
        help="families at one exact point beyond this count are one location",
    )  # fmt: skip
    buffer_m: float = setting(
        50.0, label="Buffer klaster (m)", help="buffer around a cluster's concave hull", unit="m"
    )
    cakupan: Literal["wilayah", "kabupaten"] = setting(
        "wilayah", label="Cakupan uji kantong", help="test pockets over the whole region or "
        "per kabupaten/kota (a province: targeting.wilayah.pockets_by_kabupaten)",
        flag="--cakupan", key="k_cakupan",
        choices={"wilayah": "Seluruh wilayah", "kabupaten": "Per kabupaten/kota"},
    )  # fmt: skip

    def __post_init__(self) -> None:
        problems = []
        if self.statistik not in ("gi_star", "moran", *PINDAI):
            problems.append(
                f"statistik {self.statistik!r} (pilihan: gi_star, moran, scan_lingkaran, "
                "scan_tetangga)"
            )
        if self.nol_pindai not in ("permutasi", "binomial"):
            problems.append(f"nol_pindai {self.nol_pindai!r} (pilihan: permutasi, binomial)")
        if not 0 < self.pindai_maks_persen <= 50 or not 1 <= self.pindai_maks_desa <= 12:
            problems.append("jendela pindai: keluarga maksimal 0-50 %, desa maksimal 1-12")
        if self.variabel not in ("persen_desil_1", "keluarga_desil_1"):
            problems.append(f"variabel {self.variabel!r}")
        if self.tetangga not in ("knn", "kontiguitas", "kontiguitas_knn", "jarak"):
            problems.append(f"tetangga {self.tetangga!r}")
        if self.permutasi < 999:
            problems.append(f"permutasi {self.permutasi} (paling sedikit 999)")
        if not 0 < self.alpha < 1:
            problems.append(f"alpha {self.alpha}")
        if self.k < 1:
            problems.append(f"k {self.k} (paling sedikit 1)")
        if self.seed < 0:
            problems.append(f"seed {self.seed} (harus >= 0)")
        if self.min_keluarga <= self.maks_titik_sama:
            problems.append(
                f"min_keluarga {self.min_keluarga} harus lebih dari maks_titik_sama "
                f"{self.maks_titik_sama} (satu titik GPS tidak boleh membentuk kantong sendiri)"
            )
        if self.radius_m <= 0 or self.jarak_m <= 0:
            problems.append("radius_m dan jarak_m harus lebih dari 0 meter")
        if min(self.toleransi_m, self.buffer_m) < 0:
            problems.append("toleransi_m dan buffer_m tidak boleh negatif")
        if problems:
            msg = "pengaturan kantong tidak sah: " + "; ".join(problems)
            raise ValueError(msg)


@dataclass
class PocketResult:
    """Pockets at desa level and below.

    Attributes
    ----------
    desa : geopandas.GeoDataFrame
        One row per desa (input order, EPSG:4326): ``kode_desa``, ``kantong`` (a label of
        :data:`LABELS`), ``nilai`` (the analysed value), ``gi_z``, ``gi_p`` (pseudo p-value
        of the permutations), ``gi_q`` (FDR-adjusted), ``kuadran`` (Moran only),
        ``nilai_tetangga`` (mean of the neighbours' values), ``tetangga`` (codes, ``;``
        separated), ``jumlah_tetangga`` and ``alasan`` (why it is or is not a pocket).
    klaster : geopandas.GeoDataFrame
        One row per household cluster (EPSG:4326): ``id_kantong``, ``kode_desa``, ``desa``,
        ``keluarga_desil_1`` (households), ``luas_m2``, ``kekurangan_utama`` and a polygon.
    anggota : pandas.DataFrame
        ``id_kantong`` and the row index of each member family in the placed households (kept
        in memory for target lists; no identifier is written by the pocket outputs).
    parameter : dict
        Every setting, the metric CRS and the rule texts, for the report.
    """

    desa: gpd.GeoDataFrame
    klaster: gpd.GeoDataFrame
    anggota: pd.DataFrame
    parameter: dict[str, object]


def build_weights(
    desa: gpd.GeoDataFrame, *, metric_crs: pyproj.CRS, settings: PocketSettings
) -> weights.W:
    """Neighbour weights between desa, with ``kode_desa`` as ids, in the input's row order.

    Parameters
    ----------
    desa : geopandas.GeoDataFrame
        Desa polygons with ``kode_desa``, any CRS (required).
    metric_crs : pyproj.CRS
        Metric CRS in which distances and tolerances are measured (EPSG:32749 here).
    settings : PocketSettings
        ``tetangga``, ``k``, ``toleransi_m``, ``jarak_m``.

    Returns
    -------
    libpysal.weights.W
        Binary weights; ``w.id_order == list(desa["kode_desa"])``. Under ``jarak`` a desa
        may have no neighbour (``w.islands``).

    Raises
    ------
    AnalysisError
        If there are fewer desa than ``k + 1`` for the nearest-neighbour rules.
    """
    with _quiet_pysal():
        return _build_weights(desa, metric_crs=metric_crs, settings=settings)


@contextlib.contextmanager
def _quiet_pysal() -> Iterator[None]:
    """Silence libpysal's notes that Lokus handles itself.

    libpysal warns about islands and disconnected components (an archipelago has them by
    nature; Lokus labels desa without neighbours "tidak dinilai"), and libpysal 4.14 calls
    ``GeoDataFrame.drop(inplace=True)``, deprecated in pandas 3.1. esda 2.9 announces a
    change of the default alternative hypothesis of conditional randomization.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"(?s).*(not fully connected|island)")
        warnings.filterwarnings("ignore", message=r"(?s).*inplace keyword")
        # esda 2.9 announces a future change of its default alternative; Lokus records the
        # current one (directed, folded) in the report.
        warnings.filterwarnings("ignore", message=r"(?s).*alternative hypothesis for conditional")
        # esda 2.9 still calls numpy's deprecated row_stack alias.
        warnings.filterwarnings("ignore", message=r"(?s).*row_stack")
        yield


def _build_weights(
    desa: gpd.GeoDataFrame, *, metric_crs: pyproj.CRS, settings: PocketSettings
) -> weights.W:
    m = desa.to_crs(metric_crs).set_index("kode_desa", drop=False)
    ids = m["kode_desa"].tolist()
    points = m.set_geometry(m.representative_point())
    rule = settings.tetangga
    if rule in ("knn", "kontiguitas_knn") and len(ids) <= settings.k:
        msg = f"terlalu sedikit desa ({len(ids)}) untuk {settings.k} tetangga terdekat"
        raise AnalysisError(
            msg, en=f"too few desa ({len(ids)}) for {settings.k} nearest neighbours"
        )
    if rule == "knn":
        w = weights.KNN.from_dataframe(points, k=settings.k, ids=ids, silence_warnings=True)
    elif rule == "jarak":
        w = weights.DistanceBand.from_dataframe(
            points, threshold=settings.jarak_m, binary=True, ids=ids, silence_warnings=True
        )
    else:
        contig = weights.fuzzy_contiguity(
            m, tolerance=0, buffering=True, buffer=settings.toleransi_m / 2, silence_warnings=True
        )
        if rule == "kontiguitas":
            knn1 = weights.KNN.from_dataframe(points, k=1, ids=ids, silence_warnings=True)
            w = weights.attach_islands(contig, knn1) if contig.islands else contig
        else:
            knn = weights.KNN.from_dataframe(points, k=settings.k, ids=ids, silence_warnings=True)
            w = weights.w_union(contig, knn, silence_warnings=True)
    # Symmetrise (KNN is not symmetric) and keep the input order.
    neighbours = {i: set(w.neighbors.get(i, [])) for i in ids}
    for i in ids:
        for j in list(neighbours[i]):
            neighbours[j].add(i)
    out = weights.W({i: sorted(neighbours[i]) for i in ids}, id_order=ids, silence_warnings=True)
    if out.id_order != ids:  # pragma: no cover - libpysal contract
        msg = "urutan bobot tidak sama dengan urutan desa"
        raise AnalysisError(msg, en="weights order differs from desa order")
    return out


def _values(ind: pd.DataFrame, settings: PocketSettings) -> np.ndarray:
    if settings.variabel == "keluarga_desil_1":
        return ind["keluarga_desil_1"].astype("float64").to_numpy()
    share = ind["persen_desil_1"].astype("float64").to_numpy()
    if not settings.smoothing:
        return share
    events = ind["keluarga_desil_1"].astype("float64").to_numpy().reshape(-1, 1)
    base = ind["keluarga_total"].astype("float64").to_numpy().reshape(-1, 1)
    return esda.smoothing.Empirical_Bayes(events, base).r.ravel() * 100


def _check_values(y: np.ndarray, n_data: int) -> None:
    if len(y) < 3:
        msg = (
            f"hanya {len(y)} desa dengan nilai yang dapat diuji ({n_data} desa berdata P3KE); "
            "paling sedikit 3 desa diperlukan untuk statistik lokal"
        )
        en = f"only {len(y)} desa with a testable value ({n_data} with P3KE data); 3 needed"
        if n_data > len(y):
            msg += (
                ". Desa lain tidak memiliki penyebut, atau penyebutnya lebih kecil daripada "
                "jumlah keluarga P3KE: periksa tabel seluruh keluarga per desa"
            )
            en += "; the other desa lack a usable denominator (check the family table)"
        raise AnalysisError(msg, en=en)
    if (y < 0).any():
        msg = "nilai negatif tidak dapat dianalisis (jumlah dan persentase keluarga >= 0)"
        raise AnalysisError(msg, en="negative values cannot be analysed")
    if np.allclose(y, 0):
        msg = "semua desa bernilai 0: tidak ada keluarga desil 1 untuk dianalisis"
        raise AnalysisError(msg, en="every desa is 0: no desil-1 families to analyse")
    if np.allclose(y, y[0]):
        msg = "semua desa bernilai sama: statistik lokal tidak terdefinisi"
        raise AnalysisError(msg, en="every desa has the same value: local statistics undefined")


def desa_hotspots(
    indikator: gpd.GeoDataFrame, *, metric_crs: pyproj.CRS, settings: PocketSettings
) -> gpd.GeoDataFrame:
    """Label each desa: pocket (``panas``), outlier, cold, not significant or not assessed.

    Parameters
    ----------
    indikator : geopandas.GeoDataFrame
        Output of :func:`targeting.indicators.desa_indicators`: ``kode_desa``, ``ada_data``,
        ``keluarga_desil_1``, ``keluarga_total``, ``persen_desil_1`` and polygons.
    metric_crs : pyproj.CRS
        Metric CRS for the neighbour rule.
    settings : PocketSettings
        Statistic, variable, neighbours, permutations, seed, alpha.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed like ``indikator``, EPSG:4326; columns listed in :class:`PocketResult`.

    Raises
    ------
    AnalysisError
        If the analysed values are constant, all zero, negative, or fewer than 3 desa.

    Notes
    -----
    Desa without data (or without a share, for the share variable) are left out of the
    weights and labelled ``tidak dinilai``, as is any desa the neighbour rule leaves without
    a neighbour. The weights are checked against the row order before the statistic.
    """
    if settings.statistik in PINDAI:
        return scan_hotspots(indikator, metric_crs=metric_crs, settings=settings)
    ind = indikator.reset_index(drop=True)
    col = "keluarga_desil_1" if settings.variabel == "keluarga_desil_1" else "persen_desil_1"
    usable = ind["ada_data"].astype(bool) & ind[col].notna()
    if settings.variabel == "persen_desil_1":
        usable &= ind["keluarga_total"].notna()
    usable &= ind.geometry.notna().to_numpy()  # a pemekaran desa: counted, has no polygon
    sub = ind[usable].reset_index(drop=True)
    raw_col = "keluarga_desil_1" if settings.variabel == "keluarga_desil_1" else "persen_desil_1"
    _check_values(sub[raw_col].astype("float64").to_numpy(), int(ind["ada_data"].sum()))
    with np.errstate(divide="ignore", invalid="ignore"):
        y = _values(sub, settings)
    if not np.isfinite(y).all():
        msg = "penghalusan Empirical Bayes gagal (penyebut nol); jalankan tanpa smoothing"
        raise AnalysisError(msg, en="Empirical Bayes smoothing failed (zero base); run without it")
    w = build_weights(sub, metric_crs=metric_crs, settings=settings)
    if w.id_order != sub["kode_desa"].tolist():
        msg = "urutan bobot tidak sama dengan urutan desa"
        raise AnalysisError(msg, en="weights order differs from desa order")
    has_nb = np.array([w.cardinalities[i] > 0 for i in w.id_order])
    if has_nb.sum() < 3:
        msg = "kurang dari 3 desa memiliki tetangga menurut aturan tetangga ini"
        raise AnalysisError(msg, en="fewer than 3 desa have a neighbour under this rule")
    w_sub = w
    if not has_nb.all():
        keep = [i for i, ok in zip(w.id_order, has_nb, strict=True) if ok]
        with _quiet_pysal():
            w_sub = weights.w_subset(w, keep, silence_warnings=True)
    y_sub = y[has_nb]
    with _quiet_pysal(), np.errstate(divide="ignore", invalid="ignore"):
        stat, z = _local_statistic(y_sub, w_sub, settings)
    p = np.asarray(stat.p_sim, dtype=float)
    # A desa whose neighbours are all other desa has no defined z (no variance left): it is
    # "tidak dinilai", and the FDR correction runs over the defined tests only.
    finite = np.isfinite(z)
    q = np.full(len(p), np.nan)
    if finite.any():
        q[finite] = false_discovery_control(p[finite], method="bh")
    # The quadrant's reference is the mean of the tested values, as in esda's Moran_Local.
    return _label(ind, sub, y, w, has_nb, z, p, q, float(np.mean(y_sub)), settings)


def scan_hotspots(
    indikator: gpd.GeoDataFrame, *, metric_crs: pyproj.CRS, settings: PocketSettings
) -> gpd.GeoDataFrame:
    """Label each desa by Kulldorff's spatial scan statistic (binomial model).

    Parameters
    ----------
    indikator : geopandas.GeoDataFrame
        As for :func:`desa_hotspots`: ``kode_desa``, ``desa``, ``ada_data``,
        ``keluarga_desil_1`` (cases), ``keluarga_total`` (all families) and polygons.
    metric_crs : pyproj.CRS
        Metric CRS of the windows (distances between representative points, contiguity).
    settings : PocketSettings
        ``statistik`` (``scan_lingkaran`` or ``scan_tetangga``), ``nol_pindai``,
        ``pindai_maks_persen``, ``pindai_maks_desa``, ``toleransi_m`` (contiguity of the
        neighbour-based windows), ``permutasi`` (Monte Carlo replicas), ``seed``, ``alpha``.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns of :func:`desa_hotspots` (``nilai`` the desil-1 share per 100 families,
        ``gi_p`` the Monte Carlo p of the desa's cluster, ``gi_z``, ``gi_q`` (no FDR step),
        ``kuadran`` and ``nilai_tetangga`` empty, ``tetangga`` the other desa of its cluster)
        plus ``klaster_pindai`` (``S1`` most likely, ``S2`` … secondary), ``pindai_llr`` and
        ``pindai_rr`` (relative risk). A desa of a cluster with p <= alpha is ``panas``.

    Raises
    ------
    AnalysisError
        If fewer than 3 desa have a usable count, or no or every family is in desil 1.

    Notes
    -----
    The p-value of the most likely cluster is already corrected for the many windows tried
    (it is judged against the largest LLR of each replica), so no FDR step follows;
    secondary clusters are judged against the same distribution (conservative, SaTScan).
    """
    ind = indikator.reset_index(drop=True)
    cases = pd.to_numeric(ind["keluarga_desil_1"], errors="coerce").astype("float64")
    pop = pd.to_numeric(ind["keluarga_total"], errors="coerce").astype("float64")
    usable = (ind["ada_data"].astype(bool) & cases.notna() & pop.gt(0) & cases.le(pop)).to_numpy()
    usable = usable & ind.geometry.notna().to_numpy()  # pemekaran: no polygon, no window
    sub = ind[usable].reset_index(drop=True)
    c, n = cases[usable].to_numpy().astype(int), pop[usable].to_numpy().astype(int)
    if len(c) < 3 or c.sum() == 0:
        # The counts' own checks (fewer than 3 desa, no desil-1 family); equal counts on
        # unequal families are a valid scan input, unlike for the local statistics.
        _check_values(c.astype(float), int(ind["ada_data"].sum()))
    if c.sum() >= n.sum():
        msg = "semua keluarga berdesil 1: statistik pindai tidak terdefinisi"
        raise AnalysisError(msg, en="every family is in desil 1: the scan is undefined")
    m = sub.to_crs(metric_crs)
    pts = m.representative_point()
    xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    if settings.statistik == "scan_lingkaran":
        win = scan_mod.circular_windows(xy, n.astype(float), settings.pindai_maks_persen)
    else:
        w = build_weights(
            sub, metric_crs=metric_crs, settings=replace(settings, tetangga="kontiguitas")
        )
        pos = {k: i for i, k in enumerate(w.id_order)}
        nbs = [[pos[j] for j in w.neighbors[k]] for k in w.id_order]
        win = scan_mod.flexible_windows(
            nbs, xy, n.astype(float), maks_desa=settings.pindai_maks_desa,
            maks_persen=settings.pindai_maks_persen,
        )  # fmt: skip
    res = scan_mod.scan(
        c, n, win, replikasi=settings.permutasi, seed=settings.seed, nol=settings.nol_pindai
    )
    return _scan_label(ind, sub, c, n, res, settings)


def _scan_label(
    ind: pd.DataFrame,
    sub: pd.DataFrame,
    c: np.ndarray,
    n: np.ndarray,
    res: scan_mod.ScanResult,
    settings: PocketSettings,
) -> gpd.GeoDataFrame:
    """One row per desa with label and reason from the scan's clusters."""
    codes = sub["kode_desa"].tolist()
    names = dict(zip(ind["kode_desa"], ind["desa"], strict=True))
    with_data = set(ind.loc[ind["ada_data"].astype(bool), "kode_desa"])
    unmapped = set(ind.loc[ind.geometry.isna().to_numpy(), "kode_desa"])
    rate = float(c.sum() / n.sum() * 100)
    of = {codes[d]: (i, cl) for i, cl in enumerate(res.klaster) for d in cl.desa}
    row_of = {k: i for i, k in enumerate(codes)}
    records = []
    for kode in ind["kode_desa"]:
        rec = _rekaman_kosong(kode, pindai=True)
        records.append(rec)
        if kode not in row_of:
            rec["alasan"] = _alasan_tidak_dinilai(kode, unmapped, with_data, _PENYEBUT_PINDAI)
            continue
        i = row_of[kode]
        own = f"desa ini {_id_int(c[i])} dari {_id_int(n[i])} keluarga ({_id(c[i] / n[i] * 100, 2)} %)"
        rec.update({"nilai": c[i] / n[i] * 100, "rata_rata": rate, "kantong": "tidak signifikan"})
        if kode not in of:
            rec["alasan"] = (
                "Bukan kantong: desa ini tidak termasuk klaster statistik pindai mana pun yang "
                f"dilaporkan. Rincian: {own}; seluruh desa yang dinilai {_id(rate, 2)} %."
            )
            continue
        k, cl = of[kode]
        others = [codes[d] for d in cl.desa if codes[d] != kode]
        signif = cl.p <= settings.alpha
        rec.update({
            "kantong": "panas" if signif else "tidak signifikan", "gi_p": cl.p,
            "tetangga": ";".join(others), "jumlah_tetangga": len(others),
            "klaster_pindai": f"S{k + 1}", "pindai_llr": cl.llr, "pindai_rr": cl.risiko_relatif,
        })  # fmt: skip
        rec["alasan"] = _scan_reason(k, cl, [names[codes[d]] for d in cl.desa], own, settings)
    out = pd.DataFrame(records)
    out["jumlah_tetangga"] = out["jumlah_tetangga"].astype(int)
    geo_out = gpd.GeoDataFrame(out, geometry=ind.geometry.values, crs=ind.crs)
    return geo_out.to_crs(DISPLAY_CRS) if geo_out.crs is not None else geo_out


def _scan_reason(
    k: int, cl: scan_mod.ScanCluster, names: list[str], own: str, settings: PocketSettings
) -> str:
    """Write the plain sentence and the numbers of a desa inside a reported scan cluster."""
    rank = "paling mungkin" if k == 0 else "sekunder"
    if cl.p <= settings.alpha:
        head = (
            "KANTONG KEMISKINAN: keluarga desil 1 lebih banyak di kelompok desa ini daripada di "
            f"luarnya (klaster pindai {rank} S{k + 1}, p <= alpha)"
        )
    else:
        head = (
            f"Bukan kantong: klaster pindai {rank} S{k + 1} tidak signifikan (p > alpha): "
            "kelebihan keluarga desil 1 sebesar ini masih bisa terjadi secara kebetulan"
        )
    shown = "; ".join(names[:8]) + ("; …" if len(names) > 8 else "")
    window = "lingkaran" if settings.statistik == "scan_lingkaran" else "desa bertetangga"
    nol = "permutasi desa" if settings.nol_pindai == "permutasi" else "binomial"
    return (
        f"{head}. Rincian: klaster S{k + 1} ({len(names)} desa: {shown}): "
        f"{_id_int(cl.kasus)} keluarga desil 1 dari {_id_int(cl.keluarga)} keluarga "
        f"({_id(cl.kasus / cl.keluarga * 100, 2)} %), harapan bila merata {_id(cl.harapan, 1)}; "
        f"risiko relatif {_id(cl.risiko_relatif, 2)}, LLR {_id(cl.llr, 2)}, p = {_id(cl.p, 3)} "
        f"({settings.permutasi} replikasi Monte Carlo, model nol {nol}, jendela {window}), "
        f"alpha {_id(settings.alpha, 3)}; {own}."
    )


def _id_int(value: float) -> str:
    """Format a whole number with Indonesian thousands separators (``12.345``)."""
    return f"{round(float(value)):,}".replace(",", ".")


def _local_statistic(
    y_sub: np.ndarray, w_sub: weights.W, settings: PocketSettings
) -> tuple[object, np.ndarray]:
    if settings.statistik == "gi_star":
        stat = esda.G_Local(
            y_sub, w_sub, transform="B", permutations=settings.permutasi, star=True,
            seed=settings.seed, keep_simulations=False,
        )  # fmt: skip
        z = np.asarray(stat.Zs, dtype=float)
    else:
        stat = esda.Moran_Local(
            y_sub, w_sub, transformation="r", permutations=settings.permutasi,
            seed=settings.seed, keep_simulations=True,  # z_sim needs the simulations
        )  # fmt: skip
        z = np.asarray(stat.z_sim, dtype=float)
    return stat, z


def _id(value: float, digits: int) -> str:
    """Format a number with a decimal comma, as Indonesian readers write it."""
    return f"{value:.{digits}f}".replace(".", ",")


KUADRAN = {1: "tinggi-tinggi", 2: "rendah-tinggi", 3: "rendah-rendah", 4: "tinggi-rendah"}
"""Quadrants of esda ``Moran_Local.q`` (own value, then the neighbours' mean, against the mean)."""

_LABEL_OF_QUADRANT = {1: "panas", 2: "pencilan rendah", 3: "dingin", 4: "pencilan tinggi"}


def _quadrants(y: np.ndarray, lag: np.ndarray, mean: float) -> np.ndarray:
    """Quadrant 1 HH, 2 LH, 3 LL, 4 HL of each desa, exactly as esda ``Moran_Local.q``.

    "High" is strictly above ``mean`` (a value equal to the mean is low, as in esda).
    """
    own, nb = y > mean, lag > mean
    return np.select([own & nb, ~own & nb, ~own & ~nb], [1, 2, 3], default=4).astype(float)


def _reason(label: str, quad: int, pi: float, alpha: float, sig: bool) -> str:
    """Write the plain sentence of a label; every word is true of the numbers beside it."""
    if not sig:
        if pi > alpha:
            return (
                "Bukan kantong: tidak signifikan, bahkan sebelum koreksi untuk banyak uji "
                "(p > alpha): pola desa ini bersama tetangganya masih bisa terjadi secara kebetulan."
            )
        return (
            "Bukan kantong: p <= alpha, tetapi tidak signifikan setelah koreksi untuk banyak uji "
            "(FDR, q > alpha)."
        )
    where = {
        1: "desa ini dan rata-rata tetangganya sama-sama di atas rata-rata",
        2: "desa ini di bawah rata-rata, tetapi rata-rata tetangganya di atas rata-rata",
        3: "desa ini dan rata-rata tetangganya sama-sama tidak di atas rata-rata",
        4: "desa ini di atas rata-rata, tetapi rata-rata tetangganya tidak di atas rata-rata",
    }[quad]
    if label == "panas":
        head = "KANTONG KEMISKINAN: keluarga desil 1 banyak di desa ini dan di sekitarnya"
    elif label == "dingin":
        head = "Bukan kantong (dingin): keluarga desil 1 sedikit di desa ini dan di sekitarnya"
    elif label == "pencilan tinggi":
        head = (
            "Bukan kantong, PENCILAN TINGGI: desa miskin di antara desa yang lebih sejahtera; "
            "periksa desa ini tersendiri"
        )
    else:
        head = "Bukan kantong, pencilan rendah: desa yang lebih sejahtera di antara desa miskin"
    return f"{head} ({where}); signifikan setelah koreksi FDR (q <= alpha)."


def _label(
    ind: pd.DataFrame,
    sub: pd.DataFrame,
    y: np.ndarray,
    w: weights.W,
    has_nb: np.ndarray,
    z: np.ndarray,
    p: np.ndarray,
    q: np.ndarray,
    mean: float,
    settings: PocketSettings,
) -> gpd.GeoDataFrame:
    values = dict(zip(sub["kode_desa"], y, strict=True))
    names = dict(zip(ind["kode_desa"], ind["desa"], strict=True))
    with_data = set(ind.loc[ind["ada_data"].astype(bool), "kode_desa"])
    unmapped = set(ind.loc[ind.geometry.isna().to_numpy(), "kode_desa"])
    assessed = [k for k, ok in zip(w.id_order, has_nb, strict=True) if ok]
    stats = {k: (z[i], p[i], q[i]) for i, k in enumerate(assessed)}
    what = "persentase desil 1" + (" (dihaluskan EB)" if settings.smoothing else "")
    if settings.variabel == "keluarga_desil_1":
        what = "jumlah keluarga desil 1"
    name = "Gi*" if settings.statistik == "gi_star" else "Moran lokal"
    records = []
    for kode in ind["kode_desa"]:
        rec = _rekaman_kosong(kode, pindai=False)
        records.append(rec)
        if kode not in values:
            rec["alasan"] = _alasan_tidak_dinilai(kode, unmapped, with_data, _PENYEBUT_PERSEN)
            continue
        nbs = list(w.neighbors[kode])
        rec["nilai"] = values[kode]
        rec["tetangga"] = ";".join(nbs)
        rec["jumlah_tetangga"] = len(nbs)
        if nbs:
            rec["nilai_tetangga"] = float(np.mean([values[j] for j in nbs]))
        if kode not in stats:
            rec["alasan"] = "tidak dinilai: tidak ada desa tetangga menurut aturan ini"
            continue
        zi, pi, qi = stats[kode]
        lag = float(rec["nilai_tetangga"])
        qd = int(_quadrants(np.array([values[kode]]), np.array([lag]), mean)[0])
        rec.update({"gi_z": zi, "gi_p": pi, "gi_q": qi, "kuadran": float(qd), "rata_rata": mean})
        if not np.isfinite(zi):
            rec["gi_z"], rec["gi_q"] = np.nan, np.nan
            rec["alasan"] = (
                "tidak dinilai: semua desa lain adalah tetangganya, sehingga statistik lokalnya "
                "tidak terdefinisi (kurangi k atau pita jarak)"
            )
            continue
        signif = bool(qi <= settings.alpha)
        label = _LABEL_OF_QUADRANT[qd] if signif else "tidak signifikan"
        rec["kantong"] = label
        shown = [f"{names[j]} ({_id(values[j], 1)})" for j in nbs[:8]]
        nb_txt = "; ".join(shown) + ("; …" if len(nbs) > 8 else "")
        detail = (
            f"Rincian: {what} desa ini {_id(values[kode], 2)}, rata-rata {len(assessed)} desa "
            f"yang dinilai {_id(mean, 2)}, rata-rata tetangga {_id(lag, 2)}; tetangga "
            f"({len(nbs)}): {nb_txt}. {name} z = {_id(zi, 2)}, p = {_id(pi, 3)}, "
            f"q (FDR) = {_id(qi, 3)}, alpha {_id(settings.alpha, 3)}; kuadran {KUADRAN[qd]}."
        )
        plain = _reason(label, qd, pi, settings.alpha, signif)
        rec["alasan"] = f"{plain} {detail}"
    out = pd.DataFrame(records)
    out["jumlah_tetangga"] = out["jumlah_tetangga"].astype(int)
    geo_out = gpd.GeoDataFrame(out, geometry=ind.geometry.values, crs=ind.crs)
    return geo_out.to_crs(DISPLAY_CRS) if geo_out.crs is not None else geo_out


_ATURAN_PINDAI = (
    "statistik pindai Kulldorff (model binomial: keluarga desil 1 di antara semua keluarga): "
    "setiap kelompok desa (jendela) diuji apakah keluarga desil 1 lebih banyak di dalamnya "
    "daripada di luarnya; klaster paling mungkin dan klaster sekunder yang tidak bertumpang "
    "tindih dinilai dengan p Monte Carlo terhadap LLR terbesar tiap replikasi. Desa dalam "
    "klaster dengan p <= alpha = panas (kantong); desa lain yang dinilai = tidak signifikan; "
    "tanpa data = tidak dinilai. Pilihan analitis, bukan definisi peraturan."
)


def nama_metode(parameter: dict[str, object]) -> str:
    """Name the desa-level method of a run in Indonesian, for captions.

    Parameters
    ----------
    parameter : dict
        ``PocketResult.parameter`` (``statistik``, ``nol_pindai``, ``pindai_maks_persen``,
        ``pindai_maks_desa``), or the settings as a dict.

    Returns
    -------
    str
        E.g. ``"Gi*"`` or ``"pindai Kulldorff, jendela desa bersinggungan (paling banyak 8 desa
        dan 50 % keluarga), model nol permutasi desa"`` (read after the word "statistik").
    """
    stat = parameter["statistik"]
    if stat not in PINDAI:
        return "Gi*" if stat == "gi_star" else "Moran lokal"
    persen = f"{float(parameter['pindai_maks_persen']):g}".replace(".", ",")
    if stat == "scan_lingkaran":
        window = f"jendela lingkaran (paling banyak {persen} % keluarga)"
    else:
        window = (
            f"jendela desa bersinggungan (paling banyak {parameter['pindai_maks_desa']} desa dan "
            f"{persen} % keluarga)"
        )
    nol = "permutasi desa" if parameter["nol_pindai"] == "permutasi" else "binomial"
    return f"pindai Kulldorff, {window}, model nol {nol}"


TANPA_BARIS = "tidak dinilai: tidak ada baris P3KE untuk desa ini"
"""The reason of a desa the P3KE file has no row for (see :func:`_label`)."""

_PENYEBUT_PINDAI = (
    "tidak dinilai: jumlah keluarga desa ini tidak dapat dipakai (penyebut kosong, atau lebih "
    "kecil daripada jumlah keluarga desil 1)"
)
_PENYEBUT_PERSEN = (
    "tidak dinilai: persentase tidak dapat dihitung (penyebut kosong, atau lebih kecil daripada "
    "jumlah keluarga P3KE desa ini)"
)


def _rekaman_kosong(kode: str, *, pindai: bool) -> dict[str, object]:
    """One desa's pocket row before it is assessed (``tidak dinilai``, no statistic)."""
    rec: dict[str, object] = {
        "kode_desa": kode, "kantong": "tidak dinilai", "nilai": np.nan, "gi_z": np.nan,
        "gi_p": np.nan, "gi_q": np.nan, "kuadran": np.nan, "nilai_tetangga": np.nan,
        "rata_rata": np.nan, "tetangga": "", "jumlah_tetangga": 0, "alasan": "",
    }  # fmt: skip
    if pindai:
        rec.update({"klaster_pindai": "", "pindai_llr": np.nan, "pindai_rr": np.nan})
    return rec


def _alasan_tidak_dinilai(kode: str, unmapped: set, with_data: set, penyebut: str) -> str:
    """Why a desa is not assessed: no polygon (pemekaran), an unusable denominator, no data."""
    if kode in unmapped:
        return "tidak dinilai: tanpa batas desa (pemekaran)"
    return penyebut if kode in with_data else TANPA_BARIS


def why_none_assessed(desa: pd.DataFrame) -> str:
    """Why no desa was assessed, summed over the district, for the "0 desa dinilai" line.

    Each reason is counted once with its number of desa; reasons of desa that *have* data
    come first (they say what the planner can change, e.g. fewer neighbours), the desa the
    file has no row for last. The most frequent reason alone would hide them: a file
    covering 6 of 43 desa read "no P3KE row for this desa" although the 6 desa were not
    assessed because every other desa was their neighbour.

    Parameters
    ----------
    desa : pandas.DataFrame
        ``PocketResult.desa``: one row per desa with ``kantong`` (label) and ``alasan``
        (Indonesian reason starting ``"tidak dinilai: "`` for unassessed desa).

    Returns
    -------
    str
        E.g. ``"6 desa berdata: semua desa lain adalah tetangganya, ...; 37 desa: tidak ada
        baris P3KE untuk desa itu"``; ``""`` when every desa was assessed.
    """
    rows = desa.loc[desa["kantong"] == "tidak dinilai", "alasan"].astype(str)
    if rows.empty:
        return ""
    counts = rows.value_counts(sort=False)
    order = sorted(counts.index, key=lambda r: (r == TANPA_BARIS, -counts[r], r))
    parts = []
    for reason in order:
        text = reason.removeprefix("tidak dinilai: ")
        if reason == TANPA_BARIS:
            parts.append(f"{counts[reason]} desa: {text.replace('desa ini', 'desa itu')}")
        else:
            parts.append(f"{counts[reason]} desa berdata: {text}")
    return "; ".join(parts)


def household_clusters(
    keluarga: gpd.GeoDataFrame,
    desa: gpd.GeoDataFrame,
    *,
    metric_crs: pyproj.CRS,
    settings: PocketSettings,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Dense clusters of desil-1 families below the desa (DBSCAN in metres).

    Parameters
    ----------
    keluarga : geopandas.GeoDataFrame
        Placed families (``Placement.keluarga``): ``desil``, ``kode_desa``,
        ``kode_desa_titik`` and point geometry (EPSG:4326). Only desil-1 families whose point
        lies in their own desa are clustered.
    desa : geopandas.GeoDataFrame
        Desa polygons with ``kode_desa``, ``desa``.
    metric_crs : pyproj.CRS
        Metric CRS (radius and buffer in metres).
    settings : PocketSettings
        ``radius_m``, ``min_keluarga``, ``maks_titik_sama``, ``buffer_m``.

    Returns
    -------
    tuple of (geopandas.GeoDataFrame, pandas.DataFrame)
        Clusters (see :class:`PocketResult`, EPSG:4326, ``id_kantong`` ``K01``, ``K02``, … by
        size) and members (``id_kantong``, ``indeks`` into ``keluarga``).

    Notes
    -----
    Coincident points: families at one exact location count as separate families up to
    ``maks_titik_sama``; beyond that the location counts as ``maks_titik_sama`` families
    (DBSCAN ``sample_weight``), so a GPS placeholder cannot make a pocket by itself.
    """
    empty_members = pd.DataFrame(columns=["id_kantong", "indeks"])
    columns = ["id_kantong", "kode_desa", "desa", "keluarga_desil_1", "luas_m2", "kekurangan_utama"]
    empty = gpd.GeoDataFrame(columns=[*columns, "geometry"], geometry="geometry", crs=DISPLAY_CRS)
    mask = (
        (keluarga["desil"] == 1).fillna(False).to_numpy()
        & keluarga.geometry.notna().to_numpy()
        & (keluarga["kode_desa_titik"] == keluarga["kode_desa"]).fillna(False).to_numpy()
    )
    pts = keluarga[mask]
    if len(pts) < settings.min_keluarga:
        return empty, empty_members
    m = pts.to_crs(metric_crs)
    xy = np.column_stack([m.geometry.x.to_numpy(), m.geometry.y.to_numpy()])
    locs, inverse, counts = np.unique(xy, axis=0, return_inverse=True, return_counts=True)
    weight = np.minimum(counts, settings.maks_titik_sama)
    labels_loc = (
        DBSCAN(eps=settings.radius_m, min_samples=settings.min_keluarga)
        .fit(locs, sample_weight=weight)
        .labels_
    )
    labels = labels_loc[inverse.ravel()]
    names = dict(zip(desa["kode_desa"], desa["desa"], strict=True))
    # Deprivation hits once for all clustered families, then read per cluster by position.
    hits = {}
    for dep in DEPRIVASI.values():
        if dep.kolom in m.columns:
            wanted = {fold(v) for v in dep.nilai}
            vals = fold_series(m[dep.kolom])
            hits[dep.label] = vals.isin(wanted).fillna(False).to_numpy(dtype=bool)
    xs, ys = m.geometry.x.to_numpy(), m.geometry.y.to_numpy()
    kode_arr = m["kode_desa"].astype(str).to_numpy()
    positions = pd.Series(np.arange(len(labels))).groupby(labels).indices
    found = sorted((c for c in positions if c >= 0), key=lambda c: -len(positions[c]))
    clusters = []
    member_ids: list[str] = []
    member_idx: list[np.ndarray] = []
    for n, c in enumerate(found, start=1):
        pos = positions[c]
        hull = shapely.concave_hull(
            shapely.multipoints(np.column_stack([xs[pos], ys[pos]])), ratio=0.5
        )
        poly = hull.buffer(settings.buffer_m)
        kode = pd.Series(kode_arr[pos]).mode().iloc[0]
        shares = {label: float(h[pos].mean()) for label, h in hits.items()}
        top = sorted(shares.items(), key=lambda kv: -kv[1])[:2]
        clusters.append(
            {
                "id_kantong": f"K{n:02d}",
                "kode_desa": kode,
                "desa": names.get(kode, kode),
                "keluarga_desil_1": len(pos),
                "luas_m2": round(float(poly.area), 1),
                "kekurangan_utama": "; ".join(f"{k} {v * 100:.0f} %" for k, v in top if v > 0),
                "geometry": poly,
            }
        )
        member_ids.extend([f"K{n:02d}"] * len(pos))
        member_idx.append(pts.index.to_numpy()[pos])
    if not clusters:
        return empty, empty_members
    out = gpd.GeoDataFrame(clusters, geometry="geometry", crs=metric_crs).to_crs(DISPLAY_CRS)
    members = pd.DataFrame({"id_kantong": member_ids, "indeks": np.concatenate(member_idx)})
    return out, members


def find_pockets(
    indikator: gpd.GeoDataFrame,
    keluarga: gpd.GeoDataFrame,
    desa: gpd.GeoDataFrame,
    *,
    metric_crs: pyproj.CRS,
    settings: PocketSettings | None = None,
) -> PocketResult:
    """Run both pocket analyses and record their parameters.

    Parameters
    ----------
    indikator : geopandas.GeoDataFrame
        Per-desa indicators.
    keluarga : geopandas.GeoDataFrame
        Placed families.
    desa : geopandas.GeoDataFrame
        Desa polygons.
    metric_crs : pyproj.CRS
        The region's metric CRS.
    settings : PocketSettings, optional
        Defaults as documented on :class:`PocketSettings`.

    Returns
    -------
    PocketResult
        Desa labels, household clusters, members and parameters.

    Notes
    -----
    When the desa statistic cannot run (too few desa, constant values), every desa is
    labelled ``tidak dinilai`` with the reason, ``parameter["galat_desa"]`` holds it, and the
    household clusters are still computed.
    """
    settings = settings or PocketSettings()
    galat = None
    try:
        hot = desa_hotspots(indikator, metric_crs=metric_crs, settings=settings)
    except AnalysisError as err:
        # The household clusters do not depend on the desa statistic: they still run.
        galat = err
        hot = gpd.GeoDataFrame(
            {
                "kode_desa": indikator["kode_desa"].to_numpy(),
                "kantong": "tidak dinilai",
                "nilai": np.nan, "gi_z": np.nan, "gi_p": np.nan, "gi_q": np.nan,
                "kuadran": np.nan, "nilai_tetangga": np.nan, "rata_rata": np.nan, "tetangga": "",
                "jumlah_tetangga": 0,
                "alasan": f"tidak dinilai: analisis tingkat desa tidak dapat dijalankan ({err})",
            },
            geometry=indikator.geometry.values,
            crs=indikator.crs,
        ).to_crs(DISPLAY_CRS)  # fmt: skip
    klaster, anggota = household_clusters(keluarga, desa, metric_crs=metric_crs, settings=settings)
    parameter: dict[str, object] = {
        **asdict(settings),
        "crs_metrik": metric_crs.to_string(),
        "aturan_desa": _ATURAN_PINDAI
        if settings.statistik in PINDAI
        else (
            "desa signifikan (q FDR Benjamini-Hochberg <= alpha) diberi nama menurut kuadrannya, "
            "seperti kuadran Moran lokal: nilai desa sendiri dan rata-rata tetangganya, masing-"
            "masing di atas atau tidak di atas rata-rata desa yang diuji. panas (kantong) = "
            "tinggi di antara tinggi; pencilan tinggi = tinggi di antara rendah; pencilan rendah "
            "= rendah di antara tinggi; dingin = rendah di antara rendah; tidak signifikan = q > "
            "alpha; tidak dinilai = tanpa data atau tanpa tetangga. Pilihan analitis, bukan "
            "definisi peraturan."
        ),
        "aturan_klaster": (
            # Decimal comma like the rest of the app ("radius 100 m", "radius 12,5 m").
            f"DBSCAN pada keluarga desil 1 bertitik di desanya sendiri: radius "
            f"{settings.radius_m:g} m, ".replace(".", ",")
            + f"minimal {settings.min_keluarga} keluarga; titik yang sama dihitung paling banyak "
            f"{settings.maks_titik_sama} keluarga; poligon = concave hull + buffer "
            + f"{settings.buffer_m:g} m.".replace(".", ",", 1 if settings.buffer_m % 1 else 0)
        ),
    }
    if galat is not None:
        parameter["galat_desa"] = str(galat)
        parameter["galat_desa_en"] = galat.en
    return PocketResult(desa=hot, klaster=klaster, anggota=anggota, parameter=parameter)
