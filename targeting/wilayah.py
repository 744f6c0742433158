"""A region by its code (``--region 61.04``), with a synthetic demo sample, and ``wilayah``.

:func:`resolve_region` accepts what ``--region`` accepts: a ``region.toml`` path (any
province) or a Kalimantan Barat code (``61`` for the province, ``61.04`` for Ketapang). A
code builds its region folder once from the bundled province layer
(:func:`geo.wilayah.write_region_folder`) with a SYNTHETIC sample planned from the region's
own geometry (:func:`targeting.synthetic.plan_sample`), in a cache folder keyed on the data
and the generator version; Kayong Utara (``61.11``) is the embedded folder.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from geo.crs import DISPLAY_CRS
from geo.errors import AnalysisError, RegionError
from geo.region import DEFAULT_REGION_FILE, Region, default_region, load_region
from geo.wilayah import (
    KODE_2022,
    KODE_2025,
    LAPISAN_PROVINSI,
    daftar_wilayah,
    is_region_code,
    write_region_folder,
)
from targeting.pockets import (
    TIDAK_DINILAI,
    PocketResult,
    PocketSettings,
    desa_hotspots,
    find_pockets,
)

__all__ = [
    "CACHE_ENV",
    "add_parser",
    "cache_dir",
    "pockets_by_kabupaten",
    "region_file",
    "resolve_region",
    "run_wilayah",
]

CACHE_ENV = "LOKUS_WILAYAH_DIR"
"""Environment variable naming the folder of built regions (default ``~/.cache/lokus/wilayah``)."""
_VERSION = "1"
"""Bumped when the region folder or the generator changes: older folders are rebuilt."""
EMBEDDED = {"61.11": DEFAULT_REGION_FILE}
"""Codes with a committed region folder (its sample is the embedded one, byte for byte)."""


def cache_dir() -> Path:
    """Folder holding regions built from their code (``LOKUS_WILAYAH_DIR`` or the user cache)."""
    env = os.environ.get(CACHE_ENV)
    return Path(env) if env else Path.home() / ".cache" / "lokus" / "wilayah"


def _key() -> str:
    digest = hashlib.sha256(_VERSION.encode())
    for path in (LAPISAN_PROVINSI, KODE_2025, KODE_2022):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def region_file(kode: str, *, cache: Path | None = None) -> Path:
    """Return the ``region.toml`` of a Kalimantan Barat code, built on first use.

    Parameters
    ----------
    kode : str
        ``"61"`` (the province) or a kabupaten/kota code such as ``"61.04"``.
    cache : pathlib.Path, optional
        Folder of built regions (default :func:`cache_dir`).

    Returns
    -------
    pathlib.Path
        ``region.toml`` of the region folder: desa polygons cut from the bundled province
        layer, the code table of 2022 and 2025, and a SYNTHETIC sample (families, family
        table, register, planted pockets in ``kantong_SINTETIS.json``).

    Raises
    ------
    RegionError
        If the code is not the province or one of its kabupaten/kota.

    Notes
    -----
    The folder is built in a temporary folder and renamed into place, so two processes that
    build the same region at once (two app sessions) never read a half-written one.
    """
    known = set(daftar_wilayah()["kode"])
    if kode not in known:
        listing = ", ".join(sorted(known))
        msg = (
            f"kode wilayah {kode!r} tidak ada di Kalimantan Barat; pilih salah satu: {listing}, "
            "atau berikan berkas region.toml"
        )
        en = f"region code {kode!r} is not in Kalimantan Barat; use one of {listing} or a region.toml"
        raise RegionError(msg, en=en)
    if kode in EMBEDDED:
        return EMBEDDED[kode]
    base = cache or cache_dir()
    target = base / f"{kode}-{_key()}"
    if (target / "region.toml").is_file():
        return target / "region.toml"
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{kode}-", dir=base))
    try:
        _build(kode, work)
        with contextlib.suppress(OSError):  # built meanwhile by another process: keep theirs
            work.rename(target)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return target / "region.toml"


def _build(
    kode: str, folder: Path, batas: Path = LAPISAN_PROVINSI, nama: str | None = None
) -> None:
    """Polygons, code table, SYNTHETIC sample and their region.toml keys."""
    from targeting.synthetic import write_sample

    toml = write_region_folder(batas, kode, folder, nama=nama)
    written = write_sample(folder, folder / "batas_desa.parquet")
    names = {p.name for p in written}
    extra = [
        'keluarga_desa = "keluarga_desa_SINTETIS.csv"',
        'keluarga_p3ke = "p3ke_keluarga_SINTETIS.csv.gz"',
        'register = "sub_kegiatan_SINTETIS.csv"',
        'sintetis = ["keluarga_desa", "keluarga_p3ke", "register"]',
    ]
    assert {"keluarga_desa_SINTETIS.csv", "p3ke_keluarga_SINTETIS.csv.gz"} <= names
    text = toml.read_text(encoding="utf-8").replace(
        'sumber = "Batas desa:', 'sumber = "Keluarga dan sub kegiatan: SINTETIS. Batas desa:'
    )
    toml.write_text(text + "\n".join(extra) + "\n", encoding="utf-8")


def resolve_region(spec: str | os.PathLike[str] | None, *, cache: Path | None = None) -> Region:
    """Load the region ``--region`` names: a Kalimantan Barat code or a ``region.toml`` path.

    Parameters
    ----------
    spec : str, path or None
        ``"61.04"`` / ``"61"`` (built by :func:`region_file`), a path to a ``region.toml``,
        or None for :func:`geo.region.default_region` (``LOKUS_REGION`` or Kayong Utara).
    cache : pathlib.Path, optional
        Folder of built regions.

    Returns
    -------
    Region
        The loaded region.

    Raises
    ------
    RegionError
        As :func:`region_file` and :func:`geo.region.load_region`.
    """
    if spec is None or str(spec) == "":
        return default_region()
    if is_region_code(spec) and not Path(spec).exists():
        return load_region(region_file(str(spec).strip(), cache=cache))
    return load_region(spec)


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``python -m targeting wilayah`` on the CLI's subcommands."""
    p = sub.add_parser(
        "wilayah",
        help="tulis folder wilayah (region.toml + batas desa) dari berkas batas provinsi/nasional",
    )
    p.add_argument("--batas", required=True, type=Path,
                   help="berkas batas desa provinsi atau nasional (GeoParquet/GeoJSON/GPKG/SHP.zip)")  # fmt: skip
    p.add_argument("--kode", required=True, help="kode Kemendagri kabupaten/kota (61.04) atau provinsi (61)")  # fmt: skip
    p.add_argument("--out", required=True, type=Path, help="folder wilayah yang ditulis")
    p.add_argument("--nama", default=None, help="nama tampilan (bawaan: dari daftar kode)")
    p.add_argument("--sampel", action="store_true",
                   help="tulis juga sampel SINTETIS (keluarga, penyebut, register)")  # fmt: skip


def run_wilayah(args: argparse.Namespace) -> list[Path]:
    """Write the region folder of ``wilayah``; return the files written.

    Raises
    ------
    RegionError, InputSchemaError, CRSError
        As :func:`geo.wilayah.write_region_folder`.
    """
    if args.sampel:
        _build(args.kode, args.out, args.batas, args.nama)
    else:
        write_region_folder(args.batas, args.kode, args.out, nama=args.nama)
    return sorted(p for p in Path(args.out).iterdir() if p.is_file())


def pockets_by_kabupaten(
    indikator: gpd.GeoDataFrame,
    keluarga: gpd.GeoDataFrame,
    desa: gpd.GeoDataFrame,
    *,
    metric_crs: pyproj.CRS,
    settings: PocketSettings | None = None,
) -> PocketResult:
    """Find pockets with each kabupaten/kota tested on its own (``cakupan = "kabupaten"``).

    Parameters
    ----------
    indikator, keluarga, desa, metric_crs, settings
        As :func:`targeting.pockets.find_pockets`.

    Returns
    -------
    PocketResult
        Desa labels from :func:`targeting.pockets.desa_hotspots` run per kabupaten/kota (the
        first five characters of ``kode_desa``: its own neighbours, mean and FDR correction),
        in ``indikator``'s row order; household clusters of the whole region (DBSCAN works
        inside each desa anyway). A kabupaten whose test cannot run (too few desa, constant
        values) has its desa "tidak dinilai" with the reason; ``parameter["galat_desa"]`` is
        set only when no kabupaten could be tested.
    """
    settings = settings or PocketSettings()
    kab = indikator["kode_desa"].str.slice(0, 5).to_numpy()
    groups = list(dict.fromkeys(kab))
    first = indikator[kab == groups[0]]
    result = find_pockets(first, keluarga, desa, metric_crs=metric_crs, settings=settings)
    parts, failed = [result.desa], int("galat_desa" in result.parameter)
    for code in groups[1:]:
        sub = indikator[kab == code]
        try:
            parts.append(desa_hotspots(sub, metric_crs=metric_crs, settings=settings))
        except AnalysisError as err:
            failed += 1
            parts.append(
                _not_assessed(sub, f"analisis kabupaten/kota {code} tidak dapat dijalankan ({err})")
            )
    hot = pd.concat(parts, ignore_index=True).set_index("kode_desa", drop=False)
    hot = gpd.GeoDataFrame(hot.loc[indikator["kode_desa"]].reset_index(drop=True), crs=parts[0].crs)
    parameter = dict(result.parameter)
    if failed < len(groups):
        parameter.pop("galat_desa", None)
        parameter.pop("galat_desa_en", None)
    parameter["aturan_desa"] = (
        f"{parameter['aturan_desa']} Diuji per kabupaten/kota ({len(groups)}): tetangga, "
        "rata-rata dan koreksi FDR masing-masing."
    )
    return PocketResult(
        desa=hot, klaster=result.klaster, anggota=result.anggota, parameter=parameter
    )


def _not_assessed(sub: gpd.GeoDataFrame, why: str) -> gpd.GeoDataFrame:
    """Pocket rows of desa whose kabupaten could not be tested (EPSG:4326)."""
    return gpd.GeoDataFrame(
        {
            "kode_desa": sub["kode_desa"].to_numpy(), "kantong": TIDAK_DINILAI,
            "nilai": np.nan, "gi_z": np.nan, "gi_p": np.nan, "gi_q": np.nan, "kuadran": np.nan,
            "nilai_tetangga": np.nan, "rata_rata": np.nan, "tetangga": "", "jumlah_tetangga": 0,
            "alasan": f"tidak dinilai: {why}",
        },
        geometry=sub.geometry.values,
        crs=sub.crs,
    ).to_crs(DISPLAY_CRS)  # fmt: skip
