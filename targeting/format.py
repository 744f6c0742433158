"""Numbers in Indonesian format: ``.`` groups thousands, ``,`` marks decimals."""

from __future__ import annotations

import pandas as pd

__all__ = ["angka", "persen", "rupiah"]


def angka(value: float | int | None, digits: int = 0) -> str:
    """Format a number the Indonesian way.

    Parameters
    ----------
    value : float, int or None
        The number; None, NaN or ``pd.NA`` gives ``"–"``.
    digits : int, default 0
        Decimal places.

    Returns
    -------
    str
        E.g. ``"12.345"`` or ``"2,5"``.

    Examples
    --------
    >>> angka(12345.678, 1)
    '12.345,7'
    """
    if value is None or pd.isna(value):  # type: ignore[arg-type]
        return "–"
    text = f"{float(value):,.{digits}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def persen(value: float | None, digits: int = 1) -> str:
    """Format a percentage, e.g. ``"2,5 %"``.

    Parameters
    ----------
    value : float or None
        Value per 100; None or NaN gives ``"–"``.
    digits : int, default 1
        Decimal places.

    Returns
    -------
    str
        Formatted percentage.

    Examples
    --------
    >>> persen(2.46)
    '2,5 %'
    """
    text = angka(value, digits)
    return text if text == "–" else f"{text} %"


def rupiah(value: float | None) -> str:
    """Format an amount in Rupiah, e.g. ``"Rp 1.250.000"``.

    Parameters
    ----------
    value : float or None
        Amount in Rupiah.

    Returns
    -------
    str
        Formatted amount.

    Examples
    --------
    >>> rupiah(1250000)
    'Rp 1.250.000'
    """
    text = angka(value, 0)
    return text if text == "–" else f"Rp {text}"
