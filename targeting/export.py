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

import numpy as np
import pandas as pd

from geo.masking import mask_id  # re-exported: the export layer masks identifiers with it

__all__ = [
    "FORMULA_START",
    "ID_COLUMNS",
    "mask_id",
    "neutralise",
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


def to_xlsx_bytes(
    sheets: dict[str, pd.DataFrame], *, id_columns: frozenset[str] = ID_COLUMNS
) -> bytes:
    """Write several tables as one Excel workbook, safe to open and ready to filter.

    Every text cell is written as a string cell (never a formula); text starting with ``=``,
    ``+``, ``-``, ``@``, tab or CR also gets Excel's quote prefix, the mark Excel itself sets
    when a user types a leading apostrophe, so it shows as typed and cannot run. Numbers
    (negative latitudes included) stay numbers. Identifier columns (:data:`ID_COLUMNS`) are
    text cells with the text format ``@``. Each sheet has a bold frozen header, an
    autofilter and columns sized to their content (at most 60 characters wide).

    Parameters
    ----------
    sheets : dict of str to pandas.DataFrame
        Sheet name (at most 31 characters) -> table, in workbook order.
    id_columns : frozenset of str, optional
        Columns to write as text.

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
        for r, row in enumerate(frame.itertuples(index=False, name=None), start=2):
            for c, raw in enumerate(row, start=1):
                value = _cell_value(raw)
                if value is None:
                    continue
                if as_text[c - 1] and not isinstance(value, str):
                    value = str(value)
                cell = ws.cell(row=r, column=c)
                if isinstance(value, str):
                    cell.value = value
                    cell.data_type = "s"  # openpyxl would make "=..." a formula
                    if value.startswith(FORMULA_START):
                        cell.quotePrefix = True
                    if as_text[c - 1]:
                        cell.number_format = "@"
                    widths[c - 1] = max(widths[c - 1], min(len(value), 60))
                else:
                    cell.value = value
                    widths[c - 1] = max(widths[c - 1], min(len(str(value)), 60))
        for c, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(c)].width = min(max(width, 6), 60) + 2
        ws.freeze_panes = "A2"
        if frame.shape[1]:
            ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(frame) + 1, 1)}"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
