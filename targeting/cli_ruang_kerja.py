"""Command line of the workspace: ``python -m targeting ruang-kerja ...`` and ``run --snapshot``.

``impor`` reads a set of inputs (as ``run`` does) and keeps it as a snapshot; ``daftar``
lists the snapshots; ``hapus`` deletes one and everything derived from it; ``cadangkan`` and
``pulihkan`` back up and restore the whole workspace; ``pengguna`` adds, removes and lists
users; ``migrasi`` brings the schema to the newest version. The CLI is the server operator's
tool: whoever can run it reads the database and the key anyway, so it acts for every desa
(and writes ``LOKUS_PENGGUNA`` or the login name in the audit log).
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from geo.errors import LokusError, WorkspaceError
from geo.masking import mask_ids
from geo.region import DEFAULT_REGION_FILE

__all__ = ["add_parser", "add_run_option", "main", "run_conflicts", "snapshot_for_run"]

ENV_USER = "LOKUS_PENGGUNA"
ENV_NEW_PASSWORD = "LOKUS_SANDI_BARU"


def _stderr(text: str) -> None:
    print(mask_ids(text), file=sys.stderr)


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``ruang-kerja`` and its actions on the CLI's subcommands."""
    rk = sub.add_parser(
        "ruang-kerja",
        help="ruang kerja: simpan snapshot, daftar, hapus, cadangkan, pulihkan, pengguna",
        description="Ruang kerja Lokus (SQLite di LOKUS_WORKSPACE, atau PostgreSQL di "
        "LOKUS_DATABASE_URL). Kunci enkripsi: LOKUS_WORKSPACE_KEY atau berkas kunci.key.",
    )
    act = rk.add_subparsers(dest="aksi", required=True)
    imp = act.add_parser("impor", help="baca berkas P3KE dan simpan sebagai snapshot")
    imp.add_argument("--region", type=Path, default=None,
                     help=f"berkas wilayah TOML (bawaan: LOKUS_REGION atau {DEFAULT_REGION_FILE.name})")  # fmt: skip
    imp.add_argument(
        "--households", type=Path, help="berkas P3KE (CSV/XLSX); bawaan: sampel SINTETIS"
    )
    imp.add_argument("--boundaries", type=Path, help="batas desa (GeoJSON/GPKG/SHP.zip, ber-CRS)")
    imp.add_argument(
        "--keluarga-desa", type=Path, help="tabel seluruh keluarga per desa (penyebut)"
    )
    imp.add_argument("--desil-scale", choices=["auto", "p3ke", "dtsen"], default="auto",
                     help="skala desil: p3ke 1-4, dtsen 1-10 (bawaan: deteksi otomatis)")  # fmt: skip
    imp.add_argument("--sheet", help="lembar XLSX yang dibaca")
    imp.add_argument("--tanggal", help="tanggal data (YYYY-MM-DD)")
    imp.add_argument("--nama", help="nama snapshot (bawaan: wilayah dan tanggal)")
    act.add_parser("daftar", help="daftar snapshot di ruang kerja")
    hapus = act.add_parser("hapus", help="hapus snapshot beserta semua turunannya (UU 27/2022)")
    hapus.add_argument("id", type=int, help="nomor snapshot (lihat 'daftar')")
    cad = act.add_parser("cadangkan", help="cadangkan seluruh ruang kerja ke satu berkas ZIP")
    cad.add_argument("berkas", type=Path, help="berkas ZIP tujuan (mode 0600)")
    pul = act.add_parser("pulihkan", help="ganti seluruh isi ruang kerja dengan cadangan")
    pul.add_argument("berkas", type=Path, help="berkas ZIP dari 'cadangkan'")
    pul.add_argument("--ya", action="store_true", help="ya, ganti isi ruang kerja")
    act.add_parser("migrasi", help="bawa skema basis data ke versi terbaru (Alembic)")
    _add_users(act)


def _add_users(act: argparse._SubParsersAction) -> None:
    peng = act.add_parser("pengguna", help="tambah, hapus atau daftar pengguna")
    sub = peng.add_subparsers(dest="pengguna_aksi", required=True)
    tambah = sub.add_parser(
        "tambah",
        help=f"tambah pengguna atau ganti kata sandinya (kata sandi dari {ENV_NEW_PASSWORD} "
        "atau diketik)",
    )
    tambah.add_argument("nama")
    tambah.add_argument(
        "--peran", required=True, choices=["admin", "kabupaten", "kecamatan", "desa"]
    )
    tambah.add_argument("--wilayah", help="kode kecamatan (61.11.01) atau desa (61.11.01.2001), dipisah koma")  # fmt: skip
    hapus = sub.add_parser("hapus", help="hapus pengguna")
    hapus.add_argument("nama")
    sub.add_parser("daftar", help="daftar pengguna (tanpa kata sandi)")


def add_run_option(run: argparse.ArgumentParser) -> None:
    """Add ``--snapshot ID`` to ``run``: analyse a kept snapshot instead of reading files."""
    run.add_argument(
        "--snapshot", type=int, default=None, metavar="ID",
        help="analisis snapshot dari ruang kerja (lihat 'ruang-kerja daftar') alih-alih membaca berkas",
    )  # fmt: skip


def run_conflicts(args: argparse.Namespace) -> str | None:
    """Say which ``run`` option cannot go with ``--snapshot`` (the inputs are the snapshot's)."""
    if getattr(args, "snapshot", None) is None:
        return None
    given = [f"--{n.replace('_', '-')}" for n in ("households", "boundaries", "keluarga_desa", "layer", "sheet")
             if getattr(args, n, None) is not None]  # fmt: skip
    if args.engine != "pandas":
        given.append("--engine")
    return f"{', '.join(given)} cannot go with --snapshot (its inputs are kept)" if given else None


def _user() -> str:
    return os.environ.get(ENV_USER) or getpass.getuser()


def _workspace():
    from targeting.ruang_kerja import Cakupan, RuangKerja

    return RuangKerja(), Cakupan.semua(_user())


def snapshot_for_run(args: argparse.Namespace, region):
    """Open snapshot ``args.snapshot`` for every desa and rebuild it for the pipeline."""
    from targeting.ruang_kerja.snapshot_ruang import to_snapshot

    rk, c = _workspace()
    try:
        snapshot = to_snapshot(rk.buka(c, args.snapshot), region)
        rk.catat_ekspor(c, args.snapshot, f"run --out {args.out}", snapshot.families_used)
        return snapshot
    finally:
        rk.close()


def main(args: argparse.Namespace) -> int:
    """Run one ``ruang-kerja`` action; exit code 0, or 2 with the error on stderr."""
    try:
        return _ACTIONS[args.aksi](args)
    except LokusError as err:
        _stderr(f"error: {err.en.rstrip('.')}")
        return 2
    except (OSError, ValueError) as err:
        _stderr(f"error: {err}")
        return 2


def _impor(args: argparse.Namespace) -> int:
    from geo.region import default_region, load_region
    from targeting.snapshot import load_snapshot

    region = load_region(args.region) if args.region else default_region()
    snapshot = load_snapshot(
        region, households=args.households, boundaries=args.boundaries,
        keluarga_desa=args.keluarga_desa, desil_scale=args.desil_scale, sheet=args.sheet,
        tanggal=args.tanggal,
    )  # fmt: skip
    rk, c = _workspace()
    try:
        sid = rk.impor(snapshot, c, nama=args.nama)
    finally:
        rk.close()
    print(f"snapshot {sid}: {snapshot.families_used} families kept, "
          f"{snapshot.rows_rejected} rows rejected (of {snapshot.rows_in})")  # fmt: skip
    return 0


def _daftar(_args: argparse.Namespace) -> int:
    rk, c = _workspace()
    try:
        table = rk.daftar(c)
    finally:
        rk.close()
    if table.empty:
        print("the workspace holds no snapshot yet ('ruang-kerja impor' adds one)")
        return 0
    for r in table.itertuples():
        mark = " SINTETIS" if r.sintetis else ""
        print(f"{r.id}\t{r.nama}\t{r.tanggal or '-'}\t{r.n_keluarga} keluarga{mark}\t"
              f"{r.dibuat:%Y-%m-%d %H:%M} {r.oleh}")  # fmt: skip
    return 0


def _hapus(args: argparse.Namespace) -> int:
    rk, c = _workspace()
    try:
        rk.hapus(c, args.id)
    finally:
        rk.close()
    print(f"snapshot {args.id} deleted with everything derived from it")
    return 0


def _cadangkan(args: argparse.Namespace) -> int:
    from targeting.ruang_kerja.cadangan import cadangkan

    rk, c = _workspace()
    try:
        manifest = cadangkan(rk, c, args.berkas)
    finally:
        rk.close()
    print(f"{args.berkas}: {sum(manifest['baris'].values())} rows; the key is NOT in it, "
          "keep the key apart")  # fmt: skip
    return 0


def _pulihkan(args: argparse.Namespace) -> int:
    from targeting.ruang_kerja.cadangan import pulihkan

    if not args.ya:
        _stderr("error: restoring replaces everything in the workspace; add --ya to go ahead")
        return 2
    rk, c = _workspace()
    try:
        manifest = pulihkan(rk, c, args.berkas)
    finally:
        rk.close()
    print(f"restored {sum(manifest['baris'].values())} rows from {args.berkas}")
    return 0


def _migrasi(_args: argparse.Namespace) -> int:
    from targeting.ruang_kerja import RuangKerja
    from targeting.ruang_kerja.migrasi import current

    rk = RuangKerja()
    try:
        print(f"schema at version {current(rk.engine)} ({rk.engine.url.render_as_string()})")
    finally:
        rk.close()
    return 0


def _new_password() -> str:
    given = os.environ.get(ENV_NEW_PASSWORD)
    if given:
        return given
    first = getpass.getpass("Kata sandi baru: ")
    if first != getpass.getpass("Ulangi kata sandi: "):
        msg = "Kedua kata sandi berbeda; ulangi."
        raise WorkspaceError(msg, en="The two passwords differ; try again.")
    return first


def _pengguna(args: argparse.Namespace) -> int:
    from targeting.ruang_kerja import Cakupan, RuangKerja
    from targeting.ruang_kerja import pengguna as p

    rk = RuangKerja()
    try:
        # The operator of the server: the first admin is made with no login; after that the
        # CLI acts as an admin (it holds the database and the key anyway).
        oleh = Cakupan(_user(), "admin") if p.ada_pengguna(rk) else None
        if args.pengguna_aksi == "tambah":
            ada = args.nama in set(p.daftar_pengguna(rk)["nama"]) if oleh else False
            c = p.tambah_pengguna(
                rk, args.nama, _new_password(), args.peran, args.wilayah, oleh=oleh
            )
            kata = "replaced (new password, role and codes)" if ada else "added"
            print(f"user {c.pengguna} {kata}: {c.peran} {','.join(c.wilayah)}".rstrip())
        elif args.pengguna_aksi == "hapus":
            p.hapus_pengguna(rk, args.nama, oleh=oleh or Cakupan(_user(), "admin"))
            print(f"user {args.nama} removed")
        else:
            for r in p.daftar_pengguna(rk).itertuples():
                print(f"{r.nama}\t{r.peran}\t{r.wilayah or '(semua desa)'}")
    finally:
        rk.close()
    return 0


_ACTIONS = {
    "impor": _impor, "daftar": _daftar, "hapus": _hapus, "cadangkan": _cadangkan,
    "pulihkan": _pulihkan, "migrasi": _migrasi, "pengguna": _pengguna,
}  # fmt: skip
