"""The Streamlit pages through AppTest (no browser)."""

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


@pytest.fixture
def at() -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.run()
    assert not app.exception, app.exception
    return app


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _table(at: AppTest, column: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the data and the text the browser shows of the first table with ``column``."""
    el = next(d for d in at.dataframe if column in d.value.columns)
    shown = el.proto.arrow_data.styler.display_values
    return el.value, (pa.ipc.open_stream(shown).read_pandas() if shown else el.value)


def test_map_page_shows_district_figures(at):
    assert at.title[0].value == "Peta keluarga desil 1 per desa"
    assert _metric(at, "Desa") == "43 / 43"
    assert _metric(at, "Keluarga P3KE") == "12.907"
    assert _metric(at, "Desil 1 per 100 keluarga").endswith(" %")
    assert any("SINTETIS" in i.value for i in at.info)


def test_kecamatan_filter_narrows_the_figures(at):
    at.multiselect(key="filter_kecamatan").set_value(["Pulau Maya"]).run()
    assert not at.exception
    assert _metric(at, "Desa") == "5 / 5"
    assert len(at.dataframe[-1].value) == 5


def test_choosing_a_desa_shows_its_figures(at):
    at.selectbox(key="desa_terpilih").set_value("61.11.04.2003").run()
    assert not at.exception
    assert at.subheader[0].value == "Dusun Kecil"
    assert any(m.label == "Keluarga desil 1" for m in at.metric)


def test_count_indicator_and_import_report_page(at):
    at.radio(key="indikator_peta").set_value("keluarga_desil_1").run()
    assert not at.exception
    at.switch_page("views/laporan.py").run()
    assert not at.exception
    assert at.title[0].value == "Laporan impor"
    assert _metric(at, "Ditolak") == "0"


def test_uploaded_file_stays_active_across_pages(at):
    data = b"id_keluarga,kode_desa,desil\nK1,6111012001,1\nK2,6111012002,2\nK3,6111012002,x\n"
    at.session_state["_berkas_p3ke"] = ("unggah.csv", data)
    at.run()
    assert not at.exception
    assert _metric(at, "Keluarga desil 1") == "1"
    assert any("SINTETIS" in w.value for w in at.warning)  # denominator still synthetic
    at.switch_page("views/laporan.py").run()
    assert not at.exception
    assert _metric(at, "Baris dibaca") == "3"
    assert _metric(at, "Ditolak") == "1"


def test_flagged_rows_without_a_point_show_an_empty_cell(at):
    data = (
        b"id_keluarga,kode_desa,desil,nik\n"
        b"K1,6111012001,1,5555000000000008.0\n"
        b"K2,6111012002,2,5555000000000018\n"
    )
    at.session_state["_berkas_p3ke"] = ("unggah.csv", data)
    at.switch_page("views/laporan.py").run()
    assert not at.exception
    table = next(df.value for df in at.dataframe if "Kode desa titik" in df.value.columns)
    assert table["Tanda"].tolist() == ["flag_nik_angka"]
    assert table["Kode desa titik"].tolist() == [""]  # no point: blank, not None


def test_no_usable_row_shows_no_denominator_instead_of_zero(at):
    at.session_state["_berkas_p3ke"] = ("nol.csv", b"kode_desa,desil\n6111012001,x\n")
    at.run()
    assert not at.exception
    assert _metric(at, "Desa") == "0 / 43"
    assert _metric(at, "Seluruh keluarga") == "–"
    assert _metric(at, "Desil 1 per 100 keluarga") == "–"


def test_bad_upload_shows_a_clear_error_and_the_app_recovers(at):
    at.session_state["_berkas_p3ke"] = ("rusak.csv", b"a,b\n1,2\n")
    at.run()
    assert not at.exception
    assert "rusak" in at.error[0].value
    assert "kolom wajib tidak ditemukan" in at.error[0].value
    at.session_state["_berkas_p3ke"] = None
    del at.session_state["_berkas_p3ke"]
    at.run()
    assert not at.exception
    assert _metric(at, "Keluarga P3KE") == "12.907"


def test_markdown_in_file_text_is_escaped():
    from views.common import md_escape

    text = md_escape("![t](http://127.0.0.1:9/x.png) [klik](http://evil)")
    assert "](" not in text.replace("\\](", "")
    assert text.startswith("\\!\\[")
    # bare addresses, which GitHub-flavoured Markdown links without brackets
    bare = md_escape("lihat http://evil.example/login atau www.evil.example, admin@evil.example")
    assert "http:" not in bare  # written http\\: so no autolink starts
    assert "www." not in bare
    assert "admin@" not in bare


def test_choices_survive_a_page_switch(at):
    at.multiselect(key="filter_kecamatan").set_value(["Pulau Maya"]).run()
    at.selectbox(key="skala_desil").set_value("dtsen").run()
    at.switch_page("views/laporan.py").run()
    assert not at.exception
    assert at.selectbox(key="skala_desil").value == "dtsen"
    at.switch_page("views/peta.py").run()
    assert not at.exception
    assert at.multiselect(key="filter_kecamatan").value == ["Pulau Maya"]
    assert _metric(at, "Desa") == "5 / 5"


def test_removing_a_bad_denominator_restores_the_app(at):
    at.session_state["_berkas_keluarga_desa"] = (
        "penyebut.csv",
        b"kode_desa,keluarga_total\n6111012001,625.5\n",
    )
    at.run()
    assert at.error
    del at.session_state["_berkas_keluarga_desa"]
    at.run()
    assert not at.error
    assert _metric(at, "Keluarga P3KE") == "12.907"


def test_interventions_page(at):
    at.switch_page("views/intervensi.py").run()
    assert not at.exception
    assert at.title[0].value == "Sub kegiatan dan lokus"
    labels = [m.label for m in at.metric]
    assert any(label.startswith("Strategi 3") for label in labels)
    at.multiselect(key="i_strategi").set_value([3]).run()
    assert not at.exception


def test_pocket_settings_are_the_same_on_every_page(at):
    """Regression: a number input fell back to its minimum (k = 1) after a page switch."""
    at.switch_page("views/intervensi.py").run()
    assert at.number_input(key="k_k").value == 5
    for d in at.dataframe:
        if "jenis" in d.value.columns:
            off = d.value[d.value["jenis"] == "lokus strategi 3 bukan kantong"]
            assert "61.11.01.2001" not in set(off["kode_desa"])  # Sutera is a planted pocket


def test_priority_page_selection_persists_and_lists_families(at):
    at.switch_page("views/prioritas.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Desa prioritas dan daftar sasaran"
    assert any("Belum ada desa terpilih" in i.value for i in at.info)
    at.number_input(key="n_teratas").set_value(3).run()
    at.button(key="pilih_teratas").click().run()
    assert not at.exception, at.exception
    chosen = at.session_state["_desa_prioritas"]
    assert len(chosen) == 3
    assert at.multiselect(key="pilih_desa_prioritas").value == chosen
    families = int(_metric(at, "Keluarga sasaran").replace(".", ""))
    assert families > 0
    table = at.dataframe[-1].value
    assert len(table) == families
    assert table["NIK"].str.fullmatch(r"\d{4}\*{8}\d{4}").all()  # masked by default
    assert "Lintang" not in table.columns  # the house's position is personal data
    # the choice survives a page switch and back
    at.switch_page("views/peta.py").run()
    at.switch_page("views/prioritas.py").run()
    assert at.session_state["_desa_prioritas"] == chosen
    # a weight change reorders but keeps the chosen desa
    at.number_input(key="bobot_celah").set_value(500.0).run()
    assert not at.exception, at.exception
    assert at.session_state["_desa_prioritas"] == chosen
    assert any("bobot lain" in w.value for w in at.warning)
    at.button(key="pilih_ulang").click().run()
    again = at.session_state["_desa_prioritas"]
    assert len(again) == 3
    assert again != chosen
    assert not any("bobot lain" in w.value for w in at.warning)
    at.number_input(key="bobot_celah").set_value(15.0).run()
    at.button(key="pilih_ulang").click().run()
    assert at.session_state["_desa_prioritas"] == chosen
    # personal data only when ticked
    at.checkbox(key="sertakan_data_pribadi").check().run()
    assert at.dataframe[-1].value["NIK"].str.fullmatch(r"\d{16}").all()
    assert any("data pribadi" in w.value for w in at.warning)


def test_priority_page_refuses_all_zero_weights(at):
    at.switch_page("views/prioritas.py").run()
    for key in ("persen_desil_1", "keluarga_desil_1", "kekurangan", "kantong", "celah"):
        at.number_input(key=f"bobot_{key}").set_value(0.0)
    at.run()
    assert not at.exception
    assert any("Bobot tidak dapat dipakai" in e.value for e in at.error)


def test_priority_page_without_any_used_row_points_to_the_import_report(at):
    """Every row of another district: the page says so, never blames the weights."""
    data = b"id_keluarga,kode_desa,desil\nK1,6201012001,1\nK2,6201012001,2\n"
    at.session_state["_berkas_p3ke"] = ("lain.csv", data)
    at.switch_page("views/prioritas.py").run()
    assert not at.exception
    assert not any("Bobot tidak dapat dipakai" in e.value for e in at.error)
    note = next(w.value for w in at.warning if "Tidak ada baris keluarga yang dipakai" in w.value)
    assert "semua 2 baris ditolak" in note
    assert "Laporan impor" in note
    at.switch_page("views/laporan.py").run()
    assert not at.exception
    assert _metric(at, "Ditolak") == "2"


def test_import_report_lists_the_flagged_families_from_the_pipeline(at):
    from geo.region import default_region
    from targeting.pipeline import run

    at.switch_page("views/laporan.py").run()
    assert not at.exception
    shown = next(d.value for d in at.dataframe if {"Tanda", "Baris"} <= set(d.value.columns))
    expected = run(default_region()).bertanda()
    assert len(shown) == len(expected) > 0
    assert shown["Baris"].tolist() == expected["baris"].tolist()
    assert shown["Tanda"].tolist() == expected["tanda"].tolist()


def test_tables_write_decimals_with_a_comma_and_stay_numeric(at):
    """6.15 reads as 615 in Indonesia: shown tables write 6,15, the data stay numbers."""
    data, shown = _table(at, "z")  # the pocket desa
    assert data["z"].dtype == "float64"  # sorting stays numeric
    assert shown["z"].str.fullmatch(r"-?\d+,\d{2}").all()
    assert shown["q (FDR)"].str.fullmatch(r"\d+,\d{3}").all()
    assert shown["Nilai diuji"].str.fullmatch(r"\d+,\d{2}").all()
    data, shown = _table(at, "Luas (m²)")  # the household clusters
    assert data["Luas (m²)"].dtype == "float64"
    assert shown["Luas (m²)"].str.fullmatch(r"\d{1,3}(\.\d{3})*").all()  # 82.562
    at.switch_page("views/prioritas.py").run()
    assert not at.exception
    data, shown = _table(at, "Skor")  # the priority ranking (a data editor)
    assert data["Skor"].dtype == "float64"
    assert shown["Skor"].str.fullmatch(r"\d+,\d").all()  # 74,9 like the "Mengapa" text
    assert shown["Nilai: Celah intervensi"].str.fullmatch(r"\d,\d{2}").all()
    assert shown["Nilai: Jumlah keluarga desil 1"].str.fullmatch(r"[\d.]+").all()
    at.switch_page("views/intervensi.py").run()
    assert not at.exception
    _, shown = _table(at, "Status")
    assert shown["Per 100 keluarga desil 1"].str.fullmatch(r"\d+,\d").all()


def test_mistargeting_table_keeps_pagu_numeric(at):
    """Pagu is shown as 1.843.000.000 but sorts by amount, not as text."""
    at.switch_page("views/intervensi.py").run()
    at.number_input(key="i_min").set_value(40).run()
    assert not at.exception
    data, shown = _table(at, "Pagu (Rp)")
    assert len(data) > 1
    assert data["Pagu (Rp)"].dtype == "float64"
    assert shown["Pagu (Rp)"].str.fullmatch(r"\d{1,3}(\.\d{3})*").all()


def test_permendagri_register_keeps_its_four_strategies(at):
    """A register tagged P1-P4 is shown in its own view; P4 never counts as an Inpres strategy."""
    src = (ROOT / "data" / "kayong_utara" / "sub_kegiatan_SINTETIS.csv").read_text()
    reg = pd.read_csv(pd.io.common.StringIO(src), dtype=str, keep_default_na=False)
    reg["strategi"] = [("P1", "P2", "P3", "P4")[i % 4] for i in range(len(reg))]
    at.session_state["_berkas_register"] = ("p.csv", reg.to_csv(index=False).encode())
    at.switch_page("views/intervensi.py").run()
    assert not at.exception, at.exception
    assert any("P4 (sinergi" in i.value for i in at.info)
    labels = [m.label for m in at.metric]
    assert [lab.split(":")[0] for lab in labels if lab.startswith("Strategi")] == [
        "Strategi P1", "Strategi P2", "Strategi P3", "Strategi P4",
    ]  # fmt: skip
    assert any("Keluarga desil 1 paling banyak" in c.value or "paling banyak" in c.value
               for c in at.caption)  # fmt: skip
    at.radio(key="i_skema").set_value("Inpres 4/2022 (1-3)").run()
    assert not at.exception, at.exception
    labels = [m.label.split(":")[0] for m in at.metric if m.label.startswith("Strategi")]
    assert labels == ["Strategi 1", "Strategi 2", "Strategi 3"]
    matrix = next(d.value for d in at.dataframe if "Desa" in d.value.columns
                  and "S1 sub kegiatan" in d.value.columns)  # fmt: skip
    assert "P4 (tanpa padanan Inpres) sub kegiatan" in matrix.columns
    assert "P3 sub kegiatan" not in matrix.columns
    assert matrix["S3 sub kegiatan"].sum() == 0  # no Permendagri strategy maps to Inpres 3


def test_map_page_counts_desa_per_pocket_label(at, embedded):
    from targeting.format import angka
    from targeting.pockets import LABELS

    counts = embedded.kantong.desa["kantong"].value_counts()
    text = next(c.value for c in at.caption if c.value.startswith("Desa per label"))
    for lab in LABELS:
        assert f"{lab} {angka(int(counts.get(lab, 0)))}" in text
    assert _metric(at, "Desa kantong (panas)") == angka(int(counts.get("panas", 0)))
    table, _ = _table(at, "Label")
    assert set(table["Label"]) <= {"panas", "pencilan tinggi"}
    assert table["Label"].iloc[0] == "panas"


# Column names that must never stand as a table heading (issue 13, item 7).
RAW_HEADINGS = {"kode_desa", "jenis", "keluarga_desil_1_kekurangan", "kebutuhan_nyata",
                "berkas", "nama_masukan", "Nik", "No kk"}  # fmt: skip
MISSING_TEXT = {"None", "nan", "NaN", "<NA>", "NaT"}


def _shown_cells(el) -> pd.DataFrame:
    """What the browser shows of one table: the Styler's display text where there is one."""
    data = el.value.reset_index(drop=True).astype(object)
    raw = el.proto.arrow_data.styler.display_values
    if raw:
        shown = pa.ipc.open_stream(raw).read_pandas().reset_index(drop=True).astype(object)
        shown.columns = data.columns
        data = data.where(data.isna() | shown.isna() | (shown == ""), shown)
    # The grid draws a null cell as the table's placeholder, "None" without one, whatever
    # the Styler's display text for it (seen in Chromium: "None" under na_rep="–").
    placeholder = el.proto.placeholder if el.proto.HasField("placeholder") else "None"
    return data.where(data.notna(), placeholder)


def _check_tables(at: AppTest, page: str) -> None:
    assert not at.exception, at.exception
    assert at.dataframe, f"no table on {page}"
    for el in at.dataframe:
        heads = [str(c) for c in el.value.columns]
        assert not set(heads) & RAW_HEADINGS, (page, heads)
        assert not [h for h in heads if "_" in h], (page, heads)
        cells = _shown_cells(el)
        missing = [c for c in cells.columns
                   if cells[c].isna().any() or cells[c].astype(str).isin(MISSING_TEXT).any()]  # fmt: skip
        assert not missing, (page, missing)
        # A float column the page does not format is written by pandas' Styler as 41.000000
        # (or by the grid when there is no Styler): every one is formatted by the page.
        raw = el.proto.arrow_data.styler.display_values
        shown = pa.ipc.open_stream(raw).read_pandas() if raw else None
        unformatted = [
            c for i, c in enumerate(el.value.columns)
            if pd.api.types.is_float_dtype(el.value[c]) and el.value[c].notna().any()
            and (shown is None or shown.iloc[:, i].astype(str).str.fullmatch(r"-?\d+\.\d{6}").any())
        ]  # fmt: skip
        assert not unformatted, (page, unformatted)


def test_no_raw_heading_and_no_none_in_any_table_after_an_upload(at):
    """A file covering 2 of 43 desa: the other 41 show "–", and every heading is Indonesian."""
    data = (
        b"id_keluarga,kode_desa,desil,nik,no_kk,nama\n"
        b"K1,6111012001,1,6111010101010001,6111010101010002,Uji Satu SINTETIS\n"
        b"K2,6111012002,2,6111010101010003,6111010101010004,Uji Dua SINTETIS\n"
        b"K3,6111012002,1,6111010101010005,6111010101010006,Uji Tiga SINTETIS\n"
        b"K4,6111012003,9,6111010101010007,6111010101010008,Uji Empat SINTETIS\n"
    )  # K4 is rejected (desil 9): the rejected-rows table of the report
    at.session_state["_berkas_p3ke"] = ("unggah_SINTETIS.csv", data)
    at.run()
    _check_tables(at, "peta")
    angka_desa = next(el for el in at.dataframe if "Desil 1 per 100 keluarga" in el.value.columns)
    assert (_shown_cells(angka_desa)["Keluarga P3KE"] == "–").sum() == 41
    at.switch_page("views/laporan.py").run()
    _check_tables(at, "laporan")
    assert any("Nilai di berkas" in el.value.columns for el in at.dataframe)  # rejected rows
    at.switch_page("views/intervensi.py").run()
    _check_tables(at, "intervensi")
    at.switch_page("views/prioritas.py").run()
    at.button(key="pilih_teratas").click().run()
    _check_tables(at, "prioritas")


def test_desa_found_by_name_table_has_indonesian_headings(at):
    """A row without a desa code is placed by its name: the report's table of such rows has
    Indonesian headings (it showed nama_masukan, kecamatan_masukan, kode_desa, persis)."""
    data = (
        b"id_keluarga,kode_desa,desa_kelurahan,kecamatan,desil\n"
        b"K1,6111012001,Sutera,Sukadana,1\n"
        b"K2,,Sutera,Sukadana,2\n"
        b"K3,6111012002,Pangkalan Buton,Sukadana,9\n"
    )  # K2 is placed by name, K3 rejected (desil 9)
    at.session_state["_berkas_p3ke"] = ("unggah_SINTETIS.csv", data)
    at.run()
    at.switch_page("views/laporan.py").run()
    assert any(s.value == "Desa ditentukan dari nama" for s in at.subheader)
    _check_tables(at, "laporan")
    assert any("Nama di berkas" in el.value.columns for el in at.dataframe)


def test_no_flags_is_said_in_words_not_an_empty_grid(at):
    """A clean file has no flagged row: the grid drew the English word "empty"."""
    data = b"id_keluarga,kode_desa,desil\nK1,6111012001,1\nK2,6111012002,2\n"
    at.session_state["_berkas_p3ke"] = ("unggah_SINTETIS.csv", data)
    at.run()
    at.switch_page("views/laporan.py").run()
    assert not at.exception
    assert not [el for el in at.dataframe if el.value.empty]
    assert any(s.value == "Tidak ada tanda pada baris yang dipakai." for s in at.success)


def test_zero_desa_assessed_says_why_beside_the_number(at):
    data = b"id_keluarga,kode_desa,desil\nK1,6111012001,1\nK2,6111012002,2\nK3,6111012002,1\n"
    at.session_state["_berkas_p3ke"] = ("unggah_SINTETIS.csv", data)
    at.run()
    assert not at.exception
    (warn,) = [w.value for w in at.warning if "0 desa dinilai" in w.value]
    assert "paling sedikit" in warn  # the reason, not only the number


def test_streamlit_words_are_indonesian(at):
    """No "Choose an option" nor "Select all": every choice list has an Indonesian placeholder; number inputs
    write no decimal point; the uploader's words are replaced by the page's style sheet."""
    from views.ui import PAGE_CSS, UPLOADER_BUTTON

    for page in ("views/peta.py", "views/intervensi.py", "views/prioritas.py"):
        at.switch_page(page).run()
        assert not at.exception
        for el in [*at.selectbox, *at.multiselect]:
            assert el.proto.placeholder.strip(), (page, el.label)
        for el in at.multiselect:  # no English "Select all" row on top of the options
            assert el.proto.select_all == 0, (page, el.label)
        for el in at.number_input:
            assert "." not in (el.proto.format or "%d"), (page, el.label, el.proto.format)
    assert UPLOADER_BUTTON in PAGE_CSS


def test_zero_desa_assessed_names_the_reason_of_the_desa_with_data(at):
    """6 of 43 desa in the file and 5 nearest neighbours: every desa neighbours all others.
    The line says so (what to change) before the 37 desa without rows."""
    rows = [f"K{d}{i},611101200{d},{1 + i % 4}" for d in range(1, 7) for i in range(4)]
    data = ("id_keluarga,kode_desa,desil\n" + "\n".join(rows) + "\n").encode()  # SINTETIS
    at.session_state["_berkas_p3ke"] = ("enam_desa_SINTETIS.csv", data)
    at.run()
    assert not at.exception
    (warn,) = [w.value.replace("\\", "") for w in at.warning if "0 desa dinilai" in w.value]
    assert "6 desa berdata: semua desa lain adalah tetangganya" in warn
    assert "kurangi k" in warn
    assert warn.index("6 desa berdata") < warn.index("37 desa: tidak ada baris P3KE")
