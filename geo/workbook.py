"""Workbook kinds openpyxl does not read as they come: encrypted, Strict Open XML, formulas.

* A workbook protected with a password to open (Excel "Encrypt with Password") is not a zip
  but an OLE2 container holding an ``EncryptedPackage`` stream (MS-OFFCRYPTO 2.3.4.4), like an
  old ``.xls`` on the outside. :func:`ole2_kind` tells the two apart.
* A "Strict Open XML" workbook uses the ISO/IEC 29500 strict namespaces
  (``http://purl.oclc.org/ooxml/...``) that openpyxl does not know; :func:`strict_to_transitional`
  rewrites them to the transitional ones in memory (ECMA-376 Part 1, Annex A lists both).
* A workbook written by a program (openpyxl, a database export) can hold formulas without the
  values Excel saves beside them; read with ``data_only=True`` those cells are ``None``.
  :func:`formulas_without_values` finds them from the worksheet XML, without a second load.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from xml.etree import ElementTree as ET

__all__ = ["formulas_without_values", "is_strict", "ole2_kind", "strict_to_transitional"]

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_STRICT = {
    b"http://purl.oclc.org/ooxml/spreadsheetml/main": (
        b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    ),
    b"http://purl.oclc.org/ooxml/officeDocument/relationships": (
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    ),
    b"http://purl.oclc.org/ooxml/drawingml/main": (
        b"http://schemas.openxmlformats.org/drawingml/2006/main"
    ),
    b"http://purl.oclc.org/ooxml/drawingml/spreadsheetDrawing": (
        b"http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing"
    ),
    b"http://purl.oclc.org/ooxml/drawingml/chart": (
        b"http://schemas.openxmlformats.org/drawingml/2006/chart"
    ),
    b"http://purl.oclc.org/ooxml/officeDocument/extendedProperties": (
        b"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
    ),
    b"http://purl.oclc.org/ooxml/officeDocument/customProperties": (
        b"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
    ),
    b"http://purl.oclc.org/ooxml/officeDocument/docPropsVTypes": (
        b"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
    ),
    b"http://purl.oclc.org/ooxml/officeDocument/sharedTypes": (
        b"http://schemas.openxmlformats.org/officeDocument/2006/sharedTypes"
    ),
}
"""Strict namespace -> transitional namespace (ECMA-376 Part 1, 5th ed., Annex A). Longer
namespaces that start with one of these (relationship types such as ``.../relationships/
worksheet``) are rewritten by the same prefix; the two relationship types whose last word
differs are in :data:`_STRICT_REL_TYPES`."""

_STRICT_REL_TYPES = {
    b"/relationships/extendedProperties": b"/relationships/extended-properties",
    b"/relationships/customProperties": b"/relationships/custom-properties",
}


def ole2_kind(data: bytes) -> str | None:
    """Tell what an OLE2 (Compound File) container holds.

    Parameters
    ----------
    data : bytes
        File content.

    Returns
    -------
    str or None
        ``"encrypted"`` for an Office file protected with a password to open (its directory
        names the ``EncryptedPackage`` stream, MS-OFFCRYPTO 2.3.4.4), ``"xls"`` for any other
        OLE2 file (an Excel 97-2003 workbook), None when ``data`` is not OLE2.
    """
    if data[:8] != OLE2_MAGIC:
        return None
    # Directory entries store names as UTF-16LE; the stream name is unique to encryption.
    if "EncryptedPackage".encode("utf-16-le") in data:
        return "encrypted"
    return "xls"


def is_strict(data: bytes) -> bool:
    """Tell whether an XLSX is a Strict Open XML workbook (strict namespaces in workbook.xml).

    Parameters
    ----------
    data : bytes
        XLSX (zip) content; anything else gives False.

    Returns
    -------
    bool
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            name = next((n for n in zf.namelist() if n.endswith("workbook.xml")), None)
            return name is not None and b"purl.oclc.org/ooxml" in zf.read(name)[:4096]
    except (zipfile.BadZipFile, OSError, KeyError):
        return False


def strict_to_transitional(data: bytes) -> bytes:
    """Rewrite a Strict Open XML workbook's namespaces to the transitional ones, in memory.

    Parameters
    ----------
    data : bytes
        XLSX content (already checked by :func:`geo.limits.check_zip`).

    Returns
    -------
    bytes
        A new XLSX whose XML parts use the transitional namespaces, readable by openpyxl.
        Cell values are unchanged; strict dates (ISO 8601 text, ``t="d"``) are read by openpyxl.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            part = src.read(info)
            if info.filename.endswith((".xml", ".rels")):
                for strict, transitional in _STRICT.items():
                    part = part.replace(strict, transitional)
                for strict, transitional in _STRICT_REL_TYPES.items():
                    part = part.replace(strict, transitional)
                part = part.replace(b' conformance="strict"', b"")
            dst.writestr(info, part, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "p": "http://schemas.openxmlformats.org/package/2006/relationships",
}
# A cell holding a formula (<f>..</f> or a shared <f .../>) and no value (<v/>, <v></v> or none).
_FORMULA_NO_VALUE = re.compile(
    rb'<c r="([A-Z]{1,3})(\d+)"[^>]*>\s*(?:<f[^>]*/>|<f[^>]*>([^<]*)</f>)\s*'
    rb"(?:<v\s*/>|<v></v>)?\s*</c>"
)


def _column_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def formulas_without_values(data: bytes) -> dict[str, tuple[set[tuple[int, int]], str]]:
    """Cells that hold a formula but no saved value, per sheet.

    Parameters
    ----------
    data : bytes
        XLSX content (transitional namespaces).

    Returns
    -------
    dict
        Sheet name -> (set of 0-based ``(row, column)`` positions, the first such formula's
        text for messages, e.g. ``"VLOOKUP(A2,ref_desil!A:B,2,FALSE)"``). Sheets without such
        cells are absent. Worksheets without any ``<f`` element are not parsed.
    """
    found: dict[str, tuple[set[tuple[int, int]], str]] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            workbook = ET.fromstring(zf.read("xl/workbook.xml"))
            rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
            targets = {
                r.get("Id"): r.get("Target", "") for r in rels.findall("p:Relationship", _NS)
            }
            for sheet in workbook.findall("m:sheets/m:sheet", _NS):
                target = targets.get(sheet.get(f"{{{_NS['r']}}}id"), "")
                path = (
                    target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
                )
                xml = zf.read(posixpath.normpath(path))
                if b"<f" not in xml:
                    continue
                cells: set[tuple[int, int]] = set()
                text = ""
                for m in _FORMULA_NO_VALUE.finditer(xml):
                    cells.add((int(m.group(2)) - 1, _column_index(m.group(1))))
                    if not text and m.group(3):
                        text = m.group(3).decode("utf-8", "replace")
                if cells:
                    found[sheet.get("name", "")] = (cells, text)
    except (zipfile.BadZipFile, KeyError, ET.ParseError, OSError):
        return {}
    return found
