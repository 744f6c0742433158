"""Page: the import report: every input row used or rejected, with reasons and flags."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.join import FLAG_COLUMNS
from targeting.export import to_csv_bytes
from targeting.format import KOSONG, angka, judul_kolom, tabel_tampilan
from views import ruang_sesi
from views.common import md_escape, start_page

d = start_page("Laporan impor")
r = d.result
h = r.provenance.input("keluarga_p3ke").rincian
cols = st.columns(4)
cols[0].metric("Baris dibaca", angka(r.rows_in))
cols[1].metric("Dipakai", angka(r.rows_used))
cols[2].metric("Ditolak", angka(r.rows_rejected))
cols[3].metric("Keluarga dipakai", angka(r.families_used))
st.caption(
    f"Lembar: **{md_escape(h['lembar'])}** · judul kolom sampai baris {h['baris_judul']} · "
    f"skala desil: **{r.check.desil_scale.upper()}** · "
    f"keluarga dengan koordinat: {angka(int(r.placement.keluarga.geometry.notna().sum()))}"
)
for note in r.check.catatan:
    st.info(md_escape(note))

st.subheader("Tanda pada baris yang dipakai")
k = r.placement.keluarga
flags = pd.DataFrame(
    {
        "Tanda": list(FLAG_COLUMNS),
        "Arti": list(FLAG_COLUMNS.values()),
        "Keluarga": [int(k[f].sum()) for f in FLAG_COLUMNS],
    }
)
flags = flags[flags["Keluarga"] > 0]
if flags.empty:  # an empty grid says "empty" in English
    st.success("Tidak ada tanda pada baris yang dipakai.")
else:
    st.dataframe(
        tabel_tampilan(flags, {"Keluarga": 0}), hide_index=True, placeholder=KOSONG, width="stretch"
    )
table = r.bertanda()  # row numbers, codes and flags only: the CLI's bertanda.csv
if len(table):
    with st.expander(f"Daftar {angka(len(table))} keluarga bertanda"):
        # Without a point in a desa the cell is empty, not "None".
        shown = table.assign(kode_desa_titik=table["kode_desa_titik"].fillna(""))
        st.dataframe(
            shown.rename(columns=judul_kolom), hide_index=True, placeholder=KOSONG, width="stretch"
        )
        st.download_button(
            "Unduh daftar bertanda (CSV)",
            to_csv_bytes(table),
            file_name="lokus_bertanda.csv",
            mime="text/csv",
            on_click=ruang_sesi.catat_unduhan,
            args=("lokus_bertanda.csv", len(table)),
        )

st.subheader("Baris ditolak")
if r.ditolak.empty:
    st.success("Tidak ada baris yang ditolak.")
else:
    counts = r.ditolak["alasan"].value_counts().rename_axis("Alasan").reset_index(name="Baris")
    st.dataframe(
        tabel_tampilan(counts, {"Baris": 0}), hide_index=True, placeholder=KOSONG, width="stretch"
    )
    st.dataframe(
        r.ditolak.rename(columns=judul_kolom), hide_index=True, placeholder=KOSONG, width="stretch"
    )
    st.download_button(
        "Unduh baris ditolak (CSV)",
        to_csv_bytes(r.ditolak),
        file_name="lokus_ditolak.csv",
        mime="text/csv",
        on_click=ruang_sesi.catat_unduhan,
        args=("lokus_ditolak.csv", len(r.ditolak)),
    )
PERAN = {
    "keluarga_p3ke": "Data keluarga P3KE",
    "batas_desa": "Batas desa",
    "keluarga_desa": "Tabel seluruh keluarga",
    "register": "Daftar sub kegiatan",
}
accounts = pd.DataFrame(
    [
        {"Berkas": PERAN.get(role, role) + f" ({led.berkas})", "Baris dibaca": led.rows_in,
         "Dipakai": led.rows_used, "Ditolak": led.rows_rejected}
        for role, led in r.ledgers().items()
    ]
)  # fmt: skip
with st.expander("Pembukuan baris per berkas (baris dibaca = dipakai + ditolak)"):
    counts_format = {"Baris dibaca": 0, "Dipakai": 0, "Ditolak": 0}
    st.dataframe(tabel_tampilan(accounts, counts_format), hide_index=True, width="stretch")
if len(r.placement.cocok_nama):
    st.subheader("Desa ditentukan dari nama")
    st.dataframe(
        tabel_tampilan(r.placement.cocok_nama, {"skor": 1}, judul=True),
        hide_index=True,
        placeholder=KOSONG,
        width="stretch",
    )
if len(r.placement.tanpa_batas):
    st.subheader("Desa tanpa batas desa (pemekaran)")
    st.caption(
        "Kode desa sah menurut Kemendagri 2025, tetapi belum ada poligonnya: keluarganya "
        "dihitung di kode desanya dalam semua tabel dan ekspor, tanpa peta."
    )
    st.dataframe(tabel_tampilan(r.placement.tanpa_batas, {"keluarga": 0}, judul=True),
                 hide_index=True, placeholder=KOSONG, width="stretch")  # fmt: skip
if len(r.placement.ejaan_lama):
    st.subheader("Nama desa dengan ejaan lama")
    st.caption("Nama desa ditulis dengan ejaan Kemendagri 2022; desa dicocokkan menurut kodenya.")
    st.dataframe(tabel_tampilan(r.placement.ejaan_lama, {"keluarga": 0}, judul=True),
                 hide_index=True, placeholder=KOSONG, width="stretch")  # fmt: skip
if r.placement.kode_tidak_dikenal:
    st.warning(
        "Kode desa di berkas yang tidak ada di batas desa wilayah: "
        + ", ".join(md_escape(c) for c in r.placement.kode_tidak_dikenal)
    )
denom_input = r.provenance.input("keluarga_desa")
unknown_denom = denom_input.rincian["kode_tidak_dikenal"] if denom_input else []
if unknown_denom:
    st.warning(
        "Kode desa di tabel seluruh keluarga yang tidak ada di wilayah ini (tidak dipakai): "
        + ", ".join(md_escape(c) for c in unknown_denom)
    )
missing_denom = r.indikator[r.indikator["ada_data"] & r.indikator["keluarga_total"].isna()]
if len(missing_denom):
    st.warning(
        "Desa berdata P3KE tanpa angka seluruh keluarga (persentase tidak dihitung): "
        + ", ".join(md_escape(x) for x in missing_denom["desa"])
    )
if r.check.kolom_tidak_dikenal:
    st.info(
        "Kolom yang tidak dikenali (tetap disimpan): "
        + ", ".join(md_escape(c) for c in r.check.kolom_tidak_dikenal)
    )
if not r.batas.diperbaiki.empty:
    st.subheader("Geometri desa yang diperbaiki")
    st.dataframe(
        tabel_tampilan(r.batas.diperbaiki, {"luas_sebelum_m2": 0, "luas_sesudah_m2": 0}, default=3),
        hide_index=True,
        placeholder=KOSONG,
        width="stretch",
    )
