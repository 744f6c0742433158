"""One import of one set of inputs for one region at one date: read -> place -> measure.

:func:`load_snapshot` reads the household file, the desa boundaries and (optionally) the
table of all families per desa, places every family in a desa and counts the indicators. It
runs no permutation test and reads no register: :func:`targeting.pipeline.analyse` adds the
pockets, the register analysis and the priority ranking to a :class:`Snapshot`. Both engines
(pandas, and Dask through :mod:`targeting.engine_dask`) produce the same Snapshot.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
import pyproj

from geo.crs import choose_metric_crs
from geo.errors import InputSchemaError, RegionError
from geo.households import HouseholdCheck, user_headers, validate_households
from geo.io import BoundaryLoad, Source, file_sha256, read_boundaries, read_bytes, read_family_table
from geo.join import (
    DEFAULT_COAST_M,
    FLAG_COLUMNS,
    Placement,
    place_households,
    unknown_code_reason,
)
from geo.ledger import Ledger, rejections
from geo.region import Region
from geo.sheets import RawTable, read_sheet, sheet_name
from geo.wilayah import KodeWilayah, read_kode_wilayah, toleransi_tampilan, with_unmapped
from targeting.engine_dask import ENGINES, PARTISI
from targeting.indicators import desa_indicators, indicators_from_counts
from targeting.maps import display_geometry
from targeting.provenance import InputFile, Provenance, file_date, file_name, marked_synthetic

__all__ = ["Snapshot", "load_snapshot"]

TANGGAL_COLUMNS = ("tanggal_data", "tanggal_pendataan")
"""Household-file columns that date the data (one date for every row), by preference."""


@dataclass(frozen=True)
class Snapshot:
    """One import of one set of inputs for one region at one date.

    Attributes
    ----------
    region : Region
        The region settings used.
    batas : BoundaryLoad
        The desa layer (``batas.desa``: EPSG:4326, one row per desa) and what was repaired.
    metric_crs : pyproj.CRS
        Metric CRS of the region, for distances and areas.
    sheet : RawTable
        The household file's sheet as read (skipped rows, hidden rows, formulas).
    check : HouseholdCheck
        Row-level validation of the household file.
    placement : Placement
        Families placed in desa (EPSG:4326 points), with flags.
    indikator : geopandas.GeoDataFrame
        Per-desa indicators (EPSG:4326), :func:`targeting.indicators.desa_indicators`.
    ledger : Ledger
        Row accounting of the household file (sheet -> validation -> placement), checked.
    provenance : Provenance
        Inputs, import parameters, versions and metric CRS.
    tanggal : str or None
        Date of the data (ISO): given by the user, else one date in a
        :data:`TANGGAL_COLUMNS` column, else the household file's date; None for an upload
        without either.
    ledgers : Mapping
        Row accounting of the other inputs by role (``batas_desa``, ``keluarga_desa``).
    keluarga_desa : pandas.DataFrame or None
        The table of all families per desa (the denominator), when given.
    tampilan : geopandas.GeoSeries or None
        Desa outlines simplified for the map (:func:`targeting.maps.display_geometry`).
    """

    region: Region
    batas: BoundaryLoad
    metric_crs: pyproj.CRS
    sheet: RawTable
    check: HouseholdCheck
    placement: Placement
    indikator: gpd.GeoDataFrame
    ledger: Ledger
    provenance: Provenance
    tanggal: str | None = None
    ledgers: Mapping[str, Ledger] = field(default_factory=dict)
    keluarga_desa: pd.DataFrame | None = None
    tampilan: gpd.GeoSeries | None = None

    @property
    def desa(self) -> gpd.GeoDataFrame:
        """The desa layer (EPSG:4326): ``kode_desa``, ``desa``, ``kecamatan``, geometry."""
        return self.batas.desa

    @property
    def ditolak(self) -> pd.DataFrame:
        """Every rejected row of the household file (:attr:`Ledger.ditolak`)."""
        return self.ledger.ditolak

    @property
    def rows_in(self) -> int:
        """Rows read below the header (blank rows aside), skipped rows included."""
        return self.ledger.rows_in

    @property
    def rows_used(self) -> int:
        """Input rows counted in a used family (people, for an individual-level file)."""
        return self.ledger.rows_used

    @property
    def rows_rejected(self) -> int:
        """Rows rejected with a reason."""
        return self.ledger.rows_rejected

    @property
    def families_used(self) -> int:
        """Families placed in a desa and counted."""
        return len(self.placement.keluarga)

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
            coordinates. Empty, with these columns, when no family is flagged.
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


def load_snapshot(
    region: Region,
    *,
    households: Source | None = None,
    boundaries: Source | None = None,
    keluarga_desa: Source | None = None,
    names: Mapping[str, str | None] | None = None,
    boundaries_layer: str | None = None,
    desil_scale: str = "auto",
    sheet: str | None = None,
    jarak_pantai_m: float = DEFAULT_COAST_M,
    tanggal: str | None = None,
    engine: str = "pandas",
    scheduler: str | None = None,
    partisi: str = "kecamatan",
) -> Snapshot:
    """Read, place and measure one set of inputs: no pockets, no register, no ranking.

    Parameters
    ----------
    region : Region
        Region settings; its files are the defaults of the inputs not given.
    households, boundaries, keluarga_desa : path, bytes or binary file, optional
        The P3KE/DTSEN household or person file (CSV/XLSX), the desa polygons, and the
        table of all families per desa (``kode_desa``, ``keluarga_total``); default: the
        region's (the family table only if the region has one).
    names : Mapping, optional
        Role (``keluarga_p3ke``, ``batas_desa``, ``keluarga_desa``) -> file name (uploads).
    boundaries_layer : str, optional
        Layer of a multi-layer boundary file.
    desil_scale : {"auto", "p3ke", "dtsen"}, default "auto"
        Decile scale of the household file.
    sheet : str, optional
        XLSX sheet to read; default: the first sheet with a recognised header.
    jarak_pantai_m : float, default 500
        Metres within which a point in the sea is "just off the coast" (flagged, kept).
    tanggal : str, optional
        Date of the data (ISO ``YYYY-MM-DD``); default as :attr:`Snapshot.tanggal` says.
    engine, scheduler, partisi : str, optional
        ``engine="dask"`` places and counts the families in partitions (grouped by
        ``partisi``: ``"kecamatan"`` or ``"hilbert"``) on the Dask cluster at ``scheduler``
        (default: a local one); the snapshot equals the default ``"pandas"`` engine's.

    Returns
    -------
    Snapshot
        Its ledger checked: ``rows_in == rows_used + rows_rejected``.

    Raises
    ------
    ValueError
        If ``engine`` or ``partisi`` is not one of its choices (a caller's error).
    RegionError
        If an input is None and the region names no default for it.
    InputSchemaError, CRSError
        From the readers, naming the file, row and column.
    LedgerError
        If the row accounting does not add up (a defect of Lokus).
    """
    if engine not in ENGINES or partisi not in PARTISI:
        msg = f"engine must be in {ENGINES}, partisi in {PARTISI}; got {engine!r}, {partisi!r}"
        raise ValueError(msg)
    names = dict(names or {})
    default = {"keluarga_p3ke": households is None, "keluarga_desa": keluarga_desa is None}
    households, boundaries, keluarga_desa = _defaults(region, households, boundaries, keluarga_desa)
    batas, b_input = _read_boundaries(region, boundaries, names.get("batas_desa"), boundaries_layer)
    metric = choose_metric_crs(batas.desa, setting=region.metric_crs)
    h_name, h_bytes, table, check = _read_households(
        households, names.get("keluarga_p3ke"), sheet, desil_scale
    )
    desil_max, kode = check.desil_max, read_kode_wilayah(region.kode_wilayah)
    placement, counts, placed = _place(check, batas, h_name, metric, jarak_pantai_m,
                                       desil_max, engine, scheduler, partisi, kode)  # fmt: skip
    ledger = table.ledger.then(check.ledger).then(placed).in_sheet(sheet_name(table.sheet))
    ledger = ledger.with_headers(user_headers(table.judul)).check()
    h_input = _household_input(region, households, h_name, h_bytes, table, ledger, default)
    inputs, ledgers, denom = [h_input, b_input], {"batas_desa": batas.ledger.check()}, None
    if keluarga_desa is not None:
        denom, k_input, ledgers["keluarga_desa"] = _read_denominator(
            region, keluarga_desa, names.get("keluarga_desa"), batas, default
        )
        inputs.append(k_input)
    tables = with_unmapped(batas.desa, kode)  # pemekaran desa: counted, not mapped
    indikator = (
        indicators_from_counts(counts, tables, denom, desil_max=desil_max)
        if counts is not None  # the Dask engine counted in its partitions
        else desa_indicators(placement.keluarga, tables, denom, desil_max=desil_max)
    )
    tanggal = _tanggal_iso(tanggal) or _data_date(table.frame) or h_input.tanggal
    provenance = Provenance(
        region.nama, region.kode, metric.to_string(), tuple(inputs), tanggal_data=tanggal,
        parameter={"impor": {"skala_desil": desil_scale, "lembar": sheet or "otomatis",
                             "jarak_pantai_m": jarak_pantai_m, "mesin": engine}},
    )  # fmt: skip
    return Snapshot(
        region=region, batas=batas, metric_crs=metric, sheet=table, check=check,
        placement=placement, indikator=indikator, ledger=ledger, provenance=provenance,
        tanggal=tanggal, ledgers=ledgers,
        keluarga_desa=denom, tampilan=display_geometry(batas.desa, metric_crs=metric, toleransi_m=toleransi_tampilan(batas.desa)),
    )  # fmt: skip


def _defaults(
    region: Region, households: Source | None, boundaries: Source | None, denom: Source | None
) -> tuple[Source, Source, Source | None]:
    """Fill the inputs not given with the region's files; the household file is required."""
    households = households if households is not None else region.keluarga_p3ke
    if households is None:
        msg = f"wilayah {region.nama} tidak memiliki berkas P3KE bawaan; berikan --households"
        en = f"region {region.nama} has no default P3KE file; pass --households"
        raise RegionError(msg, en=en)
    boundaries = boundaries if boundaries is not None else region.batas_desa
    return households, boundaries, denom if denom is not None else region.keluarga_desa


def _read_households(
    src: Source, given: str | None, sheet: str | None, desil_scale: str
) -> tuple[str, bytes, RawTable, HouseholdCheck]:
    """Read the household sheet and validate its rows; also return its name and bytes."""
    name = file_name(src, given, "keluarga.csv")
    data = read_bytes(src)
    table = read_sheet(data, label=name, sheet=sheet)
    check = validate_households(
        table.frame,
        source=name,
        desil_scale=desil_scale,  # type: ignore[arg-type]
        numeric_cells=table.numeric_cells,
        formula_cells=table.rumus_tanpa_nilai,
    )
    return name, data, table, check


def _place(
    check: HouseholdCheck,
    batas: BoundaryLoad,
    source: str,
    metric: pyproj.CRS,
    jarak_pantai_m: float,
    desil_max: int,
    engine: str,
    scheduler: str | None,
    partisi: str,
    kode: KodeWilayah | None = None,
) -> tuple[Placement, pd.DataFrame | None, Ledger]:
    """Place the validated families with one engine; the counts too with Dask."""
    if engine == "dask":
        from targeting.engine_dask import dask_client, place_and_count

        desa = batas.desa.copy()
        desa.attrs["kode_wilayah"] = kode  # the code table travels with the polygons
        with dask_client(scheduler) as client:
            run = place_and_count(
                check.keluarga, desa, source=source, metric_crs=metric, client=client,
                jarak_pantai_m=jarak_pantai_m, desil_max=desil_max, partisi=partisi,
            )  # fmt: skip
        assert run.ledger is not None
        return run.placement, run.counts, run.ledger
    placement = place_households(
        check.keluarga, batas.desa, source=source, metric_crs=metric,
        jarak_pantai_m=jarak_pantai_m, kode_wilayah=kode,
    )  # fmt: skip
    return placement, None, placement.ledger(check.keluarga, source)


def _household_input(
    region: Region,
    src: Source,
    name: str,
    data: bytes,
    table: RawTable,
    ledger: Ledger,
    default: Mapping[str, bool],
) -> InputFile:
    """Describe the household file as read: sheet, hidden rows and sheets, formulas."""
    return InputFile(
        peran="keluarga_p3ke",
        berkas=name,
        sha256=file_sha256(data),
        baris=ledger.rows_in,
        tanggal=file_date(src, region.zona_waktu),
        sintetis=_synthetic(region, "keluarga_p3ke", default, marked_synthetic(table.frame)),
        rincian={
            "lembar": table.sheet,
            "lembar_tersedia": table.sheets,
            "lembar_lain_berjudul_p3ke_tidak_dibaca": table.lembar_lain,
            "lembar_tersembunyi": table.lembar_tersembunyi,
            "baris_tersembunyi_di_excel": len(table.baris_tersembunyi),
            "autofilter": table.autofilter,
            "rumus_tanpa_nilai": table.rumus_tanpa_nilai,
            "baris_judul": table.header_row,
        },
    )


def _read_boundaries(
    region: Region, src: Source, given: str | None, layer: str | None
) -> tuple[BoundaryLoad, InputFile]:
    """Read the desa layer (a path is read directly, so a shapefile finds its sidecars)."""
    name = file_name(src, given, "batas_desa")
    data = read_bytes(src)
    batas = read_boundaries(
        src if isinstance(src, (str, os.PathLike)) else data,
        name=name,
        code_prefix=region.kode,
        layer=layer,
    )
    described = InputFile(
        peran="batas_desa",
        berkas=name,
        sha256=batas.sha256,
        baris=batas.rows_in,
        tanggal=file_date(src, region.zona_waktu),
        rincian={
            "desa": len(batas.desa),
            "lapisan": batas.lapisan,
            "lapisan_tersedia": [f"{n} ({g})" for n, g in batas.lapisan_tersedia],
        },
    )
    return batas, described


def _read_denominator(
    region: Region,
    src: Source,
    given: str | None,
    batas: BoundaryLoad,
    default: Mapping[str, bool],
) -> tuple[pd.DataFrame, InputFile, Ledger]:
    """Read the table of all families per desa; rows naming no desa of the region are listed."""
    name = file_name(src, given, "keluarga_desa.csv")
    data = read_bytes(src)
    denom, read = read_family_table(data, name=name)
    unknown = ~denom["kode_desa"].isin(set(batas.desa["kode_desa"]))
    ditolak = rejections(
        pd.DataFrame(
            {
                "baris": denom.loc[unknown, "baris"],
                "kolom": "kode_desa",
                "nilai": denom.loc[unknown, "kode_desa"],
                "kode": "kode_desa_tidak_dikenal",
                "alasan": [
                    f"{unknown_code_reason(k)}; tidak dihitung"
                    for k in denom.loc[unknown, "kode_desa"]
                ],
            }
        ),
        berkas=name,
    )
    matched = Ledger.stage(name, rows_in=len(denom), used=int((~unknown).sum()), ditolak=ditolak)
    ledger = read.then(matched).check()
    sumber = denom["sumber"].astype("string").str.strip().str.upper()
    marked = bool(len(denom)) and bool(sumber.str.startswith("SINTETIS").fillna(False).all())
    described = InputFile(
        peran="keluarga_desa",
        berkas=name,
        sha256=file_sha256(data),
        baris=ledger.rows_in,
        tanggal=file_date(src, region.zona_waktu),
        sintetis=_synthetic(region, "keluarga_desa", default, marked),
        rincian={
            "desa": len(denom),
            "sumber": sorted({str(s) for s in denom["sumber"].dropna().unique()}),
            # Rows of the family table that match no desa of the region are listed, not lost.
            "kode_tidak_dikenal": sorted(set(denom.loc[unknown, "kode_desa"])),
        },
    )
    return denom.drop(columns="baris"), described, ledger


def _synthetic(region: Region, key: str, default: Mapping[str, bool], marked: bool) -> bool:
    """Synthetic by provenance: a default the region marks ``sintetis``, or a marked file.

    A file's name is never evidence: ``data_SINTETIS.csv`` without a marker is real data, and
    a real region's own default data are not synthetic unless its region.toml says so.
    """
    return bool(marked or (default.get(key, False) and key in region.sintetis))


def _tanggal_iso(tanggal: str | None) -> str | None:
    """Read a date typed as ISO (2025-03-31) or day first (31/03/2025, 31-03-2025).

    Parameters
    ----------
    tanggal : str or None
        The date as typed (``--tanggal``, the page's date field).

    Returns
    -------
    str or None
        The date as ``YYYY-MM-DD``; None when none was given.

    Raises
    ------
    InputSchemaError
        If the text is not one of those forms of a real date.
    """
    text = str(tanggal or "").strip()
    if not text:
        return None
    for form in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, form).date().isoformat()
        except ValueError:
            continue
    msg = f"tanggal data '{text}' tidak terbaca; tulis YYYY-MM-DD (2025-03-31) atau DD/MM/YYYY"
    en = f"data date '{text}' not understood; write YYYY-MM-DD (2025-03-31) or DD/MM/YYYY"
    raise InputSchemaError(msg, en=en)


def _data_date(frame: pd.DataFrame) -> str | None:
    """One date written in a :data:`TANGGAL_COLUMNS` column for every row (ISO), else None."""
    for col in TANGGAL_COLUMNS:
        if col in frame.columns:
            text = frame[col].astype("string").str.strip()
            # ISO dates (2024-06-30) are read as such; others day first (30/06/2024).
            iso = bool(text.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).all())
            dates = pd.to_datetime(
                text, errors="coerce", dayfirst=not iso, format="ISO8601" if iso else None
            ).dropna()
            if len(dates) and dates.dt.normalize().nunique() == 1:
                return dates.iloc[0].date().isoformat()
    return None


def register_input(
    region: Region, src: Source, name: str, data: bytes, rows: int, *, default: bool
) -> InputFile:
    """Describe a sub-activity register as read (for :meth:`Provenance.with_input`).

    Parameters
    ----------
    region : Region
        Region settings (time zone, which defaults are synthetic).
    src : path, bytes or binary file
        The register as given (a path gives the file's date).
    name : str
        File name.
    data : bytes
        The bytes read (hashed).
    rows : int
        Rows read, as the register's ledger counts them.
    default : bool
        True when the register is the region's own default.

    Returns
    -------
    InputFile
    """
    return InputFile(
        peran="register",
        berkas=name,
        sha256=file_sha256(data),
        baris=rows,
        tanggal=file_date(src, region.zona_waktu),
        sintetis=_synthetic(region, "register", {"register": default}, False),
    )
