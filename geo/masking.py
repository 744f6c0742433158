"""Mask identifiers in free text: the one helper for messages, reports and logs.

A NIK has 16 digits and a No KK 16 as well; digit runs of 12 or more (a NIK that lost its
leading digits, or one written with extra digits) are long enough to identify a person.
Desa codes (10 digits) and row numbers stay readable.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["LONG_DIGITS", "hidden", "mask_id", "mask_ids"]

LONG_DIGITS = re.compile(r"\d{12,}")
"""A run of digits long enough to be a NIK or No KK."""


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


def mask_ids(text: str) -> str:
    """Keep the first and last four digits of every run of 12 or more digits.

    Parameters
    ----------
    text : str
        Any message.

    Returns
    -------
    str
        The text with each long digit run masked (``9911********0001``).

    Examples
    --------
    >>> mask_ids("desa code '9911016202980001' is unknown; desa 6111012001")
    "desa code '9911********0001' is unknown; desa 6111012001"
    """
    return LONG_DIGITS.sub(lambda m: str(mask_id(m[0])), text)


def hidden(text: str) -> str:
    """Stand in for text that may identify a person (a name or address in a shifted column).

    Parameters
    ----------
    text : str
        The text hidden.

    Returns
    -------
    str
        ``[disamarkan: N karakter]``: its length only.

    Examples
    --------
    >>> hidden("Jl. Merdeka 12")
    '[disamarkan: 14 karakter]'
    """
    return f"[disamarkan: {len(text)} karakter]"
