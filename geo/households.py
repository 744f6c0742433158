"""Validate a P3KE household table: aliases, individual rows, desil scale, IDs, coordinates.

Input is the text table from :func:`geo.sheets.read_sheet`. Output splits every input row into
exactly one of two frames: ``keluarga`` (usable families, with flags) or ``ditolak`` (rejected
rows, with file, row, column, value and reason). Nothing is dropped silently. Desa codes are
parsed here but resolved against the boundaries (including by name) in :mod:`geo.join`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from geo.codes import normalise_kode_desa
from geo.columns import ALIASES, KNOWN
from geo.coords import parse_coordinates
from geo.errors import InputSchemaError, MissingColumnsError
from geo.ledger import Ledger, rejections
from geo.masking import LONG_DIGITS, hidden, mask_ids
from geo.sheets import ROW_COL
from geo.text import fold, fold_series

__all__ = [
    "ALIASES",
    "DESIL_SCALES",
    "HOUSEHOLD_FLAGS",
    "HouseholdCheck",
    "parse_decimal",
    "user_headers",
    "validate_households",
]

DESIL_SCALES: dict[str, tuple[int, int]] = {"p3ke": (1, 4), "dtsen": (1, 10)}
"""Welfare-decile scales: P3KE ranks desil 1-4 (Kemenko PMK 2022); DTSEN ranks 1-10 (Inpres 4/2025)."""

HOUSEHOLD_FLAGS = {
    "flag_koordinat_tidak_valid": "koordinat tidak terbaca, 0,0, di luar rentang derajat, atau di luar wilayah",
    "flag_koordinat_ditukar": "lintang dan bujur tertukar; ditukar kembali karena hasilnya jatuh di wilayah",
    "flag_nik_angka": "NIK tersimpan sebagai angka atau notasi ilmiah (Excel memotong digit ke-16)",
    "flag_nik_bukan_16_digit": "NIK tidak terdiri dari tepat 16 digit",
    "flag_no_kk_angka": "No KK tersimpan sebagai angka atau notasi ilmiah (Excel memotong digit ke-16)",
    "flag_nik_ganda": "NIK yang sama muncul pada lebih dari satu keluarga",
    "flag_no_kk_ganda": "No KK yang sama muncul pada lebih dari satu keluarga",
    "flag_id_keluarga_ganda": "id keluarga yang sama muncul pada lebih dari satu baris keluarga",
    "flag_tanpa_kepala_keluarga": "berkas per individu: keluarga tanpa baris kepala keluarga; anggota pertama dipakai",
    "flag_kepala_ganda": "berkas per individu: lebih dari satu baris kepala keluarga; yang pertama dipakai",
    "flag_anggota_beda_desa_desil": "berkas per individu: anggota keluarga berbeda kode desa atau desil dari kepala keluarga",
}  # fmt: skip
"""Flags set at validation, with their meaning (Bahasa Indonesia, shown in reports)."""

DTSEN_THRESHOLD = 0.95
DTSEN_MIN_ROWS = 3
"""Automatic scale: DTSEN (1-10) when at least DTSEN_MIN_ROWS rows and at least 5 %
(1 - DTSEN_THRESHOLD) of the desil values in 1-10 lie in 5-10; else P3KE (1-4). Values outside
the chosen scale are rejected row by row. An analytic choice."""

REQUIRED = ("desil_kesejahteraan",)
CODE_OR_NAME = ("kode_kemdagri", "desa_kelurahan")


@dataclass
class HouseholdCheck:
    """Result of :func:`validate_households`.

    Attributes
    ----------
    keluarga : pandas.DataFrame
        One row per family: input columns under canonical names, plus ``kode_desa`` (dotted,
        ``<NA>`` where the code is blank or unreadable: :mod:`geo.join` then tries the desa
        name), ``alasan_kode``, ``desil`` (Int64), ``lintang``/``bujur`` (float degrees, NaN
        where absent or invalid), ``jumlah_anggota`` (Int64, individual-level files only),
        ``_baris`` (the family's row, its head's row for individual files), ``_baris_semua``
        (every input row merged into it, ``;``-joined), ``_n_baris`` (how many input rows
        it holds) and the flags of :data:`HOUSEHOLD_FLAGS`.
    ditolak : pandas.DataFrame
        Rejected rows, :data:`geo.ledger.LEDGER_COLUMNS`.
    desil_scale : str
        ``"p3ke"`` (1-4) or ``"dtsen"`` (1-10).
    kolom_tidak_dikenal : list of str
        Input columns Lokus does not interpret; they are kept.
    rows_in : int
        Input rows (people for an individual-level file, families otherwise).
    per_individu : bool
        True when the file has one row per person and was aggregated to families.
    """

    keluarga: pd.DataFrame
    ditolak: pd.DataFrame
    desil_scale: str
    kolom_tidak_dikenal: list[str]
    rows_in: int
    per_individu: bool = False
    catatan: list[str] = field(default_factory=list)
    desil_dari_label: int = 0
    """Used rows whose desil was written as a label (``Desil 1``, ``1 (Sangat Miskin)``); in a
    person-level file, used families (the head's row gives the desil)."""
    berkas: str = ""
    """File name (for the ledger)."""

    @property
    def ledger(self) -> Ledger:
        """Row accounting of validation: rows in, member rows of the families kept, rejected."""
        return Ledger.stage(
            self.berkas,
            rows_in=self.rows_in,
            used=int(self.keluarga["_n_baris"].sum()) if len(self.keluarga) else 0,
            ditolak=self.ditolak,
        )

    @property
    def desil_max(self) -> int:
        """Highest desil of the file's scale: 4 for P3KE, 10 for DTSEN (:data:`DESIL_SCALES`)."""
        return DESIL_SCALES[self.desil_scale][1]


def parse_decimal(values: pd.Series) -> pd.Series:
    """Parse decimal numbers written with a point or a comma.

    Parameters
    ----------
    values : pandas.Series
        Text such as ``"-1,2345"``, ``"109.98"`` or blanks.

    Returns
    -------
    pandas.Series
        Float64 indexed like ``values``; NaN where blank or unreadable.

    Examples
    --------
    >>> parse_decimal(pd.Series(["-1,25", "109.5", "x"])).tolist()
    [-1.25, 109.5, nan]
    """
    text = values.astype("string").str.strip().str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").astype("float64")


def _rename(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    mapping: dict[str, str] = {}
    taken = set(df.columns)
    for canonical, spellings in ALIASES.items():
        if canonical in taken:
            continue
        for spelling in spellings:
            if spelling in df.columns and spelling not in mapping and spelling not in ALIASES:
                mapping[spelling] = canonical
                break
    out = df.rename(columns=mapping)
    unknown = [c for c in out.columns if c != ROW_COL and c not in KNOWN and c not in ALIASES]
    return out, unknown


def _is_head(values: pd.Series) -> pd.Series:
    text = fold_series(values)
    return text.isin(["kepala keluarga", "kepala rumah tangga", "kk", "krt", "1"]).fillna(False)


def _aggregate_individuals(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """One row per family from one row per person (rows with a family id only).

    The head of family's row represents the family; without a head row, the first member's.
    Returns the families and, per family, the index labels of its member rows.
    """
    key_col = "id_keluarga_p3ke" if "id_keluarga_p3ke" in df.columns else "no_kk"
    ok = df.assign(_kunci=df[key_col].astype("string").str.strip())
    ok = ok.assign(_kepala=_is_head(ok["hubungan_dengan_kepala_keluarga"]).to_numpy())
    ok = ok.sort_values(
        ["_kunci", "_kepala", ROW_COL], ascending=[True, False, True], kind="stable"
    )
    groups = ok.groupby("_kunci", sort=False)
    head = groups.head(1).set_index("_kunci")
    head["jumlah_anggota"] = groups.size().astype("Int64")
    head["_baris_semua"] = groups[ROW_COL].agg(lambda v: ";".join(str(int(x)) for x in sorted(v)))
    head["_n_baris"] = groups.size().astype("int64")
    head["flag_tanpa_kepala_keluarga"] = ~head["_kepala"].astype(bool)
    head["flag_kepala_ganda"] = groups["_kepala"].sum() > 1
    differs = pd.Series(False, index=head.index)
    for col in ("kode_kemdagri", "desil_kesejahteraan"):
        if col in ok.columns:
            # Compared as read: "Desil 1" and "1" are the same desil.
            values = _desil_key(ok[col]) if col == "desil_kesejahteraan" else ok[col]
            by_family = values.groupby(ok["_kunci"], sort=False)
            differs |= by_family.agg(lambda v: v.dropna().astype(str).str.strip().nunique() > 1)
    head["flag_anggota_beda_desa_desil"] = differs
    # A member's NIK or No KK problem is the family's too.
    for col in ("flag_nik_angka", "flag_nik_bukan_16_digit", "flag_no_kk_angka"):
        if col in ok.columns:
            head[col] = groups[col].any()
    members = pd.Series([list(g.index) for _, g in groups])
    out = head.drop(columns=["_kepala"]).reset_index(drop=True)
    return out, members


_SAFE_VALUE = {"desil_kesejahteraan": 6, "kode_kemdagri": 24}

_LABEL_SEP = r"\s*[(:.\-\u2013\u2014]\s*"
_ROMAN = {
    "i": 1,
    "ii": 2,
    "iii": 3,
    "iv": 4,
    "v": 5,
    "vi": 6,
    "vii": 7,
    "viii": 8,
    "ix": 9,
    "x": 10,
}
_DESIL_LABEL = re.compile(
    r"(?:desil\s*[-.:]?\s*(?:ke\s*[-.]?\s*)?(?:(\d{1,2})|(x|ix|viii|vii|vi|v|iv|iii|ii|i))"
    rf"(?:{_LABEL_SEP}[a-z][a-z ]*\)?)?)"
    rf"|(?:(\d{{1,2}}){_LABEL_SEP}[a-z][a-z ]*\)?)"
    r"|(\d{1,2})"
)
"""A desil written as a label, after :func:`geo.text.fold`: ``desil 1``, ``desil-1``,
``desil ke-2``, ``desil ii`` (Roman numerals), ``1 (sangat miskin)``, ``2 - miskin``,
``1. sangat miskin``, ``desil 3 (hampir miskin)``, and full-width digits (``１``, folded by NFKC
to ``1``). The number is the desil."""


def _safe_value(column: str, value: object) -> str:
    """Show a rejected cell in reports; hide only what may identify a person.

    A shifted column can put a name, address or NIK where a desil or code was expected. The
    rule is about the value, not the column: a run of 12+ digits (a NIK or No KK) is masked
    (:func:`geo.masking.mask_ids`); free text longer than a desil or code may be a name or an
    address and is hidden. A desil label (``1 (Sangat Miskin)``) is neither and is shown.
    """
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    text = str(value)
    limit = _SAFE_VALUE.get(column, 24)
    if len(text) <= limit or _DESIL_LABEL.fullmatch(fold(text)):
        return mask_ids(text)
    if LONG_DIGITS.fullmatch(text.strip()):
        return mask_ids(text.strip())
    return hidden(text)


_SCIENTIFIC = r"[eE][+]?\d+$"
_FLOAT_TAIL = r"\d+[.,]0+"


def _id_text(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Return a NIK/No KK column without float tails, and where it was written as a number.

    ``"5555000000000008.0"`` (a float column; ``,0`` where the decimal mark is a comma)
    becomes ``"5555000000000008"``; scientific
    notation (``"9.91101E+15"``, its digits are lost) and every other value are kept as they
    came. Both number forms are marked.
    """
    text = values.astype("string").str.strip()
    tail = text.str.fullmatch(_FLOAT_TAIL).fillna(False).astype(bool)
    sci = text.str.contains(_SCIENTIFIC, regex=True).fillna(False).astype(bool)
    digits = text.str.replace(r"[.,]0+$", "", regex=True).astype(object)
    return values.mask(tail, digits), tail | sci


FORMULA_REASON = (
    "desil berupa rumus tanpa nilai tersimpan (berkas ditulis program, belum pernah disimpan "
    "di Excel): buka dan simpan berkas di Excel, atau salin kolomnya lalu Tempel Spesial > Nilai"
)
"""Reason for a desil cell that holds a formula whose value was never saved."""


def _desil(
    frame: pd.DataFrame, desil_scale: str, formula_rows: frozenset[int] = frozenset()
) -> tuple[pd.Series, str, dict[int, tuple[object, str]]]:
    """Parse desil; pick the scale; return values, scale and a (value, reason) per bad index."""
    text = frame["desil_kesejahteraan"].astype("string").str.strip()
    num = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce").astype("float64")
    labels = _desil_labels(text, num)
    num = num.where(labels.isna(), labels)
    finite = np.isfinite(num.to_numpy())
    is_int = pd.Series(finite, index=num.index) & (num.where(finite, 0.5) % 1 == 0)
    if desil_scale == "auto":
        plausible = num[is_int & num.between(1, 10)]
        above4 = int((plausible > 4).sum())
        # DTSEN only on real evidence: several desil 5-10 making up a visible share. Values
        # outside 1-10 (0, negatives, a NIK in the wrong column) are errors on either scale.
        share = above4 / max(len(plausible), 1)
        scale = "dtsen" if above4 >= DTSEN_MIN_ROWS and share >= 1 - DTSEN_THRESHOLD else "p3ke"
    else:
        scale = desil_scale
    lo, hi = DESIL_SCALES[scale]
    bad: dict[int, tuple[object, str]] = {}
    blank = text.isna().to_numpy()
    not_int = ~blank & ~is_int.to_numpy(dtype=bool)
    outside = ~blank & ~not_int & ~num.between(lo, hi).to_numpy()
    # Only the bad rows are visited (row by row over every family cost half a second).
    for i in np.flatnonzero(blank | not_int | outside):
        idx, value = frame.index[i], text.iloc[i]
        if blank[i]:
            formula = int(frame[ROW_COL].iloc[i]) in formula_rows
            bad[idx] = ("", FORMULA_REASON if formula else "desil kosong")
        elif not_int[i]:
            bad[idx] = (value, "desil bukan bilangan bulat")
        else:
            bad[idx] = (value, f"desil di luar skala {scale.upper()} {lo}-{hi}")
    if scale == "p3ke":  # the words name P3KE's four desil
        for idx, (value, why) in _label_conflicts(text, num).items():
            bad.setdefault(idx, (value, why))
    # Out-of-scale values are rejected above; beyond 2**53 they would not even fit Int64.
    return num.where(is_int & (num.abs() < 2**53)).astype("Int64"), scale, bad


def _desil_key(values: pd.Series) -> pd.Series:
    """Key a desil cell by the number it stands for (``"Desil 1"`` and ``"1"`` alike)."""
    text = values.astype("string").str.strip()
    num = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    labels = _desil_labels(text, num)
    num = num.where(labels.isna(), labels).astype("float64")
    return num.astype("string").fillna(text)


def _label_note(out: pd.DataFrame, catatan: list[str], unit: str = "baris") -> int:
    """Count used rows (families, ``unit``) whose desil came from a label; say so in ``catatan``."""
    text = out["desil_kesejahteraan"].astype("string").str.strip().str.replace(",", ".")
    plain = pd.to_numeric(text, errors="coerce").notna()
    n = int((out["desil"].notna() & ~plain).sum())
    if n:
        example = text[out["desil"].notna() & ~plain].iloc[0]
        catatan.append(
            f"{n} {unit} menulis desil sebagai label (mis. {example!r}); angkanya dibaca "
            "sebagai desil"
        )
    return n


_LABEL_WORDS = {"sangat miskin": 1, "miskin ekstrem": 1, "miskin": 2, "hampir miskin": 3,
                "rentan miskin": 4}  # fmt: skip
"""The welfare words of the P3KE desil (Kemenko PMK): a label's words name its desil too."""


def _label_conflicts(text: pd.Series, num: pd.Series) -> dict[object, tuple[object, str]]:
    """Labels whose number and words disagree (``1 (Hampir Miskin)``): value and reason.

    Which one the planner meant cannot be told, so such a row is rejected, never read as
    either number silently.
    """
    words = fold_series(text).str.extract(r"[(:.\-\u2013\u2014]\s*([a-z][a-z ]*?)\s*\)?$")[0]
    said = words.map(_LABEL_WORDS, na_action="ignore").astype("float64")
    clash = said.notna() & num.notna() & (said != num)
    return {
        idx: (text[idx], f"desil {int(num[idx])} bertentangan dengan labelnya "
              f"({words[idx]!r} adalah desil {int(said[idx])})")
        for idx in text.index[clash.to_numpy(dtype=bool)]
    }  # fmt: skip


def _desil_labels(text: pd.Series, num: pd.Series) -> pd.Series:
    """Read the desil number of cells written as a label (``Desil 1``); NaN elsewhere."""
    todo = text.notna() & num.isna()
    out = pd.Series(np.nan, index=text.index)
    if not todo.any():
        return out
    found = fold_series(text[todo]).str.extract(_DESIL_LABEL.pattern.join(("^(?:", ")$")))
    found = found.astype(object).where(found.notna(), None)
    number = found[0].fillna(found[1].map(_ROMAN, na_action="ignore")).fillna(found[2])
    out[todo] = pd.to_numeric(number.fillna(found[3]), errors="coerce").to_numpy()
    return out


def validate_households(
    raw: pd.DataFrame,
    *,
    source: str,
    desil_scale: Literal["auto", "p3ke", "dtsen"] = "auto",
    numeric_cells: dict[str, set[int]] | None = None,
    formula_cells: dict[str, list[int]] | None = None,
) -> HouseholdCheck:
    """Check a household table row by row.

    Parameters
    ----------
    raw : pandas.DataFrame
        Text table from :func:`geo.sheets.read_sheet` (with ``_baris``): one row per family,
        or one row per person (recognised by ``hubungan_dengan_kepala_keluarga``).
    source : str
        File name, written in every rejection.
    desil_scale : {"auto", "p3ke", "dtsen"}, default "auto"
        Decile scale. ``"auto"`` picks DTSEN (1-10) when at least :data:`DTSEN_MIN_ROWS`
        rows and at least 5 % (``1 - DTSEN_THRESHOLD``) of the desil values in 1-10 lie in
        5-10, else P3KE (1-4): one typo does not switch the scale.
    numeric_cells : dict, optional
        Column -> row numbers whose XLSX cell was a number (``RawTable.numeric_cells``).
    formula_cells : dict, optional
        Column -> row numbers whose XLSX cell holds a formula without a saved value
        (``RawTable.rumus_tanpa_nilai``): such a desil is rejected with that reason and how
        to fix it, not as blank.

    Returns
    -------
    HouseholdCheck
        Every input row is in ``ditolak`` or counted in a family of ``keluarga``.

    Raises
    ------
    InputSchemaError
        If the desil column, or both the desa code and the desa name columns, are missing.
        The message lists the columns found and the accepted spellings.
    ValueError
        If ``desil_scale`` is not one of the allowed values.

    Notes
    -----
    Rejected: desil blank, not an integer, or outside the scale; for individual files, a
    person row without a family id. Flagged, never rejected: NIK or No KK problems,
    coordinates that cannot be used (coordinates are optional in P3KE). A family's desa code
    is resolved in :func:`geo.join.place_households`, by name where the code fails.
    """
    if desil_scale not in ("auto", *DESIL_SCALES):
        msg = f"desil_scale harus 'auto', 'p3ke' atau 'dtsen', diterima {desil_scale!r}"
        raise ValueError(msg)
    if ROW_COL not in raw.columns:
        raw = raw.assign(**{ROW_COL: range(2, len(raw) + 2)})
    df, unknown = _rename(raw)
    _require_columns(raw, df, source)
    rows_in = len(df)
    numeric_cells = numeric_cells or {}
    original = {c: _original(raw, c) for c in df.columns}
    formula_rows = frozenset((formula_cells or {}).get(original["desil_kesejahteraan"], ()))
    reasons: dict[int, list[tuple[str, object, str, str]]] = {}

    def add(idx: int, column: str, value: object, reason: str, code: str) -> None:
        shown = original.get(column, column)
        reasons.setdefault(idx, []).append((shown, _safe_value(column, value), reason, code))

    # NIK and No KK flags are read per input row, before individual rows are merged. A value
    # that went through a number ("5555000000000008.0") loses its float tail, so lengths,
    # family keys, duplicate ids and masks work on the digits.
    flags, id_digits = _id_flags(df, original, numeric_cells)
    df = pd.concat([df, flags], axis=1)
    per_individu = "hubungan_dengan_kepala_keluarga" in df.columns and (
        "id_keluarga_p3ke" in df.columns or "no_kk" in df.columns
    )
    # Exact copies are counted once, but only where a row carries an identifier: two
    # families without ids may well share desa and desil.
    _exact_copies(df, add)
    for col, digits in id_digits.items():  # an exact copy is judged on the cells as written
        df[col] = digits

    catatan: list[str] = []
    if per_individu:
        out, scale = _families_of_persons(df, desil_scale, formula_rows, reasons, add, catatan)
    else:
        out, scale = _families_of_rows(df, desil_scale, formula_rows, reasons, add)
    ditolak = _reject_frame(df, reasons, sorted(reasons), source)
    unit = "keluarga (baris kepala keluarga)" if per_individu else "baris"
    from_labels = _label_note(out, catatan, unit)

    out = _codes_and_flags(out)
    return HouseholdCheck(
        keluarga=out.reset_index(drop=True),
        ditolak=ditolak.sort_values("baris", kind="stable").reset_index(drop=True),
        desil_scale=scale,
        kolom_tidak_dikenal=unknown,
        rows_in=rows_in,
        per_individu=per_individu,
        catatan=catatan,
        desil_dari_label=from_labels,
        berkas=source,
    )


def _codes_and_flags(out: pd.DataFrame) -> pd.DataFrame:
    """Add the dotted ``kode_desa`` and its reason, duplicate-id and coordinate flags."""
    codes = normalise_kode_desa(
        out["kode_kemdagri"]
        if "kode_kemdagri" in out.columns
        else pd.Series(pd.NA, index=out.index)
    )
    out["kode_desa"] = codes["kode_desa"]
    out["alasan_kode"] = codes["alasan"]
    _duplicate_id_flags(out)
    out = _coordinates(out)
    for flag in HOUSEHOLD_FLAGS:
        out[flag] = out[flag].astype(bool)
    return out


def _require_columns(raw: pd.DataFrame, df: pd.DataFrame, source: str) -> None:
    """Raise :class:`InputSchemaError` when desil, or desa code and name, or all rows are missing."""
    missing = [c for c in REQUIRED if c not in df.columns]
    if not any(c in df.columns for c in CODE_OR_NAME):
        missing.append("kode_kemdagri (atau desa_kelurahan)")
    if missing:
        accepted = "; ".join(
            f"{c}: {', '.join(ALIASES[c])}" for c in (*CODE_OR_NAME, "desil_kesejahteraan")
        )
        found = ", ".join(c for c in raw.columns if c != ROW_COL)
        raise MissingColumnsError(
            source,
            missing,
            present=found or "(tidak ada)",
            present_en=found or "(none)",
            accepted=accepted,
            missing_en=[m.replace("(atau ", "(or ") for m in missing],
        )
    if len(df) == 0:
        msg = f"{source}: tidak ada baris data di bawah baris judul kolom"
        raise InputSchemaError(msg, en=f"{source}: no data rows below the header row")


def _id_flags(
    df: pd.DataFrame, original: dict[str, str], numeric_cells: dict[str, set[int]]
) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """NIK/No KK flags per input row (stored as a number, NIK not 16 digits) and their digits."""
    flags = pd.DataFrame(index=df.index)
    id_digits: dict[str, pd.Series] = {}
    for col, flag in (("nik", "flag_nik_angka"), ("no_kk", "flag_no_kk_angka")):
        if col not in df.columns:
            flags[flag] = False
            continue
        id_digits[col], as_number = _id_text(df[col])
        rows_numeric = numeric_cells.get(original[col], set())
        flags[flag] = df[ROW_COL].isin(rows_numeric).to_numpy() | as_number.to_numpy()
    if "nik" in df.columns:
        nik = id_digits["nik"].astype("string").str.strip()
        flags["flag_nik_bukan_16_digit"] = (
            nik.notna() & ~nik.str.fullmatch(r"[0-9]{16}").fillna(False)
        ).to_numpy()
    else:
        flags["flag_nik_bukan_16_digit"] = False
    return flags, id_digits


def _exact_copies(df: pd.DataFrame, add: Callable[[int, str, object, str, str], None]) -> None:
    """Reject exact copies of an earlier row, where the row carries an identifier."""
    id_cols = [c for c in ("id_individu", "nik", "id_keluarga_p3ke", "no_kk") if c in df.columns]
    if not id_cols:
        return
    content = [c for c in df.columns if c != ROW_COL and not c.startswith("flag_")]
    has_id = df[id_cols].notna().any(axis=1)
    dup = df.duplicated(subset=content, keep="first") & has_id
    if dup.any():
        first_row = df.groupby(content, dropna=False, sort=False)[ROW_COL].transform("first")
        for idx in df.index[dup]:
            add(idx, "", "", f"baris ganda persis dari baris {int(first_row[idx])}", "baris_ganda")


def _families_of_persons(
    df: pd.DataFrame,
    desil_scale: str,
    formula_rows: frozenset[int],
    reasons: dict[int, list[tuple[str, object, str, str]]],
    add: Callable[[int, str, object, str, str], None],
    catatan: list[str],
) -> tuple[pd.DataFrame, str]:
    """Merge person rows into families (desil and desa from the head's row); return the scale.

    A person without family id is rejected; every member of a family whose desil is
    rejected is rejected with a pointer to the head's row.
    """
    key_col = "id_keluarga_p3ke" if "id_keluarga_p3ke" in df.columns else "no_kk"
    for idx in df.index[df[key_col].isna()]:
        add(idx, key_col, "", "baris individu tanpa id keluarga", "tanpa_id_keluarga")
    persons = df.drop(index=list(reasons))
    fam, members = _aggregate_individuals(persons)
    desil, scale, bad = _desil(fam, desil_scale, formula_rows)
    fam["desil"] = desil
    for i, (value, why) in bad.items():
        head = int(fam.at[i, ROW_COL])
        for idx in members[i]:
            if int(df.at[idx, ROW_COL]) == head:
                add(idx, "desil_kesejahteraan", value, why, "desil_tidak_sah")
            else:
                add(idx, "", "", member_reason(head, why), "anggota_keluarga_ditolak")
    out = fam.drop(index=list(bad)).reset_index(drop=True)
    catatan.append(
        f"berkas per individu: {len(df)} baris orang digabung menjadi {len(fam)} keluarga "
        "(kepala keluarga dari kolom hubungan_dengan_kepala_keluarga; desil dan desa dari "
        "baris kepala keluarga)"
    )
    return out, scale


def _families_of_rows(
    df: pd.DataFrame,
    desil_scale: str,
    formula_rows: frozenset[int],
    reasons: dict[int, list[tuple[str, object, str, str]]],
    add: Callable[[int, str, object, str, str], None],
) -> tuple[pd.DataFrame, str]:
    """Check the desil of a table with one row per family; return the used rows and scale."""
    desil, scale, bad = _desil(df, desil_scale, formula_rows)
    df["desil"] = desil
    for idx, (value, why) in bad.items():
        add(idx, "desil_kesejahteraan", value, why, "desil_tidak_sah")
    out = df.drop(index=list(reasons)).reset_index(drop=True)
    out["_baris_semua"] = out[ROW_COL].astype(int).astype(str)
    out["_n_baris"] = 1
    out["flag_tanpa_kepala_keluarga"] = False
    out["flag_kepala_ganda"] = False
    out["flag_anggota_beda_desa_desil"] = False
    return out, scale


def _duplicate_id_flags(out: pd.DataFrame) -> None:
    """Flag (in place) families sharing a NIK, No KK or family id with another family."""
    for col, flag in (
        ("nik", "flag_nik_ganda"),
        ("no_kk", "flag_no_kk_ganda"),
        ("id_keluarga_p3ke", "flag_id_keluarga_ganda"),
    ):
        if col in out.columns:
            values = out[col].astype("string").str.strip()
            out[flag] = (values.notna() & values.duplicated(keep=False)).to_numpy()
        else:
            out[flag] = False


def user_headers(judul: Mapping[str, str]) -> dict[str, str]:
    """Map every column name Lokus uses for a household file to its header as written.

    Parameters
    ----------
    judul : Mapping of str to str
        :attr:`geo.sheets.RawTable.judul`: the file's column (as :func:`geo.columns.canon`
        names it) -> its header text.

    Returns
    -------
    dict of str to str
        ``judul`` plus each canonical name of :data:`geo.columns.ALIASES` that a spelling in
        the file was renamed to (``desil_kesejahteraan`` -> ``"Peringkat Desil"``), for
        :meth:`geo.ledger.Ledger.with_headers`.
    """
    out = dict(judul)
    for canonical, spellings in ALIASES.items():
        if canonical not in judul:
            spelling = next((s for s in spellings if s in judul), None)
            if spelling is not None:
                out[canonical] = judul[spelling]
    return out


def _original(raw: pd.DataFrame, canonical: str) -> str:
    """Return the input column renamed to ``canonical`` (names in messages and lookups)."""
    if canonical in raw.columns:
        return canonical
    return next((s for s in ALIASES.get(canonical, ()) if s in raw.columns), canonical)


def _reject_frame(
    df: pd.DataFrame,
    reasons: dict[int, list[tuple[str, object, str, str]]],
    idx: list[int],
    source: str,
) -> pd.DataFrame:
    return rejections(
        [
            {
                "baris": int(df.at[i, ROW_COL]),
                "kolom": "; ".join(c for c, _, _, _ in reasons[i]),
                "nilai": "; ".join("" if pd.isna(v) else str(v) for _, v, _, _ in reasons[i]),
                "kode": "; ".join(dict.fromkeys(k for _, _, _, k in reasons[i])),
                "alasan": "; ".join(r for _, _, r, _ in reasons[i]),
            }
            for i in idx
        ],
        berkas=source,
    )


def member_reason(head: int, why: str) -> str:
    """Say why a member row goes with its rejected family (written once, read by geo.join)."""
    return f"anggota keluarga baris {head} yang ditolak: {why}"


def _coordinates(out: pd.DataFrame) -> pd.DataFrame:
    """Parse ``lintang``/``bujur`` (any accepted form); range checks only, extent in geo.join."""
    out["flag_koordinat_ditukar"] = False
    if "lintang" not in out.columns or "bujur" not in out.columns:
        out["lintang"] = np.nan
        out["bujur"] = np.nan
        out["flag_koordinat_tidak_valid"] = False
        return out
    given = out["lintang"].notna() | out["bujur"].notna()
    lat = parse_coordinates(out["lintang"])
    lon = parse_coordinates(out["bujur"])
    bad = given & (
        lat.isna() | lon.isna() | ((lat == 0) & (lon == 0))
        | ~lat.between(-180, 180) | ~lon.between(-180, 180)
    )  # fmt: skip
    out["lintang_asli"] = out["lintang"]
    out["bujur_asli"] = out["bujur"]
    out["flag_koordinat_tidak_valid"] = bad.to_numpy()
    out["lintang"] = lat.where(~bad)
    out["bujur"] = lon.where(~bad)
    return out
