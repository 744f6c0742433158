"""Village-meeting verification in the running app (headless Chromium), as a planner does it.

Download the verification workbook on the priority page, fill it in as a desa operator does
(openpyxl), upload it on "Hasil verifikasi" with a recipient list, and look at the ledger,
the summary and the map at 1366x768 and 1024x768 (screenshots in tests/artifacts/). SYNTHETIC.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from targeting.mapspec import VERIFIKASI_KELAS
from tests.serve import ROOT, streamlit_server

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("server")
    env = {"LOKUS_RAHASIA_DIR": str(tmp / "rahasia")}
    with streamlit_server(tmp / "streamlit.log", env=env) as srv:
        yield srv.url


def _fill(path, out) -> list[str]:
    """Statuses on the first desa (one tidak layak, one id typed over); return its ids."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    header = next(c.row for row in ws.iter_rows() for c in row if c.value == "status_verifikasi")
    col = {c.value: c.column for c in ws[header]}
    ids = []
    r = header + 1
    while ws.cell(r, col["id_keluarga_p3ke"]).value:
        ids.append(ws.cell(r, col["id_keluarga_p3ke"]).value)
        r += 1
    for i in range(len(ids)):
        ws.cell(header + 1 + i, col["status_verifikasi"], "layak")
    ws.cell(header + 1, col["status_verifikasi"], "tidak layak - sudah mampu")
    ws.cell(header + 1, col["alasan"], "punya toko")
    ws.cell(header + 2, col["id_keluarga_p3ke"], "P3KE-DIKETIK-ULANG")
    wb.save(out)
    return ids


def test_verification_round_trip_in_the_app(server, browser, tmp_path) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server)
    page.get_by_role("link", name="Desa prioritas dan sasaran").click()
    page.wait_for_selector("text=1. Pilih desa prioritas", timeout=90_000)
    box = page.get_by_label("Jumlah desa teratas")
    box.fill("2")
    box.press("Enter")
    page.get_by_role("button", name="Pilih 2 desa teratas").click()
    page.wait_for_selector("text=Keluarga sasaran", timeout=60_000)
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Unduh lembar verifikasi musdes").click()
    book = tmp_path / info.value.suggested_filename
    info.value.save_as(book)
    assert book.name.startswith("lokus_verifikasi_musdes_")
    returned = tmp_path / "kembali_desa1.xlsx"
    ids = _fill(book, returned)
    recipients = tmp_path / "penerima.csv"
    recipients.write_text(
        "id_keluarga_p3ke,kode_sub_kegiatan,tahun\n"
        + "".join(f"{i},1.06.04.2.01.0001,2024\n" for i in ids[:5])
        + f"{ids[0]},1.06.04.2.01.0001,2024\n",
        encoding="utf-8",
    )

    page.get_by_role("link", name="Hasil verifikasi").click()
    page.wait_for_selector("text=Lembar verifikasi yang sudah diisi", timeout=60_000)
    inputs = page.locator("[data-testid='stMain'] input[type=file]")
    inputs.nth(0).set_input_files(str(returned))
    try:
        page.wait_for_selector("text=Ringkasan per desa", timeout=60_000)
    except Exception:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "verifikasi_gagal.png"), full_page=True)
        raise
    inputs.nth(1).set_input_files(str(recipients))
    page.wait_for_selector("text=Ketepatan sasaran per sub kegiatan", timeout=60_000)
    main = page.locator("section.main, [data-testid='stMain']").first
    text = main.inner_text()
    # every row of the first desa applied but the one whose id was typed over (id_diubah);
    # the second desa's rows came back blank: not yet verified
    assert re.search(rf"Diterapkan\s+{len(ids) - 1}\n", text)
    assert re.search(r"Usulan baru\s+0\n", text)
    assert re.search(r"Ditolak\s+1\n", text)
    assert "Daftar penerima: 6 baris dibaca, 5 dipakai, 1 ditolak (termasuk 1 ganda)" in text
    assert "Ketepatan sasaran per sub kegiatan" in text
    frame = page.wait_for_selector(
        "iframe[title='streamlit_folium.st_folium']", timeout=60_000
    ).content_frame()
    frame.wait_for_selector("path.lokus-desa", timeout=60_000)
    fills = frame.eval_on_selector_all("path", "els => els.map(e => e.getAttribute('fill'))")
    colours = {c for _low, c, _l in VERIFIKASI_KELAS}
    assert sum(1 for f in fills if f in colours) == 2  # the two desa of the workbook
    time.sleep(1.0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "verifikasi_1366.png"), full_page=True)
    page.locator("iframe[title='streamlit_folium.st_folium']").scroll_into_view_if_needed()
    time.sleep(1.0)
    page.screenshot(path=str(ARTIFACTS / "verifikasi_peta_1366.png"))
    page.get_by_text("Ketepatan sasaran per sub kegiatan").scroll_into_view_if_needed()
    time.sleep(0.5)
    page.screenshot(path=str(ARTIFACTS / "verifikasi_penerima_1366.png"))
    page.set_viewport_size({"width": 1024, "height": 768})
    time.sleep(1.5)
    page.screenshot(path=str(ARTIFACTS / "verifikasi_1024.png"), full_page=True)
    # the priority page now lists the families with their verified status
    page.set_viewport_size({"width": 1366, "height": 768})
    page.get_by_role("link", name="Desa prioritas dan sasaran").click()
    page.wait_for_selector("text=Hasil verifikasi musdes diterapkan: 1 keluarga", timeout=60_000)
    page.get_by_text("Hasil verifikasi musdes diterapkan").scroll_into_view_if_needed()
    time.sleep(1.0)
    page.screenshot(path=str(ARTIFACTS / "verifikasi_prioritas_1366.png"))
    assert not errors, errors
    context.close()
