"""The workspace in the app: the opened workspace, the logged-in user, and their data.

Logins: when the workspace has users, :func:`require_login` asks for a name and password
(argon2, :mod:`targeting.ruang_kerja.pengguna`) and keeps the user's
:class:`targeting.ruang_kerja.Cakupan` in this session's state. With ``LOKUS_SSO_HEADER``
set (e.g. ``X-Forwarded-User``), a user named in that request header by a reverse proxy is
logged in without a password: only safe when nothing but the proxy can reach Lokus (README,
"Workspace"). Without users the app keeps the team password (``LOKUS_PASSWORD``) or the
single-user local mode of :mod:`views.auth`.

Data: a kecamatan or desa user sees only snapshots of the workspace, read through its one
query layer for their scope (no upload, no bundled data); a kabupaten user or the local mode
may also open a snapshot, or keep the session-only upload mode.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from targeting.ruang_kerja import Cakupan, RuangKerja, workspace_url
from targeting.ruang_kerja.pengguna import ada_pengguna, masuk, pengguna_sso

CAKUPAN_KEY = "_cakupan"  # the logged-in user's Cakupan
SNAPSHOT_KEY = "_snapshot_ruang"  # id of the workspace snapshot opened in this session
ENV_SSO = "LOKUS_SSO_HEADER"
SECRET_KEY = "LOKUS_WORKSPACE_KEY"
WRONG_DELAY_S = 1.0


def _secret_key() -> str | None:
    try:
        value = st.secrets.get(SECRET_KEY)
    except Exception:  # no secrets.toml (FileNotFoundError) or an unreadable one
        value = None
    return str(value) if value else None


@st.cache_resource(show_spinner=False)
def _workspace(url: str) -> RuangKerja:
    return RuangKerja(url, key=_secret_key())


def workspace() -> RuangKerja:
    """The workspace of this server (opened once, shared by sessions; created if new)."""
    return _workspace(workspace_url())


def _has_users() -> bool:
    url = workspace_url()
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return False  # no workspace yet: do not create one just to learn it has no users
    return ada_pengguna(workspace())


def cakupan() -> Cakupan:
    """The scope of this session: the logged-in user's, else every desa (local/team mode)."""
    return st.session_state.get(CAKUPAN_KEY) or Cakupan.semua("lokal")


def logged_in() -> bool:
    """True when a workspace user is logged in in this session."""
    return CAKUPAN_KEY in st.session_state


def _sso() -> Cakupan | None:
    header = os.environ.get(ENV_SSO)
    if not header:
        return None
    name = st.context.headers.get(header)
    return pengguna_sso(workspace(), name) if name else None


def require_login() -> bool:
    """Stop the page behind a login form when the workspace has users.

    Returns
    -------
    bool
        True when workspace logins are in force (the team password is then not asked);
        False when the workspace has no users.
    """
    if logged_in():
        c = cakupan()
        st.sidebar.caption(f"Masuk sebagai **{c.pengguna}** ({c.peran})")
        if st.sidebar.button("Keluar", key="_keluar_pengguna", help="Menghapus data sesi ini"):
            st.session_state.clear()
            st.rerun()
        return True
    if not _has_users():
        return False
    sso = _sso()
    if sso is not None:
        st.session_state[CAKUPAN_KEY] = sso
        st.rerun()
    st.title("Lokus")
    st.caption("Masuk dengan akun ruang kerja Anda. Data keluarga dilindungi UU 27/2022.")
    with st.form("masuk_pengguna"):
        nama = st.text_input("Nama pengguna", key="_nama_pengguna")
        sandi = st.text_input("Kata sandi", type="password", key="_sandi_pengguna")
        sent = st.form_submit_button("Masuk")
    if sent:
        found = masuk(workspace(), nama or "", sandi or "")
        if found is not None:
            st.session_state[CAKUPAN_KEY] = found
            st.rerun()
        time.sleep(WRONG_DELAY_S)
        st.error("Nama pengguna atau kata sandi salah.")
    st.stop()
    return True


def opened_snapshot() -> int | None:
    """The id of the workspace snapshot opened in this session, or None."""
    return st.session_state.get(SNAPSHOT_KEY)


def workspace_only() -> bool:
    """True when this session may see workspace data only (a kecamatan or desa user)."""
    return logged_in() and not cakupan().semua_desa


def workspace_exists() -> bool:
    """True when this server has a workspace (PostgreSQL, or the SQLite file exists)."""
    url = workspace_url()
    return not (url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists())


def _tulis_audit(rk: RuangKerja, c: Cakupan, sid: int | None, berkas: str, n: int | None) -> None:
    objek = f"snapshot {sid}" if sid is not None else "sesi"
    rincian = f"aplikasi {berkas}" + (f": {n} baris" if n is not None else "")
    with rk.transaksi(c) as conn:
        rk.catat(conn, c, "ekspor", objek, rincian)


def catat_unduhan(berkas: str, n: int | None = None) -> None:
    """Write the audit line of an app download (masked), as the CLI's exports do.

    For ``st.download_button(on_click=catat_unduhan, args=(berkas, n))``. Nothing is written
    when the server has no workspace (the session-only local mode keeps no log).
    """
    if workspace_exists():
        _tulis_audit(workspace(), cakupan(), opened_snapshot(), berkas, n)


def diaudit(data: Callable[[], bytes], berkas: str, n: int | None = None) -> Callable[[], bytes]:
    """Wrap a download's deferred data so that building the file writes its audit line.

    The user and snapshot are taken now (the deferred call runs outside the script).
    """
    if not workspace_exists():
        return data
    rk, c, sid = workspace(), cakupan(), opened_snapshot()

    def build() -> bytes:
        out = data()
        _tulis_audit(rk, c, sid, berkas, n)
        return out

    return build
