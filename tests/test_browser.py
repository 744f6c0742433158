"""The running app in headless Chromium (Debian's chromium, driven by Playwright).

Starts ``streamlit run app.py`` on a free port, opens the page as a user would, waits for the
map, checks the 43 desa polygons, clicks one, and saves a screenshot to tests/artifacts/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from targeting.interventions import lokus_long
from targeting.maps import KANTONG_COLOURS, LOKUS_COLOURS

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-quic", "--no-first-run", "--disable-sync",
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = (tmp_path_factory.mktemp("server") / "streamlit.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            proc.kill()
            log.flush()
            pytest.fail(f"streamlit did not start:\n{Path(log.name).read_text()}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian chromium missing: run `make test` (it installs it)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_map_draws_43_desa_offline_and_a_click_shows_figures(server, browser, tmp_path, embedded):
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def _request(req) -> None:
        if not req.url.startswith(
            ("http://127.0.0.1", "http://localhost", "data:", "blob:", "about:")
        ):
            outside.append(req.url)

    page.on("request", _request)
    page.goto(server)
    frame = page.wait_for_selector(
        "iframe[title='streamlit_folium.st_folium']", timeout=90_000
    ).content_frame()
    frame.wait_for_selector("path.lokus-desa", timeout=60_000)
    paths = frame.locator("path.lokus-desa")
    assert paths.count() == 43
    assert frame.locator("path.lokus-klaster").count() == 3  # the planted household pockets
    fills = set(frame.eval_on_selector_all(
        "path.lokus-desa", "els => els.map(e => e.getAttribute('fill'))"
    ))  # fmt: skip
    assert len(fills) >= 5  # a choropleth, not one flat colour
    # Pocket and strategy-3 lokus outlines are drawn in the browser from the desa layer's
    # features (the geometry is sent once): one outline per marked desa.
    strokes = frame.eval_on_selector_all("path", "els => els.map(e => e.getAttribute('stroke'))")
    hot = embedded.kantong.desa["kantong"]
    lokus3 = embedded.register.register
    assert strokes.count(KANTONG_COLOURS["panas"]) == int((hot == "panas").sum()) > 0
    n_s3 = len(set(lokus_long(lokus3).query("strategi == 3")["kode_desa"]))
    assert strokes.count(LOKUS_COLOURS[3]) == n_s3 > 0
    assert frame.locator(".lokus-legend").inner_text().startswith("Keluarga desil 1")

    # Click inside a desa polygon, as a user would: the first polygon whose bbox centre is
    # really on that polygon (multi-island desa have sea at their centre).
    point = frame.evaluate(
        """() => {
            for (const p of document.querySelectorAll('path.lokus-desa')) {
                const r = p.getBoundingClientRect();
                const x = r.left + r.width / 2, y = r.top + r.height / 2;
                if (r.width > 20 && document.elementFromPoint(x, y) === p) return [x, y];
            }
            return null;
        }"""
    )
    assert point is not None
    frame_box = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
    page.mouse.click(frame_box["x"] + point[0], frame_box["y"] + point[1])
    page.wait_for_selector("text=Keluarga P3KE per desil", timeout=30_000)
    time.sleep(1.0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app.png"), full_page=True)
    assert not outside, f"the page reached outside this machine: {outside[:5]}"
    assert not errors, errors
    context.close()
