"""Page: the workspace (ruang kerja): keep the session's data, open or delete kept snapshots.

Logic lives in :mod:`targeting.ruang_kerja`; this page only wires widgets. What a user may do
is decided there (role and desa scope), not by which buttons are drawn.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from geo.errors import LokusError
from targeting.format import angka
from targeting.ruang_kerja.pengguna import daftar_pengguna
from targeting.snapshot import load_snapshot
from views import ruang_sesi
from views.common import DENOM_KEY, UPLOAD_KEY, _region, md_escape, region_path

st.title("Ruang kerja")
rk = ruang_sesi.workspace()
c = ruang_sesi.cakupan()
tempat = "PostgreSQL (server tim)" if rk.postgres else "berkas SQLite di server ini"
st.caption(
    f"Snapshot yang disimpan tetap ada setelah aplikasi dimulai ulang ({tempat}). Data pribadi "
    "(nama, NIK, No KK, alamat, titik) disimpan terenkripsi."
)
if not c.semua_desa:
    st.info(f"Anda hanya melihat keluarga di wilayah Anda: {', '.join(c.wilayah)}.")


def _tanggal(value) -> str:
    t = pd.Timestamp(value)
    t = t.tz_localize("UTC") if t.tzinfo is None else t  # SQLite keeps UTC without a zone
    return t.tz_convert("Asia/Jakarta").strftime("%d-%m-%Y %H.%M")


def _simpan() -> None:
    st.subheader("Simpan data sesi ini")
    upload = st.session_state.get(UPLOAD_KEY)
    denom = st.session_state.get(DENOM_KEY)
    asal = f"berkas unggahan **{md_escape(upload[0])}**" if upload else "data bawaan wilayah"
    st.caption(f"Yang disimpan: {asal}. Mode sesi saja tetap bisa dipakai tanpa menyimpan.")
    nama = st.text_input("Nama snapshot", key="_nama_snapshot", placeholder="mis. P3KE Maret")
    if st.button("Simpan ke ruang kerja", key="_simpan_snapshot", type="primary"):
        try:
            with st.spinner("Menyimpan…"):
                snapshot = load_snapshot(
                    _region(region_path()),
                    households=upload[1] if upload else None,
                    keluarga_desa=denom[1] if denom else None,
                    names={"keluarga_p3ke": upload[0] if upload else None,
                           "keluarga_desa": denom[0] if denom else None},
                )  # fmt: skip
                sid = rk.impor(snapshot, c, nama=nama or None)
        except LokusError as err:
            st.error(md_escape(err))
            return
        st.session_state[ruang_sesi.SNAPSHOT_KEY] = sid
        st.success(f"Tersimpan sebagai snapshot {sid} dan dibuka.")


def _daftar() -> pd.DataFrame:
    st.subheader("Snapshot tersimpan")
    table = rk.daftar(c)
    if table.empty:
        st.caption("Belum ada snapshot di ruang kerja.")
        return table
    show = pd.DataFrame(
        {
            "Nomor": table["id"].astype(str),
            "Nama": table["nama"],
            "Tanggal data": table["tanggal"].fillna("–"),
            "Keluarga (wilayah Anda)": table["n_keluarga"].map(angka),
            "Disimpan": table["dibuat"].map(_tanggal),
            "Oleh": table["oleh"],
            "Sintetis": table["sintetis"].map({True: "ya", False: "tidak"}),
        }
    )
    st.dataframe(show, hide_index=True, width="stretch")
    return table


def _buka_hapus(table: pd.DataFrame) -> None:
    ids = table["id"].tolist()
    names = dict(zip(table["id"], table["nama"], strict=True))
    pilih = st.selectbox(
        "Snapshot", ids, format_func=lambda i: f"{i}: {names[i]}", key="_pilih_snapshot"
    )
    cols = st.columns([1, 1, 3])  # room for the whole confirmation label at 1024 px
    if cols[0].button("Buka", key="_buka_snapshot", type="primary"):
        st.session_state[ruang_sesi.SNAPSHOT_KEY] = int(pilih)
        with rk.transaksi(c) as conn:
            rk.catat(conn, c, "buka", f"snapshot {pilih}")
        st.rerun()
    if c.semua_desa:
        yakin = cols[2].checkbox("Ya, hapus beserta semua turunannya", key="_yakin_hapus")
        if cols[1].button("Hapus", key="_hapus_snapshot", disabled=not yakin):
            rk.hapus(c, int(pilih))
            if ruang_sesi.opened_snapshot() == int(pilih):
                st.session_state.pop(ruang_sesi.SNAPSHOT_KEY, None)
            st.rerun()


try:
    terbuka = ruang_sesi.opened_snapshot()
    if terbuka is not None:
        st.success(
            f"Snapshot {terbuka} terbuka: semua halaman memakai data ini.",
            icon=":material/database:",
        )
        if not ruang_sesi.workspace_only() and st.button("Tutup snapshot", key="_tutup"):
            st.session_state.pop(ruang_sesi.SNAPSHOT_KEY, None)
            st.rerun()
    if c.semua_desa:
        _simpan()
    table = _daftar()
    if not table.empty:
        _buka_hapus(table)
    if c.semua_desa and ruang_sesi.logged_in():
        with st.expander("Log audit"):
            log = rk.log_audit(c).head(500)
            log["waktu"] = log["waktu"].map(_tanggal)  # WIB, as the list above (stored in UTC)
            st.dataframe(log, hide_index=True, width="stretch")
    if c.peran == "admin":
        with st.expander("Pengguna"):
            st.dataframe(daftar_pengguna(rk), hide_index=True, width="stretch")
            st.caption("Tambah pengguna: python -m targeting ruang-kerja pengguna tambah (README).")
except LokusError as err:
    st.error(md_escape(err))
