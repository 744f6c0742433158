"""Fresh-user findings on the verification round trip (issue 17, second pass).

Every person is invented (``Warga A 1``, NIK ``61110...``).
"""

from __future__ import annotations

import io

from openpyxl import load_workbook

from targeting.verifikasi import BerkasKembali, baca_verifikasi
from tests.test_verifikasi import KUNCI, A, B, _col, _find, _keluarga, _saved, sasaran, workbook  # noqa: F401  (fixtures)

NIK = "6111015505500001"


def _filled(data: bytes, desa_index: int, status: str, alasan: str = "") -> bytes:
    """The whole workbook with only one desa's sheet filled (the others left untouched)."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb.worksheets[desa_index]
    header = _find(ws, "status_verifikasi")
    st, al = _col(ws, header, "status_verifikasi"), _col(ws, header, "alasan")
    r = header + 1
    while ws.cell(r, _col(ws, header, "id_keluarga_p3ke")).value:
        ws.cell(r, st, status)
        if alasan:
            ws.cell(r, al, alasan)
        r += 1
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_untouched_sheet_of_a_later_file_does_not_wipe_a_filled_one(workbook: bytes) -> None:  # noqa: F811
    """Both desa get the combined workbook; each fills its own sheet and returns the whole file.

    The later file's sheet of the *other* desa is untouched (no status, no proposal): it must not
    replace that desa's filled sheet of the earlier file.
    """
    from_a = _saved(_filled(workbook, 0, "layak"), "2026-03-10T09:00:00Z")
    from_b = _saved(_filled(workbook, 1, "pindah"), "2026-03-11T09:00:00Z")
    got = baca_verifikasi(
        [BerkasKembali("dari_A.xlsx", from_a), BerkasKembali("dari_B.xlsx", from_b)],
        _keluarga(), KUNCI,
    )  # fmt: skip
    per = got.diterapkan.groupby("kode_desa")["berkas"].agg(set).to_dict()
    assert per == {A: {"dari_A.xlsx"}, B: {"dari_B.xlsx"}}
    assert len(got.diterapkan) == 10
    led = got.ledger
    assert led.rows_in == led.rows_used + led.rows_rejected
    # a filled sheet returned again later still replaces the earlier one
    again = _saved(_filled(workbook, 0, "meninggal"), "2026-03-12T09:00:00Z")
    got = baca_verifikasi(
        [BerkasKembali("dari_A.xlsx", from_a), BerkasKembali("A_ulang.xlsx", again)],
        _keluarga(), KUNCI,
    )  # fmt: skip
    a_rows = got.diterapkan[got.diterapkan["kode_desa"] == A]
    assert set(a_rows["status_verifikasi"]) == {"meninggal"}


def test_nik_typed_in_free_text_is_masked(workbook: bytes) -> None:  # noqa: F811
    """A NIK typed in alasan / catatan / a proposal's reason never leaves Lokus unmasked."""
    wb = load_workbook(io.BytesIO(_filled(workbook, 0, "tidak layak - sudah mampu",
                                          f"sudah mampu, NIK {NIK}")))  # fmt: skip
    ws = wb.worksheets[0]
    usul = _find(ws, "nama_kepala_keluarga *")
    for c, v in enumerate(["1", "Siti SINTETIS", "RT 02", f"KK {NIK}", f"janda, NIK {NIK}",
                           f"catatan {NIK}"], start=1):  # fmt: skip
        ws.cell(usul + 1, c, v)
    out = io.BytesIO()
    wb.save(out)
    got = baca_verifikasi([BerkasKembali("a.xlsx", out.getvalue())], _keluarga(), KUNCI)
    text = got.diterapkan.to_csv() + got.usulan_tersamar().to_csv() + got.ledger.ditolak.to_csv()
    assert NIK not in text
    assert "6111********0001" in text


def test_verifikasi_keluar_accounts_for_every_household_row(tmp_path, monkeypatch, capsys) -> None:
    """Rows of the household file that cannot be used are listed, as ``run`` lists them."""
    import pandas as pd

    from targeting.cli import main

    monkeypatch.setenv("LOKUS_KUNCI_VERIFIKASI", "kunci-uji-cli")
    src = pd.read_csv("data/kayong_utara/p3ke_keluarga_SINTETIS.csv.gz", dtype=str)
    rows = src[src["kode_kemdagri"] == "6111012001"].head(30).copy()
    rows.iloc[0, rows.columns.get_loc("desil_kesejahteraan")] = "satu"
    rows.iloc[1, rows.columns.get_loc("desil_kesejahteraan")] = "11"
    path = tmp_path / "p3ke.csv"
    rows.to_csv(path, sep=";", index=False)
    out = tmp_path / "k"
    assert main(["verifikasi-keluar", "--households", str(path), "--desa", A,
                 "--out", str(out)]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "30 rows read: 28 used, 2 rejected" in printed
    rejected = pd.read_csv(out / "rejected.csv", dtype=str)
    assert sorted(rejected["baris"].astype(int)) == [2, 3]


def test_progress_colours_stand_apart_from_the_choropleth() -> None:
    """The progress fill is drawn over the desil-1 choropleth: its colours must not be read as
    choropleth classes (the first version used yellow and red, beside YlOrRd's yellow and red)."""
    from targeting.mapspec import NO_DATA_COLOUR, PALETTE, VERIFIKASI_KELAS

    def rgb(h: str) -> tuple[int, ...]:
        return tuple(int(h[i : i + 2], 16) for i in (1, 3, 5))

    def dist(a: str, b: str) -> float:
        return sum((x - y) ** 2 for x, y in zip(rgb(a), rgb(b), strict=True)) ** 0.5

    for _low, colour, label in VERIFIKASI_KELAS:
        for base in (*PALETTE, NO_DATA_COLOUR):
            assert dist(colour, base) > 75, (label, colour, base)


def test_blank_statuses_are_not_called_rejected(workbook: bytes) -> None:  # noqa: F811
    """The page showed 'Ditolak 0' and, under it, 'Baris ditolak: 47' (the blank statuses)."""
    got = baca_verifikasi([BerkasKembali("a.xlsx", _filled(workbook, 0, "layak"))],
                          _keluarga(), KUNCI)  # fmt: skip
    # desa B's 4 rows came back blank: not yet verified, not rejected
    assert got.judul_tidak_diterapkan() == (
        "Baris tidak diterapkan: 4 (0 ditolak, 4 status kosong = belum diverifikasi)"
    )


def test_recipient_keyed_by_a_no_kk_of_two_families_is_not_guessed() -> None:
    """P3KE data hold No KK and NIK shared by two families (flag_no_kk_ganda, flag_nik_ganda):
    a recipient named by such a number is rejected as ambiguous, not given to one of them."""
    import pandas as pd

    from targeting.penerima import baca_penerima

    keluarga = pd.DataFrame({
        "id_keluarga_p3ke": ["F1", "F2", "F3"], "kode_desa": [A, B, A],
        "desil": pd.array([1, 1, 1], dtype="Int64"),
        "no_kk": ["6111000000000009", "6111000000000009", "6111000000000003"],
    })  # fmt: skip
    csv = "no_kk,kode_sub_kegiatan\n6111000000000009,1.01\n6111000000000003,1.01\n"
    got = baca_penerima(csv.encode(), "p.csv", keluarga, {"1.01"})
    assert list(got.penerima["id_keluarga_p3ke"]) == ["F3"]
    rej = got.ledger.ditolak
    assert list(rej["kode"]) == ["kunci_ganda"]
    assert "6111000000000009" not in rej.to_csv()
    assert got.ledger.rows_in == 2


def test_saved_dates_are_local_time_never_utc(workbook: bytes) -> None:  # noqa: F811
    """House rule: time stamps in the district's local time with offset (WIB), never UTC."""
    early = _saved(_filled(workbook, 0, "layak"), "2026-03-10T02:00:00Z")
    late = _saved(_filled(workbook, 0, "pindah"), "2026-03-10T03:30:00Z")
    got = baca_verifikasi(
        [BerkasKembali("a.xlsx", late), BerkasKembali("b.xlsx", early)], _keluarga(), KUNCI,
        zona="Asia/Pontianak",
    )  # fmt: skip
    assert set(got.desa["disimpan"]) == {"2026-03-10T09:00:00+07:00", "2026-03-10T10:30:00+07:00"}
    note = next(c for c in got.catatan if "dua kali" in c)
    assert "a.xlsx (disimpan 2026-03-10T10:30:00+07:00) dipakai" in note
    assert "Z)" not in note
    replaced = got.ledger.ditolak[got.ledger.ditolak["kode"] == "diganti"]
    assert replaced["alasan"].str.contains("2026-03-10T10:30:00+07:00", regex=False).all()
