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
from dataclasses import asdict, dataclass
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
from targeting.indicators import DEPRIVASI
from targeting.settings import setting

__all__ = [
    "KUADRAN",
    "LABELS",
    "AnalysisError",
    "PocketResult",
    "PocketSettings",
    "build_weights",
    "desa_hotspots",
    "find_pockets",
    "household_clusters",
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


_MAKS_TITIK_SAMA = 3
"""Default of :attr:`PocketSettings.maks_titik_sama` (the widget's floor of ``min_keluarga``)."""


@dataclass(frozen=True)
class PocketSettings:
    """Settings of the pocket analysis, with their defaults.

    Attributes
    ----------
    statistik : {"gi_star", "moran"}
        Local Getis-Ord Gi* (default) or local Moran's I.
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

    statistik: Literal["gi_star", "moran"] = setting(
        "gi_star", label="Statistik", help="local statistic", flag="--statistik", key="k_statistik",
        choices={"gi_star": "Getis-Ord Gi*", "moran": "Moran lokal (HH/LL)"},
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
        if self.statistik not in ("gi_star", "moran"):
            problems.append(f"statistik {self.statistik!r} (pilihan: gi_star, moran)")
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
        rec: dict[str, object] = {
            "kode_desa": kode, "kantong": "tidak dinilai", "nilai": np.nan, "gi_z": np.nan,
            "gi_p": np.nan, "gi_q": np.nan, "kuadran": np.nan, "nilai_tetangga": np.nan,
            "rata_rata": np.nan, "tetangga": "", "jumlah_tetangga": 0, "alasan": "",
        }  # fmt: skip
        records.append(rec)
        if kode not in values:
            if kode in unmapped:
                rec["alasan"] = "tidak dinilai: tanpa batas desa (pemekaran)"
            elif kode in with_data:
                rec["alasan"] = (
                    "tidak dinilai: persentase tidak dapat dihitung (penyebut kosong, atau lebih "
                    "kecil daripada jumlah keluarga P3KE desa ini)"
                )
            else:
                rec["alasan"] = TANPA_BARIS
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


TANPA_BARIS = "tidak dinilai: tidak ada baris P3KE untuk desa ini"
"""The reason of a desa the P3KE file has no row for (see :func:`_label`)."""


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
        "aturan_desa": (
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
