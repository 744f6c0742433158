"""Personal data and hostile text in the running app (headless Chromium, one server).

The server runs a copy of the Kayong Utara region whose desa and kecamatan names hold HTML,
script, Markdown, quotes, backticks and backslashes, with ``HOME`` and ``TMPDIR`` pointed at
empty folders. A browser then uploads a family file with marker NIKs and names.

- Escaping: the map still draws its 43 desa; tooltips, popups, the desa panel and the tables
  show the text as text; no script runs (``window.__xss`` stays unset), no element carries an
  event handler from the data, nothing is requested from outside this machine, and the
  console has no errors.
- Nothing personal on disk or in logs: after the session (upload, map, import report,
  download) the server is stopped and its log, its home and temporary folders and every file
  changed in the working directory are scanned for the markers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from geo.region import default_region
from tests.serve import (
    ROOT,
    Server,
    clickable_desa_point,
    streamlit_server,
)

pytestmark = pytest.mark.browser

PAYLOADS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=2">',
    "</div><svg onload=window.__xss=3>",
    "\"'`\\ ${window.__xss=4} \\\\",
    "![p](http://lokus-xss.invalid/p.png) [k](javascript:window.__xss=5)",
    "{{ 7*7 }} <b onmouseover=window.__xss=6>tebal</b>",
]
KEC_PAYLOAD = "<iframe src=javascript:window.__xss=7>"

NIKS = ["9999000011112222", "9999000033334444", "9999000055556666"]
NAMES = ["Penanda Zqxw Satu", "Penanda Zqxw Dua", "Penanda Zqxw Tiga"]
ADDRESS = "Jalan Penanda Zqxw 7"
MARKERS = [*NIKS, *NAMES, ADDRESS, "9999000077778888", "Zqxw"]


def _hostile_region(folder: Path) -> Path:
    region = default_region()
    desa = gpd.read_file(region.batas_desa)
    desa["desa"] = [f"{PAYLOADS[i % len(PAYLOADS)]} {n}" for i, n in enumerate(desa["desa"])]
    desa.loc[desa["kecamatan"] == "Pulau Maya", "kecamatan"] = f"{KEC_PAYLOAD} Pulau Maya"
    desa.to_file(folder / "desa.geojson", driver="GeoJSON")
    # Sub-activity and OPD names (map popups, the sub-activity page) carry payloads too.
    register = pd.read_csv(region.register, dtype=str, keep_default_na=False)
    register["nama_sub_kegiatan"] = [
        f"{PAYLOADS[i % len(PAYLOADS)]} {n}" for i, n in enumerate(register["nama_sub_kegiatan"])
    ]
    register["opd"] = register["opd"].str.replace("Dinas", "<u onclick=window.__xss=11>Dinas")
    register.to_csv(folder / "sub_kegiatan_SINTETIS.csv", index=False)
    toml = f"""[region]
nama = "Kabupaten <script>window.__xss=8</script> Uji"
kode = "61.11"
batas_desa = "desa.geojson"
keluarga_desa = {json.dumps(str(region.keluarga_desa))}
keluarga_p3ke = {json.dumps(str(region.keluarga_p3ke))}
register = "sub_kegiatan_SINTETIS.csv"
"""
    (folder / "region.toml").write_text(toml, encoding="utf-8")
    return folder / "region.toml"


def _marker_file(path: Path) -> Path:
    """A family file with marker NIKs, names and an address, one NIK in the desil column,
    one hostile desa name without a code, and a hostile family name."""
    head = "id_keluarga_p3ke,kode_kemdagri,desa_kelurahan,desil_kesejahteraan,nik,kepala_keluarga,alamat\n"
    rows = [
        f"ZQ{i},61110120{i % 5 + 1:02d},,{1 + i % 2},{NIKS[i % 3]},{NAMES[i % 3]},{ADDRESS}"
        for i in range(30)
    ]
    rows.append(f"ZQ90,6111012001,,9999000077778888,{NIKS[0]},{NAMES[0]},{ADDRESS}")
    rows.append(f'ZQ91,,"<img src=x onerror=window.__xss=9>",1,{NIKS[1]},{NAMES[1]},{ADDRESS}')
    rows.append(f'ZQ92,6111012002,,1,{NIKS[2]},"<script>window.__xss=10</script>",{ADDRESS}')
    path.write_text(head + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def env_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("sec_server")
    dirs = {k: base / k for k in ("region", "home", "tmp", "upload")}
    for d in dirs.values():
        d.mkdir()
    dirs["log"] = base / "streamlit.log"
    return dirs


@pytest.fixture(scope="module")
def server(env_dirs: dict[str, Path]) -> Iterator[Server]:
    env = {
        "LOKUS_REGION": str(_hostile_region(env_dirs["region"])),
        "HOME": str(env_dirs["home"]),
        "TMPDIR": str(env_dirs["tmp"]),
        "XDG_CACHE_HOME": str(env_dirs["home"] / ".cache"),
        "PYTHONUNBUFFERED": "1",
    }
    with streamlit_server(env_dirs["log"], env=env) as s:
        yield s


class Watch:
    """Console errors, page errors and requests leaving this machine, for one page."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        self.outside: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", self._request)

    def _request(self, req) -> None:
        if not req.url.startswith(
            ("http://127.0.0.1", "http://localhost", "data:", "blob:", "about:")
        ):
            self.outside.append(req.url)


INJECTED = """() => {
    const found = [];
    if (window.__xss !== undefined) found.push('window.__xss=' + window.__xss);
    for (const el of document.querySelectorAll('*')) {
        for (const a of el.attributes) {
            if (a.value.includes('__xss') && (a.name.startsWith('on') || a.name === 'src'
                || a.name === 'href')) found.push(el.tagName + ' ' + a.name + '=' + a.value);
        }
        // The map's own script carries the names as escaped JSON data (&lt;script&gt;...);
        // a script made from data would start with the payload or hold it unescaped.
        const text = (el.textContent || '').trim();
        if (el.tagName.toUpperCase() === 'SCRIPT' && (text.startsWith('window.__xss')
            || text.includes('<script>window.__xss') || text.includes('onerror="window')))
            found.push('SCRIPT from data: ' + text.slice(0, 80));
    }
    return found;
}"""


def _map_frame(page):
    """The map's iframe once its desa are drawn (the iframe is replaced when the map changes)."""
    from playwright.sync_api import Error

    for attempt in range(5):
        try:
            frame = page.wait_for_selector(
                "iframe[title='streamlit_folium.st_folium']", timeout=90_000
            ).content_frame()
            frame.wait_for_selector("path.lokus-desa", timeout=60_000)
            return frame
        except Error:
            if attempt == 4:
                raise
            time.sleep(1.0)
    return None


def test_hostile_names_show_as_text_and_never_run(server, browser):
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    watch = Watch(page)
    page.goto(server.url)
    frame = _map_frame(page)
    assert frame.locator("path.lokus-desa").count() == 43

    # Tooltip: hover a desa; its name shows with the payload as literal text.
    x, y = clickable_desa_point(frame)
    box = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    tip = frame.wait_for_selector(".leaflet-tooltip", timeout=10_000)
    tip_text = tip.inner_text()
    assert any(p.split(" ")[0][:6] in tip_text for p in PAYLOADS), tip_text

    # Desa panel (the detail a popup used to repeat): click the desa.
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_selector("text=Keluarga P3KE per desil", timeout=30_000)
    panel = page.locator(".st-key-baris_peta").inner_text()
    assert any(p[:12] in panel for p in PAYLOADS), panel
    # The desa panel's heading carries the name as text.
    headings = page.locator("h3").all_inner_texts()
    assert any(any(p[:12] in h for p in PAYLOADS) for h in headings), headings

    # Filter on the hostile kecamatan: the multiselect lists it as text.
    multi = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").first
    multi.locator("input").click()
    page.keyboard.type("Pulau Maya")
    option = page.get_by_role("option").filter(has_text="window.__xss=7")
    assert KEC_PAYLOAD in option.first.inner_text()
    option.first.click()
    page.keyboard.press("Escape")
    page.wait_for_function("() => document.body.innerText.includes('5 / 5')", timeout=60_000)
    time.sleep(2.0)
    frame = _map_frame(page)
    body = page.locator("body").inner_text()
    assert "Kabupaten <script>window.__xss=8</script> Uji" in body  # the region's name, as text

    assert page.evaluate(INJECTED) == []
    assert frame.evaluate(INJECTED) == []

    # Every other page (sub-activities, import report, any page added later): register,
    # OPD, desa and kecamatan text in its tables, filters, messages and maps.
    nav = page.locator("[data-testid='stSidebarNav'] a")
    names = [n.strip().splitlines()[-1] for n in nav.all_inner_texts()]
    assert len(names) >= 3, names
    for i, name in enumerate(names[1:], start=1):
        nav.nth(i).click()
        page.wait_for_function(
            "t => [...document.querySelectorAll('h1')].some(h => h.innerText.length > 0)"
            " && !document.body.innerText.includes('Running')",
            arg=name,
            timeout=90_000,
        )
        time.sleep(2.0)
        assert page.evaluate(INJECTED) == [], name
        for f in page.frames[1:]:
            assert f.evaluate(INJECTED) == [], (name, f.url)
    assert not watch.outside, f"the page reached outside this machine: {watch.outside[:5]}"
    assert not watch.errors, watch.errors
    context.close()


def _files(folder: Path, since: float | None = None) -> list[Path]:
    out = []
    for path in folder.rglob("*"):
        if any(part in {".git", ".venv", "node_modules"} for part in path.parts):
            continue
        if path.is_symlink() or not path.is_file():
            continue
        if since is not None and path.stat().st_mtime < since:
            continue
        out.append(path)
    return out


def _hits(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        for marker in MARKERS:
            if marker.encode() in data or marker.encode("utf-16-le") in data:
                found.append(f"{path}: {marker}")
    return found


def test_a_full_session_leaves_nothing_personal_on_disk_or_in_logs(server, browser, env_dirs):
    start = time.time() - 1
    upload = _marker_file(env_dirs["upload"] / "penanda.csv")
    context = browser.new_context(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
    page = context.new_page()
    watch = Watch(page)
    page.goto(server.url)
    _map_frame(page)
    page.locator("[data-testid='stSidebar'] input[type='file']").first.set_input_files(upload)
    page.wait_for_selector("text=penanda.csv", timeout=60_000)
    page.wait_for_function("() => document.body.innerText.includes('ditolak')", timeout=60_000)
    _map_frame(page)

    # Every page with the uploaded families (a page that wrote them anywhere would show up
    # in the scan below), ending on the import report.
    nav = page.locator("[data-testid='stSidebarNav'] a")
    for i in range(1, nav.count()):
        nav.nth(i).click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('h1')].some(h => h.innerText.length > 0)",
            timeout=90_000,
        )
        time.sleep(2.0)
        assert page.evaluate(INJECTED) == []
    # The import report: rejected rows (the NIK in the desil column, the hostile desa name).
    page.get_by_role("link", name="Laporan impor").click()
    page.wait_for_selector("text=Baris ditolak", timeout=60_000)
    body = page.locator("body").inner_text()
    assert not any(m in body for m in NIKS), "a NIK is shown in the import report"
    with page.expect_download() as dl:
        page.get_by_role("button", name="Unduh baris ditolak (CSV)").click()
    exported = Path(dl.value.path()).read_bytes()
    assert b"9999000077778888" not in exported  # the NIK in the desil column is masked
    assert page.evaluate(INJECTED) == []
    assert not watch.outside, watch.outside[:5]
    assert not watch.errors, watch.errors
    context.close()

    # Stop the server so that everything it would write is written, then scan.
    server.proc.terminate()
    server.proc.wait(timeout=30)
    log = server.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
    hits = _hits([server.log])
    hits += _hits(_files(env_dirs["home"]))
    hits += _hits(_files(env_dirs["tmp"]))
    hits += _hits(_files(ROOT, since=start))
    assert not hits, hits
    assert _hits([upload]), "the scan must find the markers in the uploaded file itself"
    # Streamlit's caches stayed in memory: no cache folder was created under HOME.
    assert not [p for p in _files(env_dirs["home"]) if "cache" in str(p).lower()]
