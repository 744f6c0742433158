"""Parse coordinates as field teams write them: decimal commas, DMS, hemisphere letters.

Accepted forms (one value per cell): ``-1.2345``, ``-1,2345``, ``1.2345 S``, ``S 1.2345``,
``1,2345 LS``, ``1°12'30.5"S``, ``1° 12' 30,5" LS``, ``109 57 30 BT``, ``1:12:30.5 S``,
``1°12.508'S`` (degrees and decimal minutes). Hemisphere letters: N/U/LU (north), S/LS
(south), E/T/BT (east), W/B/BB (west).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

__all__ = ["parse_coordinate", "parse_coordinates"]

_HEMI = re.compile(r"^\s*(LS|LU|BT|BB|N|S|E|W|U|T|B)\b|\b(LS|LU|BT|BB|N|S|E|W|U|T|B)\s*$")
_NEGATIVE = {"S", "LS", "W", "B", "BB"}
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_ALLOWED = re.compile(r"^[\s\d.,:;°º'’′\"”″+\-dDmMsS]*$")


def parse_coordinate(text: object) -> float:
    r"""Parse one coordinate cell to decimal degrees.

    Parameters
    ----------
    text : object
        The cell: text, number, or blank.

    Returns
    -------
    float
        Decimal degrees; NaN when blank or unreadable (minutes or seconds of 60 or more,
        more than three numbers, stray letters).

    Examples
    --------
    >>> parse_coordinate("1 12 30 LS")
    -1.2083333333333333
    >>> parse_coordinate("109,95")
    109.95
    >>> parse_coordinate("abc")
    nan
    """
    if text is None or text is pd.NA or (isinstance(text, float) and math.isnan(text)):
        return math.nan
    if isinstance(text, (int, float)):
        return float(text)
    s = str(text).strip().upper().replace("\u2212", "-").replace("\u2013", "-")
    if not s:
        return math.nan
    hemi = None
    m = _HEMI.search(s)
    if m:
        hemi = m.group(1) or m.group(2)
        s = (s[: m.start()] + s[m.end() :]).strip()
    if not _ALLOWED.match(s):
        return math.nan
    numbers = _NUMBER.findall(s.replace(",", "."))
    if not numbers or len(numbers) > 3:
        return math.nan
    values = [float(n) for n in numbers]
    if len(values) > 1 and (any(v < 0 for v in values[1:]) or any(v >= 60 for v in values[1:])):
        return math.nan
    negative = values[0] < 0 or s.startswith("-") or hemi in _NEGATIVE
    degrees = abs(values[0])
    if len(values) >= 2:
        degrees += values[1] / 60
    if len(values) == 3:
        degrees += values[2] / 3600
    return -degrees if negative else degrees


def parse_coordinates(values: pd.Series) -> pd.Series:
    """Parse a column of coordinate cells.

    Parameters
    ----------
    values : pandas.Series
        Cells as text.

    Returns
    -------
    pandas.Series
        Float64 decimal degrees indexed like ``values``; NaN where blank or unreadable.
    """
    return pd.Series(
        np.array([parse_coordinate(v) for v in values.tolist()], dtype="float64"),
        index=values.index,
    )
