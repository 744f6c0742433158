"""The page "Perubahan antar data" in Streamlit's AppTest (issue 16): figures, words, tables."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from targeting.format import angka
from targeting.synthetic_waktu import BERKAS_KEBENARAN
from tests.test_app import MISSING_TEXT, RAW_HEADINGS, _shown_cells

ROOT = Path(__file__).resolve().parent.parent
PAGE = str(ROOT / "views" / "perubahan.py")


def test_page_shows_the_ground_truth_and_indonesian_words_only() -> None:
    at = AppTest.from_file(PAGE, default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    truth = json.loads(
        (ROOT / "data" / "kayong_utara" / BERKAS_KEBENARAN).read_text(encoding="utf-8")
    )
    overall = truth["pasangan"][-1]["desa"]
    metric = {m.label: m.value for m in at.metric}
    assert metric["Desil 1 (2023-12-31)"] == angka(sum(d["desil_1_sebelum"] for d in overall))
    assert metric["Desil 1 (2025-03-31)"] == angka(sum(d["desil_1_sesudah"] for d in overall))
    assert metric["Keluar dari desil 1"] == angka(sum(d["keluar_desil_1"] for d in overall))
    assert any("bukan taksiran dampak program" in w.value for w in at.warning)
    assert len(at.dataframe) >= 6
    for el in at.dataframe:
        assert not set(map(str, el.value.columns)) & RAW_HEADINGS, list(el.value.columns)
        shown = _shown_cells(el)
        assert not shown.isin(MISSING_TEXT).any().any(), list(el.value.columns)
    # Upload mode: Indonesian placeholders, whole-number inputs, and no figure before files.
    at.toggle(key="banding_demo").set_value(False).run()
    assert not at.exception, at.exception
    assert len(at.selectbox) == 2
    for el in at.selectbox:
        assert el.proto.placeholder.strip(), el.label
    for el in at.number_input:
        assert "." not in (el.proto.format or "%d")
    assert not at.metric
    assert any("Unggah 2 berkas" in i.value for i in at.info)
