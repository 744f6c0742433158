"""The Dask engine: place families in desa and count them per desa, partition by partition.

The single-machine engine (:func:`geo.join.place_households` on the whole table, then
:func:`targeting.indicators.desa_indicators`) is the reference. This engine splits the validated
families into partitions that follow the kecamatan code (families of one kecamatan stay
together, so each partition covers a compact area), places each partition with the same
:func:`~geo.join.place_households` on a Dask worker, counts it with
:func:`~targeting.indicators.count_families`, and adds the partitions' counts. Placement is
decided row by row (a family's code, name and point only), so the union of the partitions'
results is the reference's result; the rows are put back in the reference's order. The desa
polygons are sent to each worker once (``Client.scatter``).

It runs on a ``distributed.LocalCluster`` by default and on an existing dask.distributed
cluster when given its scheduler address. No streamlit here.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from geo.codes import kode_kecamatan
from geo.crs import DISPLAY_CRS
from geo.join import DEFAULT_COAST_M, FLAG_COLUMNS, Placement, place_households
from geo.ledger import Ledger, rejections
from geo.wilayah import KodeWilayah
from targeting.indicators import count_families

__all__ = [
    "ENGINES",
    "PARTISI",
    "DaskRun",
    "dask_client",
    "package_zip",
    "partition_key",
    "place_and_count",
]

ENGINES = ("pandas", "dask")
"""Engines of :func:`targeting.pipeline.run`: ``pandas`` (one process, the default) and
``dask`` (partitions on a Dask cluster)."""

PARTISI = ("kecamatan", "hilbert")
"""Ways :func:`place_and_count` groups an in-memory table into partitions
(:func:`partition_key`)."""

_POS = "_posisi"


@contextlib.contextmanager
def dask_client(
    scheduler: str | None = None, *, n_workers: int | None = None, processes: bool = True
) -> Iterator[Any]:
    """Connect to a Dask cluster, or start a local one, and close it afterwards.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://10.0.0.5:8786``). None starts a
        ``LocalCluster`` on this machine (no dashboard) and stops it on exit.
    n_workers : int, optional
        Workers of the local cluster (default: one per CPU core, one thread each).
    processes : bool, default True
        Local workers as processes (parallel placement) or threads.

    Yields
    ------
    distributed.Client

    Notes
    -----
    On an existing cluster the workers need Lokus's code, and a ``dask worker`` started
    outside the Lokus folder cannot import it. The client therefore sends ``geo/`` and
    ``targeting/`` as one zip (:func:`package_zip`, built in a temporary folder) with
    ``Client.upload_file``: distributed puts it on every worker's ``sys.path``, and on workers
    that join later too (it is registered as a worker plugin). The workers still need the
    same third-party packages (the Lokus ``.venv`` or ``requirements.txt``).
    """
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client, tempfile.TemporaryDirectory() as tmp:
            client.upload_file(str(package_zip(Path(tmp))))
            yield client
        return
    workers = n_workers or max(1, min(os.cpu_count() or 1, 8))
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


PACKAGES = ("geo", "targeting")
"""Lokus's own packages, shipped to the workers of an existing cluster."""


def package_zip(folder: Path) -> Path:
    """Write ``geo/`` and ``targeting/`` (their ``.py`` files) into one importable zip.

    Parameters
    ----------
    folder : pathlib.Path
        Folder to write ``lokus_kode_<random>.zip`` into (an existing, writable folder).

    Returns
    -------
    pathlib.Path
        The zip; with it on ``sys.path``, ``import targeting`` works anywhere. The name is new
        on every call: Python caches zip importers by path, so a worker that received an
        earlier zip under the same name would read the stale cache.
    """
    root = Path(__file__).resolve().parent.parent
    path = folder / f"lokus_kode_{uuid.uuid4().hex[:12]}.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for package in PACKAGES:
            for file in sorted((root / package).rglob("*.py")):
                zf.write(file, file.relative_to(root).as_posix())
    return path


def partition_key(
    keluarga: pd.DataFrame, desa: gpd.GeoDataFrame | None = None, *, by: str = "kecamatan"
) -> pd.Series:
    """Sort key of each family for spatial partitioning.

    Parameters
    ----------
    keluarga : pandas.DataFrame
        Validated families with ``kode_desa`` (dotted or ``<NA>``), and ``lintang``/``bujur``
        (float degrees, NaN where absent) for ``by="hilbert"``.
    desa : geopandas.GeoDataFrame, optional
        Desa polygons with ``kode_desa``, any CRS; required for ``by="hilbert"``.
    by : {"kecamatan", "hilbert"}, default "kecamatan"
        ``"kecamatan"``: ``PP.KK.CC`` of the code; families without a readable code get
        ``"~"`` (sorted last, placed by name in their own partitions). ``"hilbert"``: the
        distance along a Hilbert curve (level 16, :meth:`geopandas.GeoSeries.hilbert_distance`)
        over the boundaries' extent in EPSG:4326, of a point inside the family's coded desa
        (:meth:`geopandas.GeoSeries.representative_point`), so that a desa's families stay
        together whatever their points say; families without a known code by their own
        point where it lies in that extent; families with neither get ``4**16``, after every
        distance on the curve.

    Returns
    -------
    pandas.Series
        Indexed like ``keluarga``: text for ``"kecamatan"``, int64 for ``"hilbert"``.

    Raises
    ------
    ValueError
        If ``by`` is not one of :data:`PARTISI`, or ``desa`` is missing for ``"hilbert"``.

    Notes
    -----
    The key only groups families into partitions; placement is decided row by row, so the
    result is the same for either key (tested). Hilbert order keeps a partition compact where
    kecamatan are very unequal in size (a city kecamatan beside rural ones).
    """
    if by not in PARTISI:
        msg = f"partisi must be one of {PARTISI}, got {by!r}"
        raise ValueError(msg)
    if by == "kecamatan":
        return kode_kecamatan(keluarga["kode_desa"].astype("string")).fillna("~")
    if desa is None:
        msg = "partisi 'hilbert' needs the desa polygons"
        raise ValueError(msg)
    shown = desa.geometry.values.to_crs(DISPLAY_CRS)
    minx, miny, maxx, maxy = bounds = shown.total_bounds
    lon = keluarga["bujur"].to_numpy(dtype="float64")
    lat = keluarga["lintang"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore"):
        inside = (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)
    anchors = gpd.GeoSeries(shown, crs=DISPLAY_CRS).representative_point()
    at = pd.Index(desa["kode_desa"].to_numpy(dtype=object)).get_indexer(
        keluarga["kode_desa"].astype(object).to_numpy()
    )
    coded = at >= 0
    x = np.where(coded, anchors.x.to_numpy()[at], np.where(inside, lon, np.nan))
    y = np.where(coded, anchors.y.to_numpy()[at], np.where(inside, lat, np.nan))
    ok = inside | coded
    key = np.full(len(keluarga), 4**16, dtype="int64")
    if ok.any():
        points = gpd.GeoSeries(gpd.points_from_xy(x[ok], y[ok]), crs=DISPLAY_CRS)
        key[ok] = points.hilbert_distance(total_bounds=bounds, level=16).to_numpy()
    return pd.Series(key, index=keluarga.index, name="hilbert_distance")


@dataclass
class DaskRun:
    """Result of :func:`place_and_count`.

    Attributes
    ----------
    placement : Placement
        As :func:`geo.join.place_households` on the whole table (same rows, order and
        flags). ``keluarga`` is empty when the placed families were written to
        ``out_dir`` instead of collected.
    counts : pandas.DataFrame
        :func:`targeting.indicators.count_families` of all placed families.
    partitions : int
        Partitions processed.
    families_used : int
        Placed families (also when not collected).
    flags : dict
        Used families per flag of :data:`geo.join.FLAG_COLUMNS`.
    """

    placement: Placement
    counts: pd.DataFrame
    partitions: int
    families_used: int
    flags: dict[str, int]
    ledger: Ledger | None = None
    """Row accounting of placement, the partitions' ledgers merged (also when the families
    are written to ``out_dir`` instead of collected)."""


def _place_part(
    part: pd.DataFrame,
    desa: gpd.GeoDataFrame,
    source: str,
    metric_wkt: str,
    jarak_pantai_m: float,
    desil_max: int,
    write_to: str | None,
    kode_wilayah: KodeWilayah | None = None,
) -> dict[str, Any]:
    """Place one partition (runs on a worker)."""
    if isinstance(part, gpd.GeoDataFrame):  # GeoParquet working file: the point is the truth
        pts = part.geometry
        part = pd.DataFrame(part.drop(columns=part.geometry.name))
        if "bujur" not in part.columns:
            part["bujur"] = pts.x.where(pts.notna()).to_numpy()
            part["lintang"] = pts.y.where(pts.notna()).to_numpy()
    if _POS not in part.columns:
        part = part.assign(**{_POS: part["_baris"].astype("int64").to_numpy()})
    part = part.reset_index(drop=True)
    if part.empty:
        return {"n": 0, "counts": None, "keluarga": None, "ditolak": None, "cocok": None,
                "unknown": [], "flags": {}, "ledger": None, "tanpa_batas": None,
                "ejaan_lama": None}  # fmt: skip
    placed = place_households(
        part,
        desa,
        source=source,
        metric_crs=pyproj.CRS.from_wkt(metric_wkt),
        jarak_pantai_m=jarak_pantai_m,
        kode_wilayah=kode_wilayah,
    )
    kel = placed.keluarga
    pos_of = dict(zip(part["_baris"].astype(int), part[_POS], strict=True))
    cocok = placed.cocok_nama.assign(**{_POS: placed.cocok_nama["baris"].map(pos_of)})
    counts = count_families(kel, desil_max=desil_max)
    flags = {f: int(kel[f].sum()) for f in FLAG_COLUMNS}
    if write_to is not None:
        path = Path(write_to) / f"bagian-{int(part[_POS].min()):012d}.parquet"
        kel.to_parquet(path)
        kel = None
    return {"n": len(placed.keluarga), "counts": counts, "keluarga": kel,
            "ditolak": placed.ditolak, "cocok": cocok, "ledger": placed.ledger(part, source),
            "unknown": placed.kode_tidak_dikenal, "flags": flags,
            "tanpa_batas": placed.tanpa_batas, "ejaan_lama": placed.ejaan_lama}  # fmt: skip


def place_and_count(
    keluarga: pd.DataFrame | str | os.PathLike[str],
    desa: gpd.GeoDataFrame,
    *,
    source: str,
    metric_crs: pyproj.CRS,
    client: Any,
    jarak_pantai_m: float = DEFAULT_COAST_M,
    desil_max: int = 4,
    npartitions: int | None = None,
    out_dir: str | os.PathLike[str] | None = None,
    partisi: str = "kecamatan",
) -> DaskRun:
    """Place families in desa and count them per desa on a Dask cluster.

    Parameters
    ----------
    keluarga : pandas.DataFrame or path
        Validated families (``HouseholdCheck.keluarga``), or a GeoParquet dataset (file or
        folder) of them, one point per family in EPSG:4326 (``lintang``/``bujur`` are taken
        from the points when absent), read with dask-geopandas (one or more partitions per
        file: write one file per province or kecamatan block to keep partitions spatial).
    desa : geopandas.GeoDataFrame
        Desa polygons (``kode_desa``, ``desa``, ``kecamatan``), with a CRS.
        The region's code table (:class:`geo.wilayah.KodeWilayah`: pemekaran desa and old
        spellings, as in :func:`geo.join.place_households`) travels with the polygons, in
        ``desa.attrs["kode_wilayah"]``.
    source : str
        File name written in every rejection.
    metric_crs : pyproj.CRS
        Metric CRS for distances to the coast (metres).
    client : distributed.Client
        From :func:`dask_client`.
    jarak_pantai_m : float, default 500
        As in :func:`geo.join.place_households` (metres).
    desil_max : int, default 4
        Highest desil of the scale (4 P3KE, 10 DTSEN).
    npartitions : int, optional
        Partitions of an in-memory table (default: 4 per worker thread, at least 1; a
        partition never splits fewer than 5,000 families).
    out_dir : path, optional
        Write the placed families as GeoParquet files here (one per partition) instead of
        collecting them: the national run's memory then stays that of one partition per
        worker plus the per-desa counts.
    partisi : {"kecamatan", "hilbert"}, default "kecamatan"
        How an in-memory table is sorted before it is cut into partitions
        (:func:`partition_key`). A GeoParquet dataset keeps its files' partitions.

    Returns
    -------
    DaskRun
        ``placement`` equals :func:`geo.join.place_households` on the whole table (rows,
        order, flags, rejections, name matches); ``counts`` equals
        :func:`targeting.indicators.count_families` on all placed families.
    """
    import dask
    import dask.dataframe as dd

    if partisi not in PARTISI:
        msg = f"partisi must be one of {PARTISI}, got {partisi!r}"
        raise ValueError(msg)
    if isinstance(keluarga, (str, os.PathLike)):
        import dask_geopandas

        ddf = dask_geopandas.read_parquet(keluarga)
    else:
        frame = keluarga.reset_index(drop=True)
        frame = frame.assign(**{_POS: np.arange(len(frame))})
        order = partition_key(frame, desa, by=partisi).to_numpy().argsort(kind="stable")
        frame = frame.iloc[order].reset_index(drop=True)
        threads = sum(client.nthreads().values()) or 1
        n = npartitions or max(1, min(4 * threads, len(frame) // 5_000))
        # Keep pandas' own dtypes: Dask would otherwise turn text columns into its string type.
        with dask.config.set({"dataframe.convert-string": False}):
            ddf = dd.from_pandas(frame, npartitions=max(1, min(n, len(frame))), sort=False)
    desa_f = client.scatter(desa, broadcast=True)
    write_to = None
    if out_dir is not None:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        write_to = str(out_dir)
    task = dask.delayed(_place_part, pure=True)
    with dask.config.set({"dataframe.convert-string": False}):
        parts = [
            task(
                p,
                desa_f,
                source,
                metric_crs.to_wkt(),
                jarak_pantai_m,
                desil_max,
                write_to,
                desa.attrs.get("kode_wilayah"),
            )
            for p in ddf.to_delayed()
        ]
    results = client.gather(client.compute(parts))
    return _assemble(results, source, partitions=len(parts))


def _summed(parts: list[pd.DataFrame | None], keys: list[str]) -> pd.DataFrame:
    """Add up the partitions' per-desa lists (``keluarga`` summed over ``keys``)."""
    found = [p for p in parts if p is not None and len(p)]
    if not found:
        return pd.DataFrame(columns=["kode_desa", "desa", "kecamatan", "keluarga"])
    both = pd.concat(found, ignore_index=True)
    rest = [c for c in both.columns if c not in (*keys, "keluarga")]
    out = both.groupby(keys, as_index=False).agg(
        {**dict.fromkeys(rest, "first"), "keluarga": "sum"}
    )
    return out[both.columns.tolist()]


def _assemble(results: list[dict[str, Any]], source: str, *, partitions: int) -> DaskRun:
    """Put the partitions' results together in the input's order, their ledgers merged."""
    done = [r for r in results if r["n"] or r["ditolak"] is not None]
    counts_all = [r["counts"] for r in done if r["counts"] is not None and len(r["counts"])]
    counts = (
        pd.concat(counts_all).groupby(level=0).sum().astype("int64")
        if counts_all
        else pd.DataFrame(columns=["keluarga_p3ke"], dtype="int64")
    )
    counts.index.name = "kode_desa"
    ledger = Ledger.stage(source, rows_in=0, used=0)
    for part_ledger in (r["ledger"] for r in done if r["ledger"] is not None):
        ledger = ledger.merge(part_ledger)  # partitions of one stage add up
    ditolak = pd.concat(
        [rejections(berkas=source)] + [r["ditolak"] for r in done if len(r["ditolak"])],
        ignore_index=True,
    )
    cocok_parts = [r["cocok"] for r in done if len(r["cocok"])]
    if cocok_parts:
        cocok = pd.concat(cocok_parts, ignore_index=True).sort_values(_POS, kind="stable")
    else:
        cocok = done[0]["cocok"] if done else pd.DataFrame()
    cocok = cocok.drop(columns=[_POS], errors="ignore").reset_index(drop=True)
    kel_parts = [r["keluarga"] for r in done if r["keluarga"] is not None]
    if kel_parts:
        kel = pd.concat(kel_parts, ignore_index=True).sort_values(_POS, kind="stable")
        kel = gpd.GeoDataFrame(
            kel.drop(columns=[_POS]).reset_index(drop=True), geometry="geometry", crs=DISPLAY_CRS
        )
    else:
        kel = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=DISPLAY_CRS))
    kel.attrs = {}
    flags = {f: sum(r["flags"].get(f, 0) for r in done) for f in FLAG_COLUMNS}
    return DaskRun(
        placement=Placement(
            keluarga=kel,
            ditolak=ditolak,
            cocok_nama=cocok,
            kode_tidak_dikenal=sorted({c for r in done for c in r["unknown"]}),
            tanpa_batas=_summed([r.get("tanpa_batas") for r in done], ["kode_desa"]),
            ejaan_lama=_summed([r.get("ejaan_lama") for r in done], ["kode_desa", "nama_masukan"]),
        ),
        counts=counts,
        partitions=partitions,
        families_used=sum(r["n"] for r in done),
        flags=flags,
        ledger=ledger.check(),
    )
