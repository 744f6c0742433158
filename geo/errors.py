"""Error types of Lokus.

Each subclasses a built-in (``ValueError``) so callers that do not know Lokus can still catch
it, following osmnx ``_errors.py``. Messages say what was expected, what was found and how to
fix it, and name the file, row and column when there is one.
"""

from __future__ import annotations

__all__ = ["CRSError", "InputSchemaError", "LokusError", "RegionError"]


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


class CRSError(LokusError, ValueError):
    """A spatial layer has no coordinate reference system, or one that cannot be used."""


class RegionError(LokusError, ValueError):
    """A region setting (boundary file, code prefix, metric CRS) is missing or inconsistent."""
