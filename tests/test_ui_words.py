"""Streamlit's own English words are replaced by CSS (views/ui.py); this fails when a
Streamlit upgrade renames what that CSS addresses, so the override cannot silently stop."""

from pathlib import Path

import streamlit

from views.ui import FILE_CHIP_NAME, PAGE_CSS, UPLOADER_TESTIDS

STATIC = Path(streamlit.__file__).parent / "static" / "static" / "js"


def _bundle(marker: str) -> str:
    files = [p for p in STATIC.glob("*.js") if marker in p.read_text(errors="ignore")]
    assert files, f"no Streamlit script holds {marker!r}: the uploader changed, see views/ui.py"
    return "".join(p.read_text(errors="ignore") for p in files)


def test_the_uploader_still_has_what_the_override_addresses():
    js = _bundle("stFileUploaderDropzoneInstructions")
    for testid in UPLOADER_TESTIDS:
        assert f"`{testid}`" in js or f'"{testid}"' in js, testid
        assert f'[data-testid="{testid}"]' in PAGE_CSS
    # The English words the override hides: if they move elsewhere, look again.
    assert "per file" in js
    assert "`Upload`" in js


def test_choice_lists_say_choose_an_option_without_a_placeholder():
    # Why every selectbox and multiselect gets a placeholder (tests/test_app.py checks them).
    assert "Choose an option" in _bundle("Choose an option")


def test_multiselects_offer_an_english_select_all_unless_told_not_to():
    # Why every st.multiselect passes select_all=False (tests/test_app.py checks them).
    assert "Select all" in _bundle("Select all")


def test_the_file_chip_still_writes_the_size_right_after_the_name():
    # PAGE_CSS hides the element after the name ("0.5MB", a decimal point): if Streamlit
    # moves the size or renames the name's testid, look again.
    import re

    js = _bundle(FILE_CHIP_NAME)
    assert re.search(
        r"`" + FILE_CHIP_NAME + r"`[^\]]{0,200}\}\)\s*,\s*\w+\(\w+,\{children:\$\(\w+\.size", js
    )
    assert f'[data-testid="{FILE_CHIP_NAME}"] + *' in PAGE_CSS


def test_button_labels_wrap_instead_of_ending_in_an_ellipsis():
    """At 1024 px the download buttons of the priority page read "Unduh lembar verifikas..."
    twice (XLSX and ZIP could not be told apart): the style sheet lets labels wrap."""
    from views.ui import LABEL_CUT_CLASS

    assert LABEL_CUT_CLASS in _bundle(LABEL_CUT_CLASS)
    rule = f'[data-testid="stDownloadButton"] button:has(.{LABEL_CUT_CLASS}) *'
    assert rule in PAGE_CSS
    assert "white-space: normal !important" in PAGE_CSS.split(rule, 1)[1].split("}", 1)[0]
    # metric labels too ("Status kos..." at 1024 px on 'Hasil verifikasi')
    assert f'[data-testid="stMetricLabel"]:has(.{LABEL_CUT_CLASS}) *' in PAGE_CSS
    assert "`stMetricLabel`" in _bundle("stMetricLabel") or '"stMetricLabel"' in _bundle(
        "stMetricLabel"
    )
