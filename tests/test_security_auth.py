"""Optional access control: single-user local mode by default, a team password when set."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from views import auth

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


@pytest.fixture(autouse=True)
def _fast_and_clean(monkeypatch):
    monkeypatch.delenv(auth.ENV_VAR, raising=False)
    monkeypatch.setattr(auth, "WRONG_DELAY_S", 0.0)


def _app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=120)


def test_without_a_password_the_app_says_it_is_in_local_mode():
    at = _app()
    at.run()
    assert not at.exception
    assert any("Mode lokal satu pengguna" in c.value for c in at.sidebar.caption)
    assert at.title[0].value == "Peta keluarga desil 1 per desa"


def _login_flow(at: AppTest, password: str) -> None:
    at.run()
    assert not at.exception
    # Behind the form: no data, no map, no figures, no local-mode notice.
    assert at.title[0].value == "Lokus"
    assert not at.metric
    assert not any("Mode lokal" in c.value for c in at.sidebar.caption)
    at.text_input(key="_kata_sandi").input("salah")
    at.button[0].click().run()
    assert not at.exception
    assert at.error[0].value == "Kata sandi salah."
    assert not at.metric
    at.text_input(key="_kata_sandi").input(password)
    at.button[0].click().run()
    assert not at.exception
    assert at.title[0].value == "Peta keluarga desil 1 per desa"
    assert at.metric
    # Logging out clears the session, uploads included.
    at.session_state["_berkas_p3ke"] = ("x.csv", b"kode_desa,desil\n6111012001,1\n")
    at.button(key="_keluar").click().run()
    assert not at.exception
    assert "_berkas_p3ke" not in at.session_state
    assert at.title[0].value == "Lokus"


def test_password_from_the_environment(monkeypatch):
    monkeypatch.setenv(auth.ENV_VAR, "kata sandi tim")
    _login_flow(_app(), "kata sandi tim")


def test_password_from_secrets_toml():
    at = _app()
    at.secrets[auth.ENV_VAR] = "rahasia-ß-✓"
    _login_flow(at, "rahasia-ß-✓")


def test_comparison_is_exact():
    assert auth._matches("abc", "abc")
    assert not auth._matches("abc ", "abc")
    assert not auth._matches("", "abc")
