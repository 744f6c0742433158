"""Page pieces shared by the map pages: Indonesian words for Streamlit's own widgets, the map
row layout, the legend beside a map, and map clicks that each count once.

Streamlit has no setting for the words of its file uploader ("Upload", "200MB per file"):
:data:`PAGE_CSS` hides them and writes Indonesian ones, addressing the uploader by its
``data-testid`` attributes. ``tests/test_ui_words.py`` fails when a Streamlit upgrade renames
those attributes or the words, so the override cannot silently stop working.
"""

from __future__ import annotations

from collections.abc import Callable

import altair as alt
import streamlit as st

from targeting.maps import LAPISAN_KANTONG, LAPISAN_KLASTER, LEGEND_CSS, lapisan_lokus
from targeting.strategies import INPRES_NOMOR, PERMENDAGRI
from views.common import keep

MAP_ROW_KEY = "baris_peta"
"""Key of the container holding a map and its side panel (CSS class ``st-key-baris_peta``)."""

PENDEK = {
    LAPISAN_KANTONG: "Kantong desa",
    LAPISAN_KLASTER: "Klaster keluarga",
    **{lapisan_lokus(s): f"Lokus S{s}" for s in INPRES_NOMOR},
    **{lapisan_lokus(k): f"Lokus {k}" for k in PERMENDAGRI.kode},
}
"""Short names of the map layers on the layer pills (the full name is in their help)."""

UPLOADER_BUTTON = "Pilih berkas"
"""The uploader button's Indonesian text (replaces Streamlit's "Upload")."""

UPLOADER_TESTIDS = (
    "stFileUploaderDropzone",
    "stFileUploaderDropzoneInstructions",
)
"""Streamlit ``data-testid`` values :data:`PAGE_CSS` depends on."""

FILE_CHIP_NAME = "stFileChipName"
"""``data-testid`` of the chosen file's name; its next sibling is the size (``0.5MB``)."""

LABEL_CUT_CLASS = "stMarkdownEllipsis"
"""Class of the element in which Streamlit cuts a button label to one line with an ellipsis."""

PAGE_CSS = f"""
<style>
/* File uploader: Streamlit writes "Upload" and "200MB per file • CSV, XLSX" in English.
   The size limit is already in the widget's Indonesian label. */
[data-testid="stFileUploaderDropzoneInstructions"] {{ display: none; }}
[data-testid="stFileUploaderDropzone"] button {{ font-size: 0; }}
[data-testid="stFileUploaderDropzone"] button > * {{ display: none; }}
[data-testid="stFileUploaderDropzone"] button::after {{
  content: "{UPLOADER_BUTTON}"; font-size: 0.875rem; }}
/* The chosen file's chip writes its size with a decimal point ("0.5MB"): hidden, the name
   is what a planner checks (the element right after the name holds only the size). */
[data-testid="{FILE_CHIP_NAME}"] + * {{ display: none; }}
/* Button and metric labels wrap instead of ending in "..." (at 1024 px the two verification
   downloads both read "Unduh lembar verifikas...", a metric "Status kos..."): Streamlit cuts
   a label to one line. */
[data-testid="stDownloadButton"] button:has(.{LABEL_CUT_CLASS}),
[data-testid="stDownloadButton"] button:has(.{LABEL_CUT_CLASS}) *,
[data-testid="stButton"] button:has(.{LABEL_CUT_CLASS}),
[data-testid="stButton"] button:has(.{LABEL_CUT_CLASS}) *,
[data-testid="stMetricLabel"]:has(.{LABEL_CUT_CLASS}),
[data-testid="stMetricLabel"]:has(.{LABEL_CUT_CLASS}) * {{
  white-space: normal !important; text-overflow: clip !important; overflow: visible !important;
  min-width: 0; }}
[data-testid="stDownloadButton"] button, [data-testid="stButton"] button {{ height: auto; }}
/* Headline figures: five side by side leave about 100 px each on a 1024 px screen, and
   Streamlit cuts a long value or label with "…" ("193 / …" desa, "Seluruh ke…"). Smaller
   digits on narrow screens, and labels and values wrap instead of being cut. */
[data-testid="stMetricValue"] {{ font-size: clamp(1.25rem, 2.4vw, 2.25rem); }}
[data-testid="stMetric"] .stMarkdownEllipsis,
[data-testid="stMetric"] .stMarkdownEllipsis p {{
  white-space: normal; overflow: visible; text-overflow: clip; }}
/* Less empty space above the title: the map starts higher on a 768 px tall screen. */
[data-testid="stMainBlockContainer"] {{ padding-top: 2.5rem; }}
/* Map and side panel: side by side when both fit (map at least 560 px), else the panel goes
   below and the map takes the whole width. */
.st-key-{MAP_ROW_KEY} > div > [data-testid="stHorizontalBlock"],
.st-key-{MAP_ROW_KEY} > [data-testid="stHorizontalBlock"] {{ flex-wrap: wrap; }}
.st-key-{MAP_ROW_KEY} [data-testid="stHorizontalBlock"] > [data-testid="stColumn"]:first-child {{
  flex: 2 1 560px !important; min-width: min(560px, 100%) !important; }}
.st-key-{MAP_ROW_KEY} [data-testid="stHorizontalBlock"] > [data-testid="stColumn"]:last-child {{
  flex: 1 1 280px !important; min-width: min(280px, 100%) !important; }}
.st-key-{MAP_ROW_KEY} [data-testid="stColumn"] [data-testid="stColumn"] {{
  flex: 1 1 0 !important; min-width: 0 !important; }}  /* columns inside the panel: as usual */
</style>
"""


def page_style() -> None:
    """Add :data:`PAGE_CSS` to the page (takes no space)."""
    st.html(PAGE_CSS)


def legend(inner_html: str) -> None:
    """Draw a map legend (from :func:`targeting.maps.legend_html`) on the page, under the map.

    Outside the map it never covers a desa; it is laid out in a row to stay low.
    """
    st.html(
        f"<style>{LEGEND_CSS} .lokus-legend-page .lokus-legend {{ max-width: none; }}"
        ".lokus-legend-page .lokus-legend details > div { display: inline-block; "
        "margin-right: 10px; }</style>"
        f"<div class='lokus-legend-page'><div class='lokus-legend'>{inner_html}</div></div>"
    )


def map_click(key: str) -> str | None:
    """``kode_desa`` of a new click on the map of ``st_folium(key=key)``, else None.

    Every click counts once, a repeat click on the same desa too: the map stamps the clicked
    feature with the browser's click time (``targeting.maps`` ``_ClickStamp``), so two clicks
    never return the same value, and a value already handled (a rerun, a pan or zoom that
    returns the last click again) is ignored.

    Parameters
    ----------
    key : str
        The ``key`` given to ``st_folium``.

    Returns
    -------
    str or None
        The clicked desa's code, or None (no new click, or a click on something else).
    """
    out = st.session_state.get(key) or {}
    props = (out.get("last_active_drawing") or {}).get("properties") or {}
    stamp = props.get("_klik")
    seen = f"_klik_{key}"
    if not stamp or not props.get("kode_desa") or st.session_state.get(seen) == stamp:
        return None
    st.session_state[seen] = stamp
    return str(props["kode_desa"])


def on_map_change(key: str, on_click: Callable[[str], None]) -> Callable[[], None]:
    """An ``st_folium`` ``on_change`` callback: pass a new desa click on to ``on_click``."""

    def handle() -> None:
        kode = map_click(key)
        if kode is not None:
            on_click(kode)

    return handle


def layer_pills(key: str, available: dict[str, bool]) -> list[str]:
    """Overlay layers as toggle pills above the map (kept across reruns and pages).

    Parameters
    ----------
    key : str
        Widget key.
    available : dict of str to bool
        :func:`targeting.mapspec.available_layers`: name -> shown by default.

    Returns
    -------
    list of str
        The chosen layer names (pass as ``MapSettings(lapisan=...)``).
    """
    if not available:
        return []
    copy = f"_keep_{key}"
    if copy in st.session_state:  # a layer of an earlier data set may be gone
        st.session_state[copy] = [n for n in st.session_state[copy] or [] if n in available]
    chosen = st.pills(
        "Lapisan peta",
        list(available),
        selection_mode="multi",
        wrap=True,
        format_func=lambda name: PENDEK.get(name, name),
        help="Klik untuk menampilkan atau menyembunyikan lapisan; warna desa selalu tampil. "
        + "; ".join(f"{PENDEK[n]}: {n}" for n in available if PENDEK.get(n, n) != n)
        + ".",
        **keep(key, [n for n, shown in available.items() if shown]),
    )
    return list(chosen or [])


LOCALE_ID = {
    "number": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["Rp ", ""]},
}
"""Vega number locale of Indonesia (``1.000``, ``2,5``) for chart axes and tooltips."""


def chart_id(chart: alt.Chart) -> alt.Chart:
    """An Altair chart whose axes and tooltips write numbers the Indonesian way.

    Streamlit's own ``st.bar_chart`` writes ``1,000``; Vega-Lite's ``config.locale`` sets the
    number format of the whole chart.
    """
    return chart.configure(locale=LOCALE_ID)
