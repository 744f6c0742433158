"""Page: do the sub-activities of each strategy land where the desil-1 families are?"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from targeting.export import to_csv_bytes
from targeting.format import angka, persen, tabel_tampilan
from targeting.interventions import MatchSettings, analyse_interventions
from targeting.register import STRATEGI, register_template
from views.common import keep, md_escape, start_page
from views.ui import chart_id

d = start_page("Sub kegiatan dan lokus")
r = d.result
st.download_button(
    "Unduh templat daftar sub kegiatan (CSV)",
    to_csv_bytes(register_template()),
    file_name="templat_sub_kegiatan.csv",
    mime="text/csv",
)
if r.register is None:
    if r.register_galat:
        st.error("Daftar sub kegiatan tidak dapat dipakai.\n\n" + md_escape(r.register_galat))
    else:
        st.info("Tidak ada daftar sub kegiatan. Unggah register di samping (lihat templat).")
    st.stop()

reg = r.register
st.caption(
    f"Register: {angka(reg.rows_in)} baris dibaca, {angka(len(reg.register))} dipakai, "
    f"{angka(len(reg.ditolak))} ditolak."
)
if len(reg.ditolak):
    with st.expander(f"{angka(len(reg.ditolak))} baris register ditolak"):
        st.dataframe(tabel_tampilan(reg.ditolak, judul=True), hide_index=True, width="stretch")
if len(reg.cocok_lokus):
    with st.expander("Lokus yang ditentukan dari nama desa"):
        st.dataframe(
            tabel_tampilan(reg.cocok_lokus, {"skor": 1}, judul=True),
            hide_index=True,
            width="stretch",
        )

with st.sidebar:
    st.header("Saringan")
    strategi = st.multiselect(
        "Strategi", [1, 2, 3], format_func=lambda s: f"{s}. {STRATEGI[s]}",
        placeholder="Semua strategi", **keep("i_strategi", []),
    )  # fmt: skip
    opds = sorted(reg.register["opd"].dropna().astype(str).unique())
    opd = st.multiselect("OPD", opds, placeholder="Semua OPD", **keep("i_opd", []))
    kec_all = sorted(r.indikator["kecamatan"].unique())
    kec = st.multiselect("Kecamatan", kec_all, placeholder="Semua kecamatan", **keep("i_kec", []))
    with st.expander("Ambang (pilihan analitis)"):
        d0 = MatchSettings()
        min_d1 = st.number_input("Salah sasaran: keluarga desil 1 di lokus kurang dari", 0, 10_000,
                                 **keep("i_min", d0.min_desil_1))  # fmt: skip
        # Whole percent: a number input writes its decimals with a point ("25.00").
        need = st.number_input("Kebutuhan nyata bila kekurangan ≥ (% desil 1)", 1, 100,
                               **keep("i_need", round(d0.persen_kebutuhan)))  # fmt: skip

register = reg.register
if strategi:
    register = register[register["strategi"].isin(strategi)]
if opd:
    register = register[register["opd"].astype(str).isin(opd)]
res = analyse_interventions(
    register, r.indikator, r.placement.keluarga,
    r.kantong.desa if r.kantong is not None else None,
    MatchSettings(min_desil_1=int(min_d1), persen_kebutuhan=float(need)),
)  # fmt: skip
shown = set(r.indikator.loc[r.indikator["kecamatan"].isin(kec), "kode_desa"]) if kec else None

st.subheader("Cakupan: keluarga desil 1 di desa yang dijangkau")
chosen = strategi or [1, 2, 3]
cov = res.cakupan[res.cakupan["strategi"].isin(chosen)]
if kec:
    part = cov[cov["wilayah"].isin(kec)]
    summary = part.groupby("strategi")[["keluarga_desil_1", "keluarga_desil_1_terjangkau"]].sum()
    summary["persen"] = summary["keluarga_desil_1_terjangkau"] / summary["keluarga_desil_1"] * 100
    title = "kecamatan terpilih"
else:
    summary = cov[cov["wilayah"] == "kabupaten"].set_index("strategi")
    title = "kabupaten"
cols = st.columns(len(chosen))
for col, s in zip(cols, chosen, strict=True):
    row = summary.loc[s]
    col.metric(
        f"Strategi {s}: {STRATEGI[s]} ({title})",
        persen(row["persen"]),
        help=f"{angka(row['keluarga_desil_1_terjangkau'])} dari {angka(row['keluarga_desil_1'])} keluarga desil 1",
    )
by_kec = cov[cov["wilayah"] != "kabupaten"]
if kec:
    by_kec = by_kec[by_kec["wilayah"].isin(kec)]
by_kec = by_kec.pivot(index="wilayah", columns="strategi", values="persen")
by_kec.columns = [f"Strategi {c}" for c in by_kec.columns]
long = by_kec.reset_index().melt("wilayah", var_name="Strategi", value_name="persen")
st.altair_chart(
    chart_id(
        alt.Chart(long).mark_bar().encode(
            x=alt.X("wilayah:N", title="Kecamatan"),
            xOffset="Strategi:N",
            y=alt.Y("persen:Q", title="% keluarga desil 1 terjangkau"),
            color=alt.Color("Strategi:N", title="Strategi"),
            tooltip=[alt.Tooltip("wilayah:N", title="Kecamatan"), "Strategi:N",
                     alt.Tooltip("persen:Q", title="% terjangkau", format=",.1f")],
        )
    ),
    width="stretch",
)  # fmt: skip

st.subheader("Matriks desa × strategi")
matriks = res.matriks if shown is None else res.matriks[res.matriks["kode_desa"].isin(shown)]
labels = {"kode_desa": "Kode desa", "desa": "Desa", "kecamatan": "Kecamatan",
          "keluarga_desil_1": "Keluarga desil 1"}  # fmt: skip
for s in (1, 2, 3):
    labels |= {
        f"sub_kegiatan_{s}": f"S{s} sub kegiatan",
        f"pagu_{s}_rp": f"S{s} pagu (Rp)",
        f"pagu_{s}_per_desil_1_rp": f"S{s} pagu per keluarga desil 1 (Rp)",
    }
money = [c for c in matriks.columns if c.endswith("_rp")]
st.dataframe(
    matriks.rename(columns=labels).style.format(
        {labels[c]: angka for c in money}
        | {"Keluarga desil 1": angka}
    ),
    hide_index=True, width="stretch",
)  # fmt: skip
st.download_button("Unduh matriks (CSV)", to_csv_bytes(matriks), file_name="lokus_matriks.csv")

st.subheader("Celah")
celah = res.celah[res.celah["strategi"].isin(chosen)]
celah = celah if shown is None else celah[celah["kode_desa"].isin(shown)]
if celah.empty:
    st.success("Tidak ada celah menurut ambang yang dipakai.")
else:
    st.dataframe(tabel_tampilan(celah, judul=True), hide_index=True, width="stretch")
    st.download_button("Unduh celah (CSV)", to_csv_bytes(celah), file_name="lokus_celah.csv")

st.subheader("Kemungkinan salah sasaran")
st.caption(
    f"Sub kegiatan yang lokusnya berisi kurang dari {int(min_d1)} keluarga desil 1, urut pagu."
)
salah = res.salah_sasaran
if shown is not None and len(salah):
    salah = salah[salah["lokus_kode"].str.split(";").map(lambda ks: bool(set(ks) & shown))]
if salah.empty:
    st.success("Tidak ada.")
else:
    names = dict(zip(r.indikator["kode_desa"], r.indikator["desa"], strict=True))
    st.dataframe(
        tabel_tampilan(
            pd.DataFrame(
                {
                    "Sub kegiatan": salah["nama_sub_kegiatan"],
                    "Kode": salah["kode_sub_kegiatan"],
                    "OPD": salah["opd"],
                    "Strategi": salah["strategi"],
                    # Rupiah as a number, written 1.843.000.000: sorting stays by amount.
                    "Pagu (Rp)": salah["pagu_rp"].astype("float64"),
                    "Lokus": salah["lokus_kode"].map(
                        lambda k: ", ".join(names.get(c, c) for c in k.split(";"))
                    ),
                    "Keluarga desil 1 di lokus": salah["keluarga_desil_1_di_lokus"],
                }
            ),
            {"Pagu (Rp)": 0, "Keluarga desil 1 di lokus": 0},
        ),
        hide_index=True,
        width="stretch",
    )

st.subheader("Anggaran terhadap kebutuhan")
budget = matriks.assign(
    pagu_total_rp=matriks[[f"pagu_{s}_rp" for s in (1, 2, 3)]].sum(axis=1) / 1e6
)
st.altair_chart(
    chart_id(
        alt.Chart(budget).mark_circle(size=60).encode(
            x=alt.X("keluarga_desil_1:Q", title="Keluarga desil 1"),
            y=alt.Y("pagu_total_rp:Q", title="Pagu di desa (juta Rp)"),
            tooltip=[alt.Tooltip("desa:N", title="Desa"),
                     alt.Tooltip("keluarga_desil_1:Q", title="Keluarga desil 1", format=",.0f"),
                     alt.Tooltip("pagu_total_rp:Q", title="Pagu (juta Rp)", format=",.1f")],
        )
    ),
    width="stretch",
)  # fmt: skip
kb = res.kebutuhan if shown is None else res.kebutuhan[res.kebutuhan["kode_desa"].isin(shown)]
mismatch = kb[kb["status"].isin(["kebutuhan tanpa sub kegiatan", "sub kegiatan tanpa kebutuhan"])]
st.markdown("**Kebutuhan dan sub kegiatan yang tidak bertemu**")
st.dataframe(tabel_tampilan(mismatch, {"persen": 1}, judul=True), hide_index=True, width="stretch")
st.caption(
    md_escape(
        f"Pagu dibagi rata ke desa lokusnya; cakupan = {res.parameter['aturan_cakupan']}; "
        f"desa 'desil 1 tinggi' mulai {angka(res.parameter['ambang_desil_1_tinggi_terpakai'], 2)} "
        "per 100 keluarga."
    )
)
