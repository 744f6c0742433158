"""The target-list package: the workbook, CSV, GIS layers and map a village meeting gets.

One object, :class:`TargetPackage`, assembles everything from a pipeline run, a ranking and
the user's choices, so the app's download buttons and the CLI (``--desa``/``--top``) write the
same files:

- ``target_list.xlsx``: sheets ``ringkasan`` (parameters, weights, seed, sources and dates,
  counts, rule texts, the personal-data choice), ``desa_prioritas`` (ranking with every
  component), ``sasaran_keluarga`` (families), ``intervensi`` (desa x strategy matrix of the
  chosen desa) and ``laporan_impor`` (rejected rows);
- ``target_list.csv``: the families (UTF-8 with BOM; ``;`` with decimal comma on request);
- ``target_list.geojson`` (EPSG:4326) and ``target_list.gpkg``: the chosen priority desa and
  the pockets, for QGIS;
- ``target_map.html``: the map, openable offline.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.crs import DISPLAY_CRS, to_display
from targeting.export import to_csv_bytes, to_xlsx_bytes
from targeting.format import angka
from targeting.interventions import lokus_long
from targeting.maps import render, standalone_html
from targeting.mapspec import MapData, MapSettings, map_spec
from targeting.priority import KOMPONEN, Ranking
from targeting.register import STRATEGI
from targeting.strategies import PERMENDAGRI
from targeting.targets import TargetList, target_families
from targeting.waktu import ke_lokal, nama_zona, sekarang

if TYPE_CHECKING:
    from targeting.pipeline import Result

__all__ = ["LEMBAR", "TargetOptions", "TargetPackage", "build_package"]

LEMBAR = ("ringkasan", "desa_prioritas", "sasaran_keluarga", "intervensi", "laporan_impor")
"""Sheets of the workbook, in order."""


@dataclass(frozen=True)
class TargetOptions:
    """What the user chose for a target list.

    Attributes
    ----------
    desa : tuple of str
        Dotted codes of the chosen priority desa.
    desil : tuple of int
        Desil kept (default desil 1).
    hanya_berkekurangan : bool
        Only families with at least one deprivation rule true.
    strategi : tuple of int or None
        Only families suggested one of these strategies.
    data_pribadi : bool
        Include NIK, No KK, names, address, date of birth and exact coordinates. Recorded in
        ``ringkasan`` and in the file name.
    cara_pilih : str
        How the desa were chosen (e.g. ``"10 teratas"``), for ``ringkasan``.
    """

    desa: tuple[str, ...]
    desil: tuple[int, ...] = (1,)
    hanya_berkekurangan: bool = False
    strategi: tuple[int, ...] | None = None
    data_pribadi: bool = False
    cara_pilih: str = ""


@dataclass
class TargetPackage:
    """Everything exported for one selection (see the module docstring for the files).

    Attributes
    ----------
    result : Result
        The pipeline run.
    ranking : Ranking
        The priority ranking.
    options : TargetOptions
        The user's choices.
    sasaran : TargetList
        The target families.
    dibuat : datetime.datetime
        When the package was made (aware). ``ringkasan``, the map's note and the file names
        write it in the region's local time (``Region.zona_waktu``, WIB for Kayong Utara)
        with its offset, e.g. ``2026-12-01T09:15:00+07:00``.
    """

    result: Result
    ranking: Ranking
    options: TargetOptions
    sasaran: TargetList
    dibuat: dt.datetime = field(default_factory=sekarang)

    def dibuat_lokal(self) -> dt.datetime:
        """Return :attr:`dibuat` in the region's time zone (whole seconds).

        Returns
        -------
        datetime.datetime
            Aware, in ``Region.zona_waktu``.
        """
        return ke_lokal(self.dibuat, self.result.region.zona_waktu).replace(microsecond=0)

    # ---- names ------------------------------------------------------------------------
    def filter_label(self) -> str:
        """Short text of the filter for file names, e.g. ``desil1_3desa_berkekurangan``.

        Returns
        -------
        str
            ASCII letters, digits, ``-`` and ``_`` only.
        """
        parts = ["desil" + "-".join(str(d) for d in self.options.desil)]
        n = len(self.options.desa)
        if n == 1:
            name = self.result.indikator.set_index("kode_desa")["desa"].get(self.options.desa[0])
            parts.append(_slug(str(name or self.options.desa[0])))
        else:
            parts.append(f"{n}desa")
        if self.options.strategi:
            parts.append("strategi" + "-".join(str(s) for s in self.options.strategi))
        if self.options.hanya_berkekurangan:
            parts.append("berkekurangan")
        if self.options.data_pribadi:
            parts.append("DATA-PRIBADI")
        return "_".join(parts)

    def filter_text(self) -> str:
        """Describe the filter in words, e.g. ``desil 1 · 3 desa · hanya berkekurangan``."""
        o = self.options
        parts = [f"desil {', '.join(str(d) for d in o.desil)}", f"{len(o.desa)} desa"]
        if o.strategi:
            parts.append(f"strategi {', '.join(str(x) for x in o.strategi)}")
        if o.hanya_berkekurangan:
            parts.append("hanya berkekurangan")
        if o.data_pribadi:
            parts.append("DATA PRIBADI")
        return " · ".join(parts)

    def file_name(self, ext: str, jenis: str = "sasaran") -> str:
        """Download name carrying the date and the filter.

        Parameters
        ----------
        ext : str
            Extension without dot (``xlsx``, ``csv``, ``geojson``, ``gpkg``, ``html``).
        jenis : str, default "sasaran"
            First word (``sasaran``, ``peta``, ``prioritas``).

        Returns
        -------
        str
            E.g. ``lokus_sasaran_2026-11-29_desil1_3desa.xlsx`` (the local date, see
            :meth:`dibuat_lokal`).
        """
        return f"lokus_{jenis}_{self.dibuat_lokal():%Y-%m-%d}_{self.filter_label()}.{ext}"

    # ---- tables -----------------------------------------------------------------------
    def ringkasan(self) -> pd.DataFrame:
        """Build the summary sheet: one ``butir`` (item) and ``nilai`` (value) per row.

        Returns
        -------
        pandas.DataFrame
            Columns ``bagian``, ``butir``, ``nilai``: counts and parameters are numbers
            (written as number cells by :meth:`xlsx`), the rest text; yes/no settings are
            ``ya``/``tidak``.
        """
        r, o, rk, s = self.result, self.options, self.ranking, self.sasaran
        rows: list[tuple[str, str, object]] = []
        add = rows.append
        add(("umum", "judul", f"Daftar sasaran Lokus: {r.region.nama}"))
        lokal = self.dibuat_lokal()
        add(("umum", f"dibuat ({nama_zona(lokal, r.region.zona_waktu)})", lokal.isoformat()))
        add(("umum", "zona waktu", r.region.zona_waktu))
        add(("umum", "versi Lokus", r.provenance.versi["lokus"]))
        if _synthetic_households(r):  # provenance, not the file name
            add(("umum", "PERHATIAN", "data keluarga SINTETIS (sampel bawaan): bukan orang nyata"))
        if o.data_pribadi:
            pribadi = (
                "YA: berkas ini memuat data pribadi (NIK, No KK, nama, alamat, tanggal lahir, "
                "koordinat tepat) atas permintaan pengguna. Lindungi sesuai UU 27/2022: jangan "
                "disebarkan, simpan terkunci, hapus setelah dipakai."
            )
        else:
            pribadi = (
                "tidak: NIK dan No KK disamarkan (4 digit awal dan akhir), nama kepala keluarga "
                "disingkat menjadi inisial; alamat, tanggal lahir dan koordinat rumah tidak "
                "dimuat"
            )
        add(("data pribadi", "data pribadi disertakan", pribadi))
        add(("filter", "desil", ", ".join(str(d) for d in o.desil)))
        add(("filter", "hanya keluarga berkekurangan", "ya" if o.hanya_berkekurangan else "tidak"))
        add(
            ("filter", "strategi", ", ".join(str(x) for x in o.strategi) if o.strategi else "semua")
        )
        add(("filter", "cara memilih desa", o.cara_pilih or "-"))
        names = r.indikator.set_index("kode_desa")
        chosen = [f"{names.at[k, 'desa']} ({k})" for k in o.desa if k in names.index]
        add(("filter", "desa prioritas terpilih", f"{len(chosen)}: " + "; ".join(chosen)))
        for key, comp in KOMPONEN.items():
            add(
                (
                    "bobot",
                    comp.label,
                    f"{_bobot(rk.bobot[key])} (dipakai {_bobot(rk.bobot_terpakai[key])})",
                )
            )
        for key, text in rk.aturan().items():
            add(("aturan prioritas", key, text))
        for note in rk.catatan:
            add(("aturan prioritas", "catatan", note))
        if r.kantong is None:
            add(("kantong kemiskinan", "dijalankan", f"tidak: {r.kantong_galat}"))
        for i, text in enumerate(s.aturan, start=1):
            add(("aturan strategi keluarga", f"aturan {i}", text))
        for note in s.catatan:
            add(("aturan strategi keluarga", "catatan", note))
        for num, text in STRATEGI.items():
            add(("strategi Inpres 4/2022", f"strategi {num}", text))
        for st in PERMENDAGRI.strategi:
            target = f"Inpres {st.inpres}" if st.inpres else "tanpa padanan Inpres (kolom sendiri)"
            add(("strategi Permendagri 53/2020", st.kode, f"{st.label} -> {target}"))
        add(("strategi Permendagri 53/2020", "pemetaan", PERMENDAGRI.pemetaan()))
        add(("strategi Permendagri 53/2020", "sumber", PERMENDAGRI.sumber))
        rows += r.provenance.rows()  # inputs, parameters, seed, rules, versions, metric CRS
        add(("sumber data", "wilayah", r.region.sumber))
        add(("jumlah", "baris dibaca", r.rows_in))
        add(("jumlah", "baris dipakai", r.rows_used))
        add(("jumlah", "baris ditolak (lembar laporan_impor)", r.rows_rejected))
        add(("jumlah", "keluarga dipakai", r.families_used))
        add(("jumlah", "keluarga sasaran", len(s.keluarga)))
        for num, n in s.per_strategi.items():
            add(("jumlah", f"keluarga sasaran dengan usulan strategi {num}", n))
        add(("jumlah", "skala desil", r.check.desil_scale.upper()))
        rows = [(b, k, _ringkas_nilai(v)) for b, k, v in rows]
        return pd.DataFrame(rows, columns=["bagian", "butir", "nilai"], dtype=object)

    def desa_prioritas(self) -> pd.DataFrame:
        """Return the ranking with a ``terpilih`` column and the target families per chosen desa.

        Returns
        -------
        pandas.DataFrame
            ``Ranking.tabel`` plus ``terpilih`` (``ya``/``tidak``) and
            ``keluarga_sasaran`` (households in the target list).
        """
        t = self.ranking.tabel.copy()
        chosen = set(self.options.desa)
        counts = self.sasaran.keluarga["kode_desa"].value_counts()
        t.insert(1, "terpilih", t["kode_desa"].map(lambda k: "ya" if k in chosen else "tidak"))
        t["keluarga_sasaran"] = [
            int(counts.get(k, 0)) if k in chosen else pd.NA for k in t["kode_desa"]
        ]
        return t

    def intervensi(self) -> pd.DataFrame:
        """Return the desa x strategy matrix of the chosen desa (empty note without a register).

        Returns
        -------
        pandas.DataFrame
            ``InterventionResult.matriks`` rows of the chosen desa, in ranking order.
        """
        iv = self.result.intervensi
        if iv is None:
            why = self.result.register_galat or "tidak ada daftar sub kegiatan"
            return pd.DataFrame({"catatan": [f"matriks intervensi tidak tersedia: {why}"]})
        order = {k: i for i, k in enumerate(self.options.desa)}
        m = iv.matriks[iv.matriks["kode_desa"].isin(order)]
        return m.sort_values("kode_desa", key=lambda c: c.map(order)).reset_index(drop=True)

    def laporan_impor(self) -> pd.DataFrame:
        """Rejected rows of the household file and of the register.

        Returns
        -------
        pandas.DataFrame
            The rows of both ledgers (:data:`geo.ledger.LEDGER_COLUMNS`, values already
            masked where they look personal), the household file's first.
        """
        parts = [self.result.ledger.ditolak]
        if self.result.register is not None:
            parts.append(self.result.register.ledger.ditolak)
        out = pd.concat(parts, ignore_index=True)
        if out.empty:
            return pd.DataFrame({"catatan": ["tidak ada baris yang ditolak"]})
        return out

    def sheets(self) -> dict[str, pd.DataFrame]:
        """Return the workbook's tables, keyed by the names of :data:`LEMBAR`."""
        return {
            "ringkasan": self.ringkasan(),
            "desa_prioritas": self.desa_prioritas(),
            "sasaran_keluarga": self.sasaran.keluarga,
            "intervensi": self.intervensi(),
            "laporan_impor": self.laporan_impor(),
        }

    # ---- files ------------------------------------------------------------------------
    def xlsx(self) -> bytes:
        """Write the workbook (:func:`targeting.export.to_xlsx_bytes`)."""
        # ringkasan.nilai mixes settings (alpha 0,05) with counts: decimals shown as stored
        return to_xlsx_bytes(self.sheets(), float_formats={"nilai": "General"})

    def csv(self, sep: str = ",") -> bytes:
        """Write the target families as CSV (UTF-8 with BOM; ``;`` uses a decimal comma)."""
        return to_csv_bytes(self.sasaran.keluarga, sep=sep)

    def layers(self) -> gpd.GeoDataFrame:
        """Return the chosen priority desa and the pockets in one layer (EPSG:4326).

        Returns
        -------
        geopandas.GeoDataFrame
            ``lapisan`` (``desa_prioritas``, ``kantong_desa`` or ``klaster_keluarga``),
            ``kode_desa``, ``desa``, ``kecamatan``, ``peringkat``, ``skor``,
            ``keluarga_desil_1``, ``keluarga_sasaran``, ``keterangan``, geometry.
        """
        r = self.result
        ind = r.indikator
        rank = self.ranking.tabel.set_index("kode_desa")
        counts = self.sasaran.keluarga["kode_desa"].value_counts()
        chosen = ind[ind["kode_desa"].isin(set(self.options.desa))]
        frames = [
            gpd.GeoDataFrame(
                {
                    "lapisan": "desa_prioritas",
                    "kode_desa": chosen["kode_desa"].to_numpy(),
                    "desa": chosen["desa"].to_numpy(),
                    "kecamatan": chosen["kecamatan"].to_numpy(),
                    "peringkat": chosen["kode_desa"].map(rank["peringkat"]).astype("Int64").array,
                    "skor": chosen["kode_desa"].map(rank["skor"]).round(2).to_numpy(),
                    "keluarga_desil_1": chosen["keluarga_desil_1"].astype("Int64").array,
                    "keluarga_sasaran": chosen["kode_desa"].map(counts).fillna(0).astype("Int64").array,
                    "keterangan": chosen["kode_desa"].map(rank["alasan"]).to_numpy(),
                },
                geometry=to_display(chosen).geometry.values,
                crs=DISPLAY_CRS,
            )
        ]  # fmt: skip
        if r.kantong is not None:
            hot = r.kantong.desa[r.kantong.desa["kantong"] == "panas"]
            names = ind.set_index("kode_desa")
            frames.append(
                gpd.GeoDataFrame(
                    {
                        "lapisan": "kantong_desa",
                        "kode_desa": hot["kode_desa"].to_numpy(),
                        "desa": hot["kode_desa"].map(names["desa"]).to_numpy(),
                        "kecamatan": hot["kode_desa"].map(names["kecamatan"]).to_numpy(),
                        "keluarga_desil_1": hot["kode_desa"].map(names["keluarga_desil_1"]).astype("Int64").array,
                        "keterangan": hot["alasan"].to_numpy(),
                    },
                    geometry=to_display(hot).geometry.values,
                    crs=DISPLAY_CRS,
                )
            )  # fmt: skip
            kl = r.kantong.klaster
            frames.append(
                gpd.GeoDataFrame(
                    {
                        "lapisan": "klaster_keluarga",
                        "kode_desa": kl["kode_desa"].to_numpy(),
                        "desa": kl["desa"].to_numpy(),
                        "keluarga_desil_1": kl["keluarga_desil_1"].astype("Int64").array,
                        "keterangan": kl["id_kantong"].astype(str).to_numpy()
                        + ": " + kl["kekurangan_utama"].astype(str).to_numpy(),
                    },
                    geometry=to_display(kl).geometry.values,
                    crs=DISPLAY_CRS,
                )
            )  # fmt: skip
        frames = [f for f in frames if len(f)]
        if not frames:
            return gpd.GeoDataFrame({"lapisan": []}, geometry=[], crs=DISPLAY_CRS)
        out = pd.concat(frames, ignore_index=True)
        return gpd.GeoDataFrame(out, geometry="geometry", crs=DISPLAY_CRS)

    def geojson(self) -> bytes:
        """:meth:`layers` as GeoJSON (RFC 7946, EPSG:4326), UTF-8."""
        layer = self.layers()
        text = layer.to_json(drop_id=True, na="null", to_wgs84=True)
        return json.dumps(json.loads(text), ensure_ascii=False).encode("utf-8")

    def gpkg(self) -> bytes:
        """:meth:`layers` as a GeoPackage with layers ``desa_prioritas`` and ``kantong``.

        The file is built in a private temporary folder (it holds no personal data: desa and
        pocket polygons only) and returned as bytes; the folder is removed.
        """
        layer = self.layers()
        with tempfile.TemporaryDirectory(prefix="lokus-") as tmp:
            path = Path(tmp) / "lokus.gpkg"
            prio = layer[layer["lapisan"] == "desa_prioritas"]
            pockets = layer[layer["lapisan"] != "desa_prioritas"]
            wrote = False
            for name, part in (("desa_prioritas", prio), ("kantong", pockets)):
                if len(part):
                    part.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
                    wrote = True
            if not wrote:
                layer.to_file(path, layer="desa_prioritas", driver="GPKG", engine="pyogrio")
            return path.read_bytes()

    def map_html(self) -> str:
        """Render the map of the district with the chosen desa outlined, as offline HTML."""
        r = self.result
        title = f"Lokus · {r.region.nama} · desa prioritas terpilih"
        note = (
            f"desa prioritas: garis hitam tebal · dibuat {self.dibuat_lokal():%Y-%m-%d} · "
            f"{self.filter_text()}"
            + (" · data keluarga SINTETIS" if _synthetic_households(r) else "")
        )  # fmt: skip
        settings = MapSettings(
            prioritas=tuple(self.options.desa),
            peringkat=self.ranking.tabel.set_index("kode_desa")["peringkat"].to_dict(),
            height=720,
            judul=(title, note),
            fokus_prioritas=True,  # the whole district is one zoom-out away
            halaman_penuh=True,
        )
        m = render(map_spec(MapData.from_result(r), settings))
        return standalone_html(m, title=f"Lokus: desa prioritas {r.region.nama}")

    def write(self, out_dir: str | Path, *, sep: str = ",") -> list[Path]:
        """Write the package under fixed names (the CLI's ``target_list.*``).

        Parameters
        ----------
        out_dir : str or pathlib.Path
            Folder, created if missing.
        sep : {",", ";"}, default ","
            CSV separator.

        Returns
        -------
        list of pathlib.Path
            ``target_list.xlsx``, ``target_list.csv``, ``target_list.geojson``,
            ``target_list.gpkg``, ``target_map.html``.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        files = {
            "target_list.xlsx": self.xlsx(),
            "target_list.csv": self.csv(sep),
            "target_list.geojson": self.geojson(),
            "target_list.gpkg": self.gpkg(),
            "target_map.html": self.map_html().encode("utf-8"),
        }
        paths = []
        for name, data in files.items():
            path = out / name
            path.write_bytes(data)
            paths.append(path)
        return paths


def _bobot(value: float) -> str:
    """Write a weight in Indonesian notation without trailing zeros (``40,5``, ``30``)."""
    return angka(value, 2).rstrip("0").rstrip(",")


def _synthetic_households(result: Result) -> bool:
    """Tell whether the household data are synthetic, by their provenance (never a file name)."""
    households = result.provenance.input("keluarga_p3ke")
    return bool(households and households.sintetis)


def _ringkas_nilai(value: object) -> object:
    """One ``ringkasan`` value: numbers stay numbers, yes/no in words, the rest text."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "ya" if value else "tidak"
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _slug(text: str) -> str:
    ascii_text = text.encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()[:40] or "desa"


def build_package(
    result: Result, ranking: Ranking, options: TargetOptions, *, now: dt.datetime | None = None
) -> TargetPackage:
    """Assemble the target list and its exports for the chosen desa.

    Parameters
    ----------
    result : Result
        A pipeline run (:func:`targeting.pipeline.run`).
    ranking : Ranking
        :func:`targeting.priority.rank_desa` of that run.
    options : TargetOptions
        Chosen desa and filters.
    now : datetime.datetime, optional
        Time stamp (aware, any zone) for ``ringkasan`` and file names; default now. Written
        in the region's local time (:meth:`TargetPackage.dibuat_lokal`).

    Returns
    -------
    TargetPackage
        With the target families computed.

    Raises
    ------
    TargetError
        If the desil or strategy filter cannot select anything.
    """
    sasaran = target_families(
        result.placement.keluarga,
        result.indikator,
        list(options.desa),
        desil=options.desil,
        hanya_berkekurangan=options.hanya_berkekurangan,
        strategi=options.strategi,
        lokus=lokus_long(result.register.register) if result.register is not None else None,
        data_pribadi=options.data_pribadi,
        desil_max=result.check.desil_max,
    )
    return TargetPackage(
        result=result,
        ranking=ranking,
        options=options,
        sasaran=sasaran,
        dibuat=ke_lokal(now or dt.datetime.now(dt.UTC), result.region.zona_waktu),
    )
