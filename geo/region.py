"""Region settings: which district Lokus works on, read from a TOML file.

Kayong Utara is the first region, not the only one. Nothing about a district is a constant in
code: its name, Kemendagri code prefix, boundary file, family denominators, default P3KE file,
sub-activity register and (optionally) metric CRS come from a ``region.toml`` such as
``data/kayong_utara/region.toml``. Relative paths are relative to the TOML file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from geo.codes import normalise_kode_prefix
from geo.errors import RegionError

__all__ = ["DEFAULT_REGION_FILE", "DEFAULT_ZONA_WAKTU", "Region", "default_region", "load_region"]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REGION_FILE = REPO_ROOT / "data" / "kayong_utara" / "region.toml"
DEFAULT_ZONA_WAKTU = "Asia/Pontianak"
"""WIB (UTC+7), the time zone of Kalimantan Barat, when ``region.toml`` names none."""


@dataclass(frozen=True)
class Region:
    """One district's settings.

    Attributes
    ----------
    nama : str
        Display name, e.g. ``"Kabupaten Kayong Utara"``.
    kode : str
        Dotted Kemendagri prefix of every desa code in the region, e.g. ``"61.11"``.
    batas_desa : pathlib.Path
        Desa boundary file (any format pyogrio reads; must carry a CRS).
    keluarga_desa : pathlib.Path or None
        Per-desa table of all families (``kode_desa``, ``keluarga_total``, ``sumber``): the
        denominator of every desil share.
    keluarga_p3ke : pathlib.Path or None
        Default P3KE household file (CSV/XLSX), used when the user gives none.
    register : pathlib.Path or None
        Default sub-activity register.
    metric_crs : str or None
        Metric CRS; None means "estimate the UTM zone from the boundaries".
    sumber : str
        One line on where the default data come from, shown in the app and the report.
    sintetis : frozenset of str
        Which default data files are synthetic (``keluarga_p3ke``, ``keluarga_desa``,
        ``register``), from ``sintetis`` in the TOML (``true`` for all three, or a list of
        keys). Only these, or files carrying the generator's marker, are called synthetic.
    zona_waktu : str
        IANA time zone of the district (``zona_waktu`` in the TOML; default
        ``"Asia/Pontianak"``, WIB, UTC+7, for Kalimantan Barat): every time stamp Lokus writes
        (``report.json``, the workbook's ``ringkasan``, the date in file names) is local time
        in this zone, with its offset.
    kode_wilayah : pathlib.Path or None
        The region's desa codes across the 2022 and 2025 Kemendagri lists
        (:class:`geo.wilayah.KodeWilayah`, written by :func:`geo.wilayah.write_region_folder`):
        a family coded with a desa that has no polygon (pemekaran) or with an old spelling is
        counted, not rejected.
    """

    nama: str
    kode: str
    batas_desa: Path
    keluarga_desa: Path | None = None
    keluarga_p3ke: Path | None = None
    register: Path | None = None
    metric_crs: str | None = None
    sumber: str = ""
    sintetis: frozenset[str] = frozenset()
    zona_waktu: str = DEFAULT_ZONA_WAKTU
    kode_wilayah: Path | None = None


def _zona(value: object, source: Path) -> str:
    if value is None or value == "":
        return DEFAULT_ZONA_WAKTU
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError) as err:
        msg = (
            f"{source}: [region] zona_waktu {value!r} bukan zona waktu IANA yang dikenal; "
            'tulis misalnya "Asia/Pontianak" (WIB), "Asia/Makassar" (WITA) atau '
            '"Asia/Jayapura" (WIT)'
        )
        en = f"{source}: [region] zona_waktu {value!r} is not a known IANA time zone"
        raise RegionError(msg, en=en) from err
    return str(value)


def _path(
    base: Path, value: object, key: str, source: Path, *, must_exist: bool = True
) -> Path | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        msg = f"{source}: [region] {key} harus berupa teks (path berkas), diterima {value!r}"
        raise RegionError(msg, en=f"{source}: [region] {key} must be a file path, got {value!r}")
    path = (base / value).resolve()
    if must_exist and not path.exists():
        msg = f"{source}: [region] {key} menunjuk berkas yang tidak ada: {path}"
        raise RegionError(msg, en=f"{source}: [region] {key} names a missing file: {path}")
    return path


def load_region(path: str | os.PathLike[str], *, check_files: bool = True) -> Region:
    """Read region settings from a TOML file.

    Parameters
    ----------
    path : str or os.PathLike
        A TOML file with a ``[region]`` table holding ``nama``, ``kode``, ``batas_desa`` and
        optionally ``keluarga_desa``, ``keluarga_p3ke``, ``register``, ``metric_crs``,
        ``sumber``, ``sintetis`` (which default files are synthetic) and ``zona_waktu``.
    check_files : bool, default True
        Require the optional data files to exist (False only for the sample generator, which
        writes them).

    Returns
    -------
    Region
        Settings with paths resolved against the TOML file's folder.

    Raises
    ------
    RegionError
        If the file is missing, is not valid TOML, lacks a required key, names a file that
        does not exist, or names an unknown time zone.
    """
    source = Path(path)
    if not source.is_file():
        msg = f"berkas wilayah tidak ditemukan: {source}"
        raise RegionError(msg, en=f"region file not found: {source}")
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        msg = f"{source}: bukan TOML yang sah: {err}"
        raise RegionError(msg, en=f"{source}: not valid TOML: {err}") from err
    table = data.get("region")
    if not isinstance(table, dict):
        msg = f"{source}: tabel [region] tidak ada"
        raise RegionError(msg, en=f"{source}: no [region] table")
    missing = [k for k in ("nama", "kode", "batas_desa") if not table.get(k)]
    if missing:
        msg = f"{source}: [region] tidak memiliki kunci wajib: {', '.join(missing)}"
        raise RegionError(msg, en=f"{source}: [region] lacks required keys: {', '.join(missing)}")
    try:
        kode = normalise_kode_prefix(str(table["kode"]))
    except ValueError as err:
        msg = f"{source}: [region] kode: {err}"
        raise RegionError(msg, en=f"{source}: [region] kode must be 2, 4 or 6 digits") from err
    base = source.resolve().parent
    batas = _path(base, table["batas_desa"], "batas_desa", source)
    assert batas is not None
    return Region(
        nama=str(table["nama"]),
        kode=kode,
        batas_desa=batas,
        keluarga_desa=_path(
            base, table.get("keluarga_desa"), "keluarga_desa", source, must_exist=check_files
        ),
        keluarga_p3ke=_path(
            base, table.get("keluarga_p3ke"), "keluarga_p3ke", source, must_exist=check_files
        ),
        register=_path(base, table.get("register"), "register", source, must_exist=check_files),
        metric_crs=table.get("metric_crs") or None,
        sumber=str(table.get("sumber", "")),
        sintetis=_synthetic_keys(table.get("sintetis", False), source),
        zona_waktu=_zona(table.get("zona_waktu"), source),
        kode_wilayah=_path(base, table.get("kode_wilayah"), "kode_wilayah", source),
    )


DATA_KEYS = ("keluarga_p3ke", "keluarga_desa", "register")
"""Region keys of the default data files (the ones ``sintetis`` may name)."""


def _synthetic_keys(value: object, source: Path) -> frozenset[str]:
    """Read ``sintetis``: ``true``/``false`` or a list of :data:`DATA_KEYS`."""
    if isinstance(value, bool):
        return frozenset(DATA_KEYS) if value else frozenset()
    if isinstance(value, list) and all(isinstance(v, str) and v in DATA_KEYS for v in value):
        return frozenset(value)
    msg = (
        f"{source}: [region] sintetis harus true, false, atau daftar dari "
        f"{', '.join(DATA_KEYS)}; diterima {value!r}"
    )
    en = f"{source}: [region] sintetis must be true, false or a list of {', '.join(DATA_KEYS)}"
    raise RegionError(msg, en=en)


def default_region() -> Region:
    """Load the region named by ``LOKUS_REGION``, else the embedded Kayong Utara settings.

    Returns
    -------
    Region
        The active region.

    Raises
    ------
    RegionError
        As :func:`load_region`.
    """
    return load_region(os.environ.get("LOKUS_REGION") or DEFAULT_REGION_FILE)
