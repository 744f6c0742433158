"""The sub-activity register (daftar sub kegiatan): import template, parsing and validation.

No national layout exists for a district's list of poverty sub-activities (DOMAIN.md,
"Strategies and interventions"), so Lokus defines one (:data:`TEMPLATE_COLUMNS`) and
validates it row by row like the household import: every row is used or rejected with its
reason. The analysis of the register against the poverty loci is the next step (issue 5).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from rapidfuzz import fuzz, process

from geo.codes import parse_kode_desa
from geo.errors import InputSchemaError
from geo.io import Source, read_bytes
from geo.join import NAME_MATCH_MARGIN, NAME_MATCH_MIN, normalise_name
from geo.ledger import Ledger, rejections
from geo.sheets import ROW_COL, read_sheet, sheet_name
from geo.text import fold, split_spaces
from targeting.strategies import INPRES, PERMENDAGRI

__all__ = [
    "KEBUTUHAN",
    "SASARAN",
    "STRATEGI",
    "TEMPLATE_COLUMNS",
    "RegisterCheck",
    "parse_rupiah",
    "read_register",
    "read_rupiah",
    "register_template",
]

TEMPLATE_COLUMNS = [
    "tahun", "opd", "kode_sub_kegiatan", "nama_sub_kegiatan", "strategi", "pagu",
    "sumber_dana", "lokus", "sasaran_jenis", "target_volume", "satuan", "realisasi",
    "kebutuhan",
]  # fmt: skip
"""Columns of the register template; ``realisasi`` and ``kebutuhan`` are optional."""

REQUIRED = ("opd", "kode_sub_kegiatan", "nama_sub_kegiatan", "strategi", "pagu", "lokus")

STRATEGI = {int(s.kode): s.label for s in INPRES.strategi}
"""Inpres 4/2022 strategies for the acceleration of extreme-poverty eradication (number ->
name; the schemes live in :mod:`targeting.strategies`)."""

PERMENDAGRI_53 = {s.kode: s.inpres for s in PERMENDAGRI.strategi}
"""Permendagri 53/2020 code -> Inpres 4/2022 strategy, or None (P4 has no counterpart); see
:mod:`targeting.strategies`."""

SASARAN = ("keluarga", "individu", "wilayah")
KEBUTUHAN = (
    "air",
    "sanitasi",
    "listrik",
    "rumah",
    "pangan",
    "pendapatan",
    "kesehatan",
    "pendidikan",
)
"""Needs a sub-activity can answer (matched against P3KE deprivations in the analysis)."""

_KODE = re.compile(r"^\d\.\d{2}\.\d{2}\.2\.\d{2}\.\d{4}$")
"""Sub-activity code, Kepmendagri 050-5889/2021: urusan.bidang.program.2.kegiatan.sub."""


LOKUS_AMBIGU_COLUMNS = ["baris", "nilai", "diambil", "desa", "alasan"]


@dataclass
class RegisterCheck:
    """Result of :func:`read_register`.

    Attributes
    ----------
    register : pandas.DataFrame
        One row per used sub-activity: the template columns, ``strategi`` (Int64: the
        Inpres 4/2022 strategy 1-3, ``<NA>`` for Permendagri P4, which has none),
        ``strategi_kode`` (the tag as read: ``"1"``-``"3"`` or ``"P1"``-``"P4"``), ``skema``
        (``"inpres"`` or ``"permendagri"``, :mod:`targeting.strategies`),
        ``pagu_rp`` and ``realisasi_rp`` (Rupiah, Int64), ``lokus_kode`` (dotted desa codes,
        ``;`` separated), ``kebutuhan`` (tags, ``;`` separated) and ``_baris``.
    ditolak : pandas.DataFrame
        Rejected rows: ``berkas``, ``baris``, ``kolom``, ``nilai``, ``alasan``.
    cocok_lokus : pandas.DataFrame
        Every lokus name that was matched to a desa without an exact code: ``baris``,
        ``nilai``, ``kode_desa``, ``desa``, ``skor``.
    rows_in : int
        Data rows read.
    """

    register: pd.DataFrame
    ditolak: pd.DataFrame
    cocok_lokus: pd.DataFrame
    rows_in: int
    lokus_ambigu: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=LOKUS_AMBIGU_COLUMNS)
    )
    """Lokus entries that could be read two ways (a name that is a desa's and a kecamatan's):
    ``baris``, ``nilai``, ``diambil`` (the desa code taken), ``desa``, ``alasan`` (why)."""
    berkas: str = ""
    """File name."""

    @property
    def ledger(self) -> Ledger:
        """Row accounting of the register: rows in, sub-activities used, rows rejected."""
        return Ledger.stage(
            self.berkas, rows_in=self.rows_in, used=len(self.register), ditolak=self.ditolak
        )


MAX_RUPIAH = 10**15
"""Largest pagu or realisasi of one sub-activity (Rp 1,000 trillion, about a third of the
2024 national budget of Rp 3,325 trillion): anything above is a typing error."""


def parse_rupiah(value: object) -> float | None:
    """Parse a budget amount in Rupiah as planners write it.

    Parameters
    ----------
    value : object
        ``"Rp 1.250.000.000"``, ``"1.250.000.000,00"``, ``"1,25 M"``, ``"Rp 0,750 M"``,
        ``"2,500 jt"``, ``"1,25 miliar"``, ``"500 jt"``, ``"500 juta"``, ``"IDR 1.000.000"``,
        ``"0,5 T"`` (triliun), ``1250000000``.

    Returns
    -------
    float or None
        Rupiah; None when blank, unreadable, not finite (``"nan"``, ``"inf"``) or ambiguous
        (:func:`read_rupiah` says why).

    Examples
    --------
    >>> parse_rupiah("Rp 1.250.000.000")
    1250000000.0
    >>> parse_rupiah("1,25 M")
    1250000000.0
    >>> parse_rupiah("2,500 jt")
    2500000.0
    >>> parse_rupiah("500 jt")
    500000000.0
    """
    return read_rupiah(value)[0]


_SCALES = (
    (("triliun", "trilyun", "t"), 1e12),
    (("miliar", "milyar", "m"), 1e9),
    (("juta", "jt"), 1e6),
    (("ribu", "rb"), 1e3),
)


def read_rupiah(value: object) -> tuple[float | None, str]:
    """Parse a Rupiah amount and say why it could not be read.

    Parameters
    ----------
    value : object
        An amount as written (see :func:`parse_rupiah`).

    Returns
    -------
    (float or None, str)
        Rupiah and ``""``; or None and the reason (Bahasa Indonesia): blank, unreadable, or
        ambiguous.

    Notes
    -----
    Indonesian writing (PUEBI) separates thousands with a point and decimals with a comma. With
    a scale word (``M``/``miliar``, ``jt``/``juta``, ``rb``/``ribu``) a lone comma is the
    decimal mark: ``Rp 0,750 M`` = 750 million, ``Rp 1,250 M`` = 1.25 billion, ``2,500 jt`` =
    2.5 million. A lone point followed by three digits before a scale word (``1.250 M``) reads
    as 1,250 billion in Indonesian and 1.25 billion in English: it is ambiguous and refused,
    never multiplied by a thousand silently. A point followed by one, two or four digits is a
    decimal point (``1.5 M``).
    """
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None, "kosong"
    if isinstance(value, (int, float)):
        return float(value), ""
    text = re.sub(r"^idr\.?", "", fold(value)).replace("rp.", "").replace("rp", "").strip()
    text = re.sub(r"[,.]-+$", "", text).strip()  # "750.000.000,-"
    if not text or re.fullmatch(r"[-\u2013\u2014]+", text):  # "-" is Excel's nil
        return None, "kosong"
    scale = 1.0
    for words, factor in _SCALES:
        match = re.fullmatch(rf"(.*?\d)\s*({'|'.join(words)})\.?", text)
        if match:
            text, scale = match.group(1).strip(), factor
            break
    text = text.replace(" ", "")
    if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", text):  # 1.250.000.000,00
        if scale != 1.0 and re.fullmatch(r"\d{1,3}\.\d{3}", text):
            word = {1e12: "triliun", 1e9: "miliar", 1e6: "juta", 1e3: "ribu"}[scale]
            decimal = f"{float(text):g}".replace(".", ",")
            return None, (
                f"pagu ambigu: {split_spaces(str(value))!r} bisa {decimal} {word} (titik "
                f"desimal) atau {text} {word} (titik ribuan); tulis dengan koma desimal "
                f"(mis. {decimal} {word}) atau angka penuh dalam Rupiah"
            )
        text = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", text) and (
        scale == 1.0 or text.count(",") > 1 or "." in text
    ):  # 1,250,000,000.00 (a lone "1,250" before a scale word is a decimal comma)
        text = text.replace(",", "")
    else:
        text = text.replace(",", ".")
    try:
        number = float(text) * scale
    except ValueError:
        return None, "tidak terbaca"
    if not math.isfinite(number):  # "nan", "inf", "1e400"
        return None, "tidak terbaca"
    return number, ""


def _text(row: pd.Series, column: str) -> str:
    """Return a cell as stripped text; blank or missing cells give ``""``."""
    value = row.get(column)
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def _strategi(value: object) -> tuple[str | None, str]:
    """Read a strategy tag: its code (``"1"``-``"3"`` or ``"P1"``-``"P4"``) or why not."""
    text = "" if value is None or value is pd.NA else str(value).strip()
    if not text:
        return None, "strategi kosong"
    key = fold(text).upper().replace(" ", "")
    if key in PERMENDAGRI.kode:
        return key, ""
    match = re.fullmatch(r"(?:strategi\s*)?([123])", fold(text))
    if match:
        return match.group(1), ""
    if len(text) >= 8:  # a written-out strategy name, not a stray letter
        for number, name in STRATEGI.items():
            if fuzz.partial_ratio(fold(name), fold(text)) >= 90:
                return str(number), ""
    return None, "strategi harus 1, 2, 3 (Inpres 4/2022) atau P1-P4 (Permendagri 53/2020)"


def _amounts(
    row: pd.Series, has_realisasi: bool
) -> tuple[float | None, float | None, list[tuple[str, str, str]]]:
    """Read a register row's pagu and realisasi; return both and (column, value, reason)s.

    A realisasi that is written but unreadable or ambiguous is a problem, never a blank.
    """
    problems: list[tuple[str, str, str]] = []
    pagu, pagu_why = read_rupiah(row.get("pagu"))
    if pagu_why.startswith("pagu ambigu"):
        problems.append(("pagu", _text(row, "pagu"), pagu_why))
    elif pagu is None or pagu < 0 or pagu > MAX_RUPIAH:
        problems.append(
            ("pagu", _text(row, "pagu"),
             "pagu kosong, tidak terbaca, negatif atau lebih dari Rp 1.000 triliun")
        )  # fmt: skip
    realisasi, real_why = read_rupiah(row.get("realisasi") if has_realisasi else None)
    if real_why not in ("", "kosong"):  # written but unreadable or ambiguous: never blanked
        why = real_why.replace("pagu", "realisasi")
        if why == "tidak terbaca":
            why = "realisasi tidak terbaca (tulis mis. Rp 1.250.000.000 atau 1,25 M)"
        problems.append(("realisasi", _text(row, "realisasi"), why))
    elif realisasi is not None and not 0 <= realisasi <= MAX_RUPIAH:
        problems.append(
            ("realisasi", _text(row, "realisasi"),
             "realisasi negatif atau lebih dari Rp 1.000 triliun")
        )  # fmt: skip
    return pagu, realisasi, problems


def read_register(
    src: Source, desa: pd.DataFrame, *, name: str | None = None, sheet: str | None = None
) -> RegisterCheck:
    """Read and validate a sub-activity register.

    Parameters
    ----------
    src : path, bytes or binary file
        CSV or XLSX in the layout of :data:`TEMPLATE_COLUMNS` (title rows allowed).
    desa : pandas.DataFrame
        The region's desa: ``kode_desa``, ``desa``, ``kecamatan``.
    name : str, optional
        File name for messages.
    sheet : str, optional
        XLSX sheet.

    Returns
    -------
    RegisterCheck
        ``len(register) + len(ditolak) == rows_in``.

    Raises
    ------
    InputSchemaError
        If the file cannot be read or lacks a required column.

    Notes
    -----
    A row is rejected when its code is not in the Kepmendagri 050-5889/2021 format, its
    strategy is unknown, its pagu is blank, unreadable, ambiguous or negative, a realisasi is
    written but unreadable or ambiguous (never blanked silently), its sasaran_jenis or a
    kebutuhan tag is not one of the allowed values, or a lokus entry matches no desa (or
    several) of the region. ``kabupaten`` as lokus means every desa.
    """
    label = name or "register"
    table = read_sheet(read_bytes(src), label=label, sheet=sheet, known=frozenset(TEMPLATE_COLUMNS))
    df = table.frame
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        msg = (
            f"{label}: kolom wajib register tidak ditemukan: {', '.join(missing)}. "
            f"Gunakan templat: {', '.join(TEMPLATE_COLUMNS)}"
        )
        en = f"{label}: required register columns not found: {', '.join(missing)}"
        raise InputSchemaError(msg, en=en)
    codes = list(desa["kode_desa"])
    names = dict(zip(desa["kode_desa"], desa["desa"], strict=True))
    index = _LokusIndex(desa)
    rows, rejected, matched, ambiguous = [], [], [], []
    for _, row in df.iterrows():
        problems, v = _check_fields(row, has_realisasi="realisasi" in df.columns)
        found, lokus_problems, row_matches, row_ambiguous = _row_lokus(row, index, codes, names)
        problems += lokus_problems
        if problems:
            rejected.append(
                {
                    "baris": int(row[ROW_COL]),
                    "kolom": "; ".join(p[0] for p in problems),
                    "nilai": "; ".join(p[1][:40] for p in problems),
                    "kode": "; ".join(dict.fromkeys(f"{p[0]}_tidak_sah" for p in problems)),
                    "alasan": "; ".join(p[2] for p in problems),
                }
            )
            continue
        matched.extend(row_matches)  # only for rows that are used
        ambiguous.extend(row_ambiguous)
        out = {c: row.get(c) for c in TEMPLATE_COLUMNS if c in df.columns}
        out.update(
            {
                "strategi": PERMENDAGRI_53[strategi]
                if (strategi := v["strategi"]) in PERMENDAGRI_53
                else int(strategi),
                "strategi_kode": strategi,
                "skema": PERMENDAGRI.nama if strategi in PERMENDAGRI_53 else INPRES.nama,
                "pagu_rp": round(v["pagu"]) if v["pagu"] is not None else None,
                "realisasi_rp": round(v["realisasi"]) if v["realisasi"] is not None else None,
                "lokus_kode": ";".join(sorted(dict.fromkeys(found))),
                "kebutuhan": ";".join(v["tags"]),
                "sasaran_jenis": v["sasaran"] or None,
                ROW_COL: int(row[ROW_COL]),
            }
        )
        rows.append(out)
    register = _register_frame(rows)
    skipped = table.dilewati
    ledger = table.ledger.then(
        Ledger.stage(label, rows_in=len(df), used=len(register), ditolak=rejections(
            rejected, berkas=label, lembar=sheet_name(table.sheet)))
    ).check()  # fmt: skip
    return RegisterCheck(
        register=register,
        ditolak=ledger.ditolak,
        berkas=label,
        cocok_lokus=pd.DataFrame(matched, columns=["baris", "nilai", "kode_desa", "desa", "skor"]),
        rows_in=len(df) + len(skipped),
        lokus_ambigu=pd.DataFrame(ambiguous, columns=LOKUS_AMBIGU_COLUMNS),
    )


def _register_frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    """Build the register table of the used rows (amounts and strategy as Int64)."""
    register = pd.DataFrame(
        rows,
        columns=[
            *TEMPLATE_COLUMNS, "strategi_kode", "skema", "pagu_rp", "realisasi_rp", "lokus_kode",
            ROW_COL,
        ],
    )  # fmt: skip
    register = register.loc[:, ~register.columns.duplicated()]
    if len(register):
        register["pagu_rp"] = register["pagu_rp"].astype("Int64")
        register["strategi"] = register["strategi"].astype("Int64")
        register["realisasi_rp"] = register["realisasi_rp"].astype("Int64")
    return register


def _check_fields(
    row: pd.Series, *, has_realisasi: bool
) -> tuple[list[tuple[str, str, str]], dict[str, Any]]:
    """Check a row's code, strategy, amounts, sasaran and kebutuhan tags.

    Returns the problems as (column, value, reason) and the parsed ``strategi``, ``pagu``,
    ``realisasi``, ``sasaran`` and ``tags``.
    """
    problems: list[tuple[str, str, str]] = []
    kode = _text(row, "kode_sub_kegiatan").strip()
    if not _KODE.match(kode):
        problems.append(
            (
                "kode_sub_kegiatan",
                kode,
                "kode tidak berformat Kepmendagri 050-5889/2021 (mis. 1.03.03.2.01.0005)",
            )
        )
    strategi, why = _strategi(row.get("strategi"))
    if strategi is None:
        problems.append(("strategi", _text(row, "strategi"), why))
    pagu, realisasi, amount_problems = _amounts(row, has_realisasi)
    problems.extend(amount_problems)
    sasaran = fold(_text(row, "sasaran_jenis"))
    if sasaran and sasaran not in SASARAN:
        problems.append(("sasaran_jenis", sasaran, f"harus salah satu dari {', '.join(SASARAN)}"))
    tags = [fold(t) for t in re.split(r"[;,\n]", _text(row, "kebutuhan")) if fold(t)]
    bad_tags = [t for t in tags if t not in KEBUTUHAN]
    if bad_tags:
        problems.append(
            ("kebutuhan", ", ".join(bad_tags), f"kebutuhan harus dari: {', '.join(KEBUTUHAN)}")
        )
    values = {"strategi": strategi, "pagu": pagu, "realisasi": realisasi, "sasaran": sasaran}
    return problems, {**values, "tags": tags}


def _row_lokus(
    row: pd.Series, index: _LokusIndex, codes: list[str], names: dict[str, str]
) -> tuple[list[str], list[tuple[str, str, str]], list[dict], list[dict]]:
    """Resolve a row's lokus: desa codes, problems, fuzzy matches and ambiguous picks."""
    lokus_text = _text(row, "lokus").strip()
    found: list[str] = []
    problems: list[tuple[str, str, str]] = []
    row_matches: list[dict[str, object]] = []
    row_ambiguous: list[dict[str, object]] = []
    if not lokus_text:
        problems.append(("lokus", "", "lokus kosong"))
    elif fold(lokus_text) in ("kabupaten", "kab", "semua desa"):
        found = codes
    else:
        for token in split_lokus(lokus_text):
            hit, why = index.find(token)
            if hit is None:
                problems.append(("lokus", token, why))
                continue
            found.append(hit)
            baris = int(row[ROW_COL])
            if index.score.get(token) is not None:
                row_matches.append({"baris": baris, "nilai": token, "kode_desa": hit,
                                    "desa": names[hit], "skor": index.score[token]})  # fmt: skip
            if why:
                row_ambiguous.append({"baris": baris, "nilai": token, "diambil": hit,
                                      "desa": names[hit], "alasan": why})  # fmt: skip
    return found, problems, row_matches, row_ambiguous


_LOKUS_SEP = re.compile(r"[;,\n\r]+")
"""Loci are separated by ``;``, ``,`` or a line break (Alt+Enter in an Excel cell)."""


def split_lokus(text: str) -> list[str]:
    r"""Split a lokus cell into its entries.

    Parameters
    ----------
    text : str
        ``"61.11.01.2001; Pangkalan Buton"`` or desa on separate lines (Alt+Enter).

    Returns
    -------
    list of str
        Entries with their spaces collapsed (:func:`geo.text.split_spaces`), blanks dropped.

    Examples
    --------
    >>> split_lokus("Sutera\nPangkalan Buton;  Sejahtera")
    ['Sutera', 'Pangkalan Buton', 'Sejahtera']
    """
    return [t for t in (split_spaces(p) for p in _LOKUS_SEP.split(text)) if t]


class _LokusIndex:
    """The region's desa, for finding one lokus entry by code or by name."""

    def __init__(self, desa: pd.DataFrame) -> None:
        self.names = dict(zip(desa["kode_desa"], desa["desa"], strict=True))
        norm = {k: normalise_name(v) for k, v in self.names.items()}
        self.keys, self.choices = list(norm), list(norm.values())
        self.kecamatan = {normalise_name(k): str(k) for k in desa["kecamatan"]}
        self.score: dict[str, float | None] = {}

    def find(self, token: str) -> tuple[str | None, str]:
        """Return the desa code of one entry and a note; None and the reason when none fits.

        A name that is also a kecamatan's (``Teluk Batang``) gives the desa, with a note
        saying which was taken and why, for the list of ambiguous loci.
        """
        self.score[token] = None
        code, _ = parse_kode_desa(token)
        if code is not None and code in self.names:
            return str(code), ""
        if pd.notna(code):
            return None, f"kode desa {code} tidak ada di wilayah"
        key = normalise_name(token)
        scored = process.extract(key, self.choices, scorer=fuzz.ratio, limit=2)
        if not scored or scored[0][1] < NAME_MATCH_MIN:
            if key in self.kecamatan:
                return None, "ini nama kecamatan: tulis desa-desanya, atau 'kabupaten'"
            return None, "nama desa tidak cocok dengan desa mana pun"
        if len(scored) > 1 and scored[0][1] - scored[1][1] < NAME_MATCH_MARGIN:
            return None, "nama desa ambigu"
        hit = self.keys[scored[0][2]]
        self.score[token] = round(float(scored[0][1]), 1)
        if key in self.kecamatan:
            kec = self.kecamatan[key]
            return hit, (
                f"'{token}' adalah nama desa dan juga nama kecamatan {kec}: desa {self.names[hit]} "
                f"({hit}) yang diambil, karena kolom lokus berisi desa. Bila yang dimaksud "
                "seluruh kecamatan, tulis desa-desanya"
            )
        return hit, ""


def register_template() -> pd.DataFrame:
    """Return the import template with one example row (a planner fills it in Excel).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TEMPLATE_COLUMNS`.
    """
    return pd.DataFrame(
        [
            {
                "tahun": "2025",
                "opd": "Dinas Pekerjaan Umum dan Penataan Ruang",
                "kode_sub_kegiatan": "1.03.03.2.01.0005",
                "nama_sub_kegiatan": "Pembangunan Sistem Penyediaan Air Minum Perdesaan",
                "strategi": "3",
                "pagu": "Rp 1.250.000.000",
                "sumber_dana": "DAU",
                "lokus": "61.11.01.2001; Pangkalan Buton",
                "sasaran_jenis": "wilayah",
                "target_volume": "2",
                "satuan": "unit",
                "realisasi": "",
                "kebutuhan": "air",
            }
        ],
        columns=TEMPLATE_COLUMNS,
    )
