"""Session isolation: two sessions with different uploads each see only their own families.

Two AppTest sessions run in one process, so they share Streamlit's caches exactly as two
browser tabs on one server do. The uploads carry the same file name on purpose: the cache is
keyed on the bytes, not on the name.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")

# Session A: 3 desil-1 families in Sutera (61.11.01.2001), one row rejected with desil "AAA".
A = (
    b"id_keluarga,kode_desa,desil,nama_kepala_keluarga,nik\n"
    b"A1,6111012001,1,ANI ISOLASI,9999000000000001\n"
    b"A2,6111012001,1,ADI ISOLASI,9999000000000002\n"
    b"A3,6111012001,1,AMI ISOLASI,9999000000000003\n"
    b"A4,6111012001,AAA,ANA ISOLASI,9999000000000004\n"
)
# Session B: 5 desil-1 families in Dusun Kecil (61.11.04.2003), one rejected with "BBB".
B = (
    "id_keluarga,kode_desa,desil,nama_kepala_keluarga,nik\n"
    + "".join(f"B{i},6111042003,1,BUDI ISOLASI {i},888800000000000{i}\n" for i in range(5))
    + "B9,6111042003,BBB,BAYU ISOLASI,8888000000000009\n"
).encode()


def _session(data: bytes) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["_berkas_p3ke"] = ("p3ke.csv", data)
    return at


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _frames_text(at: AppTest) -> str:
    parts = []
    for d in at.dataframe:
        value = d.value
        frame = value.data if hasattr(value, "data") else value  # a Styler or a DataFrame
        parts.append(pd.DataFrame(frame).to_csv())
    return "\n".join(parts)


def _desa_with_desil_1(at: AppTest) -> set[str]:
    """Codes of the desa with desil-1 families in the page's per-desa table."""
    table = next(d.value for d in at.dataframe if "Keluarga desil 1" in d.value.columns)
    counts = pd.to_numeric(table["Keluarga desil 1"], errors="coerce").fillna(0)
    return set(table.loc[counts > 0, "Kode desa"])


def test_two_sessions_with_different_uploads_see_only_their_own_families():
    a, b = _session(A), _session(B)
    # Interleaved runs, as two users on one server.
    a.run()
    b.run()
    a.run()
    for at in (a, b):
        assert not at.exception, at.exception
        assert not at.error
    assert _metric(a, "Keluarga desil 1") == "3"
    assert _metric(b, "Keluarga desil 1") == "5"
    assert _metric(a, "Keluarga P3KE") == "3"
    assert _metric(b, "Keluarga P3KE") == "5"

    # Per-desa tables: each session's families lie in its own desa only.
    assert _desa_with_desil_1(a) == {"61.11.01.2001"}
    assert _desa_with_desil_1(b) == {"61.11.04.2003"}
    a.selectbox(key="desa_terpilih").set_value("61.11.04.2003").run()
    assert any("Tidak ada baris P3KE" in w.value for w in a.warning)  # B's desa is empty for A

    a.switch_page("views/laporan.py").run()
    b.switch_page("views/laporan.py").run()
    assert _metric(a, "Baris dibaca") == "4"
    assert _metric(b, "Baris dibaca") == "6"
    text_a, text_b = _frames_text(a), _frames_text(b)
    assert "AAA" in text_a
    assert "BBB" not in text_a
    assert "BBB" in text_b
    assert "AAA" not in text_b
    # Neither session's state holds the other's bytes.
    assert a.session_state["_berkas_p3ke"][1] == A
    assert b.session_state["_berkas_p3ke"][1] == B


def test_a_session_without_upload_is_not_given_another_sessions_file():
    a = _session(A)
    a.run()
    assert _metric(a, "Keluarga P3KE") == "3"
    fresh = AppTest.from_file(APP, default_timeout=120)
    fresh.run()
    assert not fresh.exception
    assert _metric(fresh, "Keluarga P3KE") == "12.907"  # the synthetic sample, not A's file
    assert "_berkas_p3ke" not in fresh.session_state
