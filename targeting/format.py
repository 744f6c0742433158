"""Numbers in Indonesian format: ``.`` groups thousands, ``,`` marks decimals."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

__all__ = ["JUDUL_KOLOM", "KOSONG", "angka", "judul_kolom", "persen", "rupiah", "tabel_tampilan"]

KOSONG = "–"
"""What a table cell shows for a missing value (``st.dataframe(placeholder=KOSONG)``): the
browser's grid otherwise draws ``None`` for a null cell, whatever a Styler's ``na_rep``."""


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


JUDUL_KOLOM: dict[str, str] = {
    "kode_desa": "Kode desa",
    "desa": "Desa",
    "kecamatan": "Kecamatan",
    "strategi": "Strategi",
    "jenis": "Jenis celah",
    "keterangan": "Keterangan",
    "kebutuhan": "Kebutuhan",
    "keluarga_desil_1": "Keluarga desil 1",
    "keluarga_desil_1_kekurangan": "Keluarga desil 1 dengan kekurangan ini",
    "persen": "Per 100 keluarga desil 1",
    "kebutuhan_nyata": "Kebutuhan nyata",
    "ada_sub_kegiatan": "Ada sub kegiatan",
    "status": "Status",
    "berkas": "Berkas",
    "baris": "Baris",
    "kolom": "Kolom",
    "nilai": "Nilai di berkas",
    "alasan": "Alasan",
    "skor": "Skor kecocokan",
    "nama_masukan": "Nama di berkas",
    "kecamatan_masukan": "Kecamatan di berkas",
    "persis": "Nama persis sama",
    "penyebut_tidak_cukup": "Penyebut lebih kecil dari keluarga P3KE",
    "id_keluarga": "ID keluarga",
    "nik": "NIK",
    "no_kk": "No KK",
    "nama": "Nama",
    "alamat": "Alamat",
    "lintang": "Lintang",
    "bujur": "Bujur",
    "desil": "Desil",
}
"""Indonesian table headings of column names used in the app's tables (see
:func:`judul_kolom` for any other name)."""

_KATA = {"nik": "NIK", "kk": "KK", "opd": "OPD", "rt": "RT", "rw": "RW", "id": "ID",
         "p3ke": "P3KE", "rp": "(Rp)", "dtsen": "DTSEN", "bps": "BPS"}  # fmt: skip


def judul_kolom(name: object) -> str:
    """Table heading of a column name: ``"no_kk"`` -> ``"No KK"``, never a raw name.

    Parameters
    ----------
    name : object
        Column name as computed (``snake_case``).

    Returns
    -------
    str
        :data:`JUDUL_KOLOM` when listed; otherwise the words without underscores, the first
        capitalised and abbreviations (NIK, KK, OPD, RT, RW, ID, P3KE) in capitals.

    Examples
    --------
    >>> judul_kolom("keluarga_desil_1_kekurangan")
    'Keluarga desil 1 dengan kekurangan ini'
    >>> judul_kolom("rt_rw")
    'RT RW'
    """
    text = str(name)
    if text in JUDUL_KOLOM:
        return JUDUL_KOLOM[text]
    words = [_KATA.get(w.lower(), w) for w in text.split("_") if w]
    if not words:
        return text
    first = words[0]
    words[0] = first if first.isupper() else first[:1].upper() + first[1:]
    return " ".join(words)


def _number_or_text(digits: int) -> Callable[[object], object]:
    """Formatter of one column: numbers via :func:`angka`, anything else unchanged."""

    def show(value: object) -> object:
        if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
            return value  # text in a mixed column stays as it is
        return angka(value, digits)

    return show


def tabel_tampilan(
    frame: pd.DataFrame,
    digits: Mapping[str, int] | None = None,
    *,
    default: int = 2,
    teks: bool = False,
    judul: bool = False,
) -> Styler | pd.DataFrame:
    """Return a table for display with numbers written the Indonesian way.

    A reader of ``6.15`` in Indonesia may read six hundred fifteen; shown tables therefore
    write ``6,15`` and ``82.562``, like the metrics. Exports are not made from this.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as computed (numbers stay numbers).
    digits : mapping of str to int, optional
        Decimal places per column. Named columns are formatted whatever their type (integer
        counts too, to group thousands); columns not named keep ``default``.
    default : int, default 2
        Decimal places of every other float column. Integer columns not named in ``digits``
        (row numbers, ranks, strategy numbers, years) and text are left as they are.
    judul : bool, default False
        Rename the columns with :func:`judul_kolom` (``digits`` keys stay the raw names).
    teks : bool, default False
        Return a copy with the formatted columns as text instead of a Styler: for long lists
        (a Styler formats every cell on every rerun, about 0.8 s per 100,000 cells) whose
        formatted columns need no numeric sorting.

    Returns
    -------
    pandas.io.formats.style.Styler or pandas.DataFrame
        A Styler whose display values are formatted and whose data stay numeric, so sorting
        a column in the app stays numeric. With ``teks``, or for a table too large for a
        Styler (``styler.render.max_elements``), a copy with the formatted columns as text.
        Missing values show ``"–"`` in every column (text columns too).

    Examples
    --------
    >>> t = pd.DataFrame({"z": [4.9521], "luas": [82562.4], "baris": [1226]})
    >>> tabel_tampilan(t, {"luas": 0}).to_string(delimiter="|").splitlines()[1]
    '0|4,95|82.562|1226'
    """
    digits = dict(digits or {})
    if judul:
        frame = frame.rename(columns=judul_kolom)
        digits = {judul_kolom(c): d for c, d in digits.items()}
    chosen = {
        c: digits.get(c, default)
        for c in frame.columns
        if c in digits
        or (pd.api.types.is_float_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]))
    }
    if teks or frame.size > int(pd.get_option("styler.render.max_elements")):
        out = frame.copy()
        for c in out.columns:
            show = _number_or_text(chosen[c]) if c in chosen else (lambda v: v)
            if c in chosen or out[c].isna().any():
                out[c] = out[c].map(lambda v, show=show: "–" if pd.isna(v) else show(v))
        return out
    styler = frame.style.format(na_rep="–")  # every column: no "None" or "nan" shown
    return styler.format({c: _number_or_text(d) for c, d in chosen.items()}, na_rep="–")
