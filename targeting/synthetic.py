"""Deterministic generator of SYNTHETIC sample data for any region (no real person in it).

Nothing here names a district: :func:`plan_sample` chooses the planted pockets, household
clusters and the kecamatan with coordinates from the region's own geometry
(``targeting.wilayah`` uses it for every Kalimantan Barat code). The embedded Kayong Utara
sample keeps its hand-chosen settings beside its polygons, in
``data/kayong_utara/sampel_SINTETIS.toml`` (:func:`sample_settings`), so that its files stay
byte-identical; the description below is of that sample.

Writes, into a region folder (``data/kayong_utara/`` by default):

- ``keluarga_desa_SINTETIS.csv``: all families per desa, the denominator of desil shares.
  No public per-desa figure exists (SOURCES.md, section 2), so every row is synthetic: the
  district total is 126,898 people (Kepmendagri 2025, via cahyadsn/wilayah) divided by an
  assumed 3.85 people per family, allocated over desa by area^0.3 times lognormal noise.
- ``p3ke_keluarga_SINTETIS.csv.gz``: a family-level P3KE export for the poorest ~40 %, in
  desil 1-4, with the columns of DOMAIN.md ("P3KE"), ``Ya``/``Tidak`` flags, text IDs and a
  ``SINTETIS`` column. NIK and No KK start with ``99``, a province code that does not exist,
  so they can never be a real person's. Desil-1 families are about 2-3 % of all families,
  the order of the 1.89 % extreme-poverty rate (BPS 2023), varying strongly between desa.
  Families in Sukadana, Simpang Hilir and Pulau Maya carry coordinates (as if field
  verified), placed around synthetic settlement anchors on the desa's coastline (or its
  representative point inland), inside their own desa; a few carry GPS errors.
- ``kantong_SINTETIS.json``: the ground truth of the planted poverty pockets (desa groups
  with a raised desil-1 share) and household clusters (dense desil-1 families below desa
  level).
- ``sub_kegiatan_SINTETIS.csv``: a sub-activity register whose totals match Kayong Utara
  2024 (strategy 1: 43 sub-activities, Rp 51 bn; 2: 18, Rp 8 bn; 3: 23, Rp 17 bn), with
  synthetic OPD assignments, codes in Kepmendagri 050-5889/2021 format, pagu and lokus.

Run ``python -m targeting sintetis`` to rebuild; the same seed gives byte-identical files.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import choose_metric_crs
from geo.io import read_boundaries

__all__ = ["SampleSettings", "generate_sample", "plan_sample", "sample_settings", "write_sample"]

SETTINGS_FILE = "sampel_SINTETIS.toml"
"""Hand-chosen generator settings kept beside a region's boundaries (the embedded sample)."""


@dataclass(frozen=True)
class SampleSettings:
    """Settings of the synthetic sample; the defaults built the committed files.

    Attributes
    ----------
    seed : int
        Seed of ``numpy.random.default_rng``.
    jiwa_total : int or None
        Region population (people); None: ``jiwa_per_desa`` people per desa.
    jiwa_per_keluarga : float
        Assumed people per family (synthetic assumption).
    persen_p3ke : float
        Share of families in P3KE (the poorest 40 %, Kemenko PMK).
    persen_desil_1 : float
        Median desil-1 share of families outside pockets, per 100 families.
    kantong : tuple
        Planted desa pockets: (name, desa codes). A group of five neighbouring desa, each
        having four of its five nearest desa inside the group: with 43 desa, permutation
        inference and a false-discovery-rate correction, smaller or looser groups cannot
        reach significance (see targeting/pockets.py, "Power").
    klaster : tuple
        Planted household clusters: (desa code, families, radius in metres).
    kecamatan_berkoordinat : tuple of str
        Kecamatan whose families carry coordinates (field verification).
    kecamatan_pulau : tuple of str
        Island kecamatan (worse power and water supply).
    kabupaten, provinsi : str
        Names written in every family row; empty: the kabupaten/kota of each desa's code and
        the province of the code list (:func:`geo.wilayah.nama_wilayah`).
    jiwa_per_desa : int
        People per desa when ``jiwa_total`` is None (a synthetic demo size, not a census).
    sumber_penyebut : str
        The ``sumber`` column of the family table (how the denominators were made).
    desil_1_kantong : (float, float)
        Range of the desil-1 share (0-1) drawn for a planted pocket's desa.

    Notes
    -----
    Nothing here is about one district: :func:`plan_sample` chooses the pockets, clusters and
    coordinates from any region's own geometry. The embedded Kayong Utara sample keeps its
    hand-chosen settings in ``data/kayong_utara/sampel_SINTETIS.toml`` (read by
    :func:`sample_settings`), so its files stay byte-identical.
    """

    seed: int = 20240601
    jiwa_total: int | None = None
    jiwa_per_keluarga: float = 3.85
    persen_p3ke: float = 40.0
    persen_desil_1: float = 1.0
    kantong: tuple[tuple[str, tuple[str, ...]], ...] = ()
    klaster: tuple[tuple[str, int, float], ...] = ()
    kecamatan_berkoordinat: tuple[str, ...] = ()
    kecamatan_pulau: tuple[str, ...] = ()
    kabupaten: str = ""
    provinsi: str = ""
    jiwa_per_desa: int = 1000
    sumber_penyebut: str = ""
    desil_1_kantong: tuple[float, float] = (0.05, 0.075)


_NAMA_DEPAN_L = (
    "Abdul",
    "Ahmad",
    "Amin",
    "Bujang",
    "Darmawan",
    "Dedi",
    "Edi",
    "Fadli",
    "Hamdan",
    "Hasan",
    "Ilham",
    "Iwan",
    "Jamal",
    "Joko",
    "Kurniawan",
    "Lukman",
    "Mahmud",
    "Muhammad",
    "Nasrul",
    "Rahmat",
    "Ridwan",
    "Rusdi",
    "Salim",
    "Sudirman",
    "Syahrul",
    "Taufik",
    "Usman",
    "Yusuf",
)
_NAMA_DEPAN_P = (
    "Aminah",
    "Dewi",
    "Fatimah",
    "Halimah",
    "Juriah",
    "Kartini",
    "Maimunah",
    "Nurhayati",
    "Rohani",
    "Salmah",
    "Siti",
    "Sri",
    "Suryani",
    "Wati",
    "Zainab",
)
_NAMA_BELAKANG = (
    "",
    "",
    "",
    "Saputra",
    "Hidayat",
    "Ramadhan",
    "Syahputra",
    "Wijaya",
    "bin Ali",
    "bin Umar",
    "Pratama",
    "Setiawan",
    "Lestari",
    "Rahman",
    "Hakim",
)
_DUSUN = ("Sepakat", "Makmur", "Bahagia", "Sejahtera", "Harapan", "Karya", "Bakti", "Mulia")


def _names(codes: np.ndarray, settings: SampleSettings) -> list[dict[str, str]]:
    """Province and kabupaten/kota name of each desa (the settings', else the code list's)."""
    from geo.wilayah import daftar_wilayah

    known = daftar_wilayah().set_index("kode")["nama"].to_dict()
    prov = settings.provinsi
    out = []
    for code in codes:
        kab = settings.kabupaten or known.get(code[:5], "")
        p = prov or str(known.get(code[:2], "")).removeprefix("Provinsi ")
        out.append({"provinsi": p, "kabupaten_kota": kab})
    return out


def sample_settings(batas_desa: Path, desa_m: gpd.GeoDataFrame) -> SampleSettings:
    """Read a region's sample settings from the file beside its boundaries, else plan them.

    Parameters
    ----------
    batas_desa : pathlib.Path
        The region's boundary file; a ``sampel_SINTETIS.toml`` in its folder (the embedded
        Kayong Utara sample keeps its hand-chosen pockets there) gives the settings.
    desa_m : geopandas.GeoDataFrame
        The desa (``kode_desa``, ``kode_kecamatan``, geometry) in a metric CRS.

    Returns
    -------
    SampleSettings
        Settings read from the TOML ``[sampel]`` table, else :func:`plan_sample`.
    """
    path = Path(batas_desa).parent / SETTINGS_FILE
    if not path.is_file():
        return plan_sample(desa_m)
    table = tomllib.loads(path.read_text(encoding="utf-8"))["sampel"]
    return SampleSettings(
        seed=int(table["seed"]),
        jiwa_total=table.get("jiwa_total"),
        kantong=tuple((k["nama"], tuple(k["kode_desa"])) for k in table.get("kantong", [])),
        klaster=tuple((c[0], int(c[1]), float(c[2])) for c in table.get("klaster", [])),
        kecamatan_berkoordinat=tuple(table.get("kecamatan_berkoordinat", [])),
        kecamatan_pulau=tuple(table.get("kecamatan_pulau", [])),
        kabupaten=table.get("kabupaten", ""),
        provinsi=table.get("provinsi", ""),
        sumber_penyebut=table.get("sumber_penyebut", ""),
    )


_K_POCKETS = 5
"""Neighbours of the default pocket test (``PocketSettings.k``) the planted groups are made for."""
_POCKET_MIN = 5
"""Fewest desa in a planted pocket."""


def _knn_sets(pts: np.ndarray, k: int) -> list[set[int]]:
    """Symmetrised k-nearest-neighbour sets of points (as the pocket test builds them)."""
    from scipy.spatial import cKDTree

    _, near = cKDTree(pts).query(pts, k=min(k + 1, len(pts)))
    sets: list[set[int]] = [set() for _ in range(len(pts))]
    for i, row in enumerate(near):
        for j in row[1:]:
            sets[i].add(int(j))
            sets[int(j)].add(i)
    return sets


def _tight_group(
    pts: np.ndarray, rng: np.random.Generator, taken: set[int], limit: int
) -> list[int]:
    """Grow a group of neighbouring desa, each with most of its own neighbours inside it.

    From every seed desa a group grows by the outside neighbour with most links into it
    (neighbours: symmetrised five nearest, as the default pocket test) until every member
    has at least 3/4 of its neighbours inside, or the group reaches ``limit``. The groups
    whose worst member has the largest share inside win; among them one is drawn (smaller
    first). A pocket whose edge desa see mostly outside desa cannot be found by a local
    statistic, however poor; this plants what a local test is made to find. Desa in
    ``taken`` are not used.
    """
    nb = _knn_sets(pts, _K_POCKETS)
    best: list[tuple[tuple[float, int], list[int]]] = []
    for seed in range(len(pts)):
        if seed in taken:
            continue
        group = {seed}
        while len(group) < limit:
            cand = {j for m in group for j in nb[m]} - group - taken
            if not cand:
                break
            d = ((pts[list(cand)] - pts[seed]) ** 2).sum(axis=1)
            order = sorted(zip(cand, d, strict=True), key=lambda c: (-len(nb[c[0]] & group), c[1]))
            group.add(int(order[0][0]))
            if len(group) >= _POCKET_MIN and all(
                len(nb[m] & group) >= 0.75 * len(nb[m]) for m in group
            ):
                break
        if len(group) < _POCKET_MIN:
            continue
        worst = min(len(nb[m] & group) / len(nb[m]) for m in group)
        best.append(((round(worst, 2), -len(group)), sorted(group)))
    if not best:
        return []
    top = max(b[0] for b in best)
    choices = [g for sc, g in best if sc == top]
    return choices[int(rng.integers(len(choices)))]


def plan_sample(desa_m: gpd.GeoDataFrame, *, seed: int = 20240601) -> SampleSettings:
    """Choose a region's planted pockets, clusters and coordinates from its own geometry.

    Parameters
    ----------
    desa_m : geopandas.GeoDataFrame
        The region's desa (``kode_desa``, ``kode_kecamatan``, geometry) in a metric CRS
        (metres).
    seed : int
        Seed of the plan and of the sample.

    Returns
    -------
    SampleSettings
        One pocket of six desa per 60 desa (at least one; a tight group, see
        :func:`_tight_group`), on an island group when the region has one of at least six
        desa, a household cluster of 12 families (DBSCAN needs 10) in the largest desa of
        each of the first two pockets, and
        coordinates for the families of the pockets' and clusters' kecamatan. Kecamatan whose
        desa all lie off the largest land mass are island kecamatan.
    """
    rng = np.random.default_rng(seed)
    codes = desa_m["kode_desa"].to_numpy()
    pts = shapely.get_coordinates(desa_m.geometry.representative_point().values)
    parts = _land_groups(desa_m)
    main = np.bincount(parts).argmax()
    taken: set[int] = set()
    pockets: list[tuple[str, tuple[str, ...]]] = []
    island_groups = [g for g in np.unique(parts) if g != main and (parts == g).sum() >= _POCKET_MIN]
    if island_groups:
        outside = set(np.flatnonzero(parts != island_groups[0]).tolist())
        group = _tight_group(pts, rng, outside, _POCKET_MIN + 1)
        taken |= set(group) | _neighbours(pts, group)
        pockets.append(("kantong_pulau", tuple(codes[group])))
    for n in range(max(1, len(codes) // 60) - len(pockets)):
        group = _tight_group(pts, rng, taken, max(_POCKET_MIN, min(10, len(codes) // 5)))
        if not group:
            break
        # Keep pockets apart: the group and its neighbours are off limits for the next.
        taken |= set(group) | _neighbours(pts, group)
        pockets.append((f"kantong_{n + 1}", tuple(codes[group])))
    pocket_codes = {c for _, cs in pockets for c in cs}
    # Clusters in the largest desa of the first two pockets: extra desil-1 families outside a
    # pocket would make a small region's desa an outlier of their own.
    inner = desa_m.geometry.buffer(-400).area.to_numpy()
    at = {c: i for i, c in enumerate(codes)}
    chosen = []
    for _, group in pockets[:2]:
        best = max((at[c] for c in group), key=lambda i: inner[i])
        if inner[best] > 0:
            chosen.append(best)
    klaster = tuple((str(codes[i]), 12, 150.0) for i in chosen)
    kec = desa_m["kode_kecamatan"].to_numpy()
    berkoordinat = sorted({c[:8] for c in pocket_codes} | {kec[i] for i in chosen})
    island_kec = sorted(set(kec[parts != main]) - set(kec[parts == main]))
    return SampleSettings(
        seed=seed,
        kantong=tuple(pockets),
        klaster=klaster,
        kecamatan_berkoordinat=tuple(berkoordinat),
        kecamatan_pulau=tuple(island_kec),
        desil_1_kantong=(0.08, 0.1),
    )


def _neighbours(pts: np.ndarray, group: list[int]) -> set[int]:
    from scipy.spatial import cKDTree

    _, near = cKDTree(pts).query(pts[group], k=min(6, len(pts)))
    return {int(j) for row in near for j in row}


def _land_groups(desa_m: gpd.GeoDataFrame) -> np.ndarray:
    """Find the connected groups of desa that touch (within 50 m): the land masses."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    geoms = desa_m.geometry.values
    left, right = geoms.sindex.query(geoms.buffer(50), predicate="intersects")
    n = len(geoms)
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _allocate(total: int, weights: np.ndarray) -> np.ndarray:
    """Split an integer total by weights, largest remainder first (sum is exact)."""
    raw = weights / weights.sum() * total
    base = np.floor(raw).astype(int)
    rest = total - base.sum()
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:rest]] += 1
    return base


def _choice(
    rng: np.random.Generator, values: tuple[str, ...], p: list[float], n: int
) -> np.ndarray:
    prob = np.asarray(p, dtype=float)
    return rng.choice(np.asarray(values, dtype=object), size=n, p=prob / prob.sum())


def _anchors(desa_m: gpd.GeoDataFrame, coast: shapely.Geometry) -> dict[str, list[shapely.Point]]:
    """Synthetic settlement anchors: points on each desa's coastline, else inland points."""
    anchors: dict[str, list[shapely.Point]] = {}
    coast_zone = coast.buffer(50)
    for row in desa_m.itertuples():
        geom = row.geometry
        shore = geom.boundary.intersection(coast_zone)
        k = int(np.clip(round(geom.area / 40e6) + 1, 1, 4))
        if shore.length > 500:
            lines = shapely.get_parts(shapely.line_merge(shapely.force_2d(shore)))
            lines = sorted(lines, key=lambda g: -g.length)
            pts = [lines[0].interpolate(f, normalized=True) for f in np.linspace(0.15, 0.85, k)]
        else:
            pts = [geom.representative_point()]
        anchors[row.kode_desa] = pts
    return anchors


def _points_near(
    rng: np.random.Generator,
    polygon: shapely.Geometry,
    centres: list[shapely.Point],
    n: int,
    sigma_m: float,
) -> np.ndarray:
    """N points scattered around centres (Gaussian, sigma in metres), all inside polygon."""
    out = np.empty((0, 2))
    shapely.prepare(polygon)
    cx = np.array([c.x for c in centres])
    cy = np.array([c.y for c in centres])
    for _ in range(60):
        if len(out) >= n:
            break
        m = max(4 * (n - len(out)), 16)
        pick = rng.integers(0, len(centres), size=m)
        xy = np.column_stack([cx[pick], cy[pick]]) + rng.normal(0, sigma_m, size=(m, 2))
        inside = shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])
        out = np.vstack([out, xy[inside]])
        sigma_m *= 1.15
    if len(out) < n:  # very thin polygons: fall back to uniform sampling inside
        extra = gpd.GeoSeries([polygon]).sample_points(n - len(out), rng=rng).explode()
        out = np.vstack([out, np.column_stack([extra.x, extra.y])])
    return out[:n]


def generate_sample(batas_desa: Path, settings: SampleSettings | None = None) -> dict[str, object]:
    """Build the synthetic sample in memory.

    Parameters
    ----------
    batas_desa : pathlib.Path
        The region's desa boundary file (Kayong Utara's real polygons).
    settings : SampleSettings, optional
        Generator settings; default :func:`sample_settings` (the file beside the boundaries,
        else a plan from the region's geometry).

    Returns
    -------
    dict
        ``keluarga_desa`` (DataFrame, one row per desa), ``p3ke`` (DataFrame, one row per
        family, every cell text), ``kantong`` (dict, ground truth) and ``register``
        (DataFrame, one row per sub-activity).

    Notes
    -----
    The helpers draw from one generator in a fixed order: reordering their calls changes
    every family of the committed sample.
    """
    desa = read_boundaries(batas_desa).desa
    metric = choose_metric_crs(desa)
    desa_m = desa.to_crs(metric)
    if settings is None:
        settings = sample_settings(batas_desa, desa_m)
    rng = np.random.default_rng(settings.seed)
    codes = desa["kode_desa"].to_numpy()
    pocket_of = {c: name for name, cs in settings.kantong for c in cs}
    in_pocket = np.array([c in pocket_of for c in codes])
    keluarga_total, per_desil = _desa_counts(rng, settings, desa_m.area.to_numpy() / 1e6, in_pocket)
    place = _Placer(rng, metric, desa_m, settings)
    island = np.isin(desa["kode_kecamatan"].to_numpy(), list(settings.kecamatan_pulau))
    names = _names(codes, settings)
    rows: list[dict[str, object]] = []
    truth_clusters: list[dict[str, object]] = []
    for i, code in enumerate(codes):
        desil = np.repeat([1, 2, 3, 4], per_desil[:, i])
        lon, lat, is_cluster, centre = place(i, code, len(desil))
        desil = np.concatenate([desil, np.ones(int(is_cluster.sum()), dtype=int)])
        columns = {
            **_housing(rng, desil, island=bool(island[i]), in_kantong=code in pocket_of),
            **_people(rng, len(desil)),
        }
        order = columns.pop("_order")
        columns.update(_programmes_and_work(rng, desil))
        where = {"kecamatan": desa["kecamatan"].iloc[i], "desa": desa["desa"].iloc[i], **names[i]}
        fam_ids = _family_rows(rng, rows, code, where, order, desil, columns, lon, lat)
        if centre is not None:
            c = gpd.GeoSeries([centre], crs=metric).to_crs(4326).iloc[0]
            truth_clusters.append(
                {
                    "kode_desa": code,
                    "desa": desa["desa"].iloc[i],
                    "pusat_bujur": round(c.x, 6),
                    "pusat_lintang": round(c.y, 6),
                    "radius_m": place.cluster_n[code][1],
                    "keluarga": sorted(f for f, j in fam_ids if is_cluster[j]),
                }
            )
    keluarga_desa = pd.DataFrame(
        {
            "kode_desa": codes,
            "desa": desa["desa"],
            "kecamatan": desa["kecamatan"],
            "keluarga_total": keluarga_total,
            "sumber": settings.sumber_penyebut
            or f"SINTETIS (ukuran demo, bukan sensus): {settings.jiwa_per_desa} jiwa per desa / "
            f"{settings.jiwa_per_keluarga:g} jiwa per keluarga x derau lognormal".replace(".", ","),
        }
    )
    kantong = {
        "SINTETIS": True,
        "keterangan": "Kebenaran dasar kantong kemiskinan yang ditanam oleh targeting.synthetic",
        "seed": settings.seed,
        "kantong_desa": [{"nama": name, "kode_desa": list(cs)} for name, cs in settings.kantong],
        "klaster_keluarga": truth_clusters,
    }
    register = _register(rng, codes, [c for _, cs in settings.kantong for c in cs])
    return {
        "keluarga_desa": keluarga_desa,
        "p3ke": pd.DataFrame(rows),
        "kantong": kantong,
        "register": register,
    }


def _desa_counts(
    rng: np.random.Generator, settings: SampleSettings, area_km2: np.ndarray, in_pocket: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """All families per desa and the P3KE families per desil 1-4 (array 4 x desa)."""
    n_desa = len(area_km2)
    # 1. All families per desa (synthetic denominators).
    if settings.jiwa_total is not None:
        total_families = round(settings.jiwa_total / settings.jiwa_per_keluarga)
        weights = area_km2**0.3 * rng.lognormal(0.0, 0.45, size=n_desa)
        keluarga_total = _allocate(total_families, weights)
    else:  # a demo size per desa: no desa so small that one family swings its share
        mean = settings.jiwa_per_desa / settings.jiwa_per_keluarga
        keluarga_total = np.round(
            np.clip(mean * rng.lognormal(0.0, 0.3, size=n_desa), 0.5 * mean, 3 * mean)
        ).astype(int)
    # 2. Desil rates per desa: strong variation, pockets raised.
    r1 = np.clip(settings.persen_desil_1 / 100 * rng.lognormal(0, 0.55, n_desa), 0.003, 0.05)
    r1[in_pocket] = rng.uniform(*settings.desil_1_kantong, in_pocket.sum())
    r2 = np.clip(0.06 * rng.lognormal(0, 0.25, n_desa) + 0.5 * r1, 0.02, 0.16)
    r3 = np.clip(0.13 * rng.lognormal(0, 0.2, n_desa), 0.06, 0.2)
    p3ke_share = np.clip(
        settings.persen_p3ke / 100 * rng.lognormal(0, 0.15, n_desa) + 1.2 * (r1 - r1.mean()),
        0.25,
        0.7,
    )
    n1 = np.round(keluarga_total * r1).astype(int)
    n2 = np.round(keluarga_total * r2).astype(int)
    n3 = np.round(keluarga_total * r3).astype(int)
    n4 = np.maximum(np.round(keluarga_total * p3ke_share).astype(int) - n1 - n2 - n3, 5)
    return keluarga_total, np.vstack([n1, n2, n3, n4])


class _Placer:
    """Coordinates of one desa's families: near the coast, a planted cluster, field errors."""

    def __init__(
        self,
        rng: np.random.Generator,
        metric: object,
        desa_m: gpd.GeoDataFrame,
        settings: SampleSettings,
    ) -> None:
        self.rng, self.metric, self.desa_m, self.settings = rng, metric, desa_m, settings
        # Household clusters: extra desil-1 families with tight coordinates.
        self.cluster_n = {c: (n, r) for c, n, r in settings.klaster}
        self.kec = desa_m["kode_kecamatan"].to_numpy()
        # Anchors only where families get coordinates (they draw nothing from rng).
        placed = desa_m[np.isin(self.kec, list(settings.kecamatan_berkoordinat))]
        coast = shapely.union_all(desa_m.geometry.values).boundary
        self.anchors = _anchors(placed, coast) if len(placed) else {}

    def __call__(
        self, i: int, code: str, n_plain: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, shapely.Point | None]:
        """Longitude, latitude (NaN where absent), the cluster mask and the cluster centre."""
        rng = self.rng
        extra_n, radius = self.cluster_n.get(code, (0, 0.0))
        is_cluster = np.concatenate([np.zeros(n_plain, bool), np.ones(extra_n, bool)])
        n = n_plain + extra_n
        xy = np.full((n, 2), np.nan)
        centre = None
        if self.kec[i] in self.settings.kecamatan_berkoordinat:
            poly = self.desa_m.geometry.iloc[i]
            xy[:n_plain] = _points_near(rng, poly, self.anchors[code], n_plain, 350.0)
            if extra_n:
                centre_xy = _points_near(rng, poly.buffer(-400), self.anchors[code], 1, 700.0)[0]
                centre = shapely.Point(centre_xy)
                xy[n_plain:] = _points_near(rng, poly, [centre], extra_n, radius / 2.5)
            # Field reality: some families not visited, a few GPS errors of 1-3 km.
            blank = rng.random(n) < 0.06
            blank[is_cluster] = False
            err = (rng.random(n) < 0.006) & ~blank & ~is_cluster
            angle = rng.uniform(0, 2 * np.pi, err.sum())
            dist = rng.uniform(1000, 3000, err.sum())
            xy[err] += np.column_stack([np.cos(angle) * dist, np.sin(angle) * dist])
            xy[blank] = np.nan
        pts = gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=self.metric)
        lonlat = pts.to_crs(4326)
        return lonlat.x.to_numpy(), lonlat.y.to_numpy(), is_cluster, centre


def _housing(
    rng: np.random.Generator, desil: np.ndarray, *, island: bool, in_kantong: bool
) -> dict[str, np.ndarray]:
    """Lighting, water, toilet and floor: worse for lower desil, on islands and in pockets."""
    n = len(desil)
    dfac = np.array([1.0, 0.75, 0.5, 0.3])[desil - 1]
    # The pocket lacks sanitation and has poor floors; islands lack power and water.
    no_power = np.clip(dfac * (0.45 if island else 0.12), 0, 0.95)
    bad_water = np.clip(dfac * (0.5 if island else 0.3), 0, 0.95)
    no_toilet = np.clip(dfac * 0.35 * (1.9 if in_kantong else 1.0), 0, 0.95)
    bad_floor = np.clip(dfac * 0.2 * (2.5 if in_kantong else 1.0), 0, 0.9)
    u = rng.random((n, 4))
    penerangan = np.where(
        u[:, 0] < no_power,
        "Bukan listrik",
        np.where(u[:, 0] < no_power + 0.1, "Listrik non-PLN", "Listrik PLN"),
    )
    air_bad = _choice(
        rng,
        (
            "Sumur Tidak Terlindung",
            "Air Hujan",
            "Air Permukaan (Sungai, Danau, dll)",
            "Mata Air Tidak Terlindung",
        ),
        [0.3, 0.35, 0.3, 0.05],
        n,
    )
    air_ok = _choice(
        rng,
        ("Air Kemasan/Isi Ulang", "Ledeng/PAM", "Sumur Bor/Pompa", "Sumur Terlindung"),
        [0.4, 0.2, 0.15, 0.25],
        n,
    )
    lantai_bad = _choice(rng, ("Tanah", "Bambu"), [0.6, 0.4], n)
    lantai_ok = _choice(rng, ("Kayu/Papan", "Semen/Bata Merah", "Keramik"), [0.6, 0.3, 0.1], n)
    return {
        "sumber_penerangan": penerangan,
        "sumber_air_minum": np.where(u[:, 1] < bad_water, air_bad, air_ok),
        "memiliki_fasilitas_buang_air_besar": np.where(u[:, 2] < no_toilet, "Tidak", "Ya"),
        "jenis_lantai": np.where(u[:, 3] < bad_floor, lantai_bad, lantai_ok),
    }


def _people(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Head of family: sex, name, date of birth; ``_order`` is the families' row order."""
    female = rng.random(n) < 0.16
    depan = np.where(
        female,
        _choice(rng, _NAMA_DEPAN_P, [1.0] * len(_NAMA_DEPAN_P), n),
        _choice(rng, _NAMA_DEPAN_L, [1.0] * len(_NAMA_DEPAN_L), n),
    )
    belakang = _choice(rng, _NAMA_BELAKANG, [1.0] * len(_NAMA_BELAKANG), n)
    age = rng.integers(21, 80, n)
    month = rng.integers(1, 13, n)
    day = rng.integers(1, 29, n)
    return {
        "_female": female,
        "_depan": depan,
        "_belakang": belakang,
        "_year": 2024 - age,
        "_month": month,
        "_day": day,
        "_order": rng.permutation(n),
    }


def _programmes_and_work(rng: np.random.Generator, desil: np.ndarray) -> dict[str, np.ndarray]:
    """Social programmes received (more for lower desil), work, schooling and the house."""
    n = len(desil)

    def receive(p: np.ndarray) -> np.ndarray:
        return np.where(rng.random(n) < p, "Ya", "Tidak")

    out = {
        "penerima_bpnt": receive(np.array([0.75, 0.6, 0.4, 0.2])[desil - 1]),
        "penerima_pkh": receive(np.array([0.55, 0.4, 0.25, 0.1])[desil - 1]),
        "penerima_bst": receive(np.full(n, 0.05)),
        "penerima_bpum": receive(np.full(n, 0.03)),
        "penerima_sembako": receive(np.array([0.7, 0.55, 0.35, 0.2])[desil - 1]),
        "resiko_stunting": receive(np.array([0.3, 0.22, 0.15, 0.1])[desil - 1]),
    }
    out["pekerjaan"] = _choice(
        rng,
        (
            "Nelayan",
            "Petani",
            "Buruh Harian Lepas",
            "Pedagang",
            "Wiraswasta",
            "Tidak Bekerja",
            "Mengurus Rumah Tangga",
        ),
        [0.25, 0.3, 0.2, 0.05, 0.05, 0.1, 0.05],
        n,
    )
    out["pendidikan"] = _choice(
        rng,
        ("Tidak/Belum Sekolah", "SD/Sederajat", "SMP/Sederajat", "SMA/Sederajat", "Diploma/S1"),
        [0.15, 0.45, 0.2, 0.17, 0.03],
        n,
    )
    out["jenis_atap"] = _choice(
        rng, ("Seng", "Asbes", "Daun/Rumbia", "Sirap"), [0.6, 0.2, 0.12, 0.08], n
    )
    out["jenis_dinding"] = _choice(
        rng, ("Kayu/Papan", "Tembok", "Bambu", "Lainnya"), [0.6, 0.25, 0.1, 0.05], n
    )
    out["bahan_bakar_memasak"] = _choice(
        rng, ("Gas LPG 3 kg", "Kayu Bakar", "Minyak Tanah"), [0.55, 0.4, 0.05], n
    )
    out["kepemilikan_rumah"] = _choice(
        rng, ("Milik Sendiri", "Menumpang", "Sewa", "Lainnya"), [0.8, 0.12, 0.05, 0.03], n
    )
    return out


_ROW_ORDER = (
    "pekerjaan", "pendidikan", "kepemilikan_rumah", "jenis_atap", "jenis_dinding",
    "jenis_lantai", "sumber_penerangan", "bahan_bakar_memasak", "sumber_air_minum",
    "memiliki_fasilitas_buang_air_besar", "penerima_bpnt", "penerima_bpum", "penerima_bst",
    "penerima_pkh", "penerima_sembako", "resiko_stunting",
)  # fmt: skip
"""The P3KE columns drawn per desa, in the file's column order (after the identity columns)."""


def _family_rows(
    rng: np.random.Generator,
    rows: list[dict[str, object]],
    code: str,
    where: dict[str, str],
    order: np.ndarray,
    desil: np.ndarray,
    columns: dict[str, np.ndarray],
    lon: np.ndarray,
    lat: np.ndarray,
) -> list[tuple[str, int]]:
    """Append one desa's families (every cell text) to ``rows``; return (family id, index)."""
    kab2, kec2 = code[3:5], code[6:8]  # kabupaten and kecamatan digits, in the synthetic NIK
    female = columns["_female"]
    year, month, day = columns["_year"], columns["_month"], columns["_day"]
    fam_ids = []
    for j in order:
        serial = len(rows) + 1
        dob_day = int(day[j]) + (40 if female[j] else 0)
        dob = f"{dob_day:02d}{int(month[j]):02d}{int(year[j]) % 100:02d}"
        fam_id = f"P3KE-SIN-{serial:06d}"
        has = not np.isnan(lat[j])
        rows.append(
            {
                "id_keluarga_p3ke": fam_id,
                "provinsi": where["provinsi"],
                "kabupaten_kota": where["kabupaten_kota"],
                "kecamatan": where["kecamatan"],
                "desa_kelurahan": where["desa"],
                "kode_kemdagri": code.replace(".", ""),
                "desil_kesejahteraan": str(int(desil[j])),
                "alamat": f"Dusun {_DUSUN[serial % len(_DUSUN)]} RT {1 + serial % 9:03d} "
                f"RW {1 + serial % 4:03d}",
                "kepala_keluarga": f"{columns['_depan'][j]} {columns['_belakang'][j]}".strip(),
                "nik": f"99{kab2}{kec2}{dob}{serial % 10000:04d}",
                "no_kk": f"99{kab2}{kec2}{rng.integers(1, 29):02d}{rng.integers(1, 13):02d}"
                f"{rng.integers(10, 23):02d}{(serial * 7) % 10000:04d}",
                "padan_dukcapil": "Ya" if rng.random() < 0.95 else "Tidak",
                "jenis_kelamin": "Perempuan" if female[j] else "Laki-laki",
                "tanggal_lahir": f"{int(year[j])}-{int(month[j]):02d}-{int(day[j]):02d}",
                **{c: columns[c][j] for c in _ROW_ORDER},
                "lintang": f"{lat[j]:.6f}" if has else "",
                "bujur": f"{lon[j]:.6f}" if has else "",
                "SINTETIS": "Ya",
            }
        )
        fam_ids.append((fam_id, int(j)))
    return fam_ids


# Sub-activity templates: (opd, code, name, sasaran_jenis, satuan, kebutuhan, weight).
# Codes follow the Kepmendagri 050-5889/2021 format; the pairing of names, codes and OPD is
# illustrative (SYNTHETIC), not Kayong Utara's actual budget.
_TEMPLATES: dict[int, list[tuple[str, str, str, str, str, str, float]]] = {
    1: [
        (
            "Dinas Kesehatan",
            "1.02.02.2.02.0036",
            "Pengelolaan Jaminan Kesehatan Masyarakat (PBI daerah)",
            "individu",
            "jiwa",
            "kesehatan",
            6.0,
        ),
        (
            "Dinas Sosial",
            "1.06.04.2.01.0001",
            "Penyediaan Permakanan bagi Keluarga Miskin Ekstrem",
            "keluarga",
            "keluarga",
            "pangan",
            2.0,
        ),
        (
            "Dinas Sosial",
            "1.06.06.2.01.0003",
            "Pemberian Bantuan Sosial Tunai Daerah",
            "keluarga",
            "keluarga",
            "pangan",
            2.5,
        ),
        (
            "Dinas Pendidikan",
            "1.01.02.2.02.0019",
            "Bantuan Biaya Pendidikan Siswa Miskin",
            "individu",
            "siswa",
            "pendidikan",
            1.5,
        ),
        (
            "Dinas Ketahanan Pangan",
            "2.09.03.2.02.0002",
            "Penyaluran Cadangan Pangan Pemerintah Daerah",
            "keluarga",
            "keluarga",
            "pangan",
            1.0,
        ),
        (
            "Dinas Kesehatan",
            "1.02.02.2.02.0020",
            "Pelayanan Kesehatan Ibu Hamil dan Balita Keluarga Miskin",
            "individu",
            "jiwa",
            "kesehatan",
            1.0,
        ),
        (
            "Dinas Sosial",
            "1.06.05.2.01.0002",
            "Rehabilitasi Sosial Dasar Lanjut Usia Terlantar",
            "individu",
            "jiwa",
            "kesehatan",
            0.6,
        ),
        (
            "Dinas Kependudukan dan Pencatatan Sipil",
            "2.12.02.2.01.0001",
            "Pelayanan Administrasi Kependudukan Keluarga Miskin",
            "individu",
            "dokumen",
            "",
            0.3,
        ),
    ],
    2: [
        (
            "Dinas Tenaga Kerja",
            "2.07.02.2.01.0003",
            "Pelatihan Berbasis Kompetensi bagi Keluarga Miskin",
            "individu",
            "orang",
            "pendapatan",
            1.0,
        ),
        (
            "Dinas Koperasi dan UKM",
            "2.17.07.2.01.0002",
            "Pemberdayaan Usaha Mikro melalui Bantuan Peralatan",
            "keluarga",
            "unit usaha",
            "pendapatan",
            1.2,
        ),
        (
            "Dinas Pertanian",
            "3.27.02.2.01.0001",
            "Penyediaan Benih dan Bibit bagi Petani Miskin",
            "keluarga",
            "keluarga",
            "pendapatan",
            1.0,
        ),
        (
            "Dinas Perikanan",
            "3.25.03.2.02.0001",
            "Bantuan Sarana Penangkapan Ikan bagi Nelayan Kecil",
            "keluarga",
            "paket",
            "pendapatan",
            1.3,
        ),
        (
            "Dinas Pemberdayaan Masyarakat dan Desa",
            "2.13.05.2.01.0004",
            "Pengembangan Usaha Ekonomi Keluarga Desa",
            "keluarga",
            "kelompok",
            "pendapatan",
            0.8,
        ),
    ],
    3: [
        (
            "Dinas Pekerjaan Umum dan Penataan Ruang",
            "1.03.03.2.01.0005",
            "Pembangunan Sistem Penyediaan Air Minum Perdesaan",
            "wilayah",
            "unit",
            "air",
            1.6,
        ),
        (
            "Dinas Perumahan Rakyat dan Kawasan Permukiman",
            "1.04.02.2.01.0013",
            "Rehabilitasi Rumah Tidak Layak Huni",
            "keluarga",
            "unit rumah",
            "rumah",
            1.8,
        ),
        (
            "Dinas Pekerjaan Umum dan Penataan Ruang",
            "1.03.06.2.01.0001",
            "Pembangunan Sanitasi Komunal dan Jamban Keluarga",
            "keluarga",
            "unit",
            "sanitasi",
            1.2,
        ),
        (
            "Dinas Pekerjaan Umum dan Penataan Ruang",
            "1.03.10.2.01.0020",
            "Peningkatan Jalan Lingkungan Permukiman",
            "wilayah",
            "meter",
            "",
            1.0,
        ),
        (
            "Dinas Energi dan Sumber Daya Mineral",
            "3.29.04.2.01.0001",
            "Penyediaan Listrik Tenaga Surya bagi Rumah Tangga Miskin",
            "keluarga",
            "unit",
            "listrik",
            1.0,
        ),
    ],
}

_STRATEGY_TOTALS = {1: (43, 51_000_000_000), 2: (18, 8_000_000_000), 3: (23, 17_000_000_000)}
"""Kayong Utara 2024: sub-activities and Rupiah per Inpres 4/2022 strategy (DOMAIN.md)."""


def _register(rng: np.random.Generator, codes: np.ndarray, pockets: list[str]) -> pd.DataFrame:
    rows: list[dict[str, object]] = []
    non_pocket = [c for c in codes if c not in pockets]
    for strategi, (count, pagu_total) in _STRATEGY_TOTALS.items():
        templates = _TEMPLATES[strategi]
        picks = [templates[i % len(templates)] for i in range(count)]
        weights = np.array([t[6] for t in picks]) * rng.lognormal(0, 0.5, count)
        juta = _allocate(pagu_total // 1_000_000, weights)
        for k, (tpl, pagu_juta) in enumerate(zip(picks, juta, strict=True)):
            opd, kode, nama, sasaran, satuan, kebutuhan, _ = tpl
            if strategi == 1 and rng.random() < 0.35:
                lokus = "kabupaten"
            else:
                size = {1: (3, 9), 2: (1, 5), 3: (1, 3)}[strategi]
                m = int(rng.integers(size[0], size[1] + 1))
                pool = pockets if (strategi == 3 and rng.random() < 0.55) else list(codes)
                if strategi == 3 and pool is not pockets:
                    pool = non_pocket
                chosen = sorted(rng.choice(np.asarray(pool), size=min(m, len(pool)), replace=False))
                lokus = ";".join(chosen)
            volume = int(max(1, round(pagu_juta / rng.uniform(2, 25))))
            realisasi = int(pagu_juta * rng.uniform(0.55, 1.0)) * 1_000_000
            rows.append(
                {
                    "tahun": "2024",
                    "opd": opd,
                    "kode_sub_kegiatan": f"{kode[:-4]}{int(kode[-4:]) + k // len(templates):04d}",
                    "nama_sub_kegiatan": nama,
                    "strategi": str(strategi),
                    "pagu": str(int(pagu_juta) * 1_000_000),
                    "sumber_dana": "DAU" if rng.random() < 0.6 else "DAK",
                    "lokus": lokus,
                    "sasaran_jenis": sasaran,
                    "target_volume": str(volume),
                    "satuan": satuan,
                    "realisasi": str(realisasi),
                    "kebutuhan": kebutuhan,
                    "SINTETIS": "Ya",
                }
            )
    return pd.DataFrame(rows)


def write_sample(
    out_dir: Path, batas_desa: Path, settings: SampleSettings | None = None
) -> list[Path]:
    """Generate the sample and write its four files.

    Parameters
    ----------
    out_dir : pathlib.Path
        Target folder (created if missing).
    batas_desa : pathlib.Path
        The region's desa boundary file.
    settings : SampleSettings, optional
        Generator settings (default: :func:`sample_settings`).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    sample = generate_sample(batas_desa, settings)
    paths = {
        "keluarga_desa": out_dir / "keluarga_desa_SINTETIS.csv",
        "p3ke": out_dir / "p3ke_keluarga_SINTETIS.csv.gz",
        "register": out_dir / "sub_kegiatan_SINTETIS.csv",
    }
    for key, path in paths.items():
        frame = sample[key]
        assert isinstance(frame, pd.DataFrame)
        # gzip with mtime 0 so the same seed gives byte-identical files.
        compression = {"method": "gzip", "mtime": 0} if path.suffix == ".gz" else None
        frame.to_csv(path, index=False, lineterminator="\n", compression=compression)
    truth = out_dir / "kantong_SINTETIS.json"
    truth.write_text(
        json.dumps(sample["kantong"], indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return [*paths.values(), truth]
