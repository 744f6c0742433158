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

from geo.codes import kode_kabupaten
from geo.crs import DISPLAY_CRS, require_crs
from geo.errors import InputSchemaError
from geo.households import HOUSEHOLD_FLAGS, member_reason
from geo.ledger import Ledger, rejections
from geo.masking import LONG_DIGITS, hidden
from geo.text import fold
from geo.wilayah import KodeWilayah

__all__ = [
    "DEFAULT_COAST_M",
    "FLAG_COLUMNS",
    "NAME_MATCH_MARGIN",
    "NAME_MATCH_MIN",
    "Placement",
    "member_rows",
    "normalise_name",
    "place_households",
    "unknown_code_reason",
]

FLAG_COLUMNS = {
    **HOUSEHOLD_FLAGS,
    "flag_desa_dari_nama": "kode desa kosong/tidak dikenal; desa ditentukan dari namanya",
    "flag_nama_desa_beda": "nama desa di berkas berbeda dari nama desa kodenya (keluarga tetap di desa kodenya)",
    "flag_titik_lepas_pantai": "titik di laut, dalam jarak toleransi dari desanya",
    "flag_titik_luar_wilayah": "titik di luar semua poligon desa, lebih jauh dari toleransi pantai",
    "flag_titik_desa_lain": "titik jatuh di desa lain daripada kode desanya",
    "flag_desa_tanpa_batas": "kode desa sah (Kemendagri 2025) tanpa batas desa (pemekaran): "
    "keluarga dihitung di kodenya, tanpa peta",
    "flag_ejaan_lama": "nama desa ditulis dengan ejaan lama (Kemendagri 2022); cocok menurut kodenya",
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
    text = _PREFIXES.sub("", fold(name))
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
        Rows rejected at this step (a family's row and its member rows),
        :data:`geo.ledger.LEDGER_COLUMNS`.
    cocok_nama : pandas.DataFrame
        Every desa found by name instead of by code: ``baris``, ``nama_masukan``,
        ``kecamatan_masukan``, ``kode_desa``, ``desa``, ``skor`` (0-100), ``persis`` (bool).
    kode_tidak_dikenal : list of str
        Distinct readable codes absent from the boundaries and from the region's code list
        (the boundary set does not cover them).
    tanpa_batas : pandas.DataFrame
        Desa of the region's code list without a polygon (pemekaran) whose code families
        carry: ``kode_desa``, ``desa``, ``kecamatan``, ``keluarga`` (families counted there).
    ejaan_lama : pandas.DataFrame
        Desa named with their 2022 spelling: ``kode_desa``, ``nama_masukan`` (as written),
        ``desa`` (2025 name), ``kecamatan``, ``keluarga``.
    """

    keluarga: gpd.GeoDataFrame
    ditolak: pd.DataFrame
    cocok_nama: pd.DataFrame = field(default_factory=pd.DataFrame)
    kode_tidak_dikenal: list[str] = field(default_factory=list)
    tanpa_batas: pd.DataFrame = field(default_factory=pd.DataFrame)
    ejaan_lama: pd.DataFrame = field(default_factory=pd.DataFrame)

    def ledger(self, families_in: pd.DataFrame, source: str) -> Ledger:
        """Row accounting of placement.

        Parameters
        ----------
        families_in : pandas.DataFrame
            The families given to :func:`place_households`.
        source : str
            File name.

        Returns
        -------
        Ledger
            Input rows of the families given, input rows of the families placed (each
            family counts its ``_n_baris`` member rows), and the rows rejected here.
        """
        return Ledger.stage(
            source,
            rows_in=member_rows(families_in),
            used=member_rows(self.keluarga),
            ditolak=self.ditolak,
        )


def unknown_code_reason(kode: str) -> str:
    """Say that a readable desa code names no desa of the region (written once, used twice)."""
    return f"kode desa {kode} tidak ada dalam batas desa wilayah"


def member_rows(keluarga: pd.DataFrame) -> int:
    """Count the input rows held by families: their ``_n_baris``, or one row each without it."""
    if "_n_baris" not in keluarga.columns:
        return len(keluarga)
    return int(pd.to_numeric(keluarga["_n_baris"]).fillna(1).sum())


def _short(value: object) -> str:
    """Show a code or desa name in reports; hide long text (from a shifted column)."""
    text = str(value)
    if len(text) <= 40 and not LONG_DIGITS.search(text):
        return text
    return hidden(text)


def _normalised(values: pd.Series) -> pd.Series:
    """:func:`normalise_name` of every value, computed once per distinct value."""
    codes, uniques = pd.factorize(values.astype("object"), use_na_sentinel=True)
    norm = np.array([normalise_name(u) for u in uniques] + [""], dtype=object)
    return pd.Series(norm[codes], index=values.index, dtype=object)


def _name_disagrees(
    names: pd.Series | None, pos: np.ndarray, known: np.ndarray, desa_names: np.ndarray
) -> np.ndarray:
    """Flag rows whose code is known but whose desa name is another desa's.

    ``pos`` is each row's position in the boundaries (``-1`` where unknown). Each distinct
    (written name, coded desa) pair is normalised and scored once.
    """
    flags = np.zeros(len(pos), dtype=bool)
    if names is None or not known.any():
        return flags
    name_id, name_uniq = pd.factorize(names, use_na_sentinel=True)
    pair_id, pairs = pd.factorize(pos[known] * (len(name_uniq) + 1) + name_id[known] + 1)
    width = len(name_uniq) + 1
    verdict = np.zeros(len(pairs), dtype=bool)
    # Each written name and each desa name is normalised once (a province: 2,000 desa).
    given_of = [""] + [normalise_name(x) for x in name_uniq]
    coded_of: dict[int, str] = {}
    for k, pair in enumerate(pairs):
        at, nid = divmod(int(pair), width)
        given = given_of[nid]
        coded = coded_of.get(at)
        if coded is None:
            coded = coded_of[at] = normalise_name(desa_names[at])
        # The same normalised name always agrees: only other pairs are scored.
        verdict[k] = (
            bool(given) and bool(coded) and given != coded
            and fuzz.ratio(given, coded) < NAME_MATCH_MIN
        )  # fmt: skip
    flags[known] = verdict[pair_id]
    return flags


def _require_flags(keluarga: pd.DataFrame, source: str) -> None:
    """Raise :class:`InputSchemaError` when the families lack a validation flag."""
    missing = [f for f in HOUSEHOLD_FLAGS if f not in keluarga.columns]
    if missing:
        # Validated working files (GeoParquet partitions) written by another Lokus version.
        msg = (
            f"{source}: keluarga belum divalidasi oleh versi Lokus ini (kolom "
            f"{', '.join(missing)} tidak ada); validasi ulang berkasnya"
        )
        en = (
            f"{source}: the families were not validated by this Lokus version (no column "
            f"{', '.join(missing)}); validate the file again"
        )
        raise InputSchemaError(msg, en=en)


def _resolve_desa(
    out: pd.DataFrame,
    desa: gpd.GeoDataFrame,
    tanpa_batas: frozenset[str] = frozenset(),
    names: pd.DataFrame | None = None,
) -> tuple[np.ndarray, dict[int, str], pd.DataFrame, np.ndarray, np.ndarray, list[str]]:
    """Find each family's desa: by code, else by name within its kecamatan.

    ``out["kode_desa"]`` is filled in place for families matched by name. Returns the desa
    position per family (-1 when none), the failures (row -> reason: unknown or foreign
    code, no or ambiguous name), the name matches, and the "from name" and "name differs
    from code" flags, and the unknown codes. Codes in ``tanpa_batas`` (a desa of the
    region's code list without a polygon) are neither matched by name nor rejected: their
    position stays -1. ``names`` (``KodeWilayah.nama_desa``) adds the names of those desa and
    the 2022 spellings to the name matching.
    """
    n = len(out)
    desa_kode = desa["kode_desa"].to_numpy(dtype=object)
    desa_nama = desa["desa"].to_numpy(dtype=object)
    at_code = {code: i for i, code in enumerate(desa_kode)}
    prefixes = {kode_kabupaten(code) for code in at_code}
    # Codes of the table, looked up once per distinct value (NA has id -1: the last slot).
    code_id, code_uniq = pd.factorize(out["kode_desa"], use_na_sentinel=True)
    code_uniq = np.asarray(code_uniq, dtype=object)
    uniq_pos = np.array([at_code.get(c, -1) for c in code_uniq] + [-1], dtype=np.int64)
    # A readable code of another region is a family of another district: it is rejected,
    # never moved into this region by a similar desa name.
    uniq_foreign = np.array(
        [kode_kabupaten(c) not in prefixes for c in code_uniq] + [False], dtype=bool
    )
    pos = uniq_pos[code_id]
    known = pos >= 0
    foreign = uniq_foreign[code_id]
    listed = np.array([c in tanpa_batas for c in code_uniq] + [False], dtype=bool)
    unknown_codes = sorted(code_uniq[(uniq_pos[:-1] < 0) & ~listed[:-1]].tolist())
    needs_name = ~known & ~foreign & ~listed[code_id]
    pool = desa if names is None else names
    matches, failures = _match_names(out[needs_name], pool) if needs_name.any() else ({}, {})
    name_of = dict(zip(pool["kode_desa"][::-1], pool["desa"][::-1], strict=True))
    region = _prefix_list(prefixes)
    for i in np.flatnonzero(foreign):
        code = code_uniq[code_id[i]]
        failures[int(i)] = (
            f"kode desa di luar wilayah ini (awalan {kode_kabupaten(code)}, wilayah {region}); "
            "tidak dicocokkan dengan nama"
        )
    # Vectorised: a file without codes may resolve tens of thousands of rows by name.
    idx = list(matches)
    matched_codes = [matches[i][0] for i in idx]
    empty = pd.Series(pd.NA, index=out.index, dtype="object")
    cocok = pd.DataFrame(
        {
            "baris": out["_baris"].to_numpy()[idx].astype(int),
            "nama_masukan": out.get("desa_kelurahan", empty).to_numpy(dtype=object)[idx],
            "kecamatan_masukan": out.get("kecamatan", empty).to_numpy(dtype=object)[idx],
            "kode_desa": matched_codes,
            "desa": [name_of[k] for k in matched_codes],
            "skor": [round(matches[i][1], 1) for i in idx],
            "persis": [matches[i][2] for i in idx],
        }
    )
    if idx:
        out.loc[idx, "kode_desa"] = matched_codes
        pos[idx] = [at_code.get(k, -1) for k in matched_codes]
    dari_nama = np.zeros(n, dtype=bool)
    dari_nama[idx] = True
    nama_beda = _name_disagrees(out.get("desa_kelurahan"), pos, known, desa_nama)
    return pos, failures, cocok, dari_nama, nama_beda, unknown_codes


def _checked_points(
    out: pd.DataFrame, keep: np.ndarray, desa: gpd.GeoDataFrame, jarak_pantai_m: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates of the kept families after the extent check (swapped pairs swapped back).

    Returns lintang, bujur (NaN where unusable), the swapped and invalid masks, the point
    geometries (None where absent) and the mask of families with a point.
    """
    lat = out["lintang"].to_numpy(dtype="float64")[keep]  # boolean indexing: own copies
    lon = out["bujur"].to_numpy(dtype="float64")[keep]
    swap, bad = _check_extent(lat, lon, desa, jarak_pantai_m)
    lat[swap], lon[swap] = lon[swap], lat[swap]
    lat[bad] = lon[bad] = np.nan
    m = len(lat)
    with_pt = ~(np.isnan(lat) | np.isnan(lon))
    geometry = np.full(m, None, dtype=object)  # no point where coordinates are absent
    geometry[with_pt] = shapely.points(lon[with_pt], lat[with_pt])
    return lat, lon, swap, bad, geometry, with_pt


def _point_tests(
    geometry: np.ndarray,
    with_pt: np.ndarray,
    pos: np.ndarray,
    desa: gpd.GeoDataFrame,
    metric_crs: pyproj.CRS | None,
    jarak_pantai_m: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Test each point (EPSG:4326) against its own desa.

    Returns the desa code under the point and the flags "in another desa", "just off the
    coast" and "outside the region".
    """
    m = len(geometry)
    desa_kode = desa["kode_desa"].to_numpy(dtype=object)
    kode_titik = np.full(m, None, dtype=object)
    desa_lain = np.zeros(m, dtype=bool)
    lepas_pantai = np.zeros(m, dtype=bool)
    luar_wilayah = np.zeros(m, dtype=bool)
    if with_pt.any():
        rows = np.flatnonzero(with_pt)
        polys = desa.geometry.values
        pts = gpd.array.from_shapely(geometry[rows], crs=DISPLAY_CRS).to_crs(desa.crs)
        pts_np = np.asarray(pts)
        polys_np = np.asarray(polys)
        shapely.prepare(polys_np)
        agrees = shapely.intersects(polys_np[pos[rows]], pts_np)
        kode_titik[rows[agrees]] = desa_kode[pos[rows[agrees]]]
        if not agrees.all():
            other = np.flatnonzero(~agrees)
            # Every desa the point is on or in (the query geopandas.sjoin runs), lowest code.
            which, hit = polys.sindex.query(pts_np[other], predicate="intersects")
            if len(which):
                first = pd.Series(desa_kode[hit]).groupby(other[which]).min()
                got = rows[first.index.to_numpy()]
                kode_titik[got] = first.to_numpy()
                desa_lain[got] = True
            outside = np.setdiff1d(other, other[which])
            if len(outside):
                own_at, own_inv = np.unique(pos[rows[outside]], return_inverse=True)
                metric = metric_crs or pyproj.CRS.from_user_input(desa.estimate_utm_crs())
                own = np.asarray(polys[own_at].to_crs(metric))[own_inv]
                pts_m = np.asarray(pts[outside].to_crs(metric))
                near = shapely.distance(own, pts_m) <= jarak_pantai_m
                lepas_pantai[rows[outside[near]]] = True
                luar_wilayah[rows[outside[~near]]] = True
    return kode_titik, desa_lain, lepas_pantai, luar_wilayah


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
            and pool_kode[scored[0][2]] != pool_kode[scored[1][2]]
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
    kode_wilayah: KodeWilayah | None = None,
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
    kode_wilayah : geo.wilayah.KodeWilayah, optional
        The region's code lists of 2022 and 2025: a desa without polygon (pemekaran) is used
        under its code, a 2022 spelling flagged "ejaan lama" (:func:`_across_years`).

    Returns
    -------
    Placement
        ``len(keluarga) == len(result.keluarga) + len(result.ditolak)``.

    Raises
    ------
    CRSError
        If ``desa`` has no CRS.
    InputSchemaError
        If a validation flag of :data:`geo.households.HOUSEHOLD_FLAGS` is missing (families
        not validated by this version, e.g. old GeoParquet working files).

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
    _require_flags(keluarga, source)
    # The step works on numpy arrays and writes its columns once at the end: at district scale
    # (13,000 families, 43 desa) per-column pandas bookkeeping on the 50-column table would
    # cost more than the spatial test itself (bench/RESULTS.md).
    out = keluarga.reset_index(drop=True)  # copy-on-write: no deep copy of every column
    n = len(out)
    tanpa, names = _without_polygon(kode_wilayah, desa)
    pos, failures, cocok, dari_nama, nama_beda, unknown = _resolve_desa(out, desa, tanpa, names)
    ditolak = _rejections(out, failures, source)
    keep = np.ones(n, dtype=bool)
    keep[list(failures)] = False
    # Coordinates: extent, swapped pairs, then the point-in-own-desa test, all on arrays.
    pos = pos[keep]
    no_polygon = pos < 0  # a pemekaran desa: its points are kept, with no own desa to test
    lat, lon, swap, bad, geometry, with_pt = _checked_points(out, keep, desa, jarak_pantai_m)
    kode_titik, desa_lain, lepas_pantai, luar_wilayah = _point_tests(
        geometry, with_pt & ~no_polygon, pos, desa, metric_crs, jarak_pantai_m
    )

    used = out.take(np.flatnonzero(keep)) if failures else out
    columns: dict[str, object] = {
        "lintang": lat,
        "bujur": lon,
        "flag_koordinat_ditukar": out["flag_koordinat_ditukar"].to_numpy(dtype=bool)[keep] | swap,
        "flag_koordinat_tidak_valid": (
            out["flag_koordinat_tidak_valid"].to_numpy(dtype=bool)[keep] | bad
        ),
        "flag_desa_dari_nama": dari_nama[keep],
        "flag_nama_desa_beda": nama_beda[keep],
        "geometry": gpd.array.from_shapely(geometry, crs=DISPLAY_CRS),
        "kode_desa_titik": pd.array(kode_titik, dtype="string"),
        "flag_titik_luar_wilayah": luar_wilayah,
        "flag_titik_desa_lain": desa_lain,
        "flag_titik_lepas_pantai": lepas_pantai,
    }
    for flag in FLAG_COLUMNS:
        if flag not in columns and flag not in _ACROSS_YEARS and used[flag].dtype != bool:
            columns[flag] = used[flag].to_numpy(dtype=bool)
    res = gpd.GeoDataFrame(
        used.reset_index(drop=True).assign(**columns), geometry="geometry", crs=DISPLAY_CRS
    )
    res.attrs = {}
    return _across_years(Placement(res, ditolak, cocok, unknown), kode_wilayah, tanpa)


def _without_polygon(
    kode_wilayah: KodeWilayah | None, desa: pd.DataFrame
) -> tuple[frozenset[str], pd.DataFrame | None]:
    """Codes of the region's code list that no polygon carries (pemekaran), and the names to match.

    The names (``KodeWilayah.nama_desa``) add those desa and the 2022 spellings to the
    polygons' names; None without a code table.
    """
    if kode_wilayah is None:
        return frozenset(), None
    tanpa = frozenset(kode_wilayah.tabel["kode_desa"]) - set(desa["kode_desa"])
    return tanpa, kode_wilayah.nama_desa(desa)


_ACROSS_YEARS = ("flag_desa_tanpa_batas", "flag_ejaan_lama")
"""Flags set by :func:`_across_years` (after the point tests)."""


def _across_years(
    placed: Placement, kode_wilayah: KodeWilayah | None, tanpa: frozenset[str]
) -> Placement:
    """Flag old spellings and list the pemekaran and respelled desa.

    A family coded with a desa of the code list that has no polygon (pemekaran since 2022,
    ``data/kalbar/SOURCES.md``) is used under its code and flagged ``flag_desa_tanpa_batas``
    ("tanpa batas desa (pemekaran)"), never rejected as unknown; a family writing its desa's
    2022 spelling is flagged ``flag_ejaan_lama`` ("ejaan lama"), not ``flag_nama_desa_beda``.
    """
    res = placed.keluarga
    res["flag_desa_tanpa_batas"] = res["kode_desa"].isin(tanpa).to_numpy(dtype=bool)
    res["flag_ejaan_lama"] = _old_spelling(res, kode_wilayah)
    res["flag_nama_desa_beda"] &= ~res["flag_ejaan_lama"]
    placed.tanpa_batas = _listed(res, "flag_desa_tanpa_batas", kode_wilayah, "desa")
    placed.ejaan_lama = _listed(res, "flag_ejaan_lama", kode_wilayah, "desa_kelurahan")
    return placed


def _old_spelling(keluarga: pd.DataFrame, kode_wilayah: KodeWilayah | None) -> np.ndarray:
    """Families writing the 2022 spelling of their coded desa (not its 2025 one).

    A name is the 2022 spelling when it equals it once normalised (:func:`normalise_name`)
    and is not written as the 2025 name (compared after :func:`geo.text.fold`): "Singa Raya"
    for Singaraya, "Teluk Kumbang" for Teluk Kembang.
    """
    flags = np.zeros(len(keluarga), dtype=bool)
    if kode_wilayah is None or "desa_kelurahan" not in keluarga.columns or keluarga.empty:
        return flags
    table = kode_wilayah.ejaan_lama.set_index("kode_desa")
    if table.empty:
        return flags
    codes = keluarga["kode_desa"].astype(object)
    written = keluarga["desa_kelurahan"].astype(object)
    old = codes.map(table["desa_2022"].map(normalise_name))
    new = codes.map(table["desa"].map(fold))
    is_old = old.notna() & (written.map(normalise_name) == old)
    return (is_old & (written.map(fold, na_action="ignore") != new)).to_numpy(dtype=bool)


def _listed(
    keluarga: pd.DataFrame, flag: str, kode_wilayah: KodeWilayah | None, name_col: str
) -> pd.DataFrame:
    """Desa of the flagged families with their family count (and the name written/2025)."""
    hit = keluarga[keluarga[flag]]
    if hit.empty or kode_wilayah is None:
        return pd.DataFrame(columns=["kode_desa", "desa", "kecamatan", "keluarga"])
    table = kode_wilayah.tabel.set_index("kode_desa")
    codes = hit["kode_desa"].astype(str)
    if name_col == "desa":
        n = codes.groupby(codes).size()
        out = table.loc[n.index, ["desa", "kecamatan"]].assign(keluarga=n.to_numpy())
    else:
        n = pd.DataFrame({"kode_desa": codes, "nama_masukan": hit[name_col].astype(str)})
        n = n.groupby(["kode_desa", "nama_masukan"]).size().reset_index(name="keluarga")
        out = n.set_index("kode_desa").join(table[["desa", "kecamatan"]])
    out.index.name = "kode_desa"
    return out.reset_index()


_PREFIXES_SHOWN = 4


def _prefix_list(prefixes: set[str]) -> str:
    """Show the region's kabupaten prefixes (``61.11``), the first few of a long list."""
    ordered = sorted(prefixes)
    if len(ordered) <= _PREFIXES_SHOWN:
        return ", ".join(ordered)
    return f"{', '.join(ordered[:_PREFIXES_SHOWN])}, ... ({len(ordered)} awalan)"


def _rejections(out: pd.DataFrame, failures: dict[int, str], source: str) -> pd.DataFrame:
    """Rejection rows of the families whose desa could not be found, and of their members."""
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
                code_reason = unknown_code_reason(row.kode)
            else:
                code_reason = str(row.alasan_kode)
            code_raw = "" if pd.isna(row.kode_raw) else _short(row.kode_raw)
            name = "" if pd.isna(row.nama) else _short(row.nama)
            rej_rows.append(
                {
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
                            "baris": int(b),
                            "kode": "anggota_keluarga_ditolak",
                            "alasan": member_reason(int(head), code_reason),
                        }
                    )
    return rejections(rej_rows, berkas=source, kode="desa_tidak_ditemukan")


def _check_extent(
    lat: np.ndarray, lon: np.ndarray, desa: gpd.GeoDataFrame, jarak_pantai_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points outside the region's extent: ``(swap, bad)`` boolean arrays.

    ``swap`` marks pairs whose swapped point falls inside a desa (lintang and bujur were
    exchanged), ``bad`` the other points outside the extent (their coordinates are dropped).
    """
    shown = desa.geometry.values.to_crs(DISPLAY_CRS)  # the same array when already EPSG:4326
    minx, miny, maxx, maxy = shown.total_bounds
    pad = jarak_pantai_m / 111_320  # metres to degrees (1 degree of latitude ~ 111.32 km)
    has = ~(np.isnan(lat) | np.isnan(lon))

    def inside(la: np.ndarray, lo: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return (la >= miny - pad) & (la <= maxy + pad) & (lo >= minx - pad) & (lo <= maxx + pad)

    ok = has & inside(lat, lon)
    cand = np.flatnonzero(has & ~ok & inside(lon, lat))
    swap = np.zeros(len(lat), dtype=bool)
    if len(cand):
        # "Falls inside a desa": any polygon intersects the swapped point (an STRtree query,
        # not a union of every desa, which costs seconds at province scale).
        hit = shown.sindex.query(shapely.points(lat[cand], lon[cand]), predicate="intersects")
        swap[cand[np.unique(hit[0])]] = True
    bad = has & ~ok & ~swap
    return swap, bad
