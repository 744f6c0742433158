"""Fold text before comparing values: the one helper for every comparison of a cell's value.

Cells arrive pasted from web tables, PDFs and other workbooks: ``Kepala\u00a0Keluarga`` with a
non-breaking space, ``YA`` and ``ya``, ``Désa``, a zero-width space at the end. Every comparison
of a value (relationship to the head of family, yes/no answers, status and category columns,
desa and kecamatan names, strategy and need tags, column headers) goes through :func:`fold`
(or :func:`fold_series` for a column), so two cells that read alike compare equal.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

__all__ = ["fold", "fold_series", "split_spaces"]

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
"""Zero-width space/joiners, word joiner, byte-order mark and soft hyphen: removed."""

_SPACES = re.compile(r"\s+", flags=re.UNICODE)
"""Python's ``\\s`` in a str pattern covers every Unicode space separator (NBSP U+00A0,
figure space U+2007, narrow NBSP U+202F, ideographic space, ...) and line breaks."""


def split_spaces(text: str) -> str:
    r"""Collapse every run of Unicode space (and zero-width characters) to one ASCII space.

    Parameters
    ----------
    text : str
        Any text.

    Returns
    -------
    str
        The text with zero-width characters removed and space runs as one ``" "``, stripped;
        case and accents kept (for values shown back to the user).

    Examples
    --------
    >>> split_spaces("Kepala\u00a0\u202fKeluarga\u200b ")
    'Kepala Keluarga'
    """
    return _SPACES.sub(" ", str(text).translate(_ZERO_WIDTH)).strip()


def fold(text: object) -> str:
    r"""Fold a value for comparison: NFKC, accents stripped, case folded, spaces collapsed.

    Parameters
    ----------
    text : object
        A cell value; None, NaN and ``<NA>`` give ``""``.

    Returns
    -------
    str
        Compatibility-normalised (NFKC: full-width letters and digits as ASCII), without
        combining accents, case-folded, zero-width characters removed and every run of Unicode
        space collapsed to one ASCII space, stripped.

    Examples
    --------
    >>> fold("  Kepala\u00a0KELUARGA\u200b")
    'kepala keluarga'
    >>> fold("Désa\u2007Sukadana")
    'desa sukadana'
    >>> fold(None)
    ''
    """
    if text is None or text is pd.NA or (isinstance(text, float) and text != text):
        return ""
    value = unicodedata.normalize("NFKC", str(text))
    if not value.isascii():
        value = "".join(
            ch for ch in unicodedata.normalize("NFKD", value) if not unicodedata.combining(ch)
        )
    return split_spaces(value.casefold())


def fold_series(values: pd.Series) -> pd.Series:
    """:func:`fold` of every value of a column, computed once per distinct value.

    Parameters
    ----------
    values : pandas.Series
        Any column.

    Returns
    -------
    pandas.Series
        ``string`` dtype, same index; ``<NA>`` where the value was missing or folds to ``""``.
    """
    codes, uniques = pd.factorize(values.astype("object"), use_na_sentinel=True)
    folded = np.array([fold(u) or None for u in uniques] + [None], dtype=object)
    return pd.Series(folded[codes], index=values.index, dtype="string")
