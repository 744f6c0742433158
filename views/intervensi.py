"""Page: do the sub-activities of each strategy land where the desil-1 families are?"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from targeting.export import to_csv_bytes
from targeting.format import KOSONG, angka, persen, tabel_tampilan
from targeting.interventions import MatchSettings, analyse_interventions
from targeting.register import STRATEGI, register_template
from targeting.strategies import INPRES, INPRES_NOMOR, PERMENDAGRI
from views.common import keep, md_escape, setting_widget, start_page
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
        st.dataframe(
            tabel_tampilan(reg.ditolak, judul=True),
            hide_index=True,
            placeholder=KOSONG,
            width="stretch",
        )
if len(reg.lokus_ambigu):
    st.warning(
        f"{angka(len(reg.lokus_ambigu))} lokus bisa dibaca dua cara (nama desa dan juga nama "
        "kecamatan); yang diambil dan alasannya ada di tabel di bawah.",
        icon=":material/warning:",
    )
    st.dataframe(
        tabel_tampilan(reg.lokus_ambigu, judul=True),
        hide_index=True,
        placeholder=KOSONG,
        width="stretch",
    )
if len(reg.cocok_lokus):
    with st.expander("Lokus yang ditentukan dari nama desa"):
        st.dataframe(
            tabel_tampilan(reg.cocok_lokus, {"skor": 1}, judul=True),
            hide_index=True,
            placeholder=KOSONG,
            width="stretch",
        )

with st.sidebar:
    st.header("Saringan")
    strategi = st.multiselect(
        "Strategi", list(INPRES_NOMOR), format_func=lambda s: f"{s}. {STRATEGI[s]}",
        placeholder="Semua strategi", select_all=False, **keep("i_strategi", []),
    )  # fmt: skip
    opds = sorted(reg.register["opd"].dropna().astype(str).unique())
    opd = st.multiselect(
        "OPD", opds, placeholder="Semua OPD", select_all=False, **keep("i_opd", [])
    )
    kec_all = sorted(r.indikator["kecamatan"].unique())
    kec = st.multiselect(
        "Kecamatan", kec_all, placeholder="Semua kecamatan", select_all=False,
        **keep("i_kec", []),
    )  # fmt: skip
    with st.expander("Ambang (pilihan analitis)"):
        # Generated from MatchSettings' field metadata; whole percent (see setting_widget).
        min_d1 = setting_widget(MatchSettings, "min_desil_1")
        need = setting_widget(MatchSettings, "persen_kebutuhan")

register = reg.register
if strategi:
    register = register[register["strategi"].isin(strategi).fillna(False).to_numpy(dtype=bool)]
if opd:
    register = register[register["opd"].astype(str).isin(opd)]
res = analyse_interventions(
    register, r.indikator, r.placement.keluarga,
    r.kantong.desa if r.kantong is not None else None,
    MatchSettings(min_desil_1=int(min_d1), persen_kebutuhan=float(need)),
)  # fmt: skip
shown = set(r.indikator.loc[r.indikator["kecamatan"].isin(kec), "kode_desa"]) if kec else None

st.subheader("Cakupan: desa dijangkau dan keluarga desil 1 paling banyak")
has_p = bool((reg.register.get("skema", pd.Series(dtype=str)) == PERMENDAGRI.nama).any())
skema = INPRES
if has_p:
    st.info(
        f"Register memakai strategi {PERMENDAGRI.judul} (P1-P4, {PERMENDAGRI.sumber}). "
        "Tampilan empat strategi menjaga P1-P4 apa adanya. Padanan ke Inpres 4/2022 hanya "
        "bila tujuannya sama: P1 -> 1, P2 -> 2, P3 (usaha mikro dan kecil) -> 2; P4 (sinergi "
        "kebijakan dan program) tidak berpadanan dan tidak dihitung dalam strategi Inpres mana "
        "pun (kolom sendiri di matriks)."
    )
    if st.radio("Tampilan strategi", ["Permendagri 53/2020 (P1-P4)", "Inpres 4/2022 (1-3)"],
                horizontal=True, **keep("i_skema", "Permendagri 53/2020 (P1-P4)")).startswith("P"):  # fmt: skip
        skema = PERMENDAGRI
keys = list(INPRES_NOMOR) if skema is INPRES else list(skema.kode)
chosen = (strategi or list(INPRES_NOMOR)) if skema is INPRES else keys
cov = res.cakupan[res.cakupan["strategi"].isin(chosen)]
if kec:
    part = cov[cov["wilayah"].isin(kec)]
    figures = ["desa", "desa_terjangkau", "keluarga_desil_1", "keluarga_desil_1_terjangkau",
               "keluarga_desil_1_di_desa_terjangkau"]  # fmt: skip
    summary = part.groupby("strategi")[figures].sum()
    summary["persen"] = summary["keluarga_desil_1_terjangkau"] / summary["keluarga_desil_1"] * 100
    title = "kecamatan terpilih"
else:
    summary = cov[cov["wilayah"] == "kabupaten"].set_index("strategi")
    title = "kabupaten"
cols = st.columns(len(chosen))
for col, s in zip(cols, chosen, strict=True):
    row = summary.loc[s]
    col.metric(
        f"Strategi {skema.get(str(s)).kode}: {skema.get(str(s)).label} ({title})",
        f"{angka(row['desa_terjangkau'])} desa",
        help=None,
    )
    col.caption(
        f"{angka(row['desa_terjangkau'])} dari {angka(row['desa'])} desa dijangkau; keluarga "
        f"desil 1 paling banyak {angka(row['keluarga_desil_1_terjangkau'])} dari "
        f"{angka(row['keluarga_desil_1'])} ({persen(row['persen'])}); di desa yang dijangkau "
        f"tinggal {angka(row['keluarga_desil_1_di_desa_terjangkau'])}."
    )
st.caption(md_escape("Cara menghitung: " + res.parameter["aturan_cakupan"] + "."))
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
            y=alt.Y("persen:Q", title="% keluarga desil 1 terjangkau (paling banyak)"),
            color=alt.Color("Strategi:N", title="Strategi"),
            tooltip=[alt.Tooltip("wilayah:N", title="Kecamatan"), "Strategi:N",
                     alt.Tooltip("persen:Q", title="% terjangkau", format=",.1f")],
        )
    ),
    width="stretch",
)  # fmt: skip

st.subheader("Matriks desa × strategi")
matriks = res.matriks if shown is None else res.matriks[res.matriks["kode_desa"].isin(shown)]
# The Inpres view keeps P4 (no Inpres counterpart) as its own column.
mapped = [st_.kode for st_ in PERMENDAGRI.strategi if st_.inpres is not None]
other = mapped if skema is INPRES else list(INPRES.kode)
extra = list(PERMENDAGRI.tanpa_inpres()) if skema is INPRES and has_p else []
matriks = matriks.drop(
    columns=[c for c in matriks.columns for k in other
             if c.startswith((f"sub_kegiatan_{k}", f"pagu_{k}_", f"keluarga_maks_{k}"))]
)  # fmt: skip
labels = {"kode_desa": "Kode desa", "desa": "Desa", "kecamatan": "Kecamatan",
          "keluarga_desil_1": "Keluarga desil 1", "catatan_pagu": "Catatan pagu"}  # fmt: skip
for s in [*keys, *extra]:
    tag = f"S{s}" if isinstance(s, int) else str(s)
    tag += " (tanpa padanan Inpres)" if s in extra else ""
    labels |= {
        f"sub_kegiatan_{s}": f"{tag} sub kegiatan",
        f"pagu_{s}_rp": f"{tag} pagu (Rp)",
        f"keluarga_maks_{s}": f"{tag} keluarga desil 1 paling banyak",
        f"pagu_{s}_per_desil_1_rp": f"{tag} pagu per keluarga desil 1 (Rp)",
    }
money = [c for c in matriks.columns if c.endswith("_rp")]
reach = [c for c in matriks.columns if c.startswith("keluarga_maks_")]  # families: whole
st.dataframe(
    matriks.rename(columns=labels).style.format(
        {labels[c]: angka for c in [*money, *reach]}
        | {"Keluarga desil 1": angka}, na_rep="–",
    ),
    hide_index=True, placeholder=KOSONG, width="stretch",
)  # fmt: skip
st.caption(md_escape(res.parameter["aturan_pagu_per_keluarga"] + "."))
st.download_button("Unduh matriks (CSV)", to_csv_bytes(matriks), file_name="lokus_matriks.csv")

st.subheader("Celah")
celah = res.celah[res.celah["strategi"].isin(strategi or list(INPRES_NOMOR))]
celah = celah if shown is None else celah[celah["kode_desa"].isin(shown)]
if celah.empty:
    st.success("Tidak ada celah menurut ambang yang dipakai.")
else:
    st.dataframe(
        tabel_tampilan(celah, judul=True), hide_index=True, placeholder=KOSONG, width="stretch"
    )
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
        placeholder=KOSONG,
        width="stretch",
    )

st.subheader("Anggaran terhadap kebutuhan")
budget = matriks.assign(pagu_total_rp=matriks[[f"pagu_{s}_rp" for s in keys]].sum(axis=1) / 1e6)
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
st.dataframe(
    tabel_tampilan(mismatch, {"persen": 1}, judul=True),
    hide_index=True,
    placeholder=KOSONG,
    width="stretch",
)
st.caption(
    md_escape(
        "Pagu dibagi rata ke desa lokusnya; "
        f"desa 'desil 1 tinggi' mulai {angka(res.parameter['ambang_desil_1_tinggi_terpakai'], 2)} per 100 keluarga."
    )
)
