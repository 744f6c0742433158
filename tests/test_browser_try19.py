"""Headline figures of another kabupaten at 1024x768 (headless Debian chromium, Playwright).

Fresh-user pass on issue 19: with Kabupaten Sambas picked, "193 / 195" desa and the label
"Seluruh keluarga" were cut with "…" in the five headline figures on a 1024 px screen.
Every family shown is SYNTHETIC.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.serve import streamlit_server

pytestmark = pytest.mark.browser

MAP = "iframe[title='streamlit_folium.st_folium']"
CUT = """() => [...document.querySelectorAll('[data-testid=stMetric] *')]
  .filter(e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow != 'visible')
  .map(e => e.textContent)"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cache = tmp_path_factory.mktemp("wilayah")
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    with streamlit_server(log, env={"LOKUS_WILAYAH_DIR": str(cache)}) as srv:
        yield srv.url


def test_headline_figures_of_sambas_are_not_cut_at_1024(server, browser):
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.goto(server)
    page.wait_for_selector(MAP, timeout=120_000)
    page.wait_for_function("() => document.body.innerText.includes('43 / 43')", timeout=120_000)
    page.get_by_role("combobox", name="Wilayah").click()
    page.get_by_role("option", name="Kabupaten Sambas (61.01)").click()
    page.wait_for_function("() => document.body.innerText.includes('/ 195')", timeout=300_000)
    page.wait_for_timeout(1000)
    assert page.evaluate(CUT) == []
    context.close()
