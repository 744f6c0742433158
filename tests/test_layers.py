"""Pure logic stays free of the UI: ruff's banned-api rule is configured and bites."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--select", "TID251", *args],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_geo_and_targeting_do_not_import_streamlit():
    proc = _ruff("geo", "targeting")
    assert proc.returncode == 0, proc.stdout


def test_the_rule_catches_a_streamlit_import(tmp_path):
    bad = ROOT / "targeting" / "_tmp_banned_probe.py"
    bad.write_text("import streamlit as st\n")
    try:
        proc = _ruff(str(bad.relative_to(ROOT)))
    finally:
        bad.unlink()
    assert proc.returncode == 1
    assert "TID251" in proc.stdout


def test_views_may_import_streamlit():
    assert _ruff("app.py", "views").returncode == 0
