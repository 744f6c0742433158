"""Lokus: Streamlit entry point. A router only; pages live in ``views/``.

Start with ``make run`` (or ``streamlit run app.py``) and open http://localhost:8501.
"""

from pathlib import Path

import streamlit as st

from views import logmask, memory_uploads
from views.auth import require_access
from views.ui import page_style

ICON = Path(__file__).resolve().parent / "static" / "lokus-icon.png"

st.set_page_config(
    page_title="Lokus – sasaran kemiskinan ekstrem", page_icon=str(ICON), layout="wide"
)

page_style()  # Indonesian words for Streamlit's uploader; map row layout
logmask.install()  # NIK-length digit runs masked in Streamlit's log (idempotent)
memory_uploads.install()  # uploads parsed in memory, never spooled to a temporary file
require_access()  # a password form when LOKUS_PASSWORD is set; else the local-mode notice
pages = [
    st.Page("views/peta.py", title="Peta desil 1", icon=":material/map:", default=True),
    st.Page("views/intervensi.py", title="Sub kegiatan dan lokus", icon=":material/target:"),
    st.Page("views/prioritas.py", title="Desa prioritas dan sasaran", icon=":material/checklist:"),
    st.Page("views/verifikasi.py", title="Hasil verifikasi", icon=":material/how_to_reg:"),
    st.Page("views/laporan.py", title="Laporan impor", icon=":material/fact_check:"),
    st.Page("views/perubahan.py", title="Perubahan antar data", icon=":material/trending_down:"),
    st.Page("views/ruang_kerja.py", title="Ruang kerja", icon=":material/database:"),
    st.Page("views/panduan.py", title="Panduan", icon=":material/menu_book:"),
]
st.navigation(pages).run()
