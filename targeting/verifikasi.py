"""Village-meeting verification (verifikasi musyawarah desa): the workbook out and back in.

Out: :func:`lembar_verifikasi` writes one sheet per desa (A4 landscape, header row repeated
on every page, fit to the page width) with a heading block, the target families (masked unless
personal data were chosen), a drop-down ``status_verifikasi`` (:data:`STATUS_VERIFIKASI`), the
columns ``alasan`` and ``catatan``, a hidden check value per row (``kode_cek``, an HMAC of the
family id and the desa code, :func:`kode_cek`), rows for proposed families (``usulan baru``)
and a signature block. The sheet is protected **without a password**: a guard against slips
(typing over an id), not a secret; only the cells the meeting fills are unlocked.
:func:`zip_per_desa` writes the same sheets as one file per desa.

In: :func:`baca_verifikasi` reads one or many returned workbooks. Every filled row ends in
exactly one place of a :class:`geo.ledger.Ledger`: applied (a valid status), rejected with its
reason (:data:`ALASAN`), or listed apart as a proposed family (``usulan baru``: not a P3KE
family; it goes to the DTSEN update, not to the target list). A desa returned twice: the file
saved later wins (its saved date, then the order given) and the earlier file's rows are
listed as replaced.

The check value's key comes from :func:`kunci_verifikasi`: the environment variable
``LOKUS_KUNCI_VERIFIKASI`` when set, else a random key written once to a git-ignored file
(``.rahasia/kunci_verifikasi`` in the installation, or under ``LOKUS_RAHASIA_DIR``), so a
workbook exported before a restart still verifies after it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import os
import re
import secrets
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

import pandas as pd

from geo.errors import VerifikasiError
from geo.ledger import Ledger, rejections
from geo.masking import mask_ids
from geo.region import DEFAULT_ZONA_WAKTU
from geo.sheets import Grid, grids_from_bytes
from geo.text import fold
from targeting.export import neutralise
from targeting.waktu import stempel

if TYPE_CHECKING:
    from targeting.mapspec import MapSpec
    from targeting.pipeline import Analysis
    from targeting.snapshot import Snapshot
    from targeting.targets import TargetList

__all__ = [
    "ALASAN",
    "STATUS_LAYAK",
    "STATUS_VERIFIKASI",
    "BerkasKembali",
    "HasilVerifikasi",
    "KepalaLembar",
    "VerifikasiError",
    "analisis_terverifikasi",
    "baca_verifikasi",
    "kepala_dari",
    "kode_cek",
    "kunci_verifikasi",
    "lampiran_xlsx",
    "lembar_verifikasi",
    "nama_lembar",
    "peta_verifikasi",
    "progres_desa",
    "snapshot_terverifikasi",
    "terapkan_ke_daftar",
    "terapkan_verifikasi",
    "tidak_layak",
    "zip_per_desa",
]

STATUS_LAYAK = "layak"
STATUS_VERIFIKASI = (
    STATUS_LAYAK,
    "tidak layak - sudah mampu",
    "meninggal",
    "pindah",
    "tidak ditemukan",
    "ganda",
)
"""The drop-down values of ``status_verifikasi``. Every value but ``layak`` takes the family
off the target list (with the status and the meeting's ``alasan`` as its reason). A value
typed by hand counts when it equals one of these after :func:`geo.text.fold` (case, accents
and runs of spaces ignored: ``" Tidak  Layak - Sudah Mampu"``); anything else is rejected."""

ALASAN = {
    "id_kosong": "id_keluarga_p3ke kosong: baris tanpa id keluarga tidak dapat diterapkan",
    "id_tidak_dikenal": "id_keluarga_p3ke tidak ada dalam data P3KE yang dimuat",
    "id_diubah": "id_keluarga_p3ke diubah: kode_cek baris ini milik id {asal}",
    "kode_cek_salah": (
        "kode_cek tidak cocok dengan id dan desa (baris ditambahkan atau kode diubah); "
        "salin baris dari lembar asli"
    ),
    "desa_lain": "baris milik desa {asal} ditempel ke lembar desa ini; isi di lembar desanya",
    "status_tidak_sah": "status_verifikasi bukan salah satu pilihan ({pilihan})",
    "belum_diverifikasi": "status_verifikasi kosong: keluarga belum diverifikasi",
    "id_ganda": "id_keluarga_p3ke muncul lagi di lembar ini; baris pertama yang dipakai",
    "diganti": "desa ini dikembalikan lagi dalam {asal}; berkas yang lebih baru dipakai",
    "usulan_tidak_lengkap": "usulan baru tanpa {asal} (kolom wajib bertanda *)",
    "desa_di_luar_wilayah": (
        "lembar desa {asal} di luar wilayah pengguna ini: hanya hasil desa Anda yang diterapkan"
    ),
}
"""Reason code -> sentence of each rejected row (``{asal}`` filled per row)."""

USULAN_KOLOM = ("no", "nama_kepala_keluarga *", "alamat *", "dusun_rt_rw", "alasan_usulan *",
                "catatan")  # fmt: skip
"""Header of the proposed-family block (``*``: required)."""

_JUDUL = "LEMBAR VERIFIKASI MUSYAWARAH DESA: KELUARGA SASARAN P3KE"
_PENANDA_USULAN = "USULAN BARU"
_PENANDA_SAH = "PENGESAHAN"
_BARIS_PER_HALAMAN = 14
"""Family rows per printed page (a manual page break after each such block)."""
_BARIS_USULAN = 8
_TINGGI_BARIS = 24.0
_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_KUNCI_ENV = "LOKUS_KUNCI_VERIFIKASI"
_RAHASIA_ENV = "LOKUS_RAHASIA_DIR"
_ROOT = Path(__file__).resolve().parents[1]


def kunci_verifikasi(folder: str | os.PathLike[str] | None = None) -> bytes:
    """Return this installation's key for the check values (created on first use).

    Parameters
    ----------
    folder : path, optional
        Folder of the key file; default ``LOKUS_RAHASIA_DIR`` or ``.rahasia`` in the
        installation (git-ignored).

    Returns
    -------
    bytes
        ``LOKUS_KUNCI_VERIFIKASI`` when set (its UTF-8 bytes); else the content of
        ``kunci_verifikasi`` in the folder, written once with 32 random bytes (hex) and
        permission 0600. The same key across restarts lets returned workbooks verify.
    """
    env = os.environ.get(_KUNCI_ENV, "").strip()
    if env:
        return env.encode()
    base = Path(folder or os.environ.get(_RAHASIA_ENV) or _ROOT / ".rahasia")
    path = base / "kunci_verifikasi"
    if not path.exists():
        base.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip().encode()


def kode_cek(id_keluarga: object, kode_desa: object, kunci: bytes) -> str:
    """Check value of one row: HMAC-SHA256 of ``id|kode_desa``, first 12 hex digits.

    Parameters
    ----------
    id_keluarga : object
        ``id_keluarga_p3ke`` (compared as stripped text).
    kode_desa : object
        Dotted desa code of the sheet.
    kunci : bytes
        :func:`kunci_verifikasi`.

    Returns
    -------
    str
        12 lowercase hex digits (48 bits: enough to catch slips; the sheet is not a secret).

    Examples
    --------
    >>> kode_cek("P3KE-1", "61.11.01.2001", b"k") == kode_cek(" P3KE-1 ", "61.11.01.2001", b"k")
    True
    """
    text = f"{str(id_keluarga).strip()}|{str(kode_desa).strip()}".encode()
    return hmac.new(kunci, text, hashlib.sha256).hexdigest()[:12]


def nama_lembar(desa: str, kode_desa: str, dipakai: Iterable[str] = ()) -> str:
    r"""Sheet name of a desa: its name and code, within Excel's 31 characters.

    Parameters
    ----------
    desa : str
        Desa name.
    kode_desa : str
        Dotted code (kept whole; the name is cut to fit).
    dipakai : iterable of str
        Names already in the workbook (a repeat gets ``~2``).

    Returns
    -------
    str
        ``"Sutera 61.11.01.2001"``; the characters Excel forbids (``[ ] : * ? / \``) become
        ``-``.

    Examples
    --------
    >>> nama_lembar("Pulau Maya Karimata Selatan Jaya", "61.11.04.2001")
    'Pulau Maya Karima 61.11.04.2001'
    """
    room = 31 - len(kode_desa) - 1
    base = f"{_FORBIDDEN.sub('-', str(desa)).strip()[:room].strip()} {kode_desa}".strip()
    base = base.strip("'")
    taken = {n.casefold() for n in dipakai}
    name, n = base, 2
    while name.casefold() in taken:
        suffix = f"~{n}"
        name = f"{base[: 31 - len(suffix)]}{suffix}"
        n += 1
    return name


@dataclass(frozen=True)
class KepalaLembar:
    """What the heading block of every sheet says.

    Attributes
    ----------
    kabupaten : str
        District name.
    tanggal_data : str
        Date of the P3KE data.
    sintetis : bool
        The families are synthetic: the title says so.
    data_pribadi : bool
        NIK, No KK and names are shown unmasked (the title says so).
    """

    kabupaten: str
    tanggal_data: str = ""
    sintetis: bool = False
    data_pribadi: bool = False


_KOLOM_KELUARGA = ("no", "id_keluarga_p3ke", "kepala_keluarga", "nik", "no_kk", "alamat",
                   "dusun", "rt", "rw", "desil", "kekurangan")  # fmt: skip
_KOLOM_ISI = ("status_verifikasi", "alasan", "catatan")
_LEBAR = {"no": 5, "id_keluarga_p3ke": 18, "kepala_keluarga": 18, "nik": 19, "no_kk": 19,
          "alamat": 24, "dusun": 12, "rt": 5, "rw": 5, "desil": 6, "kekurangan": 38,
          "status_verifikasi": 24, "alasan": 26, "catatan": 22, "kode_cek": 14}  # fmt: skip


def lembar_verifikasi(keluarga: pd.DataFrame, kepala: KepalaLembar, kunci: bytes) -> bytes:
    """Write the verification workbook: one protected, printable sheet per desa.

    Parameters
    ----------
    keluarga : pandas.DataFrame
        ``TargetList.keluarga`` (:func:`targeting.targets.target_families`): ``kode_desa``,
        ``desa``, ``kecamatan``, ``id_keluarga_p3ke`` and any of ``kepala_keluarga``, ``nik``,
        ``no_kk``, ``alamat``, ``dusun``, ``rt``, ``rw``, ``desil``, ``kekurangan``, already
        masked unless personal data were chosen. Desa appear in the order of the frame.
    kepala : KepalaLembar
        Heading block.
    kunci : bytes
        Key of the check values (:func:`kunci_verifikasi`).

    Returns
    -------
    bytes
        The ``.xlsx``. Text cells are formula-safe (:func:`targeting.export.neutralise`).

    Raises
    ------
    VerifikasiError
        If the frame has no ``id_keluarga_p3ke`` (the meeting could not find the families).
    """
    from openpyxl import Workbook

    _need_ids(keluarga)
    wb = Workbook()
    wb.remove(wb.active)
    for kode, rows in keluarga.groupby("kode_desa", sort=False):
        _tulis_lembar(wb, str(kode), rows, kepala, kunci)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def zip_per_desa(keluarga: pd.DataFrame, kepala: KepalaLembar, kunci: bytes) -> bytes:
    """Write one verification workbook per desa, zipped.

    Parameters
    ----------
    keluarga, kepala, kunci
        As :func:`lembar_verifikasi`.

    Returns
    -------
    bytes
        A zip of ``verifikasi_<kode_desa>_<desa>.xlsx`` files, one per desa.
    """
    _need_ids(keluarga)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for kode, rows in keluarga.groupby("kode_desa", sort=False):
            slug = re.sub(r"[^0-9A-Za-z]+", "_", str(rows["desa"].iloc[0])).strip("_")
            zf.writestr(f"verifikasi_{kode}_{slug}.xlsx", lembar_verifikasi(rows, kepala, kunci))
    return buffer.getvalue()


def _need_ids(keluarga: pd.DataFrame) -> None:
    if "id_keluarga_p3ke" not in keluarga.columns:
        msg = (
            "daftar sasaran tanpa kolom id_keluarga_p3ke: lembar verifikasi musdes memerlukan "
            "id keluarga P3KE agar hasilnya dapat dibaca kembali"
        )
        en = "the target list has no id_keluarga_p3ke column; the verification sheet needs it"
        raise VerifikasiError(msg, en=en)


def _tulis_lembar(wb, kode: str, rows: pd.DataFrame, kepala: KepalaLembar, kunci: bytes) -> None:
    """One desa's sheet: heading, families, proposals, signatures, print setup, protection."""
    from openpyxl.worksheet.pagebreak import Break

    desa = str(rows["desa"].iloc[0])
    ws = wb.create_sheet(nama_lembar(desa, kode, wb.sheetnames))
    kolom = [c for c in _KOLOM_KELUARGA if c == "no" or c in rows.columns]
    kolom += [*_KOLOM_ISI, "kode_cek"]
    header = _tulis_kepala(ws, kode, desa, rows, kepala, len(kolom))
    _tulis_keluarga(ws, header, kolom, rows, kode, kunci)
    end = header + len(rows)
    for r in range(header + _BARIS_PER_HALAMAN, end, _BARIS_PER_HALAMAN):
        ws.row_breaks.append(Break(id=r))
    ws.row_breaks.append(Break(id=end + 1))
    sah = _tulis_usulan(ws, end + 2)
    _tulis_pengesahan(ws, sah + 1)
    _cetak(ws, header, len(kolom))
    ws.protection.sheet = True  # no password: a guard against slips, not a secret
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _tulis_kepala(ws, kode: str, desa: str, rows, kepala: KepalaLembar, width: int) -> int:
    """Title and heading block; return the row of the table header."""
    from openpyxl.styles import Alignment, Font, Protection

    title = _JUDUL + (" (DATA SINTETIS)" if kepala.sintetis else "")
    if kepala.data_pribadi:
        title += " - BERISI DATA PRIBADI (UU 27/2022)"
    ws.cell(1, 1, title).font = Font(bold=True, size=13)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    items = [
        ("Kabupaten", kepala.kabupaten, False),
        ("Kecamatan", str(rows["kecamatan"].iloc[0]) if "kecamatan" in rows else "", False),
        ("Desa", desa, False),
        ("Kode desa", kode, False),
        ("Tanggal data P3KE", kepala.tanggal_data or "tidak diketahui", False),
        ("Jumlah keluarga dalam daftar", str(len(rows)), False),
        ("Tanggal musyawarah desa", "", True),
        ("Ketua musyawarah", "", True),
        ("Jumlah peserta hadir", "", True),
    ]
    for i, (label, value, editable) in enumerate(items, start=2):
        ws.cell(i, 1, label).font = Font(bold=True)
        ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=2)
        cell = ws.cell(i, 3, neutralise(value))
        ws.merge_cells(start_row=i, start_column=3, end_row=i, end_column=5)
        if editable:
            for c in range(3, 6):
                ws.cell(i, c).protection = Protection(locked=False)
            cell.alignment = Alignment(horizontal="left")
    note = (
        "Pilih status_verifikasi dari daftar; isi alasan bila tidak layak. Kolom identitas "
        "terkunci (tanpa kata sandi). Keluarga yang belum ada di daftar: tulis di USULAN BARU."
    )
    ws.cell(len(items) + 2, 1, note).font = Font(italic=True)
    return len(items) + 4


def _tulis_keluarga(ws, header: int, kolom: list[str], rows, kode: str, kunci: bytes) -> None:
    """Write the header row and one row per family; editable cells unlocked; drop-down on status."""
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    fill = PatternFill("solid", fgColor="FFF2CC")
    for c, name in enumerate(kolom, start=1):
        cell = ws.cell(header, c, name)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(c)].width = _LEBAR.get(name, 12)
    ws.row_dimensions[header].height = 30
    wrap = Alignment(wrap_text=True, vertical="top")
    for i, row in enumerate(rows.itertuples(index=False), start=1):
        r = header + i
        values = row._asdict()
        ws.row_dimensions[r].height = _TINGGI_BARIS
        for c, name in enumerate(kolom, start=1):
            if name == "no":
                value: object = i
            elif name == "kode_cek":
                value = kode_cek(values["id_keluarga_p3ke"], kode, kunci)
            else:
                value = values.get(name, "")
                value = "" if value is None or pd.isna(value) else value
                value = neutralise(str(value)) if name != "desil" else int(value)
            cell = ws.cell(r, c, value)
            cell.alignment = wrap
            if name in _KOLOM_ISI:
                cell.protection = Protection(locked=False)
                cell.fill = fill
            elif name != "desil" and name != "no":
                cell.number_format = "@"
    last = header + max(len(rows), 1)
    status = get_column_letter(kolom.index("status_verifikasi") + 1)
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(STATUS_VERIFIKASI) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="Status tidak dikenal",
        error="Pilih salah satu status dari daftar.",
        promptTitle="Status verifikasi",
        prompt="Pilih dari daftar",
    )
    dv.add(f"{status}{header + 1}:{status}{last}")
    ws.add_data_validation(dv)
    ws.column_dimensions[get_column_letter(len(kolom))].hidden = True
    ws.freeze_panes = ws.cell(header + 1, 3)


def _tulis_usulan(ws, start: int) -> int:
    """Write the proposed-family block (unlocked rows); return its last row."""
    from openpyxl.styles import Font, Protection

    ws.cell(start, 1, f"{_PENANDA_USULAN} (keluarga miskin yang belum ada di daftar; "
                      "diteruskan ke pemutakhiran DTSEN, bukan ke daftar P3KE)").font = Font(
        bold=True)  # fmt: skip
    for c, name in enumerate(USULAN_KOLOM, start=1):
        ws.cell(start + 1, c, name).font = Font(bold=True)
    for r in range(start + 2, start + 2 + _BARIS_USULAN):
        ws.row_dimensions[r].height = _TINGGI_BARIS
        for c in range(1, len(USULAN_KOLOM) + 1):
            ws.cell(r, c).protection = Protection(locked=False)
    return start + 1 + _BARIS_USULAN


def _tulis_pengesahan(ws, start: int) -> None:
    """Write the signature block (names unlocked)."""
    from openpyxl.styles import Font, Protection

    ws.cell(start + 1, 1, _PENANDA_SAH).font = Font(bold=True)
    ws.cell(start + 2, 1, "Ditetapkan dalam musyawarah desa pada tanggal tersebut di atas.")
    for i, role in enumerate(("Ketua musyawarah", "Kepala desa", "Pendamping / operator")):
        c = 1 + i * 4
        ws.cell(start + 4, c, role).font = Font(bold=True)
        ws.cell(start + 8, c, "(nama dan tanda tangan)")
        ws.cell(start + 7, c).protection = Protection(locked=False)


def _cetak(ws, header: int, width: int) -> None:
    """A4 landscape, fit to one page wide, header row repeated on every page."""
    from openpyxl.utils import get_column_letter

    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header}:{header}"
    ws.print_area = f"A1:{get_column_letter(width - 1)}{ws.max_row}"
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.oddFooter.center.text = "Halaman &P dari &N"


# --------------------------------------------------------------------------- reading back


@dataclass(frozen=True)
class BerkasKembali:
    """One returned workbook.

    Attributes
    ----------
    nama : str
        File name (for the ledger).
    data : bytes
        Its content.
    """

    nama: str
    data: bytes


@dataclass
class HasilVerifikasi:
    """Returned workbooks read: every filled row accounted.

    Attributes
    ----------
    diterapkan : pandas.DataFrame
        One row per family with a valid status: ``kode_desa``, ``desa``,
        ``id_keluarga_p3ke``, ``status_verifikasi`` (a value of :data:`STATUS_VERIFIKASI`),
        ``status_ditulis`` (as typed, when it differed), ``alasan``, ``catatan``, ``berkas``,
        ``lembar``, ``baris``.
    ditolak : pandas.DataFrame
        :data:`geo.ledger.LEDGER_COLUMNS`; ``kode`` one of :data:`ALASAN`.
    usulan : pandas.DataFrame
        Proposed families: ``kode_desa``, ``desa``, ``nama_kepala_keluarga``, ``alamat``,
        ``dusun_rt_rw``, ``alasan_usulan``, ``catatan``, ``berkas``, ``lembar``, ``baris``.
        Personal data: masked in exports by :meth:`usulan_tersamar`.
    ledger : Ledger
        All files together; ``rows_in == rows_used + rows_rejected`` (used: applied plus
        proposals).
    desa : pandas.DataFrame
        One row per desa sheet read: ``kode_desa``, ``desa``, ``kecamatan``,
        ``jumlah_daftar`` (families on the exported list), ``berkas``, ``lembar``,
        ``disimpan`` (the saved date, local time with offset), ``tanggal_musdes``,
        ``ketua``, ``jumlah_hadir``, ``dipakai`` (False when a later file replaced it).
    catatan : list of str
        Notes in Bahasa Indonesia (sheets that are not verification sheets, replaced files).
    """

    diterapkan: pd.DataFrame
    ditolak: pd.DataFrame
    usulan: pd.DataFrame
    ledger: Ledger
    desa: pd.DataFrame
    catatan: list[str] = field(default_factory=list)

    def usulan_tersamar(self) -> pd.DataFrame:
        """Proposals with names cut to initials and the address left out (UU 27/2022)."""
        from targeting.targets import initials

        out = self.usulan.drop(columns=["alamat"], errors="ignore").copy()
        out["nama_kepala_keluarga"] = out["nama_kepala_keluarga"].map(initials)
        return out

    def judul_tidak_diterapkan(self) -> str:
        """Title of the page's list of rows not applied, split as the metrics above it are.

        Returns
        -------
        str
            E.g. ``"Baris tidak diterapkan: 47 (0 ditolak, 47 status kosong = belum
            diverifikasi)"``: blank statuses are not errors, so they are not called rejected.

        Examples
        --------
        >>> import pandas as pd
        >>> from geo.ledger import Ledger
        >>> tolak = pd.DataFrame({"kode": ["belum_diverifikasi", "id_diubah"]})
        >>> h = HasilVerifikasi(pd.DataFrame(), tolak, pd.DataFrame(),
        ...                     Ledger("a.xlsx", 3, 1, tolak), pd.DataFrame())
        >>> h.judul_tidak_diterapkan()
        'Baris tidak diterapkan: 2 (1 ditolak, 1 status kosong = belum diverifikasi)'
        """
        from targeting.format import angka

        belum = int((self.ditolak["kode"] == "belum_diverifikasi").sum())
        total = int(self.ledger.rows_rejected)
        return (f"Baris tidak diterapkan: {angka(total)} ({angka(total - belum)} ditolak, "
                f"{angka(belum)} status kosong = belum diverifikasi)")  # fmt: skip

    def ringkasan(self) -> pd.DataFrame:
        """Per-desa summary for the meeting record (berita acara).

        Returns
        -------
        pandas.DataFrame
            One row per desa used: ``kode_desa``, ``desa``, ``kecamatan``,
            ``jumlah_daftar``, ``diverifikasi``, ``persen_diverifikasi`` (0-100),
            ``layak``, ``tidak_layak`` (all other statuses), one column per non-eligible
            status, ``belum_diverifikasi``, ``ditolak`` (rows rejected), ``usulan_baru``,
            ``tanggal_musdes``, ``berkas``.
        """
        used = self.desa[self.desa["dipakai"]]
        rows = []
        for d in used.itertuples(index=False):
            app = self.diterapkan[self.diterapkan["kode_desa"] == d.kode_desa]
            counts = app["status_verifikasi"].value_counts()
            n = len(app)
            row = {"kode_desa": d.kode_desa, "desa": d.desa, "kecamatan": d.kecamatan,
                   "jumlah_daftar": d.jumlah_daftar, "diverifikasi": n,
                   "persen_diverifikasi": round(100 * n / d.jumlah_daftar, 1)
                   if d.jumlah_daftar else 0.0,
                   "layak": int(counts.get(STATUS_LAYAK, 0)),
                   "tidak_layak": int(n - counts.get(STATUS_LAYAK, 0))}  # fmt: skip
            for s in STATUS_VERIFIKASI[1:]:
                row[s.replace(" - ", "_").replace(" ", "_")] = int(counts.get(s, 0))
            row["belum_diverifikasi"] = max(d.jumlah_daftar - n, 0)
            mine = self.ditolak[(self.ditolak["berkas"] == d.berkas)
                                & (self.ditolak["lembar"] == d.lembar)]  # fmt: skip
            row["ditolak"] = int((mine["kode"] != "belum_diverifikasi").sum())
            row["usulan_baru"] = int((self.usulan["kode_desa"] == d.kode_desa).sum())
            row["tanggal_musdes"] = d.tanggal_musdes
            row["berkas"] = d.berkas
            rows.append(row)
        return pd.DataFrame(rows)


@dataclass
class _Lembar:
    """One desa sheet as read, before the files are weighed against each other."""

    berkas: str
    lembar: str
    urutan: int
    disimpan: str
    kode_desa: str
    kepala: dict[str, str]
    keluarga: list[dict[str, object]]
    usulan: list[dict[str, object]]
    disimpan_utc: str = ""

    @property
    def terisi(self) -> bool:
        """Whether the meeting wrote anything: a status, reason or note, or a proposal."""
        return bool(self.usulan) or any(
            str(row.get(c) or "").strip()
            for row in self.keluarga
            for c in ("status_verifikasi", "alasan", "catatan")
        )


def baca_verifikasi(
    berkas: Sequence[BerkasKembali],
    referensi: pd.DataFrame,
    kunci: bytes,
    zona: str = DEFAULT_ZONA_WAKTU,
    wilayah: Callable[[str], bool] | None = None,
) -> HasilVerifikasi:
    """Read returned verification workbooks; every filled row to exactly one place.

    Parameters
    ----------
    berkas : sequence of BerkasKembali
        The files, in the order given (the tie-break when two have the same saved date).
    referensi : pandas.DataFrame
        The P3KE families known to Lokus: ``id_keluarga_p3ke`` and ``kode_desa`` (e.g.
        ``Placement.keluarga``); an id not in it is ``id_tidak_dikenal``.
    kunci : bytes
        Key the workbooks were written with (:func:`kunci_verifikasi`).
    zona : str, default "Asia/Pontianak"
        The region's ``zona_waktu``: saved dates are written in it, with their offset.
    wilayah : callable, optional
        Tells whether a desa code is in the user's scope (e.g.
        :meth:`targeting.ruang_kerja.Cakupan.covers`); every row of a sheet of another desa is
        rejected with ``desa_di_luar_wilayah``. None: every desa.

    Returns
    -------
    HasilVerifikasi
        Applied rows, rejected rows (reason codes :data:`ALASAN`), proposals, the ledger.

    Raises
    ------
    InputSchemaError
        If a file cannot be read as a workbook (:func:`geo.sheets.grids_from_bytes`).
    VerifikasiError
        If a file holds no verification sheet of Lokus.

    Notes
    -----
    A row is filled when any of ``id_keluarga_p3ke``, ``status_verifikasi``, ``alasan``,
    ``catatan`` or ``kode_cek`` holds a value; blank rows are not rows. A deleted row leaves
    its family unverified (counted in ``belum_diverifikasi`` of :meth:`ringkasan`).
    """
    ref = referensi[["id_keluarga_p3ke", "kode_desa"]].dropna().astype(str)
    ref_desa = dict(zip(ref["id_keluarga_p3ke"].str.strip(), ref["kode_desa"], strict=True))
    balik = {kode_cek(i, d, kunci): (i, d) for i, d in ref_desa.items()}
    sheets: list[_Lembar] = []
    catatan: list[str] = []
    for urutan, b in enumerate(berkas):
        found = _baca_berkas(b, urutan, catatan, zona)
        if not found:
            msg = (
                f"{b.nama}: tidak ada lembar verifikasi musdes Lokus (baris 'Kode desa' dan "
                "judul kolom id_keluarga_p3ke / status_verifikasi). Unggah berkas yang diunduh "
                "dari 'Unduh lembar verifikasi musdes' dan diisi."
            )
            en = f"{b.nama}: no Lokus verification sheet (no 'Kode desa' row and table header)"
            raise VerifikasiError(msg, en=en)
        sheets += found
    winners = _pemenang(sheets, catatan)
    out = _Kumpulan()
    for s in sheets:
        if wilayah is not None and not wilayah(s.kode_desa):
            out.luar(s)
            continue
        later = winners[s.kode_desa]
        if later is not s:
            out.ganti(s, later)
            continue
        _nilai_lembar(s, ref_desa, balik, kunci, out)
    hasil = out.hasil(sheets, winners, catatan, ref_desa)
    if wilayah is not None:
        hasil.desa["dipakai"] &= hasil.desa["kode_desa"].map(wilayah).astype(bool)
    return hasil


class _Kumpulan:
    """Collects applied, rejected and proposed rows while sheets are judged."""

    def __init__(self) -> None:
        self.diterapkan: list[dict[str, object]] = []
        self.ditolak: list[dict[str, object]] = []
        self.usulan: list[dict[str, object]] = []
        self.rows_in = 0

    def tolak(self, s: _Lembar, row: dict[str, object], kode: str, kolom: str, nilai: object,
              asal: str = "") -> None:  # fmt: skip
        alasan = ALASAN[kode].format(asal=asal, pilihan=", ".join(STATUS_VERIFIKASI))
        self.ditolak.append({"berkas": s.berkas, "lembar": s.lembar, "baris": row["_baris"],
                             "kolom": kolom, "nilai": nilai, "kode": kode, "alasan": alasan})  # fmt: skip

    def luar(self, s: _Lembar) -> None:
        for row in [*s.keluarga, *s.usulan]:
            self.rows_in += 1
            self.tolak(s, row, "desa_di_luar_wilayah", "kode_desa", s.kode_desa, s.kode_desa)

    def ganti(self, s: _Lembar, later: _Lembar) -> None:
        where = f"{later.berkas} (lembar {later.lembar}, disimpan {later.disimpan or '?'})"
        for row in [*s.keluarga, *s.usulan]:
            self.rows_in += 1
            self.tolak(s, row, "diganti", "", row.get("id_keluarga_p3ke", ""), where)

    def hasil(self, sheets, winners, catatan, ref_desa) -> HasilVerifikasi:
        names = {"kode_desa", "desa", "id_keluarga_p3ke", "status_verifikasi", "status_ditulis",
                 "alasan", "catatan", "berkas", "lembar", "baris"}  # fmt: skip
        app = pd.DataFrame(self.diterapkan, columns=sorted(names))
        app = app[["kode_desa", "desa", "id_keluarga_p3ke", "status_verifikasi",
                   "status_ditulis", "alasan", "catatan", "berkas", "lembar", "baris"]]  # fmt: skip
        usul_cols = ["kode_desa", "desa", "nama_kepala_keluarga", "alamat", "dusun_rt_rw",
                     "alasan_usulan", "catatan", "berkas", "lembar", "baris"]  # fmt: skip
        usul = pd.DataFrame(self.usulan, columns=usul_cols)
        ditolak = rejections(self.ditolak, berkas="")
        ditolak = ditolak.sort_values(["berkas", "lembar", "baris"], kind="stable")
        nama = "; ".join(dict.fromkeys(s.berkas for s in sheets))
        ledger = Ledger(nama, self.rows_in, len(app) + len(usul), ditolak.reset_index(drop=True))
        desa = pd.DataFrame(
            [{"kode_desa": s.kode_desa, "desa": s.kepala.get("desa", ""),
              "kecamatan": s.kepala.get("kecamatan", ""),
              "jumlah_daftar": _int(s.kepala.get("jumlah keluarga dalam daftar")),
              "berkas": s.berkas, "lembar": s.lembar, "disimpan": s.disimpan,
              "tanggal_musdes": s.kepala.get("tanggal musyawarah desa", ""),
              "ketua": s.kepala.get("ketua musyawarah", ""),
              "jumlah_hadir": s.kepala.get("jumlah peserta hadir", ""),
              "dipakai": winners[s.kode_desa] is s} for s in sheets]
        )  # fmt: skip
        return HasilVerifikasi(app, ledger.ditolak, usul, ledger.check(), desa, catatan)


def _int(text: object) -> int:
    try:
        return int(float(str(text).replace(".", "").replace(",", ".")))
    except ValueError:
        return 0


def _nilai_lembar(s: _Lembar, ref_desa: dict, balik: dict, kunci: bytes, out: _Kumpulan) -> None:
    """Judge each family row and proposal of one (winning) desa sheet."""
    desa_name = s.kepala.get("desa", "")
    allowed = {fold(v): v for v in STATUS_VERIFIKASI}
    seen: set[str] = set()
    for row in s.keluarga:
        out.rows_in += 1
        kode, kolom, nilai, asal = _periksa_id(row, s.kode_desa, ref_desa, balik, kunci)
        if kode is None and str(row["id_keluarga_p3ke"]) in seen:
            kode, kolom, nilai = "id_ganda", "id_keluarga_p3ke", row["id_keluarga_p3ke"]
        if kode is None:
            typed = str(row.get("status_verifikasi") or "")
            status = allowed.get(fold(typed))
            if not typed.strip():
                kode, kolom, nilai = "belum_diverifikasi", "status_verifikasi", ""
            elif status is None:
                kode, kolom, nilai = "status_tidak_sah", "status_verifikasi", typed
        if kode is not None:
            out.tolak(s, row, kode, kolom, nilai, asal)
            continue
        seen.add(str(row["id_keluarga_p3ke"]))
        out.diterapkan.append({
            "kode_desa": s.kode_desa, "desa": desa_name,
            "id_keluarga_p3ke": row["id_keluarga_p3ke"], "status_verifikasi": status,
            "status_ditulis": typed if typed != status else "",
            "alasan": row.get("alasan") or "", "catatan": row.get("catatan") or "",
            "berkas": s.berkas, "lembar": s.lembar, "baris": row["_baris"],
        })  # fmt: skip
    for row in s.usulan:
        out.rows_in += 1
        missing = [c for c in ("nama_kepala_keluarga", "alamat", "alasan_usulan")
                   if not str(row.get(c) or "").strip()]  # fmt: skip
        if missing:
            out.tolak(s, row, "usulan_tidak_lengkap", "; ".join(missing), "", ", ".join(missing))
            continue
        out.usulan.append({**{k: row.get(k) or "" for k in ("nama_kepala_keluarga", "alamat",
                           "dusun_rt_rw", "alasan_usulan", "catatan")},
                           "kode_desa": s.kode_desa, "desa": desa_name, "berkas": s.berkas,
                           "lembar": s.lembar, "baris": row["_baris"]})  # fmt: skip


def _periksa_id(
    row: dict, desa: str, ref_desa: dict, balik: dict, kunci: bytes
) -> tuple[str | None, str, object, str]:
    """Check a row's id and check value: (reason code or None, column, value, origin)."""
    ident = str(row.get("id_keluarga_p3ke") or "").strip()
    cek = str(row.get("kode_cek") or "").strip().lower()
    if not ident:
        return "id_kosong", "id_keluarga_p3ke", "", ""
    if hmac.compare_digest(cek, kode_cek(ident, desa, kunci)):
        if ident not in ref_desa:
            return "id_tidak_dikenal", "id_keluarga_p3ke", ident, ""
        return None, "", "", ""
    origin = balik.get(cek)
    if origin is not None and origin[0] != ident:
        return "id_diubah", "id_keluarga_p3ke", ident, origin[0]
    if origin is not None and origin[1] != desa:
        return "desa_lain", "id_keluarga_p3ke", ident, origin[1]
    if ident not in ref_desa:
        return "id_tidak_dikenal", "id_keluarga_p3ke", ident, ""
    if ref_desa[ident] != desa:
        return "desa_lain", "id_keluarga_p3ke", ident, ref_desa[ident]
    return "kode_cek_salah", "kode_cek", cek, ""


def _pemenang(sheets: list[_Lembar], catatan: list[str]) -> dict[str, _Lembar]:
    """Per desa the sheet that counts.

    A filled sheet before an untouched one (the combined workbook returned by another desa
    holds this desa's sheet as exported), then the latest saved date, then the last file given.
    """
    winners: dict[str, _Lembar] = {}
    for s in sorted(sheets, key=lambda s: (s.terisi, s.disimpan_utc, s.urutan)):
        if s.kode_desa in winners:
            old = winners[s.kode_desa]
            kosong = " (lembarnya belum diisi)" if not old.terisi and s.terisi else ""
            catatan.append(
                f"desa {s.kode_desa} dikembalikan dua kali: {s.berkas} (disimpan "
                f"{s.disimpan or '?'}) dipakai, {old.berkas} (disimpan {old.disimpan or '?'})"
                f"{kosong} diganti; barisnya tercantum di daftar ditolak"
            )
        winners[s.kode_desa] = s
    return winners


def _disimpan(data: bytes, zona: str = DEFAULT_ZONA_WAKTU) -> tuple[str, str]:
    """Return the workbook's saved date (``dcterms:modified``): (UTC sort key, local stamp)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            root = ET.fromstring(zf.read("docProps/core.xml"))
    except (KeyError, zipfile.BadZipFile, ET.ParseError):
        return "", ""
    node = root.find("{http://purl.org/dc/terms/}modified")
    text = (node.text or "").strip() if node is not None else ""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return "", ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), stempel(moment, zona)


def _baca_berkas(b: BerkasKembali, urutan: int, catatan: list[str], zona: str) -> list[_Lembar]:
    """Every desa sheet of one file (other sheets noted)."""
    grids = grids_from_bytes(b.data, label=b.nama)
    saved = _disimpan(b.data, zona)
    found = []
    for name, grid in grids.items():
        sheet = _baca_lembar(grid, b.nama, name, urutan, saved)
        if sheet is None:
            catatan.append(f"{b.nama}: lembar {name!r} bukan lembar verifikasi; tidak dibaca")
        else:
            found.append(sheet)
    return found


def _baca_lembar(
    grid: Grid, berkas: str, lembar: str, urutan: int, saved: tuple[str, str]
) -> _Lembar | None:
    """Heading, family rows and proposals of one sheet; None when it is not a desa sheet."""
    rows = grid.rows
    kepala: dict[str, str] = {}
    header = None
    for r, row in enumerate(rows):
        first = fold(row[0] if row else "")
        if header is None and first and len(row) > 2 and r < 20:
            kepala.setdefault(first, (row[2] or "").strip())
        names = [fold(c) for c in row]
        if "id_keluarga_p3ke" in names and "status_verifikasi" in names:
            header = r
            break
    if header is None or not kepala.get("kode desa"):
        return None
    names = [fold(c) for c in rows[header]]
    keluarga, end = _baris_tabel(rows, header, names, stop=fold(_PENANDA_USULAN))
    usulan: list[dict[str, object]] = []
    for r in range(end, len(rows)):
        if any(fold(c) == fold(USULAN_KOLOM[1]) for c in rows[r]):
            unames = [fold(c).rstrip(" *") for c in rows[r]]
            usulan, _ = _baris_tabel(rows, r, unames, stop=fold(_PENANDA_SAH), skip=("no",))
            break
    return _Lembar(berkas, lembar, urutan, saved[1], kepala["kode desa"], kepala, keluarga, usulan,
                   saved[0])  # fmt: skip


def _baris_tabel(
    rows: list[list[str | None]], header: int, names: list[str], *, stop: str,
    skip: tuple[str, ...] = ("no", "desil"),
) -> tuple[list[dict[str, object]], int]:  # fmt: skip
    """Collect the filled rows below a header until a row starting with ``stop``; (rows, end row)."""
    found = []
    r = header + 1
    while r < len(rows):
        row = rows[r]
        if fold(row[0] if row else "").startswith(stop):
            break
        values = {n: (row[c] or "").strip() if c < len(row) and row[c] else ""
                  for c, n in enumerate(names) if n}  # fmt: skip
        for n in _BEBAS.intersection(values):
            values[n] = mask_ids(str(values[n]))  # a NIK typed in a remark (UU 27/2022)
        if any(v for n, v in values.items() if n not in skip and n in _FILLED):
            values["_baris"] = r + 1
            found.append(values)
        r += 1
    return found, r


_BEBAS = frozenset({"alasan", "catatan", "alamat", "dusun_rt_rw", "alasan_usulan"})
"""Free-text columns of a returned sheet: long digit runs (a NIK, a No KK) are masked on reading."""

_FILLED = frozenset({"id_keluarga_p3ke", "status_verifikasi", "alasan", "catatan", "kode_cek",
                     "nama_kepala_keluarga", "alamat", "dusun_rt_rw", "alasan_usulan"})  # fmt: skip


# --------------------------------------------------------------------------- applying


def terapkan_verifikasi(
    keluarga: pd.DataFrame, hasil: HasilVerifikasi
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Apply verified statuses to a target list.

    Parameters
    ----------
    keluarga : pandas.DataFrame
        ``TargetList.keluarga`` (needs ``id_keluarga_p3ke``).
    hasil : HasilVerifikasi
        :func:`baca_verifikasi`.

    Returns
    -------
    tetap : pandas.DataFrame
        Families kept: the list with ``status_verifikasi`` (``layak`` or
        ``belum diverifikasi``) and ``alasan_verifikasi``; ``no`` renumbered.
    keluar : pandas.DataFrame
        Families verified not eligible (any status but ``layak``), with
        ``status_verifikasi`` and ``alasan_verifikasi`` (status, then the meeting's reason).
    """
    app = hasil.diterapkan.drop_duplicates("id_keluarga_p3ke", keep="last")
    app = app.set_index("id_keluarga_p3ke")
    ids = keluarga["id_keluarga_p3ke"].astype(str).str.strip()
    status = ids.map(app["status_verifikasi"]).fillna("belum diverifikasi")
    alasan = ids.map(app["alasan"]).fillna("")
    out = keluarga.drop(columns=["hasil_verifikasi_musdes", "catatan_verifikasi"],
                        errors="ignore").copy()  # fmt: skip
    out["status_verifikasi"] = status.to_numpy()
    out["alasan_verifikasi"] = [
        f"{s}: {a}" if a else s for s, a in zip(status, alasan, strict=True)
    ]
    drop = ~out["status_verifikasi"].isin([STATUS_LAYAK, "belum diverifikasi"])
    tetap = out[~drop].reset_index(drop=True)
    if "no" in tetap.columns:
        tetap["no"] = range(1, len(tetap) + 1)
    return tetap, out[drop].reset_index(drop=True)


def progres_desa(hasil: HasilVerifikasi) -> pd.DataFrame:
    """Verification progress per desa, for the map.

    Parameters
    ----------
    hasil : HasilVerifikasi
        :func:`baca_verifikasi`.

    Returns
    -------
    pandas.DataFrame
        ``kode_desa``, ``persen_diverifikasi`` (0-100), ``diverifikasi``, ``jumlah_daftar``,
        ``layak``, ``tidak_layak``, ``usulan_baru``.
    """
    cols = ["kode_desa", "persen_diverifikasi", "diverifikasi", "jumlah_daftar", "layak",
            "tidak_layak", "usulan_baru"]  # fmt: skip
    summary = hasil.ringkasan()
    return summary[cols] if len(summary) else pd.DataFrame(columns=cols)


def tidak_layak(hasil: HasilVerifikasi) -> set[str]:
    """Return the ids of families verified not eligible (any status but ``layak``).

    Parameters
    ----------
    hasil : HasilVerifikasi
        :func:`baca_verifikasi`.

    Returns
    -------
    set of str
    """
    app = hasil.diterapkan
    return set(app.loc[app["status_verifikasi"] != STATUS_LAYAK, "id_keluarga_p3ke"].astype(str))


def snapshot_terverifikasi(snapshot: Snapshot, hasil: HasilVerifikasi) -> Snapshot:
    """Return the snapshot with its desa indicators recounted without the families verified out.

    Parameters
    ----------
    snapshot : Snapshot
        :func:`targeting.snapshot.load_snapshot`.
    hasil : HasilVerifikasi
        :func:`baca_verifikasi`.

    Returns
    -------
    Snapshot
        Same import (placement, ledger and provenance unchanged: every row was read and
        placed); ``indikator`` recomputed by :func:`targeting.indicators.desa_indicators`
        from the families not verified ``tidak layak`` (or dead, moved, not found, duplicate),
        so the priority ranking of :func:`targeting.pipeline.analyse` uses verified statuses.
    """
    from dataclasses import replace

    from targeting.indicators import desa_indicators

    out = tidak_layak(hasil)
    if not out:
        return snapshot
    fam = snapshot.placement.keluarga
    keep = ~fam["id_keluarga_p3ke"].astype(str).str.strip().isin(out)
    indikator = desa_indicators(
        fam[keep], snapshot.desa, snapshot.keluarga_desa, desil_max=snapshot.check.desil_max
    )
    return replace(snapshot, indikator=indikator)


def kepala_dari(result: Analysis, *, data_pribadi: bool = False) -> KepalaLembar:
    """Build the heading block from an analysis (district name, data date, synthetic mark).

    Parameters
    ----------
    result : Analysis
        :func:`targeting.pipeline.analyse`.
    data_pribadi : bool, default False
        Personal data shown (the title says so).

    Returns
    -------
    KepalaLembar
        Synthetic when the household file is, by its provenance.
    """
    households = result.provenance.input("keluarga_p3ke")
    return KepalaLembar(
        kabupaten=result.region.nama,
        tanggal_data=result.provenance.tanggal_data or "",
        sintetis=bool(households and households.sintetis),
        data_pribadi=data_pribadi,
    )


def lampiran_xlsx(hasil: HasilVerifikasi) -> bytes:
    """Write the verification result as a workbook to attach to the meeting record.

    Parameters
    ----------
    hasil : HasilVerifikasi
        :func:`baca_verifikasi`.

    Returns
    -------
    bytes
        ``.xlsx`` with sheets ``ringkasan_verifikasi`` (per desa), ``diterapkan``,
        ``ditolak`` (file, sheet, row, column, value, reason) and ``usulan_baru`` (names as
        initials, no address: :meth:`HasilVerifikasi.usulan_tersamar`); formula-safe
        (:func:`targeting.export.to_xlsx_bytes`).
    """
    from targeting.export import to_xlsx_bytes

    return to_xlsx_bytes({
        "ringkasan_verifikasi": hasil.ringkasan(),
        "diterapkan": hasil.diterapkan,
        "ditolak": hasil.ditolak,
        "usulan_baru": hasil.usulan_tersamar(),
    })  # fmt: skip


def peta_verifikasi(result: Analysis, hasil: HasilVerifikasi, **options: Any) -> MapSpec:
    """Describe the verification-progress map: every desa, zoomed to the desa returned.

    Parameters
    ----------
    result : Analysis
        :func:`targeting.pipeline.analyse` (desa, indicators, display outlines).
    hasil : HasilVerifikasi
        :func:`baca_verifikasi`.
    **options
        Further :class:`targeting.mapspec.MapSettings` fields (height, asset_base ...).

    Returns
    -------
    MapSpec
        The desil-1 choropleth with only the layer
        :data:`targeting.mapspec.LAPISAN_VERIFIKASI` (outline colour = share verified), its
        bounds those of the desa returned (EPSG:4326).
    """
    from dataclasses import replace

    from geo.crs import to_display
    from targeting.mapspec import LAPISAN_VERIFIKASI, MapData, MapSettings, map_spec

    progres = progres_desa(hasil)
    data = replace(MapData.from_result(result), klaster=None, lokus=None, verifikasi=progres)
    spec = map_spec(data, MapSettings(lapisan=[LAPISAN_VERIFIKASI], **options))
    shown = result.indikator[result.indikator["kode_desa"].isin(set(progres["kode_desa"]))]
    if not len(shown):
        return spec
    minx, miny, maxx, maxy = (float(x) for x in to_display(shown).total_bounds)
    pad_x, pad_y = max((maxx - minx) * 0.3, 0.02), max((maxy - miny) * 0.3, 0.02)
    return replace(spec, bounds=(minx - pad_x, miny - pad_y, maxx + pad_x, maxy + pad_y))


def terapkan_ke_daftar(
    sasaran: TargetList, hasil: HasilVerifikasi
) -> tuple[TargetList, pd.DataFrame]:
    """Apply verified statuses to a whole target list (families, counts per strategy).

    Parameters
    ----------
    sasaran : TargetList
        :func:`targeting.targets.target_families`.
    hasil : HasilVerifikasi
        :func:`baca_verifikasi`.

    Returns
    -------
    tetap : TargetList
        A new list: :func:`terapkan_verifikasi`'s kept families, ``per_strategi`` recounted
        from them, ``parameter["verifikasi_musdes"]`` naming the files applied.
    keluar : pandas.DataFrame
        Families verified not eligible, with their status and reason.
    """
    from dataclasses import replace

    tetap, keluar = terapkan_verifikasi(sasaran.keluarga, hasil)
    per_s = {
        s: int(tetap["strategi_usulan"].astype(str).str.split("; ").map(lambda x, s=s: str(s) in x).sum())
        for s in sasaran.per_strategi
    } if "strategi_usulan" in tetap.columns else dict(sasaran.per_strategi)  # fmt: skip
    files = sorted(set(hasil.desa.loc[hasil.desa["dipakai"], "berkas"]))
    parameter = {**sasaran.parameter, "verifikasi_musdes": files}
    return replace(sasaran, keluarga=tetap, per_strategi=per_s, parameter=parameter), keluar


def analisis_terverifikasi(result: Analysis, hasil: HasilVerifikasi) -> Analysis:
    """Return the analysis whose priority ranking uses the verified statuses.

    Parameters
    ----------
    result : Analysis
        :func:`targeting.pipeline.analyse`.
    hasil : HasilVerifikasi
        :func:`baca_verifikasi`.

    Returns
    -------
    Analysis
        The same analysis on :func:`snapshot_terverifikasi` (desa indicators recounted without
        the families verified out), so :meth:`Analysis.peringkat` ranks on them. The poverty
        pockets and the register's match analysis are kept as computed on the import: the
        meeting verifies the list, not the household clusters.
    """
    from dataclasses import replace

    return replace(result, snapshot=snapshot_terverifikasi(result.snapshot, hasil))
