"""Read input files: desa boundaries, household tables and the per-desa family table.

Every reader names the file in its errors, lists every bad row at once (osmnx
``_validate._report_validation``), and keeps IDs as text: tables are read with ``dtype=str``,
so a NIK never passes through a float.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NoReturn

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.codes import kode_kecamatan, normalise_kode_desa, normalise_kode_prefix
from geo.columns import canon
from geo.crs import require_crs, to_display
from geo.errors import InputSchemaError, MissingColumnsError
from geo.ledger import Ledger, rejections
from geo.limits import check_crossings, check_zip
from geo.sheets import ROW_COL, read_sheet

__all__ = [
    "BoundaryLoad",
    "file_sha256",
    "read_boundaries",
    "read_bytes",
    "read_keluarga_desa",
    "read_table",
]


_BOUNDARY_ALIASES = {
    "kode_desa": ("kode_desa", "kode", "kode_kemendagri", "kode_kemdagri", "kd_desa", "kdepum"),
    "desa": ("desa", "nama", "nama_desa", "desa_kelurahan", "wadmkd", "namobj"),
    "kecamatan": ("kecamatan", "nama_kecamatan", "wadmkc"),
}

Source = str | os.PathLike[str] | bytes | IO[bytes]


def file_sha256(data: bytes) -> str:
    """SHA-256 hex digest of a file's bytes, for provenance.

    Parameters
    ----------
    data : bytes
        File content.

    Returns
    -------
    str
        64 hex characters.
    """
    return hashlib.sha256(data).hexdigest()


AREA_CHANGE_PERCENT = 1.0
"""A repaired desa whose area changed by more than this (per cent) is marked for checking."""

MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024
"""Largest gzip content Lokus will unpack (bytes), a guard against decompression bombs."""


def read_bytes(src: Source) -> bytes:
    """Bytes of a path, bytes or binary file, gzip unpacked (bounded by MAX_UNCOMPRESSED_BYTES).

    Parameters
    ----------
    src : path, bytes or binary file
        The input.

    Returns
    -------
    bytes
        The (unpacked) content.

    Raises
    ------
    InputSchemaError
        If a gzip stream is corrupt or unpacks beyond the limit.
    """
    if isinstance(src, bytes):
        data = src
    elif hasattr(src, "read"):
        raw = src.read()  # type: ignore[union-attr]
        data = raw if isinstance(raw, bytes) else str(raw).encode()
    else:
        data = Path(src).read_bytes()  # type: ignore[arg-type]
    if data[:2] == b"\x1f\x8b":  # gzip, e.g. a .csv.gz table
        try:
            data = gzip.GzipFile(fileobj=io.BytesIO(data)).read(MAX_UNCOMPRESSED_BYTES + 1)
        except (OSError, EOFError) as err:
            msg = f"berkas gzip rusak atau terpotong: {err}"
            raise InputSchemaError(msg, en=f"corrupt or truncated gzip file: {err}") from err
        if len(data) > MAX_UNCOMPRESSED_BYTES:
            msg = f"isi gzip melebihi {MAX_UNCOMPRESSED_BYTES} byte setelah dibuka"
            en = f"gzip content exceeds {MAX_UNCOMPRESSED_BYTES} bytes once unpacked"
            raise InputSchemaError(msg, en=en)
    return data


@dataclass
class BoundaryLoad:
    """Desa polygons as loaded, with what had to be repaired or left out.

    Attributes
    ----------
    desa : geopandas.GeoDataFrame
        One row per desa, EPSG:4326, index 0..n-1, columns ``kode_desa`` (dotted),
        ``desa``, ``kecamatan``, ``kode_kecamatan``, ``geometry`` (MultiPolygon).
    diperbaiki : pandas.DataFrame
        Rows whose geometry was repaired: ``kode_desa``, ``desa``, ``masalah``,
        ``luas_sebelum_m2``, ``luas_sesudah_m2``, ``perubahan_luas_persen`` and
        ``perlu_diperiksa`` (area changed by more than :data:`AREA_CHANGE_PERCENT`).
    dilewati : pandas.DataFrame
        Features left out, :data:`geo.ledger.LEDGER_COLUMNS` (``nilai`` the desa code): null
        or empty geometry (``geometri_kosong``), or a code outside the region prefix
        (``di_luar_wilayah``).
    source : str
        File name.
    sha256 : str
        Hash of the file's bytes.
    """

    desa: gpd.GeoDataFrame
    diperbaiki: pd.DataFrame = field(default_factory=pd.DataFrame)
    dilewati: pd.DataFrame = field(default_factory=pd.DataFrame)
    source: str = ""
    sha256: str = ""
    lapisan: str = ""
    """Layer read (GeoPackage, multi-layer file); ``""`` for a single-layer format, or a KML
    whose folder layers were all read and joined."""
    lapisan_tersedia: list[tuple[str, str]] = field(default_factory=list)
    """Every layer of the file with its geometry type, as ``pyogrio.list_layers`` gives them."""
    rows_in: int = 0
    """Features read from the layer."""

    @property
    def ledger(self) -> Ledger:
        """Row accounting of the layer: features read, desa kept, features left out."""
        return Ledger.stage(
            self.source, rows_in=self.rows_in, used=len(self.desa), ditolak=self.dilewati
        )


def _pick(columns: list[str], aliases: tuple[str, ...]) -> str | None:
    by_canon = {canon(c): c for c in columns}
    return next((by_canon[a] for a in aliases if a in by_canon), None)


def _looks_mojibake(text: str) -> bool:
    """Tell whether UTF-8 bytes were decoded as Latin-1/cp1252 (``'DÃ©sa'`` for ``'Désa'``)."""
    if not any(ch in text for ch in "ÃÂâ"):
        return False
    for codec in ("cp1252", "latin-1"):
        try:
            return text.encode(codec).decode("utf-8") != text
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
    return False


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Keep the polygon parts of a (repaired) geometry as one MultiPolygon."""
    if geom is None or geom.is_empty:
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    polys = []
    for part in parts:
        polys.extend(shapely.get_parts(part) if part.geom_type == "MultiPolygon" else [part])
    if not polys:
        return shapely.MultiPolygon()
    return shapely.MultiPolygon(polys)


_POLYGONAL = ("Polygon", "MultiPolygon", "CurvePolygon", "MultiSurface")


def _layer_list(layers: list[tuple[str, str]]) -> str:
    return ", ".join(f"{n} ({g or 'tanpa geometri'})" for n, g in layers)


def _not_polygons(label: str, layers: list[tuple[str, str]], chosen: str | None) -> NoReturn:
    """Refuse a boundary file without desa polygons, listing its layers and geometry types."""
    what = f"lapisan {chosen!r} tidak berisi poligon" if chosen else "tidak ada lapisan poligon"
    what_en = f"layer {chosen!r} holds no polygons" if chosen else "no layer holds polygons"
    listing = _layer_list(layers)
    msg = (
        f"{label}: {what}; batas desa harus poligon (bukan titik atau garis seperti kantor "
        f"desa). Lapisan dalam berkas: {listing}. Pilih lapisan poligon (--layer), atau "
        "ekspor lapisan batas desa dari QGIS."
    )
    en = (
        f"{label}: {what_en}; desa boundaries must be polygons (not points or lines such as "
        f"village offices). Layers in the file: {listing.replace('tanpa geometri', 'no geometry')}. "
        "Choose a polygon layer with --layer, or export the desa boundary layer from QGIS."
    )
    raise InputSchemaError(msg, en=en)


def _kml_member(data: bytes) -> str | None:
    """Name the KML document inside a KMZ (a zip holding ``doc.kml``), None for anything else.

    A KMZ zipped by hand keeps its attributes in ``<Schema>``/``<ExtendedData>``; opened as a
    ``.kmz`` path, GDAL's LIBKML driver returns only Name and description, while the KML
    document read from inside the zip (``/vsizip/``) gives every attribute.
    """
    if data[:2] != b"PK":
        return None
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            kml = [n for n in zf.namelist() if n.lower().endswith(".kml")]
    except (zipfile.BadZipFile, OSError):
        return None
    return next((n for n in kml if n.lower().endswith("doc.kml")), kml[0] if kml else None)


def _has_desa_fields(where: object, layer: str) -> bool:
    """Whether a layer has a desa code and a desa name column (:data:`_BOUNDARY_ALIASES`)."""
    import pyogrio

    if hasattr(where, "seek"):
        where.seek(0)  # type: ignore[union-attr]
    try:
        fields = [str(f) for f in pyogrio.read_info(where, layer=layer)["fields"]]
    except Exception:  # unreadable here: read_file reports it with its cause
        return False
    return all(_pick(fields, _BOUNDARY_ALIASES[k]) for k in ("kode_desa", "desa"))


def _choose_layer(
    where: object, label: str, layer: str | None
) -> tuple[str | None, list[tuple[str, str]]]:
    """Pick the polygon layer of a (multi-layer) vector file; list every layer.

    Returns the layer to read (None: the file's only layer, or a format pyogrio cannot list)
    and every layer as ``(name, geometry type)``. Of several polygon layers (kecamatan and
    desa), the first with a desa code and name column is taken. A file whose layers hold no polygons, or a
    ``layer`` that does not exist or holds no polygons, is refused with the list.
    """
    import pyogrio

    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*non conformant file extension")
            layers = [(str(n), str(g or "")) for n, g in pyogrio.list_layers(where)]
    except Exception:  # unreadable here: read_file reports it with its cause
        return layer, []
    names = [n for n, _ in layers]
    if layer is not None:
        if layer not in names:
            msg = (
                f"{label}: lapisan {layer!r} tidak ada. Lapisan dalam berkas: {_layer_list(layers)}"
            )
            listing = _layer_list(layers).replace("tanpa geometri", "no geometry")
            en = f"{label}: no layer {layer!r}. Layers in the file: {listing}"
            raise InputSchemaError(msg, en=en)
        if not any(t in dict(layers)[layer] for t in (*_POLYGONAL, "Unknown")):
            _not_polygons(label, layers, layer)
        return layer, layers
    polygons = [n for n, g in layers if any(t in g for t in _POLYGONAL)]
    unknown = [n for n, g in layers if g in ("", "Unknown") or "Geometry" in g]
    if len(polygons) > 1:  # e.g. kecamatan before desa: the first with desa code and name
        return next((n for n in polygons if _has_desa_fields(where, n)), polygons[0]), layers
    if polygons:
        return polygons[0], layers
    if unknown:  # mixed or undeclared geometry (GeoJSON, some shapefiles): checked after reading
        return unknown[0], layers
    _not_polygons(label, layers, None)
    return None, layers  # unreachable: _not_polygons raises


def _is_kml(data: bytes, member: str | None) -> bool:
    """Whether the file is a KML document (or a KMZ holding one)."""
    return member is not None or b"<kml" in data[:1000].lower()


def _kml_folders(where: object, label: str, layers: list[tuple[str, str]]) -> gpd.GeoDataFrame:
    """Read every folder of a KML/KMZ as one layer.

    GDAL gives each ``<Folder>`` of a KML its own layer, so a file with a folder per kecamatan
    (as Google Earth and QGIS users arrange them) holds the desa in several layers, often after
    an empty top folder. Reading only the first layer would give no desa or a few; every
    non-empty layer is read (by position: nested folders share a name) and concatenated.
    """
    import pandas as pd

    parts = []
    for pos in range(len(layers)):
        if hasattr(where, "seek"):
            where.seek(0)  # type: ignore[union-attr]
        part = gpd.read_file(where, layer=pos)
        if len(part):
            parts.append(part)
    if not parts:
        _not_polygons(label, layers, None)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=parts[0].crs)


def _read_layer(
    src: Source, data: bytes, label: str, layer: str | None
) -> tuple[gpd.GeoDataFrame, str | None, list[tuple[str, str]]]:
    """Read the boundary layer: the one asked for, else the first polygon layer.

    A path is read in place, so a shapefile finds its .shx/.dbf/.prj beside it; a KMZ is read
    through the KML document inside it (:func:`_kml_member`). Returns the frame, the layer
    read and every layer with its geometry type. A layer holding no polygons is refused.
    """
    is_path = isinstance(src, (str, os.PathLike))
    chosen: str | None = None
    layers: list[tuple[str, str]] = []
    try:
        with warnings.catch_warnings():
            # Bytes are read through GDAL's /vsimem without a file extension: GeoPackage warns.
            warnings.filterwarnings("ignore", message=".*non conformant file extension")
            if data[:4] == b"PAR1":  # GeoParquet: the working format for large inputs
                gdf = gpd.read_parquet(io.BytesIO(data))
            else:
                where: object = src if is_path else io.BytesIO(data)
                member = _kml_member(data)
                if is_path and member:  # a KMZ: GDAL's LIBKML driver loses its attributes
                    where = f"/vsizip/{Path(src).resolve()}/{member}"  # type: ignore[arg-type]
                chosen, layers = _choose_layer(where, label, layer)
                if not is_path:
                    where = io.BytesIO(data)
                if layer is None and len(layers) > 1 and _is_kml(data, member):
                    return _kml_folders(where, label, layers), None, layers
                # By position: a layer read from bytes is named after its temporary file.
                pos = [n for n, _ in layers].index(chosen) if chosen and len(layers) > 1 else None
                gdf = gpd.read_file(where, layer=pos) if pos is not None else gpd.read_file(where)
    except InputSchemaError:
        raise
    except Exception as err:  # pyogrio raises several types for unreadable files
        msg = f"{label}: berkas batas desa tidak dapat dibaca ({type(err).__name__}: {err})"
        en = f"{label}: the boundary file cannot be read ({type(err).__name__}: {err})"
        raise InputSchemaError(msg, en=en) from err
    types = set(gdf.geometry.geom_type.dropna())
    if types and not types & set(_POLYGONAL):
        _not_polygons(label, layers or [(chosen or label, "/".join(sorted(types)))], chosen)
    return gdf, chosen, layers


def _missing_columns(
    label: str, missing: list[str], cols: list[str], layers: list[tuple[str, str]] = ()
) -> NoReturn:
    """Refuse a boundary layer without a code or name column, saying which names work.

    With several layers in the file, every layer is listed (another may hold the desa).
    """
    notes, notes_en = [], []
    if len(layers) > 1:
        listing = _layer_list(list(layers))
        notes.append(f"Lapisan dalam berkas: {listing}; pilih lapisan desa dengan --layer.")
        notes_en.append(f"Layers in the file: {listing}; choose the desa layer with --layer.")
    if {"Name", "description"} <= set(cols):  # KML/KMZ: attributes were not exported
        notes.append(
            "Berkas KML/KMZ ini hanya berisi Name dan description: ekspor ulang lapisan "
            "dengan kolom atributnya (QGIS: Ekspor > Simpan Fitur Sebagai), atau simpan "
            "sebagai GeoPackage."
        )
        notes_en.append(
            "This KML/KMZ holds only Name and description: export the layer again with "
            "its attribute fields (QGIS: Export > Save Features As), or save it as "
            "GeoPackage."
        )
    raise MissingColumnsError(
        label,
        missing,
        present=", ".join(map(str, cols)),
        accepted=f"kode_desa: {', '.join(_BOUNDARY_ALIASES['kode_desa'])}",
        note=" ".join(notes) or None,
        note_en=" ".join(notes_en) or None,
    )


def read_boundaries(
    src: Source,
    *,
    name: str | None = None,
    code_prefix: str | None = None,
    layer: str | None = None,
) -> BoundaryLoad:
    """Load desa boundary polygons.

    Parameters
    ----------
    src : path, bytes or binary file
        Any vector format pyogrio reads (GeoJSON, GeoPackage, zipped shapefile) or GeoParquet.
        Must carry a CRS; it is reprojected to EPSG:4326.
    name : str, optional
        File name for messages (default: the path's name).
    code_prefix : str, optional
        Region prefix such as ``"61.11"``: desa outside it are left out and listed in
        ``dilewati``.
    layer : str, optional
        Layer of a multi-layer file (GeoPackage) to read. Default: the first layer whose
        geometry type is polygonal (``pyogrio.list_layers``), so a GeoPackage saved by QGIS
        with a point layer first still gives its desa polygons.

    Returns
    -------
    BoundaryLoad
        Polygons in EPSG:4326 with canonical ``kode_desa``; invalid geometries repaired with
        ``shapely.make_valid`` (polygon parts kept) and listed in ``diperbaiki``.

    Raises
    ------
    CRSError
        If the layer has no CRS.
    InputSchemaError
        If the file cannot be read, holds no polygon layer (or ``layer`` is absent or not
        polygonal; the message lists every layer with its geometry type), lacks a code or
        name column, or has rows with an
        unreadable code, an empty geometry, or a duplicate code (all listed at once), if no
        desa lies inside ``code_prefix``, if a zip archive would unpack to too much, or if an
        invalid polygon crosses itself too often to repair (:mod:`geo.limits`).
    """
    is_path = isinstance(src, (str, os.PathLike))
    label = name or (Path(src).name if is_path else "batas desa")  # type: ignore[arg-type]
    data = read_bytes(src)
    if data[:2] == b"PK":  # a zipped shapefile or a GeoPackage in a zip
        check_zip(data, label=label)
    gdf, chosen, layers = _read_layer(src, data, label, layer)
    require_crs(gdf, source=label)
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    picked = {key: _pick(cols, aliases) for key, aliases in _BOUNDARY_ALIASES.items()}
    missing = [k for k in ("kode_desa", "desa") if picked[k] is None]
    if missing:
        _missing_columns(label, missing, cols, layers)
    codes = normalise_kode_desa(gdf[picked["kode_desa"]])
    empty = _check_boundary_rows(gdf, codes, picked["kode_desa"], label)
    out = gpd.GeoDataFrame(
        {
            "kode_desa": codes["kode_desa"].astype(str),
            "desa": gdf[picked["desa"]].astype(str).str.strip(),
        },
        geometry=gdf.geometry.values,
        crs=gdf.crs,
    )
    _check_names(out["desa"], label)
    out["kode_kecamatan"] = kode_kecamatan(out["kode_desa"])
    if picked["kecamatan"] is not None:
        out["kecamatan"] = gdf[picked["kecamatan"]].astype(str).str.strip().values
    else:
        out["kecamatan"] = out["kode_kecamatan"]

    # Null or empty geometries are listed and left out; their families are then rejected
    # as "kode desa tidak ada dalam batas desa" by geo.join.
    out, dilewati = _leave_out(out, empty, code_prefix, picked["kode_desa"], label)

    out, diperbaiki = _repair(out, label)
    out = to_display(out).sort_values("kode_desa").reset_index(drop=True)
    out = out[["kode_desa", "desa", "kecamatan", "kode_kecamatan", "geometry"]]
    lapisan = chosen if chosen and len(layers) > 1 else ""
    return BoundaryLoad(
        desa=out,
        diperbaiki=diperbaiki.reset_index(drop=True),
        dilewati=rejections(dilewati, berkas=label, lembar=lapisan),
        rows_in=len(gdf),
        source=label,
        sha256=file_sha256(data),
        lapisan=lapisan,
        lapisan_tersedia=layers,
    )


def _check_boundary_rows(
    gdf: gpd.GeoDataFrame, codes: pd.DataFrame, code_col: str, label: str
) -> np.ndarray:
    """Check codes and geometries; return the mask of rows with an empty geometry.

    Raises
    ------
    InputSchemaError
        Listing every unreadable or duplicate code at once (and all geometries empty).
    """
    problems: list[str] = []
    problems_en: list[str] = []
    for i in codes.index[codes["kode_desa"].isna()]:
        value = gdf.at[i, code_col]
        problems.append(f"baris {i + 1}, kolom {code_col}: {value!r}: {codes.at[i, 'alasan']}")
        problems_en.append(f"row {i + 1}, column {code_col}: {value!r}: unreadable code")
    empty = (gdf.geometry.isna() | gdf.geometry.is_empty).to_numpy()
    if empty.all():
        problems.append("semua baris: geometri kosong")
        problems_en.append("all rows: empty geometry")
    dup = codes["kode_desa"].duplicated(keep=False) & codes["kode_desa"].notna()
    for i in codes.index[dup]:
        problems.append(f"baris {i + 1}: kode desa ganda {codes.at[i, 'kode_desa']}")
        problems_en.append(f"row {i + 1}: duplicate desa code {codes.at[i, 'kode_desa']}")
    if problems:
        msg = f"{label}: {len(problems)} masalah pada batas desa:\n- " + "\n- ".join(problems)
        en = f"{label}: {len(problems)} problems in the boundaries:\n- " + "\n- ".join(problems_en)
        raise InputSchemaError(msg, en=en)
    return empty


def _check_names(names: pd.Series, label: str) -> None:
    """Raise :class:`InputSchemaError` when desa names look like UTF-8 read as Latin-1."""
    garbled = [n for n in names if _looks_mojibake(n)]
    if garbled:
        msg = (
            f"{label}: nama desa tampak salah baca karakter (mis. {garbled[0]!r}): berkas UTF-8 "
            "dibaca sebagai Latin-1. Perbaikan: tambahkan berkas .cpg berisi 'UTF-8' di samping "
            ".shp, atau simpan ulang sebagai GeoPackage."
        )
        en = (
            f"{label}: desa names look garbled (e.g. {garbled[0]!r}): a UTF-8 file read as "
            "Latin-1. Fix: add a .cpg file containing 'UTF-8' next to the .shp, or save it as "
            "GeoPackage."
        )
        raise InputSchemaError(msg, en=en)


def _leave_out(
    out: gpd.GeoDataFrame, empty: np.ndarray, code_prefix: str | None, code_col: str, label: str
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Leave out (and list) desa with an empty geometry or outside ``code_prefix``."""
    dilewati = pd.DataFrame(
        {
            "baris": out.index[empty] + 1,
            "kolom": "geometry",
            "nilai": out.loc[empty, "kode_desa"],
            "kode": "geometri_kosong",
            "alasan": "geometri kosong",
        }
    )
    out = out[~empty]
    if code_prefix:
        prefix = normalise_kode_prefix(code_prefix)
        inside = out["kode_desa"].str.startswith(prefix + ".")
        dilewati = pd.concat(
            [
                dilewati,
                pd.DataFrame(
                    {
                        "baris": out.index[~inside] + 1,
                        "kolom": code_col,
                        "nilai": out.loc[~inside, "kode_desa"],
                        "kode": "di_luar_wilayah",
                        "alasan": f"di luar wilayah {prefix}",
                    }
                ),
            ],
            ignore_index=True,
        )
        out = out[inside]
        if out.empty:
            msg = f"{label}: tidak ada desa dengan kode berawalan {prefix}"
            raise InputSchemaError(msg, en=f"{label}: no desa with a code starting {prefix}")
    return out, dilewati


def _repair(out: gpd.GeoDataFrame, label: str) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Repair invalid polygons with ``shapely.make_valid``; list each with its area change."""
    valid = out.geometry.is_valid
    for i in out.index[~valid]:
        check_crossings(
            out.geometry[i], label=label, where=f"baris {i + 1} (kode {out.at[i, 'kode_desa']})"
        )
    diperbaiki = pd.DataFrame(
        {
            "kode_desa": out.loc[~valid, "kode_desa"],
            "desa": out.loc[~valid, "desa"],
            "masalah": [shapely.is_valid_reason(g) for g in out.geometry[~valid]],
        }
    )
    geoms = shapely.make_valid(out.geometry.values)
    if len(diperbaiki):
        metric = out.estimate_utm_crs()
        before = out.geometry[~valid].to_crs(metric).area.to_numpy()
        fixed = gpd.GeoSeries(
            [_polygonal(g) for g in geoms[~valid.to_numpy()]], crs=out.crs
        ).to_crs(metric)
        after = fixed.area.to_numpy()
        diperbaiki["luas_sebelum_m2"] = before.round(1)
        diperbaiki["luas_sesudah_m2"] = after.round(1)
        with np.errstate(divide="ignore", invalid="ignore"):
            change = np.where(before > 0, (after - before) / before * 100, np.nan)
        diperbaiki["perubahan_luas_persen"] = np.round(change, 3)
        diperbaiki["perlu_diperiksa"] = ~(np.abs(change) <= AREA_CHANGE_PERCENT)
    out = out.set_geometry(
        gpd.GeoSeries([_polygonal(g) for g in geoms], crs=out.crs, index=out.index)
    )
    return out, diperbaiki


def read_table(src: Source, *, name: str | None = None, sheet: str | None = None) -> pd.DataFrame:
    """Read a CSV or XLSX table as text, keeping spreadsheet row numbers.

    Parameters
    ----------
    src : path, bytes or binary file
        CSV (comma, semicolon, tab or pipe separated; UTF-8 with or without BOM, or
        Windows-1252), CSV.GZ, or XLSX. Title rows above the header are skipped (see
        :func:`geo.sheets.read_sheet`).
    name : str, optional
        File name; its suffix decides the format when ``src`` is not a path.
    sheet : str, optional
        XLSX sheet; default: the first with a recognised header.

    Returns
    -------
    pandas.DataFrame
        Every cell as a stripped string (blank cells are ``<NA>``), column names lower-cased
        with spaces as underscores, plus ``_baris``: the row number in the spreadsheet.
        Rows that repeat the header or hold totals are left out (use
        :func:`geo.sheets.read_sheet` to see them).

    Raises
    ------
    InputSchemaError
        If the file cannot be parsed or is empty.
    """
    label = name or (Path(src).name if isinstance(src, (str, os.PathLike)) else "tabel")
    return read_sheet(read_bytes(src), label=label, sheet=sheet).frame


def read_keluarga_desa(src: Source, *, name: str | None = None) -> pd.DataFrame:
    """Read the per-desa table of all families (the denominator of desil shares).

    The table alone; :func:`read_family_table` returns its row accounting too.

    Parameters
    ----------
    src : path, bytes or binary file
        CSV/XLSX with ``kode_desa`` and ``keluarga_total`` (households, integer >= 0), and
        optionally ``sumber`` (where the figure comes from).

    name : str, optional
        File name for messages.

    Returns
    -------
    pandas.DataFrame
        Columns ``kode_desa`` (dotted), ``keluarga_total`` (Int64), ``sumber`` (string),
        ``baris`` (its row in the file), one row per desa.

    Raises
    ------
    InputSchemaError
        If a column is missing, or any row has an unreadable code, a non-integer or negative
        count, or a duplicate code (all listed at once).
    """
    return read_family_table(src, name=name)[0]


def read_family_table(src: Source, *, name: str | None = None) -> tuple[pd.DataFrame, Ledger]:
    """Read the per-desa table of all families, with its row accounting.

    Parameters
    ----------
    src : path, bytes or binary file
        As for :func:`read_keluarga_desa`.
    name : str, optional
        File name for messages.

    Returns
    -------
    table : pandas.DataFrame
        As :func:`read_keluarga_desa` returns it.
    ledger : Ledger
        Rows below the header, rows read, and the rows skipped (repeated headers, totals).
        Rows whose code is no desa of the region are rejected later, where the desa are known.

    Raises
    ------
    InputSchemaError
        As for :func:`read_keluarga_desa`.
    """
    label = name or (Path(src).name if isinstance(src, (str, os.PathLike)) else "keluarga desa")
    sheet = read_sheet(read_bytes(src), label=label)
    df = sheet.frame
    missing = [c for c in ("kode_desa", "keluarga_total") if c not in df.columns]
    if missing:
        raise MissingColumnsError(label, missing)
    codes = normalise_kode_desa(df["kode_desa"])
    text = df["keluarga_total"].astype("string").str.strip().str.replace(r"\s", "", regex=True)
    # "1.234" and "12.345.678" are Indonesian thousands; "625.0" or "625,0" is a plain number.
    thousands = text.str.fullmatch(r"\d{1,3}([.,]\d{3})+").fillna(False)
    plain = text.where(~thousands, text.str.replace(r"[.,]", "", regex=True))
    total = pd.to_numeric(plain.str.replace(",", ".", regex=False), errors="coerce")
    problems_en = [
        f"row {b}, column kode_desa: {v!r}: unreadable code"
        for b, v, a in zip(df[ROW_COL], df["kode_desa"], codes["alasan"], strict=True)
        if pd.notna(a)
    ]
    problems = [
        f"baris {b}, kolom kode_desa: {v!r}: {a}"
        for b, v, a in zip(df[ROW_COL], df["kode_desa"], codes["alasan"], strict=True)
        if pd.notna(a)
    ]
    bad_total = total.isna() | (total < 0) | (total % 1 != 0)
    problems_en += [
        f"row {b}, column keluarga_total: {v!r}: must be a whole number >= 0"
        for b, v in zip(
            df.loc[bad_total, ROW_COL], df.loc[bad_total, "keluarga_total"], strict=True
        )
    ]
    problems += [
        f"baris {b}, kolom keluarga_total: {v!r}: harus bilangan bulat >= 0"
        for b, v in zip(
            df.loc[bad_total, ROW_COL], df.loc[bad_total, "keluarga_total"], strict=True
        )
    ]
    dup = codes["kode_desa"].duplicated(keep=False) & codes["kode_desa"].notna()
    problems_en += [
        f"row {b}: duplicate desa code {k}"
        for b, k in zip(df.loc[dup, ROW_COL], codes.loc[dup, "kode_desa"], strict=True)
    ]
    problems += [
        f"baris {b}: kode desa ganda {k}"
        for b, k in zip(df.loc[dup, ROW_COL], codes.loc[dup, "kode_desa"], strict=True)
    ]
    if problems:
        msg = f"{label}: {len(problems)} masalah:\n- " + "\n- ".join(problems)
        en = f"{label}: {len(problems)} problems:\n- " + "\n- ".join(problems_en)
        raise InputSchemaError(msg, en=en)
    sumber = df["sumber"] if "sumber" in df.columns else pd.Series(pd.NA, index=df.index)
    table = pd.DataFrame(
        {
            "kode_desa": codes["kode_desa"],
            "keluarga_total": total.astype("Int64"),
            "sumber": sumber.astype("string"),
            "baris": df[ROW_COL].astype("int64"),
        }
    )
    return table, sheet.ledger.check()
