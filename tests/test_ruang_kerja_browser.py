"""A desa operator in a real browser reaches only its own desa's families (issue 18).

One server on a workspace holding a SYNTHETIC snapshot of three desa (two in kecamatan 01,
one in kecamatan 02). The operator of desa 61.11.01.2001 logs in, opens the snapshot, visits
every page, ticks "personal data" and downloads the target list and the import report; no
name, NIK or No KK of another desa's family is on any page or in any download. Crafted URLs
(another page, query parameters naming another desa or snapshot) start a new session that
shows the login form only.
"""

from __future__ import annotations

import gzip
import time

import pandas as pd
import pytest

from geo.region import default_region
from targeting.ruang_kerja import Cakupan, RuangKerja
from targeting.ruang_kerja.pengguna import tambah_pengguna
from targeting.snapshot import load_snapshot
from tests.serve import CHROMIUM, ROOT, streamlit_server

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "tests" / "artifacts"
OWN, OTHER = "6111012001", "6111012002"
PAGES = ["Peta desil 1", "Sub kegiatan dan lokus", "Desa prioritas dan sasaran", "Laporan impor"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ruang_browser")
    with gzip.open(default_region().keluarga_p3ke, "rt", encoding="utf-8") as f:
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
    parts = [df[df["kode_kemdagri"] == k].iloc[:25] for k in (OWN, OTHER)]
    parts.append(df[df["kode_kemdagri"].str.startswith("611102")].iloc[:25])
    data = pd.concat(parts, ignore_index=True)
    data["desil_kesejahteraan"] = "1"  # every family is a target
    rk = RuangKerja(folder=folder)
    snap = load_snapshot(default_region(), households=data.to_csv(index=False).encode(),
                         names={"keluarga_p3ke": "p3ke_SINTETIS.csv"})  # fmt: skip
    rk.impor(snap, Cakupan.semua("tim"), nama="Uji tiga desa")
    tambah_pengguna(rk, "op_sutera", "sandi-operator-1", "desa", "61.11.01.2001")
    rk.close()
    others = data[data["kode_kemdagri"] != OWN]
    own = data[data["kode_kemdagri"] == OWN]
    mine = " | ".join(v for c in ("nik", "no_kk", "kepala_keluarga", "alamat") for v in own[c])
    # Another desa's values; a synthetic name that is also (part of) an own family's is no sign.
    secrets = {
        v for c in ("nik", "no_kk", "kepala_keluarga") for v in others[c]
        if len(v) >= 5 and v not in mine
    }  # fmt: skip
    assert len(secrets) > 100
    return folder, secrets, own


def _login(page, url):
    page.goto(url)
    page.get_by_label("Nama pengguna").fill("op_sutera")
    page.get_by_label("Kata sandi").fill("sandi-operator-1")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_selector("text=Masuk sebagai", timeout=60_000)


def _text(page) -> str:
    time.sleep(1.5)
    return page.evaluate("() => document.body.innerText + document.body.innerHTML")


def test_a_desa_operator_reaches_no_other_desa_by_page_download_or_url(setup, tmp_path):
    from playwright.sync_api import sync_playwright

    folder, secrets, own = setup
    log = tmp_path / "server.log"
    with streamlit_server(log, env={"LOKUS_WORKSPACE": str(folder)}) as srv, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 1366, "height": 768}, accept_downloads=True)
        _login(page, srv.url)
        seen = _text(page)
        page.get_by_role("link", name="Ruang kerja").first.click()
        page.wait_for_selector("text=Snapshot tersimpan", timeout=60_000)
        page.get_by_role("button", name="Buka").click()
        page.wait_for_selector("text=Snapshot 1 terbuka", timeout=60_000)
        seen += _text(page)
        for name in PAGES:
            page.get_by_role("link", name=name).first.click()
            page.wait_for_selector("text=Snapshot ruang kerja", timeout=90_000)
            if name == "Peta desil 1":  # one desa of 43 has families: the operator's
                page.wait_for_function(
                    "() => document.body.innerText.includes('1 / 43')", timeout=60_000
                )
            seen += _text(page)

        page.get_by_role("link", name="Desa prioritas dan sasaran").first.click()
        page.wait_for_selector("text=1. Pilih desa prioritas", timeout=90_000)
        box = page.get_by_label("Jumlah desa teratas")
        box.fill("43")
        box.press("Enter")
        page.get_by_role("button", name="Pilih 43 desa teratas").click()
        page.wait_for_selector("text=Keluarga sasaran", timeout=60_000)
        page.get_by_text("Sertakan data pribadi").click()
        page.wait_for_selector("text=Unduhan akan memuat", timeout=60_000)
        seen += _text(page)
        with page.expect_download(timeout=60_000) as info:
            page.get_by_role("button", name="Unduh keluarga sasaran (CSV)").click()
        path = tmp_path / "sasaran.csv"
        info.value.save_as(path)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "ruang_kerja_operator_desa.png"), full_page=True)
        got = pd.read_csv(path, dtype=str, keep_default_na=False)
        assert len(got) == len(own)  # the operator's own families, with their NIK in clear
        assert set(got["nik"]) == set(own["nik"])

        for crafted in ("/prioritas?desa=61.11.01.2002", "/ruang_kerja?snapshot=1&peran=kabupaten",
                        "/laporan?kode_desa=61.11.02.2001"):  # fmt: skip
            page.goto(srv.url + crafted)
            page.wait_for_selector("text=Masuk dengan akun ruang kerja", timeout=60_000)
            seen += _text(page)
        browser.close()
    leaked = sorted(s for s in secrets if s in seen or s in path.read_text(encoding="utf-8"))
    assert leaked == []
    assert "Traceback" not in log.read_text(errors="replace")
