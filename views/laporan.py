"""Page: the import report: every input row used or rejected, with reasons and flags."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.join import FLAG_COLUMNS
from targeting.format import angka
from views.common import data_banner, sidebar_data

d = sidebar_data()
st.title("Laporan impor")
if d is None:
    st.stop()
data_banner(d)
r = d.result
cols = st.columns(3)
cols[0].metric("Baris dibaca", angka(r.rows_in))
cols[1].metric("Dipakai", angka(r.rows_used))
cols[2].metric("Ditolak", angka(r.rows_rejected))
st.caption(
    f"Skala desil: **{r.check.desil_scale.upper()}** · CRS metrik: {r.metric_crs.to_string()} · "
    f"keluarga dengan koordinat: {angka(int(r.placement.keluarga.geometry.notna().sum()))}"
)

st.subheader("Tanda pada baris yang dipakai")
flags = pd.DataFrame(
    {
        "Tanda": list(FLAG_COLUMNS),
        "Arti": list(FLAG_COLUMNS.values()),
        "Baris": [int(r.placement.keluarga[f].sum()) for f in FLAG_COLUMNS],
    }
)
st.dataframe(flags, hide_index=True, width="stretch")

st.subheader("Baris ditolak")
if r.ditolak.empty:
    st.success("Tidak ada baris yang ditolak.")
else:
    counts = r.ditolak["alasan"].value_counts().rename_axis("Alasan").reset_index(name="Baris")
    st.dataframe(counts, hide_index=True, width="stretch")
    st.dataframe(r.ditolak, hide_index=True, width="stretch")
    st.download_button(
        "Unduh baris ditolak (CSV)",
        r.ditolak.to_csv(index=False).encode("utf-8-sig"),
        file_name="lokus_ditolak.csv",
        mime="text/csv",
    )
if r.check.kolom_tidak_dikenal:
    st.info("Kolom yang tidak dikenali (tetap disimpan): " + ", ".join(r.check.kolom_tidak_dikenal))
if not r.batas.diperbaiki.empty:
    st.subheader("Geometri desa yang diperbaiki")
    st.dataframe(r.batas.diperbaiki, hide_index=True, width="stretch")
