"""SYNTHETIC inputs at province and nation scale for the benchmarks (seeded, deterministic).

Desa polygons are a Voronoi tessellation of random seeds over a plausible extent, densified to
a realistic vertex count (Kayong Utara's real desa have about 300 vertices) and bent by a
smooth displacement field so that borders wiggle while neighbours still share them. Codes follow
Kepmendagri ``PP.KK.CC.DDDD`` with a spatial hierarchy (province, kabupaten and kecamatan are
blocks of the extent). Families get a desa code, a desil, four deprivation answers and a point
drawn inside their desa; a small share is faulty on purpose (points in another desa, swapped
lintang/bujur, 0,0, blank coordinates, blank codes with a desa name) so the placement's checks
do real work. Nothing here is real data; the files are generated into a cache folder at bench
time and never committed.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree


@dataclass(frozen=True)
class Scale:
    """One benchmark scale: extent (degrees), desa count, hierarchy blocks and families."""

    nama: str
    n_desa: int
    n_keluarga: int
    extent: tuple[float, float, float, float]
    provinsi: tuple[int, int]
    kabupaten: tuple[int, int]
    kecamatan: tuple[int, int]
    vertices: int = 200


PROVINCE = Scale(
    "province", 2_000, 300_000, (109.0, -1.7, 112.4, 1.7), (1, 1), (4, 4), (3, 3)
)  # about 143,000 km2, like Kalimantan Barat (147,000 km2)
NATION = Scale(
    "nation", 84_000, 10_000_000, (100.0, -5.5, 117.5, 5.5), (8, 5), (4, 4), (4, 4), 120
)  # about 2.4 million km2 (Indonesia's land: 1.9 million km2)

FAULT_SHARE = {
    "desa_lain": 0.005,  # point moved into another desa
    "ditukar": 0.003,  # lintang and bujur swapped
    "nol": 0.002,  # 0,0
    "kosong": 0.01,  # no coordinates
    "kode_kosong": 0.002,  # blank code, desa and kecamatan names given
}


TEXT_COLUMNS = (
    "kode_kemdagri", "desa_kelurahan", "kecamatan", "desil_kesejahteraan", "lintang", "bujur",
    "sumber_penerangan", "sumber_air_minum", "memiliki_fasilitas_buang_air_besar", "jenis_lantai",
)  # fmt: skip


def _blocks(x: np.ndarray, lo: float, hi: float, n: int) -> np.ndarray:
    return np.clip(((x - lo) / (hi - lo) * n).astype(int), 0, n - 1)


def _displace(
    x: np.ndarray, y: np.ndarray, cell: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Smooth, one-to-one displacement (amplitude 5 % of a cell, wavelength 60 %)."""
    rng = np.random.default_rng(seed)
    p = rng.uniform(0, 2 * np.pi, 4)
    a, lam = 0.05 * cell, 0.6 * cell
    dx = a * np.sin(2 * np.pi * y / lam + p[0]) + 0.5 * a * np.sin(
        2 * np.pi * y / (1.7 * lam) + p[1]
    )
    dy = a * np.sin(2 * np.pi * x / lam + p[2]) + 0.5 * a * np.sin(
        2 * np.pi * x / (1.7 * lam) + p[3]
    )
    return x + dx, y + dy


@dataclass
class Desa:
    """Generated desa: polygons and the undistorted seeds (for drawing family points)."""

    gdf: gpd.GeoDataFrame
    seeds: np.ndarray
    cell: float
    seed: int


def make_desa(scale: Scale, seed: int = 8) -> Desa:
    """Build the SYNTHETIC desa layer of a scale.

    Parameters
    ----------
    scale : Scale
        :data:`PROVINCE` or :data:`NATION` (or any other).
    seed : int, default 8
        Random seed.

    Returns
    -------
    Desa
        ``gdf`` in EPSG:4326 with ``kode_desa``, ``desa``, ``kecamatan``, ``kode_kecamatan``,
        ``kabupaten``, ``kode_kabupaten``, ``provinsi``, ``kode_provinsi``; one row per seed.
    """
    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = scale.extent
    seeds = np.column_stack([rng.uniform(x0, x1, scale.n_desa), rng.uniform(y0, y1, scale.n_desa)])
    cell = float(np.sqrt((x1 - x0) * (y1 - y0) / scale.n_desa))
    cells = shapely.voronoi_polygons(
        shapely.multipoints(seeds), extend_to=shapely.box(x0, y0, x1, y1), ordered=True
    )
    polys = shapely.intersection(shapely.get_parts(cells), shapely.box(x0, y0, x1, y1))
    # Densify to about `vertices` per desa (a hexagon-like cell has a perimeter of ~3.7 cells).
    polys = shapely.segmentize(polys, 3.7 * cell / scale.vertices)
    coords = shapely.get_coordinates(polys)
    nx, ny = _displace(coords[:, 0], coords[:, 1], cell, seed)
    polys = shapely.set_coordinates(polys, np.column_stack([nx, ny]))
    # Hierarchy from blocks of the extent.
    pv = _blocks(seeds[:, 0], x0, x1, scale.provinsi[0]) * scale.provinsi[1] + _blocks(
        seeds[:, 1], y0, y1, scale.provinsi[1]
    )
    pw, ph = (x1 - x0) / scale.provinsi[0], (y1 - y0) / scale.provinsi[1]
    px0 = x0 + (pv // scale.provinsi[1]) * pw
    py0 = y0 + (pv % scale.provinsi[1]) * ph
    kx = _blocks(seeds[:, 0] - px0, 0, pw, scale.kabupaten[0])
    ky = _blocks(seeds[:, 1] - py0, 0, ph, scale.kabupaten[1])
    kb = kx * scale.kabupaten[1] + ky
    kw, kh = pw / scale.kabupaten[0], ph / scale.kabupaten[1]
    cx = _blocks(seeds[:, 0] - px0 - kx * kw, 0, kw, scale.kecamatan[0])
    cy = _blocks(seeds[:, 1] - py0 - ky * kh, 0, kh, scale.kecamatan[1])
    kc = cx * scale.kecamatan[1] + cy
    prov = 61 if scale.provinsi == (1, 1) else 11 + pv
    frame = pd.DataFrame(
        {
            "p": np.broadcast_to(prov, len(seeds)),
            "k": kb + 1,
            "c": kc + 1,
            "i": np.arange(len(seeds)),
        }
    )
    frame["d"] = frame.groupby(["p", "k", "c"]).cumcount() + 2001
    kode_kec = (
        frame["p"].map("{:02d}".format)
        + "."
        + frame["k"].map("{:02d}".format)
        + "."
        + frame["c"].map("{:02d}".format)
    )
    kode = kode_kec + "." + frame["d"].map("{:04d}".format)
    gdf = gpd.GeoDataFrame(
        {
            "kode_desa": kode.to_numpy(),
            "desa": ("Desa Sintetis " + frame["i"].astype(str)).to_numpy(),
            "kecamatan": ("Kecamatan " + kode_kec.str.replace(".", "", regex=False)).to_numpy(),
            "kode_kecamatan": kode_kec.to_numpy(),
            "kabupaten": ("Kabupaten " + kode_kec.str.slice(0, 5)).to_numpy(),
            "kode_kabupaten": kode_kec.str.slice(0, 5).to_numpy(),
            "provinsi": ("Provinsi " + kode_kec.str.slice(0, 2)).to_numpy(),
            "kode_provinsi": kode_kec.str.slice(0, 2).to_numpy(),
        },
        geometry=polys,
        crs="EPSG:4326",
    )
    return Desa(gdf=gdf, seeds=seeds, cell=cell, seed=seed)


def make_households(
    desa: Desa, n: int, seed: int = 9, *, start: int = 0, total: int | None = None
) -> pd.DataFrame:
    """Build SYNTHETIC families as the text table a P3KE CSV gives.

    Parameters
    ----------
    desa : Desa
        Output of :func:`make_desa`.
    n : int
        Families to draw (one chunk when ``total`` is given).
    seed : int, default 9
        Random seed (combined with ``start`` so that chunks differ).
    start : int, default 0
        Row offset of this chunk: ``_baris`` runs from ``start + 2``.
    total : int, optional
        Families of the whole set (for chunked generation); default ``n``.

    Returns
    -------
    pandas.DataFrame
        Text columns ``kode_kemdagri`` (10 digits), ``desa_kelurahan``, ``kecamatan``,
        ``desil_kesejahteraan`` (1-10, DTSEN scale), ``lintang``, ``bujur``, four deprivation
        columns and ``_baris``; shares of faulty rows as in :data:`FAULT_SHARE`.
    """
    del total
    rng = np.random.default_rng([seed, start])
    gdf = desa.gdf
    nd = len(gdf)
    w = np.random.default_rng(desa.seed + 1).lognormal(0, 0.5, nd)
    own = rng.choice(nd, size=n, p=w / w.sum())
    sigma = 0.22 * desa.cell
    xy = desa.seeds[own] + rng.normal(0, sigma, size=(n, 2))
    tree = cKDTree(desa.seeds)
    for _ in range(4):
        _, near = tree.query(xy)
        bad = near != own
        if not bad.any():
            break
        xy[bad] = desa.seeds[own[bad]] + rng.normal(0, sigma / 3, size=(int(bad.sum()), 2))
    _, near = tree.query(xy)
    xy[near != own] = desa.seeds[own[near != own]]
    lon, lat = _displace(xy[:, 0], xy[:, 1], desa.cell, desa.seed)
    return _with_faults(gdf, own, lon, lat, rng, start)


def real_province_households(n: int, seed: int = 9) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """SYNTHETIC families on the REAL Kalimantan Barat desa polygons (data/kalbar).

    Parameters
    ----------
    n : int
        Families to draw.
    seed : int, default 9
        Random seed.

    Returns
    -------
    (geopandas.GeoDataFrame, pandas.DataFrame)
        The 2,130 real desa polygons (:func:`geo.io.read_boundaries`, EPSG:4326, about
        246,000 vertices) and the families as in :func:`make_households`: each drawn
        uniformly inside its own desa (``GeoSeries.sample_points``), then the same shares of
        faulty rows.
    """
    from geo.io import read_boundaries
    from geo.wilayah import LAPISAN_PROVINSI

    gdf = read_boundaries(LAPISAN_PROVINSI).desa
    rng = np.random.default_rng(seed)
    w = rng.lognormal(0, 0.5, len(gdf))
    own = np.sort(rng.choice(len(gdf), size=n, p=w / w.sum()))
    per = np.bincount(own, minlength=len(gdf))
    pts = gdf.geometry.sample_points(size=per, rng=rng).explode(index_parts=False)
    pts = pts[pts.notna()]
    lon, lat = pts.x.to_numpy(), pts.y.to_numpy()
    own = np.repeat(np.arange(len(gdf)), per)[: len(lon)]
    return gdf, _with_faults(gdf, own, lon, lat, rng, 0)


def _with_faults(
    gdf: gpd.GeoDataFrame,
    own: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    rng: np.random.Generator,
    start: int,
) -> pd.DataFrame:
    """The family text table of points in their desa, with :data:`FAULT_SHARE` faults."""
    n = len(own)
    u = rng.uniform(size=n)
    edges = np.cumsum(list(FAULT_SHARE.values()))
    kind = np.searchsorted(edges, u, side="right")  # index into FAULT_SHARE, len = no fault
    names = list(FAULT_SHARE)
    other = rng.integers(0, n, size=n)
    lon_o, lat_o = lon[other], lat[other]
    is_k = {k: kind == i for i, k in enumerate(names)}
    lon = np.where(is_k["desa_lain"], lon_o, lon)
    lat = np.where(is_k["desa_lain"], lat_o, lat)
    lon, lat = np.where(is_k["ditukar"], lat, lon), np.where(is_k["ditukar"], lon, lat)
    lon = np.where(is_k["nol"], 0.0, lon)
    lat = np.where(is_k["nol"], 0.0, lat)
    codes = gdf["kode_desa"].to_numpy()[own]
    code_txt = pd.Series(codes).str.replace(".", "", regex=False)
    code_txt = code_txt.where(~is_k["kode_kosong"], None)
    lat_txt = pd.Series(np.round(lat, 6)).astype(str).where(~is_k["kosong"], None)
    lon_txt = pd.Series(np.round(lon, 6)).astype(str).where(~is_k["kosong"], None)
    desil = np.minimum(rng.geometric(0.28, size=n), 10)
    dep = rng.uniform(size=(n, 4))
    return pd.DataFrame(
        {
            "kode_kemdagri": code_txt.to_numpy(),
            "desa_kelurahan": gdf["desa"].to_numpy()[own],
            "kecamatan": gdf["kecamatan"].to_numpy()[own],
            "desil_kesejahteraan": desil.astype(str),
            "lintang": lat_txt.to_numpy(),
            "bujur": lon_txt.to_numpy(),
            "sumber_penerangan": np.where(dep[:, 0] < 0.08, "Bukan listrik", "Listrik PLN"),
            "sumber_air_minum": np.where(dep[:, 1] < 0.2, "Sumur Tidak Terlindung", "Ledeng/PAM"),
            "memiliki_fasilitas_buang_air_besar": np.where(dep[:, 2] < 0.15, "Tidak", "Ya"),
            "jenis_lantai": np.where(dep[:, 3] < 0.1, "Tanah", "Semen/Bata Merah"),
            "_baris": np.arange(start + 2, start + n + 2),
        }
    ).astype(dict.fromkeys(TEXT_COLUMNS, "string"))
