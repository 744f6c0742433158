"""Bounds on hostile or broken input: zip bombs, huge tables, pathological polygons.

Lokus runs on a server a whole team shares, so one bad file must not take its memory or
hang it. Each guard here turns such a file into a :class:`geo.errors.InputSchemaError` that
names the file, before the expensive step (unpacking, parsing, repairing) starts.

The limits are module constants; :func:`max_rows` can be raised by an administrator with the
``LOKUS_MAX_BARIS`` environment variable.
"""

from __future__ import annotations

import io
import os
import zipfile
import zlib

import numpy as np
import shapely

from geo.errors import InputSchemaError, RowLimitError

__all__ = [
    "MAX_CROSSINGS",
    "MAX_ROWS",
    "MAX_ZIP_MEMBERS",
    "MAX_ZIP_RATIO",
    "MAX_ZIP_UNCOMPRESSED",
    "check_crossings",
    "check_xlsx_rows",
    "check_zip",
    "count_crossings",
    "max_rows",
]

MAX_ROWS = 500_000
"""Most rows (title, header and data rows) a CSV table or XLSX sheet may have. Processing
takes roughly 100 MB and 1-2 s per 100,000 family rows (``bench/HOSTILE.md``: 499,990 rows,
6 s, 618 MB peak of which 250 MB is the interpreter and its libraries), so one upload on a
shared server stays under a gigabyte. Raise with ``LOKUS_MAX_BARIS``."""

MAX_ZIP_UNCOMPRESSED = 256 * 1024 * 1024
"""Largest total unpacked size (bytes) of a zip archive (XLSX workbook, zipped shapefile)."""

MAX_ZIP_RATIO = 200
"""Largest unpacked/packed size ratio of one archive member over 1 MB unpacked. XLSX and
shapefiles compress 3-20 times; a decompression bomb compresses about 1,000 times."""

MAX_ZIP_MEMBERS = 10_000
"""Most files in one archive."""

MAX_CROSSINGS = 10_000
"""Most self-intersections of one invalid boundary polygon that Lokus repairs by itself.
Repairing (``shapely.make_valid``) costs time and memory growing with the number of
crossings: a ring of 100,000 vertices crossing itself everywhere exhausts memory."""


def max_rows() -> int:
    """Row limit of a table: ``LOKUS_MAX_BARIS`` if set to a positive integer, else MAX_ROWS.

    Returns
    -------
    int
        Rows.
    """
    text = os.environ.get("LOKUS_MAX_BARIS", "").strip().replace(".", "").replace("_", "")
    return int(text) if text.isdigit() and int(text) > 0 else MAX_ROWS


def check_zip(data: bytes, *, label: str) -> None:
    """Refuse a zip archive that would unpack to too much (a decompression bomb).

    Sizes come from the archive's central directory. Python's ``zipfile`` (used by openpyxl)
    never returns more than a member's declared size, so declared sizes bound what is read.

    Parameters
    ----------
    data : bytes
        File content; anything that is not a readable zip archive passes (the reader that
        follows reports it as corrupt).
    label : str
        File name for the message.

    Raises
    ------
    InputSchemaError
        If the archive has more than :data:`MAX_ZIP_MEMBERS` members, unpacks to more than
        :data:`MAX_ZIP_UNCOMPRESSED` bytes, or has a member packed more than
        :data:`MAX_ZIP_RATIO` times.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    mb = MAX_ZIP_UNCOMPRESSED // 2**20
    if len(infos) > MAX_ZIP_MEMBERS:
        msg = f"{label}: arsip zip berisi {len(infos)} berkas; paling banyak {MAX_ZIP_MEMBERS}"
        en = f"{label}: the zip archive holds {len(infos)} files; at most {MAX_ZIP_MEMBERS}"
        raise InputSchemaError(msg, en=en)
    total = sum(i.file_size for i in infos)
    bomb = [
        i.filename
        for i in infos
        if i.file_size > 2**20 and i.file_size > MAX_ZIP_RATIO * max(i.compress_size, 1)
    ]
    if total > MAX_ZIP_UNCOMPRESSED or bomb:
        what = f"isi {bomb[0]!r} dipadatkan secara tidak wajar" if bomb else "isinya terlalu besar"
        what_en = f"{bomb[0]!r} is packed implausibly tightly" if bomb else "it is too large"
        msg = (
            f"{label}: arsip zip ditolak ({what}; {total / 2**20:,.0f} MB setelah dibuka, "
            f"paling besar {mb} MB): kemungkinan bom dekompresi atau berkas rusak"
        )
        en = (
            f"{label}: zip archive refused ({what_en}; {total / 2**20:,.0f} MB unpacked, "
            f"at most {mb} MB): probably a decompression bomb or a corrupt file"
        )
        raise InputSchemaError(msg, en=en)


def check_xlsx_rows(data: bytes, *, label: str) -> None:
    """Refuse a workbook with a sheet of more than :func:`max_rows` rows, before openpyxl.

    openpyxl holds every cell of a sheet in memory (about 1 GB per 10 million cells), so the
    rows are counted first by streaming each worksheet's XML out of the archive (bounded by
    :func:`check_zip`, which must run first) and counting its ``<row`` elements.

    Parameters
    ----------
    data : bytes
        XLSX content; anything that is not a readable zip archive passes.
    label : str
        File name for the message.

    Raises
    ------
    InputSchemaError
        If a worksheet has more rows than :func:`max_rows`.
    """
    limit = max_rows()
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    with zf:
        for info in zf.infolist():
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            rows, tail = 0, b""
            try:
                with zf.open(info) as member:
                    while chunk := member.read(2**20):
                        # A tag cut by the chunk boundary is counted once: the previous
                        # chunk's last 5 bytes are prepended, and what they held is not
                        # counted twice.
                        text = tail + chunk
                        rows += _row_tags(text) - _row_tags(tail)
                        tail = text[-5:]
                        if rows > limit:
                            break
            except (
                zipfile.BadZipFile,
                OSError,
                EOFError,
                zlib.error,
                RuntimeError,
                NotImplementedError,
            ):
                return  # a corrupt member: openpyxl reports the file as corrupt
            if rows > limit:
                _too_many_xlsx_rows(label, info.filename, limit)


def _row_tags(xml: bytes) -> int:
    return sum(xml.count(t) for t in (b"<row ", b"<row>", b":row ", b":row>"))


def _too_many_xlsx_rows(label: str, member: str, limit: int) -> None:
    sheet = member.rsplit("/", 1)[-1].removesuffix(".xml")
    what = f"lembar {sheet} memiliki lebih dari {limit:,} baris"
    raise RowLimitError(label, what, f"{sheet} has more than {limit:,} rows", limit, "lembar")


def _segments(geom: shapely.Geometry) -> np.ndarray:
    """Every edge of a polygonal geometry's rings, as an array of 2-point LineStrings."""
    rings = shapely.get_parts(shapely.boundary(geom))
    out = []
    for ring in rings:
        xy = shapely.get_coordinates(ring)
        if len(xy) >= 2:
            out.append(shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1)))
    return np.concatenate(out) if out else np.empty(0, dtype=object)


def count_crossings(geom: shapely.Geometry, limit: int = MAX_CROSSINGS) -> int:
    """Count pairs of non-adjacent ring edges that touch, stopping once above ``limit``.

    Parameters
    ----------
    geom : shapely.Geometry
        A Polygon or MultiPolygon (coordinates in any CRS).
    limit : int
        Counting stops as soon as the count exceeds this, so time and memory stay bounded
        (edges are queried through an STRtree in small batches).

    Returns
    -------
    int
        Crossings found (at most about ``limit`` + one batch's worth).
    """
    segs = _segments(geom)
    n = len(segs)
    if n < 4:
        return 0
    rings = len(shapely.get_parts(shapely.boundary(geom)))
    tree = shapely.STRtree(segs)
    found = 0
    batch = 16
    for start in range(0, n, batch):
        idx = np.arange(start, min(start + batch, n))
        src, dst = tree.query(segs[idx], predicate="intersects")
        src = idx[src]
        # Each pair once; neighbours along a ring share a vertex and do not count.
        found += int(np.count_nonzero(dst > src + 1))
        if found > limit + rings:
            break
    # A ring's last edge touches its first edge: one such pair per ring is no crossing.
    return max(found - rings, 0)


def check_crossings(geom: shapely.Geometry, *, label: str, where: str) -> None:
    """Refuse to repair a polygon that crosses itself too often (see :data:`MAX_CROSSINGS`).

    Parameters
    ----------
    geom : shapely.Geometry
        An invalid Polygon or MultiPolygon.
    label : str
        File name for the message.
    where : str
        Which feature, e.g. ``"baris 3 (kode 61.11.01.2001)"``.

    Raises
    ------
    InputSchemaError
        If the polygon has more than :data:`MAX_CROSSINGS` self-intersections.
    """
    if count_crossings(geom) > MAX_CROSSINGS:
        msg = (
            f"{label}: {where}: geometri berpotongan dengan dirinya sendiri di lebih dari "
            f"{MAX_CROSSINGS:,} titik".replace(",", ".")
            + " dan tidak diperbaiki otomatis. Perbaiki di QGIS (Vektor > Alat Geometri > "
            "Perbaiki Geometri) lalu unggah lagi."
        )
        en = (
            f"{label}: {where}: the geometry crosses itself at more than {MAX_CROSSINGS:,} "
            "points and is not repaired automatically. Fix it in QGIS (Vector > Geometry "
            "Tools > Fix Geometries) and load it again."
        )
        raise InputSchemaError(msg, en=en)
