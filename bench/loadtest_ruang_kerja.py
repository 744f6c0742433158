"""Load test of the workspace (issue 18): 20 users of 20 different desa at once, PostgreSQL.

Starts a throwaway PostgreSQL + PostGIS cluster (tests/pg_cluster.py), imports the Kayong
Utara SYNTHETIC snapshot into it, adds one desa operator per desa (20 desa), starts
``streamlit run app.py`` on that back end, then drives one headless-Chromium context per user
(Debian's chromium through Playwright), all at the same time:

Users arrive ``--stagger`` seconds apart (default 3; 0 = all in the same instant), then all
work at the same time:

1. log in (page ready when the sidebar names the user),
2. open snapshot 1 on the "Ruang kerja" page,
3. go to "Desa prioritas dan sasaran", choose all 43 desa, tick personal data (page ready
   when the target table shows),
4. download the target list (CSV) and check every family in it is of the user's own desa.

Reports p50/p95 per step, errors, and sessions that saw another desa's family (must be 0),
and writes them into ``bench/LOADTEST.md`` (its own section; the rest of the file is kept).
Figures are measured, never asserted. Usage:
``python bench/loadtest_ruang_kerja.py [--sessions 20] [--out bench/LOADTEST.md]``
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.region import default_region  # noqa: E402
from targeting.ruang_kerja import Cakupan, RuangKerja  # noqa: E402
from targeting.ruang_kerja.pengguna import tambah_pengguna  # noqa: E402
from targeting.snapshot import load_snapshot  # noqa: E402
from tests import pg_cluster  # noqa: E402
from tests.serve import CHROMIUM, CHROMIUM_ARGS, streamlit_server  # noqa: E402

TIMEOUT_MS = 400_000
BEGIN, END = "<!-- ruang-kerja: begin -->", "<!-- ruang-kerja: end -->"
PASSWORD = "sandi-beban-uji"


@dataclass
class User:
    name: str
    kode: str
    steps: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    foreign: int = 0
    families: int = 0
    redownloads: list[str] = field(default_factory=list)


async def _session(browser, url: str, user: User, tmp: Path, delay: float) -> None:
    await asyncio.sleep(delay)
    ctx = await browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = await ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        t = time.perf_counter()
        await page.goto(url)
        await page.get_by_label("Nama pengguna").fill(user.name)
        await page.get_by_label("Kata sandi").fill(PASSWORD)
        await page.get_by_role("button", name="Masuk").click()
        await page.wait_for_selector("text=Masuk sebagai")
        user.steps["masuk"] = time.perf_counter() - t
        t = time.perf_counter()
        await page.get_by_role("link", name="Ruang kerja").first.click()
        await page.wait_for_selector("text=Snapshot tersimpan")
        await page.get_by_role("button", name="Buka").click()
        await page.wait_for_selector("text=Snapshot 1 terbuka")
        user.steps["buka snapshot"] = time.perf_counter() - t
        t = time.perf_counter()
        await page.get_by_role("link", name="Desa prioritas dan sasaran").first.click()
        await page.wait_for_selector("text=1. Pilih desa prioritas")
        box = page.get_by_label("Jumlah desa teratas")
        await box.fill("43")
        await box.press("Enter")
        await page.get_by_role("button", name="Pilih 43 desa teratas").click()
        await page.wait_for_selector("text=Keluarga sasaran")
        await page.get_by_text("Sertakan data pribadi").click()
        await page.wait_for_selector("text=Unduhan akan memuat")
        user.steps["daftar sasaran"] = time.perf_counter() - t
        t = time.perf_counter()
        path = tmp / f"{user.name}.csv"
        for attempt in range(3):  # as bench/loadtest.py: a download canceled under load is retried
            try:
                async with page.expect_download() as info:
                    await page.get_by_role("button", name="Unduh keluarga sasaran (CSV)").click()
                await (await info.value).save_as(path)
                break
            except Exception as err:
                if attempt == 2:
                    raise
                user.redownloads.append(str(err).splitlines()[0][:100])
                await asyncio.sleep(1.0)
        user.steps["unduh"] = time.perf_counter() - t
        got = pd.read_csv(path, dtype=str, keep_default_na=False)
        user.families = len(got)
        user.foreign = int((got["kode_desa"] != user.kode).sum())
    except Exception as err:  # a bench records every failure and goes on
        user.errors.append(f"{type(err).__name__}: {str(err).splitlines()[0][:160]}")
    finally:
        await ctx.close()


async def _drive(url: str, users: list[User], tmp: Path, stagger: float) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        await asyncio.gather(
            *(_session(browser, url, u, tmp, i * stagger) for i, u in enumerate(users))
        )
        await browser.close()


def _prepare(pg, n: int, folder: Path) -> tuple[str, str, list[User]]:
    url = pg.new_database()
    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    rk = RuangKerja(url, key=key, folder=folder)
    snap = load_snapshot(default_region())
    rk.impor(snap, Cakupan.semua("beban"), nama="Beban")
    counts = snap.placement.keluarga["kode_desa"].value_counts()
    users = []
    for i, kode in enumerate(sorted(counts.index)[:n]):
        user = User(f"op{i:02d}", kode)
        tambah_pengguna(rk, user.name, PASSWORD, "desa", kode, oleh=Cakupan("beban", "admin"))
        users.append(user)
    rk.close()
    return url, key, users


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def _report(users: list[User], wall: float, load: str, stagger: float) -> str:
    lines = [
        BEGIN,
        "## Workspace: users of different desa on PostgreSQL (`bench/loadtest_ruang_kerja.py`)",
        "",
        f"{len(users)} concurrent headless-Chromium sessions, one desa operator each (20 different "
        f"desa), one server, PostgreSQL 15 + PostGIS (throwaway cluster), SYNTHETIC Kayong Utara "
        f"snapshot. Machine: {platform.machine()}, 2 cores, load average at start {load}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; wall time {wall:.0f} s. "
        f"Users arrive {stagger:g} s apart, then all work at once.",
        "",
        "| step | p50 s | p95 s | sessions |",
        "| --- | ---: | ---: | ---: |",
    ]
    for step in ("masuk", "buka snapshot", "daftar sasaran", "unduh"):
        vals = [u.steps[step] for u in users if step in u.steps]
        if vals:
            lines.append(
                f"| {step} | {statistics.median(vals):.1f} | {_pct(vals, 0.95):.1f} | {len(vals)} |"
            )
    errors = [f"{u.name}: {e}" for u in users for e in u.errors]
    foreign = sum(1 for u in users if u.foreign)
    lines += [
        "",
        f"Errors: {len(errors)}. Sessions that saw another desa's family: {foreign}. "
        f"Families downloaded per session: {min((u.families for u in users), default=0)}-"
        f"{max((u.families for u in users), default=0)} (each its own desa only).",
        f"Downloads repeated after a failed first try: {sum(len(u.redownloads) for u in users)}"
        + (
            f" ({'; '.join(sorted({d for u in users for d in u.redownloads}))})."
            if any(u.redownloads for u in users)
            else "."
        ),
        *(f"- {e}" for e in errors),
        END,
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--stagger", type=float, default=3.0, help="seconds between arrivals")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "LOADTEST.md")
    args = ap.parse_args()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    with tempfile.TemporaryDirectory() as tmp, pg_cluster.cluster() as pg:
        url, key, users = _prepare(pg, args.sessions, Path(tmp))
        env = {"LOKUS_DATABASE_URL": url, "LOKUS_WORKSPACE_KEY": key, "LOKUS_WORKSPACE": tmp}
        with streamlit_server(Path(tmp) / "server.log", env=env) as srv:
            t = time.perf_counter()
            asyncio.run(_drive(srv.url, users, Path(tmp), args.stagger))
            wall = time.perf_counter() - t
    text = _report(users, wall, load, args.stagger)
    print(text)
    old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    if BEGIN in old:
        old = old[: old.index(BEGIN)] + old[old.index(END) + len(END) :].lstrip("\n")
    args.out.write_text(old.rstrip("\n") + "\n\n" + text, encoding="utf-8")


if __name__ == "__main__":
    main()
