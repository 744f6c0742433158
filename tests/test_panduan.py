"""The planners' guide: PANDUAN.md, its screenshots (made here, every `make test`) and its page.

The browser test walks the guide's five steps in headless Chromium at 1366x768 on a running
app (open the map, click a desa, upload a file and read the import report, pick the top 5,
the downloads) and saves one screenshot per step to ``docs/panduan/``, so the pictures in the
guide never show an older app. PNGs are reduced to a 256-colour palette to stay small.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from tests.serve import ROOT, streamlit_server
from views.panduan_doc import PANDUAN, blocks, image_paths

SHOTS = ROOT / "docs" / "panduan"
VIEWPORT = {"width": 1366, "height": 768}
PANEL_TEXT = "Keluarga P3KE per desil"
SAMPLE = ROOT / "data" / "kayong_utara" / "p3ke_keluarga_SINTETIS.csv.gz"
MAX_KB = 400


def test_guide_names_its_five_screenshots_in_order():
    names = [p.name for p in image_paths(PANDUAN.read_text(encoding="utf-8"))]
    assert names == [
        "01_peta.png", "02_desa.png", "03_laporan_impor.png", "04_prioritas.png", "05_unduh.png"
    ]  # fmt: skip
    assert all(p.parent == SHOTS for p in image_paths(PANDUAN.read_text(encoding="utf-8")))


def test_guide_page_shows_text_and_every_image():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page("views/panduan.py").run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "Panduan Lokus untuk perencana" in text
    assert "Laporan impor" in text
    parts = blocks(PANDUAN.read_text(encoding="utf-8"))
    n_images = sum(kind == "gambar" for kind, _, _ in parts)
    shown = len(at.get("image"))  # st.image elements (AppTest type "image" in Streamlit 1.67)
    missing = [c.value for c in at.caption if "Gambar belum dibuat" in c.value]
    assert shown + len(missing) == n_images
    assert shown == sum(p.is_file() for p in image_paths(PANDUAN.read_text(encoding="utf-8")))


# ---- the screenshots (a real browser on a running app) -----------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with streamlit_server(tmp_path_factory.mktemp("server") / "streamlit.log") as srv:
        yield srv.url


def _idle(page, settle: float = 0.8) -> None:
    """Wait until Streamlit's script has finished and stayed finished for a moment."""
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]")
    time.sleep(settle)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]")


def _scroll(locator, block: str = "start") -> None:
    """Scroll an element to the top ("start"), middle ("center") or bottom ("end") of the view."""
    locator.evaluate("(e, b) => e.scrollIntoView({block: b})", block)
    time.sleep(0.4)


def _map_frame(page, timeout: float = 90.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for frame in page.frames:
            try:
                if frame.locator("path.lokus-desa").count():
                    return frame
            except Exception:  # a frame going away while asked
                continue
        time.sleep(0.2)
    msg = "no desa map drawn"
    raise AssertionError(msg)


def _click_a_desa(page) -> None:
    """Click a desa on the map until its panel shows (a first click may be lost)."""
    for _ in range(4):
        frame = _map_frame(page)
        box = frame.frame_element().bounding_box()
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
        page.mouse.click(box["x"] + point[0], box["y"] + point[1])
        try:
            page.get_by_text(PANEL_TEXT).first.wait_for(timeout=15_000)
            return
        except Exception:
            continue
    msg = "a desa click never showed its panel"
    raise AssertionError(msg)


def _shot(page, name: str) -> Path:
    """Save the viewport as a 256-colour PNG in docs/panduan/."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    page.screenshot(path=str(path), scale="css")
    with Image.open(path) as img:
        small = img.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
    return path


def _upload_file(tmp_path: Path) -> Path:
    """Every 20th family of the SINTETIS sample, plus three rows the import must reject."""
    lines = gzip.decompress(SAMPLE.read_bytes()).decode("utf-8").splitlines()
    header, rows = lines[0], lines[1::20]
    bad_desil = rows[0].split(",")
    bad_desil[6] = ""  # desil_kesejahteraan blank
    bad_desa = rows[1].split(",")
    bad_desa[5] = "6199019999"  # a desa code of no desa in the district
    path = tmp_path / "p3ke_contoh_SINTETIS.csv"
    body = [header, *rows, ",".join(bad_desil), ",".join(bad_desa), rows[2]]  # + an exact copy
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    return path


@pytest.mark.browser
def test_guide_screenshots(server, browser, tmp_path):
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    page = context.new_page()
    page.goto(server)
    _map_frame(page)
    _idle(page, settle=1.5)
    _scroll(_map_frame(page).frame_element(), "end")  # the headline figures and the whole map
    shots = [_shot(page, "01_peta.png")]

    _click_a_desa(page)
    _idle(page)
    _scroll(_map_frame(page).frame_element(), "start")  # the map beside the desa's panel
    shots.append(_shot(page, "02_desa.png"))

    upload = _upload_file(tmp_path)
    page.locator("[data-testid='stSidebar'] input[type='file']").first.set_input_files(upload)
    page.get_by_text(upload.name).first.wait_for(timeout=120_000)
    _idle(page)
    page.get_by_role("link", name="Laporan impor").first.click()
    page.get_by_text("Baris ditolak", exact=True).first.wait_for(timeout=120_000)
    _idle(page)
    assert page.get_by_text(upload.name).count()  # the upload stays active on every page
    _scroll(page.get_by_text("Baris ditolak", exact=True).first, "center")
    shots.append(_shot(page, "03_laporan_impor.png"))

    page.get_by_role("link", name="Desa prioritas dan sasaran").first.click()
    top = page.get_by_role("button", name="Pilih 5 desa teratas")
    top.wait_for(timeout=120_000)
    _idle(page)
    top.click()
    _idle(page, settle=1.5)
    _scroll(page.get_by_text("1. Pilih desa prioritas").first)
    shots.append(_shot(page, "04_prioritas.png"))

    _scroll(page.get_by_text("3. Unduh", exact=True).first, "center")
    _idle(page)
    shots.append(_shot(page, "05_unduh.png"))
    context.close()

    assert [p.name for p in shots] == [p.name for p in image_paths(PANDUAN.read_text())]
    for path in shots:
        with Image.open(path) as img:
            assert img.size == (VIEWPORT["width"], VIEWPORT["height"])
        assert path.stat().st_size < MAX_KB * 1024, path.name
