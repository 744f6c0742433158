"""Priority desa: a transparent composite score from named indicators, and the selection.

No regulation fixes how to rank desa for the acceleration of extreme-poverty eradication
(Inpres 4/2022 asks for "lokus prioritas" but gives no formula), so the score is an
**analytic choice**, built to be read: every component is a named indicator, normalised by a
stated method, multiplied by a weight the user sets; the contributions add up to the score.

Score of desa *d* (0-100)::

    skor_d = 100 * sum_i (w_i / W) * n_i(d),   W = sum of the weights in use

where ``n_i(d)`` is component *i* normalised to 0-1 over the desa with P3KE data
(:data:`NORMALISASI`). ``kontribusi_<i> = 100 * (w_i / W) * n_i(d)`` is shown per desa.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from geo.codes import normalise_kode_desa
from geo.errors import PriorityError
from targeting.format import angka
from targeting.indicators import DEPRIVASI
from targeting.settings import setting
from targeting.strategies import INPRES_NOMOR

__all__ = [
    "ATURAN_SERI",
    "BOBOT_BAWAAN",
    "KOMPONEN",
    "NORMALISASI",
    "TANPA_DATA",
    "Komponen",
    "PriorityError",
    "PrioritySettings",
    "Ranking",
    "parse_weights",
    "rank_desa",
    "select_desa",
]


@dataclass(frozen=True)
class Komponen:
    """One component of the priority score.

    Attributes
    ----------
    label : str
        Bahasa Indonesia label (UI and exports).
    keterangan : str
        What the raw value is, with its unit.
    """

    label: str
    keterangan: str


KOMPONEN: dict[str, Komponen] = {
    "persen_desil_1": Komponen(
        "Desil 1 per 100 keluarga",
        "keluarga desil 1 per 100 seluruh keluarga desa (indikator peta)",
    ),
    "keluarga_desil_1": Komponen(
        "Jumlah keluarga desil 1", "keluarga desil 1 di desa (rumah tangga)"
    ),
    "kekurangan": Komponen(
        "Kekurangan (rata-rata 4 jenis)",
        "rata-rata, atas 4 kekurangan ("
        + ", ".join(d.label.lower() for d in DEPRIVASI.values())
        + "), keluarga P3KE berkekurangan per 100 keluarga P3KE",
    ),
    "kantong": Komponen(
        "Kantong kemiskinan",
        "1 = desa kantong (Gi*/Moran panas); 0,5 = bukan kantong tetapi berisi klaster "
        "keluarga desil 1; 0 = lainnya",
    ),
    "celah": Komponen(
        "Celah intervensi",
        "jumlah strategi Inpres 4/2022 (dari 3) tanpa sub kegiatan berlokus di desa, dibagi 3",
    ),
}
"""The named components, in display order."""

BOBOT_BAWAAN: dict[str, float] = {
    "persen_desil_1": 30.0,
    "keluarga_desil_1": 25.0,
    "kekurangan": 15.0,
    "kantong": 15.0,
    "celah": 15.0,
}
"""Default weights (an analytic choice): the desil-1 share and count together 55 %, since
extreme poverty is the target of Inpres 4/2022; deprivations, the pocket label and the
intervention gap 15 % each. Only ratios matter: weights are divided by their sum."""

NORMALISASI = {
    "minmax": "min-maks: (x - min) / (maks - min) atas desa berdata P3KE; semua sama -> 0",
    "peringkat": "peringkat: (peringkat naik - 1) / (n - 1) atas desa berdata P3KE, seri = rata-rata",
}
"""Normalisation methods of a component to 0-1, over the desa with P3KE data."""


@dataclass(frozen=True)
class PrioritySettings:
    """The analytic choices of the priority score as CLI options and sidebar widgets.

    Attributes
    ----------
    bobot : str or None
        Weights as written on the command line (``persen_desil_1=30,celah=15``; read by
        :func:`parse_weights`); None means :data:`BOBOT_BAWAAN`. The sidebar shows one
        number per :data:`KOMPONEN` instead.
    normalisasi : {"minmax", "peringkat"}
        Normalisation of each component to 0-1 (:data:`NORMALISASI`).
    """

    bobot: str | None = setting(
        None, label="Bobot skor prioritas", flag="--weights",
        help="priority score weights, e.g. persen_desil_1=30,keluarga_desil_1=25,kekurangan=15,"
        "kantong=15,celah=15 (components not named keep their default)",
    )  # fmt: skip
    normalisasi: Literal["minmax", "peringkat"] = setting(
        "minmax", label="Normalisasi", flag="--normalisasi", key="normalisasi",
        help="normalisation of the components to 0-1",
        choices={"minmax": "Min-maks", "peringkat": "Peringkat"},
    )  # fmt: skip

    def __post_init__(self) -> None:
        if self.normalisasi not in NORMALISASI:
            msg = f"normalisasi {self.normalisasi!r} (pilihan: {', '.join(NORMALISASI)})"
            raise PriorityError(msg)


BOBOT_LANGKAH = 5
"""Step of a weight's sidebar number (whole numbers 0-1000: only the ratio matters)."""


TANPA_DATA = (
    "tidak ada desa berdata P3KE: tidak ada baris keluarga yang dipakai, jadi tidak ada desa "
    "yang diberi peringkat (alasan penolakan setiap baris ada di laporan impor)"
)
"""The note of a ranking without any desa with P3KE data (every row rejected)."""

ATURAN_SERI = (
    "skor sama: lebih banyak keluarga desil 1 di atas, lalu desil 1 per 100 keluarga lebih "
    "tinggi, lalu kode desa naik"
)
"""The documented tie-break of the ranking."""


@dataclass
class Ranking:
    """The priority ranking.

    Attributes
    ----------
    tabel : pandas.DataFrame
        One row per desa, ranked: ``peringkat`` (Int64, 1 = highest priority; <NA> for desa
        without P3KE data, listed last), ``kode_desa``, ``desa``, ``kecamatan``, ``skor``
        (0-100), then per component *c* of :data:`KOMPONEN` ``nilai_<c>`` (raw value),
        ``normal_<c>`` (0-1) and ``kontribusi_<c>`` (points of the score; they add up to
        ``skor``), and ``alasan`` ("why this desa", Bahasa Indonesia).
    bobot : dict
        Weights as given, per component.
    bobot_terpakai : dict
        Weights used (a component with no value for any desa gets 0), per component.
    normalisasi : str
        Key of :data:`NORMALISASI`.
    catatan : list of str
        Components left out and why.
    """

    tabel: pd.DataFrame
    bobot: dict[str, float]
    bobot_terpakai: dict[str, float]
    normalisasi: str
    catatan: list[str]

    def aturan(self) -> dict[str, str]:
        """Rule texts for exports (``ringkasan``).

        Returns
        -------
        dict
            Formula, normalisation, tie rule and each component's definition.
        """
        total = sum(self.bobot_terpakai.values())
        out = {
            "rumus_skor": "skor = 100 x jumlah(bobot_i / jumlah bobot x nilai_normal_i)",
            "normalisasi": NORMALISASI[self.normalisasi],
            "aturan_seri": ATURAN_SERI,
        }
        for key, comp in KOMPONEN.items():
            w = self.bobot_terpakai[key]
            share = f"{angka(w / total * 100, 1)} % dari skor" if total else "-"
            out[f"komponen_{key}"] = f"{comp.label}: {comp.keterangan}; bobot {w:g} ({share})"
        return out


def parse_weights(text: str | Mapping[str, object] | None) -> dict[str, float]:
    """Read weights from ``name=value,...`` (the CLI's ``--weights``) or a mapping.

    Parameters
    ----------
    text : str, mapping or None
        E.g. ``"persen_desil_1=40,celah=0"``, or with ``;`` between items when a value has a
        decimal comma (``"kantong=2,5; celah=0"``). Components not named keep their default
        (:data:`BOBOT_BAWAAN`); None gives the defaults.

    Returns
    -------
    dict
        Weight per component of :data:`KOMPONEN`, all finite and >= 0, not all 0.

    Raises
    ------
    PriorityError
        On an unknown component, a value that is not a number, a negative weight or all
        weights 0.

    Examples
    --------
    >>> parse_weights("celah=0, kantong=30")["kantong"]
    30.0
    """
    weights = dict(BOBOT_BAWAAN)
    if text is None:
        return weights
    if isinstance(text, str):
        items: list[tuple[str, object]] = []
        sep = ";" if ";" in text else ","
        for part in (p.strip() for p in text.split(sep)):
            if not part:
                continue
            if "=" not in part:
                msg = f"bobot {part!r}: tulis nama=nilai, mis. persen_desil_1=30"
                raise PriorityError(
                    msg,
                    en=f"weight {part!r}: write name=value, e.g. persen_desil_1=30",
                )
            name, value = part.split("=", 1)
            items.append((name.strip(), value.strip()))
    else:
        items = list(text.items())
    for name, value in items:
        if name not in KOMPONEN:
            known = ", ".join(KOMPONEN)
            msg = f"komponen bobot {name!r} tidak dikenal; pilihan: {known}"
            raise PriorityError(
                msg,
                en=f"unknown weight component {name!r}; choose from {known}",
            )
        try:
            number = float(str(value).replace(",", "."))
        except ValueError:
            msg = f"bobot {name}={value!r} bukan angka"
            raise PriorityError(msg, en=f"weight {name}={value!r} is not a number") from None
        if not math.isfinite(number) or number < 0:
            msg = f"bobot {name}={value!r} harus angka 0 atau lebih"
            raise PriorityError(
                msg,
                en=f"weight {name}={value!r} must be a number >= 0",
            )
        weights[name] = number
    if sum(weights.values()) <= 0:
        msg = "semua bobot 0: paling sedikit satu komponen harus berbobot"
        raise PriorityError(
            msg,
            en="all weights are 0: give at least one component a weight",
        )
    return weights


def _normalise(values: pd.Series, method: str) -> pd.Series:
    valid = values.dropna()
    if valid.empty:
        return values * np.nan
    if method == "minmax":
        lo, hi = float(valid.min()), float(valid.max())
        return (values - lo) / (hi - lo) if hi > lo else values * 0.0
    ranks = values.rank(method="average")
    return (ranks - 1) / (len(valid) - 1) if len(valid) > 1 else values * 0.0


def _raw_values(
    indikator: pd.DataFrame, kantong: pd.DataFrame | None, klaster: pd.DataFrame | None,
    matriks: pd.DataFrame | None,
) -> tuple[pd.DataFrame, list[str]]:  # fmt: skip
    kode = indikator["kode_desa"]
    raw = pd.DataFrame(index=indikator.index)
    notes: list[str] = []
    raw["persen_desil_1"] = indikator["persen_desil_1"].astype("float64")
    raw["keluarga_desil_1"] = indikator["keluarga_desil_1"].astype("float64")
    shares = [
        indikator[f"persen_p3ke_{k}"].astype("float64")
        for k in DEPRIVASI
        if indikator[f"p3ke_{k}"].notna().any()
    ]
    raw["kekurangan"] = pd.concat(shares, axis=1).mean(axis=1) if shares else np.nan
    if len(shares) < len(DEPRIVASI):
        notes.append(
            f"kekurangan: {len(shares)} dari {len(DEPRIVASI)} kolom kekurangan ada di berkas"
        )
    if kantong is not None:
        hot = set(kantong.loc[kantong["kantong"] == "panas", "kode_desa"])
        with_cluster = set(klaster["kode_desa"]) if klaster is not None else set()
        raw["kantong"] = np.where(kode.isin(hot), 1.0, np.where(kode.isin(with_cluster), 0.5, 0.0))
    else:
        raw["kantong"] = np.nan
        notes.append("kantong: analisis kantong tidak dijalankan, komponen tidak dipakai")
    if matriks is not None:
        m = matriks.set_index("kode_desa")
        gaps = sum((m[f"sub_kegiatan_{s}"] == 0).astype(int) for s in INPRES_NOMOR)
        missing = gaps / len(INPRES_NOMOR)
        raw["celah"] = kode.map(missing).astype("float64")
    else:
        raw["celah"] = np.nan
        notes.append("celah: tidak ada daftar sub kegiatan, komponen tidak dipakai")
    # A desa without P3KE rows has no value for any component: it is not ranked.
    raw = raw.where(indikator["ada_data"].astype(bool), axis=0)
    return raw, notes


def _format(key: str, value: float) -> str:
    if pd.isna(value):
        return "tidak ada nilai"
    if key == "persen_desil_1":
        return angka(value, 1)
    if key == "keluarga_desil_1":
        return f"{angka(value)} keluarga"
    if key == "kekurangan":
        return f"{angka(value, 1)} per 100 P3KE"
    if key == "kantong":
        return {1.0: "desa kantong", 0.5: "ada klaster keluarga"}.get(float(value), "bukan kantong")
    return f"{round(value * 3)} dari 3 strategi tanpa sub kegiatan"


def _weights_in_use(
    weights: dict[str, float], raw: pd.DataFrame, notes: list[str], *, any_data: bool
) -> tuple[dict[str, float], list[str]]:
    """Weights of the components that have a value somewhere (others 0), with the notes.

    Raises
    ------
    PriorityError
        When desa have data but no weighted component has a value for any of them.
    """
    if not any_data:
        # Nothing to rank, whatever the weights: say so instead of blaming the weights.
        return dict.fromkeys(weights, 0.0), [TANPA_DATA]
    if not (raw["keluarga_desil_1"].fillna(0) > 0).any():
        notes.append(
            "tidak ada keluarga desil 1 di berkas ini: komponen desil 1 bernilai 0 untuk "
            "semua desa, urutan hanya ditentukan komponen lain"
        )
    used = {k: (w if raw[k].notna().any() else 0.0) for k, w in weights.items()}
    for k, w in weights.items():
        if w > 0 and used[k] == 0 and not any(n.startswith(k) for n in notes):
            notes.append(f"{k}: tidak ada desa dengan nilai, komponen tidak dipakai")
    if sum(used.values()) <= 0:
        msg = "tidak ada komponen berbobot yang bernilai: beri bobot pada komponen lain"
        raise PriorityError(msg, en="no weighted component has values: weight another component")
    return used, notes


def rank_desa(
    indikator: pd.DataFrame,
    *,
    kantong: pd.DataFrame | None = None,
    klaster: pd.DataFrame | None = None,
    matriks: pd.DataFrame | None = None,
    bobot: Mapping[str, float] | None = None,
    normalisasi: str = "minmax",
) -> Ranking:
    """Score and rank desa for priority.

    Parameters
    ----------
    indikator : pandas.DataFrame
        :func:`targeting.indicators.desa_indicators` (one row per desa; ``kode_desa``,
        ``desa``, ``kecamatan``, ``ada_data``, ``persen_desil_1``, ``keluarga_desil_1``,
        ``p3ke_<x>`` and ``persen_p3ke_<x>`` per deprivation). Geometry is ignored.
    kantong : pandas.DataFrame, optional
        ``PocketResult.desa`` (``kode_desa``, ``kantong``). Without it the pocket component
        is left out (weight 0, noted).
    klaster : pandas.DataFrame, optional
        ``PocketResult.klaster`` (``kode_desa``): desa holding a household cluster score 0.5.
    matriks : pandas.DataFrame, optional
        ``InterventionResult.matriks`` (``kode_desa``, ``sub_kegiatan_1..3``). Without it the
        gap component is left out (weight 0, noted).
    bobot : mapping, optional
        Weight per component (:func:`parse_weights`); default :data:`BOBOT_BAWAAN`.
    normalisasi : {"minmax", "peringkat"}, default "minmax"
        See :data:`NORMALISASI`.

    Returns
    -------
    Ranking
        ``tabel`` sorted by ``peringkat``; ``kontribusi_*`` add up to ``skor``. When no desa
        has P3KE data (every household row rejected), no desa is ranked: ``peringkat`` and
        ``skor`` are <NA> everywhere, every used weight is 0 and ``catatan`` holds only
        :data:`TANPA_DATA`.

    Raises
    ------
    PriorityError
        On invalid weights or an unknown normalisation, or when desa have data but no
        weighted component has a value for any of them.
    """
    if normalisasi not in NORMALISASI:
        msg = f"normalisasi {normalisasi!r} tidak dikenal; pilihan: {', '.join(NORMALISASI)}"
        raise PriorityError(
            msg,
            en=f"unknown normalisation {normalisasi!r}; choose from {', '.join(NORMALISASI)}",
        )
    weights = parse_weights(dict(bobot) if bobot is not None else None)
    ind = pd.DataFrame(indikator).drop(columns="geometry", errors="ignore").reset_index(drop=True)
    raw, notes = _raw_values(ind, kantong, klaster, matriks)
    has_data = ind["ada_data"].astype(bool)
    used, notes = _weights_in_use(weights, raw, notes, any_data=bool(has_data.any()))
    total = sum(used.values())
    out = ind[["kode_desa", "desa", "kecamatan"]].copy()
    skor = pd.Series(0.0, index=ind.index)
    for key in KOMPONEN:
        norm = _normalise(raw[key], normalisasi)
        # A desa with data but no value for this component (e.g. no denominator) gets 0.
        norm = norm.where(~has_data | norm.notna(), 0.0) if used[key] else norm * 0.0
        contrib = 100.0 * (used[key] / total if total else 0.0) * norm
        out[f"nilai_{key}"] = raw[key]
        out[f"normal_{key}"] = norm.where(has_data)
        out[f"kontribusi_{key}"] = contrib.where(has_data)
        skor = skor + contrib.fillna(0.0)
    out["skor"] = skor.where(has_data)
    out["_d1"] = raw["keluarga_desil_1"].fillna(-1)
    out["_p"] = raw["persen_desil_1"].fillna(-1)
    out = out.sort_values(
        ["skor", "_d1", "_p", "kode_desa"],
        ascending=[False, False, False, True],
        na_position="last",
        kind="mergesort",
    ).drop(columns=["_d1", "_p"])
    n = int(has_data.sum())
    out.insert(0, "peringkat", pd.array(list(range(1, n + 1)) + [pd.NA] * (len(out) - n), "Int64"))
    out["alasan"] = [_why(row, used) for row in out.to_dict(orient="records")]
    columns = ["peringkat", "kode_desa", "desa", "kecamatan", "skor"]
    columns += [f"{p}_{k}" for k in KOMPONEN for p in ("nilai", "normal", "kontribusi")]
    return Ranking(
        tabel=out[[*columns, "alasan"]].reset_index(drop=True),
        bobot=weights,
        bobot_terpakai=used,
        normalisasi=normalisasi,
        catatan=notes,
    )


def _why(row: dict, used: Mapping[str, float]) -> str:
    if pd.isna(row["skor"]):
        return "tidak ada data P3KE untuk desa ini: tidak diberi peringkat"
    parts = sorted(
        (k for k in KOMPONEN if used[k] > 0),
        key=lambda k: -float(row[f"kontribusi_{k}"]),
    )
    text = "; ".join(
        f"{KOMPONEN[k].label} {_format(k, row[f'nilai_{k}'])} (+{angka(row[f'kontribusi_{k}'], 1)})"
        for k in parts
    )
    return f"skor {angka(row['skor'], 1)} = {text}"


def select_desa(
    tabel: pd.DataFrame,
    *,
    teratas: int | None = None,
    skor_min: float | None = None,
    kode: Iterable[str] | None = None,
) -> list[str]:
    """Choose priority desa from a ranking: top N, a score threshold and/or named codes.

    Parameters
    ----------
    tabel : pandas.DataFrame
        ``Ranking.tabel``.
    teratas : int, optional
        The N best-ranked desa (N >= 1).
    skor_min : float, optional
        Every desa with ``skor`` at least this (0-100).
    kode : iterable of str, optional
        Desa codes in any spelling (``61.11.01.2001``, ``6111012001``).

    Returns
    -------
    list of str
        Dotted codes of the union of the three choices, in ranking order.

    Raises
    ------
    PriorityError
        If a code is unreadable or not a desa of the ranking, or N < 1.
    """
    chosen: set[str] = set()
    ranked = tabel[tabel["peringkat"].notna()]
    if teratas is not None:
        if teratas < 1:
            msg = f"jumlah desa teratas harus 1 atau lebih, bukan {teratas}"
            raise PriorityError(
                msg,
                en=f"the number of top desa must be at least 1, not {teratas}",
            )
        chosen |= set(ranked.head(teratas)["kode_desa"])
    if skor_min is not None:
        chosen |= set(ranked.loc[ranked["skor"] >= skor_min, "kode_desa"])
    known = set(tabel["kode_desa"])
    for raw in kode or []:
        text = str(raw).strip()
        if not text:
            continue
        dotted = normalise_kode_desa(pd.Series([text]))["kode_desa"].iloc[0]
        if pd.isna(dotted) or dotted not in known:
            msg = f"kode desa {text!r} bukan desa wilayah ini"
            raise PriorityError(
                msg,
                en=f"desa code {text!r} is not a desa of this region",
            )
        chosen.add(dotted)
    return [k for k in tabel["kode_desa"] if k in chosen]
