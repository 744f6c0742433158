"""Time stamps in the district's local time (WIB for Kayong Utara), with the offset written.

Planners read dates in their own time: a workbook made at 08:30 in Sukadana must not say
``01:30`` or carry yesterday's date in its name. Every time Lokus writes (``report.json``,
the workbook's ``ringkasan``, the date in download names, the modification date of an input
file) goes through :func:`sekarang` / :func:`stempel` with the region's ``zona_waktu``
(:class:`geo.region.Region`).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from geo.region import DEFAULT_ZONA_WAKTU

__all__ = ["ke_lokal", "nama_zona", "sekarang", "stempel"]


def ke_lokal(moment: dt.datetime, zona: str = DEFAULT_ZONA_WAKTU) -> dt.datetime:
    """Express a moment in a district's time zone.

    Parameters
    ----------
    moment : datetime.datetime
        An aware datetime (any zone); a naive one is taken as UTC.
    zona : str, default "Asia/Pontianak"
        IANA zone name.

    Returns
    -------
    datetime.datetime
        The same instant, aware, in ``zona``.

    Examples
    --------
    >>> ke_lokal(dt.datetime(2026, 12, 1, 2, 15, tzinfo=dt.UTC)).isoformat()
    '2026-12-01T09:15:00+07:00'
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(ZoneInfo(zona))


def sekarang(zona: str = DEFAULT_ZONA_WAKTU) -> dt.datetime:
    """Return the current time in ``zona`` (aware, whole seconds).

    Parameters
    ----------
    zona : str, default "Asia/Pontianak"
        IANA zone name.

    Returns
    -------
    datetime.datetime
        Now, in ``zona``, microseconds dropped.
    """
    return ke_lokal(dt.datetime.now(dt.UTC), zona).replace(microsecond=0)


def stempel(moment: dt.datetime, zona: str = DEFAULT_ZONA_WAKTU) -> str:
    """Write a moment as ISO 8601 local time with its offset, to the second.

    Parameters
    ----------
    moment : datetime.datetime
        Aware (naive is taken as UTC).
    zona : str, default "Asia/Pontianak"
        IANA zone name.

    Returns
    -------
    str
        E.g. ``"2026-12-01T09:15:00+07:00"``.

    Examples
    --------
    >>> stempel(dt.datetime(2026, 11, 30, 20, 0, tzinfo=dt.UTC))
    '2026-12-01T03:00:00+07:00'
    """
    return ke_lokal(moment, zona).replace(microsecond=0).isoformat()


def nama_zona(moment: dt.datetime, zona: str = DEFAULT_ZONA_WAKTU) -> str:
    """Short name of the zone at that moment (``WIB``, ``WITA``, ``WIT``), else the offset.

    Parameters
    ----------
    moment : datetime.datetime
        Aware (naive is taken as UTC).
    zona : str, default "Asia/Pontianak"
        IANA zone name.

    Returns
    -------
    str
        E.g. ``"WIB"``; ``"UTC+07:00"`` when the zone database has only a numeric name.

    Examples
    --------
    >>> nama_zona(dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    'WIB'
    """
    local = ke_lokal(moment, zona)
    name = local.tzname() or ""
    if not name or name[0] in "+-":
        offset = local.strftime("%z")
        return f"UTC{offset[:3]}:{offset[3:]}"
    return name
