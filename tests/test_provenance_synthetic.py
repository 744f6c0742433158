"""The synthetic banner follows the data's provenance, never a file name (issue 14, s2)."""

import shutil
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo.errors import RegionError
from geo.region import default_region, load_region
from targeting.pipeline import run

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "kayong_utara"


def _real_region(tmp: Path, *, p3ke_name: str = "p3ke_2025.csv", extra: str = "") -> Path:
    """A region whose default data carry no synthetic marker (as a real district's would)."""
    shutil.copy(SAMPLE / "kayong_utara_desa.geojson", tmp / "desa.geojson")
    fam = pd.read_csv(SAMPLE / "p3ke_keluarga_SINTETIS.csv.gz", dtype=str, nrows=3000)
    fam.drop(columns="SINTETIS").to_csv(tmp / p3ke_name, index=False)
    den = pd.read_csv(SAMPLE / "keluarga_desa_SINTETIS.csv", dtype=str)
    den.assign(sumber="Dukcapil semester II 2024").to_csv(tmp / "keluarga_desa.csv", index=False)
    toml = tmp / "region.toml"
    toml.write_text(
        "[region]\n"
        'nama = "Kabupaten Contoh"\nkode = "61.11"\nbatas_desa = "desa.geojson"\n'
        f'keluarga_p3ke = "{p3ke_name}"\nkeluarga_desa = "keluarga_desa.csv"\n{extra}',
        encoding="utf-8",
    )
    return toml


def test_embedded_defaults_are_synthetic_by_region_toml():
    region = default_region()
    assert region.sintetis == {"keluarga_p3ke", "keluarga_desa", "register"}
    result = run(region=region)
    for key in ("keluarga_p3ke", "keluarga_desa", "register"):
        assert result.provenance.input(key).sintetis is True


def test_a_real_regions_default_data_are_not_synthetic(tmp_path):
    result = run(region=load_region(_real_region(tmp_path)))
    assert result.provenance.input("keluarga_p3ke").sintetis is False
    assert result.provenance.input("keluarga_desa").sintetis is False


def test_the_file_name_is_no_evidence(tmp_path):
    """A real file called ..._SINTETIS.csv is real; a marked file with a plain name is not."""
    region = load_region(_real_region(tmp_path, p3ke_name="p3ke_SINTETIS_lama.csv"))
    assert run(region=region).provenance.input("keluarga_p3ke").sintetis is False
    marked = tmp_path / "unggahan.csv"
    pd.read_csv(SAMPLE / "p3ke_keluarga_SINTETIS.csv.gz", dtype=str, nrows=3000).to_csv(
        marked, index=False
    )
    result = run(region=region, households=marked)
    assert result.provenance.input("keluarga_p3ke").sintetis is True  # the generator's marker column


def test_region_toml_can_mark_a_default_synthetic(tmp_path):
    toml = _real_region(tmp_path, extra='sintetis = ["keluarga_p3ke"]\n')
    result = run(region=load_region(toml))
    assert result.provenance.input("keluarga_p3ke").sintetis is True
    assert result.provenance.input("keluarga_desa").sintetis is False
    # An uploaded file is not the default: the region's marker does not apply to it.
    other = tmp_path / "lain.csv"
    shutil.copy(tmp_path / "p3ke_2025.csv", other)
    assert (
        run(region=load_region(toml), households=other).provenance.input("keluarga_p3ke").sintetis
        is False
    )


def test_bad_sintetis_value_is_refused(tmp_path):
    toml = _real_region(tmp_path, extra='sintetis = ["p3ke"]\n')
    with pytest.raises(RegionError, match="sintetis harus true, false, atau daftar"):
        load_region(toml)


def test_app_does_not_call_a_real_regions_data_synthetic(tmp_path, monkeypatch):
    monkeypatch.setenv("LOKUS_REGION", str(_real_region(tmp_path)))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    texts = [e.value for e in [*at.info, *at.warning, *at.caption]]
    assert not [t for t in texts if "SINTETIS" in t]
    assert any("data bawaan wilayah" in t and "p3ke" in t for t in texts)


def test_app_still_warns_on_the_synthetic_sample():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert any("sampel SINTETIS" in i.value for i in at.info)
