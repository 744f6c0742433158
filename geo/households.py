"""Validate a P3KE household table: column aliases, desil scale, codes and coordinates.

Input is the text table from :func:`geo.io.read_table`. Output splits every input row into
exactly one of two frames: ``keluarga`` (usable, with flags) or ``ditolak`` (rejected, with
file, row, column, value and reason). Nothing is dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from geo.codes import normalise_kode_desa
from geo.errors import InputSchemaError
from geo.io import ROW_COL

__all__ = [
    "ALIASES",
    "DESIL_SCALES",
    "REJECT_COLUMNS",
    "HouseholdCheck",
    "parse_decimal",
    "validate_households",
]

ALIASES: dict[str, tuple[str, ...]] = {
    "id_keluarga_p3ke": ("id_keluarga_p3ke", "id_keluarga", "id_kel", "idkeluarga"),
    "kode_kemdagri": (
        "kode_kemdagri",
        "kode_kemendagri",
        "kemendagri_kode_desa",
        "kode_desa",
        "kode_wilayah",
    ),
    "desil_kesejahteraan": ("desil_kesejahteraan", "desil", "desil_nasional", "peringkat_desil"),
    "kepala_keluarga": ("kepala_keluarga", "nama_lengkap", "nama_kepala_keluarga", "nama_kk"),
    "nik": ("nik", "nik_kepala_keluarga", "nik_kk"),
    "no_kk": ("no_kk", "nomor_kk", "nokk"),
    "desa_kelurahan": ("desa_kelurahan", "desa", "kelurahan", "nama_desa"),
    "lintang": ("lintang", "latitude", "lat", "koordinat_y"),
    "bujur": ("bujur", "longitude", "lon", "lng", "long", "koordinat_x"),
}
"""Canonical column name -> accepted spellings (compared lower-case, spaces as underscores).

Source: column names seen in P3KE exports and field-verification sheets (DOMAIN.md, "P3KE").
"""

DESIL_SCALES: dict[str, tuple[int, int]] = {"p3ke": (1, 4), "dtsen": (1, 10)}
"""Welfare-decile scales: P3KE ranks desil 1-4 (Kemenko PMK 2022); DTSEN ranks 1-10 (Inpres 4/2025)."""

REJECT_COLUMNS = ["berkas", "baris", "kolom", "nilai", "alasan"]

REQUIRED = ("kode_kemdagri", "desil_kesejahteraan")


@dataclass
class HouseholdCheck:
    """Result of :func:`validate_households`.

    Attributes
    ----------
    keluarga : pandas.DataFrame
        Usable rows: input columns renamed to canonical names, plus ``kode_desa`` (dotted),
        ``desil`` (Int64), ``lintang``/``bujur`` as float degrees (NaN where absent), and the
        boolean ``flag_koordinat_tidak_valid``.
    ditolak : pandas.DataFrame
        Rejected rows, columns ``berkas``, ``baris``, ``kolom``, ``nilai``, ``alasan``.
    desil_scale : str
        ``"p3ke"`` (1-4) or ``"dtsen"`` (1-10).
    kolom_tidak_dikenal : list of str
        Input columns Lokus does not interpret; they are kept in ``keluarga``.
    rows_in : int
        Number of data rows read.
    """

    keluarga: pd.DataFrame
    ditolak: pd.DataFrame
    desil_scale: str
    kolom_tidak_dikenal: list[str]
    rows_in: int


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
    for canonical, spellings in ALIASES.items():
        for spelling in spellings:
            if spelling in df.columns and canonical not in mapping.values():
                if canonical in df.columns and spelling != canonical:
                    continue
                mapping[spelling] = canonical
                break
    known = set(ALIASES) | {ROW_COL}
    out = df.rename(columns=mapping)
    unknown = [c for c in out.columns if c not in known and c not in _KNOWN_P3KE]
    return out, unknown


_KNOWN_P3KE = {
    "provinsi", "kabupaten_kota", "kecamatan", "alamat", "padan_dukcapil", "jenis_kelamin",
    "tanggal_lahir", "pekerjaan", "pendidikan", "kepemilikan_rumah", "jenis_atap",
    "jenis_dinding", "jenis_lantai", "sumber_penerangan", "bahan_bakar_memasak",
    "sumber_air_minum", "memiliki_fasilitas_buang_air_besar", "penerima_bpnt", "penerima_bpum",
    "penerima_bst", "penerima_pkh", "penerima_sembako", "resiko_stunting", "sintetis",
    "rt", "rw", "dusun",
}  # fmt: skip


def validate_households(
    raw: pd.DataFrame,
    *,
    source: str,
    desil_scale: Literal["auto", "p3ke", "dtsen"] = "auto",
) -> HouseholdCheck:
    """Check a household table row by row.

    Parameters
    ----------
    raw : pandas.DataFrame
        Text table from :func:`geo.io.read_table` (with ``_baris``), one row per family.
    source : str
        File name, written in every rejection.
    desil_scale : {"auto", "p3ke", "dtsen"}, default "auto"
        Decile scale. ``"auto"`` picks P3KE (1-4) when every readable desil is in 1-4, else
        DTSEN (1-10).

    Returns
    -------
    HouseholdCheck
        ``len(keluarga) + len(ditolak) == rows_in``.

    Raises
    ------
    InputSchemaError
        If a required column (``kode_kemdagri``, ``desil_kesejahteraan`` or an alias) is
        missing. The message lists the columns found and the accepted spellings.

    Notes
    -----
    A row is rejected when its desa code cannot be read, or its desil is blank, not an
    integer, or outside the scale. Unreadable coordinates do not reject a row (coordinates are
    optional in P3KE): the row is kept, placed by its code, and flagged.
    """
    if ROW_COL not in raw.columns:
        raw = raw.assign(**{ROW_COL: range(2, len(raw) + 2)})
    df, unknown = _rename(raw)
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        accepted = "; ".join(f"{c}: {', '.join(ALIASES[c])}" for c in missing)
        found = ", ".join(c for c in raw.columns if c != ROW_COL)
        msg = (
            f"{source}: kolom wajib tidak ditemukan: {', '.join(missing)}. "
            f"Kolom yang ada: {found}. Ejaan yang diterima: {accepted}."
        )
        raise InputSchemaError(msg)

    reasons: dict[int, list[tuple[str, object, str]]] = {}

    def reject(mask: pd.Series, column: str, reason: str | pd.Series) -> None:
        for idx in df.index[mask.fillna(False).astype(bool)]:
            text = reason if isinstance(reason, str) else str(reason.at[idx])
            reasons.setdefault(idx, []).append((column, df.at[idx, column], text))

    codes = normalise_kode_desa(df["kode_kemdagri"])
    reject(codes["kode_desa"].isna(), "kode_kemdagri", codes["alasan"])

    desil_text = df["desil_kesejahteraan"].astype("string").str.strip()
    desil_num = pd.to_numeric(desil_text.str.replace(",", ".", regex=False), errors="coerce")
    is_int = desil_num.notna() & (desil_num % 1 == 0)
    reject(desil_text.isna(), "desil_kesejahteraan", "desil kosong")
    reject(desil_text.notna() & ~is_int, "desil_kesejahteraan", "desil bukan bilangan bulat")
    if desil_scale == "auto":
        readable = desil_num[is_int]
        scale = "p3ke" if readable.empty or readable.between(1, 4).all() else "dtsen"
    elif desil_scale in DESIL_SCALES:
        scale = desil_scale
    else:
        msg = f"desil_scale harus 'auto', 'p3ke' atau 'dtsen', diterima {desil_scale!r}"
        raise ValueError(msg)
    lo, hi = DESIL_SCALES[scale]
    reject(
        is_int & ~desil_num.between(lo, hi),
        "desil_kesejahteraan",
        f"desil di luar skala {scale.upper()} {lo}-{hi}",
    )

    out = df.copy()
    out["kode_desa"] = codes["kode_desa"]
    out["desil"] = desil_num.where(is_int).astype("Int64")
    if "lintang" in out.columns and "bujur" in out.columns:
        lat = parse_decimal(out["lintang"])
        lon = parse_decimal(out["bujur"])
        given = out["lintang"].notna() | out["bujur"].notna()
        bad = given & (
            lat.isna()
            | lon.isna()
            | ((lat == 0) & (lon == 0))
            | ~lat.between(-90, 90)
            | ~lon.between(-180, 180)
        )
        out["flag_koordinat_tidak_valid"] = bad.to_numpy()
        out["lintang"] = lat.where(~bad)
        out["bujur"] = lon.where(~bad)
    else:
        out["lintang"] = np.nan
        out["bujur"] = np.nan
        out["flag_koordinat_tidak_valid"] = False

    rejected_idx = sorted(reasons)
    ditolak = pd.DataFrame(
        [
            {
                "berkas": source,
                "baris": int(df.at[idx, ROW_COL]),
                "kolom": "; ".join(c for c, _, _ in reasons[idx]),
                "nilai": "; ".join("" if pd.isna(v) else str(v) for _, v, _ in reasons[idx]),
                "alasan": "; ".join(r for _, _, r in reasons[idx]),
            }
            for idx in rejected_idx
        ],
        columns=REJECT_COLUMNS,
    )
    keluarga = out.drop(index=rejected_idx).reset_index(drop=True)
    return HouseholdCheck(
        keluarga=keluarga,
        ditolak=ditolak,
        desil_scale=scale,
        kolom_tidak_dikenal=unknown,
        rows_in=len(df),
    )
