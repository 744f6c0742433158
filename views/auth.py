"""Optional access control for a shared server: one team password.

The password comes from the ``LOKUS_PASSWORD`` environment variable or from
``.streamlit/secrets.toml`` (``LOKUS_PASSWORD = "..."``; the file is git-ignored). Without
either, the app runs in single-user local mode and says so in the sidebar. The check compares
SHA-256 digests with ``hmac.compare_digest`` (constant time), waits a second after a wrong
password, and keeps nothing but a flag in this session's state. "Keluar" clears the whole
session, uploaded files included.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import time

import streamlit as st

from views import ruang_sesi

ENV_VAR = "LOKUS_PASSWORD"
OK_KEY = "_akses_ok"
LOCAL_NOTICE = (
    "Mode lokal satu pengguna: tanpa kata sandi. Untuk server bersama, atur LOKUS_PASSWORD "
    "(lihat README, 'Shared server')."
)
WRONG_DELAY_S = 1.0


def configured_password() -> str | None:
    """The team password, or None in single-user local mode (env var first, then secrets)."""
    value = os.environ.get(ENV_VAR)
    if not value:
        try:
            value = st.secrets.get(ENV_VAR)
        except Exception:  # no secrets.toml (FileNotFoundError) or an unreadable one
            value = None
    return str(value) if value else None


def _matches(given: str, expected: str) -> bool:
    a = hashlib.sha256(given.encode("utf-8")).digest()
    b = hashlib.sha256(expected.encode("utf-8")).digest()
    return hmac.compare_digest(a, b)


def require_access() -> None:
    """Stop the page behind a password form when a password is configured.

    Without a password the sidebar states that the app runs in single-user local mode. When
    the workspace has users, their login (:mod:`views.ruang_sesi`) replaces the password.
    """
    if ruang_sesi.require_login():
        return
    expected = configured_password()
    if expected is None:
        st.sidebar.caption(LOCAL_NOTICE)
        return
    if st.session_state.get(OK_KEY):
        if st.sidebar.button("Keluar", key="_keluar", help="Menghapus data sesi ini"):
            st.session_state.clear()
            st.rerun()
        return
    st.title("Lokus")
    st.caption("Server bersama: masukkan kata sandi tim. Data keluarga dilindungi UU 27/2022.")
    with st.form("masuk"):
        given = st.text_input("Kata sandi", type="password", key="_kata_sandi")
        sent = st.form_submit_button("Masuk")
    if sent:
        if _matches(given or "", expected):
            st.session_state[OK_KEY] = True
            st.rerun()
        time.sleep(WRONG_DELAY_S)
        st.error("Kata sandi salah.")
    st.stop()
