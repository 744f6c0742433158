"""Page: change between household snapshots (who left desil 1, who entered, per desa).

Widgets only: loading, pairing and counting are :func:`targeting.banding.muat_banding`; the map
is :func:`targeting.banding_peta.peta_spec` drawn by :func:`targeting.maps.render`.
"""

from __future__ import annotations

import io
import zipfile

import altair as alt
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from geo.errors import LokusError
from geo.region import load_region
from targeting.banding import (
    CATATAN_SKALA,
    CATATAN_STRATEGI,
    KOLOM_DESA,
    DataMasuk,
    Perbandingan,
    berkas_banding,
    muat_banding,
    per_kecamatan,
)
from targeting.banding_peta import peta_spec
from targeting.banding_ruang import data_ruang
from targeting.cli_banding import demo_files
from targeting.format import KOSONG, angka, persen, tabel_tampilan
from targeting.maps import legend_html, render
from targeting.mapspec import MapSettings
from targeting.ruang_kerja import Cakupan
from views import ruang_sesi
from views.common import asset_base, md_escape, region_path
from views.ui import chart_id, legend

SKALA = {"auto": "Otomatis", "p3ke": "P3KE (desil 1-4)", "dtsen": "DTSEN (desil 1-10)"}


# In memory only, a few comparisons, dropped an hour after last use (personal data).
@st.cache_resource(show_spinner="Membandingkan data…", max_entries=4, ttl=3600)
def _banding(
    region: str,
    items: tuple[tuple[str, bytes | str, str | None, str], ...],
    kept: tuple[int, ...] = (),
    cakupan: Cakupan | None = None,
):
    settings = load_region(region)
    data = data_ruang(ruang_sesi.workspace(), cakupan, kept, settings) if kept else []
    data += [DataMasuk(src, nama=name, tanggal=tgl, skala=sk) for name, src, tgl, sk in items]
    return muat_banding(settings, data)


def _kept() -> tuple[int, ...]:
    """Snapshots kept in the workspace chosen (read in the user's scope), oldest first."""
    if not ruang_sesi.workspace_exists():
        return ()
    table = ruang_sesi.workspace().daftar(ruang_sesi.cakupan())
    if table.empty:
        return ()
    table = table.sort_values(["tanggal", "id"], na_position="first")
    names = {i: f"{i}: {n} ({t or 'tanpa tanggal'})"
             for i, n, t in zip(table["id"], table["nama"], table["tanggal"], strict=True)}  # fmt: skip
    pilih = st.multiselect(
        "Snapshot dari ruang kerja", list(names), format_func=names.get, key="banding_snapshot",
        placeholder="Pilih snapshot", select_all=False,
        help="Urut dari tanggal data terlama; hanya keluarga di wilayah Anda yang dibandingkan",
    )  # fmt: skip
    return tuple(i for i in names if i in pilih)


def _tabel(frame: pd.DataFrame):
    """A table for display: counts with thousands dots, shares with a decimal comma, headings."""
    digits = {c: (2 if c.startswith("persen") else 0) for c in frame.columns
              if pd.api.types.is_numeric_dtype(frame[c]) and c != "strategi"}  # fmt: skip
    return tabel_tampilan(frame, digits, judul=True)


def _transisi(matrix: pd.DataFrame) -> pd.DataFrame:
    """The transition matrix with Indonesian row and column labels."""

    def label(v: str) -> str:
        return {"baru": "Baru di daftar", "tidak_lagi": "Tidak lagi di daftar"}.get(v, f"Desil {v}")

    out = matrix.rename(index=label, columns=label)
    out.columns = [str(c) for c in out.columns]
    return out.rename_axis("dari \\ ke").reset_index()


def _inputs() -> tuple[tuple, tuple[int, ...]] | None:
    """The data chosen: the embedded synthetic snapshots, or kept snapshots and uploads.

    Returns (uploads or demo files, kept snapshot ids); a kecamatan or desa user has only
    the kept snapshots of the workspace, read for its own area.
    """
    if ruang_sesi.workspace_only():
        kept = _kept()
        if len(kept) < 2:
            st.info("Pilih sedikitnya dua snapshot dari ruang kerja, dari yang terlama.")
            return None
        return (), kept
    demo = st.toggle(
        "Pakai tiga data SINTETIS bawaan (2023, 2024, 2025)", value=True, key="banding_demo"
    )
    if demo:
        files = demo_files(load_region(region_path()))
        items = tuple((f.name, str(f), tgl, sk) for f, tgl, sk in files)
        return (items, ()) if items else None
    kept = _kept()
    if kept:
        n = int(st.number_input("Tambah berkas unggahan (sesudah snapshot)", min_value=0,
                                max_value=6, value=0, step=1, format="%d", key="banding_n_tambah"))  # fmt: skip
    else:
        n = int(st.number_input("Jumlah data", min_value=2, max_value=6, value=2, step=1,
                                format="%d", key="banding_n"))  # fmt: skip
    items = _uploads(n)
    if items is None:
        return None
    if len(kept) + len(items) < 2:
        st.info("Pilih sedikitnya dua data: snapshot ruang kerja dan/atau berkas unggahan.")
        return None
    return items, kept


def _uploads(n: int) -> tuple[tuple[str, bytes | str, str | None, str], ...] | None:
    """One upload per snapshot, with its date and desil scale; None until all are given."""
    if n == 0:
        return ()
    items = []
    cols = st.columns(min(n, 3))
    for i in range(n):
        with cols[i % len(cols)]:
            f = st.file_uploader(f"Data ke-{i + 1} ({'terlama' if i == 0 else 'berikutnya'})",
                                 type=["csv", "xlsx", "gz"], key=f"banding_berkas_{i}")  # fmt: skip
            tgl = st.date_input("Tanggal data", value=None, key=f"banding_tanggal_{i}", format="DD/MM/YYYY",
                                help="Kosong: kolom tanggal_data, lalu tanggal berkas")  # fmt: skip
            sk = st.selectbox(
                "Skala desil",
                list(SKALA),
                format_func=SKALA.get,
                key=f"banding_skala_{i}",
                placeholder="Pilih skala desil",
            )
            if f is not None:
                items.append((f.name, f.getvalue(), tgl.isoformat() if tgl else None, sk))
    if len(items) < n:
        st.info(f"Unggah {n} berkas keluarga (P3KE atau DTSEN) dari yang terlama.")
        return None
    return tuple(items)


def _ledgers(b: Perbandingan) -> None:
    """Each snapshot's import ledger and each pairing's family accounting."""
    rows = [{"data": label, "berkas": s.provenance.input("keluarga_p3ke").berkas,
             "skala_desil": s.check.desil_scale.upper(), "baris_dibaca": s.rows_in,
             "baris_dipakai": s.rows_used, "baris_ditolak": s.rows_rejected,
             "keluarga_dipakai": s.families_used, "keluarga_desil_1": int((s.placement.keluarga["desil"] == 1).sum())}
            for label, s in zip(b.label(), b.snapshots, strict=True)]  # fmt: skip
    st.dataframe(_tabel(pd.DataFrame(rows)), hide_index=True, width="stretch", placeholder=KOSONG)
    labels, pair_rows = b.label(), []
    for step in b.langkah:
        p = step.pencocokan
        k = p.per_kunci()
        pair_rows.append({"sebelum": labels[step.sebelum], "sesudah": labels[step.sesudah],
                          "id_keluarga_P3KE": k["id_keluarga_p3ke"], "no_kk": k["no_kk"],
                          "NIK_kepala": k["nik_kepala"], "anggota": k["anggota"],
                          "tidak_dipasangkan_sebelum": len(p.tidak_sebelum),
                          "tidak_dipasangkan_sesudah": len(p.tidak_sesudah)})  # fmt: skip
    st.caption(
        "Keluarga dipasangkan per kunci (urutan: id keluarga P3KE, No KK, NIK kepala keluarga, anggota)"
    )
    st.dataframe(
        _tabel(pd.DataFrame(pair_rows)), hide_index=True, width="stretch", placeholder=KOSONG
    )


def _headline(b: Perbandingan) -> None:
    """District figures, first snapshot to last (two rows of three: readable at 1024 px)."""
    t, labels = b.kabupaten(), b.label()
    top, bottom = st.columns(3), st.columns(3)
    top[0].metric(f"Desil 1 ({labels[0]})", angka(t["desil_1_sebelum"]),
                  help=f"dari {angka(t['keluarga_sebelum'])} keluarga")  # fmt: skip
    top[1].metric(f"Desil 1 ({labels[-1]})", angka(t["desil_1_sesudah"]),
                  delta=angka(t["desil_1_sesudah"] - t["desil_1_sebelum"]), delta_color="inverse",
                  help=f"dari {angka(t['keluarga_sesudah'])} keluarga")  # fmt: skip
    before, after = t["persen_desil_1_sebelum"], t["persen_desil_1_sesudah"]
    change = None if before is None or after is None else f"{angka(after - before, 2)} poin"
    top[2].metric("Desil 1 per 100 keluarga", persen(after), delta=change, delta_color="inverse",
                  help=f"{persen(before)} pada {labels[0]}; penyebut tiap tanggal dari tabel keluarga per desa")  # fmt: skip
    bottom[0].metric("Keluar dari desil 1", angka(t["keluar_desil_1"]))
    bottom[1].metric("Masuk desil 1", angka(t["masuk_desil_1"] + t["baru_di_daftar"]),
                     help=f"{angka(t['masuk_desil_1'])} dari desil lain, {angka(t['baru_di_daftar'])} baru di daftar")  # fmt: skip
    bottom[2].metric("Tidak lagi di daftar", angka(t["tidak_lagi_di_daftar"]))


def _chart(b: Perbandingan) -> None:
    """District desil-1 families per snapshot toward zero: a line for 3+, bars for 2."""
    deret = b.deret()
    labels = b.label()
    data = pd.DataFrame(
        {"Tanggal": labels, "Keluarga desil 1": [int(deret[x].sum()) for x in labels]}
    )
    base = alt.Chart(data).encode(
        x=alt.X("Tanggal:N", sort=labels, title="Tanggal data"),
        y=alt.Y("Keluarga desil 1:Q", scale=alt.Scale(domainMin=0), title="Keluarga desil 1"),
        tooltip=["Tanggal", alt.Tooltip("Keluarga desil 1:Q", format=",d")],
    )
    chart = base.mark_line(point=True) if len(labels) >= 3 else base.mark_bar()
    st.altair_chart(chart_id(chart.properties(height=260)), width="stretch")


def _map(b: Perbandingan) -> None:
    spec = peta_spec(
        b, MapSettings(popup=True, asset_base=asset_base(), kontrol_lapisan=False, legenda=False)
    )
    st_folium(
        render(spec),
        key="peta_perubahan",
        height=480,
        use_container_width=True,
        returned_objects=[],
    )
    legend(legend_html(spec.legend))


def _tables(b: Perbandingan, strategi: pd.DataFrame | None) -> None:
    desa = b.keseluruhan.desa
    cols = [
        "desa",
        "kecamatan",
        *KOLOM_DESA,
        "persen_desil_1_sebelum",
        "persen_desil_1_sesudah",
        "perubahan_desil_1",
    ]
    worse = desa[desa["perubahan_desil_1"] > 0].sort_values("perubahan_desil_1", ascending=False)
    st.subheader(f"Desa yang memburuk: {angka(len(worse))}")
    if worse.empty:
        st.success("Tidak ada desa dengan keluarga desil 1 bertambah.")
    else:
        st.dataframe(_tabel(worse[cols]), hide_index=True, width="stretch", placeholder=KOSONG)
    st.subheader("Per desa")
    st.dataframe(_tabel(desa[cols]), hide_index=True, width="stretch", placeholder=KOSONG)  # fmt: skip
    st.subheader("Sisa keluarga desil 1 per desa di tiap tanggal")
    st.dataframe(_tabel(b.deret()), hide_index=True, width="stretch", placeholder=KOSONG)
    st.subheader("Per kecamatan")
    kec = per_kecamatan(desa).drop(columns=["kode_kecamatan"])
    st.dataframe(_tabel(kec), hide_index=True, width="stretch", placeholder=KOSONG)
    st.subheader("Perpindahan antar desil (kabupaten)")
    st.caption(
        "Baris: desil pada data pertama (atau baru di daftar); kolom: desil pada data terakhir."
    )
    st.dataframe(
        _tabel(_transisi(b.keseluruhan.transisi)),
        hide_index=True,
        width="stretch",
        placeholder=KOSONG,
    )
    if strategi is not None and len(strategi):
        st.subheader("Desa dengan dan tanpa sub kegiatan per strategi")
        st.warning(CATATAN_STRATEGI)
        st.dataframe(_tabel(strategi.drop(columns="catatan")),
                     hide_index=True, width="stretch", placeholder=KOSONG)  # fmt: skip


def _downloads(b: Perbandingan, strategi: pd.DataFrame | None) -> None:
    files = berkas_banding(b, strategi)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0)), data)
    cols = st.columns(3)
    audit = ruang_sesi.catat_unduhan
    cols[0].download_button("Unduh semua berkas (ZIP)", buf.getvalue(), file_name="lokus_perubahan.zip",
                            mime="application/zip", on_click=audit, args=("lokus_perubahan.zip",))  # fmt: skip
    cols[1].download_button("Unduh perubahan per desa (CSV)", files["perubahan_desa.csv"],
                            file_name="perubahan_desa.csv", mime="text/csv",
                            on_click=audit, args=("perubahan_desa.csv",))  # fmt: skip
    cols[2].download_button("Unduh keluarga tak terpasangkan (CSV)", files["pencocokan_ditolak.csv"],
                            file_name="pencocokan_ditolak.csv", mime="text/csv",
                            on_click=audit, args=("pencocokan_ditolak.csv",))  # fmt: skip


st.title("Perubahan antar data")
st.caption(
    "Bandingkan data keluarga P3KE/DTSEN dari beberapa tanggal: berapa keluarga keluar dari desil 1, "
    "di mana, dan di mana yang baru muncul. Keluarga diikuti lewat id keluarga P3KE, lalu No KK, "
    "lalu NIK kepala keluarga (disandikan, tidak ditampilkan)."
)
chosen = _inputs()
if chosen is None:
    st.stop()
try:
    b, strategi = _banding(region_path(), chosen[0], chosen[1], ruang_sesi.cakupan())
except LokusError as err:
    st.error(md_escape(str(err)))
    st.stop()
if any(s.provenance.input("keluarga_p3ke").sintetis for s in b.snapshots):
    st.info("Data SINTETIS: bukan keluarga sungguhan, untuk mencoba halaman ini.")
if any(step.skala_campur for step in b.langkah):
    st.warning(CATATAN_SKALA)
undated = [label for label, s in zip(b.label(), b.snapshots, strict=True) if not s.tanggal]
if undated:
    st.info(
        f"Tanpa tanggal: {', '.join(undated)}. Isi 'Tanggal data' di atas agar grafik dan unduhan "
        "memakai tanggalnya (berkas tanpa kolom tanggal_data)."
    )
for label in b.skala_ditebak():
    st.warning(
        f"{label} dibaca sebagai P3KE (desil 1-4) karena tidak ada desil di atas 4 dan tidak ada id "
        "keluarga P3KE. Bila berkas ini DTSEN yang hanya memuat desil 1-4, pilih 'Skala desil' DTSEN."
    )
for earlier, later in b.tanggal_tidak_urut():
    st.warning(
        f"Urutan tanggal terbalik: data sesudah {earlier} bertanggal {later}. Unggah dari yang terlama, "
        "atau isi tanggal data tiap berkas (berkas tanpa kolom tanggal_data diberi tanggal berkasnya)."
    )
_headline(b)
left, right = st.columns([1, 1], gap="medium")
with left:
    _chart(b)
with right:
    _map(b)
with st.expander("Laporan impor dan pemasangan keluarga per data", expanded=False):
    _ledgers(b)
_tables(b, strategi)
_downloads(b, strategi)
