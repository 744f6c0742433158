"""CLI of the village-meeting verification and the recipient lists (issue 17).

``python -m targeting verifikasi-keluar --desa CODES --out DIR`` (the inputs and filters of
``run``) writes ``verifikasi_musdes.xlsx`` and ``verifikasi_musdes_per_desa.zip``;
``verifikasi-masuk --berkas F [F ...] --out DIR`` reads returned workbooks and writes
``verifikasi_diterapkan.csv``, ``verifikasi_ditolak.csv``, ``usulan_baru.csv`` (masked),
``ringkasan_verifikasi.csv`` and ``report.json``; ``run --verifikasi F [...] --penerima F``
applies both to the run and writes ``belum_tersentuh.csv`` and ``ketepatan_sasaran.csv``
beside the other outputs. Messages are in English, like the rest of the CLI.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from targeting.export import to_csv_bytes

if TYPE_CHECKING:
    import pandas as pd

    from targeting.package import TargetPackage
    from targeting.penerima import DaftarPenerima
    from targeting.pipeline import Analysis
    from targeting.verifikasi import HasilVerifikasi

__all__ = ["RunExtras", "add_parsers", "perintah", "sebelum_run"]

PERINTAH = ("verifikasi-keluar", "verifikasi-masuk")


def add_parsers(sub: argparse._SubParsersAction, run: argparse.ArgumentParser) -> None:
    """Add ``verifikasi-keluar`` and ``verifikasi-masuk``, and ``run``'s two options.

    Parameters
    ----------
    sub : argparse subparsers
        The CLI's subcommands.
    run : argparse.ArgumentParser
        The ``run`` parser: both new commands take its inputs and filters.
    """
    helps = {
        "verifikasi-keluar": "tulis lembar verifikasi musdes (verifikasi_musdes.xlsx, satu "
        "lembar per desa, dan zip satu berkas per desa)",
        "verifikasi-masuk": "baca lembar verifikasi yang sudah diisi (setiap baris diterapkan "
        "atau ditolak dengan alasannya; usulan baru terpisah)",
    }
    for name, text in helps.items():
        p = sub.add_parser(name, help=text, conflict_handler="resolve")
        # What argparse's ``parents=`` does: the same inputs and filters as ``run``.
        p._add_container_actions(run)
        if name == "verifikasi-masuk":
            p.add_argument("--berkas", nargs="+", required=True, type=Path,
                           help="lembar verifikasi yang sudah diisi (.xlsx)")  # fmt: skip
    g = run.add_argument_group("verifikasi musdes dan penerima per keluarga")
    g.add_argument("--verifikasi", nargs="+", type=Path, metavar="F",
                   help="lembar verifikasi yang sudah diisi: daftar sasaran dan peringkat "
                        "memakai status hasil verifikasi")  # fmt: skip
    g.add_argument("--penerima", type=Path, metavar="F",
                   help="daftar penerima (id_keluarga_p3ke atau no_kk/nik x kode_sub_kegiatan, "
                        "tahun dan volume opsional): belum_tersentuh.csv, ketepatan_sasaran.csv")  # fmt: skip


def _read_returns(paths: list[Path], result: Analysis) -> HasilVerifikasi:
    from targeting.verifikasi import BerkasKembali, baca_verifikasi, kunci_verifikasi

    files = [BerkasKembali(p.name, p.read_bytes()) for p in paths]
    return baca_verifikasi(files, result.placement.keluarga, kunci_verifikasi(),
                           result.region.zona_waktu)  # fmt: skip


def _write(out: Path, name: str, data: bytes) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    path.write_bytes(data)
    return path


def _verification_files(hasil: HasilVerifikasi, out: Path, sep: str) -> list[Path]:
    return [
        _write(out, "verifikasi_diterapkan.csv", to_csv_bytes(hasil.diterapkan, sep=sep)),
        _write(out, "verifikasi_ditolak.csv", to_csv_bytes(hasil.ditolak, sep=sep)),
        _write(out, "usulan_baru.csv", to_csv_bytes(hasil.usulan_tersamar(), sep=sep)),
        _write(out, "ringkasan_verifikasi.csv", to_csv_bytes(hasil.ringkasan(), sep=sep)),
    ]


def perintah(args: argparse.Namespace, result: Analysis) -> int:
    """Run ``verifikasi-keluar`` or ``verifikasi-masuk`` on an analysed snapshot.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options (``run``'s plus ``--berkas`` for ``verifikasi-masuk``).
    result : Analysis
        The inputs loaded and analysed as ``run`` does.

    Returns
    -------
    int
        0 on success; 2 when no desa was chosen for ``verifikasi-keluar``.
    """
    from targeting.cli import _plan_targets, _stderr

    out = Path(args.out)
    if args.perintah == "verifikasi-keluar":
        from targeting.verifikasi import (
            kepala_dari,
            kunci_verifikasi,
            lembar_verifikasi,
            zip_per_desa,
        )

        _ranking, package = _plan_targets(result, args)
        if package is None or package.sasaran.keluarga.empty:
            _stderr("error: no target family: choose desa with --desa, --top or --skor-min; "
                    f"nothing was written to {out}")  # fmt: skip
            return 2
        kepala = kepala_dari(result, data_pribadi=package.options.data_pribadi)
        keluarga, kunci = package.sasaran.keluarga, kunci_verifikasi()
        paths = [
            _write(out, "verifikasi_musdes.xlsx", lembar_verifikasi(keluarga, kepala, kunci)),
            _write(out, "verifikasi_musdes_per_desa.zip", zip_per_desa(keluarga, kepala, kunci)),
            _write(out, "rejected.csv", to_csv_bytes(result.ditolak)),  # every row accounted
        ]
        print(f"{result.rows_in} rows read: {result.rows_used} used, {result.rows_rejected} "
              "rejected (reasons in rejected.csv)")  # fmt: skip
        print(f"verification workbook: {keluarga['kode_desa'].nunique()} desa, "
              f"{len(keluarga)} families")  # fmt: skip
    else:
        hasil = _read_returns(args.berkas, result)
        if getattr(args, "snapshot", None) is not None:  # saved first: all or nothing
            _keep(args.snapshot, hasil)
        paths = _verification_files(hasil, out, args.csv_sep)
        paths.append(_write(out, "report.json", _report(hasil, args.berkas)))
        led = hasil.ledger
        print(f"{led.rows_in} rows read: {len(hasil.diterapkan)} applied, "
              f"{len(hasil.usulan)} proposals (usulan baru: for the DTSEN update, not P3KE), "
              f"{led.rows_rejected} rejected (reasons in verifikasi_ditolak.csv)")  # fmt: skip
        for note in hasil.catatan:
            _stderr(f"note: {note}")
    for path in paths:
        print(path)
    return 0


def _keep(sid: int, hasil: HasilVerifikasi) -> None:
    """Save the applied rows into workspace snapshot ``sid`` (``verifikasi-masuk --snapshot``)."""
    from targeting.cli_ruang_kerja import _workspace
    from targeting.verifikasi_ruang import muat_hasil, simpan_hasil

    rk, c = _workspace()
    try:
        saved = simpan_hasil(rk, c, sid, hasil, muat_hasil(rk, c, sid).versi)
    finally:
        rk.close()
    print(f"workspace snapshot {sid}: {len(saved)} verification results saved")


def _report(hasil: HasilVerifikasi, paths: list[Path]) -> bytes:
    led = hasil.ledger
    report = {
        "berkas": [
            {"berkas": p.name, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()} for p in paths
        ],
        "baris": {"masuk": led.rows_in, "dipakai": led.rows_used, "ditolak": led.rows_rejected,
                  "diterapkan": len(hasil.diterapkan), "usulan_baru": len(hasil.usulan)},
        "ditolak_per_kode": led.per_kode(),
        "desa": hasil.desa.drop(columns=["ketua"]).to_dict("records"),
        "catatan": hasil.catatan,
        "kunci": "LOKUS_KUNCI_VERIFIKASI atau .rahasia/kunci_verifikasi (isi tidak ditulis)",
    }  # fmt: skip
    return json.dumps(report, ensure_ascii=False, indent=2, default=str).encode()


@dataclass
class RunExtras:
    """What ``run --verifikasi/--penerima`` adds to a run."""

    hasil: HasilVerifikasi | None = None
    daftar: DaftarPenerima | None = None
    keluar: pd.DataFrame | None = None
    """Target families verified not eligible (``sasaran_tidak_layak.csv``)."""

    def apply(self, package: TargetPackage | None) -> TargetPackage | None:
        """Drop families verified not eligible from the target list; mark the unverified."""
        from targeting.verifikasi import terapkan_ke_daftar

        if package is None or self.hasil is None:
            return package
        package.sasaran, self.keluar = terapkan_ke_daftar(package.sasaran, self.hasil)
        return package

    def write(self, result: Analysis, out: Path, sep: str) -> list[Path]:
        """Write the verification files, belum_tersentuh.csv and ketepatan_sasaran.csv."""
        from targeting.interventions import lokus_long
        from targeting.penerima import cakupan
        from targeting.verifikasi import tidak_layak

        paths: list[Path] = []
        if self.hasil is not None:
            paths += _verification_files(self.hasil, out, sep)
            if self.keluar is not None:
                paths.append(_write(out, "sasaran_tidak_layak.csv",
                                    to_csv_bytes(self.keluar, sep=sep)))  # fmt: skip
        if self.daftar is None and self.hasil is None:
            return paths
        reg = result.register.register if result.register is not None else None
        got = cakupan(
            result.placement.keluarga, lokus_long(reg) if reg is not None else None,
            self.daftar, tidak_layak=tidak_layak(self.hasil) if self.hasil else frozenset(),
        )  # fmt: skip
        belum = got.belum_tersentuh.assign(sumber=got.sumber)
        paths.append(_write(out, "belum_tersentuh.csv", to_csv_bytes(belum, sep=sep)))
        paths.append(_write(out, "ketepatan_sasaran.csv", to_csv_bytes(got.ketepatan, sep=sep)))
        if self.daftar is not None:
            led = self.daftar.ledger
            print(f"recipients: {led.rows_in} rows read: {led.rows_used} used, "
                  f"{led.rows_rejected} rejected (in penerima_ditolak.csv)")  # fmt: skip
            paths.append(_write(out, "penerima_ditolak.csv", to_csv_bytes(led.ditolak, sep=sep)))
        else:
            print(f"coverage: no recipient list; {got.sumber}")
        return paths


def sebelum_run(args: argparse.Namespace, result: Analysis) -> tuple[Analysis, RunExtras]:
    """Read ``--verifikasi`` and ``--penerima`` before ``run`` ranks and writes.

    Parameters
    ----------
    args : argparse.Namespace
        ``run``'s options.
    result : Analysis
        The run's analysis.

    Returns
    -------
    tuple of (Analysis, RunExtras)
        With ``--verifikasi``: :func:`targeting.verifikasi.analisis_terverifikasi` (the ranking
        counts only families not verified out); else ``result`` unchanged.
    """
    from targeting.penerima import baca_penerima
    from targeting.verifikasi import analisis_terverifikasi

    extras = RunExtras()
    if getattr(args, "verifikasi", None):
        extras.hasil = _read_returns(args.verifikasi, result)
        result = analisis_terverifikasi(result, extras.hasil)
    if getattr(args, "penerima", None):
        reg = result.register.register if result.register is not None else None
        codes = set(reg["kode_sub_kegiatan"].astype(str)) if reg is not None else None
        extras.daftar = baca_penerima(args.penerima.read_bytes(), args.penerima.name,
                                      result.placement.keluarga, codes)  # fmt: skip
    return result, extras
