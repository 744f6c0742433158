"""Fresh-user pass on issue 17 in the running app (headless Chromium). SYNTHETIC data.

The uploader of 'Hasil verifikasi' empties when the planner opens another page; the result
stays applied on the priority page, so the page must keep showing it (and offer to drop it).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from targeting.targets import target_families
from targeting.verifikasi import KepalaLembar, lembar_verifikasi
from tests.serve import streamlit_server
from tests.test_verifikasi import DESA, A, B, _keluarga

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("server")
    with streamlit_server(tmp / "streamlit.log", env={"LOKUS_RAHASIA_DIR": str(tmp / "r")}) as srv:
        yield srv.url


def test_result_still_shown_after_visiting_another_page(server, browser, tmp_path) -> None:
    fam = target_families(_keluarga(), DESA, [A, B]).keluarga
    book = tmp_path / "kembali_desa.xlsx"
    book.write_bytes(lembar_verifikasi(fam, KepalaLembar("Kayong Utara", "2026-01-01", True),
                                       b"kunci-lain"))  # fmt: skip
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    page.goto(server)
    page.get_by_role("link", name="Hasil verifikasi").click()
    page.wait_for_selector("text=Lembar verifikasi yang sudah diisi", timeout=120_000)
    page.locator("[data-testid='stMain'] input[type=file]").nth(0).set_input_files(str(book))
    page.wait_for_selector("text=Ringkasan per desa", timeout=90_000)
    page.get_by_role("link", name="Laporan impor").click()
    page.wait_for_selector("h1:has-text('Laporan impor')", timeout=90_000)
    page.get_by_role("link", name="Hasil verifikasi").click()
    page.wait_for_selector("text=Hasil unggahan sebelumnya (kembali_desa.xlsx)", timeout=90_000)
    page.wait_for_selector("text=Ringkasan per desa", timeout=30_000)
    page.get_by_role("button", name="Hapus hasil verifikasi").click()
    page.wait_for_selector("text=Ringkasan per desa", state="detached", timeout=30_000)
    page.context.close()
