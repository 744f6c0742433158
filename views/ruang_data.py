"""The data sidebar when a workspace snapshot is open (or the user may see nothing else).

The snapshot is read through the workspace's one query layer for this session's scope and
rebuilt into a :class:`targeting.snapshot.Snapshot` (:func:`targeting.ruang_kerja.snapshot_ruang.to_snapshot`):
every page then works on the families in scope only, as on a fresh import.
"""

from __future__ import annotations

import streamlit as st

from geo.errors import LokusError
from targeting.pipeline import AnalysisSettings, Result, analyse
from targeting.pockets import PocketSettings
from targeting.ruang_kerja import Cakupan, workspace_url
from targeting.ruang_kerja.snapshot_ruang import to_snapshot
from views import ruang_sesi


# In memory only, like the upload mode's cache: at most 12 results, dropped after an hour.
@st.cache_data(show_spinner="Membuka snapshot dari ruang kerja…", max_entries=12, ttl=3600)
def _run_ruang(
    url: str,
    region_path: str,
    sid: int,
    penanda: str,
    cakupan: Cakupan,
    kantong: PocketSettings,
    register: bytes | None,
    register_name: str | None,
) -> tuple[Result, dict]:
    from views.common import _region

    opened = ruang_sesi.workspace().buka(cakupan, sid)
    snapshot = to_snapshot(opened, _region(region_path))
    result = analyse(
        snapshot, AnalysisSettings(kantong=kantong), register=register, register_name=register_name
    )
    info = {k: opened.info[k] for k in ("id", "nama", "tanggal", "sintetis")}
    return result, info


def sidebar_data_ruang(pocket_settings, register, data_cls):
    """Draw the sidebar of an opened snapshot and return the page's dataset (or None)."""
    from views.common import md_escape, region_path

    sid = ruang_sesi.opened_snapshot()
    c = ruang_sesi.cakupan()
    st.sidebar.header("Data")
    if sid is None:
        st.info("Buka snapshot di halaman **Ruang kerja** untuk melihat data desa Anda.")
        st.page_link("views/ruang_kerja.py", label="Ke Ruang kerja", icon=":material/database:")
        return None
    kantong = pocket_settings()
    try:
        penanda = ruang_sesi.workspace().penanda(c, sid)
        if penanda is None:  # deleted meanwhile: never the cached families of a deleted one
            st.session_state.pop(ruang_sesi.SNAPSHOT_KEY, None)
            st.warning(f"Snapshot {sid} sudah dihapus dari ruang kerja. Buka snapshot lain.")
            return None
        result, info = _run_ruang(
            workspace_url(), region_path(), sid, penanda, c, kantong,
            register[1] if register else None, register[0] if register else None,
        )  # fmt: skip
    except LokusError as err:
        st.error("Snapshot tidak dapat dibuka.\n\n" + md_escape(err))
        return None
    with st.sidebar:
        st.caption(f"Snapshot ruang kerja: **{md_escape(info['nama'])}** (nomor {sid})")
        if not c.semua_desa:
            st.caption("Wilayah Anda: " + ", ".join(c.wilayah))
        if not ruang_sesi.workspace_only() and st.button("Tutup snapshot", key="_tutup_snapshot"):
            st.session_state.pop(ruang_sesi.SNAPSHOT_KEY, None)
            st.rerun()
    households = result.provenance.input("keluarga_p3ke")
    denom = result.provenance.input("keluarga_desa")
    return data_cls(
        result=result,
        key=f"ruang:{penanda}:{c.setting()}:{hash(kantong)}",
        label=f"snapshot {sid}: {info['nama']}",
        sintetis=bool(households and households.sintetis),
        penyebut_sintetis=bool(denom and denom.sintetis),
    )
