"""The page 'Hasil verifikasi' through AppTest, before any upload (issue 17). SYNTHETIC data."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from targeting.format import angka

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def test_page_without_uploads_falls_back_to_register_loci(embedded):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/verifikasi.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Hasil verifikasi musdes"
    notes = [i.value for i in at.info if "lokus register" in i.value]
    assert notes
    assert "tanpa daftar penerima" in notes[0]
    # said once ("Tanpa daftar penerima, ... dari lokus register (tanpa daftar penerima)" before)
    assert notes[0].casefold().count("tanpa daftar penerima") == 1
    metrics = {m.label: m.value for m in at.metric}
    # the embedded synthetic data: every desil-1 family is eligible before any verification
    desil_1 = int((embedded.placement.keluarga["desil"] == 1).sum())
    assert metrics["Keluarga desil 1 layak"] == angka(desil_1)
    assert "Diterapkan" not in metrics  # nothing uploaded yet
