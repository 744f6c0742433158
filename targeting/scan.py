"""Kulldorff's spatial scan statistic for poverty pockets: counts of desil-1 families on few desa.

The local statistics of :mod:`targeting.pockets` (Gi*, local Moran) test every desa with its
neighbours and correct for 43 tests at once; a group of two or three poor desa among few
neighbours (an island group) rarely survives the correction. The scan statistic asks one
question of the whole district instead: is there a group of neighbouring desa whose
desil-1 families are more frequent than elsewhere? It tries every candidate group (a
*window*), keeps the most likely one, and judges it against the same maximum over data
simulated without any pocket, so the many windows cost no correction.

Model
    Binomial (Kulldorff 1997, "A spatial scan statistic", Commun. Stat. Theory Methods 26:
    1481-1496): desa ``i`` has ``n_i`` families, ``c_i`` of them in desil 1; ``C`` and ``N``
    are the district totals. For a window with ``c`` cases among ``n`` families the log
    likelihood ratio is::

        LLR = c ln(c/n) + (n-c) ln(1-c/n) + (C-c) ln((C-c)/(N-n))
              + ((N-n)-(C-c)) ln(1-(C-c)/(N-n)) - C ln(C/N) - (N-C) ln(1-C/N)

    when ``c/n > (C-c)/(N-n)`` (a window with more, not fewer, cases), else 0
    (``0 ln 0 = 0``).

Windows
    ``lingkaran`` (circular, Kulldorff 1997; SaTScan): around each desa's representative
    point, its ``k`` nearest desa for every ``k`` until the window would hold more than
    ``maks_persen`` of all families (SaTScan's default 50 %).
    ``tetangga`` (flexibly shaped, Tango & Takahashi 2005, "A flexibly shaped spatial scan
    statistic for detecting clusters", Int. J. Health Geogr. 4: 11): every set of at most
    ``maks_desa`` desa that is connected in the contiguity graph and lies among the
    ``maks_desa`` nearest desa of one of its members, again up to ``maks_persen`` of the
    families. Island desa are linked to their nearest desa as the pocket weights do.

Inference
    Monte Carlo (Dwass 1957; Kulldorff 1997): ``replikasi`` data sets drawn under the null
    hypothesis with a seeded :class:`numpy.random.Generator`; the p-value of a window is
    ``(1 + #replicas whose largest LLR >= its LLR) / (1 + replikasi)``. Two null models:
    ``binomial`` (Kulldorff: the ``C`` cases fall on the ``N`` families at random, a
    multivariate hypergeometric draw) and ``permutasi`` (the desa, each with its own
    families and cases, are shuffled over the locations, as the conditional permutations
    of Gi* do: only the *arrangement* in space is tested, not the spread of the shares).
    Secondary clusters are the next windows by LLR that share no desa with a window
    already reported, judged against the same maximum distribution (conservative, as in
    SaTScan).

Why written here: the maintained implementations are R packages (SpatialEpi, smerc,
scanstatistics) and SaTScan; PySAL/esda has no scan statistic, and the Python
``pyscan``/``pyscan-stats`` (a C++ extension) scan shapes over point sets, not counts per
area with Monte Carlo inference. The computation is short and is tested against a
hand-computed case (tests/test_scan.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import sparse
from scipy.special import xlogy

from geo.errors import AnalysisError

__all__ = [
    "CircularWindows",
    "FlexibleWindows",
    "ScanCluster",
    "ScanResult",
    "binomial_llr",
    "circular_windows",
    "flexible_windows",
    "scan",
]


def binomial_llr(c: np.ndarray, n: np.ndarray, total_cases: float, total_pop: float) -> np.ndarray:
    """Log likelihood ratio of Kulldorff's binomial model for windows with more cases.

    Parameters
    ----------
    c : numpy.ndarray
        Cases (desil-1 families) in each window, any shape.
    n : numpy.ndarray
        Population (all families) in each window, broadcastable to ``c``; ``0 < n < N``.
    total_cases, total_pop : float
        District totals ``C`` and ``N`` (``0 < C < N``).

    Returns
    -------
    numpy.ndarray
        LLR, shape of ``c``; 0 where the window's rate is not above the rate outside it.

    Notes
    -----
    Kulldorff (1997), eq. for the Bernoulli model; ``0 ln 0`` is 0 (``scipy.special.xlogy``).
    """
    c, n = np.broadcast_arrays(np.asarray(c, dtype=float), np.asarray(n, dtype=float))
    co, no = total_cases - c, total_pop - n
    # Only windows with a higher rate inside than outside carry an LLR: the logarithms
    # (most of the cost of the Monte Carlo replicas) are taken for those alone.
    higher = (c * no > co * n) & (n > 0) & (no > 0)
    cs, ns, cos, nos = c[higher], n[higher], co[higher], no[higher]
    null = xlogy(total_cases, total_cases / total_pop) + xlogy(
        total_pop - total_cases, 1 - total_cases / total_pop
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = xlogy(cs, cs / ns) + xlogy(ns - cs, 1 - cs / ns)
        outside = xlogy(cos, cos / nos) + xlogy(nos - cos, 1 - cos / nos)
    llr = np.zeros(c.shape)
    llr[higher] = np.maximum(inside + outside - null, 0.0)
    return llr


@dataclass(frozen=True)
class CircularWindows:
    """Circular windows: for each centre, the first ``k`` desa of its distance order.

    Attributes
    ----------
    order : numpy.ndarray
        Shape (centres, kmax): desa indices by distance from each centre (itself first).
    kmax : numpy.ndarray
        Shape (centres,): largest ``k`` allowed for each centre (population cap).
    """

    order: np.ndarray
    kmax: np.ndarray

    @property
    def count(self) -> int:
        """Number of windows (sum of ``kmax``)."""
        return int(self.kmax.sum())

    def sums(self, x: np.ndarray) -> np.ndarray:
        """Sum ``x`` (shape desa x R) over every window: shape (windows, R)."""
        parts = []
        for i, k in enumerate(self.kmax):
            parts.append(np.cumsum(x[self.order[i, :k]], axis=0))
        return np.concatenate(parts, axis=0)

    def members(self, j: int) -> np.ndarray:
        """Desa indices of window ``j`` (in :meth:`sums` order)."""
        ends = np.cumsum(self.kmax)
        i = int(np.searchsorted(ends, j, side="right"))
        k = j - (ends[i - 1] if i else 0) + 1
        return self.order[i, :k]


@dataclass(frozen=True)
class FlexibleWindows:
    """Connected windows over the contiguity graph, as an incidence matrix.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix
        Shape (windows, desa), 1 where the desa belongs to the window.
    """

    matrix: sparse.csr_matrix

    @property
    def count(self) -> int:
        """Number of windows."""
        return int(self.matrix.shape[0])

    def sums(self, x: np.ndarray) -> np.ndarray:
        """Sum ``x`` (shape desa x R) over every window: shape (windows, R)."""
        return np.asarray(self.matrix @ x)

    def members(self, j: int) -> np.ndarray:
        """Desa indices of window ``j``."""
        row = self.matrix.getrow(j)
        return np.sort(row.indices)


def circular_windows(xy: np.ndarray, pop: np.ndarray, maks_persen: float = 50.0) -> CircularWindows:
    """Circular windows around each desa, up to a share of the families.

    Parameters
    ----------
    xy : numpy.ndarray
        Shape (desa, 2): representative points in a metric CRS (metres).
    pop : numpy.ndarray
        Shape (desa,): all families per desa.
    maks_persen : float
        Largest share of all families in one window, per 100 (SaTScan default 50).

    Returns
    -------
    CircularWindows
        Every centre has at least the window of itself alone.
    """
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    order = np.argsort(d, axis=1, kind="stable")
    cum = np.cumsum(pop[order], axis=1)
    cap = pop.sum() * maks_persen / 100
    kmax = np.maximum((cum <= cap).sum(axis=1), 1)
    return CircularWindows(order=order[:, : int(kmax.max())], kmax=kmax)


def flexible_windows(
    neighbours: list[list[int]],
    xy: np.ndarray,
    pop: np.ndarray,
    *,
    maks_desa: int = 8,
    maks_persen: float = 50.0,
) -> FlexibleWindows:
    """Enumerate connected sets of desa (Tango & Takahashi 2005), once per region.

    Parameters
    ----------
    neighbours : list of list of int
        Contiguity graph: ``neighbours[i]`` the desa indices touching desa ``i`` (symmetric).
    xy : numpy.ndarray
        Shape (desa, 2): representative points in metres.
    pop : numpy.ndarray
        Shape (desa,): all families per desa.
    maks_desa : int
        Largest window, in desa; also the size of each centre's candidate set (itself and
        its ``maks_desa - 1`` nearest desa).
    maks_persen : float
        Largest share of all families in one window, per 100.

    Returns
    -------
    FlexibleWindows
        Each distinct connected set once.
    """
    n = len(pop)
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    cap = pop.sum() * maks_persen / 100
    nb = [set(v) for v in neighbours]
    seen: set[frozenset[int]] = set()
    for i in range(n):
        allowed = set(np.argsort(d[i], kind="stable")[:maks_desa].tolist())
        frontier = [frozenset([i])]
        while frontier:
            nxt = []
            for s in frontier:
                if s in seen:
                    continue
                seen.add(s)
                if len(s) >= maks_desa:
                    continue
                ext = set().union(*(nb[j] for j in s)) & allowed
                for j in ext - s:
                    t = s | {j}
                    if t not in seen and pop[list(t)].sum() <= cap:
                        nxt.append(t)
            frontier = nxt
    sets = sorted((sorted(s) for s in seen), key=lambda s: (len(s), s))
    rows = np.repeat(np.arange(len(sets)), [len(s) for s in sets])
    cols = np.concatenate([np.asarray(s, dtype=int) for s in sets])
    mat = sparse.csr_matrix((np.ones(len(cols)), (rows, cols)), shape=(len(sets), n))
    return FlexibleWindows(matrix=mat)


@dataclass(frozen=True)
class ScanCluster:
    """One cluster of the scan (a window), with the numbers it rests on.

    Attributes
    ----------
    desa : tuple of int
        Desa indices (positions in the input arrays).
    kasus : int
        Desil-1 families in the window (observed).
    harapan : float
        Expected under the null: ``C * n / N``.
    keluarga : int
        All families in the window.
    risiko_relatif : float
        ``(c / n) / ((C - c) / (N - n))``: the rate inside over the rate outside.
    llr : float
        Log likelihood ratio.
    p : float
        Monte Carlo p-value against the replicas' largest LLR.
    """

    desa: tuple[int, ...]
    kasus: int
    harapan: float
    keluarga: int
    risiko_relatif: float
    llr: float
    p: float


@dataclass(frozen=True)
class ScanResult:
    """The most likely cluster first, then secondary clusters that share no desa with it.

    Attributes
    ----------
    klaster : list of ScanCluster
        At most ``maks_klaster`` clusters, by decreasing LLR.
    llr_replikasi : numpy.ndarray
        Shape (replikasi,): the largest LLR of each null replica.
    jendela : int
        Number of windows scanned.
    """

    klaster: list[ScanCluster]
    llr_replikasi: np.ndarray = field(repr=False)
    jendela: int


def _null_draws(
    rng: np.random.Generator,
    cases: np.ndarray,
    pop: np.ndarray,
    size: int,
    nol: str,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Null replicas: cases (desa x size) and, for ``permutasi``, populations (desa x size)."""
    if nol == "binomial":
        draws = rng.multivariate_hypergeometric(pop.astype(np.int64), int(cases.sum()), size=size)
        return draws.T.astype(float), None
    perms = np.argsort(rng.random((size, len(pop))), axis=1)
    return cases[perms].T.astype(float), pop[perms].T.astype(float)


def _max_llr_replicas(
    windows: CircularWindows | FlexibleWindows,
    cases: np.ndarray,
    pop: np.ndarray,
    replikasi: int,
    rng: np.random.Generator,
    nol: str,
    batch: int = 100,
) -> np.ndarray:
    total_c, total_n = float(cases.sum()), float(pop.sum())
    win_pop = windows.sums(pop.astype(float)[:, None])
    # Replicas per batch: at most about 20 million window sums at once (160 MB per array),
    # so a province of 2,000 desa with its millions of circular windows stays in memory.
    batch = int(max(1, min(batch, 20_000_000 // max(windows.count, 1))))
    out = []
    done = 0
    while done < replikasi:
        size = min(batch, replikasi - done)
        c_rep, n_rep = _null_draws(rng, cases, pop, size, nol)
        wc = windows.sums(c_rep)
        wn = win_pop if n_rep is None else windows.sums(n_rep)
        out.append(binomial_llr(wc, wn, total_c, total_n).max(axis=0))
        done += size
    return np.concatenate(out)


def scan(
    cases: np.ndarray,
    pop: np.ndarray,
    windows: CircularWindows | FlexibleWindows,
    *,
    replikasi: int = 999,
    seed: int = 20240601,
    nol: Literal["binomial", "permutasi"] = "permutasi",
    maks_klaster: int = 10,
) -> ScanResult:
    """Run the scan: the most likely cluster, secondary clusters and Monte Carlo p-values.

    Parameters
    ----------
    cases : numpy.ndarray
        Shape (desa,): desil-1 families per desa (integers >= 0).
    pop : numpy.ndarray
        Shape (desa,): all families per desa (integers, ``pop >= cases``, ``pop > 0``).
    windows : CircularWindows or FlexibleWindows
        From :func:`circular_windows` or :func:`flexible_windows` on the same desa order.
    replikasi : int
        Monte Carlo replicas (999 by default, as SaTScan).
    seed : int
        Seed of :func:`numpy.random.default_rng`; same input and seed, same result.
    nol : {"permutasi", "binomial"}
        Null model of the replicas (see the module notes); ``permutasi`` by default, as
        :class:`targeting.pockets.PocketSettings` (bench/POWER.md: the binomial null flags
        something in every null data set whose shares vary more than binomial chance).
    maks_klaster : int
        Most clusters reported (the most likely and non-overlapping secondary ones).

    Returns
    -------
    ScanResult
        Clusters with positive LLR, by decreasing LLR.

    Raises
    ------
    geo.errors.AnalysisError
        If the counts are negative, ``cases > pop``, a desa has no family, or all or no
        families are cases (the model is undefined).
    """
    cases = np.asarray(cases, dtype=np.int64)
    pop = np.asarray(pop, dtype=np.int64)
    if (cases < 0).any() or (pop <= 0).any() or (cases > pop).any():
        msg = "jumlah tidak sah: keluarga per desa harus > 0 dan desil 1 di antara 0 dan jumlah itu"
        raise AnalysisError(msg, en="invalid counts: families per desa > 0, 0 <= desil 1 <= them")
    total_c, total_n = float(cases.sum()), float(pop.sum())
    if not 0 < total_c < total_n:
        msg = "model binomial tidak terdefinisi: tidak ada, atau semua, keluarga desil 1"
        raise AnalysisError(msg, en="binomial model undefined: no or every family in desil 1")
    if nol not in ("binomial", "permutasi"):
        msg = f"model nol {nol!r} (pilihan: binomial, permutasi)"
        raise AnalysisError(msg, en=f"null model {nol!r} (choices: binomial, permutasi)")
    wc = windows.sums(cases.astype(float)[:, None])[:, 0]
    wn = windows.sums(pop.astype(float)[:, None])[:, 0]
    llr = binomial_llr(wc, wn, total_c, total_n)
    rng = np.random.default_rng(seed)
    null_max = _max_llr_replicas(windows, cases, pop, replikasi, rng, nol)
    null_sorted = np.sort(null_max)
    clusters: list[ScanCluster] = []
    used = np.zeros(len(pop), dtype=bool)
    for j in np.argsort(-llr, kind="stable"):
        if llr[j] <= 0 or len(clusters) >= maks_klaster:
            break
        members = windows.members(int(j))
        if used[members].any():
            continue
        used[members] = True
        c, n = float(wc[j]), float(wn[j])
        exceed = replikasi - np.searchsorted(null_sorted, llr[j] * (1 - 1e-12), side="left")
        clusters.append(
            ScanCluster(
                desa=tuple(int(m) for m in members),
                kasus=round(c),
                harapan=total_c * n / total_n,
                keluarga=round(n),
                risiko_relatif=(c / n) / ((total_c - c) / (total_n - n)) if total_c > c else np.inf,
                llr=float(llr[j]),
                p=float((1 + exceed) / (1 + replikasi)),
            )
        )
    return ScanResult(klaster=clusters, llr_replikasi=null_max, jendela=windows.count)
