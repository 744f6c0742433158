"""Regions from their Kemendagri code: any kabupaten/kota of Kalimantan Barat, or the province.

The bundled province layer ``data/kalbar/kalbar_desa.parquet`` (2,130 real desa polygons) and
the Kemendagri code lists of 2022 and 2025 (``data/kalbar/wilayah_20xx.csv``; sources in
``data/kalbar/SOURCES.md``) are enough to build a region folder for any code: its desa
polygons, a ``region.toml`` (name, code, metric CRS) and the region's code list with the
names of both years. :func:`write_region_folder` does the same from any provincial or
national boundary file (``python -m targeting wilayah --batas FILE --kode 61.04 --out DIR``).

Codes across years (real in this province): 15 desa split off since 2022 (pemekaran) have a
2025 code and no polygon of their own yet; 33 desa changed their spelling. The code list
written beside the polygons (``kode_wilayah.csv``) keeps both, so that families coded with
either year's list are counted (see :class:`KodeWilayah`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.codes import normalise_kode_prefix
from geo.crs import choose_metric_crs
from geo.errors import RegionError
from geo.io import read_boundaries

__all__ = [
    "KODE_2022",
    "KODE_2025",
    "LAPISAN_PROVINSI",
    "KodeWilayah",
    "daftar_wilayah",
    "is_region_code",
    "kode_wilayah",
    "nama_wilayah",
    "read_kode_wilayah",
    "toleransi_tampilan",
    "with_unmapped",
    "write_region_folder",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
PROVINSI_DIR = REPO_ROOT / "data" / "kalbar"
LAPISAN_PROVINSI = PROVINSI_DIR / "kalbar_desa.parquet"
"""The bundled desa polygons of Kalimantan Barat (EPSG:4326, 2,130 desa; 2022 code list)."""
KODE_2025 = PROVINSI_DIR / "wilayah_2025.csv"
"""Kemendagri code list of province 61 as of Kepmendagri 2025 (``kode,nama,level``)."""
KODE_2022 = PROVINSI_DIR / "wilayah_2022.csv"
"""The same list as of 2022, the year the P3KE list was first built."""

_CODE = re.compile(r"^\d{2}(\.\d{2})?$")
BATAS_NAME = "batas_desa.parquet"
KODE_NAME = "kode_wilayah.csv"
PEMEKARAN = "tanpa batas desa (pemekaran)"
"""Mark of a desa with a 2025 code and no polygon of its own (split off since 2022)."""
EJAAN_LAMA = "ejaan lama"
"""Mark of a family that wrote its desa's 2022 spelling."""


def is_region_code(text: object) -> bool:
    """Whether ``text`` is a province or kabupaten/kota code (``61`` or ``61.04``).

    Examples
    --------
    >>> is_region_code("61.04"), is_region_code("data/kayong_utara/region.toml")
    (True, False)
    """
    return bool(_CODE.match(str(text).strip()))


def _code_list(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def daftar_wilayah(path: Path = KODE_2025) -> pd.DataFrame:
    """List the regions the bundled layer can build: the province and its kabupaten.

    Parameters
    ----------
    path : pathlib.Path, default :data:`KODE_2025`
        A Kemendagri code list (``kode,nama,level``).

    Returns
    -------
    pandas.DataFrame
        Columns ``kode`` (``"61"``, ``"61.01"`` ...) and ``nama`` (``"Provinsi Kalimantan
        Barat"``, ``"Kabupaten Sambas"`` ...), the province first, then by code.
    """
    codes = _code_list(path)
    rows = codes[codes["level"].isin(["provinsi", "kabupaten"])].copy()
    rows.loc[rows["level"] == "provinsi", "nama"] = "Provinsi " + rows["nama"]
    return rows[["kode", "nama"]].sort_values("kode").reset_index(drop=True)


def nama_wilayah(kode: str, path: Path = KODE_2025) -> str | None:
    """Name of a province or kabupaten/kota code in a code list (None when absent)."""
    hit = daftar_wilayah(path).set_index("kode")["nama"]
    return str(hit[kode]) if kode in hit.index else None


@dataclass(frozen=True)
class KodeWilayah:
    """One region's desa codes across the 2022 and 2025 Kemendagri lists.

    Attributes
    ----------
    tabel : pandas.DataFrame
        One row per desa of the 2025 list (and any desa only in 2022): ``kode_desa``,
        ``desa`` (2025 name), ``desa_2022`` (2022 name, empty for a new desa),
        ``kode_kecamatan``, ``kecamatan``, ``berpoligon`` (bool: a polygon carries the code).
    """

    tabel: pd.DataFrame

    @property
    def pemekaran(self) -> pd.DataFrame:
        """Desa with a code and no polygon of their own (split off since 2022)."""
        return self.tabel[~self.tabel["berpoligon"]].reset_index(drop=True)

    @property
    def ejaan_lama(self) -> pd.DataFrame:
        """Desa whose 2022 spelling differs from the 2025 one."""
        t = self.tabel
        return t[(t["desa_2022"] != "") & (t["desa_2022"] != t["desa"])].reset_index(drop=True)

    def nama_desa(self, desa: pd.DataFrame) -> pd.DataFrame:
        """Names a family may write for its desa: the polygons', pemekaran and 2022 spellings.

        Parameters
        ----------
        desa : pandas.DataFrame
            The region's polygons: ``kode_desa``, ``desa``, ``kecamatan``.

        Returns
        -------
        pandas.DataFrame
            ``kode_desa``, ``desa`` (a name to match), ``kecamatan``: every polygon, then
            every desa without polygon under its 2025 name, then every 2022 spelling
            under its code, so that a family without code is found by either name.
        """
        cols = ["kode_desa", "desa", "kecamatan"]
        old = self.ejaan_lama[["kode_desa", "desa_2022", "kecamatan"]]
        return pd.concat(
            [desa[cols], self.pemekaran[cols], old.set_axis(cols, axis=1)], ignore_index=True
        )


def kode_wilayah(
    kode: str, polygons: pd.Series, *, list_2025: Path = KODE_2025, list_2022: Path = KODE_2022
) -> KodeWilayah:
    """Build a region's code table from the two code lists and its polygons' codes.

    Parameters
    ----------
    kode : str
        Dotted region prefix (``"61"``, ``"61.04"``).
    polygons : pandas.Series
        ``kode_desa`` of the region's polygons.
    list_2025, list_2022 : pathlib.Path
        Kemendagri code lists (``kode,nama,level``).

    Returns
    -------
    KodeWilayah
        Every desa of the 2025 list under ``kode``, with its 2022 name and whether a polygon
        carries its code.
    """
    new, old = _code_list(list_2025), _code_list(list_2022)
    kec = new[new["level"] == "kecamatan"].set_index("kode")["nama"]
    desa = new[(new["level"] == "desa") & new["kode"].str.startswith(kode + ".")]
    old_names = old[old["level"] == "desa"].set_index("kode")["nama"]
    table = pd.DataFrame(
        {
            "kode_desa": desa["kode"].to_numpy(),
            "desa": desa["nama"].to_numpy(),
            "desa_2022": [old_names.get(c, "") for c in desa["kode"]],
            "kode_kecamatan": desa["kode"].str.slice(0, 8).to_numpy(),
        }
    )
    table["kecamatan"] = [kec.get(c, c) for c in table["kode_kecamatan"]]
    table["berpoligon"] = table["kode_desa"].isin(set(polygons))
    return KodeWilayah(table.sort_values("kode_desa").reset_index(drop=True))


def write_region_folder(
    batas: Path,
    kode: str,
    out: Path,
    *,
    nama: str | None = None,
    code_lists: tuple[Path, Path] | None = (KODE_2025, KODE_2022),
) -> Path:
    """Write a region folder (``region.toml``, desa polygons, code table) for one code.

    Parameters
    ----------
    batas : pathlib.Path
        Any provincial or national desa boundary file :func:`geo.io.read_boundaries` reads
        (GeoParquet, GeoJSON, GeoPackage, zipped shapefile), with a CRS.
    kode : str
        Province or kabupaten/kota code (``"61"``, ``"61.04"``, ``"6104"``).
    out : pathlib.Path
        Folder to write (created if missing).
    nama : str, optional
        Display name; default: from the code list, else ``"Wilayah <kode>"``.
    code_lists : (pathlib.Path, pathlib.Path) or None
        The 2025 and 2022 Kemendagri lists; when given, ``kode_wilayah.csv`` (the region's
        desa across both years) is written and named in ``region.toml``.

    Returns
    -------
    pathlib.Path
        The ``region.toml`` written. Polygons go to ``batas_desa.parquet`` (GeoParquet,
        EPSG:4326; columns ``kode_desa``, ``desa``, ``kecamatan``, geometry), the metric CRS
        is the UTM zone of the region (:func:`geo.crs.choose_metric_crs`), written so that
        every run uses the same one.

    Raises
    ------
    RegionError
        If ``kode`` is not a 2- or 4-digit code.
    InputSchemaError, CRSError
        As :func:`geo.io.read_boundaries` (also when no desa lies under ``kode``).
    """
    try:
        kode = normalise_kode_prefix(kode)
    except ValueError as err:
        msg = f"kode wilayah {kode!r}: {err}"
        raise RegionError(msg, en=f"region code {kode!r} must be 2 or 4 digits") from err
    load = read_boundaries(batas, code_prefix=kode)
    desa = load.desa
    out.mkdir(parents=True, exist_ok=True)
    gpd.GeoDataFrame(desa[["kode_desa", "desa", "kecamatan"]], geometry=desa.geometry).to_parquet(
        out / BATAS_NAME, compression="zstd"
    )
    metric = choose_metric_crs(desa)
    epsg = metric.to_epsg()
    lines = [
        "# Region settings for Lokus, written by geo.wilayah.write_region_folder.",
        "[region]",
        f"nama = {json.dumps(_name(kode, nama, code_lists), ensure_ascii=False)}",
        f'kode = "{kode}"',
        f'batas_desa = "{BATAS_NAME}"',
        f'metric_crs = "EPSG:{epsg}"' if epsg else "",
        f"sumber = {json.dumps(f'Batas desa: {batas.name} ({len(desa)} desa).', ensure_ascii=False)}",
    ]
    if code_lists is not None:
        table = kode_wilayah(
            kode, desa["kode_desa"], list_2025=code_lists[0], list_2022=code_lists[1]
        )
        table.tabel.to_csv(out / KODE_NAME, index=False, lineterminator="\n")
        lines.append(f'kode_wilayah = "{KODE_NAME}"')
    path = out / "region.toml"
    path.write_text("\n".join(x for x in lines if x) + "\n", encoding="utf-8")
    return path


def _name(kode: str, nama: str | None, code_lists: tuple[Path, Path] | None) -> str:
    if nama:
        return nama
    found = nama_wilayah(kode, code_lists[0]) if code_lists is not None else None
    return found or f"Wilayah {kode}"


def read_kode_wilayah(path: Path | None) -> KodeWilayah | None:
    """Read a region's ``kode_wilayah.csv`` (None without one).

    Parameters
    ----------
    path : pathlib.Path or None
        The file written by :func:`write_region_folder` (``Region.kode_wilayah``).

    Returns
    -------
    KodeWilayah or None
    """
    if path is None:
        return None
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    table["berpoligon"] = table["berpoligon"].str.lower().eq("true")
    return KodeWilayah(table)


def with_unmapped(desa: gpd.GeoDataFrame, kode: KodeWilayah | None) -> gpd.GeoDataFrame:
    """Add one row without geometry per listed desa that has no polygon to the desa layer.

    Parameters
    ----------
    desa : geopandas.GeoDataFrame
        ``kode_desa``, ``desa``, ``kecamatan``, ``kode_kecamatan``, geometry (any CRS).
    kode : KodeWilayah or None
        The region's code table.

    Returns
    -------
    geopandas.GeoDataFrame
        ``desa`` with the pemekaran desa appended (geometry None, same CRS), sorted by
        ``kode_desa``: every per-desa table counts them under their code ("tanpa batas desa
        (pemekaran)"); maps and the pocket statistics leave them out.
    """
    if kode is None:
        return desa
    extra = kode.tabel[~kode.tabel["kode_desa"].isin(set(desa["kode_desa"]))]
    if extra.empty:
        return desa
    rows = gpd.GeoDataFrame(
        extra[["kode_desa", "desa", "kecamatan", "kode_kecamatan"]],
        geometry=[None] * len(extra),
        crs=desa.crs,
    )
    out = pd.concat([desa, rows], ignore_index=True).sort_values("kode_desa")
    return gpd.GeoDataFrame(out.reset_index(drop=True), geometry="geometry", crs=desa.crs)


TOLERANSI_DASAR_M = 50.0
"""Display simplification of a district (``targeting.mapspec.TAMPILAN_TOLERANSI_M``)."""
DESA_PER_DASAR = 500
"""Desa a map shows at the base tolerance; more desa (a province) are shown coarser."""


def toleransi_tampilan(desa: pd.DataFrame) -> float:
    """Choose the display simplification (metres) of a region's outlines by its size.

    Parameters
    ----------
    desa : pandas.DataFrame
        The region's desa (one row each).

    Returns
    -------
    float
        :data:`TOLERANSI_DASAR_M` (50 m) up to :data:`DESA_PER_DASAR` desa (every kabupaten
        of Kalimantan Barat), growing with the desa count beyond it: the province's 2,130
        desa get about 213 m. The whole province fills a laptop map at about 1 km per screen
        pixel, so the outline looks the same; its GeoJSON shrinks from 2.7 MB to about
        1.3 MB (bench/RESULTS.md). A choice of display only: the analysis keeps the full
        geometry.
    """
    return TOLERANSI_DASAR_M * max(1.0, len(desa) / DESA_PER_DASAR)
