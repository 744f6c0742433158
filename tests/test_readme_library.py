"""The README's "Using Lokus as a library" block runs as written (issue 15)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl

README = Path(__file__).resolve().parents[1] / "README.md"


def _block() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Using Lokus as a library", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, flags=re.S)
    assert match is not None
    return match.group(1)


def test_the_library_block_is_short() -> None:
    lines = [line for line in _block().splitlines() if line.strip()]
    assert len(lines) <= 12  # five imports and seven lines of work


def test_the_library_block_runs(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile(_block(), "README.md", "exec"), {})
    rows_in, _, used, _, rejected = capsys.readouterr().out.split()
    assert int(rows_in) == int(used) + int(rejected) > 0
    out = tmp_path / "hasil"
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["rows_in"] == int(rows_in)
    assert {"desa.geojson", "rejected.csv", "pockets.geojson"} <= {p.name for p in out.iterdir()}
    workbook = openpyxl.load_workbook(out / "sasaran.xlsx", read_only=True)
    assert "ringkasan" in workbook.sheetnames
