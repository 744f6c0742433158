"""Command line ``python -m targeting banding``: compare household snapshots over time.

Registered by :mod:`targeting.cli` through :func:`add_parser`; :func:`run` does the work with
:mod:`targeting.banding`. Messages are in English and masked like the rest of the CLI.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from geo.errors import LokusError, PerbandinganError
from geo.masking import mask_ids
from geo.region import DEFAULT_REGION_FILE, Region, default_region, load_region

__all__ = ["add_parser", "demo_files", "run"]

SKALA = ("auto", "p3ke", "dtsen")


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``banding`` subcommand to the CLI's subparsers.

    Parameters
    ----------
    sub : argparse._SubParsersAction
        The ``add_subparsers`` result of :mod:`targeting.cli`.

    Returns
    -------
    argparse.ArgumentParser
        The subcommand's parser.
    """
    p = sub.add_parser(
        "banding",
        help="bandingkan data keluarga antar waktu (keluar/masuk desil 1 per desa)",
        description=(
            "Bandingkan dua data keluarga atau lebih (P3KE 1-4, DTSEN 1-10) dari satu wilayah. "
            "Tanpa --sebelum/--sesudah: tiga data SINTETIS bawaan Kayong Utara "
            "(2023-12-31 P3KE, 2024-06-30 P3KE, 2025-03-31 DTSEN)."
        ),
    )
    p.add_argument("--out", required=True, type=Path, help="folder keluaran")
    p.add_argument("--sebelum", type=Path, help="berkas keluarga terlama (CSV/XLSX)")
    p.add_argument("--sesudah", type=Path, action="append", default=[],
                   help="berkas keluarga berikutnya, urut waktu (boleh diulang)")  # fmt: skip
    p.add_argument("--snapshot", type=int, action="append", default=[], metavar="ID",
                   help="snapshot ruang kerja (lihat 'ruang-kerja daftar'), urut waktu, boleh "
                        "diulang; dibandingkan sebelum berkas --sebelum/--sesudah")  # fmt: skip
    p.add_argument("--tanggal", action="append", default=[],
                   help="tanggal data (YYYY-MM-DD atau DD/MM/YYYY) per berkas, urut seperti berkasnya; "
                        "bawaan: kolom tanggal_data, lalu tanggal berkas")  # fmt: skip
    p.add_argument("--desil-scale", action="append", default=[], choices=SKALA,
                   help="skala desil per berkas (p3ke 1-4, dtsen 1-10), urut seperti berkasnya; "
                        "bawaan: deteksi otomatis")  # fmt: skip
    p.add_argument("--region", type=Path, default=None,
                   help=f"berkas wilayah TOML (bawaan: LOKUS_REGION atau {DEFAULT_REGION_FILE.name})")  # fmt: skip
    p.add_argument("--boundaries", type=Path, help="batas desa (GeoJSON/GPKG/SHP.zip, ber-CRS)")
    p.add_argument("--keluarga-desa", type=Path, action="append", default=[],
                   help="tabel seluruh keluarga per desa (penyebut): sekali untuk semua berkas, "
                        "atau sekali per berkas, urut seperti berkasnya")  # fmt: skip
    p.add_argument("--register", type=Path,
                   help="register sub kegiatan untuk uraian per strategi (bawaan: register wilayah)")  # fmt: skip
    return p


def demo_files(region: Region) -> list[tuple[Path, str | None, str]]:
    """List the embedded SYNTHETIC snapshots: (file, date, desil scale), oldest first.

    Parameters
    ----------
    region : Region
        The region whose folder holds ``perubahan_SINTETIS.json``.

    Returns
    -------
    list of tuple
        Empty when the region has no synthetic snapshots.
    """
    from targeting.synthetic_waktu import BERKAS_KEBENARAN, TANGGAL_AWAL

    folder = (
        region.batas_desa.parent if region.batas_desa is not None else DEFAULT_REGION_FILE.parent
    )
    truth = folder / BERKAS_KEBENARAN
    if not truth.exists():
        return []
    snaps = json.loads(truth.read_text(encoding="utf-8"))["snapshot"]
    return [(folder / s["berkas"], s["tanggal"] or TANGGAL_AWAL, s["skala_desil"]) for s in snaps]


def _files(args: argparse.Namespace, region: Region) -> list[tuple[Path, str | None, str]]:
    """List the files to compare with date and scale (the demo when none is given)."""
    given = ([args.sebelum] if args.sebelum else []) + list(args.sesudah)
    if not given:
        return [] if args.snapshot else demo_files(region)
    for what, values in (
        ("--tanggal", args.tanggal),
        ("--desil-scale", args.desil_scale),
        ("--keluarga-desa", args.keluarga_desa if len(args.keluarga_desa) > 1 else []),
    ):
        if values and len(values) != len(given):
            msg = f"{what} diberikan {len(values)} kali untuk {len(given)} berkas; berikan sekali per berkas, urut berkasnya"
            en = f"{what} given {len(values)} times for {len(given)} files; give it once per file, in file order"
            raise PerbandinganError(msg, en=en)
    dates = args.tanggal or [None] * len(given)
    scales = args.desil_scale or ["auto"] * len(given)
    return list(zip(given, dates, scales, strict=True))


def _denominators(args: argparse.Namespace, n: int) -> list[Path | None]:
    """One family table per file: each given, one for all, or none (the region's)."""
    given = list(args.keluarga_desa)
    return given if len(given) == n else [given[0] if given else None] * n


def _kept(args: argparse.Namespace, region: Region) -> list:
    """Open the ``--snapshot`` ids from the workspace (every desa: the server operator's CLI)."""
    if not args.snapshot:
        return []
    from targeting.banding_ruang import data_ruang
    from targeting.cli_ruang_kerja import _workspace

    rk, c = _workspace()
    try:
        return data_ruang(rk, c, args.snapshot, region)
    finally:
        rk.close()


def run(args: argparse.Namespace) -> int:
    """Load the snapshots, compare them and write the files.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options of :func:`add_parser`.

    Returns
    -------
    int
        0 on success; 2 on an input error (message on stderr; nothing written to ``--out``).
    """
    from targeting.banding import DataMasuk, muat_banding, write_banding

    try:
        region = load_region(args.region) if args.region else default_region()
        files = _files(args, region)
        perbandingan, strategi = muat_banding(
            region,
            _kept(args, region) +
            [DataMasuk(f, tanggal=date, skala=scale, keluarga_desa=denom)
             for (f, date, scale), denom in zip(files, _denominators(args, len(files)), strict=True)],
            boundaries=args.boundaries, register=args.register,
        )  # fmt: skip
    except LokusError as err:
        print(
            mask_ids(f"error: {err.en.rstrip('.')}; nothing was written to {args.out}"),
            file=sys.stderr,
        )
        return 2
    except (ValueError, OSError) as err:
        print(mask_ids(f"error: {err}; nothing was written to {args.out}"), file=sys.stderr)
        return 2
    for path in write_banding(perbandingan, Path(args.out), strategi):
        print(path)
    total = perbandingan.kabupaten()
    labels = perbandingan.label()
    print(
        f"desil 1: {total['desil_1_sebelum']} ({labels[0]}) -> {total['desil_1_sesudah']} ({labels[-1]}); "
        f"left {total['keluar_desil_1']}, entered {total['masuk_desil_1']}, new {total['baru_di_daftar']}, "
        f"no longer listed {total['tidak_lagi_di_daftar']}",
        file=sys.stderr,
    )
    for earlier, later in perbandingan.tanggal_tidak_urut():
        print(f"note: the file given after the one dated {earlier} is dated {later}: files must be given "
              "oldest first; a file without a tanggal_data column is dated by its file date, "
              "give --tanggal once per file", file=sys.stderr)  # fmt: skip
    for label in perbandingan.skala_ditebak():
        print(f"note: {label} was read as P3KE (desil 1-4) because no desil above 4 appears and it has "
              "no P3KE family id; if it is a DTSEN extract of desil 1-4, give --desil-scale dtsen "
              "for it", file=sys.stderr)  # fmt: skip
    if any(step.skala_campur for step in perbandingan.langkah):
        print("note: P3KE (desil 1-4) and DTSEN (desil 1-10) are compared at desil 1 and desil 1-4 only",
              file=sys.stderr)  # fmt: skip
    return 0
