"""Provenance of a run: each input, the parameters, seed, rule texts, versions and metric CRS.

One typed record that every export renders: ``report.json`` (:meth:`Provenance.to_report`)
and the workbook's ``ringkasan`` sheet (:meth:`Provenance.rows`) are two renderings of the
same object, so they cannot drift apart. Whether an input is synthetic is decided here, from
the data's own marker (:func:`marked_synthetic`) or the region's ``sintetis`` list, never from
a file name.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from geo.io import Source
from targeting.waktu import ke_lokal

__all__ = [
    "LOKUS_VERSION",
    "SINTETIS_YA",
    "InputFile",
    "Provenance",
    "file_date",
    "file_name",
    "library_versions",
    "marked_synthetic",
]

LOKUS_VERSION = "0.1.0"

SINTETIS_YA = frozenset({"ya", "y", "yes", "true", "1"})
"""Values of a ``sintetis`` marker column that mark a row as synthetic."""

LIBRARIES = ("pandas", "geopandas", "shapely", "pyproj", "pyogrio", "esda", "libpysal",
             "scikit-learn", "rapidfuzz", "openpyxl")  # fmt: skip
"""Libraries whose versions decide results, recorded in every provenance."""


def _frozen(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """Copy a mapping, so that a caller's later change cannot alter a record.

    A plain dict, not a ``MappingProxyType``: Streamlit's cache pickles the analysis.
    """
    return dict(mapping or {})


@dataclass(frozen=True)
class InputFile:
    """One input file as it was read.

    Attributes
    ----------
    peran : str
        Its role: ``keluarga_p3ke``, ``batas_desa``, ``keluarga_desa`` or ``register``.
    berkas : str
        File name as the user gave it.
    sha256 : str
        SHA-256 of the bytes read (hex).
    baris : int or None
        Rows read (features for a boundary layer), as the input's ledger counts them.
    tanggal : str or None
        Local modification date (ISO) of a file given by path; None for an upload.
    sintetis : bool
        True when the data are synthetic by their own marker or the region's setting.
    rincian : Mapping
        Details of this role (sheet read, layer, sources ...), rendered as they are.
    """

    peran: str
    berkas: str
    sha256: str
    baris: int | None = None
    tanggal: str | None = None
    sintetis: bool = False
    rincian: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rincian", _frozen(self.rincian))

    def to_dict(self) -> dict[str, Any]:
        """Render the input as ``report.json`` writes it under ``masukan``."""
        return {
            "berkas": self.berkas,
            "sha256": self.sha256,
            "baris": self.baris,
            "tanggal": self.tanggal,
            "sintetis": self.sintetis,
            **self.rincian,
        }


@dataclass(frozen=True)
class Provenance:
    """Everything needed to say where a result came from and to run it again.

    Attributes
    ----------
    wilayah : str
        Region name.
    kode_wilayah : str
        Region code prefix (``61.11``).
    crs_metrik : str
        Metric CRS used for distances and areas (``EPSG:32749``).
    masukan : tuple of InputFile
        The inputs, in reading order.
    parameter : Mapping
        Section (``impor``, ``kantong``, ``kecocokan``) -> setting -> value.
    seed : int or None
        Seed of the permutation tests; None before the analysis.
    aturan : Mapping
        Rule name -> the rule as a sentence (pocket labels, clusters, coverage).
    versi : Mapping
        ``lokus``, ``python`` and :data:`LIBRARIES` -> version.
    tanggal_data : str or None
        Date of the data (ISO), :attr:`targeting.snapshot.Snapshot.tanggal`.
    """

    wilayah: str
    kode_wilayah: str
    crs_metrik: str
    masukan: tuple[InputFile, ...] = ()
    parameter: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    seed: int | None = None
    aturan: Mapping[str, str] = field(default_factory=dict)
    versi: Mapping[str, str] = field(default_factory=lambda: library_versions())
    tanggal_data: str | None = None

    def __post_init__(self) -> None:
        sections = {k: _frozen(v) for k, v in dict(self.parameter).items()}
        object.__setattr__(self, "parameter", _frozen(sections))
        object.__setattr__(self, "aturan", _frozen(self.aturan))
        object.__setattr__(self, "versi", _frozen(self.versi))
        object.__setattr__(self, "masukan", tuple(self.masukan))

    def input(self, peran: str) -> InputFile | None:
        """Return the input of a role, or None when the run had none."""
        return next((f for f in self.masukan if f.peran == peran), None)

    def with_input(self, item: InputFile) -> Provenance:
        """Return a copy with ``item`` added (or replacing the input of its role)."""
        rest = tuple(f for f in self.masukan if f.peran != item.peran)
        return replace(self, masukan=(*rest, item))

    def with_analysis(
        self,
        parameter: Mapping[str, Mapping[str, Any]],
        *,
        seed: int | None = None,
        aturan: Mapping[str, str] | None = None,
    ) -> Provenance:
        """Return a copy with the analysis' parameter sections, seed and rule texts added.

        Parameters
        ----------
        parameter : Mapping
            Section -> setting -> value (added to the import's sections).
        seed : int, optional
            Seed of the permutation tests.
        aturan : Mapping, optional
            Rule name -> sentence.

        Returns
        -------
        Provenance
        """
        return replace(
            self,
            parameter={**self.parameter, **parameter},
            seed=seed,
            aturan={**self.aturan, **(aturan or {})},
        )

    def to_report(self) -> dict[str, Any]:
        """Render for ``report.json``: ``masukan``, ``parameter``, ``seed``, ``aturan``, ``versi``.

        Returns
        -------
        dict
            ``masukan`` maps each role to :meth:`InputFile.to_dict`; ``crs_metrik`` is the
            metric CRS (also written under ``wilayah`` by the report).
        """
        return {
            "crs_metrik": self.crs_metrik,
            "tanggal_data": self.tanggal_data,
            "masukan": {f.peran: f.to_dict() for f in self.masukan},
            "parameter": {k: dict(v) for k, v in self.parameter.items()},
            "seed": self.seed,
            "aturan": dict(self.aturan),
            "versi": dict(self.versi),
        }

    def rows(self) -> list[tuple[str, str, object]]:
        """Render for the workbook's ``ringkasan`` sheet as ``(bagian, butir, nilai)`` rows.

        Returns
        -------
        list of tuple
            The metric CRS, each input (file, SHA-256, rows, date, synthetic), every parameter
            by section, the seed, the rule texts and the versions.
        """
        rows: list[tuple[str, str, object]] = [
            ("wilayah", "CRS metrik", self.crs_metrik),
            ("sumber data", "tanggal data", self.tanggal_data or "tidak diketahui"),
        ]
        for f in self.masukan:
            rows += [
                ("sumber data", f"{f.peran}: berkas", f.berkas),
                ("sumber data", f"{f.peran}: SHA-256", f.sha256),
                ("sumber data", f"{f.peran}: baris", f.baris),
                (
                    "sumber data",
                    f"{f.peran}: tanggal berkas (diubah)",
                    f.tanggal or "diunggah di aplikasi; tanggal berkas tidak diketahui",
                ),
                ("sumber data", f"{f.peran}: sintetis", "ya" if f.sintetis else "tidak"),
            ]
        for section, values in self.parameter.items():
            for key, value in values.items():
                rows.append((f"parameter {section}", key, _cell(value)))
        if self.seed is not None:  # the seed is a label: no thousands separator
            rows.append(("parameter kantong", "seed", str(self.seed)))
        rows += [("aturan", key.replace("_", " "), text) for key, text in self.aturan.items()]
        rows += [("versi", key, value) for key, value in self.versi.items()]
        return rows


def _cell(value: object) -> object:
    """Show a tuple or list setting as text in one cell; numbers and text as they are."""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    return value


def library_versions() -> dict[str, str]:
    """Return the versions of Lokus, Python and :data:`LIBRARIES` (``"-"`` when absent)."""
    out = {"lokus": LOKUS_VERSION, "python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "-"
    return out


def marked_synthetic(frame: pd.DataFrame) -> bool:
    """Tell whether every row carries the generator's marker column ``SINTETIS`` = ``Ya``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The rows read.

    Returns
    -------
    bool
        False for an empty frame or without a ``sintetis`` column (any case).
    """
    cols = [c for c in frame.columns if str(c).strip().casefold() == "sintetis"]
    if not cols or frame.empty:
        return False
    values = frame[cols[0]].astype("string").str.strip().str.casefold()
    return bool(values.isin(SINTETIS_YA).fillna(False).all())


def file_date(src: Source | None, zona: str) -> str | None:
    """Modification date (ISO, local date in ``zona``) of a file given by path; None for bytes."""
    if isinstance(src, (str, os.PathLike)):
        try:
            stamp = Path(src).stat().st_mtime
        except OSError:
            return None
        return ke_lokal(dt.datetime.fromtimestamp(stamp, dt.UTC), zona).date().isoformat()
    return None


def file_name(src: Source | None, given: str | None, fallback: str) -> str:
    """Name an input for messages: the name given, a path's file name, else ``fallback``."""
    if given:
        return given
    if isinstance(src, (str, os.PathLike)):
        return Path(src).name
    return fallback
