"""Safe tabular exports: cells a spreadsheet cannot run, IDs masked unless asked for.

OWASP "CSV Injection": a cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return
is run as a formula by Excel and LibreOffice. Lokus prefixes such text with an apostrophe;
numbers (negative latitudes included) stay numbers.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo.masking import mask_id  # re-exported: the export layer masks identifiers with it

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell

__all__ = [
    "FLOAT_FORMAT",
    "FORMULA_START",
    "ID_COLUMNS",
    "INT_FORMAT",
    "mask_id",
    "neutralise",
    "number_format",
    "safe_frame",
    "to_csv_bytes",
    "to_xlsx_bytes",
]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[-+]?\d+([.,]\d+)?$")

ID_COLUMNS = frozenset(
    {"kode_desa", "kode_kecamatan", "kode_desa_titik", "id_keluarga_p3ke", "nik", "no_kk",
     "kode_sub_kegiatan", "lokus_kode", "id_kantong", "rt", "rw"}
)  # fmt: skip
"""Identifier columns written as text cells in XLSX (format ``@``): a NIK or a code must never
become a number (Excel keeps 15 significant digits and drops leading zeros)."""


INT_FORMAT = "#,##0"
"""Excel format of whole numbers (counts, Rupiah): Excel shows ``8.000`` in Indonesian."""
PLAIN_INT_FORMAT = "0"
FLOAT_FORMAT = "#,##0.0"
"""Excel format of decimal numbers: one decimal shown (``79,0``), the cell keeps every digit."""

_PLAIN_INT_COLUMNS = frozenset({"no", "baris", "baris_berkas", "peringkat", "desil", "seed"})
_FLOAT_FORMATS = {
    "lintang": "0.000000", "bujur": "0.000000", "latitude": "0.000000", "longitude": "0.000000",
    "gi_p": "0.000", "gi_q": "0.000", "gi_z": "0.00", "alpha": "0.000",
}  # fmt: skip
_FLOAT_PREFIX_FORMATS = (("normal_", "0.00"),)


def number_format(column: str, value: float | int) -> str:
    """Excel number format for a numeric cell of a column.

    The value stays unrounded in the cell; the format only decides what a reader sees.

    Parameters
    ----------
    column : str
        Column name.
    value : int or float
        The cell's value (its type picks the integer or the decimal format).

    Returns
    -------
    str
        ``"0"`` for row numbers, ranks, desil and seeds; :data:`INT_FORMAT` for other whole
        numbers; ``"0.000000"`` for coordinates, ``"0.000"`` for p-values, ``"0.00"`` for
        z-scores and 0-1 normalised components; :data:`FLOAT_FORMAT` for other decimals.

    Examples
    --------
    >>> number_format("skor", 79.00103819437436)
    '#,##0.0'
    >>> number_format("keluarga_desil_1", 62)
    '#,##0'
    """
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return PLAIN_INT_FORMAT if column in _PLAIN_INT_COLUMNS else INT_FORMAT
    if column in _FLOAT_FORMATS:
        return _FLOAT_FORMATS[column]
    for prefix, fmt in _FLOAT_PREFIX_FORMATS:
        if column.startswith(prefix):
            return fmt
    return FLOAT_FORMAT


def neutralise(value: object) -> object:
    """Make one cell safe for a spreadsheet.

    Parameters
    ----------
    value : object
        Cell value.

    Returns
    -------
    object
        Text starting with a formula character gets a leading apostrophe; numbers and
        numeric-looking text (``-1.25``) are returned unchanged.

    Examples
    --------
    >>> neutralise("=HYPERLINK(1)")
    "'=HYPERLINK(1)"
    >>> neutralise("-1.25")
    '-1.25'
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Neutralise every text cell of a frame (a copy; numbers untouched).

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table about to be exported.

    Returns
    -------
    pandas.DataFrame
        Same shape, index and columns.
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    return out


def to_csv_bytes(frame: pd.DataFrame, *, sep: str = ",") -> bytes:
    """CSV bytes for Excel: UTF-8 with BOM, formula cells neutralised.

    A decimal column holding only whole numbers (a count or Rupiah stored as ``62.0``) is
    written as integers (``62``), the rule the workbooks use (:func:`_whole_float_columns`).

    Parameters
    ----------
    frame : pandas.DataFrame
        Table to write.
    sep : {",", ";"}, default ","
        ``";"`` with a decimal comma suits Excel set to Indonesian.

    Returns
    -------
    bytes
        The file content.
    """
    decimal = "," if sep == ";" else "."
    whole = list(_whole_float_columns(frame))
    if whole:  # a count stored as 62.0 is written 62, as in the workbooks
        frame = frame.assign(**{c: frame[c].round().astype("Int64") for c in whole})
    return safe_frame(frame).to_csv(index=False, sep=sep, decimal=decimal).encode("utf-8-sig")


def _cell_value(value: object) -> object:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    if isinstance(value, (pd.Timestamp, dt.date)):
        return str(value)
    if isinstance(value, (list, tuple, set, dict)):
        return "; ".join(str(v) for v in value) if not isinstance(value, dict) else str(value)
    return value


def _whole_float_columns(frame: pd.DataFrame) -> dict[str, str]:
    """Decimal columns holding only whole numbers (a count stored as 62.0): integer format."""
    out = {}
    for col in frame.columns:
        if pd.api.types.is_float_dtype(frame[col]):
            values = frame[col].dropna().to_numpy(dtype="float64")
            if len(values) and np.isfinite(values).all() and (values % 1 == 0).all():
                out[str(col)] = INT_FORMAT
    return out


def _write_cell(
    cell: Cell, value: object, column: str, *, as_text: bool, float_format: str | None
) -> int:
    """Write one non-empty value into an openpyxl cell; return the width a reader sees."""
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # openpyxl would make "=..." a formula
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True
        if as_text:
            cell.number_format = "@"
        return len(value)
    cell.value = value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return len(str(value))
    fmt = number_format(column, value)
    if isinstance(value, float) and float_format:
        fmt = float_format
    cell.number_format = fmt
    if fmt == "General":
        return len(str(value))
    if isinstance(value, float):
        return len(f"{value:,.{fmt.partition('.')[2].count('0')}f}")
    return len(f"{value:,}")


def to_xlsx_bytes(
    sheets: dict[str, pd.DataFrame],
    *,
    id_columns: frozenset[str] = ID_COLUMNS,
    float_formats: dict[str, str] | None = None,
) -> bytes:
    """Write several tables as one Excel workbook, safe to open and ready to filter.

    Every text cell is written as a string cell (never a formula); text starting with ``=``,
    ``+``, ``-``, ``@``, tab or CR also gets Excel's quote prefix, the mark Excel itself sets
    when a user types a leading apostrophe, so it shows as typed and cannot run. Numbers
    (negative latitudes included) stay numbers. Identifier columns (:data:`ID_COLUMNS`) are
    text cells with the text format ``@``. Numbers are number cells with a number format
    (:func:`number_format`): the cell keeps full precision (``79.00103819437436``) while the
    reader sees it rounded (``79,0`` in an Indonesian Excel). Each sheet has a bold frozen
    header, an autofilter and columns sized to what is shown (at most 60 characters wide).

    Parameters
    ----------
    sheets : dict of str to pandas.DataFrame
        Sheet name (at most 31 characters) -> table, in workbook order.
    id_columns : frozenset of str, optional
        Columns to write as text.
    float_formats : dict of str to str, optional
        Column -> Excel format of its decimal cells, overriding :func:`number_format`
        (e.g. ``{"nilai": "General"}`` for a column of settings such as ``alpha = 0.05``).
        A decimal column holding only whole numbers (a count stored as ``62.0``) gets
        :data:`INT_FORMAT` unless named here.

    Returns
    -------
    bytes
        The ``.xlsx`` file.

    Raises
    ------
    ValueError
        If a sheet name is longer than 31 characters or repeated.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for name, frame in sheets.items():
        if len(name) > 31 or name in wb.sheetnames:
            msg = f"sheet name {name!r} is longer than 31 characters or repeated"
            raise ValueError(msg)
        ws = wb.create_sheet(name)
        columns = [str(c) for c in frame.columns]
        ws.append(columns)
        for cell in ws[1]:
            cell.font = bold
        widths = [len(c) for c in columns]
        as_text = [c in id_columns for c in columns]
        formats = {**_whole_float_columns(frame), **(float_formats or {})}
        for r, row in enumerate(frame.itertuples(index=False, name=None), start=2):
            for c, raw in enumerate(row, start=1):
                value = _cell_value(raw)
                if value is None:
                    continue
                if as_text[c - 1] and not isinstance(value, str):
                    value = str(value)
                fmt = formats.get(columns[c - 1])
                shown = _write_cell(
                    ws.cell(row=r, column=c), value, columns[c - 1], as_text=as_text[c - 1],
                    float_format=fmt,
                )  # fmt: skip
                widths[c - 1] = max(widths[c - 1], min(shown, 60))
        for c, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(c)].width = min(max(width, 6), 60) + 2
        ws.freeze_panes = "A2"
        if frame.shape[1]:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(frame) + 1, 1)}"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
