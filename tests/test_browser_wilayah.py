"""The region select box in the running app (headless Debian chromium, Playwright).

Starts the app with an empty region cache, picks Kabupaten Ketapang in the sidebar's
"Wilayah" box as a planner would, and checks that its 262 real desa are drawn, at the two
laptop sizes. Every family shown is SYNTHETIC.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.serve import ROOT, streamlit_server

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "tests" / "artifacts"
MAP = "iframe[title='streamlit_folium.st_folium']"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cache = tmp_path_factory.mktemp("wilayah")
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    with streamlit_server(log, env={"LOKUS_WILAYAH_DIR": str(cache)}) as srv:
        yield srv.url


def _desa_drawn(page) -> int:
    return page.evaluate(
        """sel => { const f = document.querySelector(sel);
        return f && f.contentDocument ? f.contentDocument.querySelectorAll('path.lokus-desa').length : 0; }""",
        MAP,
    )


@pytest.mark.parametrize("size", [(1366, 768), (1024, 768)])
def test_pick_ketapang_in_the_sidebar_and_see_its_262_desa(server, browser, size):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server)
    page.wait_for_selector(MAP, timeout=120_000)
    page.wait_for_function(
        "sel => { const f = document.querySelector(sel); return f && f.contentDocument && "
        "f.contentDocument.querySelectorAll('path.lokus-desa').length == 43; }",
        arg=MAP,
        timeout=120_000,
    )
    box = page.get_by_role("combobox", name="Wilayah")
    assert box.input_value() == "Kabupaten Kayong Utara (61.11)"  # the default region
    box.click()
    page.get_by_role("option", name="Kabupaten Ketapang (61.04)").click()
    page.wait_for_function(
        "sel => { const f = document.querySelector(sel); return f && f.contentDocument && "
        "f.contentDocument.querySelectorAll('path.lokus-desa').length == 262; }",
        arg=MAP,
        timeout=300_000,
    )
    assert page.get_by_text("Kabupaten Ketapang: batas desa asli").count() == 1
    assert _desa_drawn(page) == 262
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"wilayah_ketapang_{size[0]}x{size[1]}.png"))
    assert not errors, errors
    context.close()
