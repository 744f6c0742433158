"""Village-meeting verification out and back in (issue 17), filled as desa operators do.

Every household record here is SYNTHETIC (built in code).
"""

from __future__ import annotations

import io
import re
import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook

from geo.errors import VerifikasiError
from targeting.targets import target_families
from targeting.verifikasi import (
    STATUS_VERIFIKASI,
    BerkasKembali,
    KepalaLembar,
    baca_verifikasi,
    kode_cek,
    kunci_verifikasi,
    lembar_verifikasi,
    nama_lembar,
    progres_desa,
    terapkan_verifikasi,
    zip_per_desa,
)

KUNCI = b"kunci-uji-SINTETIS"
A, B = "61.11.01.2001", "61.11.01.2002"


def _keluarga() -> pd.DataFrame:
    rows = []
    for kode, prefix, n in ((A, "A", 6), (B, "B", 4)):
        for i in range(1, n + 1):
            rows.append({
                "kode_desa": kode, "desil": 1, "_baris": len(rows) + 2,
                "id_keluarga_p3ke": f"P3KE-{prefix}{i}", "kepala_keluarga": f"Warga {prefix} {i}",
                "nik": f"61110{len(rows):011d}", "no_kk": f"61119{len(rows):011d}",
                "dusun": "=1+1" if i == 1 else "Dusun I",
            })  # fmt: skip
    return pd.DataFrame(rows)


DESA = pd.DataFrame(
    {"kode_desa": [A, B], "desa": ["Sutera", "Pangkalan Buton"], "kecamatan": ["Sukadana"] * 2}
)


@pytest.fixture(scope="module")
def sasaran() -> pd.DataFrame:
    return target_families(_keluarga(), DESA, [A, B]).keluarga


@pytest.fixture(scope="module")
def workbook(sasaran: pd.DataFrame) -> bytes:
    return lembar_verifikasi(sasaran, KepalaLembar("Kayong Utara", "2026-01-01", True), KUNCI)


def _find(ws, text: str) -> int:
    for row in ws.iter_rows():
        for cell in row:
            if cell.value == text:
                return cell.row
    raise AssertionError(text)


def _col(ws, header_row: int, name: str) -> int:
    return next(c.column for c in ws[header_row] if c.value == name)


def _saved(data: bytes, when: str) -> bytes:
    """Set the workbook's saved date (``dcterms:modified``) as Excel would on saving."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>" + when.encode() + rb"\2",
                    content,
                )  # fmt: skip
            dst.writestr(item, content)
    return out.getvalue()


def test_workbook_layout(workbook: bytes) -> None:
    wb = load_workbook(io.BytesIO(workbook))
    assert wb.sheetnames == [f"Sutera {A}", f"Pangkalan Buton {B}"]
    ws = wb.worksheets[0]
    header = _find(ws, "status_verifikasi")
    assert ws.protection.sheet
    assert not ws.protection.password
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9
    assert ws.print_title_rows == f"${header}:${header}"
    cek = _col(ws, header, "kode_cek")
    letter = ws.cell(header, cek).column_letter
    assert ws.column_dimensions[letter].hidden
    ident = _col(ws, header, "id_keluarga_p3ke")
    status = _col(ws, header, "status_verifikasi")
    first = header + 1
    assert ws.cell(first, ident).protection.locked
    assert not ws.cell(first, status).protection.locked
    assert ws.cell(first, cek).value == kode_cek(ws.cell(first, ident).value, A, KUNCI)
    (dv,) = ws.data_validations.dataValidation
    assert dv.formula1 == '"' + ",".join(STATUS_VERIFIKASI) + '"'
    # masked by default, and formula-safe
    nik = ws.cell(first, _col(ws, header, "nik")).value
    assert "*" in nik
    dusun = [ws.cell(r, _col(ws, header, "dusun")).value for r in range(first, first + 5)]
    assert "'=1+1" in dusun


def test_sheet_names_fit_excel() -> None:
    name = nama_lembar("Desa: [Baru]/Jaya Makmur Sentosa Raya", "61.11.04.2001")
    assert len(name) <= 31
    assert not set("[]:*?/\\") & set(name)
    assert nama_lembar("Sutera", A, [f"Sutera {A}"]) != f"Sutera {A}"


def _fill_a(ws) -> tuple[int, int, int, int]:
    """Desa A as its operator returns it: statuses, a blank, an edited id, a deleted row,
    two added rows, a row pasted from desa B's sheet, a status typed by hand."""
    header = _find(ws, "status_verifikasi")
    ident, status = _col(ws, header, "id_keluarga_p3ke"), _col(ws, header, "status_verifikasi")
    alasan, cek = _col(ws, header, "alasan"), _col(ws, header, "kode_cek")
    by_id = {ws.cell(r, ident).value: r for r in range(header + 1, header + 7)}
    ws.cell(by_id["P3KE-A1"], status, "layak")
    ws.cell(by_id["P3KE-A2"], status, "tidak layak - sudah mampu")
    ws.cell(by_id["P3KE-A2"], alasan, "punya kebun sawit 5 ha")
    # A3 left blank: not yet verified
    ws.cell(by_id["P3KE-A4"], ident, "P3KE-A9")  # id typed over
    ws.cell(by_id["P3KE-A4"], status, "layak")
    ws.cell(by_id["P3KE-A5"], status, "  Meninggal ")  # typed by hand
    return header, ident, status, cek


def _returned(workbook: bytes) -> tuple[bytes, bytes]:
    wb = load_workbook(io.BytesIO(workbook))
    ws_a, ws_b = wb.worksheets
    header, ident, status, _cek = _fill_a(ws_a)
    # a row of desa B copied into desa A's sheet (with its check value)
    hb = _find(ws_b, "status_verifikasi")
    pasted = [c.value for c in ws_b[hb + 1]]
    # desa B: statuses, one typed in capitals, one not in the list, one blank
    ws_b.cell(hb + 1, status, "layak")
    ws_b.cell(hb + 2, status, "MENINGGAL")
    ws_b.cell(hb + 3, status, "sudah mampu")
    usul = _find(ws_b, "nama_kepala_keluarga *")
    for c, v in enumerate(["1", "Siti SINTETIS", "RT 02 Dusun II", "", "janda lansia"], start=1):
        ws_b.cell(usul + 1, c, v)
    for c, v in enumerate(["2", "Budi SINTETIS", "", "", "tidak punya pekerjaan"], start=1):
        ws_b.cell(usul + 2, c, v)
    # desa A: the last family's row deleted; three rows added below the list
    ws_a.delete_rows(header + 6)
    end = header + 6
    ws_a.insert_rows(end, 3)
    ws_a.cell(end, ident, "P3KE-A6")  # known id of A, typed in by hand: no check value
    ws_a.cell(end, status, "layak")
    ws_a.cell(end + 1, ident, "P3KE-X7")  # a family Lokus does not know
    ws_a.cell(end + 1, status, "layak")
    for c, v in enumerate(pasted, start=1):
        ws_a.cell(end + 2, c, v)
    ws_a.cell(end + 2, status, "layak")
    whole = io.BytesIO()
    wb.save(whole)
    # desa B returned again later, in its own file: the last family now verified
    again = load_workbook(io.BytesIO(whole.getvalue()))
    del again[again.sheetnames[0]]
    ws = again.worksheets[0]
    ws.cell(hb + 4, status, "pindah")
    ws.cell(hb + 4, _col(ws, hb, "alasan"), "ke Ketapang")
    later = io.BytesIO()
    again.save(later)
    return whole.getvalue(), later.getvalue()


@pytest.fixture(scope="module")
def hasil(workbook: bytes, sasaran: pd.DataFrame):
    whole, later = _returned(workbook)
    files = [
        BerkasKembali("desa_B_ulang.xlsx", _saved(later, "2026-03-12T09:00:00Z")),
        BerkasKembali("musdes_semua.xlsx", _saved(whole, "2026-03-10T09:00:00Z")),
    ]
    return baca_verifikasi(files, _keluarga(), KUNCI)


def test_every_row_in_exactly_one_place(hasil) -> None:
    led = hasil.ledger
    assert led.rows_in == led.rows_used + led.rows_rejected
    got = {(r.berkas, r.baris, r.kode) for r in led.ditolak.itertuples()}
    a = "musdes_semua.xlsx"
    codes_a = sorted(k for b, _, k in got if b == a and k != "diganti")
    assert codes_a == sorted(["belum_diverifikasi", "id_diubah", "kode_cek_salah",
                              "id_tidak_dikenal", "desa_lain"])  # fmt: skip
    applied = hasil.diterapkan.set_index("id_keluarga_p3ke")
    assert applied.loc["P3KE-A1", "status_verifikasi"] == "layak"
    assert applied.loc["P3KE-A2", "status_verifikasi"] == "tidak layak - sudah mampu"
    assert applied.loc["P3KE-A5", "status_verifikasi"] == "meninggal"
    assert applied.loc["P3KE-A5", "status_ditulis"] == "Meninggal"
    assert "P3KE-A4" not in applied.index
    assert "P3KE-A9" not in applied.index
    row = led.ditolak[led.ditolak["kode"] == "id_diubah"].iloc[0]
    assert row["nilai"] == "P3KE-A9"
    assert "P3KE-A4" in row["alasan"]
    pasted = led.ditolak[led.ditolak["kode"] == "desa_lain"].iloc[0]
    assert pasted["nilai"] == "P3KE-B1"
    assert B in pasted["alasan"]


def test_later_file_wins_and_earlier_is_listed(hasil) -> None:
    b_rows = hasil.diterapkan[hasil.diterapkan["kode_desa"] == B]
    assert set(b_rows["berkas"]) == {"desa_B_ulang.xlsx"}
    assert b_rows.set_index("id_keluarga_p3ke").loc["P3KE-B4", "status_verifikasi"] == "pindah"
    replaced = hasil.ledger.ditolak[hasil.ledger.ditolak["kode"] == "diganti"]
    # desa B of the earlier file: 4 family rows and 2 proposals, all listed as replaced
    assert len(replaced) == 6
    assert set(replaced["berkas"]) == {"musdes_semua.xlsx"}
    assert any("dikembalikan dua kali" in c for c in hasil.catatan)
    # the later file's B sheet: 'sudah mampu' is not a listed status; a proposal lacks alamat
    later = hasil.ledger.ditolak[hasil.ledger.ditolak["berkas"] == "desa_B_ulang.xlsx"]
    assert list(later["kode"]) == ["status_tidak_sah", "usulan_tidak_lengkap"]
    assert later["nilai"].iloc[0] == "sudah mampu"
    assert list(hasil.usulan["nama_kepala_keluarga"]) == ["Siti SINTETIS"]


def test_same_date_later_given_wins(workbook: bytes) -> None:
    whole, later = _returned(workbook)
    same = "2026-03-10T09:00:00Z"
    files = [BerkasKembali("ulang.xlsx", _saved(later, same)),
             BerkasKembali("semua.xlsx", _saved(whole, same))]  # fmt: skip
    got = baca_verifikasi(files, _keluarga(), KUNCI)
    b_rows = got.diterapkan[got.diterapkan["kode_desa"] == B]
    assert set(b_rows["berkas"]) == {"semua.xlsx"}
    proposals = got.usulan
    assert list(proposals["nama_kepala_keluarga"]) == ["Siti SINTETIS"]
    assert "usulan_tidak_lengkap" in set(got.ledger.ditolak["kode"])
    assert got.usulan_tersamar()["nama_kepala_keluarga"].tolist() == ["S. S."]


def test_summary_apply_and_progress(hasil, sasaran: pd.DataFrame) -> None:
    summary = hasil.ringkasan().set_index("kode_desa")
    assert summary.loc[A, "jumlah_daftar"] == 6
    assert summary.loc[A, "diverifikasi"] == 3  # A1, A2, A5
    assert summary.loc[A, "belum_diverifikasi"] == 3
    assert summary.loc[A, "tidak_layak"] == 2
    assert summary.loc[A, "meninggal"] == 1
    assert summary.loc[B, "diverifikasi"] == 3  # B1, B2 (capitals), B4
    assert summary.loc[B, "usulan_baru"] == 1
    tetap, keluar = terapkan_verifikasi(sasaran, hasil)
    assert set(keluar["id_keluarga_p3ke"]) == {"P3KE-A2", "P3KE-A5", "P3KE-B2", "P3KE-B4"}
    assert (
        "punya kebun sawit"
        in keluar.set_index("id_keluarga_p3ke").loc["P3KE-A2", "alasan_verifikasi"]
    )
    marks = tetap.set_index("id_keluarga_p3ke")["status_verifikasi"]
    assert marks["P3KE-A1"] == "layak"
    assert marks["P3KE-A3"] == "belum diverifikasi"
    assert marks["P3KE-B3"] == "belum diverifikasi"  # its status was not in the list
    assert list(tetap["no"]) == list(range(1, len(tetap) + 1))
    prog = progres_desa(hasil).set_index("kode_desa")
    assert prog.loc[A, "persen_diverifikasi"] == 50.0


def test_wrong_key_rejects_everything(workbook: bytes) -> None:
    got = baca_verifikasi([BerkasKembali("x.xlsx", workbook)], _keluarga(), b"other")
    assert got.ledger.rows_used == 0
    assert set(got.ledger.ditolak["kode"]) == {"kode_cek_salah"}


def test_not_a_verification_file() -> None:
    data = io.BytesIO()
    pd.DataFrame({"a": [1]}).to_excel(data, index=False)
    with pytest.raises(VerifikasiError, match="tidak ada lembar verifikasi"):
        baca_verifikasi([BerkasKembali("lain.xlsx", data.getvalue())], _keluarga(), KUNCI)


def test_zip_one_file_per_desa(sasaran: pd.DataFrame) -> None:
    data = zip_per_desa(sasaran, KepalaLembar("Kayong Utara"), KUNCI)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names == [f"verifikasi_{A}_Sutera.xlsx", f"verifikasi_{B}_Pangkalan_Buton.xlsx"]


def test_key_survives_restart(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("LOKUS_KUNCI_VERIFIKASI", raising=False)
    first = kunci_verifikasi(tmp_path)
    assert kunci_verifikasi(tmp_path) == first
    assert len(first) == 64
    assert (tmp_path / "kunci_verifikasi").stat().st_mode & 0o077 == 0
    monkeypatch.setenv("LOKUS_KUNCI_VERIFIKASI", "dari-env")
    assert kunci_verifikasi(tmp_path) == b"dari-env"


def test_map_layer_of_progress(hasil, embedded) -> None:
    from dataclasses import replace

    from targeting.maps import render
    from targeting.mapspec import LAPISAN_VERIFIKASI, MapData, map_spec

    data = replace(MapData.from_result(embedded), verifikasi=progres_desa(hasil))
    spec = map_spec(data)
    layer = spec.layer(LAPISAN_VERIFIKASI)
    assert set(layer.styles) == {A, B}
    # A: 3 of 6 verified (50%), B: 3 of 4 (75%): both in the 50-99% class
    (entry,) = layer.legend
    assert entry.count == 2
    assert "50-99%" in entry.label
    html = render(spec).get_root().render()
    assert LAPISAN_VERIFIKASI in html
    assert map_spec(MapData.from_result(embedded)).available.get(LAPISAN_VERIFIKASI) is None


def test_apply_to_a_whole_target_list(hasil) -> None:
    from targeting.verifikasi import terapkan_ke_daftar

    rows = _keluarga().assign(jenis_lantai=["Tanah"] * 3 + ["Keramik"] * 7)  # A1-A3: strategy 3
    sasaran = target_families(rows, DESA, [A, B])
    assert sasaran.per_strategi[3] == 3
    tetap, keluar = terapkan_ke_daftar(sasaran, hasil)
    assert tetap.per_strategi[3] == 2  # A2 verified 'tidak layak - sudah mampu'
    assert len(tetap.keluarga) == len(sasaran.keluarga) - len(keluar)
    assert tetap.parameter["verifikasi_musdes"] == ["desa_B_ulang.xlsx", "musdes_semua.xlsx"]
    assert sasaran.per_strategi[3] == 3  # the input list is not changed


def test_ranking_counts_only_families_not_verified_out(embedded) -> None:
    from geo.ledger import Ledger
    from targeting.verifikasi import HasilVerifikasi, analisis_terverifikasi

    fam = embedded.placement.keluarga
    desa = embedded.prioritas.tabel.sort_values("peringkat")["kode_desa"].iloc[0]
    out = fam[(fam["kode_desa"] == desa) & (fam["desil"] == 1)]["id_keluarga_p3ke"].head(3)
    applied = pd.DataFrame({
        "id_keluarga_p3ke": list(out), "kode_desa": desa,
        "status_verifikasi": ["tidak layak - sudah mampu", "meninggal", "layak"],
    })  # fmt: skip
    hasil = HasilVerifikasi(applied, pd.DataFrame(), pd.DataFrame(), Ledger("x", 3, 3),
                            pd.DataFrame())  # fmt: skip
    verified = analisis_terverifikasi(embedded, hasil)
    before = embedded.indikator.set_index("kode_desa").loc[desa, "keluarga_desil_1"]
    after = verified.indikator.set_index("kode_desa").loc[desa, "keluarga_desil_1"]
    assert after == before - 2  # the 'layak' family stays
    ranked = verified.peringkat().tabel.set_index("kode_desa")
    assert ranked.loc[desa, "nilai_keluarga_desil_1"] == before - 2
    assert verified.placement is embedded.placement  # every row still read and placed
