"""Command line: ``python -m targeting run`` (the batch entry point) and ``sintetis``."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from geo.errors import LokusError
from geo.masking import mask_ids
from geo.region import DEFAULT_REGION_FILE, load_region
from geo.sheets import sheet_notes
from targeting import cli_banding, wilayah
from targeting.engine_dask import ENGINES, PARTISI
from targeting.interventions import MatchSettings
from targeting.pockets import PocketSettings
from targeting.priority import PrioritySettings
from targeting.settings import add_options, from_args
from targeting.targets import TargetFilters

if TYPE_CHECKING:
    from targeting.pipeline import AnalysisSettings, Result

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """Argument parser whose usage errors are masked like every other CLI message."""

    def error(self, message: str) -> NoReturn:
        """Print the usage and the masked error, then exit with code 2."""
        self.print_usage(sys.stderr)
        self.exit(2, mask_ids(f"{self.prog}: error: {message}{_nothing_written(None, False)}\n"))


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m targeting",
        description="Lokus: peta sasaran kemiskinan ekstrem dari data P3KE.",
    )
    sub = parser.add_subparsers(dest="perintah", required=True)
    run = sub.add_parser("run", help="jalankan pipeline dan tulis desa.geojson, report.json")
    run.add_argument("--out", required=True, type=Path, help="folder keluaran")
    run.add_argument("--region", default=None,
                     help="kode wilayah Kalimantan Barat (61.04; 61 = provinsi) atau berkas "
                          f"wilayah TOML (bawaan: LOKUS_REGION atau {DEFAULT_REGION_FILE.name})")  # fmt: skip
    run.add_argument(
        "--households", type=Path, help="berkas P3KE (CSV/XLSX); bawaan: sampel SINTETIS"
    )
    run.add_argument("--boundaries", type=Path, help="batas desa (GeoJSON/GPKG/SHP.zip, ber-CRS)")
    run.add_argument(
        "--layer",
        help="lapisan batas desa dalam GeoPackage berlapis banyak (bawaan: lapisan poligon pertama)",
    )
    run.add_argument(
        "--keluarga-desa", type=Path, help="tabel seluruh keluarga per desa (penyebut)"
    )
    run.add_argument("--desil-scale", choices=["auto", "p3ke", "dtsen"], default="auto",
                     help="skala desil: p3ke 1-4, dtsen 1-10 (bawaan: deteksi otomatis)")  # fmt: skip
    run.add_argument(
        "--sheet", help="lembar XLSX yang dibaca (bawaan: lembar dengan judul kolom P3KE)"
    )
    run.add_argument("--jarak-pantai-m", type=float, default=500.0,
                     help="titik di laut sejauh ini (meter) dari desanya ditandai lepas pantai, "
                          "bukan di luar wilayah (bawaan: 500)")  # fmt: skip
    e = run.add_argument_group("mesin (engine) untuk data besar")
    e.add_argument("--engine", choices=ENGINES, default=ENGINES[0],
                   help="pandas: satu proses (bawaan); dask: keluarga dipartisi (lihat "
                        "--partisi) dan ditempatkan di klaster Dask (hasil sama)")  # fmt: skip
    e.add_argument("--partisi", choices=PARTISI, default=None,
                   help="dengan --engine dask: kelompokkan keluarga per kecamatan (bawaan) atau "
                        "menurut jarak kurva Hilbert desa kodenya (titiknya sendiri bila kode "
                        "tidak dikenal)")  # fmt: skip
    e.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="alamat scheduler dask.distributed yang sudah berjalan "
                        "(mis. tcp://10.0.0.5:8786); bawaan: klaster lokal")  # fmt: skip
    g = run.add_argument_group("kantong kemiskinan (pilihan analitis; bawaan dalam kurung)")
    add_options(g, PocketSettings)
    r = run.add_argument_group("sub kegiatan dan lokus")
    r.add_argument(
        "--register",
        type=Path,
        help="daftar sub kegiatan (CSV/XLSX, templat di README); bawaan: register wilayah",
    )
    add_options(r, MatchSettings)
    t = run.add_argument_group(
        "desa prioritas dan daftar sasaran (dengan --desa, --top atau --skor-min: target_list.*)"
    )
    add_options(t, PrioritySettings)
    add_options(t, TargetFilters)
    t.add_argument(
        "--csv-sep", choices=[",", ";"], default=",",
        help="pemisah CSV (';' dengan koma desimal untuk Excel Indonesia)",
    )  # fmt: skip
    from targeting import (
        cli_ruang_kerja,  # workspace: `ruang-kerja ...`, `run --snapshot ID`
        cli_verifikasi,
    )

    cli_ruang_kerja.add_run_option(run)  # before the verifikasi parsers copy run's options
    cli_ruang_kerja.add_parser(sub)
    cli_verifikasi.add_parsers(sub, run)
    wilayah.add_parser(sub)
    synth = sub.add_parser("sintetis", help="bangun ulang data sampel SINTETIS (deterministik)")
    synth.add_argument("--out", type=Path, default=DEFAULT_REGION_FILE.parent)
    synth.add_argument("--seed", type=int, default=None)
    cli_banding.add_parser(sub)
    return parser


def _stderr(text: str) -> None:
    """Print a warning or error on stderr, digit runs as long as a NIK masked."""
    print(mask_ids(text), file=sys.stderr)


def _nothing_written(out: Path | None, writing: bool) -> str:
    """Say what a failed run left in the output folder (a clause for the error message)."""
    folder = str(out) if out is not None else "--out"
    if writing:
        return (
            f"; writing to {folder} stopped part-way: its files may mix this run's and an "
            "earlier run's"
        )
    return f"; nothing was written to {folder} (files from an earlier run there are unchanged)"


def _folder_state(folder: Path) -> dict[str, tuple[int, int]]:
    """Name, size and change time of each file in ``folder`` (empty when it is missing)."""
    if not folder.is_dir():
        return {}
    return {
        p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()
    }


def _no_rows_used(result, out: Path) -> str:
    """Explain a run in which no household row could be used."""
    if result.rows_in == 0:
        return f"0 rows used: the household file has no data rows (see {out / 'report.json'})"
    # Reasons grouped without their numbers (codes, row numbers): "kode desa 62.01.01.2001
    # ..." and "kode desa 62.01.01.2002 ..." are one cause.
    alasan = result.ditolak["alasan"].astype(str)
    kinds = alasan.str.replace(r"\d+(?:[.,]\d+)*", "#", regex=True)
    top = ""
    if len(kinds):
        counts = kinds.value_counts()
        n = int(counts.iloc[0])
        example = alasan[kinds == counts.index[0]].iloc[0]
        top = f"; most common reason ({n} row{'' if n == 1 else 's'}), e.g.: {example}"
    return f"0 rows used: all {result.rows_in} rejected (see {out / 'rejected.csv'}){top}"


def _ints(text: str | None, what: str) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        return tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        msg = f"{what}: expected whole numbers separated by commas, got {text!r}"
        raise ValueError(msg) from None


def _plan_targets(result, args: argparse.Namespace):
    """Rank the desa and build the target list before anything is written.

    Every refusal (unknown desa, weights, desil or strategy off the scale) happens here, so a
    bad option leaves the output folder untouched. Without any used household row there is
    nothing to rank: both steps are skipped (``None, None``) and the options are not checked.
    """
    from targeting.package import TargetOptions, build_package
    from targeting.priority import parse_weights, select_desa

    if result.families_used == 0:
        return None, None
    ranking = result.peringkat(parse_weights(args.weights), args.normalisasi)
    codes = [c for c in (args.desa or "").split(",") if c.strip()]
    if args.desa is not None and not codes:
        _stderr("warning: --desa is empty")
    if not codes and args.top is None and args.skor_min is None:
        given = [
            name for name, on in (
                ("--desil", args.desil is not None), ("--strategi", args.strategi is not None),
                ("--hanya-berkekurangan", args.hanya_berkekurangan),
                ("--include-personal", args.include_personal),
            ) if on
        ]  # fmt: skip
        if given:
            _stderr(f"warning: {', '.join(given)} {'is' if len(given) == 1 else 'are'} ignored "
                    "without a target list; choose its desa with --desa, --top or "
                    "--skor-min")  # fmt: skip
        return ranking, None
    chosen = select_desa(ranking.tabel, teratas=args.top, skor_min=args.skor_min, kode=codes)
    ranked = int(ranking.tabel["peringkat"].notna().sum())
    if args.top is not None and args.top > ranked:
        _stderr(f"warning: --top {args.top} but only {ranked} desa have P3KE data and a rank")
    how = ", ".join(
        x for x in (
            f"{args.top} teratas" if args.top else "",
            f"skor >= {args.skor_min:g}" if args.skor_min is not None else "",
            f"kode: {', '.join(codes)}" if codes else "",
        ) if x
    )  # fmt: skip
    if not chosen:
        _stderr("warning: no desa matches --top/--skor-min/--desa; no target list written")
        return ranking, None
    options = TargetOptions(
        desa=tuple(chosen),
        desil=_ints(args.desil or "1", "--desil") or (),
        hanya_berkekurangan=args.hanya_berkekurangan,
        strategi=_ints(args.strategi, "--strategi"),
        data_pribadi=args.include_personal,
        cara_pilih=f"CLI: {how}",
    )
    package = build_package(result, ranking, options)
    if package.sasaran.keluarga.empty:
        _stderr(
            "warning: the target list is empty: no family of the chosen desa matches the "
            "desil and need filters"
        )
    return ranking, package


def _write_targets(result, ranking, package, args: argparse.Namespace) -> list[Path]:
    """Write priority.csv, and the target list when desa were chosen.

    Without a ranking (no used household row) neither is written, and an earlier run's copies
    are removed so that they are not read as this run's.
    """
    from targeting.export import to_csv_bytes

    out = Path(args.out)
    prio = out / "priority.csv"
    stale = ("target_list.xlsx", "target_list.csv", "target_list.geojson", "target_list.gpkg",
             "target_map.html")  # fmt: skip
    for name in stale:
        (out / name).unlink(missing_ok=True)
    if ranking is None:
        prio.unlink(missing_ok=True)
        return []
    prio.write_bytes(to_csv_bytes(ranking.tabel, sep=args.csv_sep))
    if package is None:
        return [prio]
    written = package.write(out, sep=args.csv_sep)
    print(
        f"target list: {len(package.options.desa)} desa, {len(package.sasaran.keluarga)} families"
        + (" (PERSONAL DATA INCLUDED)" if package.options.data_pribadi
           else " (personal data masked)")
    )  # fmt: skip
    return [prio, *written]


def _input_notes(result: Result) -> None:
    """Print what the readers noticed in the inputs (English, on stderr except the layers)."""
    if result.register is not None and not result.register_galat:
        reg = result.register
        for amb in reg.lokus_ambigu.itertuples():
            _stderr(
                f"warning: register row {amb.baris}: lokus {amb.nilai!r} is both a desa and a "
                f"kecamatan name; desa {amb.desa} ({amb.diambil}) was taken, since the lokus "
                "column lists desa (list the kecamatan's desa to mean all of them)"
            )
    batas = result.batas
    if len(batas.lapisan_tersedia) > 1:
        what = (
            f"layer {batas.lapisan!r} read"
            if batas.lapisan
            else "every non-empty folder layer of the KML read and joined"
        )
        layers = ", ".join(f"{n} ({g})" for n, g in batas.lapisan_tersedia)
        print(f"boundaries: {what}; layers in the file: {layers} (choose another with --layer)")
    for _, en in sheet_notes(result.sheet, result.ledger.berkas):
        _stderr(f"warning: {en}")
    if result.check.desil_dari_label:
        _stderr(
            f"note: {result.check.desil_dari_label} "
            f"{'families (head rows)' if result.check.per_individu else 'rows'} wrote the "
            "desil as a label (such as "
            "'Desil 1' or '1 (Sangat Miskin)'); the number in the label was read"
        )


def _snapshot(args: argparse.Namespace):
    """Load the snapshot ``run`` and ``verifikasi-*`` analyse.

    It is the one kept in the workspace (``--snapshot ID``), else read from the files and the
    region given.
    """
    from targeting import cli_ruang_kerja
    from targeting.snapshot import load_snapshot

    region = wilayah.resolve_region(args.region)
    if args.snapshot:
        return cli_ruang_kerja.snapshot_for_run(args, region)
    return load_snapshot(
        region,
        households=args.households,
        boundaries=args.boundaries,
        keluarga_desa=args.keluarga_desa,
        boundaries_layer=args.layer,
        desil_scale=args.desil_scale,
        sheet=args.sheet,
        jarak_pantai_m=args.jarak_pantai_m,
        engine=args.engine,
        scheduler=args.scheduler,
        partisi=args.partisi or "kecamatan",
    )


def main(argv: list[str] | None = None) -> int:
    """Run the CLI.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code: 0 on success; 2 on an input error (message on stderr, saying that nothing
        was written to ``--out``) or when no household row could be used (the import report,
        ``report.json`` and ``rejected.csv`` among the files, is written to explain why).
    """
    args = _parser().parse_args(argv)
    # Library notes (esda, libpysal, pyogrio) are not for the planner's terminal; Lokus
    # reports what matters itself.
    warnings.simplefilter("ignore")
    if args.perintah == "ruang-kerja":
        from targeting import cli_ruang_kerja

        return cli_ruang_kerja.main(args)
    out = Path(args.out)
    writing = False  # once True, a failure may leave a partly written folder
    if args.perintah == "banding":
        return cli_banding.run(args)
    try:
        if args.perintah == "sintetis":
            from targeting.synthetic import SampleSettings, write_sample

            region = load_region(DEFAULT_REGION_FILE, check_files=False)
            settings = SampleSettings() if args.seed is None else SampleSettings(seed=args.seed)
            writing = True
            for path in write_sample(args.out, region.batas_desa, settings):
                print(path)
            return 0
        if args.perintah == "wilayah":
            before = _folder_state(out)
            writing = True
            try:
                written = wilayah.run_wilayah(args)
            finally:  # a bad code or file fails before the first file is written
                writing = _folder_state(out) != before
            for path in written:
                print(path)
            return 0
        from targeting import cli_ruang_kerja, cli_verifikasi
        from targeting.pipeline import analyse, write_outputs

        refused = _refused_options(args) or cli_ruang_kerja.run_conflicts(args)
        if refused:
            _stderr(f"error: {refused}{_nothing_written(out, writing)}")
            return 2
        snapshot = _snapshot(args)
        result = analyse(snapshot, _analysis_settings(args), register=args.register)
        if args.perintah != "run":  # verifikasi-keluar, verifikasi-masuk (issue 17)
            return cli_verifikasi.perintah(args, result)
        result, extras = cli_verifikasi.sebelum_run(args, result)
        ranking, package = _plan_targets(result, args)
        package = extras.apply(package)
        writing = True
        paths = write_outputs(result, out)
        paths += _write_targets(result, ranking, package, args)
        paths += extras.write(result, out, args.csv_sep)
    except LokusError as err:
        # The CLI log is in English (the app shows the same errors in Bahasa Indonesia).
        _stderr(f"error: {err.en.rstrip('.')}{_nothing_written(out, writing)}")
        return 2
    except ValueError as err:  # invalid settings
        _stderr(f"error: {err}{_nothing_written(out, writing)}")
        return 2
    except OSError as err:
        _stderr(f"error: {err}{_nothing_written(out, writing)}")
        return 2
    _run_notes(result)
    for path in paths:
        print(path)
    if result.families_used == 0:
        _stderr(
            "note: priority ranking and target list skipped: no desa has P3KE data "
            "(priority.csv and target_list.* not written)"
        )
        _stderr(f"error: {_no_rows_used(result, out)}")
        return 2
    return 0


def _refused_options(args: argparse.Namespace) -> str | None:
    """Say which option combination cannot run (Dask options without the Dask engine)."""
    if args.scheduler is not None and args.engine != "dask":
        return "--scheduler needs --engine dask"
    if args.partisi is not None and args.engine != "dask":
        return "--partisi needs --engine dask"
    if args.scheduler is not None and not args.scheduler.strip():
        return "--scheduler is empty; give the scheduler's address"
    return None


def _analysis_settings(args: argparse.Namespace) -> AnalysisSettings:
    """Build the analysis settings from the options (pockets and the register's match)."""
    from targeting.pipeline import AnalysisSettings

    return AnalysisSettings(
        kantong=from_args(PocketSettings, args),
        kecocokan=from_args(MatchSettings, args),
    )


def _run_notes(result: Result) -> None:
    """Tell on the terminal what the run found: pockets not assessed, the register, inputs."""
    used = result.families_used > 0
    if (
        used
        and result.kantong is not None
        and not result.kantong_galat
        and (result.kantong.desa["kantong"] == "tidak dinilai").all()
    ):
        _stderr(
            "warning: no desa could be assessed for pockets with these settings (see 'alasan' "
            "in desa.geojson); try a smaller --k or --jarak-m"
        )
    if used and result.kantong_galat:
        en = (result.kantong.parameter.get("galat_desa_en") if result.kantong else None) or ""
        _stderr(
            f"warning: desa-level pocket analysis not run: {en or result.kantong_galat}; "
            "every desa is 'tidak dinilai' (household clusters still computed)"
        )
    if result.register_galat:
        _stderr(f"warning: register not used: {result.register_galat}")
    elif result.register is not None:
        reg = result.register.ledger
        print(
            f"register: {reg.rows_in} rows read: {reg.rows_used} used, "
            f"{reg.rows_rejected} rejected (reasons in register_rejected.csv)"
        )
    if result.sheet.lembar_lain:
        _stderr(
            f"warning: sheet {result.sheet.sheet!r} was read; other sheets with a P3KE header "
            f"were not: {', '.join(result.sheet.lembar_lain)} (choose one with --sheet)"
        )
    _input_notes(result)
    print(
        f"{result.rows_in} rows read: {result.rows_used} used, {result.rows_rejected} rejected "
        f"(reasons in rejected.csv). Desil scale: {result.check.desil_scale.upper()}."
    )
    flagged = len(result.bertanda())
    if flagged:
        print(f"{flagged} used families carry a data flag (listed in bertanda.csv)")
