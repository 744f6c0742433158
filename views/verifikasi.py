"""Page: results of the village-meeting verification, and programme recipients by name."""

from __future__ import annotations

import hashlib

import streamlit as st
from streamlit_folium import st_folium

from geo.errors import LokusError, VersionConflictError
from targeting.export import to_csv_bytes
from targeting.format import KOSONG, angka, persen, tabel_tampilan
from targeting.interventions import lokus_long
from targeting.maps import legend_html, render
from targeting.penerima import SUMBER_DAFTAR, baca_penerima, cakupan
from targeting.verifikasi import (
    BerkasKembali,
    lampiran_xlsx,
    peta_verifikasi,
    tidak_layak,
)
from targeting.verifikasi_ruang import (
    Tersimpan,
    baca_untuk_ruang,
    muat_hasil,
    muat_penerima,
    simpan_hasil,
    simpan_penerima,
)
from views import ruang_sesi
from views.common import HASIL_VERIFIKASI_KEY, asset_base, md_escape, start_page
from views.ui import legend

d = start_page("Hasil verifikasi musdes")
r = d.result
sid = ruang_sesi.opened_snapshot()  # results are kept in the workspace while one is open
c = ruang_sesi.cakupan()
TERSIMPAN_KEY = f"_tersimpan_verifikasi_{sid}"


def _tersimpan() -> Tersimpan:
    """What the workspace held when this session last read it (the versions of the next save)."""
    if TERSIMPAN_KEY not in st.session_state:
        st.session_state[TERSIMPAN_KEY] = muat_hasil(ruang_sesi.workspace(), c, sid)
    return st.session_state[TERSIMPAN_KEY]


def _simpan_sekali(tanda: str, simpan, pesan: str) -> None:
    """Save an upload into the workspace once; on a version conflict, offer to reload."""
    done = st.session_state.setdefault("_disimpan_ruang", set())
    if tanda in done:
        return
    try:
        simpan()
    except VersionConflictError as err:
        st.error(md_escape(err))
        if st.button("Muat ulang dari ruang kerja", key=f"_muat_ulang_{tanda[:8]}"):
            st.session_state.pop(TERSIMPAN_KEY, None)
            st.rerun()
        return
    except LokusError as err:
        st.error(md_escape(err))
        return
    done.add(tanda)
    st.session_state.pop(TERSIMPAN_KEY, None)  # read again: the new versions
    st.success(pesan)


def _tanda(*parts: bytes | str) -> str:
    h = hashlib.sha256(str(sid).encode())
    for part in parts:
        h.update(part if isinstance(part, bytes) else part.encode())
    return h.hexdigest()


st.caption(
    "Unggah lembar verifikasi yang sudah diisi musyawarah desa (diunduh dari halaman Desa "
    "prioritas dan sasaran: 'Unduh lembar verifikasi musdes'). Setiap baris diterapkan atau "
    "ditolak dengan alasannya; usulan keluarga baru dicatat terpisah."
)
uploads = st.file_uploader(
    "Lembar verifikasi yang sudah diisi (XLSX, boleh beberapa)",
    type=["xlsx"],
    accept_multiple_files=True,
    key="unggah_verifikasi",
)
hasil = None
stored = st.session_state.get(HASIL_VERIFIKASI_KEY)
if uploads:
    files = [BerkasKembali(u.name, u.getvalue()) for u in uploads]
    try:
        hasil = baca_untuk_ruang(files, r.placement.keluarga, c, r.region.zona_waktu)
        st.session_state[HASIL_VERIFIKASI_KEY] = (d.key, hasil)  # the priority page applies it
    except LokusError as err:
        st.error(md_escape(err))
        st.session_state.pop(HASIL_VERIFIKASI_KEY, None)  # never apply what the page refused
elif stored is not None and stored[0] == d.key:  # the uploader empties when the page is left
    hasil = stored[1]
    names = ", ".join(dict.fromkeys(hasil.desa["berkas"]))
    st.info(
        f"Hasil unggahan sebelumnya ({md_escape(names)}) masih diterapkan di halaman Desa "
        "prioritas dan sasaran. Unggah lagi untuk menggantinya."
    )
    if st.button("Hapus hasil verifikasi", key="hapus_hasil_verifikasi"):
        st.session_state.pop(HASIL_VERIFIKASI_KEY, None)
        st.rerun()
if uploads and sid is not None and hasil is not None and len(hasil.diterapkan):
    _simpan_sekali(
        _tanda(*(f.nama for f in files), *(f.data for f in files)),
        lambda: simpan_hasil(ruang_sesi.workspace(), c, sid, hasil, _tersimpan().versi),
        f"Hasil {angka(len(hasil.diterapkan))} keluarga disimpan di ruang kerja (snapshot {sid}).",
    )
if sid is not None:
    kept = _tersimpan().hasil
    if kept is not None:
        st.session_state[HASIL_VERIFIKASI_KEY] = (d.key, kept)  # everything kept, in scope
        if hasil is None:
            hasil = kept
            st.caption(f"Hasil verifikasi tersimpan di ruang kerja (snapshot {sid}).")
if hasil is not None:
    led = hasil.ledger
    belum = int((hasil.ditolak["kode"] == "belum_diverifikasi").sum())
    cols = st.columns(5)
    cols[0].metric("Baris dibaca", angka(led.rows_in))
    cols[1].metric("Diterapkan", angka(len(hasil.diterapkan)))
    cols[2].metric("Status kosong", angka(belum), help="belum diverifikasi")
    cols[3].metric("Ditolak", angka(led.rows_rejected - belum), help="alasan di tabel di bawah")
    cols[4].metric("Usulan baru", angka(len(hasil.usulan)))
    for note in hasil.catatan:
        st.info(md_escape(note))
    st.subheader("Ringkasan per desa (lampiran berita acara)")
    st.dataframe(
        tabel_tampilan(hasil.ringkasan(), {"persen_diverifikasi": 1}, judul=True),
        hide_index=True, placeholder=KOSONG, width="stretch",
    )  # fmt: skip
    st.download_button(
        "Unduh hasil verifikasi (XLSX)",
        ruang_sesi.diaudit(
            lambda: lampiran_xlsx(hasil), "hasil_verifikasi_musdes.xlsx", len(hasil.diterapkan)
        ),
        file_name="hasil_verifikasi_musdes.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore",
        type="primary",
    )
    spec = peta_verifikasi(r, hasil, height=440, popup=False, asset_base=asset_base(),
                           kontrol_lapisan=False, legenda=False)  # fmt: skip
    st_folium(render(spec), key="peta_verifikasi", height=440, use_container_width=True,
              returned_objects=[])  # fmt: skip
    legend(legend_html(spec.legend))
    with st.expander(hasil.judul_tidak_diterapkan()):
        st.dataframe(tabel_tampilan(hasil.ditolak, judul=True), hide_index=True,
                     placeholder=KOSONG, width="stretch")  # fmt: skip
    with st.expander(f"Usulan keluarga baru: {angka(len(hasil.usulan))}"):
        st.caption(
            "Usulan baru bukan keluarga P3KE: teruskan ke pemutakhiran DTSEN. Nama disingkat "
            "dan alamat tidak ditampilkan (UU 27/2022)."
        )
        st.dataframe(tabel_tampilan(hasil.usulan_tersamar(), judul=True), hide_index=True,
                     placeholder=KOSONG, width="stretch")  # fmt: skip

st.subheader("Penerima sub kegiatan per keluarga")
daftar_file = st.file_uploader(
    "Daftar penerima (CSV/XLSX: id_keluarga_p3ke atau no_kk/nik, kode_sub_kegiatan, tahun, volume)",
    type=["csv", "xlsx"],
    key="unggah_penerima",
)
lokus = lokus_long(r.register.register) if r.register is not None else None
daftar = None
if daftar_file is not None:
    codes = set(lokus["kode_sub_kegiatan"].astype(str)) if lokus is not None else None
    try:
        daftar = baca_penerima(daftar_file.getvalue(), daftar_file.name,
                               r.placement.keluarga, codes)  # fmt: skip
    except LokusError as err:
        st.error(md_escape(err))
    if sid is not None and daftar is not None and len(daftar.penerima):
        _simpan_sekali(
            _tanda(daftar_file.name, daftar_file.getvalue()),
            lambda: simpan_penerima(
                ruang_sesi.workspace(), c, sid, daftar, daftar_file.name, _tersimpan().penerima_id
            ),
            f"Daftar penerima disimpan di ruang kerja (snapshot {sid}).",
        )
elif sid is not None:
    daftar = muat_penerima(ruang_sesi.workspace(), c, sid)
    if daftar is not None:
        st.caption(f"Daftar penerima tersimpan di ruang kerja (snapshot {sid}).")
out = tidak_layak(hasil) if hasil is not None else frozenset()
got = cakupan(r.placement.keluarga, lokus, daftar, tidak_layak=out, desa=r.indikator)
if got.sumber != SUMBER_DAFTAR:
    st.info(f"Cakupan dihitung dari {md_escape(got.sumber)}.")
if daftar is not None:
    led = daftar.ledger
    st.caption(
        f"Daftar penerima: {angka(led.rows_in)} baris dibaca, {angka(led.rows_used)} dipakai, "
        f"{angka(led.rows_rejected)} ditolak (termasuk {angka(len(daftar.ganda))} ganda)."
    )
    if led.rows_rejected:
        with st.expander("Baris daftar penerima yang ditolak"):
            st.dataframe(tabel_tampilan(led.ditolak, judul=True), hide_index=True,
                         placeholder=KOSONG, width="stretch")  # fmt: skip
cols = st.columns(4)
n_layak = len(got.per_keluarga)
cols[0].metric("Keluarga desil 1 layak", angka(n_layak))
for s, row in zip((1, 2, 3), got.per_strategi.itertuples(), strict=True):
    dari = {"daftar": "daftar penerima", "lokus": "lokus register (batas atas)"}
    cols[s].metric(f"Terjangkau strategi {s}", persen(row.persen),
                   help=f"Sumber: {dari.get(row.sumber, 'daftar penerima dan lokus register')}.")  # fmt: skip
st.metric("Belum tersentuh sub kegiatan apa pun", angka(len(got.belum_tersentuh)))
st.dataframe(
    tabel_tampilan(got.belum_per_desa, {"persen_belum": 1}, judul=True),
    hide_index=True, placeholder=KOSONG, width="stretch", height=240,
)  # fmt: skip
c1, c2 = st.columns(2)
c1.download_button(
    "Unduh keluarga belum tersentuh (CSV)",
    to_csv_bytes(got.belum_tersentuh.assign(sumber=got.sumber)),
    file_name="belum_tersentuh.csv",
    mime="text/csv",
    on_click=ruang_sesi.catat_unduhan,
    args=("belum_tersentuh.csv", len(got.belum_tersentuh)),
)
if len(got.ketepatan):
    st.markdown(
        "**Ketepatan sasaran per sub kegiatan.** Galat inklusi: penerima di luar desil 1-4; "
        "galat eksklusi: keluarga desil 1 layak di wilayah sub kegiatan yang tidak menerima "
        "(Cornia & Stewart 1993; Coady, Grosh & Hoddinott 2004)."
    )
    st.dataframe(
        tabel_tampilan(got.ketepatan, {"persen_inklusi": 1, "persen_eksklusi": 1}, judul=True),
        hide_index=True, placeholder=KOSONG, width="stretch",
    )  # fmt: skip
    c2.download_button(
        "Unduh ketepatan sasaran (CSV)",
        to_csv_bytes(got.ketepatan),
        file_name="ketepatan_sasaran.csv",
        mime="text/csv",
        on_click=ruang_sesi.catat_unduhan,
        args=("ketepatan_sasaran.csv",),
    )
