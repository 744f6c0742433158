"""Shared Streamlit wiring: the sidebar data choice and the cached pipeline run.

Caches are keyed on content (the uploaded bytes and the settings), never on the map view,
and live in memory only: nothing personal is written to disk. The uploaded files are kept in
this session's state so that they stay active across pages.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass

import streamlit as st

from geo.errors import LokusError
from geo.region import Region, load_region
from geo.sheets import grids_from_bytes, sheet_notes
from geo.wilayah import daftar_wilayah
from targeting.format import angka
from targeting.pipeline import AnalysisSettings, Result, analyse
from targeting.pockets import PocketSettings, berlaku
from targeting.settings import field_type, settings_fields
from targeting.snapshot import load_snapshot
from targeting.wilayah import region_file
from views import ruang_data, ruang_sesi

ASSET_DIR = "static/vendor/leaflet-1.9.3"
UPLOAD_KEY = "_berkas_p3ke"  # (name, bytes) of the household file of this session
DENOM_KEY = "_berkas_keluarga_desa"  # (name, bytes) of the family table of this session
REGISTER_KEY = "_berkas_register"  # (name, bytes) of the sub-activity register of this session
PRIORITAS_KEY = "_desa_prioritas"  # codes of the chosen priority desa (kept across pages)
HASIL_VERIFIKASI_KEY = "_hasil_verifikasi"  # (dataset key, HasilVerifikasi) uploaded (issue 17)
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:@])")


def md_escape(text: object) -> str:
    """Escape Markdown so text from a data file shows as text (no links, images or HTML).

    ``:`` and ``@`` are escaped too: GitHub-flavoured Markdown turns a bare
    ``http://…``, ``www.…`` or e-mail address into a link without any brackets.
    """
    return _MD_SPECIAL.sub(r"\\\1", str(text))


@dataclass
class Data:
    """The active dataset of this session."""

    result: Result
    key: str
    label: str
    sintetis: bool
    penyebut_sintetis: bool


@st.cache_resource(show_spinner=False)
def _region(path: str) -> Region:
    return load_region(path)


# In memory only, at most 6 results, each dropped an hour after its last use: personal data
# does not linger in a shared server's memory after its users have gone.
@st.cache_data(show_spinner="Memproses data P3KE…", max_entries=6, ttl=3600)
def _run(
    region_path: str,
    households: bytes | None,
    name: str | None,
    denom: bytes | None,
    denom_name: str | None,
    desil_scale: str,
    sheet: str | None,
    kantong: PocketSettings,
    register: bytes | None = None,
    register_name: str | None = None,
) -> Result:
    snapshot = load_snapshot(
        _region(region_path),
        households=households,
        keluarga_desa=denom,
        names={"keluarga_p3ke": name, "keluarga_desa": denom_name},
        desil_scale=desil_scale,
        sheet=sheet,
    )
    settings = AnalysisSettings(kantong=kantong)
    return analyse(snapshot, settings, register=register, register_name=register_name)


def setting_widget(cls: type, name: str) -> object:
    """Draw the sidebar widget of one setting from its field metadata; return its value.

    The widget kind follows the field (:mod:`targeting.settings`): a choice is a select box
    (radio buttons for the names in ``_RADIO``), a bool a checkbox, a ladder of ``options`` a
    slider of choices (written with a decimal comma), a number a number input.
    Metres and other floats with whole-number ranges are entered as whole numbers: a number
    input writes decimals with a point ("50.00").
    """
    f = next(f for f in settings_fields(cls) if f.name == name)
    meta = f.metadata
    kind, literal = field_type(cls, f)
    label = meta["label"]
    plain = kind is bool or literal is not None or meta["options"] is not None
    kept = keep(meta["key"], f.default if plain else round(f.default))
    if kind is bool:
        return st.checkbox(label, **kept)
    if literal is not None:
        widget = st.radio if name in _RADIO else st.selectbox
        extra = {} if name in _RADIO else {"placeholder": f"Pilih {label.lower()}"}
        return widget(label, list(literal), format_func=meta["choices"].get, **kept, **extra)
    if meta["options"] is not None:
        # A slider of choices: the value is written 0,050, not 0.050.
        ladder = sorted({*meta["options"], f.default})
        return kind(st.select_slider(label, ladder, format_func=lambda a: angka(a, 3), **kept))
    step = {} if meta["step"] is None else {"step": meta["step"]}
    return kind(st.number_input(label, meta["min"], meta["max"], **step, **kept))


_RADIO = {"normalisasi"}
"""Choices drawn as radio buttons (few, all worth seeing); the other choices are select boxes."""


def _pocket_settings() -> PocketSettings:
    """Sidebar controls of the pocket analysis (generated from :class:`PocketSettings`)."""
    with st.sidebar.expander("Pengaturan kantong kemiskinan"):
        st.caption(
            "Pilihan analitis: tidak ada definisi kantong kemiskinan dalam peraturan. "
            "Bawaan dijelaskan di README."
        )
        values: dict[str, object] = {}
        for f in settings_fields(PocketSettings):
            key = f.metadata["key"]
            if key is None:
                continue
            if berlaku(f.name, str(values.get("statistik", f.default))):
                values[f.name] = setting_widget(PocketSettings, f.name)
            else:  # not drawn: the value kept from when it was, else the default
                kind = field_type(PocketSettings, f)[0]
                kept = st.session_state.get(f"_keep_{key}", f.default)
                values[f.name] = kind(kept) if kind in (int, float) else kept
    return PocketSettings(**values)


@st.cache_data(show_spinner=False, max_entries=6)
def _sheet_names(data: bytes, name: str) -> dict[str, bool]:
    """Sheet name -> hidden in Excel, in workbook order (empty when unreadable)."""
    try:
        return {n: g.hidden for n, g in grids_from_bytes(data, label=name).items()}
    except LokusError:
        return {}


def _sheet_label(sheet: str | None, hidden: dict[str, bool]) -> str:
    """Label of a sheet in the "Lembar" select: hidden sheets are marked as hidden."""
    if sheet is None:
        return "Otomatis (lembar aktif yang tampak, dengan judul kolom P3KE)"
    return f"{sheet} (tersembunyi di Excel)" if hidden.get(sheet) else sheet


def region_path() -> str:
    """Path of the active region file.

    ``LOKUS_REGION`` when set (a server fixed to one region, any province); else the region
    picked in the sidebar's "Wilayah" box (a Kalimantan Barat code, built once by
    :func:`targeting.wilayah.region_file`), Kayong Utara by default. The path is part of every
    cache key, so two regions never share a result.
    """
    env = os.environ.get("LOKUS_REGION")
    if env:
        return str(env)
    kode = st.session_state.get(f"_keep_{WILAYAH_KEY}") or DEFAULT_WILAYAH
    return str(_region_file(str(kode)))


WILAYAH_KEY = "wilayah"
DEFAULT_WILAYAH = "61.11"
"""Kayong Utara: the region shown first (its embedded SYNTHETIC sample)."""


@st.cache_resource(show_spinner="Menyiapkan batas desa dan sampel SINTETIS wilayah…")
def _region_file(kode: str) -> str:
    return str(region_file(kode))


@st.cache_data(show_spinner=False)
def _wilayah_names() -> dict[str, str]:
    return dict(zip(*daftar_wilayah().to_dict(orient="list").values(), strict=True))


def region_select() -> None:
    """The sidebar's "Wilayah" select box (hidden when ``LOKUS_REGION`` fixes the region)."""
    if os.environ.get("LOKUS_REGION"):
        return
    names = _wilayah_names()
    st.selectbox(
        "Wilayah",
        list(names),
        format_func=lambda k: f"{names[k]} ({k})",
        placeholder="Pilih wilayah",
        help="Kabupaten/kota Kalimantan Barat, atau seluruh provinsi (61), dengan batas desa "
        "asli. Tanpa berkas P3KE, Lokus memakai sampel SINTETIS wilayah itu.",
        **keep(WILAYAH_KEY, DEFAULT_WILAYAH),
    )


def asset_base() -> str:
    """URL folder of the vendored Leaflet files, honouring ``server.baseUrlPath``."""
    prefix = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{prefix}/app/{ASSET_DIR}" if prefix else f"/app/{ASSET_DIR}"


def _keep_upload(widget_key: str, state_key: str) -> None:
    """Copy a new upload into session state (a widget's value does not survive a page switch).

    Removing the file in the uploader (its ⊗) removes it from the session too.
    """
    f = st.session_state.get(widget_key)
    if f is not None:
        st.session_state[state_key] = (f.name, f.getvalue())
    else:
        st.session_state.pop(state_key, None)


def _remember(key: str) -> None:
    st.session_state[f"_keep_{key}"] = st.session_state.get(key)


def keep(key: str, default: object) -> dict[str, object]:
    """Widget arguments that keep its value across pages.

    Streamlit drops the state of a widget that the previous run did not draw, and every page
    draws its own copy of the sidebar. The value is therefore kept under ``_keep_<key>`` (set
    by the widget's ``on_change``) and put back before the widget is created.

    Returns
    -------
    dict
        ``key``, ``on_change`` and ``args`` for the widget call.
    """
    copy = f"_keep_{key}"
    if copy in st.session_state:
        st.session_state[key] = st.session_state[copy]
    elif key in st.session_state:
        # Streamlit's documented way to keep a widget's value across pages: re-assign it.
        st.session_state[key] = st.session_state[key]
    else:
        st.session_state[key] = default
    st.session_state[copy] = st.session_state[key]
    return {"key": key, "on_change": _remember, "args": (key,)}


def _optional_upload(
    label: str, name: str, state_key: str, help_text: str, in_use: str, remove: str
) -> None:
    """An optional CSV/XLSX upload kept in session state, with its name and a remove button."""
    st.file_uploader(
        label,
        type=["csv", "xlsx", "xls"],  # .xls: Lokus says how to fix it
        key=f"unggah_{name}",
        on_change=_keep_upload,
        args=(f"unggah_{name}", state_key),
        help=help_text,
    )
    current = st.session_state.get(state_key)
    if current is not None:
        st.caption(f"{in_use}: **{md_escape(current[0])}**")
        if st.button(remove, key=f"hapus_{name}"):
            st.session_state.pop(state_key, None)
            st.rerun()


def sidebar_data() -> Data | None:
    """Draw the data choice in the sidebar and return the processed dataset.

    Returns
    -------
    Data or None
        None when the chosen file could not be used (the error is shown).
    """
    if ruang_sesi.opened_snapshot() is not None or ruang_sesi.workspace_only():
        return ruang_data.sidebar_data_ruang(
            _pocket_settings, st.session_state.get(REGISTER_KEY), Data
        )  # a workspace snapshot, read for this user's desa only
    max_mb = st.get_option("server.maxUploadSize")
    with st.sidebar:
        st.header("Data")
        region_select()
        st.file_uploader(
            f"Berkas P3KE (CSV atau XLSX, paling besar {max_mb} MB)",
            # .xls too, so an old or password-protected workbook gets Lokus's own message
            # (how to fix it) instead of the uploader's bare English refusal.
            type=["csv", "xlsx", "xls", "gz", "txt"],
            key="unggah_p3ke",
            on_change=_keep_upload,
            args=("unggah_p3ke", UPLOAD_KEY),
            help="Tanpa berkas, Lokus memakai data bawaan wilayah (untuk Kayong Utara: sampel "
            "SINTETIS, bukan data orang nyata).",
        )
        upload = st.session_state.get(UPLOAD_KEY)
        sheet = None
        if upload is not None:
            st.caption(f"Dipakai: **{md_escape(upload[0])}**")
            sheets = _sheet_names(upload[1], upload[0])
            if len(sheets) > 1:
                sheet = st.selectbox(
                    "Lembar (sheet)", [None, *sheets], **keep("lembar", None),
                    format_func=lambda s: _sheet_label(s, sheets),
                    placeholder=_sheet_label(None, sheets),  # shown for None, not English
                )  # fmt: skip
            if st.button("Kembali ke data bawaan", key="hapus_unggahan"):
                st.session_state.pop(UPLOAD_KEY, None)
                st.session_state.pop(DENOM_KEY, None)
                st.session_state.pop("_keep_lembar", None)
                st.rerun()
        _optional_upload(
            "Tabel seluruh keluarga per desa (opsional)", "penyebut", DENOM_KEY,
            "Kolom kode_desa dan keluarga_total: penyebut persentase desil 1.",
            "Penyebut dipakai", "Hapus tabel penyebut",
        )  # fmt: skip
        _optional_upload(
            "Daftar sub kegiatan (opsional)", "register", REGISTER_KEY,
            "Templat di halaman 'Sub kegiatan dan lokus'. Tanpa berkas: register bawaan wilayah.",
            "Register dipakai", "Hapus register",
        )  # fmt: skip
        scale = st.selectbox(
            "Skala desil",
            options=["auto", "p3ke", "dtsen"],
            placeholder="Pilih skala",
            format_func={
                "auto": "Deteksi otomatis",
                "p3ke": "P3KE (1–4)",
                "dtsen": "DTSEN (1–10)",
            }.get,
            **keep("skala_desil", "auto"),
        )
    kantong = _pocket_settings()
    data, name = (upload[1], upload[0]) if upload else (None, None)
    denom = st.session_state.get(DENOM_KEY)
    reg = st.session_state.get(REGISTER_KEY)
    try:
        result = _run(
            region_path(), data, name, denom[1] if denom else None,
            denom[0] if denom else None, scale, sheet, kantong,
            reg[1] if reg else None, reg[0] if reg else None,
        )  # fmt: skip
    except LokusError as err:
        st.error("Berkas tidak dapat dipakai.\n\n" + md_escape(err))
        return None
    if result.register_galat:
        st.sidebar.warning(
            "Daftar sub kegiatan tidak dapat dipakai: lihat halaman Sub kegiatan dan lokus."
        )
    digest = hashlib.sha256(
        (data or b"") + b"|" + (denom[1] if denom else b"") + b"|" + (reg[1] if reg else b"")
    ).hexdigest()[:16]
    # Synthetic by provenance (region.toml or the generator's marker), never by file name.
    households = result.provenance.input("keluarga_p3ke")
    denom_input = result.provenance.input("keluarga_desa")
    sintetis = bool(households and households.sintetis)
    default_name = "sampel SINTETIS bawaan" if sintetis else "data bawaan wilayah"
    return Data(
        result=result,
        key=f"{digest}:{scale}:{sheet}:{hash(kantong)}",
        label=name or f"{default_name} ({result.ledger.berkas})",
        sintetis=sintetis,
        penyebut_sintetis=bool(denom_input and denom_input.sintetis),
    )


def upload_hint(d: Data, apa: str, agar: str) -> str:
    """The hint to bring real data, fitting where the data came from.

    Parameters
    ----------
    d : Data
        The page's data; a workspace snapshot's key starts with ``ruang:``.
    apa : str
        What to bring (e.g. "berkas P3KE").
    agar : str
        What for (the end of the sentence).

    Returns
    -------
    str
        "Unggah ... di samping" in the session mode; for a workspace snapshot (whose
        readers may have no upload at all) the way through the workspace instead.
    """
    if d.key.startswith("ruang:"):
        return f"Tim kabupaten dapat mengimpor {apa} yang asli ke ruang kerja {agar}."
    return f"Unggah {apa} yang asli di samping {agar}."


def data_banner(d: Data) -> None:
    """Name the data in use; warn about synthetic data and unusable denominators."""
    region = d.result.region
    if d.sintetis:
        st.info(
            f"{region.nama}: batas desa asli; data keluarga adalah **sampel SINTETIS** "
            "(bukan orang nyata). " + upload_hint(d, "berkas P3KE", "untuk data sebenarnya"),
            icon=":material/info:",
        )
    else:
        st.caption(f"{md_escape(region.nama)} · berkas: {md_escape(d.label)}")
        if d.penyebut_sintetis:
            st.warning(
                "Penyebut persentase (seluruh keluarga per desa) masih tabel **SINTETIS** "
                "bawaan. "
                + upload_hint(d, "tabel keluarga per desa", "agar persentase desil 1 bermakna"),
                icon=":material/warning:",
            )
    sheet = d.result.sheet
    if sheet.lembar_lain:
        st.warning(
            f"Hanya lembar **{md_escape(sheet.sheet)}** yang dibaca. Lembar lain yang juga berisi "
            "judul kolom P3KE tidak dibaca: "
            + ", ".join(md_escape(n) for n in sheet.lembar_lain)
            + ". Pilih lembar di samping, atau gabungkan lembar-lembar itu menjadi satu.",
            icon=":material/warning:",
        )
    for note, _ in sheet_notes(sheet, d.label):
        st.warning(md_escape(note), icon=":material/warning:")
    bad = d.result.indikator[d.result.indikator["penyebut_tidak_cukup"]]
    if len(bad):
        st.warning(
            f"{len(bad)} desa memiliki keluarga P3KE lebih banyak daripada seluruh keluarganya "
            "menurut tabel penyebut; persentasenya tidak dihitung: "
            + ", ".join(md_escape(x) for x in bad["desa"].head(8))
            + ("…" if len(bad) > 8 else ""),
            icon=":material/warning:",
        )


def start_page(title: str) -> Data:
    """Draw a page's title, the data sidebar and the data banner; stop the page without data.

    Returns
    -------
    Data
        The session's processed dataset.
    """
    st.title(title)
    d = sidebar_data()
    if d is None:
        st.stop()
    assert d is not None
    data_banner(d)
    return d
