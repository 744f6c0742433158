"""Every number the CLI writes, held fixed across refactoring (issue 15).

The fingerprint in ``tests/data/fingerprint.json`` was taken from the CLI before the data-core
redesign: the embedded run (with a top-5 target list) and a run on a messy household file
(coordinates swapped, in degrees-minutes-seconds, at 0,0; blank codes matched by name; desil
labels) with a messy register (Permendagri tags, amounts with scale words, loci on separate lines,
names instead of codes, unreadable rows). Counts, shares, statistics, labels, scores, ranks,
matrix cells and row accounting must stay equal; sentences (text over 40 characters) may be
reworded, so only their presence is compared. Columns added later are allowed; a column or a
file that disappears, or a value that changes, fails.

Regenerate only for a change that is meant to alter results, and say so in the commit:
``LOKUS_FINGERPRINT_REGEN=1 .venv/bin/python -m pytest tests/test_fingerprint.py``.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import os
from pathlib import Path

import pandas as pd
import pytest

from targeting.cli import main

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "kayong_utara"
STORE = Path(__file__).resolve().parent / "data" / "fingerprint.json"

# Text that changes from run to run or from machine to machine, never a result.
VOLATILE_KEYS = {"dibuat_utc", "dibuat", "lokus_versi", "versi", "path", "jalur", "waktu"}
VOLATILE_COLUMNS = {"dibuat", "dibuat_utc"}
SENTENCE = 40  # characters: longer text is a sentence that may be reworded


def _messy_households(path: Path) -> None:
    """300 embedded families with faults a planner's file really has (all SINTETIS)."""
    with gzip.open(DATA / "p3ke_keluarga_SINTETIS.csv.gz", "rt", encoding="utf-8") as f:
        df = pd.read_csv(f, dtype=str, keep_default_na=False).iloc[:300].copy()
    lat, lon = df["lintang"].copy(), df["bujur"].copy()
    swap = df.index[::17]
    df.loc[swap, "lintang"], df.loc[swap, "bujur"] = lon[swap], lat[swap]
    zero = df.index[5::41]
    df.loc[zero, ["lintang", "bujur"]] = "0"

    def dms(value: str, pos: str, neg: str) -> str:
        x = float(value)
        d = abs(x)
        deg, minutes = int(d), (d - int(d)) * 60
        return f"{deg}°{int(minutes)}'{(minutes - int(minutes)) * 60:.1f}\"{neg if x < 0 else pos}"

    for i in df.index[3::23]:
        if i in set(swap) | set(zero) or not df.loc[i, "lintang"]:
            continue
        df.loc[i, "lintang"] = dms(df.loc[i, "lintang"], "LU", "LS")
        df.loc[i, "bujur"] = dms(df.loc[i, "bujur"], "BT", "BB")
    df.loc[df.index[7::19], "kode_kemdagri"] = ""  # matched by desa name within its kecamatan
    labels = df.index[11::13]
    df.loc[labels, "desil_kesejahteraan"] = "Desil " + df.loc[labels, "desil_kesejahteraan"]
    df.loc[df.index[13::29], "desil_kesejahteraan"] = ""  # rejected
    df.to_csv(path, index=False, sep=";")


def _messy_register(path: Path) -> None:
    """The embedded register with the kinds of mess a district's list really has (SINTETIS)."""
    reg = pd.read_csv(DATA / "sub_kegiatan_SINTETIS.csv", dtype=str, keep_default_na=False)
    reg = reg.iloc[:30].copy()
    reg.loc[reg.index[::4], "strategi"] = reg.loc[reg.index[::4], "strategi"].map(
        {"1": "P1", "2": "P3", "3": "P4"}
    )
    reg.loc[reg.index[1::5], "pagu"] = "Rp 0,750 M"
    reg.loc[reg.index[2::7], "pagu"] = "2,500 jt"
    reg.loc[reg.index[3], "pagu"] = "Rp 1.250 M"  # ambiguous: rejected
    reg.loc[reg.index[4], "lokus"] = "Sutera\nPampang Harapan\n61.11.01.2003"
    reg.loc[reg.index[6], "lokus"] = "Desa Tidak Ada"  # matches no desa: rejected
    reg.loc[reg.index[8], "strategi"] = "9"  # rejected
    reg.to_csv(path, index=False)


def _run(out: Path, args: list[str]) -> None:
    code = main([*args, "--out", str(out)])
    assert code == 0, f"CLI exit {code}"


def _value(v: object) -> object:
    if isinstance(v, float):
        return None if math.isnan(v) else round(v, 9)
    if isinstance(v, str) and len(v) > SENTENCE:
        return "<teks>"
    return v


def _table(df: pd.DataFrame) -> dict[str, list[object]]:
    return {
        str(c): [_value(v) for v in df[c].tolist()] for c in df.columns if c not in VOLATILE_COLUMNS
    }


def _json(obj: object) -> object:
    if isinstance(obj, dict):
        return {k: _json(v) for k, v in obj.items() if k not in VOLATILE_KEYS}
    if isinstance(obj, list):
        return [_json(v) for v in obj]
    return _value(obj)


def _geojson(path: Path) -> dict[str, list[object]]:
    feats = json.loads(path.read_text(encoding="utf-8"))["features"]
    props = pd.DataFrame([f["properties"] for f in feats])
    return _table(props)


def _csv(path: Path) -> dict[str, list[object]]:
    text = path.read_text(encoding="utf-8-sig")
    if not text.strip():
        return {}
    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    return _table(df)


def fingerprint(out: Path) -> dict[str, object]:
    """Every result the CLI wrote into ``out``, as plain JSON values."""
    fp: dict[str, object] = {}
    for p in sorted(out.iterdir()):
        if p.suffix == ".csv":
            fp[p.name] = _csv(p)
        elif p.suffix == ".geojson":
            fp[p.name] = _geojson(p)
        elif p.name == "report.json":
            rep = json.loads(p.read_text(encoding="utf-8"))
            rep.pop(
                "masukan", None
            )  # file paths and dates; hashes are checked by the provenance tests
            fp[p.name] = _json(rep)
    return fp


def _runs(tmp: Path) -> dict[str, object]:
    _run(tmp / "bawaan", ["run", "--top", "5"])
    hh, reg = tmp / "keluarga_berantakan.csv", tmp / "register_berantakan.csv"
    _messy_households(hh)
    _messy_register(reg)
    _run(tmp / "berantakan", ["run", "--households", str(hh), "--register", str(reg), "--top", "3"])
    return {
        "bawaan": fingerprint(tmp / "bawaan"),
        "berantakan": fingerprint(tmp / "berantakan"),
    }


def _number(v: object) -> object:
    """A CSV cell that reads as a number compares as one: ``41.0`` and ``41`` are one count."""
    if isinstance(v, str) and v.strip():
        try:
            return float(v)
        except ValueError:
            return v
    return v


def _compare(path: str, want: object, got: object, diffs: list[str]) -> None:
    if len(diffs) > 30:
        return
    if isinstance(want, dict):
        if not isinstance(got, dict):
            diffs.append(f"{path}: was a mapping, now {type(got).__name__}")
            return
        for k, v in want.items():
            if k not in got:
                diffs.append(f"{path}/{k}: missing")
            else:
                _compare(f"{path}/{k}", v, got[k], diffs)
        return
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            n = len(got) if isinstance(got, list) else type(got).__name__
            diffs.append(f"{path}: {len(want)} values before, {n} now")
            return
        for i, (a, b) in enumerate(zip(want, got, strict=True)):
            _compare(f"{path}[{i}]", a, b, diffs)
        return
    want, got = _number(want), _number(got)
    if isinstance(want, float) and isinstance(got, int | float):
        if not math.isclose(want, got, rel_tol=1e-9, abs_tol=1e-9):
            diffs.append(f"{path}: {want!r} before, {got!r} now")
    elif want != got:
        diffs.append(f"{path}: {want!r} before, {got!r} now")


@pytest.mark.slow
def test_cli_numbers_unchanged(tmp_path: Path) -> None:
    got = _runs(tmp_path)
    if os.environ.get("LOKUS_FINGERPRINT_REGEN") == "1":
        STORE.parent.mkdir(parents=True, exist_ok=True)
        STORE.write_text(json.dumps(got, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        pytest.skip(f"fingerprint written to {STORE}")
    want = json.loads(STORE.read_text(encoding="utf-8"))
    diffs: list[str] = []
    _compare("", want, json.loads(json.dumps(got, ensure_ascii=False)), diffs)
    assert not diffs, "CLI results changed:\n" + "\n".join(diffs[:30])


def test_compare_finds_a_changed_value() -> None:
    """The comparison itself bites: a changed count, a missing column, a lost row."""
    want = {"a.csv": {"n": [1, 2], "x": [0.5]}}
    diffs: list[str] = []
    _compare("", want, {"a.csv": {"n": [1, 3], "x": [0.5]}}, diffs)
    _compare("", want, {"a.csv": {"n": [1, 2]}}, diffs)
    _compare("", want, {"a.csv": {"n": [1], "x": [0.5]}}, diffs)
    assert len(diffs) == 3
    ok: list[str] = []
    _compare("", want, {"a.csv": {"n": [1, 2], "x": [0.5 + 1e-12], "baru": [9]}}, ok)
    _compare("", {"c": ["41.0", "a"]}, {"c": ["41", "a"]}, ok)  # written as a whole number
    assert ok == []
    _compare("", {"c": ["41.0"]}, {"c": ["42"]}, diffs)
    assert len(diffs) == 4
    assert ok == []
