"""What a planner waits for, measured in a real browser (``make bench-browser``; by hand).

Headless Debian chromium through Playwright (the executable and arguments of
``tests/serve.py``) at 1366x768, median of 5 runs of each step:

- ``buka_pertama``: a fresh server, its first visitor: page open to the drawn desa map;
- ``buka_hangat``: the same on a warm server (a new browser session each run);
- ``klik_desa``: a click on a desa (fresh session) to its panel in the page;
- ``unggah``: an upload of the district's P3KE file (the SINTETIS sample, decompressed, less
  every 50th row so each run has its own figures and no cache answers it) to the redrawn map;
- ``ubah_bobot``: a weight change on the priority page to the page done and the map redrawn;
- ``pilih_teratas``: "Pilih 5 desa teratas" to the page done;
- ``saring_kecamatan``: one kecamatan picked in the filter to the redrawn map;
- ``make_run`` (``--make-run``, slow): ``make run`` on a fresh clone (new venv, pip install)
  until the health check answers.

Where the time goes, per step (medians): ``server_cpu_s`` (CPU seconds of the server process:
the script run), ``ws_kb`` (bytes the page received over Streamlit's websocket),
``pesan_terakhir_s`` (from the action to the last websocket message: server plus transfer)
and ``gambar_s`` (from that message to the drawn map: the browser's work).

Elements are found by what a user reads (button names, labels, the panel's heading) and the
map by its desa polygons (``path.lokus-desa``) in whichever frame holds them, so the script
survives layout changes; the few texts it relies on are constants below.

Figures go to ``bench/browser_latest.json``; ``--save-baseline`` writes
``bench/browser_baseline.json`` instead. When a baseline exists, each step is printed with
its ratio to it (``0.40`` = takes 40 % of the baseline's time).

Usage: ``python bench/bench_browser.py [--runs 5] [--make-run] [--save-baseline]``
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from targeting.priority import BOBOT_BAWAAN, KOMPONEN  # noqa: E402
from tests.serve import CHROMIUM, CHROMIUM_ARGS, free_port, streamlit_server  # noqa: E402

VIEWPORT = {"width": 1366, "height": 768}
BASELINE = ROOT / "bench" / "browser_baseline.json"
LATEST = ROOT / "bench" / "browser_latest.json"
SAMPLE = ROOT / "data" / "kayong_utara" / "p3ke_keluarga_SINTETIS.csv.gz"
PANEL_TEXT = "Keluarga P3KE per desil"  # the heading of a desa's panel
PRIORITY_PATH = "/prioritas"  # st.Page("views/prioritas.py")
WEIGHTS_TEXT = "Bobot skor prioritas"  # the sidebar expander holding the weights
TOP_BUTTON = r"^Pilih \d+ desa teratas"
KECAMATAN_LABEL = "Kecamatan"
KECAMATAN = ["Sukadana", "Simpang Hilir", "Teluk Batang", "Seponti", "Pulau Maya"]
TIMEOUT_S = 180.0
REDRAW_GRACE_S = 4.0  # after the script is done, how long a map redraw is waited for
STABLE_S = 0.3  # "not running" must hold this long: st.rerun() passes through it briefly
STEPS = ("buka_pertama", "buka_hangat", "klik_desa", "unggah", "ubah_bobot",
         "pilih_teratas", "saring_kecamatan", "make_run")  # fmt: skip

_STATE_JS = "() => document.querySelector('[data-testid=stApp]')?.dataset.testScriptState"


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc), NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


_INIT_JS = """(() => {
  // Counts Streamlit's script-state changes and the websocket bytes received, in the page
  // itself (Date.now() timestamps), so no Playwright event can arrive late.
  const B = (window.__bench = { changes: 0, frames: [] });
  const Base = window.WebSocket;
  window.WebSocket = class extends Base {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (e) => {
        const d = e.data;
        const n = d instanceof ArrayBuffer ? d.byteLength : (d.size ?? d.length ?? 0);
        B.frames.push([Date.now(), n]);
      });
    }
  };
  new MutationObserver((records) => { B.changes += records.length; }).observe(document, {
    subtree: true, attributes: true, attributeFilter: ["data-test-script-state"],
  });
})();"""


class Probe:
    """One browser page; what its script runs did and what it received over the websocket."""

    def __init__(self, page, pid: int) -> None:
        self.page = page
        self.pid = pid
        page.add_init_script(_INIT_JS)

    def _bench(self, what: str) -> object:
        try:
            return self.page.evaluate(f"() => window.__bench ? window.__bench.{what} : null")
        except Exception:  # a navigation under way
            return None

    # ---- the map --------------------------------------------------------------------
    def mark_map(self) -> None:
        """Mark the desa polygons drawn now, so a redraw can be told apart."""
        for frame in self.page.frames:
            try:
                frame.evaluate(
                    "() => document.querySelectorAll('path.lokus-desa')"
                    ".forEach(p => p.setAttribute('data-bench-lama', '1'))"
                )
            except Exception:  # a frame going away while it is asked
                continue

    def new_map(self) -> bool:
        """Whether a frame shows desa polygons drawn after :meth:`mark_map`."""
        for frame in self.page.frames:
            try:
                if frame.locator("path.lokus-desa:not([data-bench-lama])").count():
                    return True
            except Exception:
                continue
        return False

    def idle(self) -> bool:
        """Whether Streamlit's script is not running (``data-test-script-state``)."""
        try:
            return self.page.evaluate(_STATE_JS) == "notRunning"
        except Exception:
            return False

    def map_frame(self):
        """The frame holding the desa polygons, and its iframe's box in the page."""
        for frame in self.page.frames:
            try:
                if frame.locator("path.lokus-desa").count():
                    return frame, frame.frame_element().bounding_box()
            except Exception:
                continue
        return None, None

    # ---- one timed action -------------------------------------------------------------
    def measure(
        self,
        action: Callable[[], None],
        done: Callable[[], bool],
        *,
        redraw: bool = True,
        timeout_s: float = TIMEOUT_S,
    ) -> dict[str, float]:
        """Time ``action`` until ``done()`` and, with ``redraw``, a newly drawn map.

        When the script has finished and no new map appears within ``REDRAW_GRACE_S`` (the
        step did not need one), the step ends at the finished script. The script counts as
        finished once its state changed after the action and then stayed "not running" for
        ``STABLE_S`` (the end is the start of that stretch, not its end).
        """
        self.mark_map()
        c0 = self._bench("changes") or 0
        n0 = self._bench("frames.length") or 0
        cpu0 = _cpu_s(self.pid)
        t0 = time.perf_counter()
        wall0 = time.time() * 1000
        action()
        end, idle_at, redraw_at = None, None, None
        while time.perf_counter() - t0 < timeout_s:
            now = time.perf_counter()
            if redraw and redraw_at is None and self.new_map():
                redraw_at = now
            changes = self._bench("changes")
            if not (changes is not None and changes > c0 and done() and self.idle()):
                idle_at = None  # not started, still running, or between two reruns
                time.sleep(0.03)
                continue
            idle_at = idle_at or now
            if now - idle_at >= STABLE_S and (redraw_at or not redraw):
                end = max(idle_at, redraw_at or idle_at)
                break
            if now - idle_at > REDRAW_GRACE_S:  # the step did not redraw the map
                end = idle_at
                break
            time.sleep(0.03)
        if end is None:
            msg = f"step not done after {timeout_s:.0f} s"
            raise TimeoutError(msg)
        frames = self._bench("frames") or []
        wall_end = wall0 + (end - t0) * 1000
        got = [f for f in frames[n0:] if wall0 <= f[0] <= wall_end]
        last = (max((f[0] for f in got), default=wall0) - wall0) / 1000
        return {
            "total_s": end - t0,
            "server_cpu_s": _cpu_s(self.pid) - cpu0,
            "ws_kb": sum(f[1] for f in got) / 1024,
            "pesan_terakhir_s": last,
            "gambar_s": max(end - t0 - last, 0.0),
            "peta_digambar_ulang": float(redraw_at is not None),
        }


def _open(browser, url: str, pid: int) -> tuple[object, Probe, dict[str, float]]:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    probe = Probe(page, pid)
    stats = probe.measure(lambda: page.goto(url, timeout=TIMEOUT_S * 1000), lambda: True)
    return context, probe, stats


def _click_desa(probe: Probe) -> dict[str, float]:
    """Click a desa until its panel shows (a lost click is clicked again and counted)."""
    page = probe.page
    panel = page.get_by_text(PANEL_TEXT, exact=False)
    for lost in range(4):
        frame, box = probe.map_frame()
        point = frame.evaluate(
            """() => {
                for (const p of document.querySelectorAll('path.lokus-desa')) {
                    const r = p.getBoundingClientRect();
                    for (const fx of [0.5, 0.4, 0.6, 0.3, 0.7]) {
                        const x = r.left + r.width * fx, y = r.top + r.height * 0.5;
                        if (r.width > 20 && document.elementFromPoint(x, y) === p) return [x, y];
                    }
                }
                return null;
            }"""
        )
        try:
            stats = probe.measure(
                lambda p=point, b=box: page.mouse.click(b["x"] + p[0], b["y"] + p[1]),
                lambda: panel.count() > 0,
                redraw=False,
                timeout_s=10.0,
            )
            stats["klik_hilang"] = float(lost)
            return stats
        except TimeoutError:
            if lost == 3:
                raise
    msg = "unreachable"
    raise AssertionError(msg)


def _upload_file(workdir: Path, n: int) -> Path:
    """The SINTETIS sample, decompressed, without every 50th data row from row ``n``.

    Each run's file has other bytes and other figures than the embedded sample and the other
    runs, as a planner's own file would: no run is answered from a cache, and the map must be
    sent and drawn anew (identical figures would let Streamlit's message cache skip it).
    """
    lines = gzip.decompress(SAMPLE.read_bytes()).decode("utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    kept = [row for i, row in enumerate(rows) if i % 50 != n % 50]
    path = workdir / f"p3ke_bench_{n}.csv"
    path.write_text("\n".join([header, *kept]) + "\n", encoding="utf-8")
    return path


def _pick_kecamatan(page, name: str) -> None:
    box = page.locator("[data-testid='stSidebar'] [data-testid='stMultiSelect']").filter(
        has_text=KECAMATAN_LABEL
    )
    box.first.locator("input").click()
    page.keyboard.type(name)
    page.get_by_role("option", name=name, exact=True).click()
    page.keyboard.press("Escape")


def _weights_input(page):
    label = next(iter(KOMPONEN.values())).label
    field = page.get_by_label(label, exact=True)
    if not field.count() or not field.first.is_visible():
        page.get_by_text(WEIGHTS_TEXT).first.click()
        field.first.wait_for(state="visible", timeout=30_000)
    return field.first


def _first_visits(browser, runs: int, workdir: Path, out: dict) -> None:
    for i in range(runs):  # the first visitor of a fresh server, each run
        with streamlit_server(workdir / f"dingin_{i}.log") as srv:
            context, _, stats = _open(browser, srv.url, srv.proc.pid)
            out["buka_pertama"].append(stats)
            context.close()


def _opens_and_clicks(browser, url: str, pid: int, runs: int, out: dict) -> None:
    for _ in range(runs):
        context, probe, stats = _open(browser, url, pid)
        out["buka_hangat"].append(stats)
        time.sleep(1.0)  # the map settles, as a user looks before clicking
        try:
            out["klik_desa"].append(_click_desa(probe))
        finally:
            context.close()


def _uploads(browser, url: str, pid: int, runs: int, workdir: Path, out: dict) -> None:
    for i in range(runs):
        context, probe, _ = _open(browser, url, pid)
        page, path = probe.page, _upload_file(workdir, i)
        upload = page.locator("[data-testid='stSidebar'] input[type='file']").first
        try:
            out["unggah"].append(probe.measure(
                lambda u=upload, f=path: u.set_input_files(f),
                lambda pg=page, f=path: f.name in pg.inner_text("body"),
            ))  # fmt: skip
        finally:
            context.close()


def _filters(browser, url: str, pid: int, runs: int, out: dict) -> None:
    for i in range(runs):
        context, probe, _ = _open(browser, url, pid)
        kec = KECAMATAN[i % len(KECAMATAN)]

        def _pick(pg=probe.page, k=kec) -> None:
            _pick_kecamatan(pg, k)

        try:
            out["saring_kecamatan"].append(probe.measure(_pick, lambda: True))
        finally:
            context.close()


def _priority(browser, url: str, pid: int, runs: int, out: dict) -> None:
    context, probe, _ = _open(browser, url + PRIORITY_PATH, pid)
    try:
        page = probe.page
        field = _weights_input(page)
        first = next(iter(KOMPONEN))
        for i in range(runs):
            value = BOBOT_BAWAAN[first] + 5 * (i + 1)

            def _type(f=field, v=value) -> None:
                f.fill(f"{v:g}")
                f.press("Enter")

            out["ubah_bobot"].append(probe.measure(_type, lambda: True))
        button = page.get_by_role("button", name=re.compile(TOP_BUTTON))
        for _ in range(runs):
            out["pilih_teratas"].append(probe.measure(button.first.click, lambda: True))
    finally:
        context.close()


def browser_steps(runs: int, workdir: Path) -> tuple[dict[str, list[dict]], dict[str, str]]:
    """Run every browser step ``runs`` times; return the raw figures and any step's error.

    A step that fails (e.g. a label changed on another branch) is reported and the others
    still run, so a rerun on changed code measures what it can.
    """
    from playwright.sync_api import sync_playwright

    out: dict[str, list[dict[str, float]]] = {s: [] for s in STEPS if s != "make_run"}
    errors: dict[str, str] = {}

    def attempt(name: str, fn: Callable[..., None], *args: object) -> None:
        try:
            fn(*args)
        except Exception as err:  # report, go on with the next step
            errors[name] = f"{type(err).__name__}: {str(err).splitlines()[0][:300]}"
            print(f"{name}: FAILED {errors[name]}", flush=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        attempt("buka_pertama", _first_visits, browser, runs, workdir, out)
        with streamlit_server(workdir / "hangat.log") as srv:
            url, pid = srv.url, srv.proc.pid
            context, _, _ = _open(browser, url, pid)  # warm the server (not timed)
            context.close()
            attempt("buka_hangat+klik_desa", _opens_and_clicks, browser, url, pid, runs, out)
            attempt("unggah", _uploads, browser, url, pid, runs, workdir, out)
            attempt("saring_kecamatan", _filters, browser, url, pid, runs, out)
            attempt("ubah_bobot+pilih_teratas", _priority, browser, url, pid, runs, out)
        browser.close()
    for step, runs_ in out.items():
        times = ", ".join(f"{r['total_s']:.2f}" for r in runs_)
        print(f"{step}: {times} s", flush=True)
    return out, errors


def make_run_fresh_clone(workdir: Path) -> dict[str, float]:
    """``make run`` on a fresh clone until ``/_stcore/health`` answers (venv, pip, start)."""
    clone = workdir / "clone"
    subprocess.run(["git", "clone", "--quiet", "--local", str(ROOT), str(clone)], check=True)
    port = free_port()
    log = (workdir / "make_run.log").open("wb")
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        ["make", "run", f"PORT={port}"], cwd=clone, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True, env={**os.environ, "STREAMLIT_SERVER_HEADLESS": "true"},
    )  # fmt: skip
    marks: dict[str, float] = {}
    try:
        while time.perf_counter() - t0 < 1800:
            if "pip" not in marks and (clone / ".venv" / "bin" / "python").exists():
                marks["pip"] = time.perf_counter() - t0
            if "streamlit" not in marks and (clone / ".venv" / ".req-stamp").exists():
                marks["streamlit"] = time.perf_counter() - t0
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
            if proc.poll() is not None:
                msg = f"make run ended early, see {workdir / 'make_run.log'}"
                raise RuntimeError(msg)
        total = time.perf_counter() - t0
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)
        log.close()
    return {
        "total_s": total,
        "venv_s": marks.get("pip", float("nan")),
        "pip_install_s": marks.get("streamlit", float("nan")) - marks.get("pip", float("nan")),
        "streamlit_start_s": total - marks.get("streamlit", float("nan")),
    }


def medians(raw: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Median of every figure of every step."""
    out = {}
    for step, runs in raw.items():
        if runs:
            keys = runs[0].keys()
            out[step] = {k: statistics.median(r[k] for r in runs) for k in keys}
            out[step]["n"] = len(runs)
    return out


def table(summary: dict[str, dict[str, float]], baseline: dict | None) -> str:
    """Markdown table of the medians, with the ratio to the baseline when given."""
    base = (baseline or {}).get("median", {})
    lines = [
        "| langkah | median (s) | rasio ke acuan | CPU server (s) | websocket (kB) | "
        "sampai pesan terakhir (s) | gambar (s) | n |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for step in STEPS:
        m = summary.get(step)
        if not m:
            continue
        ratio = ""
        if step in base and base[step]["total_s"] > 0:
            ratio = f"{m['total_s'] / base[step]['total_s']:.2f}"
        f = lambda k, d=2, m=m: f"{m[k]:.{d}f}" if k in m else ""  # noqa: E731
        lines.append(
            f"| {step} | {m['total_s']:.2f} | {ratio} | {f('server_cpu_s')} | {f('ws_kb', 0)} "
            f"| {f('pesan_terakhir_s')} | {f('gambar_s')} | {int(m['n'])} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--make-run", action="store_true", help="also time make run (slow)")
    parser.add_argument("--only-make-run", action="store_true")
    parser.add_argument("--save-baseline", action="store_true")
    args = parser.parse_args()
    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else None
    with tempfile.TemporaryDirectory(prefix="lokus-bench-") as tmp:
        workdir = Path(tmp)
        raw, errors = ({}, {}) if args.only_make_run else browser_steps(args.runs, workdir)
        if args.make_run or args.only_make_run:
            raw["make_run"] = [make_run_fresh_clone(workdir)]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()  # fmt: skip
    result = {
        "diukur": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "commit": commit,
        "mesin": f"{platform.machine()}, {os.cpu_count()} core, load {os.getloadavg()[0]:.1f}",
        "median": medians(raw),
        "mentah": raw,
        "galat": errors,
    }
    stamp = f"{result['diukur']} · {commit} · load {os.getloadavg()[0]:.1f}"
    result["langkah_diukur"] = dict.fromkeys(raw, stamp)
    target = BASELINE if args.save_baseline else LATEST
    if args.save_baseline and baseline:  # keep steps measured earlier (e.g. make run alone)
        result["median"] = {**baseline.get("median", {}), **result["median"]}
        result["mentah"] = {**baseline.get("mentah", {}), **result["mentah"]}
        result["langkah_diukur"] = {
            **baseline.get("langkah_diukur", {}),
            **result["langkah_diukur"],
        }
    target.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"\n{result['diukur']} · {commit} · {result['mesin']} -> {target.name}")
    print(table(result["median"], None if args.save_baseline else baseline))
    for step, err in errors.items():
        print(f"not measured: {step}: {err}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
