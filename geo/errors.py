"""The error catalogue of Lokus: every error Lokus raises on purpose is defined here.

Each subclasses :class:`LokusError`, and also a built-in (``ValueError``) where it is an
input error, so callers that do not know Lokus can still catch it, following osmnx
``_errors.py``. Messages say what was expected, what was found and how to fix it, and name
the file, row and column when there is one. A message that more than one module raises is
written once, here, as the constructor of its class (:class:`MissingColumnsError`,
:class:`RowLimitError`).

Built-in exceptions are raised directly only for a programming error of a caller (an
argument outside its documented choices, e.g. ``engine="spark"``), never for a user's input;
``tests/test_errors.py`` holds the list of those uses.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "AccessError",
    "AnalysisError",
    "CRSError",
    "InputSchemaError",
    "LedgerError",
    "LokusError",
    "MissingColumnsError",
    "PerbandinganError",
    "PriorityError",
    "RegionError",
    "RowLimitError",
    "TargetError",
    "VerifikasiError",
    "VersionConflictError",
    "WorkspaceError",
]


class LokusError(Exception):
    """Base class of every error Lokus raises on purpose.

    Parameters
    ----------
    message : str
        The message in Bahasa Indonesia (``str(err)``), shown in the app.
    en : str, optional
        The same message in English (``err.en``), written by the CLI to its log. Defaults to
        ``message``.
    """

    def __init__(self, message: str, *, en: str | None = None) -> None:
        super().__init__(message)
        self.en = en or message


class InputSchemaError(LokusError, ValueError):
    """An input file lacks required columns, or its content cannot be used at all."""


class MissingColumnsError(InputSchemaError):
    """An input file lacks required columns.

    Parameters
    ----------
    label : str
        File name shown to the user.
    missing : sequence of str
        The required columns not found, as Lokus names them (Bahasa Indonesia).
    present : str, optional
        The columns the file has, already joined for display; omitted when None.
    accepted : str, optional
        The accepted spellings or names, already joined; omitted when None.
    missing_en : sequence of str, optional
        ``missing`` for the English message; default ``missing``.
    present_en : str, optional
        ``present`` for the English message; default ``present``.
    note, note_en : str, optional
        A further hint (e.g. how to export a KML with its attributes), appended.
    """

    def __init__(
        self,
        label: str,
        missing: Sequence[str],
        *,
        present: str | None = None,
        accepted: str | None = None,
        missing_en: Sequence[str] | None = None,
        present_en: str | None = None,
        note: str | None = None,
        note_en: str | None = None,
    ) -> None:
        msg = f"{label}: kolom wajib tidak ditemukan: {', '.join(missing)}"
        en = f"{label}: required columns not found: {', '.join(missing_en or missing)}"
        if present is not None:
            msg += f". Kolom yang ada: {present}"
            en += f". Columns present: {present_en if present_en is not None else present}"
        if accepted is not None:
            msg += f". Ejaan yang diterima: {accepted}."
            en += f". Accepted spellings: {accepted}."
        elif present is not None:
            msg += "."
            en += "."
        if note:
            msg += f" {note}"
            en += f" {note_en or note}"
        super().__init__(msg, en=en)


class RowLimitError(InputSchemaError):
    """An input file holds more rows than Lokus reads (the memory limit of a shared server).

    Parameters
    ----------
    label : str
        File name shown to the user.
    what : str
        Where the rows are, in Bahasa Indonesia (``"sekitar 2.000.001 baris"``).
    what_en : str
        The same in English (``"about 2,000,001 rows"``).
    limit : int
        The limit (``LOKUS_MAX_BARIS``).
    per : {"berkas", "lembar"}
        Whether the limit applies per file or per sheet.
    """

    def __init__(self, label: str, what: str, what_en: str, limit: int, per: str) -> None:
        per_en = {"berkas": "file", "lembar": "sheet"}[per]
        msg = (
            f"{label}: {what}; Lokus membaca paling banyak {limit:,} baris per {per} (batas "
            "memori server bersama). Administrator dapat menaikkan batas dengan variabel "
            "lingkungan LOKUS_MAX_BARIS."
        ).replace(",", ".")
        en = (
            f"{label}: {what_en}; Lokus reads at most {limit:,} rows per {per_en} (memory "
            "limit of a shared server). An administrator can raise it with LOKUS_MAX_BARIS."
        )
        super().__init__(msg, en=en)


class CRSError(LokusError, ValueError):
    """A spatial layer has no coordinate reference system, or one that cannot be used."""


class RegionError(LokusError, ValueError):
    """A region setting (boundary file, code prefix, metric CRS) is missing or inconsistent."""


class AnalysisError(LokusError, ValueError):
    """The input cannot be analysed (constant, all zero, negative, or too few desa)."""


class TargetError(LokusError, ValueError):
    """A target-list filter that cannot select anything (desil off the scale, unknown strategy)."""


class PriorityError(LokusError, ValueError):
    """Priority weights or a selection that cannot be used (negative, not a number, all zero)."""


class LedgerError(LokusError, RuntimeError):
    """Row accounting does not add up: ``rows_in != rows_used + rows_rejected``.

    Raised by :meth:`geo.ledger.Ledger.check`. It is a defect of Lokus, not of the input: every
    input row must be either used or listed as rejected with its reason.
    """


# Issue 17: village-meeting verification and recipient lists.
class VerifikasiError(LokusError, ValueError):
    """A returned verification workbook or a recipient list that cannot be read as one."""


# --- Perubahan antar data (issue 16: targeting/banding.py) ---------------------------------


class PerbandinganError(LokusError, ValueError):
    """Snapshots that cannot be compared (fewer than two, another region or desa layer)."""


# --- Workspace (ruang kerja): targeting/ruang_kerja -------------------------------------------


class WorkspaceError(LokusError, ValueError):
    """The workspace cannot do what was asked: unknown snapshot or user, wrong key, bad backup."""


class AccessError(WorkspaceError, PermissionError):
    """The user's role or desa scope does not allow the action (never a hidden widget only)."""


class VersionConflictError(WorkspaceError):
    """Another operator saved the same verification first; reload and enter the change again."""
