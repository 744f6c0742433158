"""Read spreadsheet-shaped tables as they arrive: title rows, merged cells, repeated headers.

P3KE files come as Excel from the ministry or from field verification: title rows above the
header (data often start around row 13), two-row headers with merged group cells, kecamatan
and desa written once in a vertically merged cell, the header repeated on every printed page,
and ``JUMLAH``/``TOTAL`` rows. :func:`read_sheet` turns such a sheet into one row per data row,
keeping the spreadsheet row number, and lists every row it skipped with the reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geo.columns import KNOWN, canon
from geo.errors import InputSchemaError, RowLimitError
from geo.ledger import Ledger, rejections
from geo.limits import check_xlsx_rows, check_zip, max_rows
from geo.masking import mask_ids
from geo.text import fold
from geo.workbook import formulas_without_values, is_strict, ole2_kind, strict_to_transitional

__all__ = ["RawTable", "grids_from_bytes", "read_sheet", "sheet_notes"]

ROW_COL = "_baris"
MAX_COLUMNS = 1000
"""Most filled columns a sheet may have (a P3KE export has about 40)."""

HEADER_SCAN_ROWS = 40
"""Rows searched for the header (title blocks above it are usually under 15 rows)."""

TOTAL_WORDS = ("jumlah", "total", "sub total", "subtotal", "grand total")
"""Words that start a total row (compared after :func:`geo.text.fold`)."""


@dataclass
class Grid:
    """One sheet as text cells, with the positions of cells that were numbers."""

    rows: list[list[str | None]]
    numeric: set[tuple[int, int]] = field(default_factory=set)
    lengths: list[int] | None = None
    """Fields of each record as parsed (CSV only), before rows are padded to one width."""
    sep: str | None = None
    """The CSV separator (None for XLSX)."""
    hidden: bool = False
    """The sheet is hidden (or very hidden) in Excel."""
    active: bool = False
    """The sheet is the workbook's active sheet (the one Excel opens on)."""
    hidden_rows: set[int] = field(default_factory=set)
    """0-based rows hidden in Excel (by hand or by an AutoFilter)."""
    autofilter: bool = False
    """The sheet has an AutoFilter."""
    formulas: set[tuple[int, int]] = field(default_factory=set)
    """0-based cells holding a formula without a saved value (read as empty)."""
    formula_text: str = ""
    """The first such formula, for messages."""


@dataclass
class RawTable:
    """A sheet read into a table.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per data row, every cell a stripped string or ``<NA>``, columns named by
        :func:`geo.columns.canon`, plus ``_baris`` (the row number in the spreadsheet).
    dilewati : pandas.DataFrame
        Rows below the header that are not data (repeated headers, total rows, shifted
        rows), :data:`geo.ledger.LEDGER_COLUMNS`. They count as input rows.
    sheet : str
        Sheet used (``"csv"`` for CSV).
    sheets : list of str
        All sheets of the workbook.
    header_row : int
        Spreadsheet row of the (last) header row.
    numeric_cells : dict
        Column -> set of row numbers whose cell was stored as a number in the XLSX (a NIK
        stored as a number has lost digits).
    lembar_lain : list of str
        Other visible sheets that also hold a recognised P3KE header and were not read (a
        workbook with one sheet per kecamatan): the report and the app warn about them.
    """

    frame: pd.DataFrame
    dilewati: pd.DataFrame
    sheet: str
    sheets: list[str]
    header_row: int
    numeric_cells: dict[str, set[int]]
    lembar_lain: list[str] = field(default_factory=list)
    lembar_tersembunyi: list[str] = field(default_factory=list)
    """Sheets hidden in Excel; never read unless asked for by name."""
    baris_tersembunyi: list[int] = field(default_factory=list)
    """Spreadsheet rows of the data (used or listed) that Excel hides (by hand or by an
    AutoFilter): they are read like every other row."""
    autofilter: bool = False
    """The sheet read has an AutoFilter."""
    rumus_tanpa_nilai: dict[str, list[int]] = field(default_factory=dict)
    """Column -> spreadsheet rows whose cell holds a formula without a saved value (read as
    empty): the workbook was written by a program and never opened and saved in Excel."""
    rumus_contoh: str = ""
    """The first such formula (``VLOOKUP(A2,ref_desil!A:B,2,FALSE)``), for messages."""
    rumus_huruf: dict[str, str] = field(default_factory=dict)
    """Column -> its letter in Excel (``"E"``), for the columns of ``rumus_tanpa_nilai``."""
    judul: dict[str, str] = field(default_factory=dict)
    """Column -> its header as the file writes it (``"Peringkat Desil"``; a two-row header
    joined, ``"Penerima PKH"``), so messages and the rejected list name the user's column."""
    berkas: str = ""
    """File name (the ``label`` it was read with)."""

    @property
    def ledger(self) -> Ledger:
        """Row accounting of the sheet: rows below the header, data rows passed on, skipped."""
        return Ledger.stage(
            self.berkas,
            rows_in=len(self.frame) + len(self.dilewati),
            used=len(self.frame),
            ditolak=self.dilewati,
            lembar=sheet_name(self.sheet),
        )


def sheet_name(sheet: str | None) -> str:
    """Name the sheet as the ledger does: ``""`` for a CSV or Parquet file (no sheets)."""
    return "" if sheet in (None, "csv", "parquet") else str(sheet)


def _cell_text(value: object) -> tuple[str | None, bool]:
    """Text of an openpyxl cell value, and whether it was a number."""
    if value is None:
        return None, False
    if isinstance(value, bool):
        return ("Ya" if value else "Tidak"), False
    if isinstance(value, int):
        return str(value), True
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e21:
            return f"{value:.0f}", True
        return repr(value), True
    if isinstance(value, dt.datetime):
        return value.date().isoformat(), False
    if isinstance(value, dt.date):
        return value.isoformat(), False
    return _clean(str(value)), False


def _decode(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel "Unicode Text" export
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def grids_from_bytes(data: bytes, *, label: str) -> dict[str, Grid]:
    """Every sheet of an XLSX (merged ranges filled), or the one grid of a CSV.

    Parameters
    ----------
    data : bytes
        File content.
    label : str
        File name; ``.xlsx``/``.xlsm`` (or a zip signature) means Excel.

    Returns
    -------
    dict
        Sheet name -> :class:`Grid`, in workbook order.

    Raises
    ------
    InputSchemaError
        If the file cannot be parsed.
    """
    kind = ole2_kind(data)
    if kind == "encrypted":  # an OLE2 container holding an EncryptedPackage stream
        msg = (
            "berkas dilindungi kata sandi (Excel: Enkripsi dengan Kata Sandi), sehingga isinya "
            "tidak dapat dibaca. Buka berkas di Excel dengan kata sandinya, pilih File > Info > "
            "Proteksi Buku Kerja > Enkripsi dengan Kata Sandi, kosongkan kata sandi, klik OK, "
            "simpan, lalu unggah ulang. Jangan kirim kata sandinya ke Lokus."
        )
        en = (
            "the workbook is password-protected (Excel 'Encrypt with Password'), so its content "
            "cannot be read. Open it in Excel with its password, choose File > Info > Protect "
            "Workbook > Encrypt with Password, clear the password, click OK, save, and load it "
            "again. Lokus never asks for the password."
        )
        raise InputSchemaError(msg, en=en)
    if kind == "xls":  # OLE2 without encryption: Excel 97-2003 .xls
        msg = "format .xls (Excel 97-2003) tidak didukung: buka di Excel dan simpan sebagai .xlsx"
        raise InputSchemaError(
            msg, en="the .xls format (Excel 97-2003) is not supported: save as .xlsx"
        )
    # The content decides, not the name: a CSV renamed to .xlsx is still read as CSV.
    is_excel = data[:2] == b"PK"
    try:
        if is_excel:
            return _excel_grids(data, label)
        return {"csv": _csv_grid(data, label)}
    except InputSchemaError:
        raise
    except Exception as err:
        msg = f"{label}: tabel tidak dapat dibaca ({type(err).__name__}: {err})"
        en = f"{label}: the table cannot be read ({type(err).__name__}: {err})"
        raise InputSchemaError(msg, en=en) from err


def _excel_grids(data: bytes, label: str) -> dict[str, Grid]:
    from openpyxl import load_workbook

    check_zip(data, label=label)  # an XLSX is a zip: refuse a decompression bomb unopened
    strict = is_strict(data)
    if strict:  # "Strict Open XML": openpyxl knows only the transitional namespaces
        data = strict_to_transitional(data)
    check_xlsx_rows(data, label=label)  # and a sheet too long to hold in memory
    try:
        wb = load_workbook(io.BytesIO(data), data_only=True, read_only=False)
        if not wb.worksheets:
            no_sheet = "no worksheet"  # reported below like any other failure
            raise ValueError(no_sheet)
    except Exception as err:
        if strict:
            msg = (
                "berkas tersimpan sebagai 'Strict Open XML Spreadsheet' dan tidak dapat dibaca. "
                "Buka di Excel, pilih File > Simpan Sebagai > 'Buku Kerja Excel (*.xlsx)' (bukan "
                "Strict Open XML), lalu unggah ulang."
            )
            en = (
                f"the workbook is saved as 'Strict Open XML Spreadsheet' and cannot be read "
                f"({type(err).__name__}). Open it in Excel, choose File > Save As > 'Excel "
                "Workbook (*.xlsx)' (not Strict Open XML), and load it again."
            )
            raise InputSchemaError(msg, en=en) from err
        msg = "berkas XLSX rusak atau bukan XLSX (buka dan simpan ulang di Excel sebagai .xlsx)"
        en = f"corrupt or not an XLSX file ({type(err).__name__}); open and save it again as .xlsx"
        raise InputSchemaError(msg, en=en) from err
    no_values = formulas_without_values(data)
    grids: dict[str, Grid] = {}
    active = wb.active.title if wb.active is not None else None
    for ws in wb.worksheets:
        rows: list[list[str | None]] = []
        numeric: set[tuple[int, int]] = set()
        # The data width: the right-most cell holding a value. A title merged across the whole
        # row (A1:XFD1) must not make every row 16,384 cells wide.
        width = max((c for (_r, c), cell in ws._cells.items() if cell.value is not None), default=0)
        if width > MAX_COLUMNS:
            msg = f"lembar {ws.title!r} memiliki {width} kolom berisi; paling banyak {MAX_COLUMNS}"
            en = f"sheet {ws.title!r} has {width} filled columns; at most {MAX_COLUMNS}"
            raise InputSchemaError(msg, en=en)
        for r, row in enumerate(ws.iter_rows(values_only=True, max_col=max(width, 1))):
            texts = []
            for c, value in enumerate(row):
                text, was_number = _cell_text(value)
                texts.append(text)
                if was_number:
                    numeric.add((r, c))
            rows.append(texts)
        # Merged ranges hold their value in the top-left cell only: fill the whole range.
        for rng in ws.merged_cells.ranges:
            r0, c0 = rng.min_row - 1, rng.min_col - 1
            if r0 >= len(rows) or c0 >= len(rows[r0]):
                continue
            top = rows[r0][c0]
            for r in range(r0, min(rng.max_row, len(rows))):
                for c in range(c0, min(rng.max_col, len(rows[r]), width)):
                    rows[r][c] = top
                    if (r0, c0) in numeric:
                        numeric.add((r, c))
        cells, formula = no_values.get(ws.title, (set(), ""))
        grids[ws.title] = Grid(
            rows,
            numeric,
            hidden=ws.sheet_state != "visible",
            active=ws.title == active,
            hidden_rows={r - 1 for r, dim in ws.row_dimensions.items() if dim.hidden},
            autofilter=bool(ws.auto_filter.ref),
            formulas={(r, c) for r, c in cells if r < len(rows)},
            formula_text=formula,
        )
    wb.close()
    return grids


def _csv_grid(data: bytes, label: str) -> Grid:
    limit = max_rows()
    # Checked before decoding, in milliseconds: every CSV row ends with a line break (\n or
    # \r\n; the csv module refuses bare \r line ends).
    if data.count(b"\n") > limit + 1:
        _too_many_rows(label, data.count(b"\n"), limit)
    text = _decode(data)
    sample = text[:4096]
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    if "\x00" in sample or control > len(sample) / 20:
        msg = "bukan berkas teks CSV atau XLSX yang dapat dibaca (berisi data biner)"
        raise InputSchemaError(msg, en="not a readable CSV or XLSX file (binary content)")
    sep = _delimiter(text) or ","
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    rows = []
    lengths: list[int] = []
    spans: dict[int, tuple[int, int]] = {}  # record -> (its first text line, lines it ran over)
    line = 0  # physical line the next record starts on, minus one
    for row in reader:
        if reader.line_num - line > 1:  # a quoted cell holds line breaks
            spans[len(rows)] = (line + 1, reader.line_num - line - 1)
        line = reader.line_num
        # Excel's own limit is 16,384 columns; beyond MAX_COLUMNS filled cells, refuse.
        if len(row) > MAX_COLUMNS and (
            len(row) > 16_384 or sum(1 for c in row if c.strip()) > MAX_COLUMNS
        ):
            msg = (
                f"baris {reader.line_num} memiliki {len(row)} kolom; paling banyak {MAX_COLUMNS} "
                "(satu berkas P3KE berisi sekitar 40 kolom)"
            )
            en = f"row {reader.line_num} has {len(row)} columns; at most {MAX_COLUMNS}"
            raise InputSchemaError(msg, en=en)
        # _clean inlined for the common case (no Excel text marker): called on every cell.
        rows.append([_clean(t) if t[:1] == "'" else (t or None) for t in map(str.strip, row)])
        lengths.append(len(row))
    if spans:
        width = Counter(lengths).most_common(1)[0][0]
        for r, (start, spanned) in spans.items():
            _check_open_quote(rows[r], lengths[r], width, sep, start, spanned, label)
    return Grid(rows, lengths=lengths, sep=sep)


def _check_open_quote(
    row: list[str | None], n: int, width: int, sep: str, start: int, spanned: int, label: str
) -> None:
    """Refuse a record whose quoted cell swallowed whole rows (a quote never closed).

    A cell may hold line breaks (an address typed with Alt+Enter in Excel) and the record
    keeps the file's field count. A stray ``"`` opens a quote that runs to the next stray
    quote or to the end of the file: the record then has another field count than most
    records (``width``), or a line inside the cell holds half a row's separators. The rows in
    between would be lost without a word, so the file is refused.
    """
    threshold = max(2, (width - 1) // 2)
    for c, cell in enumerate(row):
        lines = (cell or "").splitlines()[1:]
        if lines and (n != width or any(part.count(sep) >= threshold for part in lines)):
            msg = (
                f'{label}: baris teks {start}, kolom {c + 1}: tanda kutip (") dibuka tetapi '
                f"tidak ditutup, sehingga {spanned} baris berikutnya terbaca sebagai isi satu "
                "sel. Tutup atau hapus tanda kutip itu, lalu unggah ulang berkasnya."
            )
            en = (
                f'{label}: text line {start}, column {c + 1}: a quote (") is opened and not '
                f"closed, so the next {spanned} lines were read as one cell. Close or remove "
                "that quote and load the file again."
            )
            raise InputSchemaError(msg, en=en)


def _filled_len(row: list[str | None]) -> int:
    """Count the fields up to the last filled one (trailing empty fields do not count)."""
    n = len(row)
    while n and row[n - 1] is None:
        n -= 1
    return n


def _misaligned(row: list[str | None], n: int, n_header: int, sep: str, lenient: bool) -> str:
    """Say why a CSV data row's values would land in the wrong columns ("" when they fit).

    ``n`` is the row's field count as parsed, ``n_header`` the header's (to its last name).
    More filled fields than names: a separator inside an unquoted cell (``Jl. Melati, RT 1``)
    or a quote that merged cells; fewer fields with a separator or quote inside a cell: a
    stray quote merged several cells. Either way the values are shifted, so the row is listed
    with its reason instead of being used with wrong values. Rows that only omit trailing
    empty fields are fine. ``lenient`` (most rows longer than the header: unnamed columns)
    skips the first test.
    """
    filled = _filled_len(row)
    if filled > n_header and not lenient:
        return (
            f"baris berisi {filled} nilai, judul kolom hanya {n_header}: pemisah {sep!r} di "
            "dalam sel tanpa tanda kutip, atau tanda kutip yang tidak ditutup; nilai bergeser "
            "ke kolom lain, baris tidak dipakai"
        )
    if n < n_header and any(v is not None and (sep in v or '"' in v) for v in row):
        return (
            f'baris berisi {n} kolom, judul kolom {n_header}: tanda kutip (") yang tidak '
            "ditutup menggabungkan beberapa sel; nilai bergeser ke kolom lain, baris tidak "
            "dipakai"
        )
    return ""


def _too_many_rows(label: str, n: int, limit: int) -> None:
    raise RowLimitError(label, f"sekitar {n:,} baris", f"about {n:,} rows", limit, "berkas")


def _clean(cell: str) -> str | None:
    """Strip a cell; drop Excel's text marker (a leading apostrophe before digits)."""
    text = cell.strip()
    if text.startswith("'") and text[1:].strip().isdigit():
        text = text[1:].strip()
    return text or None


def _delimiter(text: str) -> str | None:
    """Pick the separator used most consistently over the first lines (titles have none)."""
    lines = [ln for ln in text.splitlines()[:60] if ln.strip()]
    best, best_score = None, 0
    for sep in (";", ",", "\t", "|"):
        counts = [ln.count(sep) for ln in lines if ln.count(sep) > 0]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = counts.count(mode) * mode
        if score > best_score:
            best, best_score = sep, score
    return best


_PLAIN_NUMBER = re.compile(r"^[-+]?\d[\d.,]*$")


def _score(names: list[str | None], known: frozenset[str] = KNOWN) -> int:
    """How much a row looks like the header: distinct known column names, less its numbers.

    A data row can hold words that are also column names (``x``, ``y``, ``desa`` in a notes
    column) but also holds codes and desil values; a header row holds no plain numbers.
    """
    distinct = {canon(n) for n in names if n} & known
    numbers = sum(1 for n in names if n and _PLAIN_NUMBER.match(n.strip()))
    return len(distinct) - numbers


def _combine(top: str | None, bottom: str | None, known: frozenset[str] = KNOWN) -> str | None:
    """Name of a column under a two-row header."""
    if top is None:
        return bottom
    if bottom is None or canon(top) == canon(bottom):
        return top
    for candidate in (f"{top} {bottom}", bottom):  # the group name kept where it is known
        if canon(candidate) in known:
            return candidate
    return f"{top} {bottom}"


def _group_row(above: list[str | None], header: list[str | None]) -> list[str | None] | None:
    """Group names over the header row, one per column (None where no group), or None.

    With the header's own cells merged down over two rows (``No``, ``Desil`` in A3:A4), the
    sub-header row (``Lintang``, ``Bujur``, ``PKH``, ``BPNT``) scores highest and the group row
    above it (``Koordinat`` over two columns beside ``Penerima`` over two) would be lost. A
    group name spans at least two adjacent columns (a merged cell) and differs from the name
    below; a title merged across the whole row is one value, not a group row, and a row holding
    plain numbers is data.
    """
    values = [v for v in above if v is not None]
    if len(set(values)) < 2 or any(_PLAIN_NUMBER.match(v.strip()) for v in values):
        return None
    groups: list[str | None] = []
    for c, top in enumerate(above):
        spans = top is not None and any(
            0 <= d < len(above) and above[d] == top for d in (c - 1, c + 1)
        )
        groups.append(top if spans and top != header[c] else None)
    return groups if any(g is not None for g in groups) else None


def _only_running_number(row: list[str | None], columns: list[str]) -> bool:
    """Tell whether a template row holds nothing but its running number ("No")."""
    filled = [c for c, v in zip(columns, row, strict=False) if v is not None]
    return filled in (["no"], ["nomor"], ["no_urut"])


def _is_blank(row: list[str | None]) -> bool:
    return all(v is None for v in row)


_NUMBER = re.compile(r"[0-9.,+\-/ ]+")
"""A cell of ASCII digits and number punctuation (codes, NIK, coordinates, counts)."""
_NUMBER_NAME = re.compile(r"[0-9,+_]*")
"""What :func:`geo.columns.canon` can make of a :data:`_NUMBER` cell."""


def _repeats_header(filled: list[str], header_canon: set[str], numbers_are_names: bool) -> bool:
    """Whether at least half of a row's filled cells are header names (a repeated header).

    Stops at the first cell past which half can no longer be reached: a data row usually
    answers after half its cells, most of them numbers that are never canonicalised (see
    :data:`_NUMBER`).
    """
    need = len(filled) / 2
    misses_left = len(filled) - need
    hits = 0
    for v in filled:
        if (numbers_are_names or not _NUMBER.fullmatch(v)) and _canon(v) in header_canon:
            hits += 1
            if hits >= need:
                return True
        else:
            misses_left -= 1
            if misses_left < 0:
                return False
    return hits >= need


@functools.lru_cache(maxsize=100_000)
def _canon(value: str) -> str:
    """:func:`geo.columns.canon`, remembered: data cells repeat (desa, kecamatan, answers)."""
    return canon(value)


def read_sheet(
    data: bytes, *, label: str, sheet: str | None = None, known: frozenset[str] | None = None
) -> RawTable:
    """Read one sheet of a CSV/XLSX file into a table of text.

    Parameters
    ----------
    data : bytes
        File content.
    label : str
        File name, for messages and format detection.
    sheet : str, optional
        Sheet to read. Default: the first sheet whose header holds at least two recognised
        P3KE column names, else the first sheet.
    known : frozenset of str, optional
        Column names that mark the header row (default: the P3KE vocabulary of
        :mod:`geo.columns`; the register passes its template columns).

    Returns
    -------
    RawTable
        The data rows, the skipped rows and where the header was found.

    Raises
    ------
    InputSchemaError
        If the file cannot be parsed, the sheet does not exist, or the sheet is empty.

    Notes
    -----
    The header is the row, among the first 40, with the most recognised column names; when
    joining it with the row below (merged group cells over sub-headers) recognises more
    names, both rows form the header. Below it, blank rows are ignored; rows repeating the
    header and rows whose first cells say ``JUMLAH``/``TOTAL`` are listed as skipped.
    """
    vocab = known if known is not None else KNOWN
    if data[:4] == b"PAR1":  # (Geo)Parquet: a working file, one record per row, no title rows
        return _parquet_table(data, label=label)
    try:
        grids = grids_from_bytes(data, label=label)
    except InputSchemaError as err:
        if str(err).startswith(label):
            raise
        msg = f"{label}: {err}"
        raise InputSchemaError(msg, en=f"{label}: {err.en}") from err
    names = list(grids)
    chosen = _choose_sheet(grids, sheet, vocab, label)
    others = [
        n
        for n in names
        if n != chosen
        and not grids[n].hidden  # hidden sheets are named in sheet_notes
        and grids[n].rows
        and max(_score(r, vocab) for r in grids[n].rows[:HEADER_SCAN_ROWS]) >= 2
    ]
    grid = grids[chosen]
    rows = grid.rows
    if not rows or all(_is_blank(r) for r in rows):
        raise _empty(label, chosen, grids, asked=sheet is not None, sheets=data[:2] == b"PK")
    width = max(len(r) for r in rows)
    rows = [r if len(r) == width else r + [None] * (width - len(r)) for r in rows]

    header, first_data = _find_header(rows, vocab)
    columns = _column_names(header)
    records, baris, skipped = _data_rows(rows, first_data, header, columns, grid)
    judul = {c: " ".join(str(h).split()) for c, h in zip(columns, header, strict=True) if h}

    frame = pd.DataFrame(records, columns=columns, dtype="string")
    keep = [c for c in columns if not (c.startswith("kolom_") and frame[c].isna().all())]
    frame = frame[keep]
    frame[ROW_COL] = baris
    numeric = _cells_by_column(grid.numeric, first_data, columns, keep)
    dilewati = rejections(skipped, berkas=label, lembar=sheet_name(chosen))
    listed = set(baris) | {int(s["baris"]) for s in skipped}
    return RawTable(
        frame=frame.reset_index(drop=True),
        dilewati=dilewati,
        sheet=chosen,
        berkas=label,
        sheets=names,
        header_row=first_data,
        numeric_cells=numeric,
        lembar_lain=others,
        lembar_tersembunyi=[n for n in names if grids[n].hidden],
        baris_tersembunyi=sorted(r + 1 for r in grid.hidden_rows if r + 1 in listed),
        autofilter=grid.autofilter,
        judul=judul,
        rumus_tanpa_nilai={
            c: sorted(rows)
            for c, rows in _cells_by_column(grid.formulas, first_data, columns, columns).items()
        },
        rumus_contoh=grid.formula_text,
        rumus_huruf={columns[c]: _letter(c) for _, c in grid.formulas if c < len(columns)},
    )


def _find_header(rows: list[list[str | None]], vocab: frozenset[str]) -> tuple[list, int]:
    """Find the header (one row, or two joined); return it and the index of the first data row."""
    scan = rows[:HEADER_SCAN_ROWS]
    scores = [_score(r, vocab) for r in scan]
    if max(scores) >= 2:
        h = scores.index(max(scores))
    else:
        h = next(i for i, r in enumerate(rows) if not _is_blank(r))
    header = rows[h]
    n_header = 1
    below = rows[h + 1] if h + 1 < len(rows) else []
    # A sub-header row holds no plain numbers; a data row (codes, desil) does.
    if below and not any(v and _PLAIN_NUMBER.match(v.strip()) for v in below):
        combined = [_combine(t, b, vocab) for t, b in zip(header, below, strict=True)]
        if _score(combined, vocab) > _score(header, vocab):
            header, n_header = combined, 2
    if n_header == 1 and h > 0 and (groups := _group_row(rows[h - 1], header)):
        header = [_combine(t, b, vocab) for t, b in zip(groups, header, strict=True)]
    return header, h + n_header


def _column_names(header: list[str | None]) -> list[str]:
    """Canonical, unique column names (``kolom_<n>`` for a blank header cell)."""
    columns: list[str] = []
    for c, value in enumerate(header):
        base = canon(value) if value else f"kolom_{c + 1}"
        name, k = base, 2
        while name in columns:
            name, k = f"{base}_{k}", k + 1
        columns.append(name)
    return columns


def _data_rows(
    rows: list[list[str | None]],
    first_data: int,
    header: list[str | None],
    columns: list[str],
    grid: Grid,
) -> tuple[list[list[str | None]], list[int], list[dict[str, object]]]:
    """Split the rows below the header into data rows (with 1-based row numbers) and skipped.

    Blank rows and lone running numbers are ignored; repeated headers, total rows and CSV
    rows whose values would shift columns are skipped with a reason.
    """
    width = len(header)
    header_canon = {canon(v) for v in header if v}
    # A cell of ASCII digits and number punctuation folds to digits, commas, plus signs and
    # underscores: it can match no header name unless one is made of those alone. Such cells
    # (NIK, KK, codes, coordinates) are not canonicalised, which they were once per row.
    numbers_are_names = any(_NUMBER_NAME.fullmatch(h) for h in header_canon)
    records: list[list[str | None]] = []
    baris: list[int] = []
    skipped: list[dict[str, object]] = []
    # CSV: a row whose values would shift columns (see _misaligned) is listed, not used.
    n_header = _filled_len(header)
    lengths, sep = grid.lengths, grid.sep
    lenient = False
    if lengths is not None and sep is not None:
        longer = sum(_filled_len(rows[r]) > n_header for r in range(first_data, len(rows)))
        lenient = longer > (len(rows) - first_data) / 2
    for r in range(first_data, len(rows)):
        row = rows[r]
        filled = [v for v in row if v is not None]
        # A total row: a cell that starts with JUMLAH/TOTAL, and few other cells filled (its
        # label may sit alone in the No column).
        first_cells = [fold(v) for v in filled] if len(filled) <= width / 2 + 1 else []
        if not filled or (
            len(filled) == 1
            and _only_running_number(row, columns)
            and not any(v.startswith(TOTAL_WORDS) for v in first_cells)
        ):
            continue
        # Header names have no NIK-long digit runs, so masking before the comparison changes
        # nothing; only the cells shown in the report are masked.
        if len(filled) >= 2 and _repeats_header(filled, header_canon, numbers_are_names):
            shown = " | ".join(mask_ids(v) for v in filled[:4])
            skipped.append(
                {
                    "baris": r + 1,
                    "nilai": shown,
                    "kode": "judul_berulang",
                    "alasan": "judul kolom berulang",
                }
            )
        elif any(v.startswith(TOTAL_WORDS) for v in first_cells):
            shown = " | ".join(mask_ids(v) for v in filled[:4])
            skipped.append(
                {
                    "baris": r + 1,
                    "nilai": shown,
                    "kode": "baris_jumlah",
                    "alasan": "baris jumlah/total",
                }
            )
        elif (
            lengths is not None
            and sep is not None
            and (why := _misaligned(row, lengths[r], n_header, sep, lenient))
        ):
            shown = " | ".join(mask_ids(v) for v in filled[:4])
            skipped.append(
                {"baris": r + 1, "nilai": shown, "kode": "baris_bergeser", "alasan": why}
            )
        else:
            records.append(row)
            baris.append(r + 1)
    return records, baris, skipped


def _letter(c: int) -> str:
    """Excel column letter of a 0-based column index (0 -> ``A``, 26 -> ``AA``)."""
    letters = ""
    c += 1
    while c:
        c, rem = divmod(c - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _cells_by_column(
    cells: set[tuple[int, int]], first_data: int, columns: list[str], keep: list[str]
) -> dict[str, set[int]]:
    """Group 0-based data cells by column name, as spreadsheet row numbers."""
    out: dict[str, set[int]] = {}
    wanted = set(keep)
    for r, c in cells:
        if r >= first_data and c < len(columns) and columns[c] in wanted:
            out.setdefault(columns[c], set()).add(r + 1)
    return out


def _empty(
    label: str, chosen: str, grids: dict[str, Grid], *, asked: bool, sheets: bool
) -> InputSchemaError:
    """Build the error for an empty file or sheet, naming hidden sheets that hold data."""
    if not sheets:  # a CSV has no sheets to name
        msg = f"{label}: berkas kosong (tidak ada baris berisi)"
        return InputSchemaError(msg, en=f"{label}: the file is empty (no filled rows)")
    msg, en = f"{label}: lembar {chosen!r} kosong", f"{label}: sheet {chosen!r} is empty"
    held = [n for n, g in grids.items() if n != chosen and g.hidden and g.rows]
    if held and not asked:  # the data sit in a sheet hidden in Excel
        listed = ", ".join(repr(n) for n in held)
        msg += (
            f"; lembar tersembunyi di Excel berisi data: {listed}. Pilih lembar itu di "
            "'Lembar' (atau tampilkan di Excel: klik kanan tab lembar > Unhide, simpan)"
        )
        en += (
            f"; sheets hidden in Excel hold data: {listed}. Choose one with --sheet "
            "(or unhide it in Excel: right-click a sheet tab > Unhide, save)"
        )
    return InputSchemaError(msg, en=en)


def _choose_sheet(
    grids: dict[str, Grid], sheet: str | None, vocab: frozenset[str], label: str
) -> str:
    """Pick the sheet to read: the one asked for, else the active visible sheet with a header.

    Without ``sheet``: the active sheet (the one Excel opens on) when it is visible and holds
    a recognised header, else the first visible sheet with one, else the first visible sheet.
    Hidden sheets are read only when asked for by name.
    """
    names = list(grids)
    if not names:
        msg = f"{label}: buku kerja tidak berisi lembar kerja"
        raise InputSchemaError(msg, en=f"{label}: the workbook holds no worksheet")
    if sheet is not None:
        if sheet not in grids:
            msg = f"{label}: lembar {sheet!r} tidak ada; lembar yang ada: {', '.join(names)}"
            en = f"{label}: no sheet {sheet!r}; sheets: {', '.join(names)}"
            raise InputSchemaError(msg, en=en)
        return sheet

    def has_header(n: str) -> bool:
        top = grids[n].rows[:HEADER_SCAN_ROWS]
        return bool(top) and max(_score(r, vocab) for r in top) >= 2

    visible = [n for n in names if not grids[n].hidden] or names
    active = [n for n in visible if grids[n].active]
    for n in active + visible:
        if has_header(n):
            return n
    return visible[0]


def _parquet_table(data: bytes, *, label: str) -> RawTable:
    """Read a (Geo)Parquet household table as text, like a CSV.

    Columns get their canonical names; every cell becomes text (numbers in their shortest
    form). A point geometry in EPSG:4326 gives ``lintang``/``bujur`` where those columns are
    absent. Row ``i`` (0-based) is reported as row ``i + 2``, as if a header row preceded it.
    """
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(io.BytesIO(data))
        meta = (table.schema.metadata or {}).get(b"geo")
        if meta is not None:
            import geopandas as gpd

            gdf = gpd.read_parquet(io.BytesIO(data))
            if gdf.crs is not None and not gdf.crs.equals("EPSG:4326"):
                gdf = gdf.to_crs(4326)
            geom = gdf.geometry
            frame = pd.DataFrame(gdf.drop(columns=geom.name))
            names = {canon(c) for c in frame.columns}
            if "lintang" not in names and "bujur" not in names:
                import shapely

                g = geom.to_numpy()
                ok = ~(shapely.is_missing(g) | shapely.is_empty(g))
                xy = np.full((len(g), 2), np.nan)
                xy[ok] = shapely.get_coordinates(g[ok])  # one coordinate pair per point
                frame["lintang"], frame["bujur"] = xy[:, 1], xy[:, 0]
        else:
            frame = table.to_pandas()
    except Exception as err:
        msg = f"{label}: berkas Parquet tidak dapat dibaca ({type(err).__name__}: {err})"
        en = f"{label}: the Parquet file cannot be read ({type(err).__name__}: {err})"
        raise InputSchemaError(msg, en=en) from err
    columns: list[str] = []
    for c in frame.columns:
        base = canon(str(c)) or "kolom"
        name, k = base, 2
        while name in columns:
            name, k = f"{base}_{k}", k + 1
        columns.append(name)
    judul = {n: str(c) for n, c in zip(columns, frame.columns, strict=True)}
    frame.columns = columns
    text = pd.DataFrame(
        {c: frame[c].astype("string").str.strip() for c in columns}, index=frame.index
    )
    text = text.replace("", pd.NA)
    text[ROW_COL] = range(2, len(text) + 2)
    return RawTable(
        frame=text.reset_index(drop=True),
        dilewati=rejections(berkas=label),
        sheet="parquet",
        berkas=label,
        sheets=["parquet"],
        header_row=1,
        numeric_cells={},
        judul=judul,
    )


def _ranges(rows: list[int]) -> str:
    """Row numbers as ranges: ``[2, 3, 4, 7]`` -> ``"2-4, 7"``."""
    parts: list[str] = []
    for r in sorted(rows):
        if parts and not parts[-1].endswith(f"-{r - 1}") and parts[-1] == str(r - 1):
            parts[-1] = f"{r - 1}-{r}"
        elif parts and parts[-1].endswith(f"-{r - 1}"):
            parts[-1] = parts[-1].rsplit("-", 1)[0] + f"-{r}"
        else:
            parts.append(str(r))
    return ", ".join(parts)


def sheet_notes(table: RawTable, label: str) -> list[tuple[str, str]]:
    """Say what Excel hid or did not save in the sheet read: one (Indonesian, English) pair each.

    Parameters
    ----------
    table : RawTable
        Output of :func:`read_sheet`.
    label : str
        File name.

    Returns
    -------
    list of (str, str)
        Messages for the app (Bahasa Indonesia) and the CLI (English), naming file, sheet,
        column and rows: formulas without saved values (and how to fix them), hidden sheets
        (never read unless chosen), the sheet read being hidden, and rows hidden in Excel
        (by hand or by an AutoFilter; they are read like every other row).
    """
    notes: list[tuple[str, str]] = []
    where = f"{label}, lembar {table.sheet!r}"
    where_en = f"{label}, sheet {table.sheet!r}"
    example = f" (mis. ={table.rumus_contoh})" if table.rumus_contoh else ""
    example_en = f" (e.g. ={table.rumus_contoh})" if table.rumus_contoh else ""
    for column, rows in table.rumus_tanpa_nilai.items():
        letter = f" ({table.rumus_huruf[column]})" if column in table.rumus_huruf else ""
        notes.append((
            f"{where}, kolom {column}{letter}, baris {_ranges(rows)}: {len(rows)} sel berisi rumus"
            f"{example} tanpa nilai tersimpan, sehingga terbaca kosong. Berkas ini ditulis "
            "program dan belum pernah disimpan di Excel. Perbaikan: buka berkas di Excel lalu "
            "simpan, atau salin kolom itu lalu Tempel Spesial > Nilai, kemudian unggah ulang.",
            f"{where_en}, column {column}{letter}, rows {_ranges(rows)}: {len(rows)} cells hold a "
            f"formula{example_en} without a saved value, so they read as empty. The file was "
            "written by a program and never saved in Excel. Fix: open it in Excel and save it, "
            "or copy the column and Paste Special > Values, then load it again.",
        ))  # fmt: skip
    hidden = [n for n in table.lembar_tersembunyi if n != table.sheet]
    if table.sheet in table.lembar_tersembunyi:
        notes.append((
            f"{where}: lembar yang dibaca tersembunyi di Excel (dipilih dengan namanya).",
            f"{where_en}: the sheet read is hidden in Excel (chosen by name).",
        ))  # fmt: skip
    if hidden:
        names = ", ".join(repr(n) for n in hidden)
        notes.append((
            f"{label}: lembar tersembunyi di Excel, tidak dibaca: {names}. Pilih lembar itu "
            "bila datanya ada di sana.",
            f"{label}: sheets hidden in Excel, not read: {names} (choose one with --sheet if "
            "the data are there).",
        ))  # fmt: skip
    if table.baris_tersembunyi:
        n = len(table.baris_tersembunyi)
        why = "AutoFilter atau baris disembunyikan" if table.autofilter else "baris disembunyikan"
        why_en = "an AutoFilter or hidden rows" if table.autofilter else "hidden rows"
        notes.append((
            f"{where}: {n} baris tersembunyi di Excel ({why}; baris {_ranges(table.baris_tersembunyi)}"
            "). Semua baris tetap dibaca: berkas berisi lebih banyak baris daripada yang tampil "
            "di layar Excel.",
            f"{where_en}: {n} rows are hidden in Excel ({why_en}; rows "
            f"{_ranges(table.baris_tersembunyi)}). Every row was read: the file holds more rows "
            "than Excel shows.",
        ))  # fmt: skip
    return notes
