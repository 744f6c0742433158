"""Shared fixtures: small synthetic geodata built in code, and the embedded-data run."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geo.region import default_region
from targeting.pipeline import Result, run

LON0, LAT0, STEP = 109.90, -1.20, 0.01  # near Sukadana; 0.01 degree is about 1.1 km


@pytest.fixture(scope="session", autouse=True)
def _no_team_password() -> object:
    """Run the suite in single-user local mode even if the shell sets LOKUS_PASSWORD
    (the access-control tests set it themselves)."""
    saved = os.environ.pop("LOKUS_PASSWORD", None)
    yield
    if saved is not None:
        os.environ["LOKUS_PASSWORD"] = saved


@pytest.fixture(scope="session", autouse=True)
def _own_workspace(tmp_path_factory) -> object:
    """Keep the suite's workspace (issue 18) in a temporary folder, never ./ruang_kerja, and
    on SQLite even if the shell sets LOKUS_DATABASE_URL."""
    saved = {k: os.environ.pop(k, None) for k in ("LOKUS_WORKSPACE", "LOKUS_DATABASE_URL")}
    os.environ["LOKUS_WORKSPACE"] = str(tmp_path_factory.mktemp("ruang_kerja"))
    yield
    os.environ.pop("LOKUS_WORKSPACE", None)
    os.environ.update({k: v for k, v in saved.items() if v is not None})


# near Sukadana; 0.01 degree is about 1.1 km


@pytest.fixture
def squares() -> gpd.GeoDataFrame:
    """Five 0.01-degree squares in EPSG:4326 with exact edges, as a boundary layer.

    Layout (codes 61.11.01.200x; the fifth in kecamatan 02, apart from the rest)::

        [2001][2002]
        [2003][2004]          [02.2001]
    """

    def cell(i: int, j: int):
        x0, y0 = round(LON0 + i * STEP, 9), round(LAT0 + j * STEP, 9)
        x1, y1 = round(LON0 + (i + 1) * STEP, 9), round(LAT0 + (j + 1) * STEP, 9)
        return box(x0, y0, x1, y1)

    cells = {
        "61.11.01.2001": cell(0, 1),
        "61.11.01.2002": cell(1, 1),
        "61.11.01.2003": cell(0, 0),
        "61.11.01.2004": cell(1, 0),
        "61.11.02.2001": cell(5, 0),
    }
    return gpd.GeoDataFrame(
        {
            "kode_desa": list(cells),
            "desa": ["Satu", "Dua", "Tiga", "Empat", "Lima"],
            "kecamatan": ["Kec A"] * 4 + ["Kec B"],
        },
        geometry=list(cells.values()),
        crs="EPSG:4326",
    )


def households(rows: list[dict[str, object]]) -> pd.DataFrame:
    """A text household table like :func:`geo.io.read_table` returns."""
    df = pd.DataFrame(rows).astype("string")
    df["_baris"] = range(2, len(df) + 2)
    return df


def assert_accounting(result: Result) -> None:
    """Every input row is used or rejected, never both, never neither."""
    assert result.rows_in == result.rows_used + result.rows_rejected
    members = result.placement.keluarga["_baris_semua"].astype(str).str.split(";")
    used = [int(b) for row in members for b in row]
    rejected = result.ditolak["baris"].astype(int).tolist()
    assert len(set(used)) == len(used)
    assert len(set(rejected)) == len(rejected)
    assert not set(used) & set(rejected)
    assert len(used) + len(rejected) == result.rows_in


@pytest.fixture(scope="session")
def embedded() -> Result:
    """The pipeline on the embedded Kayong Utara data (computed once per test session)."""
    return run(default_region())


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    from tests.serve import CHROMIUM, CHROMIUM_ARGS

    assert Path(CHROMIUM).exists(), "Debian chromium missing: run `make test` (it installs it)"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
