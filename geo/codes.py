"""Kemendagri administrative codes: parse, normalise and format desa codes.

A Kemendagri village code has 10 digits: province (2), kabupaten (2), kecamatan (2) and desa
(4), written dotted (``61.11.01.2001``) or plain (``6111012001``). Lokus keeps the dotted form
as the canonical ``kode_desa``. Source: Permendagri 72/2019 on codes and data of administrative
areas; DOMAIN.md "Codes".
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = [
    "format_kode_desa",
    "kode_kabupaten",
    "kode_kecamatan",
    "normalise_kode_desa",
    "normalise_kode_prefix",
    "parse_kode_desa",
]

_FLOAT_TAIL = re.compile(r"\.0+$")
_SEPARATORS = re.compile(r"[\s.\-_/]")


def format_kode_desa(digits: str) -> str:
    """Format 10 digits as a dotted Kemendagri desa code.

    Parameters
    ----------
    digits : str
        Exactly 10 ASCII digits.

    Returns
    -------
    str
        The code as ``PP.KK.CC.DDDD``.

    Raises
    ------
    ValueError
        If ``digits`` is not 10 digits.

    Examples
    --------
    >>> format_kode_desa("6111012001")
    '61.11.01.2001'
    """
    if len(digits) != 10 or not _ascii_digits(digits):
        msg = f"kode desa harus 10 digit, diterima {digits!r}"
        raise ValueError(msg)
    return f"{digits[0:2]}.{digits[2:4]}.{digits[4:6]}.{digits[6:10]}"


def _ascii_digits(text: str) -> bool:
    """Tell whether text is only 0-9 (``str.isdigit`` also accepts ``'¹'`` and ``'٦'``)."""
    return text.isascii() and text.isdigit()


def _digits_of(value: object) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    if not text:
        return None
    # A code that went through a float column (Excel) arrives as "6111012001.0".
    if re.fullmatch(r"\d{10}\.0+", text):
        text = _FLOAT_TAIL.sub("", text)
    # Separated parts that lost leading zeros ("61.11.1.2001") are padded to 2.2.2.4.
    parts = [p for p in _SEPARATORS.split(text) if p]
    if len(parts) == 4 and all(_ascii_digits(p) for p in parts):
        widths = (2, 2, 2, 4)
        if all(len(p) <= w for p, w in zip(parts, widths, strict=True)):
            return "".join(p.zfill(w) for p, w in zip(parts, widths, strict=True))
    return _SEPARATORS.sub("", text)


def normalise_kode_desa(values: pd.Series) -> pd.DataFrame:
    """Normalise desa codes to the canonical dotted form.

    ``61.11.01.2001``, ``6111012001``, ``61 11 01 2001``, the float-damaged
    ``6111012001.0`` and ``61.11.1.2001`` (a part that lost its leading zero) all give
    ``61.11.01.2001``.

    Parameters
    ----------
    values : pandas.Series
        Raw codes, any dtype; blanks and nulls allowed.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``values``, with columns ``kode_desa`` (string, ``<NA>`` where the code
        cannot be read) and ``alasan`` (string reason in Bahasa Indonesia, ``<NA>`` where the
        code was read).

    Examples
    --------
    >>> normalise_kode_desa(pd.Series(["6111012001", "61.11.01.2001", "x"]))["kode_desa"].tolist()
    ['61.11.01.2001', '61.11.01.2001', <NA>]
    """
    # Once per distinct value: a P3KE table repeats a few dozen codes over thousands of rows.
    ids, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    read = [parse_kode_desa(v) for v in uniques] + [parse_kode_desa(None)]
    kode = np.array([k for k, _ in read], dtype=object)[ids]
    alasan = np.array([a for _, a in read], dtype=object)[ids]
    return pd.DataFrame(
        {
            "kode_desa": pd.array(kode, dtype="string"),
            "alasan": pd.array(alasan, dtype="string"),
        },
        index=values.index,
    )


def parse_kode_desa(value: object) -> tuple[str | None, str | None]:
    """Read one desa code: ``(kode_desa, None)`` or ``(None, reason)``.

    Parameters
    ----------
    value : object
        A raw code (any of the forms :func:`normalise_kode_desa` accepts), or a null.

    Returns
    -------
    tuple of (str or None, str or None)
        The dotted code and ``None``, or ``None`` and the reason in Bahasa Indonesia.

    Examples
    --------
    >>> parse_kode_desa("61 11 1 2001")
    ('61.11.01.2001', None)
    >>> parse_kode_desa("6111")
    (None, 'kode desa harus 10 digit, terbaca 4 digit')
    """
    digits = _digits_of(value)
    if digits is None:
        return None, "kode desa kosong"
    if not _ascii_digits(digits):
        return None, "kode desa berisi karakter selain angka"
    if len(digits) != 10:
        return None, f"kode desa harus 10 digit, terbaca {len(digits)} digit"
    return format_kode_desa(digits), None


def normalise_kode_prefix(prefix: str) -> str:
    """Normalise a region code prefix (province, kabupaten or kecamatan) to dotted form.

    Parameters
    ----------
    prefix : str
        ``"61.11"``, ``"6111"``, ``"61.11.01"`` or ``"611101"``.

    Returns
    -------
    str
        Dotted prefix, e.g. ``"61.11"``.

    Raises
    ------
    ValueError
        If the prefix is not 2, 4 or 6 digits once separators are removed.

    Examples
    --------
    >>> normalise_kode_prefix("6111")
    '61.11'
    """
    digits = _SEPARATORS.sub("", str(prefix).strip())
    if not _ascii_digits(digits) or len(digits) not in (2, 4, 6):
        msg = f"awalan kode wilayah harus 2, 4 atau 6 digit (mis. '61.11'), diterima {prefix!r}"
        raise ValueError(msg)
    return ".".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def kode_kecamatan(kode_desa: pd.Series) -> pd.Series:
    """Kecamatan code (``61.11.01``) of canonical desa codes.

    Parameters
    ----------
    kode_desa : pandas.Series
        Canonical dotted desa codes (see :func:`normalise_kode_desa`); missing values stay
        missing.

    Returns
    -------
    pandas.Series
        Indexed like the input, of the input's dtype (object or string).

    Examples
    --------
    >>> kode_kecamatan(pd.Series(["61.11.01.2001"])).tolist()
    ['61.11.01']
    """
    return kode_desa.str.slice(0, _KECAMATAN_LEN)


def kode_kabupaten(kode_desa: str) -> str:
    """Kabupaten/kota code (``61.11``) of one canonical desa (or kecamatan) code.

    Examples
    --------
    >>> kode_kabupaten("61.11.01.2001")
    '61.11'
    """
    return kode_desa[:_KABUPATEN_LEN]


_KABUPATEN_LEN = len("61.11")
_KECAMATAN_LEN = len("61.11.01")
"""Prefix lengths of the dotted Kemendagri code (province.kabupaten.kecamatan.desa)."""
