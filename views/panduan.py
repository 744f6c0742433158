"""Page: the planners' guide (PANDUAN.md), with the screenshots the browser tests make."""

from __future__ import annotations

import streamlit as st

from views.panduan_doc import PANDUAN, ROOT, blocks

for kind, content, alt in blocks(PANDUAN.read_text(encoding="utf-8")):
    if kind == "teks":
        st.markdown(content)
        continue
    path = ROOT / content
    if path.is_file():
        st.image(str(path), caption=alt)
    else:  # the screenshots are made by `make test` (tests/test_panduan.py)
        st.caption(f"(Gambar belum dibuat: {alt}. Jalankan `make test` untuk membuatnya.)")
