"""Page: priority desa (the score and why) and the target lists to export."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from targeting.format import KOSONG, angka, tabel_tampilan
from targeting.maps import legend_html, render, render_selection
from targeting.mapspec import (
    LAPISAN_PRIORITAS,
    PRIORITAS_COLOUR,
    LegendEntry,
    MapData,
    MapSettings,
    available_layers,
    class_breaks,
    map_spec,
    priority_layer,
)
from targeting.package import TargetOptions, build_package
from targeting.priority import (
    BOBOT_BAWAAN,
    BOBOT_LANGKAH,
    KOMPONEN,
    NORMALISASI,
    PriorityError,
    PrioritySettings,
    select_desa,
)
from targeting.register import STRATEGI
from targeting.strategies import INPRES_NOMOR
from targeting.verifikasi import (
    analisis_terverifikasi,
    kepala_dari,
    kunci_verifikasi,
    lembar_verifikasi,
    terapkan_ke_daftar,
    zip_per_desa,
)
from targeting.verifikasi_ruang import muat_hasil
from views import ruang_sesi
from views.common import (
    HASIL_VERIFIKASI_KEY,
    PRIORITAS_KEY,
    asset_base,
    keep,
    md_escape,
    setting_widget,
    start_page,
)
from views.ui import MAP_ROW_KEY, layer_pills, legend, on_map_change

d = start_page("Desa prioritas dan daftar sasaran")
r = d.result
verified = st.session_state.get(HASIL_VERIFIKASI_KEY)
if verified is None and ruang_sesi.opened_snapshot() is not None:  # kept in the workspace
    kept = muat_hasil(ruang_sesi.workspace(), ruang_sesi.cakupan(), ruang_sesi.opened_snapshot())
    if kept.hasil is not None:
        verified = st.session_state[HASIL_VERIFIKASI_KEY] = (d.key, kept.hasil)
if verified is not None and verified[0] == d.key:  # results uploaded on 'Hasil verifikasi'
    r = analisis_terverifikasi(r, verified[1])  # the ranking counts verified families only
else:
    verified = None
ind = r.indikator

with st.sidebar.expander("Bobot skor prioritas", expanded=False):
    st.caption(
        "Pilihan analitis: tidak ada rumus peringkat dalam peraturan. Yang penting hanya "
        "perbandingan bobot; bawaan dijelaskan di README."
    )
    bobot = {
        # Whole numbers: a number input writes decimals with a point ("30.00"); only the
        # ratio of the weights matters.
        k: st.number_input(
            c.label, 0, 1000, step=BOBOT_LANGKAH, **keep(f"bobot_{k}", round(BOBOT_BAWAAN[k]))
        )
        for k, c in KOMPONEN.items()
    }
    normalisasi = setting_widget(PrioritySettings, "normalisasi")
if r.families_used == 0:
    # Nothing to rank or pick: say why (every row rejected), not that the weights are wrong.
    st.warning(
        f"Tidak ada baris keluarga yang dipakai dari berkas "
        f"**{md_escape(r.ledger.berkas)}**: "
        + (
            f"semua {angka(r.rows_in)} baris ditolak"
            if r.rows_in
            else "berkas tidak berisi baris data"
        )
        + ", jadi belum ada desa yang dapat diberi peringkat atau dipilih. Alasan setiap baris "
        "ada di halaman **Laporan impor**.",
        icon=":material/warning:",
    )
    st.page_link("views/laporan.py", label="Buka Laporan impor", icon=":material/fact_check:")
    st.stop()
try:
    ranking = r.peringkat(bobot, normalisasi)
except PriorityError as err:
    st.error(f"Bobot tidak dapat dipakai: {md_escape(err)}")
    st.stop()
tabel = ranking.tabel
codes = tabel["kode_desa"].tolist()
label = {
    row.kode_desa: (
        f"{'' if pd.isna(row.peringkat) else str(row.peringkat) + '. '}{row.desa} ({row.kecamatan})"
    )
    for row in tabel.itertuples()
}

# The selection lives in session state (not in a widget), so it survives reruns and pages.
chosen = [k for k in st.session_state.get(PRIORITAS_KEY, []) if k in label]
st.session_state[PRIORITAS_KEY] = chosen


weights_now = (tuple(sorted(bobot.items())), normalisasi)


def _weights_text(weights: tuple) -> str:
    pairs, norm = weights
    return ", ".join(f"{k}={v:g}" for k, v in pairs) + f", normalisasi {norm}"


def _set(selection: list[str], how: str, rule: tuple | None = None, *, add: bool = False) -> None:
    """Store the chosen desa, how they were chosen and under which weights.

    ``add``: a change by hand (list, table, map) to an earlier choice: the methods are
    listed one after the other ("3 desa teratas menurut skor; lalu dipilih di peta").
    """
    previous = st.session_state.get("_cara_pilih") or ""
    if add and previous and st.session_state.get(PRIORITAS_KEY) and how not in previous:
        how = f"{previous}; lalu {how}"
    st.session_state[PRIORITAS_KEY] = [k for k in codes if k in set(selection)]
    st.session_state["_cara_pilih"] = how
    st.session_state["_aturan_pilih"] = rule
    st.session_state["_bobot_pilih"] = weights_now
    st.session_state["_versi_tabel"] = st.session_state.get("_versi_tabel", 0) + 1


total_w = sum(ranking.bobot_terpakai.values())
shares = ", ".join(
    f"{KOMPONEN[k].label.lower()} {angka(w / total_w * 100)} %"
    for k, w in ranking.bobot_terpakai.items()
    if w > 0
)
st.caption(
    f"Skor 0–100 = jumlah kontribusi komponen; tiap komponen dinormalisasi 0–1 "
    f"({md_escape(NORMALISASI[ranking.normalisasi])}) lalu dikali bobotnya: {shares}. "
    f"Seri: {md_escape(ranking.aturan()['aturan_seri'])}."
)
for note in ranking.catatan:
    st.info(md_escape(note))

st.subheader("1. Pilih desa prioritas")
c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
n_top = c1.number_input(
    "Jumlah desa teratas", 1, max(1, len(codes)), **keep("n_teratas", min(5, len(codes)))
)
if c1.button(f"Pilih {int(n_top)} desa teratas", key="pilih_teratas"):
    _set(
        select_desa(tabel, teratas=int(n_top)),
        f"{int(n_top)} desa teratas menurut skor",
        ("teratas", int(n_top)),
    )
    st.rerun()
skor_min = c2.number_input("Skor minimal", 0, 100, step=5, **keep("skor_min", 50))
if c2.button("Pilih desa dengan skor ≥ ini", key="pilih_skor"):
    _set(
        select_desa(tabel, skor_min=float(skor_min)),
        f"skor paling sedikit {skor_min:g}",
        ("skor", float(skor_min)),
    )
    st.rerun()
if c3.button("Kosongkan", key="kosongkan_pilihan"):
    _set([], "")
    st.rerun()


ranked = int(tabel["peringkat"].notna().sum())
rule = st.session_state.get("_aturan_pilih")
if rule and rule[0] == "teratas" and rule[1] > ranked:
    st.info(f"Hanya {ranked} desa yang berdata P3KE dan diberi peringkat: semuanya terpilih.")
if chosen and rule and st.session_state.get("_bobot_pilih") != weights_now:
    st.warning(
        "Desa dipilih dengan bobot lain: urutan sekarang berbeda dari saat memilih. Pilih ulang "
        "agar pilihan mengikuti bobot sekarang, atau biarkan (buku kerja mencatat bobot saat "
        "memilih).",
        icon=":material/warning:",
    )
    if st.button("Pilih ulang dengan bobot sekarang", key="pilih_ulang"):
        again = (
            select_desa(tabel, teratas=rule[1])
            if rule[0] == "teratas"
            else select_desa(tabel, skor_min=rule[1])
        )
        _set(again, st.session_state.get("_cara_pilih", ""), rule)
        st.rerun()


def _from_multiselect() -> None:
    _set(st.session_state.get("pilih_desa_prioritas", []), "diubah di daftar", add=True)


st.session_state["pilih_desa_prioritas"] = list(st.session_state[PRIORITAS_KEY])
st.multiselect(
    "Desa prioritas terpilih (klik desa di peta atau centang di tabel juga bisa)",
    codes,
    format_func=label.get,
    key="pilih_desa_prioritas",
    on_change=_from_multiselect,
    placeholder="Belum ada desa terpilih",
    select_all=False,  # Streamlit's "Select all" is English (and picks all 43)
)
chosen = st.session_state[PRIORITAS_KEY]


def _toggle(kode: str) -> None:
    """A click on a desa adds it to the choice or takes it out."""
    now = st.session_state.get(PRIORITAS_KEY, [])
    _set([k for k in now if k != kode] if kode in now else [*now, kode], "diklik di peta", add=True)


with st.container(key=MAP_ROW_KEY):
    left, right = st.columns([2, 1], gap="medium")
with left:
    kelas = class_breaks(ind["persen_desil_1"].astype("float64").where(ind["ada_data"]))
    # Pocket outlines only: the strategy lokus and clusters belong to the desa map.
    data = replace(MapData.from_result(r), klaster=None, lokus=None)
    lapisan = layer_pills("lapisan_prioritas", available_layers(data))
    spec = map_spec(
        data,
        MapSettings(
            kelas=kelas, lapisan=lapisan, height=480,
            popup=False,  # a click here selects the desa; the why is in the table
            asset_base=asset_base(), kontrol_lapisan=False, legenda=False,
            pandangan="peta_prioritas",
        ),
    )  # fmt: skip
    ranks = tabel.set_index("kode_desa")["peringkat"].to_dict()
    chosen_layer = priority_layer(data, chosen, ranks)
    st_folium(
        render(spec),
        key="peta_prioritas",
        height=480,
        use_container_width=True,
        returned_objects=["last_active_drawing"],
        # Only this layer changes with the selection: the map itself is not re-rendered.
        feature_group_to_add=render_selection(chosen_layer),
        on_change=on_map_change("peta_prioritas", _toggle),
    )
    legend(
        legend_html(spec.legend, extra=(LegendEntry(PRIORITAS_COLOUR, LAPISAN_PRIORITAS, "solid"),))
    )
    st.caption("Klik desa di peta untuk menambah atau melepasnya dari pilihan (garis hitam tebal).")
with right:
    if chosen:
        sel = tabel[tabel["kode_desa"].isin(chosen)]
        st.metric("Desa terpilih", angka(len(sel)))
        for row in sel.itertuples():
            with st.expander(f"{label[row.kode_desa]} · skor {angka(row.skor, 1)}"):
                st.write(md_escape(row.alasan))
    else:
        st.info("Belum ada desa terpilih: pilih desa teratas, klik peta, atau centang di tabel.")

st.markdown("**Peringkat semua desa: mengapa desa ini?**")
unranked = tabel[tabel["peringkat"].isna()]
if len(unranked):
    st.caption(
        "Tanpa data P3KE, tidak diberi peringkat: "
        + ", ".join(md_escape(x) for x in unranked["desa"])
    )
view = tabel[tabel["peringkat"].notna()].reset_index(drop=True)
view.insert(0, "pilih", view["kode_desa"].isin(chosen))
shown = ["pilih", "peringkat", "desa", "kecamatan", "skor"]
shown += [f"kontribusi_{k}" for k in KOMPONEN] + [f"nilai_{k}" for k in KOMPONEN] + ["alasan"]
names = {
    "pilih": "Pilih", "peringkat": "Peringkat", "desa": "Desa", "kecamatan": "Kecamatan",
    "skor": "Skor", "alasan": "Mengapa",
    **{f"kontribusi_{k}": f"+ {c.label}" for k, c in KOMPONEN.items()},
    **{f"nilai_{k}": f"Nilai: {c.label}" for k, c in KOMPONEN.items()},
}  # fmt: skip
editor_key = f"tabel_prioritas_{st.session_state.get('_versi_tabel', 0)}"


def _from_table() -> None:
    edits = st.session_state.get(editor_key, {}).get("edited_rows", {})
    now = set(st.session_state[PRIORITAS_KEY])
    for pos, change in edits.items():
        kode = view["kode_desa"].iloc[int(pos)]
        ticked = change.get(names["pilih"])  # edits are keyed by the shown column name
        if ticked is True:
            now.add(kode)
        elif ticked is False:
            now.discard(kode)
    _set(list(now), "dicentang di tabel peringkat", add=True)


# Decimal comma like the metrics and the "Mengapa" text (74,9 not 74.91); the values
# underneath stay numbers, so sorting a column stays numeric.
decimals = {"skor": 1, **{f"kontribusi_{k}": 1 for k in KOMPONEN}}
decimals |= {f"nilai_{k}": {"keluarga_desil_1": 0, "celah": 2}.get(k, 1) for k in KOMPONEN}
st.data_editor(
    tabel_tampilan(view[shown].rename(columns=names), {names[c]: n for c, n in decimals.items()}),
    key=editor_key,
    on_change=_from_table,
    hide_index=True,
    placeholder=KOSONG,
    width="stretch",
    disabled=[names[c] for c in shown if c != "pilih"],
    column_config={"Pilih": st.column_config.CheckboxColumn("Pilih", width="small")},
)

st.subheader("2. Daftar keluarga sasaran")
if not chosen:
    st.info("Pilih paling sedikit satu desa prioritas di atas.")
    st.stop()
desil_max = r.check.desil_max
c1, c2 = st.columns(2)
desil = c1.multiselect(
    "Desil",
    list(range(1, desil_max + 1)),
    placeholder="Pilih desil",
    select_all=False,
    **keep("sasaran_desil", [1]),
)
strategi = c2.multiselect(
    "Hanya keluarga dengan usulan strategi",
    list(INPRES_NOMOR),
    format_func=lambda s: f"{s}: {STRATEGI[s]}",
    placeholder="Semua strategi",
    select_all=False,
    **keep("sasaran_strategi", []),
)
berkekurangan = st.checkbox(
    "Hanya keluarga dengan paling sedikit satu kekurangan", **keep("sasaran_kurang", False)
)
pribadi = st.checkbox(
    "Sertakan data pribadi (NIK, No KK, nama, alamat, koordinat tepat) di tampilan dan unduhan",
    key="sertakan_data_pribadi",
    value=False,
    help="Data pribadi dilindungi UU 27/2022. Tanpa centang: NIK dan No KK disamarkan, nama "
    "disingkat, alamat tidak dimuat. Pilihan ini tercatat di lembar 'ringkasan'.",
)
if pribadi:
    st.warning(
        "Unduhan akan memuat **data pribadi**. Simpan terkunci, jangan dikirim lewat grup "
        "percakapan, hapus setelah musyawarah desa.",
        icon=":material/lock_open:",
    )
if not desil:
    st.info("Pilih paling sedikit satu desil.")
    st.stop()
how = st.session_state.get("_cara_pilih") or "dipilih di aplikasi"
picked_under = st.session_state.get("_bobot_pilih", weights_now)
how += f"; bobot saat memilih: {_weights_text(picked_under)}"
if picked_under != weights_now:
    how += " (berbeda dari bobot sekarang di lembar ini)"
package = build_package(
    r,
    ranking,
    TargetOptions(
        desa=tuple(chosen),
        desil=tuple(desil),
        hanya_berkekurangan=berkekurangan,
        strategi=tuple(strategi) or None,
        data_pribadi=pribadi,
        cara_pilih=how,
    ),
)
if verified is not None:
    package.sasaran, keluar = terapkan_ke_daftar(package.sasaran, verified[1])
    st.info(
        f"Hasil verifikasi musdes diterapkan: {angka(len(keluar))} keluarga tidak layak "
        "dikeluarkan dari daftar dan dari hitungan skor prioritas; keluarga lain bertanda layak "
        "atau belum diverifikasi."
    )
fam = package.sasaran.keluarga
cols = st.columns(4)
cols[0].metric("Keluarga sasaran", angka(len(fam)))
for s in INPRES_NOMOR:
    cols[s].metric(f"Usulan strategi {s}", angka(package.sasaran.per_strategi[s]))
for note in package.sasaran.catatan:
    st.info(md_escape(note))
with st.expander("Aturan usulan strategi (pilihan analitis)"):
    for text in package.sasaran.aturan:
        st.markdown(f"- {md_escape(text)}")
st.dataframe(
    # A long list: text copy (no Styler); only the coordinates (personal data) are floats.
    tabel_tampilan(
        fam,
        {"lintang": 6, "bujur": 6},
        teks=True,
        judul=True,  # "NIK", "No KK", not raw column names
    ),
    hide_index=True,
    placeholder=KOSONG,
    width="stretch",
    height=320,
)

st.subheader("3. Unduh")
st.caption(
    "Nama berkas memuat tanggal dan filter. Buku kerja XLSX: lembar ringkasan, desa_prioritas, "
    "sasaran_keluarga, intervensi, laporan_impor."
)
downloads = [
    # label, data (built on click), file name, MIME type
    ("Unduh buku kerja (XLSX)", package.xlsx, package.file_name("xlsx"),
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("Unduh keluarga sasaran (CSV)", package.csv, package.file_name("csv"), "text/csv"),
    ("Unduh CSV untuk Excel Indonesia (;)", lambda: package.csv(";"),
     package.file_name("csv").replace(".csv", "_titikkoma.csv"), "text/csv"),
    ("Unduh desa prioritas dan kantong (GeoJSON)", package.geojson,
     package.file_name("geojson", "prioritas"), "application/geo+json"),
    ("Unduh untuk QGIS (GeoPackage)", package.gpkg, package.file_name("gpkg", "prioritas"),
     "application/geopackage+sqlite3"),
    ("Unduh peta (HTML, terbuka tanpa internet)", lambda: package.map_html().encode("utf-8"),
     package.file_name("html", "peta"), "text/html"),
]  # fmt: skip
if len(fam):  # village-meeting verification workbooks (issue 17)
    kepala = kepala_dari(r, data_pribadi=pribadi)
    downloads += [
        ("Unduh lembar verifikasi musdes", lambda: lembar_verifikasi(fam, kepala, kunci_verifikasi()),
         package.file_name("xlsx", "verifikasi_musdes"),
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("Unduh lembar verifikasi per desa (ZIP)", lambda: zip_per_desa(fam, kepala, kunci_verifikasi()),
         package.file_name("zip", "verifikasi_musdes"), "application/zip"),
    ]  # fmt: skip
columns = st.columns(3)
for i, (text, data, name, mime) in enumerate(downloads):
    columns[i % 3].download_button(
        text,
        # a callable: the file is built (and its audit line written) when the button is pressed
        ruang_sesi.diaudit(data, name, len(fam)),
        file_name=name,
        mime=mime,
        on_click="ignore",
        key=f"unduh_{i}",
        type="primary" if i == 0 else "secondary",
    )
