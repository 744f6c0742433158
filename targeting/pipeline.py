"""The Lokus pipeline: a snapshot (read -> place -> measure), then its analysis.

:func:`targeting.snapshot.load_snapshot` imports one set of inputs; :func:`analyse` adds the
pockets, the register analysis and the priority ranking; :func:`write_outputs` writes the
files. :func:`run` does both steps for the CLI (``python -m targeting run``) and the app.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj

from geo.crs import to_display
from geo.errors import AnalysisError, InputSchemaError
from geo.households import HouseholdCheck
from geo.io import BoundaryLoad, Source, read_bytes
from geo.join import DEFAULT_COAST_M, FLAG_COLUMNS, Placement
from geo.ledger import Ledger
from geo.region import Region
from geo.sheets import RawTable
from targeting.export import to_csv_bytes
from targeting.indicators import district_summary
from targeting.interventions import InterventionResult, MatchSettings, analyse_interventions
from targeting.pockets import PocketResult, PocketSettings, find_pockets
from targeting.priority import Ranking, rank_desa
from targeting.provenance import LOKUS_VERSION, Provenance, file_name
from targeting.register import RegisterCheck, read_register
from targeting.snapshot import Snapshot, load_snapshot, register_input
from targeting.waktu import sekarang, stempel

__all__ = [
    "DESA_COLUMNS",
    "Analysis",
    "AnalysisSettings",
    "Result",
    "analyse",
    "load_snapshot",
    "run",
    "write_outputs",
]

DESA_COLUMNS = [
    "kode_desa", "desa", "kecamatan", "keluarga_total", "keluarga_p3ke", "keluarga_desil_1",
    "persen_desil_1",
]  # fmt: skip
"""Columns every ``desa.geojson`` carries first (issue 2's contract)."""


@dataclass(frozen=True)
class AnalysisSettings:
    """Settings of :func:`analyse`.

    Attributes
    ----------
    kantong : PocketSettings
        The pocket analysis (defaults documented on :class:`PocketSettings`).
    kecocokan : MatchSettings
        The register's match analysis.
    bobot : dict or None
        Priority weights per component; None: :data:`targeting.priority.BOBOT_BAWAAN`.
    normalisasi : {"minmax", "peringkat"}
        Normalisation of each priority component.
    """

    kantong: PocketSettings = field(default_factory=PocketSettings)
    kecocokan: MatchSettings = field(default_factory=MatchSettings)
    bobot: dict[str, float] | None = None
    normalisasi: str = "minmax"


@dataclass
class Analysis:
    """A snapshot analysed: pockets, register analysis and priority.

    Attributes
    ----------
    snapshot : Snapshot
        The import analysed (region, desa, placed families, indicators, ledger).
    settings : AnalysisSettings
        The settings used.
    provenance : Provenance
        The snapshot's provenance with the analysis' parameters, seed, rule texts and the
        register added; ``report.json`` and the workbook's ``ringkasan`` render it.
    kantong : PocketResult or None
        Poverty pockets at desa level and below; None when the analysis could not run (the
        reason is in ``kantong_galat``).
    kantong_galat : str or None
        Why the pocket analysis did not run (e.g. every desa has the same value).
    register : RegisterCheck or None
        The sub-activity register as read (its own ledger), when there is one.
    intervensi : InterventionResult or None
        The match analysis of the register.
    register_galat : str or None
        Why the register could not be used (the poverty map is still made).
    """

    snapshot: Snapshot
    settings: AnalysisSettings
    provenance: Provenance
    kantong: PocketResult | None = None
    kantong_galat: str | None = None
    register: RegisterCheck | None = None
    intervensi: InterventionResult | None = None
    register_galat: str | None = None

    # The snapshot's parts, read through the analysis (views and exports use these names).
    @property
    def region(self) -> Region:
        """The region settings used."""
        return self.snapshot.region

    @property
    def batas(self) -> BoundaryLoad:
        """Desa polygons and what was repaired."""
        return self.snapshot.batas

    @property
    def metric_crs(self) -> pyproj.CRS:
        """Metric CRS used for distances and areas."""
        return self.snapshot.metric_crs

    @property
    def sheet(self) -> RawTable:
        """The household file's sheet as read."""
        return self.snapshot.sheet

    @property
    def check(self) -> HouseholdCheck:
        """Row-level validation of the household file."""
        return self.snapshot.check

    @property
    def placement(self) -> Placement:
        """Families placed in desa, with flags."""
        return self.snapshot.placement

    @property
    def indikator(self) -> gpd.GeoDataFrame:
        """Per-desa indicators (EPSG:4326)."""
        return self.snapshot.indikator

    @property
    def tampilan(self) -> gpd.GeoSeries | None:
        """Desa outlines simplified for the map."""
        return self.snapshot.tampilan

    @property
    def ledger(self) -> Ledger:
        """Row accounting of the household file (checked when the snapshot was made)."""
        return self.snapshot.ledger

    @property
    def ditolak(self) -> pd.DataFrame:
        """Every rejected row of the household file (:attr:`Ledger.ditolak`)."""
        return self.snapshot.ledger.ditolak

    @property
    def rows_in(self) -> int:
        """Rows read below the header (blank rows aside), skipped rows included."""
        return self.snapshot.rows_in

    @property
    def rows_used(self) -> int:
        """Input rows counted in a used family (people, for an individual-level file)."""
        return self.snapshot.rows_used

    @property
    def rows_rejected(self) -> int:
        """Rows rejected with a reason."""
        return self.snapshot.rows_rejected

    @property
    def families_used(self) -> int:
        """Families placed in a desa and counted."""
        return self.snapshot.families_used

    def bertanda(self) -> pd.DataFrame:
        """List the used families that carry a data flag (:meth:`Snapshot.bertanda`).

        Returns
        -------
        pandas.DataFrame
            ``baris``, ``kode_desa``, ``kode_desa_titik``, ``tanda``; no personal data.
            Written as ``bertanda.csv`` by :func:`write_outputs` and offered for download on
            the "Laporan impor" page.
        """
        return self.snapshot.bertanda()

    @cached_property
    def prioritas(self) -> Ranking:
        """The priority ranking with the settings' weights (computed when first read)."""
        return self.peringkat(self.settings.bobot, self.settings.normalisasi)

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
        prov = self.provenance.to_report()
        denom = self.provenance.input("keluarga_desa")
        return {
            "lokus_versi": LOKUS_VERSION,
            "dibuat": stempel(now or sekarang(self.region.zona_waktu), self.region.zona_waktu),
            "zona_waktu": self.region.zona_waktu,
            "wilayah": {
                "nama": self.provenance.wilayah,
                "kode": self.provenance.kode_wilayah,
                "crs_metrik": prov["crs_metrik"],
                "crs_tampilan": "EPSG:4326",
            },
            "tanggal_data": prov["tanggal_data"],
            "masukan": prov["masukan"],
            "pembukuan_baris": self._ledger_report(),
            "parameter": prov["parameter"],
            "seed": prov["seed"],
            "aturan": prov["aturan"],
            "versi": prov["versi"],
            "rows_in": self.ledger.rows_in,
            "rows_used": self.ledger.rows_used,
            "rows_rejected": self.ledger.rows_rejected,
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
            # Codes across years (geo.wilayah): counted under their code, listed here.
            "desa_tanpa_batas_pemekaran": _records(self.placement.tanpa_batas),
            "desa_ejaan_lama": _records(self.placement.ejaan_lama),
            "penyebut_kode_tidak_dikenal": (
                list(denom.rincian["kode_tidak_dikenal"]) if denom is not None else []
            ),
            "flags": {f: int(keluarga[f].sum()) for f in FLAG_COLUMNS},
            "arti_flag": dict(FLAG_COLUMNS),
            "keluarga_berkoordinat": int(keluarga.geometry.notna().sum()),
            "alasan_ditolak": self.ledger.alasan(),
            "kode_ditolak": self.ledger.per_kode(),
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

    def ledgers(self) -> dict[str, Ledger]:
        """Return the row accounting of every input, by role, each checked.

        Returns
        -------
        dict
            ``keluarga_p3ke`` (the household file), ``batas_desa``, ``keluarga_desa`` (when
            given) and ``register`` (when read) -> :class:`Ledger`.

        Raises
        ------
        LedgerError
            If an input's rows do not add up (a defect of Lokus).
        """
        ledgers = {"keluarga_p3ke": self.ledger, **self.snapshot.ledgers}
        if self.register is not None:
            ledgers["register"] = self.register.ledger
        return {role: led.check() for role, led in ledgers.items()}

    def _ledger_report(self) -> dict[str, dict[str, Any]]:
        """Row accounting of every input, by role (each ledger checked)."""
        return {
            role: {
                "berkas": led.berkas,
                "rows_in": led.rows_in,
                "rows_used": led.rows_used,
                "rows_rejected": led.rows_rejected,
                "kode_ditolak": led.per_kode(),
            }
            for role, led in self.ledgers().items()
        }

    def _intervention_report(self) -> dict[str, Any]:
        if self.register is None or self.intervensi is None:
            return {"dijalankan": False, "alasan": self.register_galat}
        reg = self.register
        ledger = reg.ledger.check()
        cov = self.intervensi.cakupan
        return {
            "dijalankan": True,
            "register": {
                "rows_in": ledger.rows_in,
                "rows_used": ledger.rows_used,
                "rows_rejected": ledger.rows_rejected,
                "alasan_ditolak": ledger.alasan(),
                "kode_ditolak": ledger.per_kode(),
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


Result = Analysis
"""The former name of :class:`Analysis` (one pipeline run's output)."""


def analyse(
    snapshot: Snapshot,
    settings: AnalysisSettings | None = None,
    *,
    register: Source | None = None,
    register_name: str | None = None,
) -> Analysis:
    """Analyse a snapshot: poverty pockets, the register's match analysis, priority.

    Parameters
    ----------
    snapshot : Snapshot
        From :func:`targeting.snapshot.load_snapshot`.
    settings : AnalysisSettings, optional
        Pocket, match and priority settings (defaults documented on each).
    register : path, bytes or binary file, optional
        Sub-activity register; default: the region's. Without one no match analysis runs.
    register_name : str, optional
        File name for messages.

    Returns
    -------
    Analysis
        With the pockets (or why they could not run), the register analysis (or why the
        register could not be used: a bad register never hides the poverty map) and the
        provenance completed. The priority ranking is :attr:`Analysis.prioritas`.
    """
    settings = settings or AnalysisSettings()
    pockets, pocket_error = _pockets(snapshot, settings.kantong)
    default_register = register is None
    register = register if register is not None else snapshot.region.register
    reg_check, intervensi, register_error = None, None, None
    provenance = snapshot.provenance
    if register is not None:
        r_name = file_name(register, register_name, "register.csv")
        try:
            r_bytes = read_bytes(register)  # read once: parsed and hashed from the same bytes
            reg_check = read_register(r_bytes, snapshot.desa, name=r_name)
        except InputSchemaError as err:  # a bad register must not hide the poverty map
            register_error = str(err)
    if reg_check is not None:
        intervensi = analyse_interventions(
            reg_check.register,
            snapshot.indikator,
            snapshot.placement.keluarga,
            pockets.desa if pockets is not None else None,
            settings.kecocokan,
        )
        provenance = provenance.with_input(
            register_input(snapshot.region, register, r_name, r_bytes, reg_check.rows_in,
                           default=default_register)
        )  # fmt: skip
    provenance = provenance.with_analysis(
        {"kantong": _settings_dict(settings.kantong),
         "kecocokan": _settings_dict(settings.kecocokan)},
        seed=settings.kantong.seed,
        aturan=_rule_texts(pockets, intervensi),
    )  # fmt: skip
    return Analysis(
        snapshot=snapshot, settings=settings, provenance=provenance, kantong=pockets,
        kantong_galat=pocket_error, register=reg_check, intervensi=intervensi,
        register_galat=register_error,
    )  # fmt: skip


def _pockets(
    snapshot: Snapshot, settings: PocketSettings
) -> tuple[PocketResult | None, str | None]:
    """Find the pockets; say why when the desa-level analysis could not run."""
    finder = find_pockets
    if settings.cakupan == "kabupaten":
        from targeting.wilayah import pockets_by_kabupaten as finder
    try:
        pockets = finder(
            snapshot.indikator,
            snapshot.placement.keluarga,
            snapshot.desa,
            metric_crs=snapshot.metric_crs,
            settings=settings,
        )
    except AnalysisError as err:
        return None, str(err)
    if "galat_desa" in pockets.parameter:
        return pockets, str(pockets.parameter["galat_desa"])
    return pockets, None


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a small listing as JSON records (an empty list when there is none)."""
    return [] if frame is None or frame.empty else frame.to_dict(orient="records")


def _settings_dict(settings: Any) -> dict[str, Any]:
    """Turn a settings dataclass into plain values (the seed is recorded once, apart)."""
    from dataclasses import asdict

    return {k: v for k, v in asdict(settings).items() if k != "seed"}


def _rule_texts(
    pockets: PocketResult | None, intervensi: InterventionResult | None
) -> dict[str, str]:
    """Say the rules the analysis applied as sentences (pocket labels, clusters, coverage)."""
    rules = {}
    if pockets is not None:
        rules["aturan_desa"] = str(pockets.parameter["aturan_desa"])
        rules["aturan_klaster"] = str(pockets.parameter["aturan_klaster"])
    if intervensi is not None and intervensi.parameter.get("aturan_cakupan"):
        rules["aturan_cakupan"] = str(intervensi.parameter["aturan_cakupan"])
    return rules


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
) -> Analysis:
    """Load a snapshot and analyse it: :func:`load_snapshot`, then :func:`analyse`.

    Kept for the callers of one step (``kantong`` and ``kecocokan`` make the
    :class:`AnalysisSettings`; ``*_name`` name uploads in messages); every other argument is
    :func:`targeting.snapshot.load_snapshot`'s or :func:`analyse`'s.

    Returns
    -------
    Analysis
        With ``rows_in == rows_used + rows_rejected``.

    Raises
    ------
    ValueError
        If ``engine`` or ``partisi`` is not one of its choices.
    RegionError
        If an input is None and the region names no default for it.
    InputSchemaError, CRSError
        From the readers, naming the file, row and column.
    """
    snapshot = load_snapshot(
        region,
        households=households,
        boundaries=boundaries,
        keluarga_desa=keluarga_desa,
        names={"keluarga_p3ke": households_name, "batas_desa": boundaries_name,
               "keluarga_desa": keluarga_desa_name},
        boundaries_layer=boundaries_layer,
        desil_scale=desil_scale,
        sheet=sheet,
        jarak_pantai_m=jarak_pantai_m,
        engine=engine,
        scheduler=scheduler,
        partisi=partisi,
    )  # fmt: skip
    settings = AnalysisSettings(
        kantong=kantong or PocketSettings(), kecocokan=kecocokan or MatchSettings()
    )
    return analyse(snapshot, settings, register=register, register_name=register_name)


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
        for col in ("klaster_pindai", "pindai_llr", "pindai_rr"):  # only when the scan ran
            if col in hot.columns:
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
