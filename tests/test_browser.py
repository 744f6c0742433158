"""The running app in headless Chromium (Debian's chromium, driven by Playwright).

Starts ``streamlit run app.py`` on a free port, opens the page as a user would, waits for the
map, checks the 43 desa polygons, clicks one, and saves a screenshot to tests/artifacts/.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from targeting.interventions import lokus_long
from targeting.maps import KANTONG_COLOURS, LOKUS_COLOURS
from tests.serve import ROOT, clickable_desa_point, streamlit_server

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with streamlit_server(tmp_path_factory.mktemp("server") / "streamlit.log") as srv:
        yield srv.url


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
    # The legend stands under the map (it never covers a desa) and folds on a click.
    assert frame.locator(".lokus-legend").count() == 0
    legend = page.locator(".lokus-legend-page .lokus-legend")
    assert legend.inner_text().startswith("Keluarga desil 1")
    swatches = legend.locator(".lokus-swatch").first
    assert swatches.is_visible()
    legend.locator("summary").first.click()
    assert not swatches.is_visible()
    legend.locator("summary").first.click()
    assert swatches.is_visible()
    assert page.locator("text=Keluarga P3KE per desil").count() == 0  # no desa was picked

    point = clickable_desa_point(frame)  # inside a desa, as a user would click
    frame_box = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
    page.mouse.click(frame_box["x"] + point[0], frame_box["y"] + point[1])
    page.wait_for_selector("text=Keluarga P3KE per desil", timeout=30_000)
    time.sleep(1.0)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "app.png"), full_page=True)
    assert not outside, f"the page reached outside this machine: {outside[:5]}"
    assert not errors, errors
    context.close()


def test_select_three_priority_desa_and_download_the_workbook(server, browser, tmp_path):
    """A planner picks the 3 top desa, sees them on the map, downloads the XLSX and the map."""
    import openpyxl

    context = browser.new_context(viewport={"width": 1500, "height": 1200}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "request",
        lambda req: None
        if req.url.startswith(("http://127.0.0.1", "http://localhost", "data:", "blob:",
                               "about:", "file:"))
        else outside.append(req.url),
    )  # fmt: skip
    page.goto(server)
    page.get_by_role("link", name="Desa prioritas dan sasaran").click()
    page.wait_for_selector("text=1. Pilih desa prioritas", timeout=90_000)
    box = page.get_by_label("Jumlah desa teratas")
    box.fill("3")
    box.press("Enter")
    page.get_by_role("button", name="Pilih 3 desa teratas").click()
    page.wait_for_selector("text=Keluarga sasaran", timeout=60_000)
    frame = page.wait_for_selector(
        "iframe[title='streamlit_folium.st_folium']", timeout=60_000
    ).content_frame()
    frame.wait_for_selector("path.lokus-prioritas", timeout=60_000)
    assert frame.locator("path.lokus-prioritas").count() == 3

    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Unduh buku kerja (XLSX)").click()
    download = info.value
    assert download.suggested_filename.endswith("_desil1_3desa.xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [
        "ringkasan", "desa_prioritas", "sasaran_keluarga", "intervensi", "laporan_impor"
    ]  # fmt: skip
    prio = list(wb["desa_prioritas"].iter_rows(values_only=True))
    col = prio[0].index("terpilih")
    assert sum(1 for row in prio[1:] if row[col] == "ya") == 3
    fam = list(wb["sasaran_keluarga"].iter_rows(values_only=True))
    nik = fam[0].index("nik")
    assert len(fam) > 1
    assert all(str(row[nik])[4:12] == "********" for row in fam[1:])

    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Unduh peta (HTML, terbuka tanpa internet)").click()
    html_path = tmp_path / info.value.suggested_filename
    info.value.save_as(html_path)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "prioritas.png"), full_page=True)

    # Ticking a row of the ranking table adds that desa (rank 4) to the three.
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 37, box["y"] + 35 + 3 * 35 + 17)  # the "Pilih" cell, row 4
    page.keyboard.press("Space")
    chips = page.locator('[data-testid="stMultiSelect"]').first
    page.wait_for_function(
        "el => el.innerText.includes('4. ')", arg=chips.element_handle(), timeout=30_000
    )

    # One click on a desa of the priority map adds or removes it (every click counts).
    page.wait_for_selector("[data-testid='stStatusWidget']", state="hidden", timeout=60_000)
    time.sleep(1.0)  # the tick above has reached the map
    frame = page.wait_for_selector(IFRAME, timeout=30_000).content_frame()
    count = "() => document.querySelectorAll('path.lokus-prioritas').length"
    before = frame.evaluate(count)
    page.locator(IFRAME).scroll_into_view_if_needed()
    box = page.locator(IFRAME).bounding_box()
    x, y = clickable_desa_point(frame, max_y=page.viewport_size["height"] - box["y"])
    page.mouse.click(box["x"] + x, box["y"] + y)
    frame.wait_for_function(f"n => ({count})() !== n", arg=before, timeout=30_000)
    after = frame.evaluate(count)
    page.mouse.click(box["x"] + x, box["y"] + y)  # the same desa again: back as it was
    frame.wait_for_function(f"n => ({count})() === n", arg=before, timeout=30_000)
    assert abs(after - before) == 1

    # The downloaded map opens from disk with no server and no internet.
    offline = context.new_page()
    offline.on("pageerror", lambda e: errors.append(str(e)))
    offline.on(
        "request",
        lambda req: None if req.url.startswith(("file:", "data:", "about:"))
        else outside.append(req.url),
    )  # fmt: skip
    offline.goto(html_path.as_uri())
    offline.wait_for_selector("path.lokus-desa", timeout=30_000)
    assert offline.locator("path.lokus-desa").count() == 43
    assert offline.locator("path.lokus-prioritas").count() == 3
    assert not outside, f"reached outside this machine: {outside[:5]}"
    assert not errors, errors
    context.close()


IFRAME = "iframe[title='streamlit_folium.st_folium']"
RAW_NAMES = ("None", "nan", "kode_desa", "jenis", "keluarga_desil_1_kekurangan",
             "kebutuhan_nyata", "berkas", "nama_masukan", "Nik", "No kk")  # fmt: skip


def _fresh_map(browser, server, width: int, height: int):
    """A new session at one window size, its map drawn; returns (context, page, frame)."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(server)
    frame = page.wait_for_selector(IFRAME, timeout=90_000).content_frame()
    frame.wait_for_selector("path.lokus-desa", timeout=60_000)
    frame.wait_for_function("() => window.map && window.Streamlit", timeout=30_000)
    return context, page, frame


def _visible_desa(page, frame) -> tuple[float, float]:
    """Page coordinates of a desa inside the part of the map the window shows."""
    box = page.locator(IFRAME).bounding_box()
    height = page.viewport_size["height"]
    x, y = clickable_desa_point(frame, max_y=height - box["y"])
    return box["x"] + x, box["y"] + y


def _scroll(page) -> float:
    return page.evaluate(
        "() => (document.querySelector('[data-testid=stMain]') || {}).scrollTop || window.scrollY"
    )


def _panel_desa(page) -> str:
    """The desa the side panel shows (its heading), waiting for the panel."""
    page.wait_for_selector("text=Keluarga P3KE per desil", timeout=30_000)
    return page.locator(".st-key-baris_peta h3").first.inner_text().strip()


@pytest.mark.parametrize("size", [(1366, 768), (1024, 768)], ids=["1366x768", "1024x768"])
def test_every_click_counts_at_laptop_sizes(server, browser, size):
    """One click in a fresh session opens the panel; click A, pick B, click A shows A."""
    context, page, frame = _fresh_map(browser, server, *size)
    box = page.locator(IFRAME).bounding_box()
    if size[0] == 1024:
        assert box["width"] > 500  # the map takes the width; the panel goes below it
    before = _scroll(page)
    x, y = _visible_desa(page, frame)
    at = page.locator(IFRAME).bounding_box()
    fx, fy = x - at["x"], y - at["y"]  # the spot in the map
    page.mouse.click(x, y)  # once, as a planner would
    first = _panel_desa(page)
    assert _scroll(page) == before  # the page did not jump under the mouse
    assert frame.locator(".leaflet-popup").count() == 0  # detail in the panel, not a popup
    page.mouse.move(1, 1)  # the tooltip goes with the mouse
    frame.wait_for_selector(".leaflet-tooltip", state="detached", timeout=10_000)
    # The map outlines the chosen desa (a feature group added beside the desa layer).
    frame.wait_for_function(
        "() => [...document.querySelectorAll('path')].some(p => "
        "p.getAttribute('stroke') === '#1f4e9a' && p.getAttribute('stroke-width') === '4')",
        timeout=30_000,
    )

    # Pick another desa in the list, then click the first one on the map again.
    options = page.get_by_role("option")
    for attempt in range(3):  # a click landing while the panel redraws opens nothing
        page.locator(".st-key-baris_peta [data-testid='stSelectbox']").first.click()
        try:
            options.first.wait_for(timeout=5_000)
            break
        except Exception:
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
    other = next(t for t in options.all_inner_texts() if t.split(" (")[0].strip() != first)
    options.filter(has_text=other).first.click()
    heading = "() => (document.querySelector('.st-key-baris_peta h3') || {}).innerText"
    page.wait_for_function(f"t => ({heading})() === t", arg=other.split(" (")[0], timeout=30_000)
    # At 1024 px the list is under the map: back to the map as a user would scroll.
    page.locator(IFRAME).scroll_into_view_if_needed()
    at = page.locator(IFRAME).bounding_box()
    page.mouse.click(at["x"] + fx, at["y"] + fy)  # desa A again: the panel follows
    page.wait_for_function(f"t => ({heading})() === t", arg=first, timeout=30_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"klik_{size[0]}x{size[1]}.png"))
    context.close()


def _map_until(page, js: str, arg=None, timeout: float = 60.0):
    """The map's frame once ``js`` is true in it (the frame is replaced when the map changes)."""
    from playwright.sync_api import Error

    deadline = time.time() + timeout
    while True:
        try:
            frame = page.wait_for_selector(IFRAME, timeout=30_000).content_frame()
            if frame is not None and frame.evaluate(f"(a) => !!window.map && !!({js})(a)", arg):
                return frame
        except Error:  # the frame was replaced while we looked
            if time.time() > deadline:
                raise
        assert time.time() < deadline, f"the map never showed: {js}"
        time.sleep(0.3)


def test_layers_are_widgets_and_the_view_survives_a_colour_change(server, browser):
    context, page, frame = _fresh_map(browser, server, 1366, 768)
    purple = (
        "() => [...document.querySelectorAll('path')].filter(p => "
        f"p.getAttribute('stroke') === '{KANTONG_COLOURS['panas']}').length"
    )
    assert frame.evaluate(purple) > 0
    assert frame.locator(".leaflet-control-layers").count() == 0  # no hover control on the map
    page.get_by_role("button", name="Kantong desa", exact=True).click()
    frame = _map_until(page, f"() => ({purple})() === 0 && "
                             "document.querySelectorAll('path.lokus-desa').length === 43")  # fmt: skip

    # Zoom in, then change "Warna peta": the view and the layer choice stay.
    zoom = frame.evaluate("() => window.map.getZoom()")
    frame.locator(".leaflet-control-zoom-in").click()
    frame.wait_for_function("z => window.map.getZoom() > z", arg=zoom, timeout=10_000)
    time.sleep(2.0)  # the view reaches the server (debounced, then a rerun)
    zoom = frame.evaluate("() => window.map.getZoom()")
    page.get_by_text("Jumlah keluarga desil 1", exact=True).first.click()
    frame = _map_until(
        page,
        "(z) => document.querySelector('.lokus-desa') && window.map.getZoom() === z && "
        "[...document.querySelectorAll('path.lokus-desa')].length === 43",
        zoom,
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('.lokus-legend-page summary')]"
        ".some(e => e.innerText.trim() === 'Jumlah keluarga desil 1')"
    )  # the legend beside the map follows the colour
    assert frame.evaluate(purple) == 0  # the pocket layer is still off
    context.close()


ENGLISH = ("Choose an option", "per file", "Drag and drop", "Browse files")


def test_upload_with_desa_without_data_shows_no_none_and_no_english(server, browser, tmp_path):
    """After a file covering 2 of 43 desa, no page shows None, nan, a raw column name or
    Streamlit's English words. Table cells are drawn on a canvas: their text is checked by
    tests/test_app.py on what the server sends; here the page text around them."""
    import re

    csv = tmp_path / "unggah_SINTETIS.csv"
    csv.write_text(
        "id_keluarga,kode_desa,desil\nK1,6111012001,1\nK2,6111012002,2\nK3,6111012002,1\n"
    )  # synthetic rows
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    page.goto(server)
    page.wait_for_selector(IFRAME, timeout=90_000)
    page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(str(csv))
    page.wait_for_selector("text=0 desa dinilai", timeout=90_000)
    # "berkas" and "jenis" are also ordinary words: as raw names they only stand in tables.
    raw = [n for n in RAW_NAMES if "_" in n or n in ("Nik", "No kk")]
    words = re.compile(r"\b(None|nan|NaN|" + "|".join(re.escape(n) for n in raw) + r")\b")
    for link in (None, "Sub kegiatan dan lokus", "Desa prioritas dan sasaran"):
        if link:
            page.get_by_role("link", name=link).click()
            page.wait_for_selector("h1", timeout=60_000)
            time.sleep(4.0)
        text = page.locator("body").inner_text()
        assert not words.search(text), (link, words.search(text).group(0))
        assert not [w for w in ENGLISH if w in text], link
        # The uploader's button carries the Indonesian word (CSS content), not "Upload".
        button = page.locator("[data-testid='stFileUploaderDropzone'] button").first
        assert button.evaluate("b => getComputedStyle(b, '::after').content") == '"Pilih berkas"'
        assert button.inner_text().strip() in ("", "upload")  # the icon name, drawn as an icon
    context.close()
