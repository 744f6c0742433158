"""The Lokus pipeline: read -> place -> measure, with row accounting and provenance.

The CLI (``python -m targeting run``) and the Streamlit app both call :func:`run`; neither
holds logic of its own.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from geo.crs import choose_metric_crs, to_display
from geo.errors import InputSchemaError
from geo.households import REJECT_COLUMNS, HouseholdCheck, validate_households
from geo.io import (
    BoundaryLoad,
    Source,
    file_sha256,
    read_boundaries,
    read_bytes,
    read_keluarga_desa,
)
from geo.join import DEFAULT_COAST_M, FLAG_COLUMNS, Placement, place_households
from geo.region import Region
from geo.sheets import RawTable, read_sheet
from targeting.export import to_csv_bytes
from targeting.indicators import desa_indicators, district_summary, indicators_from_counts
from targeting.interventions import InterventionResult, MatchSettings, analyse_interventions
from targeting.maps import display_geometry
from targeting.pockets import AnalysisError, PocketResult, PocketSettings, find_pockets
from targeting.priority import Ranking, rank_desa
from targeting.register import RegisterCheck, read_register
from targeting.waktu import ke_lokal, sekarang, stempel

__all__ = ["DESA_COLUMNS", "Result", "run", "write_outputs"]

LOKUS_VERSION = "0.1.0"

DESA_COLUMNS = [
    "kode_desa", "desa", "kecamatan", "keluarga_total", "keluarga_p3ke", "keluarga_desil_1",
    "persen_desil_1",
]  # fmt: skip
"""Columns every ``desa.geojson`` carries first (issue 2's contract)."""


@dataclass
class Result:
    """Everything one pipeline run produced.

    Attributes
    ----------
    region : Region
        The region settings used.
    batas : BoundaryLoad
        Desa polygons and what was repaired.
    metric_crs : pyproj.CRS
        Metric CRS used for point checks.
    check : HouseholdCheck
        Row-level validation of the household file.
    placement : Placement
        Families placed in desa, with flags.
    indikator : geopandas.GeoDataFrame
        Per-desa indicators (EPSG:4326), see :func:`targeting.indicators.desa_indicators`.
    ditolak : pandas.DataFrame
        Every rejected row (``berkas``, ``baris``, ``kolom``, ``nilai``, ``alasan``), sorted by
        row number.
    masukan : dict
        Provenance: file name, SHA-256 and row count of each input.
    kantong : PocketResult or None
        Poverty pockets at desa level and below; None when the analysis could not run (the
        reason is in ``kantong_galat``).
    kantong_galat : str or None
        Why the pocket analysis did not run (e.g. every desa has the same value).
    tampilan : geopandas.GeoSeries or None
        Desa outlines simplified for the map (:func:`targeting.maps.display_geometry`),
        built once with the data so that every map view reuses them.
    """

    sheet: RawTable
    region: Region
    batas: BoundaryLoad
    metric_crs: pyproj.CRS
    check: HouseholdCheck
    placement: Placement
    indikator: gpd.GeoDataFrame
    ditolak: pd.DataFrame
    masukan: dict[str, Any]
    kantong: PocketResult | None = None
    kantong_galat: str | None = None
    register: RegisterCheck | None = None
    intervensi: InterventionResult | None = None
    register_galat: str | None = None
    tampilan: gpd.GeoSeries | None = None

    @property
    def rows_in(self) -> int:
        """Rows read below the header (blank rows aside), skipped rows included."""
        return self.check.rows_in + len(self.sheet.dilewati)

    @property
    def rows_used(self) -> int:
        """Input rows counted in a used family (people, for an individual-level file)."""
        members = self.placement.keluarga["_baris_semua"].astype(str).str.split(";")
        return int(members.map(len).sum())

    @property
    def families_used(self) -> int:
        """Families placed in a desa and counted."""
        return len(self.placement.keluarga)

    @property
    def rows_rejected(self) -> int:
        """Rows rejected with a reason."""
        return len(self.ditolak)

    def bertanda(self) -> pd.DataFrame:
        """List the used families that carry a data flag, for checking at the source.

        Returns
        -------
        pandas.DataFrame
            One row per flagged family, by row number: ``baris`` (its row in the household
            file; the head's row in a person-level file), ``kode_desa`` (the desa it is
            counted in), ``kode_desa_titik`` (the desa its point lies in, <NA> without a
            point) and ``tanda`` (its flags of :data:`geo.join.FLAG_COLUMNS`, ``; ``
            separated). Row numbers, codes and flags only: no name, NIK, No KK, address or
            coordinates. Empty, with these columns, when no family is flagged. Written as
            ``bertanda.csv`` by :func:`write_outputs` and offered for download on the
            "Laporan impor" page.
        """
        k = self.placement.keluarga
        flags = list(FLAG_COLUMNS)
        marks = k[flags].fillna(False).astype(bool)
        hit = marks.any(axis=1).to_numpy()
        tanda = [
            "; ".join(f for f, on in zip(flags, row, strict=True) if on)
            for row in marks.to_numpy()[hit]
        ]
        table = pd.DataFrame(
            {
                "baris": k["_baris"].to_numpy()[hit].astype("int64"),
                "kode_desa": k["kode_desa"].to_numpy()[hit],
                "kode_desa_titik": pd.array(k["kode_desa_titik"].to_numpy()[hit], dtype="string"),
                "tanda": pd.Series(tanda, dtype=object),
            }
        )
        return table.sort_values("baris", kind="stable").reset_index(drop=True)

    def peringkat(
        self, bobot: dict[str, float] | None = None, normalisasi: str = "minmax"
    ) -> Ranking:
        """Rank the desa for priority (:func:`targeting.priority.rank_desa`).

        Parameters
        ----------
        bobot : dict, optional
            Weight per component; default :data:`targeting.priority.BOBOT_BAWAAN`.
        normalisasi : {"minmax", "peringkat"}, default "minmax"
            Normalisation of each component.

        Returns
        -------
        Ranking
            Uses the pocket labels and clusters and the intervention matrix when present.
        """
        return rank_desa(
            self.indikator,
            kantong=self.kantong.desa if self.kantong is not None else None,
            klaster=self.kantong.klaster if self.kantong is not None else None,
            matriks=self.intervensi.matriks if self.intervensi is not None else None,
            bobot=bobot,
            normalisasi=normalisasi,
        )

    def report(self, *, now: dt.datetime | None = None) -> dict[str, Any]:
        """Build the run report written as ``report.json``.

        Parameters
        ----------
        now : datetime.datetime, optional
            When the report is made (aware; default now). Written as ``dibuat`` in the
            region's local time with its offset (``2026-12-01T09:15:00+07:00``), beside
            ``zona_waktu``.

        Returns
        -------
        dict
            ``rows_in``, ``rows_used``, ``rows_rejected`` (``rows_in == rows_used +
            rows_rejected``), ``flags`` (count of used rows per flag), ``alasan_ditolak``
            (rejected rows per reason), the desil scale, unknown columns, boundary repairs,
            the district summary, the region and input provenance.
        """
        keluarga = self.placement.keluarga
        return {
            "lokus_versi": LOKUS_VERSION,
            "dibuat": stempel(now or sekarang(self.region.zona_waktu), self.region.zona_waktu),
            "zona_waktu": self.region.zona_waktu,
            "wilayah": {
                "nama": self.region.nama,
                "kode": self.region.kode,
                "crs_metrik": self.metric_crs.to_string(),
                "crs_tampilan": "EPSG:4326",
            },
            "masukan": self.masukan,
            "rows_in": self.rows_in,
            "rows_used": self.rows_used,
            "rows_rejected": self.rows_rejected,
            "keluarga_dipakai": self.families_used,
            "per_individu": self.check.per_individu,
            "catatan": self.check.catatan,
            "desil_dari_label": self.check.desil_dari_label,
            "desa_dari_nama": {
                "jumlah": len(self.placement.cocok_nama),
                "tidak_persis": self.placement.cocok_nama[
                    ~self.placement.cocok_nama["persis"].astype(bool)
                ].to_dict(orient="records"),
            },
            "kode_tidak_ada_di_batas_desa": self.placement.kode_tidak_dikenal,
            "penyebut_kode_tidak_dikenal": self.masukan.get("keluarga_desa", {}).get(
                "kode_tidak_dikenal", []
            ),
            "flags": {f: int(keluarga[f].sum()) for f in FLAG_COLUMNS},
            "arti_flag": dict(FLAG_COLUMNS),
            "keluarga_berkoordinat": int(keluarga.geometry.notna().sum()),
            "alasan_ditolak": {
                str(k): int(v) for k, v in self.ditolak["alasan"].value_counts().items()
            },
            "skala_desil": self.check.desil_scale,
            "kolom_tidak_dikenal": self.check.kolom_tidak_dikenal,
            "batas_desa": {
                "desa": len(self.batas.desa),
                "geometri_diperbaiki": self.batas.diperbaiki.to_dict(orient="records"),
                "dilewati": self.batas.dilewati.to_dict(orient="records"),
            },
            "ringkasan": district_summary(self.indikator),
            "kantong": self._pocket_report(),
            "intervensi": self._intervention_report(),
        }

    def _intervention_report(self) -> dict[str, Any]:
        if self.register is None or self.intervensi is None:
            return {"dijalankan": False, "alasan": self.register_galat}
        reg = self.register
        cov = self.intervensi.cakupan
        return {
            "dijalankan": True,
            "register": {
                "rows_in": reg.rows_in,
                "rows_used": len(reg.register),
                "rows_rejected": len(reg.ditolak),
                "alasan_ditolak": {
                    str(k): int(v) for k, v in reg.ditolak["alasan"].value_counts().items()
                },
                "lokus_dari_nama": reg.cocok_lokus.to_dict(orient="records"),
                "lokus_ambigu": reg.lokus_ambigu.to_dict(orient="records"),
            },
            "cakupan_kabupaten": cov[cov["wilayah"] == "kabupaten"].to_dict(orient="records"),
            "cakupan_kecamatan": cov[cov["wilayah"] != "kabupaten"].to_dict(orient="records"),
            "celah_per_jenis": {
                str(k): int(v) for k, v in self.intervensi.celah["jenis"].value_counts().items()
            },
            "salah_sasaran": len(self.intervensi.salah_sasaran),
            "parameter": self.intervensi.parameter,
        }

    def _pocket_report(self) -> dict[str, Any]:
        if self.kantong is None:
            return {"dijalankan": False, "alasan": self.kantong_galat}
        labels = self.kantong.desa["kantong"].value_counts()
        return {
            "dijalankan": True,
            "parameter": self.kantong.parameter,
            "desa_per_label": {str(k): int(v) for k, v in labels.items()},
            "desa_panas": self.kantong.desa.loc[
                self.kantong.desa["kantong"] == "panas", "kode_desa"
            ].tolist(),
            "klaster_keluarga": self.kantong.klaster.drop(columns="geometry").to_dict(
                orient="records"
            ),
        }


SINTETIS_YA = frozenset({"ya", "y", "yes", "true", "1"})
"""Values of a ``sintetis`` marker column that mark a row as synthetic."""


def _marked(frame: pd.DataFrame) -> bool:
    """Tell whether every row carries the generator's marker column ``SINTETIS`` = ``Ya``."""
    cols = [c for c in frame.columns if str(c).strip().casefold() == "sintetis"]
    if not cols or frame.empty:
        return False
    values = frame[cols[0]].astype("string").str.strip().str.casefold()
    return bool(values.isin(SINTETIS_YA).fillna(False).all())


def _synthetic(region: Region, key: str, default: dict[str, bool], marked: bool) -> bool:
    """Synthetic by provenance: a default the region marks ``sintetis``, or a marked file.

    A file's name is never evidence: ``data_SINTETIS.csv`` without a marker is real data, and
    a real region's own default data are not synthetic unless its region.toml says so.
    """
    return bool(marked or (default[key] and key in region.sintetis))


def _date(src: Source | None, zona: str) -> str | None:
    """Modification date (ISO, local date in ``zona``) of a file given by path; None for bytes."""
    if isinstance(src, (str, os.PathLike)):
        try:
            stamp = Path(src).stat().st_mtime
        except OSError:
            return None
        return ke_lokal(dt.datetime.fromtimestamp(stamp, dt.UTC), zona).date().isoformat()
    return None


def _name(src: Source | None, given: str | None, fallback: str) -> str:
    if given:
        return given
    if isinstance(src, (str, os.PathLike)):
        return Path(src).name
    return fallback


def run(
    region: Region,
    *,
    households: Source | None = None,
    households_name: str | None = None,
    boundaries: Source | None = None,
    boundaries_name: str | None = None,
    boundaries_layer: str | None = None,
    keluarga_desa: Source | None = None,
    keluarga_desa_name: str | None = None,
    desil_scale: str = "auto",
    sheet: str | None = None,
    jarak_pantai_m: float = DEFAULT_COAST_M,
    kantong: PocketSettings | None = None,
    register: Source | None = None,
    register_name: str | None = None,
    kecocokan: MatchSettings | None = None,
    engine: str = "pandas",
    scheduler: str | None = None,
    partisi: str = "kecamatan",
) -> Result:
    """Run read -> place -> measure on one household file.

    Parameters
    ----------
    region : Region
        Region settings; its files are the defaults for every input left as None.
    households : path, bytes or binary file, optional
        P3KE household table (CSV, CSV.GZ or XLSX), one row per family.
    households_name : str, optional
        File name for messages when ``households`` is bytes (an upload).
    boundaries : path, bytes or binary file, optional
        Desa polygons (must carry a CRS).
    boundaries_name : str, optional
        File name for messages.
    boundaries_layer : str, optional
        Layer of a multi-layer boundary file (GeoPackage); default: its first polygon layer.
    keluarga_desa : path, bytes or binary file, optional
        All families per desa (the denominator).
    keluarga_desa_name : str, optional
        File name for messages.
    desil_scale : {"auto", "p3ke", "dtsen"}, default "auto"
        Decile scale of the household file.
    sheet : str, optional
        XLSX sheet to read; default: the first sheet with a recognised header.
    jarak_pantai_m : float, default 500
        Metres within which a point in the sea is "just off the coast" (flagged, kept).
    kantong : PocketSettings, optional
        Settings of the pocket analysis (defaults documented on :class:`PocketSettings`).
    register : path, bytes or binary file, optional
        Sub-activity register (default: the region's); without one no match analysis runs.
    register_name : str, optional
        File name for messages.
    kecocokan : MatchSettings, optional
        Thresholds of the match analysis.
    engine : {"pandas", "dask"}, default "pandas"
        ``"dask"`` places and counts the families in partitions on a Dask cluster
        (:mod:`targeting.engine_dask`); the result equals the single-machine engine's.
        Validation, pockets and the register run on this machine either way.
    scheduler : str, optional
        Dask scheduler address for ``engine="dask"``; default: a local cluster.
    partisi : {"kecamatan", "hilbert"}, default "kecamatan"
        How ``engine="dask"`` groups families into partitions
        (:func:`targeting.engine_dask.partition_key`); the result is the same either way.

    Returns
    -------
    Result
        With ``rows_in == rows_used + rows_rejected``.

    Raises
    ------
    ValueError
        If ``engine`` is not ``"pandas"`` or ``"dask"``, or ``partisi`` is not
        ``"kecamatan"`` or ``"hilbert"``.
    RegionError
        If an input is None and the region names no default for it.
    InputSchemaError, CRSError
        From the readers, naming the file, row and column.
    """
    from geo.errors import RegionError
    from targeting.engine_dask import ENGINES, PARTISI

    if engine not in ENGINES:
        msg = f"engine must be one of {ENGINES}, got {engine!r}"
        raise ValueError(msg)
    if partisi not in PARTISI:
        msg = f"partisi must be one of {PARTISI}, got {partisi!r}"
        raise ValueError(msg)
    # Which inputs are the region's own defaults (their provenance decides "synthetic").
    default = {
        "keluarga_p3ke": households is None,
        "keluarga_desa": keluarga_desa is None,
        "register": register is None,
    }
    households = households if households is not None else region.keluarga_p3ke
    if households is None:
        msg = f"wilayah {region.nama} tidak memiliki berkas P3KE bawaan; berikan --households"
        en = f"region {region.nama} has no default P3KE file; pass --households"
        raise RegionError(msg, en=en)
    boundaries = boundaries if boundaries is not None else region.batas_desa
    keluarga_desa = keluarga_desa if keluarga_desa is not None else region.keluarga_desa

    h_name = _name(households, households_name, "keluarga.csv")
    b_name = _name(boundaries, boundaries_name, "batas_desa")
    h_bytes = read_bytes(households)
    b_bytes = read_bytes(boundaries)

    batas = read_boundaries(
        boundaries if isinstance(boundaries, (str, os.PathLike)) else b_bytes,
        name=b_name,
        code_prefix=region.kode,
        layer=boundaries_layer,
    )
    metric = choose_metric_crs(batas.desa, setting=region.metric_crs)
    sheet_table = read_sheet(h_bytes, label=h_name, sheet=sheet)
    check = validate_households(
        sheet_table.frame,
        source=h_name,
        desil_scale=desil_scale,  # type: ignore[arg-type]
        numeric_cells=sheet_table.numeric_cells,
        formula_cells=sheet_table.rumus_tanpa_nilai,
    )
    desil_max = check.desil_max
    counts = None
    if engine == "dask":
        from targeting.engine_dask import dask_client, place_and_count

        with dask_client(scheduler) as client:
            dask_run = place_and_count(
                check.keluarga, batas.desa, source=h_name, metric_crs=metric, client=client,
                jarak_pantai_m=jarak_pantai_m, desil_max=desil_max, partisi=partisi,
            )  # fmt: skip
        placement, counts = dask_run.placement, dask_run.counts
    else:
        placement = place_households(
            check.keluarga,
            batas.desa,
            source=h_name,
            metric_crs=metric,
            jarak_pantai_m=jarak_pantai_m,
        )
    denom = None
    masukan: dict[str, Any] = {
        "keluarga_p3ke": {
            "berkas": h_name,
            "sha256": file_sha256(h_bytes),
            "lembar": sheet_table.sheet,
            "lembar_tersedia": sheet_table.sheets,
            "lembar_lain_berjudul_p3ke_tidak_dibaca": sheet_table.lembar_lain,
            "lembar_tersembunyi": sheet_table.lembar_tersembunyi,
            "baris_tersembunyi_di_excel": len(sheet_table.baris_tersembunyi),
            "autofilter": sheet_table.autofilter,
            "rumus_tanpa_nilai": sheet_table.rumus_tanpa_nilai,
            "baris_judul": sheet_table.header_row,
            "baris": check.rows_in + len(sheet_table.dilewati),
            "tanggal": _date(households, region.zona_waktu),
            "sintetis": _synthetic(region, "keluarga_p3ke", default, _marked(sheet_table.frame)),
        },
        "batas_desa": {
            "berkas": b_name,
            "sha256": batas.sha256,
            "desa": len(batas.desa),
            "tanggal": _date(boundaries, region.zona_waktu),
            "lapisan": batas.lapisan,
            "lapisan_tersedia": [f"{n} ({g})" for n, g in batas.lapisan_tersedia],
        },
    }
    if keluarga_desa is not None:
        k_name = _name(keluarga_desa, keluarga_desa_name, "keluarga_desa.csv")
        k_bytes = read_bytes(keluarga_desa)
        denom = read_keluarga_desa(k_bytes, name=k_name)
        masukan["keluarga_desa"] = {
            "berkas": k_name,
            "sha256": file_sha256(k_bytes),
            "desa": len(denom),
            "tanggal": _date(keluarga_desa, region.zona_waktu),
            "sumber": sorted({str(s) for s in denom["sumber"].dropna().unique()}),
            # Rows of the family table that match no desa of the region are listed, not lost.
            "kode_tidak_dikenal": sorted(set(denom["kode_desa"]) - set(batas.desa["kode_desa"])),
            "sintetis": _synthetic(
                region, "keluarga_desa", default,
                bool(len(denom)) and denom["sumber"].astype("string").str.strip().str.upper()
                .str.startswith("SINTETIS").fillna(False).all(),
            ),
        }  # fmt: skip
    if counts is not None:
        indikator = indicators_from_counts(counts, batas.desa, denom, desil_max=desil_max)
    else:
        indikator = desa_indicators(placement.keluarga, batas.desa, denom, desil_max=desil_max)
    ditolak = (
        pd.concat([sheet_table.dilewati, check.ditolak, placement.ditolak], ignore_index=True)
        .sort_values("baris", kind="stable")
        .reset_index(drop=True)[REJECT_COLUMNS]
    )
    pockets, pocket_error = None, None
    try:
        pockets = find_pockets(
            indikator, placement.keluarga, batas.desa, metric_crs=metric, settings=kantong
        )
    except AnalysisError as err:
        pocket_error = str(err)
    if pockets is not None and "galat_desa" in pockets.parameter:
        pocket_error = str(pockets.parameter["galat_desa"])
    register = register if register is not None else region.register
    reg_check, intervensi = None, None
    register_error = None
    if register is not None:
        r_name = _name(register, register_name, "register.csv")
        try:
            r_bytes = read_bytes(register)  # read once: parsed and hashed from the same bytes
            reg_check = read_register(r_bytes, batas.desa, name=r_name)
        except InputSchemaError as err:  # a bad register must not hide the poverty map
            register_error = err
    if reg_check is not None:
        intervensi = analyse_interventions(
            reg_check.register,
            indikator,
            placement.keluarga,
            pockets.desa if pockets is not None else None,
            kecocokan,
        )
        masukan["register"] = {
            "berkas": r_name,
            "sha256": file_sha256(r_bytes),
            "baris": reg_check.rows_in,
            "tanggal": _date(register, region.zona_waktu),
            "sintetis": _synthetic(region, "register", default, False),
        }
    return Result(
        tampilan=display_geometry(batas.desa, metric_crs=metric),
        register_galat=str(register_error) if register_error else None,
        register=reg_check,
        intervensi=intervensi,
        kantong=pockets,
        kantong_galat=pocket_error,
        sheet=sheet_table,
        region=region,
        batas=batas,
        metric_crs=metric,
        check=check,
        placement=placement,
        indikator=indikator,
        ditolak=ditolak,
        masukan=masukan,
    )


INTERVENTION_FILES = (
    "interventions.csv", "gaps.csv", "cakupan.csv", "salah_sasaran.csv", "kecocokan_kebutuhan.csv",
)  # fmt: skip
"""Files written from the register analysis (removed first, so none is left from a former run)."""


def _write_intervention_tables(intervensi: InterventionResult, out: Path) -> list[Path]:
    """Write the register analysis as the app shows it: one CSV per table."""
    written = []
    for name, table in (
        ("interventions.csv", intervensi.matriks),
        ("gaps.csv", intervensi.celah),
        ("cakupan.csv", intervensi.cakupan),
        ("salah_sasaran.csv", intervensi.salah_sasaran),
        ("kecocokan_kebutuhan.csv", intervensi.kebutuhan),
    ):
        path = out / name
        path.write_bytes(to_csv_bytes(table))
        written.append(path)
    return written


def write_outputs(result: Result, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write the run's files.

    Parameters
    ----------
    result : Result
        Output of :func:`run`.
    out_dir : str or os.PathLike
        Folder, created if missing.

    Returns
    -------
    list of pathlib.Path
        ``desa.geojson`` (EPSG:4326, one feature per desa, :data:`DESA_COLUMNS` first, then
        the other indicators and the pocket columns ``kantong``, ``gi_z``, ``gi_p``,
        ``gi_q``, ``nilai_tetangga``, ``alasan``), ``report.json``, ``rejected.csv`` (UTF-8
        with BOM, one row per rejected input row; header only when none) and
        ``pockets.geojson`` (EPSG:4326: the ``panas`` desa and the household clusters); with a
        register, ``interventions.csv`` (desa x strategy matrix), ``gaps.csv``,
        ``cakupan.csv`` (coverage: desa reached and desil-1 families at most),
        ``salah_sasaran.csv`` (possible mistargeting), ``kecocokan_kebutuhan.csv`` (need match
        per desa and need) and ``register_rejected.csv`` (its rejected rows); ``bertanda.csv`` (UTF-8 with BOM, the
        used families carrying a data flag, :meth:`Result.bertanda`; header only when none).
        No personal data is written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    desa = to_display(result.indikator)
    if result.kantong is not None:
        hot = result.kantong.desa.drop(columns="geometry").set_index("kode_desa")
        for col in ("kantong", "gi_z", "gi_p", "gi_q", "kuadran", "nilai_tetangga", "rata_rata",
                    "alasan"):  # fmt: skip
            desa[col] = desa["kode_desa"].map(hot[col])
    rest = [c for c in desa.columns if c not in DESA_COLUMNS and c != "geometry"]
    desa = desa[[*DESA_COLUMNS, *rest, "geometry"]]
    geojson = out / "desa.geojson"
    if geojson.exists():
        geojson.unlink()
    desa.to_file(geojson, driver="GeoJSON", engine="pyogrio")
    report = out / "report.json"
    report.write_text(
        json.dumps(_jsonable(result.report()), indent=2, ensure_ascii=False, allow_nan=False)
        + "\n",
        encoding="utf-8",
    )
    rejected = out / "rejected.csv"
    rejected.write_bytes(to_csv_bytes(result.ditolak))
    flagged = out / "bertanda.csv"
    flagged.write_bytes(to_csv_bytes(result.bertanda()))
    written = [geojson, report, rejected, flagged]
    for stale in INTERVENTION_FILES:
        (out / stale).unlink(missing_ok=True)
    (out / "register_rejected.csv").unlink(missing_ok=True)
    if result.register is not None:
        reg_rej = out / "register_rejected.csv"
        reg_rej.write_bytes(to_csv_bytes(result.register.ditolak))
        written.append(reg_rej)
    if result.intervensi is not None:
        written += _write_intervention_tables(result.intervensi, out)
    pockets = out / "pockets.geojson"
    if pockets.exists():  # never leave an earlier run's pockets beside this run's files
        pockets.unlink()
    if result.kantong is not None:
        _pocket_layer(result).to_file(pockets, driver="GeoJSON", engine="pyogrio")
        written.append(pockets)
    return written


def _pocket_layer(result: Result) -> gpd.GeoDataFrame:
    """Put the pocket desa (``jenis`` = ``desa``) and household clusters in one layer.

    Counts are integer fields (``Int64``): GeoJSON and GeoPackage readers see ``62``, not
    ``62.0``. Requires ``result.kantong``.
    """
    assert result.kantong is not None
    hot = result.kantong.desa[result.kantong.desa["kantong"] == "panas"]
    layer = pd.concat(
        [
            gpd.GeoDataFrame(
                {
                    "jenis": "desa",
                    "id_kantong": hot["kode_desa"],
                    "kode_desa": hot["kode_desa"],
                    "keluarga_desil_1": hot["kode_desa"]
                    .map(result.indikator.set_index("kode_desa")["keluarga_desil_1"])
                    .astype("Int64"),
                    "keterangan": hot["alasan"],
                },
                geometry=hot.geometry.values,
                crs=hot.crs,
            ),
            gpd.GeoDataFrame(
                {
                    "jenis": "klaster_keluarga",
                    "id_kantong": result.kantong.klaster["id_kantong"],
                    "kode_desa": result.kantong.klaster["kode_desa"],
                    "keluarga_desil_1": result.kantong.klaster["keluarga_desil_1"].astype("Int64"),
                    "keterangan": result.kantong.klaster["kekurangan_utama"],
                },
                geometry=result.kantong.klaster.geometry.values,
                crs=result.kantong.klaster.crs,
            ),
        ],
        ignore_index=True,
    )
    return gpd.GeoDataFrame(layer, geometry="geometry", crs="EPSG:4326")


def _jsonable(value: Any) -> Any:
    """Plain JSON values: NaN, infinity and NA become null, numpy scalars Python numbers.

    Infinity arises without data, e.g. the "high desil-1 share" threshold when no desa has a
    share; JSON has no infinity, and ``report.json`` must still be written.
    """
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, str):
        return value
    return str(value)
