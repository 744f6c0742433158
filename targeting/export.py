"""Safe tabular exports: cells a spreadsheet cannot run, IDs masked unless asked for.

OWASP "CSV Injection": a cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return
is run as a formula by Excel and LibreOffice. Lokus prefixes such text with an apostrophe;
numbers (negative latitudes included) stay numbers.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["FORMULA_START", "mask_id", "neutralise", "safe_frame", "to_csv_bytes"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[-+]?\d+([.,]\d+)?$")


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


def mask_id(value: object) -> object:
    """Mask a NIK or No KK: first 4 and last 4 digits kept (``6111********0001``).

    Parameters
    ----------
    value : object
        The identifier.

    Returns
    -------
    object
        Masked text; values shorter than 9 characters are fully starred; None/NA unchanged.

    Examples
    --------
    >>> mask_id("6111010101800001")
    '6111********0001'
    """
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return value
    text = str(value)
    if len(text) < 9:
        return "*" * len(text)
    return text[:4] + "*" * (len(text) - 8) + text[-4:]


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
