"""The page "Perubahan antar data" in headless Chromium at 1366x768 (issue 16).

Opens the page with the embedded synthetic snapshots, reads the district figures a planner
sees, checks them against the ground truth, hovers a desa on the map of change and saves
screenshots to tests/artifacts/.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from targeting.format import angka
from targeting.synthetic_waktu import BERKAS_KEBENARAN
from tests.serve import ROOT, streamlit_server

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "tests" / "artifacts"
TRUTH = ROOT / "data" / "kayong_utara" / BERKAS_KEBENARAN


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with streamlit_server(tmp_path_factory.mktemp("server") / "streamlit.log") as srv:
        yield srv.url


def _totals() -> dict[str, int]:
    overall = json.loads(Path(TRUTH).read_text(encoding="utf-8"))["pasangan"][-1]["desa"]
    keys = [k for k in overall[0] if k != "kode_desa"]
    return {k: sum(int(d[k]) for d in overall) for k in keys}


def test_page_shows_the_district_change_of_the_ground_truth(server, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server}/perubahan")
    page.wait_for_selector("text=Keluar dari desil 1", timeout=120_000)
    metrics = page.locator("[data-testid='stMetric']")
    metrics.first.wait_for(timeout=60_000)
    texts = [metrics.nth(i).inner_text() for i in range(metrics.count())]
    t = _totals()
    want = {
        "Keluar dari desil 1": t["keluar_desil_1"],
        "Masuk desil 1": t["masuk_desil_1"] + t["baru_di_daftar"],
        "Tidak lagi di daftar": t["tidak_lagi_di_daftar"],
    }
    for label, value in want.items():
        shown = next(x for x in texts if x.startswith(label))
        assert angka(value) in shown.splitlines(), (label, shown)
    first = next(x for x in texts if x.startswith("Desil 1 (2023-12-31)"))
    assert angka(t["desil_1_sebelum"]) in first.splitlines()
    last = next(x for x in texts if x.startswith("Desil 1 (2025-03-31)"))
    assert angka(t["desil_1_sesudah"]) in last.splitlines()
    assert page.locator("text=dibandingkan hanya pada desil 1").count() >= 1
    page.wait_for_selector("text=bukan taksiran dampak program", timeout=60_000)
    frame = page.wait_for_selector(
        "iframe[title='streamlit_folium.st_folium']", timeout=60_000
    ).content_frame()
    frame.wait_for_selector("path.lokus-desa", timeout=60_000)
    assert frame.locator("path.lokus-desa").count() == 43
    fills = set(
        frame.eval_on_selector_all("path.lokus-desa", "els => els.map(e => e.getAttribute('fill'))")
    )
    assert "#1a9641" in fills  # some desa lost many desil-1 families
    page.screenshot(path=str(ARTIFACTS / "perubahan_1366.png"))
    page.locator("iframe[title='streamlit_folium.st_folium']").scroll_into_view_if_needed()
    time.sleep(1.5)
    page.screenshot(path=str(ARTIFACTS / "perubahan_1366_peta.png"))
    for i, heading in enumerate(
        ("Desa yang memburuk", "Per kecamatan", "Desa dengan dan tanpa sub")
    ):
        page.locator(f"text={heading}").first.scroll_into_view_if_needed()
        time.sleep(0.5)
        page.screenshot(path=str(ARTIFACTS / f"perubahan_1366_tabel_{i}.png"))
    # A narrower office laptop: the figures stay readable, nothing runs off the page.
    page.set_viewport_size({"width": 1024, "height": 768})
    page.locator("text=Keluar dari desil 1").first.scroll_into_view_if_needed()
    time.sleep(1.0)
    assert page.locator("[data-testid='stMetric']").first.is_visible()
    width = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollWidth")
    assert width <= 1024
    page.screenshot(path=str(ARTIFACTS / "perubahan_1024.png"))
    assert not errors
    context.close()
