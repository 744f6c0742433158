"""Shared Streamlit wiring: the sidebar data choice and the cached pipeline run.

Caches are keyed on content (the uploaded bytes and the settings), never on the map view,
and live in memory only: nothing personal is written to disk.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import streamlit as st

from geo.errors import LokusError
from geo.region import DEFAULT_REGION_FILE, Region, load_region
from targeting.pipeline import Result, run

ASSET_DIR = "static/vendor/leaflet-1.9.3"


@dataclass
class Data:
    """The active dataset of this session."""

    result: Result
    key: str
    label: str
    sintetis: bool


@st.cache_resource(show_spinner=False)
def _region(path: str) -> Region:
    return load_region(path)


@st.cache_data(show_spinner="Memproses data P3KE…", max_entries=6)
def _run(region_path: str, households: bytes | None, name: str | None, desil_scale: str) -> Result:
    region = _region(region_path)
    return run(region, households=households, households_name=name, desil_scale=desil_scale)


def region_path() -> str:
    """Path of the active region file (``LOKUS_REGION`` or the embedded Kayong Utara)."""
    return str(os.environ.get("LOKUS_REGION") or DEFAULT_REGION_FILE)


def asset_base() -> str:
    """URL folder of the vendored Leaflet files, honouring ``server.baseUrlPath``."""
    prefix = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{prefix}/app/{ASSET_DIR}" if prefix else f"/app/{ASSET_DIR}"


def sidebar_data() -> Data | None:
    """Draw the data choice in the sidebar and return the processed dataset.

    Returns
    -------
    Data or None
        None when the chosen file could not be used (the error is shown).
    """
    with st.sidebar:
        st.header("Data")
        upload = st.file_uploader(
            "Berkas P3KE (CSV atau XLSX)",
            type=["csv", "xlsx", "gz"],
            key="unggah_p3ke",
            help="Tanpa berkas, Lokus memakai sampel SINTETIS bawaan (bukan data orang nyata).",
        )
        scale = st.selectbox(
            "Skala desil",
            options=["auto", "p3ke", "dtsen"],
            format_func={
                "auto": "Deteksi otomatis",
                "p3ke": "P3KE (1–4)",
                "dtsen": "DTSEN (1–10)",
            }.get,
            key="skala_desil",
        )
    if upload is None:
        data, name, label, sintetis = None, None, "sampel SINTETIS bawaan", True
    else:
        data, name, label, sintetis = upload.getvalue(), upload.name, upload.name, False
    try:
        result = _run(region_path(), data, name, scale)
    except LokusError as err:
        st.error(f"Berkas tidak dapat dipakai.\n\n{err}")
        return None
    digest = hashlib.sha256(data or b"").hexdigest()[:16]
    return Data(result=result, key=f"{digest}:{scale}", label=label, sintetis=sintetis)


def data_banner(d: Data) -> None:
    """One line naming the data in use, with a warning for the synthetic sample."""
    region = d.result.region
    if d.sintetis:
        st.info(
            f"{region.nama}: batas desa asli; data keluarga adalah **sampel SINTETIS** "
            "(bukan orang nyata). Unggah berkas P3KE di samping untuk data sebenarnya.",
            icon="ℹ️",
        )
    else:
        st.caption(f"{region.nama} · berkas: {d.label}")
