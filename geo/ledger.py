"""Row accounting: every input row is either used or listed as rejected, with its reason.

One schema serves every reader (households, person-level files, the family table, boundaries,
the register; next: verification sheets, recipient lists, snapshot matching). A reader returns
a :class:`Ledger` per stage; stages of one file chain with :meth:`Ledger.then`, parts of one
stage (Dask partitions, several files) add up with :meth:`Ledger.merge`, and
:meth:`Ledger.check` raises :class:`geo.errors.LedgerError` when
``rows_in != rows_used + rows_rejected``. ``rejected.csv``, the "Laporan impor" page and the
workbook's ``laporan_impor`` sheet are written from :attr:`Ledger.ditolak`.

Examples
--------
>>> sheet = Ledger.stage("k.csv", rows_in=5, used=4, ditolak=rejections(
...     [{"baris": 3, "kode": "baris_jumlah", "alasan": "baris jumlah/total"}], berkas="k.csv"))
>>> checked = Ledger.stage("k.csv", rows_in=4, used=4)
>>> whole = sheet.then(checked).check()
>>> (whole.rows_in, whole.rows_used, whole.rows_rejected)
(5, 4, 1)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pandas as pd

from geo.errors import LedgerError
from geo.masking import mask_ids

__all__ = ["LEDGER_COLUMNS", "Ledger", "rejections"]

LEDGER_COLUMNS = ["berkas", "lembar", "baris", "kolom", "nilai", "kode", "alasan"]
"""The schema of a rejected or skipped row.

``berkas`` file name; ``lembar`` sheet (``""`` for CSV and for layers); ``baris`` its row as the
user sees it in the file (1 = the first line); ``kolom`` the column as the user wrote it
(``""`` when the whole row is at fault; ``; ``-joined when several cells are); ``nilai`` the
value, with every NIK- or No KK-long digit run masked (:func:`geo.masking.mask_ids`); ``kode``
a short stable reason code (``desil_tidak_sah``, ``baris_jumlah`` ...) for counting and
filtering; ``alasan`` the reason as a sentence in Bahasa Indonesia."""


def rejections(
    rows: Iterable[Mapping[str, object]] | pd.DataFrame | None = None,
    *,
    berkas: str,
    lembar: str = "",
    kode: str = "",
) -> pd.DataFrame:
    """Put rejected rows into the ledger schema.

    Parameters
    ----------
    rows : iterable of mappings or pandas.DataFrame, optional
        Rows with any of :data:`LEDGER_COLUMNS`; missing columns are filled (``berkas``,
        ``lembar`` and ``kode`` from the arguments, the rest ``""``). None: no row.
    berkas : str
        File name, used where a row names none.
    lembar : str, default ""
        Sheet name, used where a row names none.
    kode : str, default ""
        Reason code, used where a row names none.

    Returns
    -------
    pandas.DataFrame
        Exactly :data:`LEDGER_COLUMNS`, ``baris`` int64, the others text; ``nilai`` masked.
    """
    frame = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows or []))
    for col, default in (("berkas", berkas), ("lembar", lembar), ("kode", kode)):
        if col not in frame.columns:
            frame[col] = default
        else:
            frame[col] = frame[col].fillna(default).replace("", default)
    for col in ("kolom", "nilai", "alasan"):
        if col not in frame.columns:
            frame[col] = ""
    if "baris" not in frame.columns:
        frame["baris"] = pd.Series(dtype="int64")
    frame["nilai"] = [mask_ids("" if pd.isna(v) else str(v)) for v in frame["nilai"]]
    frame["baris"] = frame["baris"].astype("int64")
    return frame[LEDGER_COLUMNS].reset_index(drop=True)


@dataclass(frozen=True)
class Ledger:
    """How many rows of an input went in, how many were used, and every rejected one.

    Attributes
    ----------
    berkas : str
        File name (for messages).
    rows_in : int
        Rows read (below the header, blank rows aside).
    used : int
        Rows counted in a result. Counted by the stage itself (e.g. the member rows of the
        families placed in a desa), never derived as ``rows_in - rows_rejected``, so that
        :meth:`check` can fail.
    ditolak : pandas.DataFrame
        One row per rejected or skipped input row, :data:`LEDGER_COLUMNS`, sorted by ``baris``.
    """

    berkas: str
    rows_in: int
    used: int
    ditolak: pd.DataFrame = field(default_factory=lambda: rejections(berkas=""))

    @classmethod
    def stage(
        cls,
        berkas: str,
        *,
        rows_in: int,
        used: int,
        ditolak: pd.DataFrame | None = None,
        lembar: str = "",
        kode: str = "",
    ) -> Ledger:
        """Build the ledger of one stage, its rejected rows put into the schema.

        Parameters
        ----------
        berkas : str
            File name.
        rows_in, used : int
            Rows that entered the stage and rows it passed on or counted.
        ditolak : pandas.DataFrame, optional
            Rejected rows (any of :data:`LEDGER_COLUMNS`); none when omitted.
        lembar, kode : str, default ""
            Sheet and reason code for rows that name none (:func:`rejections`).

        Returns
        -------
        Ledger
        """
        table = rejections(ditolak, berkas=berkas, lembar=lembar, kode=kode)
        table = table.sort_values("baris", kind="stable").reset_index(drop=True)
        return cls(berkas=berkas, rows_in=int(rows_in), used=int(used), ditolak=table)

    @property
    def rows_used(self) -> int:
        """Rows used (alias of :attr:`used`, the name ``report.json`` writes)."""
        return self.used

    @property
    def rows_rejected(self) -> int:
        """Rows rejected or skipped, each with a reason."""
        return len(self.ditolak)

    def check(self) -> Ledger:
        """Check ``rows_in == rows_used + rows_rejected``.

        Returns
        -------
        Ledger
            ``self``, so that a reader can ``return ledger.check()``.

        Raises
        ------
        LedgerError
            If the rows do not add up: a row was lost or counted twice (a defect of Lokus).
        """
        if self.rows_in != self.used + self.rows_rejected:
            msg = (
                f"{self.berkas}: hitungan baris tidak cocok: {self.rows_in} baris masuk, "
                f"{self.used} dipakai, {self.rows_rejected} ditolak. Ini galat Lokus; "
                "laporkan bersama berkasnya."
            )
            en = (
                f"{self.berkas}: row accounting broken: {self.rows_in} rows in, {self.used} used, "
                f"{self.rows_rejected} rejected. This is a Lokus defect; please report it."
            )
            raise LedgerError(msg, en=en)
        return self

    def then(self, later: Ledger) -> Ledger:
        """Chain a later stage of the same input (sheet -> validation -> placement).

        Parameters
        ----------
        later : Ledger
            The next stage; it must take in exactly the rows this stage used.

        Returns
        -------
        Ledger
            ``rows_in`` of this stage, ``used`` of the later one, both stages' rejected rows.

        Raises
        ------
        LedgerError
            If ``later.rows_in != self.used`` (rows lost between the stages).
        """
        if later.rows_in != self.used:
            msg = (
                f"{self.berkas}: {self.used} baris diteruskan, tetapi tahap berikutnya menerima "
                f"{later.rows_in}. Ini galat Lokus; laporkan bersama berkasnya."
            )
            en = (
                f"{self.berkas}: {self.used} rows passed on, but the next stage took "
                f"{later.rows_in}. This is a Lokus defect; please report it."
            )
            raise LedgerError(msg, en=en)
        return Ledger(
            berkas=self.berkas or later.berkas,
            rows_in=self.rows_in,
            used=later.used,
            ditolak=_sorted(self.ditolak, later.ditolak),
        )

    def merge(self, other: Ledger) -> Ledger:
        """Add up two parts of one stage (Dask partitions, or two files read alike).

        Parameters
        ----------
        other : Ledger
            The other part.

        Returns
        -------
        Ledger
            Rows in, used and rejected summed; rejected rows together, sorted by row.
        """
        berkas = self.berkas if self.berkas == other.berkas else f"{self.berkas}; {other.berkas}"
        return Ledger(
            berkas=berkas,
            rows_in=self.rows_in + other.rows_in,
            used=self.used + other.used,
            ditolak=_sorted(self.ditolak, other.ditolak),
        )

    def in_sheet(self, lembar: str) -> Ledger:
        """Name the sheet on every rejected row that names none (stages that never saw it).

        Parameters
        ----------
        lembar : str
            Sheet name; ``""`` leaves the ledger as it is.

        Returns
        -------
        Ledger
        """
        if not lembar or not len(self.ditolak):
            return self
        table = self.ditolak.assign(lembar=self.ditolak["lembar"].replace("", lembar))
        return Ledger(berkas=self.berkas, rows_in=self.rows_in, used=self.used, ditolak=table)

    def with_headers(self, judul: Mapping[str, str]) -> Ledger:
        """Name each rejected row's columns as the file writes them.

        Parameters
        ----------
        judul : Mapping of str to str
            Lokus's column name -> the header as written (``"desil_kesejahteraan"`` ->
            ``"Desil Kesejahteraan"``). Names not in it are kept.

        Returns
        -------
        Ledger
            The same rows and counts; ``kolom`` (``; ``-joined names) mapped name by name.
        """
        if not judul or not len(self.ditolak):
            return self
        kolom = (
            self.ditolak["kolom"]
            .astype(str)
            .map(
                lambda text: "; ".join(judul.get(c, c) for c in text.split("; ")) if text else text
            )
        )
        table = self.ditolak.assign(kolom=kolom)
        return Ledger(berkas=self.berkas, rows_in=self.rows_in, used=self.used, ditolak=table)

    def alasan(self) -> dict[str, int]:
        """Count the rejected rows per reason sentence, most frequent first."""
        return {str(k): int(v) for k, v in self.ditolak["alasan"].value_counts().items()}

    def per_kode(self) -> dict[str, int]:
        """Count the rejected rows per reason code, most frequent first."""
        return {str(k): int(v) for k, v in self.ditolak["kode"].value_counts().items()}


def _sorted(*tables: pd.DataFrame) -> pd.DataFrame:
    parts = [t for t in tables if len(t)]
    if not parts:
        return tables[0].iloc[0:0].copy()
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return out.sort_values("baris", kind="stable").reset_index(drop=True)
