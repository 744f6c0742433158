"""The error catalogue: every error raised in geo/ and targeting/ is a Lokus error (issue 15).

An AST scan lists each ``raise`` in the pure-logic packages. A raised class must come from
:mod:`geo.errors` and subclass :class:`geo.errors.LokusError`; the few built-in exceptions are
raised only for a caller's programming error, and each such use is listed below with why.
"""

from __future__ import annotations

import ast
import builtins
import inspect
from pathlib import Path

import pytest

import geo.errors as errors
from geo.errors import LedgerError, LokusError, MissingColumnsError, RowLimitError

ROOT = Path(__file__).resolve().parents[1]

BUILTIN_USES = {
    ("geo/households.py", "ValueError"): "desil_scale argument outside 'auto', 'p3ke', 'dtsen'",
    ("geo/sheets.py", "ValueError"): "internal: caught at once and reported as InputSchemaError",
    ("geo/codes.py", "ValueError"): "format_kode_desa / region prefix of a caller, not of a file",
    ("targeting/cli.py", "ValueError"): "argparse option value; the CLI prints it and exits 2",
    ("targeting/pockets.py", "ValueError"): "PocketSettings fields outside their ranges",
    ("targeting/export.py", "ValueError"): "a workbook sheet name the caller chose",
    ("targeting/maps.py", "TypeError"): "a map layer kind without a renderer (a programming error)",
    ("targeting/mapspec.py", "ValueError"): "strategy code outside Inpres 1-3 / P1-P4 (a caller's)",
    (
        "targeting/mapspec.py",
        "KeyError",
    ): "a layer or indicator name not in the spec (mapping lookup)",
    ("targeting/strategies.py", "KeyError"): "strategy code outside a scheme (mapping lookup)",
    ("targeting/engine_dask.py", "ValueError"): "partisi argument outside PARTISI",
    ("targeting/snapshot.py", "ValueError"): "engine / partisi argument outside its choices",
}
"""(module, built-in class) pairs allowed, with the reason: a caller's argument, never a file."""


def _raised() -> list[tuple[str, int, str]]:
    """Every ``raise Name(...)`` / ``raise Name`` in geo/ and targeting/ as (file, line, name)."""
    found = []
    for path in sorted([*ROOT.glob("geo/*.py"), *ROOT.glob("targeting/*.py")]):
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Raise) or node.exc is None:
                continue
            exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(exc, ast.Name) and exc.id[:1].isupper():  # a class, not `raise err`
                found.append((rel, node.lineno, exc.id))
    return found


def test_the_scan_finds_raises() -> None:
    names = {name for _, _, name in _raised()}
    assert {"InputSchemaError", "RegionError", "AnalysisError"} <= names


@pytest.mark.parametrize(("path", "line", "name"), _raised())
def test_every_raised_class_is_catalogued(path: str, line: int, name: str) -> None:
    if hasattr(builtins, name):
        assert (path, name) in BUILTIN_USES, f"{path}:{line} raises built-in {name}: not listed"
        return
    cls = getattr(errors, name, None)
    assert cls is not None, f"{path}:{line} raises {name}, which is not in geo/errors.py"
    assert issubclass(cls, LokusError)


def test_no_error_class_is_defined_outside_the_catalogue() -> None:
    for path in [*ROOT.glob("geo/*.py"), *ROOT.glob("targeting/*.py")]:
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {b.id for b in node.bases if isinstance(b, ast.Name)}
                assert not bases & {"Exception", "ValueError", "LokusError"}, (
                    f"{path.name}: error class {node.name} belongs in geo/errors.py"
                )


def test_input_errors_are_value_errors() -> None:
    classes = [
        c for _, c in inspect.getmembers(errors, inspect.isclass) if c.__module__ == errors.__name__
    ]
    for cls in classes:
        assert issubclass(cls, LokusError)
        if cls not in (LokusError, LedgerError):
            assert issubclass(cls, ValueError), cls


def test_shared_messages_are_written_once() -> None:
    err = MissingColumnsError("k.csv", ["kode_desa"], present="a, b", accepted="kode_desa: kode")
    assert str(err) == (
        "k.csv: kolom wajib tidak ditemukan: kode_desa. Kolom yang ada: a, b. "
        "Ejaan yang diterima: kode_desa: kode."
    )
    assert err.en.startswith("k.csv: required columns not found: kode_desa. Columns present")
    assert str(MissingColumnsError("d.csv", ["x"])) == "d.csv: kolom wajib tidak ditemukan: x"
    big = RowLimitError(
        "k.csv", "sekitar 2,000,001 baris", "about 2,000,001 rows", 2_000_000, "berkas"
    )
    assert "2.000.000 baris per berkas" in str(big)
    assert "LOKUS_MAX_BARIS" in str(big)
    assert "2,000,000 rows per file" in big.en
    for text in ("kolom wajib tidak ditemukan", "LOKUS_MAX_BARIS."):
        users = [
            p.name
            for p in [*ROOT.glob("geo/*.py"), *ROOT.glob("targeting/*.py")]
            if text in p.read_text(encoding="utf-8")
        ]
        assert users == ["errors.py"], (text, users)


def test_every_listed_builtin_use_still_exists() -> None:
    used = {(path, name) for path, _, name in _raised() if hasattr(builtins, name)}
    assert set(BUILTIN_USES) - used == set(), "drop the stale entries from BUILTIN_USES"
