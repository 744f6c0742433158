"""Page: the desa map coloured by desil-1 families, headline figures and the desa table."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from targeting.export import to_csv_bytes
from targeting.format import KOSONG, angka, judul_kolom, persen, tabel_tampilan
from targeting.indicators import DEPRIVASI, column_labels, district_summary
from targeting.maps import INDIKATOR_PETA, legend_html, render, render_selection
from targeting.mapspec import (
    MapData,
    MapSettings,
    available_layers,
    class_breaks,
    map_spec,
    selected_layer,
    sub_kegiatan_text,
)
from targeting.pockets import LABELS, PINDAI, nama_metode, why_none_assessed
from views.common import PRIORITAS_KEY, asset_base, keep, md_escape, start_page
from views.ui import MAP_ROW_KEY, layer_pills, legend, on_map_change

d = start_page("Peta keluarga desil 1 per desa")
ind = d.result.indikator

with st.sidebar:
    st.header("Tampilan")
    kec_all = sorted(ind["kecamatan"].unique())
    kec = st.multiselect(
        "Kecamatan",
        kec_all,
        placeholder="Semua kecamatan",
        select_all=False,
        **keep("filter_kecamatan", []),
    )
    kolom = st.radio(
        "Warna peta",
        list(INDIKATOR_PETA),
        format_func=INDIKATOR_PETA.get,
        **keep("indikator_peta", "persen_desil_1"),
    )
    basemap = st.toggle(
        "Peta dasar OpenStreetMap (perlu internet)",
        **keep("peta_dasar", False),
        help="Batas desa selalu tampil; ubin peta dasar hanya dimuat bila ada internet.",
    )

view = ind[ind["kecamatan"].isin(kec)] if kec else ind
s = district_summary(view)
r = d.result
if r.rows_rejected:
    st.caption(
        f"{angka(r.rows_in)} baris dibaca: {angka(r.rows_used)} dipakai, "
        f"**{angka(r.rows_rejected)} ditolak** (lihat halaman Laporan impor)."
    )
cols = st.columns(5)
cols[0].metric(
    "Desa",
    f"{angka(s['desa_dengan_data'])} / {angka(s['desa'])}",
    help="desa dengan data P3KE / semua desa",
)
cols[1].metric(
    "Seluruh keluarga",
    # Without a desa that has a share there is no denominator to show, not 0 families.
    angka(s["keluarga_total"] if s["desa_dengan_persen"] else None),
    help="di desa yang persentasenya dapat dihitung; penyebut persentase di samping",
)
cols[2].metric("Keluarga P3KE", angka(s["keluarga_p3ke"]))
cols[3].metric("Keluarga desil 1", angka(s["keluarga_desil_1"]))
cols[4].metric("Desil 1 per 100 keluarga", persen(s["persen_desil_1"]))


KEY = "peta_desa"
# Every layer follows the kecamatan filter (the clusters too): the map draws the desa in view.
data = MapData.from_result(r, indikator=view)
lokus = data.lokus
# Colour classes come from the whole district, so a filtered view keeps its colours.
kelas = class_breaks(
    ind[kolom].astype("float64").where(ind["ada_data"]), integer=kolom.startswith("keluarga")
)


def _select(kode: str) -> None:
    st.session_state["desa_terpilih"] = kode


@st.fragment
def map_and_panel() -> None:
    """The map and the desa panel: a click or a layer change reruns only this part."""
    available = available_layers(data)
    with st.container(key=MAP_ROW_KEY):
        left, right = st.columns([2, 1], gap="medium")
    with left:
        lapisan = layer_pills("lapisan_peta", available)
        spec = map_spec(
            data,
            MapSettings(
                kolom=kolom, kelas=kelas, lapisan=lapisan, popup=False,
                # The priority desa chosen on the "Desa prioritas" page stay outlined here too.
                prioritas=tuple(st.session_state.get(PRIORITAS_KEY, [])),
                asset_base=asset_base(), basemap="OpenStreetMap" if basemap else None,
                kontrol_lapisan=False, legenda=False,
                # A colour or layer change keeps the view; a new kecamatan filter fits its desa.
                pandangan=f"{KEY}:{'|'.join(kec)}",
            ),
        )  # fmt: skip
        # Built fresh each run (about 50 ms): a folium.Map must not be re-rendered, so it
        # is never cached. The analysis behind it is cached on the data.
        st_folium(
            render(spec), key=KEY, height=520, use_container_width=True,
            returned_objects=["last_active_drawing"],
            # only the selection outline changes with a click
            feature_group_to_add=render_selection(
                selected_layer(spec, st.session_state.get("desa_terpilih"))
            ),
            on_change=on_map_change(KEY, _select),
        )  # fmt: skip
        legend(legend_html(spec.legend))
    with right:
        desa_panel()


def desa_panel() -> None:
    """The chosen desa's figures, pocket label and sub-activities."""
    names = dict(zip(view["kode_desa"], view["desa"] + " (" + view["kecamatan"] + ")", strict=True))
    if st.session_state.get("desa_terpilih") not in names:
        st.session_state["desa_terpilih"] = None
    pick = st.selectbox(
        "Desa", list(names), format_func=names.get, index=None, key="desa_terpilih",
        placeholder="Klik desa di peta atau pilih di sini",
    )  # fmt: skip
    if pick is None:
        st.caption("Klik sebuah desa di peta untuk melihat angkanya.")
        return
    row = view[view["kode_desa"] == pick].iloc[0]
    st.subheader(md_escape(row["desa"]))
    st.caption(f"Kecamatan {md_escape(row['kecamatan'])} · kode {row['kode_desa']}")
    if not row["ada_data"]:
        st.warning("Tidak ada baris P3KE untuk desa ini di berkas yang dipakai.")
    if r.kantong is not None:
        hot = r.kantong.desa.set_index("kode_desa").loc[pick]
        text = f"**Kantong kemiskinan: {hot['kantong']}.** {md_escape(hot['alasan'])}"
        (st.error if hot["kantong"] == "panas" else st.caption)(text)
        inside = r.kantong.klaster[r.kantong.klaster["kode_desa"] == pick]
        for c in inside.itertuples():
            st.warning(
                f"Klaster keluarga desil 1 {c.id_kantong} di desa ini: "
                f"{angka(c.keluarga_desil_1)} keluarga ({md_escape(c.kekurangan_utama)})."
            )
    c1, c2 = st.columns(2)
    c1.metric("Keluarga desil 1", angka(row["keluarga_desil_1"] if row["ada_data"] else None))
    c2.metric("Desil 1 per 100 keluarga", persen(row["persen_desil_1"]))
    c1.metric("Keluarga P3KE", angka(row["keluarga_p3ke"] if row["ada_data"] else None))
    c2.metric(
        "Seluruh keluarga",
        angka(None if pd.isna(row["keluarga_total"]) else row["keluarga_total"]),
    )
    if lokus is not None:
        st.markdown("**Sub kegiatan di desa ini**")
        st.caption(md_escape(sub_kegiatan_text(lokus, [pick])[0]))
    desil_cols = [c for c in view.columns if c.startswith("keluarga_desil_")]
    st.markdown("**Keluarga P3KE per desil**")
    st.dataframe(
        pd.DataFrame(
            {"Desil": [c.rsplit("_", 1)[1] for c in desil_cols],
             "Keluarga": [angka(row[c] if row["ada_data"] else None) for c in desil_cols]}
        ),
        hide_index=True, placeholder=KOSONG, width="stretch",
    )  # fmt: skip
    st.markdown("**Kekurangan pada keluarga P3KE**")
    st.dataframe(
        pd.DataFrame(
            {
                "Kekurangan": [dep.label for dep in DEPRIVASI.values()],
                "Keluarga": [angka(None if pd.isna(row[f"p3ke_{k}"]) else row[f"p3ke_{k}"]) for k in DEPRIVASI],
                "Per 100 keluarga P3KE": [persen(row[f"persen_p3ke_{k}"]) for k in DEPRIVASI],
            }
        ),
        hide_index=True, placeholder=KOSONG, width="stretch",
    )  # fmt: skip


map_and_panel()

st.subheader("Kantong kemiskinan")
if r.kantong is None:
    st.info(f"Analisis kantong tidak dijalankan: {md_escape(r.kantong_galat)}")
else:
    params = r.kantong.parameter
    rule = {
        "knn": f"{params['k']} desa terdekat",
        "kontiguitas": f"desa bersinggungan (toleransi {angka(params['toleransi_m'])} m)",
        "kontiguitas_knn": f"bersinggungan (toleransi {angka(params['toleransi_m'])} m) atau {params['k']} terdekat",
        "jarak": f"desa dalam {angka(params['jarak_m'])} m",
    }[str(params["tetangga"])]
    tested = {"persen_desil_1": "persentase desil 1", "keluarga_desil_1": "jumlah desil 1"}[
        str(params["variabel"])
    ]
    pindai = params["statistik"] in PINDAI
    if pindai:
        tested = "keluarga desil 1 di antara semua keluarga"
    n_assessed = int((r.kantong.desa["kantong"] != "tidak dinilai").sum())
    if n_assessed == 0:
        # No desa assessed: say why beside the number, not only in the table below.
        why = r.kantong_galat or why_none_assessed(r.kantong.desa)
        st.warning(f"**0 desa dinilai**: {md_escape(why)}", icon=":material/warning:")
    st.caption(
        f"Aturan (pilihan analitis): {md_escape(params['aturan_desa'])} Diuji: {tested}"
        f"{' (dihaluskan Empirical Bayes)' if params['smoothing'] and params['variabel'] == 'persen_desil_1' and not pindai else ''}; "
        f"statistik {nama_metode(params)}; "
        f"{'' if pindai else f'tetangga: {rule}; '}"
        f"{params['permutasi']} {'replikasi Monte Carlo' if pindai else 'permutasi'}, seed {params['seed']}, alpha {angka(params['alpha'], 3)}. "
        f"{n_assessed} desa dinilai{' (alasannya di atas)' if n_assessed == 0 else ''}. "
        + (
            "Bacalah juga peta persentase."
            if pindai
            else "Dengan sedikit desa, hanya kelompok desa yang hampir semua "
            "tetangganya juga tinggi dapat signifikan: bacalah juga peta persentase."
        )
    )
    if r.kantong_galat:
        st.info(f"Analisis tingkat desa tidak dijalankan: {md_escape(r.kantong_galat)}")
    hot = r.kantong.desa
    hot = hot[hot["kode_desa"].isin(set(view["kode_desa"]))]
    # Pockets first, then the poor desa among better-off ones (worth a look of their own).
    panas = (
        hot[hot["kantong"].isin(["panas", "pencilan tinggi"])]
        .merge(view[["kode_desa", "desa", "kecamatan", "keluarga_desil_1"]], on="kode_desa")
        .sort_values("kantong", key=lambda k: k != "panas", kind="stable")
    )
    c1, c2 = st.columns(2)
    klaster = r.kantong.klaster[r.kantong.klaster["kode_desa"].isin(set(view["kode_desa"]))]
    c1.metric("Desa kantong (panas)", angka(int((panas["kantong"] == "panas").sum())))
    c2.metric("Klaster keluarga desil 1", angka(len(klaster)))
    per_label = hot["kantong"].value_counts()
    st.caption(
        "Desa per label: "
        + "; ".join(f"{lab} {angka(int(per_label.get(lab, 0)))}" for lab in LABELS)
        + ". Pencilan tinggi = desa miskin di antara desa yang lebih sejahtera; pencilan rendah "
        "= desa lebih sejahtera di antara desa miskin. Hanya desa panas yang dihitung sebagai "
        "kantong dalam prioritas."
    )
    # Decimal comma like the metrics (6,15 not 6.15); the values underneath stay numbers.
    count_tested = params["variabel"] == "keluarga_desil_1"
    decimals = {"Nilai diuji": 0 if count_tested else 2, "Rata-rata tetangga": 1 if count_tested else 2,
                "z": 2, "p": 3, "q (FDR)": 3}  # fmt: skip
    if len(panas):
        st.dataframe(
            tabel_tampilan(
                panas[["kode_desa", "desa", "kecamatan", "kantong", "keluarga_desil_1", "nilai",
                       *(["klaster_pindai", "gi_p"] if pindai else ["gi_z", "gi_q"]), "alasan"]]
                .rename(columns={"kode_desa": "Kode desa", "desa": "Desa", "kecamatan": "Kecamatan",
                                 "kantong": "Label", "klaster_pindai": "Klaster pindai",
                                 "keluarga_desil_1": "Keluarga desil 1", "nilai": "Nilai diuji",
                                 "gi_z": "z", "gi_q": "q (FDR)", "gi_p": "p", "alasan": "Alasan"}),
                decimals,
            ),
            hide_index=True, placeholder=KOSONG, width="stretch",
        )  # fmt: skip
    if len(klaster):
        st.markdown("**Klaster keluarga desil 1 di bawah tingkat desa**")
        st.dataframe(
            tabel_tampilan(
                klaster.drop(columns="geometry").rename(
                    columns={"id_kantong": "Klaster", "kode_desa": "Kode desa", "desa": "Desa",
                             "keluarga_desil_1": "Keluarga desil 1", "luas_m2": "Luas (m²)",
                             "kekurangan_utama": "Kekurangan utama"}
                ),
                {"Keluarga desil 1": 0, "Luas (m²)": 0},
            ),
            hide_index=True, placeholder=KOSONG, width="stretch",
        )  # fmt: skip
    with st.expander("Label semua desa dan alasannya"):
        labels = hot.drop(columns="geometry").merge(view[["kode_desa", "desa"]], on="kode_desa")
        st.dataframe(
            tabel_tampilan(
                labels[["kode_desa", "desa", "kantong", "nilai", "nilai_tetangga", "gi_z", "gi_p",
                        "gi_q", "alasan"]].rename(
                    columns={"kode_desa": "Kode desa", "desa": "Desa", "kantong": "Label",
                             "nilai": "Nilai diuji", "nilai_tetangga": "Rata-rata tetangga",
                             "gi_z": "z", "gi_p": "p", "gi_q": "q (FDR)", "alasan": "Alasan"}
                ),
                decimals,
            ),
            hide_index=True, placeholder=KOSONG, width="stretch",
        )  # fmt: skip

st.subheader("Angka per desa")
table = view.drop(columns=["geometry", "kode_kecamatan"])
labels = column_labels(table.columns)
table = table.rename(columns=lambda c: labels.get(c) or judul_kolom(c))  # never a raw name
num = table.select_dtypes("number").columns
share_cols = [c for c in num if "per 100" in c]
styler = table.style.format(na_rep="–").format(
    {c: (persen if c in share_cols else angka) for c in num}, na_rep="–"
)  # "–" in every column for desa without data, never "None" or "nan"
st.dataframe(styler, hide_index=True, placeholder=KOSONG, width="stretch")
export = view.drop(columns=["geometry"]).round(2)
c1, c2 = st.columns(2)
c1.download_button(
    "Unduh angka per desa (CSV, pemisah koma)",
    to_csv_bytes(export),
    file_name="lokus_desa.csv",
    mime="text/csv",
)
c2.download_button(
    "Unduh angka per desa (CSV untuk Excel Indonesia, pemisah ;)",
    to_csv_bytes(export, sep=";"),
    file_name="lokus_desa_titikkoma.csv",
    mime="text/csv",
)
