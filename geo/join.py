"""Place households in desa: by code, by name where the code fails, then check the points.

A family always belongs to the desa its ``kode_kemdagri`` names (P3KE is by-name-by-address;
coordinates are optional field additions). Where the code is blank, unreadable or unknown,
the desa is matched by name within its kecamatan (rapidfuzz). Where the family has a point,
Lokus checks that the point lies in that desa and flags it when it does not; it never moves
or drops the family.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from rapidfuzz import fuzz, process

from geo.crs import DISPLAY_CRS, require_crs
from geo.households import HOUSEHOLD_FLAGS, REJECT_COLUMNS

__all__ = [
    "DEFAULT_COAST_M",
    "FLAG_COLUMNS",
    "NAME_MATCH_MARGIN",
    "NAME_MATCH_MIN",
    "Placement",
    "normalise_name",
    "place_households",
]

FLAG_COLUMNS = {
    **HOUSEHOLD_FLAGS,
    "flag_desa_dari_nama": "kode desa kosong/tidak dikenal; desa ditentukan dari namanya",
    "flag_nama_desa_beda": "nama desa di berkas berbeda dari nama desa kodenya (keluarga tetap di desa kodenya)",
    "flag_titik_lepas_pantai": "titik di laut, dalam jarak toleransi dari desanya",
    "flag_titik_luar_wilayah": "titik di luar semua poligon desa, lebih jauh dari toleransi pantai",
    "flag_titik_desa_lain": "titik jatuh di desa lain daripada kode desanya",
}
"""Flags a used row can carry, with their meaning (Bahasa Indonesia, shown in reports)."""

DEFAULT_COAST_M = 500.0
"""Points in the sea within this distance (metres) of their own desa are flagged as just off
the coast, not as outside the region: GPS error on a jetty or a stilt house over water. An
analytic choice."""

NAME_MATCH_MIN = 85.0
"""Lowest rapidfuzz ``fuzz.ratio`` (normalised Levenshtein similarity, 0-100) at which a
normalised desa name is accepted. ``ratio`` compares whole names: "Padang Tikar" does not match
"Padang", unlike partial scorers."""

NAME_MATCH_MARGIN = 5.0
"""The best name must beat the second best by this many points, or the row is ambiguous."""

_PREFIXES = re.compile(r"^(desa|kelurahan|kel|ds)\.?\s+")
_SYNONYMS = ((re.compile(r"\bsei\b"), "sungai"), (re.compile(r"\bsp\b"), "simpang"))


def normalise_name(name: object) -> str:
    """Normalise a desa or kecamatan name for matching.

    Parameters
    ----------
    name : object
        A name as written (``"Desa Sei Mata-Mata"``).

    Returns
    -------
    str
        Lower case, without ``desa``/``kelurahan`` prefixes, ``sei`` read as ``sungai``,
        without spaces, hyphens or punctuation (``"sungaimatamata"``).

    Examples
    --------
    >>> normalise_name("Desa Sei Mata-Mata")
    'sungaimatamata'
    """
    if name is None or name is pd.NA or (isinstance(name, float) and np.isnan(name)):
        return ""
    text = _PREFIXES.sub("", str(name).strip().lower())
    for pattern, repl in _SYNONYMS:
        text = pattern.sub(repl, text)
    return re.sub(r"[^a-z0-9]", "", text)


@dataclass
class Placement:
    """Families placed in desa.

    Attributes
    ----------
    keluarga : geopandas.GeoDataFrame
        One row per used family, EPSG:4326, index 0..n-1. Columns of the validated table with
        ``kode_desa`` resolved, ``kode_desa_titik`` (the desa the point lies in, ``<NA>``
        without a usable point or outside every desa), the flags of :data:`FLAG_COLUMNS`,
        and point geometry (None without usable coordinates).
    ditolak : pandas.DataFrame
        Rows rejected at this step, columns ``berkas``, ``baris``, ``kolom``, ``nilai``,
        ``alasan``.
    cocok_nama : pandas.DataFrame
        Every desa found by name instead of by code: ``baris``, ``nama_masukan``,
        ``kecamatan_masukan``, ``kode_desa``, ``desa``, ``skor`` (0-100), ``persis`` (bool).
    kode_tidak_dikenal : list of str
        Distinct readable codes absent from the boundaries (the boundary set does not cover
        them).
    """

    keluarga: gpd.GeoDataFrame
    ditolak: pd.DataFrame
    cocok_nama: pd.DataFrame = field(default_factory=pd.DataFrame)
    kode_tidak_dikenal: list[str] = field(default_factory=list)


def _short(value: object) -> str:
    """Show a code or desa name in reports; hide long text (from a shifted column)."""
    text = str(value)
    if len(text) <= 40 and not re.search(r"\d{12,}", text):
        return text
    return f"[disamarkan: {len(text)} karakter]"


def _normalised(values: pd.Series) -> pd.Series:
    """:func:`normalise_name` of every value, computed once per distinct value."""
    codes, uniques = pd.factorize(values.astype("object"), use_na_sentinel=True)
    norm = np.array([normalise_name(u) for u in uniques] + [""], dtype=object)
    return pd.Series(norm[codes], index=values.index, dtype=object)


def _name_disagrees(out: pd.DataFrame, desa: pd.DataFrame, known: pd.Series) -> np.ndarray:
    """Flag rows whose code is known but whose desa name is another desa's (checked once per pair)."""
    flags = np.zeros(len(out), dtype=bool)
    if "desa_kelurahan" not in out.columns:
        return flags
    mask = known.to_numpy(dtype=bool)
    if not mask.any():
        return flags
    # Only the desa named by this table's codes are normalised (a national layer has 84,000).
    desa_name = dict(zip(desa["kode_desa"], desa["desa"], strict=True))
    given = _normalised(out.loc[mask, "desa_kelurahan"])
    coded = _normalised(out.loc[mask, "kode_desa"].map(desa_name))
    a, b = given.to_numpy(), coded.to_numpy()
    differ = a != b  # the same normalised name always agrees: only other pairs are scored
    verdict = np.zeros(len(a), dtype=bool)
    if differ.any():
        pairs = pd.DataFrame({"a": a[differ], "b": b[differ]})
        codes, uniques = pd.factorize(pd.MultiIndex.from_frame(pairs))
        scored = np.array(
            [bool(x) and bool(y) and fuzz.ratio(x, y) < NAME_MATCH_MIN for x, y in uniques],
            dtype=bool,
        )
        verdict[differ] = scored[codes]
    flags[mask] = verdict
    return flags


def _match_names(
    rows: pd.DataFrame, desa: pd.DataFrame
) -> tuple[dict[int, tuple[str, float, bool]], dict[int, str]]:
    """Match desa names within their kecamatan. Returns matches and failure reasons by index.

    Each distinct (name, kecamatan) pair is matched once, so a file whose code column is
    missing altogether costs one look-up per desa, not per family.
    """
    kec_norm = _normalised(desa["kecamatan"]).to_numpy()
    kec_names = sorted(set(kec_norm))
    at_kec = pd.Series(kec_norm).groupby(kec_norm, sort=False).indices  # name -> positions
    desa_names = desa["desa"].to_numpy()
    desa_codes = desa["kode_desa"].to_numpy()
    empty = pd.Series(pd.NA, index=rows.index, dtype="object")
    names = rows.get("desa_kelurahan", empty)
    kecs = rows.get("kecamatan", empty)
    keys = pd.DataFrame({"n": _normalised(names), "k": _normalised(kecs)})
    outcome: dict[tuple[str, str], tuple[str, object]] = {}
    # Plain lists per kecamatan pool (normalised name, desa, code) in boundary order, built
    # when first needed: pandas row access per distinct name costs more than the matching,
    # and a national layer has 10,000 kecamatan of which a table names a few.
    pools: dict[str | None, tuple[list[str], list[str], list[str]]] = {}

    def pool_of(kec: str | None) -> tuple[list[str], list[str], list[str]]:
        if kec not in pools:
            pos = np.arange(len(desa)) if kec is None else np.sort(at_kec[kec])
            raw = desa_names[pos].tolist()
            pools[kec] = ([normalise_name(n) for n in raw], raw, desa_codes[pos].tolist())
        return pools[kec]

    firsts = keys.drop_duplicates()
    raw_names = names.loc[firsts.index].tolist()
    for name, kec, raw_name in zip(firsts["n"], firsts["k"], raw_names, strict=True):
        if not name:
            outcome[(name, kec)] = ("gagal", "kode desa tidak dapat dipakai dan nama desa kosong")
            continue
        pool_kec = None  # every desa of the boundaries
        if kec:
            best = process.extractOne(kec, kec_names, scorer=fuzz.ratio)
            if best is not None and best[1] >= NAME_MATCH_MIN:
                pool_kec = best[0]
        pool_names, pool_desa, pool_kode = pool_of(pool_kec)
        scored = process.extract(name, pool_names, scorer=fuzz.ratio, limit=2)
        if not scored or scored[0][1] < NAME_MATCH_MIN:
            outcome[(name, kec)] = (
                "gagal",
                f"nama desa {raw_name!s} tidak cocok dengan desa mana pun",
            )
        elif (
            len(scored) > 1
            and scored[0][1] - scored[1][1] < NAME_MATCH_MARGIN
            and scored[0][0] != scored[1][0]
        ):
            a = pool_desa[scored[0][2]]
            b = pool_desa[scored[1][2]]
            outcome[(name, kec)] = (
                "gagal",
                f"nama desa ambigu: {a} ({scored[0][1]:.0f}) atau {b} ({scored[1][1]:.0f})",
            )
        else:
            outcome[(name, kec)] = (
                "cocok",
                (str(pool_kode[scored[0][2]]), float(scored[0][1]), scored[0][0] == name),
            )
    matches: dict[int, tuple[str, float, bool]] = {}
    failures: dict[int, str] = {}
    for idx, name, kec in zip(keys.index, keys["n"], keys["k"], strict=True):
        kind, value = outcome[(name, kec)]
        if kind == "cocok":
            matches[idx] = value  # type: ignore[assignment]
        else:
            failures[idx] = str(value)
    return matches, failures


def place_households(
    keluarga: pd.DataFrame,
    desa: gpd.GeoDataFrame,
    *,
    source: str,
    metric_crs: pyproj.CRS | None = None,
    jarak_pantai_m: float = DEFAULT_COAST_M,
) -> Placement:
    """Place validated families in desa and check their points.

    Parameters
    ----------
    keluarga : pandas.DataFrame
        ``HouseholdCheck.keluarga``: needs ``kode_desa`` (dotted or ``<NA>``),
        ``alasan_kode``, ``lintang``, ``bujur`` (float degrees, NaN where absent), the
        validation flags and ``_baris``; ``desa_kelurahan`` and ``kecamatan`` for name
        matching.
    desa : geopandas.GeoDataFrame
        Desa polygons with ``kode_desa``, ``desa``, ``kecamatan``, any CRS (required). Points
        are tested in this CRS; for EPSG:4326 (how boundaries are stored) no reprojection
        touches either side, so a point exactly on a border stays exactly on it.
    source : str
        File name, written in every rejection.
    metric_crs : pyproj.CRS, optional
        Metric CRS for the distance to the coast; default: the UTM zone of the boundaries.
    jarak_pantai_m : float, default :data:`DEFAULT_COAST_M`
        Metres within which a point in the sea counts as "just off the coast".

    Returns
    -------
    Placement
        ``len(keluarga) == len(result.keluarga) + len(result.ditolak)``.

    Raises
    ------
    CRSError
        If ``desa`` has no CRS.

    Notes
    -----
    Coordinates outside the region's extent (its bounding box widened by
    ``jarak_pantai_m``) are dropped and flagged, except when the swapped pair falls inside a
    desa: then lintang and bujur are swapped back and flagged.

    Border rule: a point on the shared border of its coded desa and another desa agrees with
    its code (the test is ``intersects``, boundary included). A point that lies outside its
    coded desa and on or inside several others is given the lowest ``kode_desa`` among them
    in ``kode_desa_titik``, so each point belongs to exactly one desa.
    """
    require_crs(desa, source="batas desa")
    codes = set(desa["kode_desa"])
    out = keluarga.reset_index(drop=True)  # copy-on-write: no deep copy of every column
    # Object arrays: pandas' Arrow-string isin walks a large value set in Python.
    known = pd.Series(
        out["kode_desa"].astype(object).isin(np.array(list(codes), dtype=object)).to_numpy(),
        index=out.index,
    )
    unknown_codes = sorted(set(out.loc[out["kode_desa"].notna() & ~known, "kode_desa"]))
    # A readable code of another region is a family of another district: it is rejected,
    # never moved into this region by a similar desa name.
    prefixes = {c[:5] for c in codes}
    foreign = out["kode_desa"].notna() & ~out["kode_desa"].astype("string").str.slice(0, 5).astype(
        object
    ).isin(np.array(sorted(prefixes), dtype=object))
    needs_name = ~known & ~foreign.fillna(False)
    matches, failures = _match_names(out[needs_name], desa) if needs_name.any() else ({}, {})
    for idx in out.index[foreign.fillna(False)]:
        failures[idx] = "kode desa milik wilayah lain (tidak dicocokkan dengan nama)"
    # Vectorised: a file without codes may resolve tens of thousands of rows by name.
    idx = list(matches)
    names = dict(zip(desa["kode_desa"], desa["desa"], strict=True))
    matched_codes = [matches[i][0] for i in idx]
    empty = pd.Series(pd.NA, index=out.index, dtype="object")
    cocok = pd.DataFrame(
        {
            "baris": out.loc[idx, "_baris"].astype(int).to_numpy(),
            "nama_masukan": out.get("desa_kelurahan", empty).loc[idx].to_numpy(),
            "kecamatan_masukan": out.get("kecamatan", empty).loc[idx].to_numpy(),
            "kode_desa": matched_codes,
            "desa": [names[k] for k in matched_codes],
            "skor": [round(matches[i][1], 1) for i in idx],
            "persis": [matches[i][2] for i in idx],
        }
    )
    if idx:
        out.loc[idx, "kode_desa"] = matched_codes
    out["flag_desa_dari_nama"] = out.index.isin(list(matches))
    out["flag_nama_desa_beda"] = _name_disagrees(out, desa, known)
    rej_rows = []
    if failures:
        # Plain Python values, read once: tens of thousands of rejections stay fast.
        fail_idx = list(failures)
        empty = pd.Series(pd.NA, index=out.index, dtype="object")
        sub = pd.DataFrame(
            {
                "baris": out.loc[fail_idx, "_baris"].astype(int).to_numpy(),
                "semua": out.get("_baris_semua", empty).loc[fail_idx].to_numpy(),
                "kode_raw": out.get("kode_kemdagri", empty).loc[fail_idx].to_numpy(),
                "kode": out.loc[fail_idx, "kode_desa"].to_numpy(),
                "alasan_kode": out.get("alasan_kode", empty).loc[fail_idx].to_numpy(),
                "nama": out.get("desa_kelurahan", empty).loc[fail_idx].to_numpy(),
            },
            index=fail_idx,
        ).astype(object)
        for idx, row in zip(fail_idx, sub.itertuples(index=False), strict=True):
            why = failures[idx]
            if pd.notna(row.kode):
                code_reason = f"kode desa {row.kode} tidak ada dalam batas desa wilayah"
            else:
                code_reason = str(row.alasan_kode)
            code_raw = "" if pd.isna(row.kode_raw) else _short(row.kode_raw)
            name = "" if pd.isna(row.nama) else _short(row.nama)
            rej_rows.append(
                {
                    "berkas": source,
                    "baris": int(row.baris),
                    "kolom": "kode_kemdagri; desa_kelurahan",
                    "nilai": f"{code_raw}; {name}",
                    "alasan": f"{code_reason}; {why}",
                }
            )
            head = str(int(row.baris))
            members = str(row.semua).split(";") if pd.notna(row.semua) else []
            for b in members:
                if b and b != head:
                    rej_rows.append(
                        {
                            "berkas": source,
                            "baris": int(b),
                            "kolom": "",
                            "nilai": "",
                            "alasan": f"anggota keluarga baris {head} yang ditolak: {code_reason}",
                        }
                    )
    ditolak = pd.DataFrame(rej_rows, columns=REJECT_COLUMNS)
    used = out.drop(index=list(failures)).reset_index(drop=True) if failures else out

    metric = metric_crs or pyproj.CRS.from_user_input(desa.estimate_utm_crs())
    used = _check_extent(used, desa, jarak_pantai_m)
    has_point = used["lintang"].notna() & used["bujur"].notna()
    with_pt = has_point.to_numpy()
    geometry = np.full(len(used), None, dtype=object)  # no point where coordinates are absent
    geometry[with_pt] = shapely.points(
        used["bujur"].to_numpy(dtype="float64")[with_pt],
        used["lintang"].to_numpy(dtype="float64")[with_pt],
    )
    res = gpd.GeoDataFrame(used, geometry=geometry, crs=DISPLAY_CRS)
    res["kode_desa_titik"] = pd.Series(pd.NA, index=res.index, dtype="string")
    res["flag_titik_luar_wilayah"] = False
    res["flag_titik_desa_lain"] = False
    res["flag_titik_lepas_pantai"] = False

    if has_point.any():
        desa_c = desa[["kode_desa", "geometry"]]
        polys = desa_c.set_index("kode_desa").geometry
        pts = res.geometry[has_point].to_crs(desa.crs)
        shapely.prepare(polys.values)
        coded = polys.reindex(res.loc[has_point, "kode_desa"]).to_numpy()
        agrees = shapely.intersects(coded, pts.to_numpy())
        kode_titik = pd.Series(pd.NA, index=pts.index, dtype="string")
        kode_titik[agrees] = res.loc[has_point, "kode_desa"][agrees]
        other = pts[~agrees]
        if len(other):
            # Every desa the point is on or in (the query geopandas.sjoin runs), lowest code.
            tree = shapely.STRtree(desa_c.geometry.to_numpy())
            which, hit = tree.query(other.to_numpy(), predicate="intersects")
            hits = pd.Series(desa_c["kode_desa"].to_numpy()[hit], index=other.index[which])
            first = hits.groupby(level=0).min()
            kode_titik[first.index] = first.to_numpy()
            res.loc[first.index, "flag_titik_desa_lain"] = True
            outside = other.index.difference(first.index)
            if len(outside):
                own = polys.reindex(res.loc[outside, "kode_desa"]).to_crs(metric).to_numpy()
                dist = shapely.distance(own, res.geometry[outside].to_crs(metric).to_numpy())
                near = dist <= jarak_pantai_m
                res.loc[outside[near], "flag_titik_lepas_pantai"] = True
                res.loc[outside[~near], "flag_titik_luar_wilayah"] = True
        res.loc[pts.index, "kode_desa_titik"] = kode_titik
    for flag in FLAG_COLUMNS:
        res[flag] = res[flag].astype(bool)
    res.attrs = {}
    return Placement(
        keluarga=res,
        ditolak=ditolak,
        cocok_nama=cocok,
        kode_tidak_dikenal=unknown_codes,
    )


def _check_extent(
    used: pd.DataFrame, desa: gpd.GeoDataFrame, jarak_pantai_m: float
) -> pd.DataFrame:
    """Drop points outside the region's extent; swap lintang/bujur back where that fits."""
    shown = desa.to_crs(DISPLAY_CRS)
    minx, miny, maxx, maxy = shown.total_bounds
    pad = jarak_pantai_m / 111_320  # metres to degrees (1 degree of latitude ~ 111.32 km)
    lat, lon = used["lintang"], used["bujur"]
    has = lat.notna() & lon.notna()

    def inside(la: pd.Series, lo: pd.Series) -> pd.Series:
        return la.between(miny - pad, maxy + pad) & lo.between(minx - pad, maxx + pad)

    ok = has & inside(lat, lon)
    cand = has & ~ok & inside(lon, lat)
    swap = pd.Series(False, index=used.index)
    if cand.any():
        pts = gpd.GeoSeries(
            gpd.points_from_xy(lat[cand], lon[cand]), index=lat[cand].index, crs=DISPLAY_CRS
        )
        # "Falls inside a desa": any polygon intersects the swapped point (an STRtree query,
        # not a union of every desa, which costs seconds at province scale).
        hit = shapely.STRtree(shown.geometry.values).query(pts.to_numpy(), predicate="intersects")
        swap.loc[cand] = np.isin(np.arange(len(pts)), hit[0])
    out = used.copy(deep=False)  # copy-on-write: columns set below do not touch `used`
    if swap.any():
        out.loc[swap, ["lintang", "bujur"]] = out.loc[swap, ["bujur", "lintang"]].to_numpy()
    out["flag_koordinat_ditukar"] = out["flag_koordinat_ditukar"] | swap
    bad = has & ~ok & ~swap
    if bad.any():
        out.loc[bad, ["lintang", "bujur"]] = np.nan
    out["flag_koordinat_tidak_valid"] = out["flag_koordinat_tidak_valid"] | bad
    return out
