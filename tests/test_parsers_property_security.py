"""Property-based tests (hypothesis) on the parsers of codes, coordinates, Rupiah and NIK.

For any cell text: no exception other than the documented error type, every row is used or
rejected (``rows_in == rows_used + rows_rejected``), and no NIK-length digit run is repeated
in a rejection.
"""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.codes import normalise_kode_desa, normalise_kode_prefix
from geo.coords import parse_coordinates
from geo.errors import InputSchemaError
from geo.households import validate_households
from geo.io import read_boundaries
from geo.region import default_region
from targeting.register import parse_rupiah, read_register

# Per-test settings: loading a profile here would change every other module's tests too.
fuzz = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DESA = read_boundaries(default_region().batas_desa).desa
NIK_RUN = re.compile(r"\d{12,}")

cell = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.text(alphabet="0123456789.,-+ eE'°\"", max_size=24),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


# --- codes --------------------------------------------------------------------------------


@fuzz
@given(st.text(max_size=20))
def test_region_prefix_raises_only_value_error(text):
    try:
        out = normalise_kode_prefix(text)
    except ValueError:
        return
    assert re.fullmatch(r"[0-9]{2}(\.[0-9]{2}){0,2}", out)


@fuzz
@given(st.lists(cell, min_size=1, max_size=20))
def test_code_column_is_canonical_or_reasoned_row_by_row(values):
    out = normalise_kode_desa(pd.Series(values, dtype=object))
    assert len(out) == len(values)
    assert (out["kode_desa"].isna() != out["alasan"].isna()).all()
    codes = out["kode_desa"].dropna()
    assert codes.str.fullmatch(r"[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}").all()


@pytest.mark.parametrize("text", ["61.11.01.200¹", "٦١١١٠١٢٠٠١", "６１１１０１２００１"])
def test_codes_with_non_ascii_digits_are_reasoned(text):
    """Found by hypothesis: str.isdigit accepted '¹', giving the code '61.11.01.200¹'."""
    out = normalise_kode_desa(pd.Series([text]))
    assert pd.isna(out.at[0, "kode_desa"])
    assert out.at[0, "alasan"] == "kode desa berisi karakter selain angka"
    with pytest.raises(ValueError, match="2, 4 atau 6 digit"):
        normalise_kode_prefix("6¹")


# --- coordinates --------------------------------------------------------------------------


@fuzz
@given(st.lists(cell, min_size=1, max_size=20))
def test_coordinate_column_is_a_number_or_nan(values):
    out = parse_coordinates(pd.Series(values, dtype=object))
    assert len(out) == len(values)
    assert out.dtype == "float64"
    assert not out.isin([math.inf, -math.inf]).any() or all(
        "inf" in str(v).lower() or "e" in str(v).lower() for v in values
    )


@fuzz
@given(st.floats(-180, 180, allow_nan=False), st.sampled_from([".", ","]))
def test_decimal_degrees_round_trip_with_point_or_comma(value, sep):
    text = f"{value:.6f}".replace(".", sep)
    out = parse_coordinates(pd.Series([text]))
    assert math.isclose(out.iloc[0], round(value, 6), abs_tol=1e-9)


# --- Rupiah -------------------------------------------------------------------------------


@fuzz
@given(st.one_of(cell, st.integers(-(10**15), 10**15), st.floats(allow_nan=True)))
def test_rupiah_parser_never_raises(value):
    out = parse_rupiah(value)
    assert out is None or isinstance(out, float)


@fuzz
@given(st.text(max_size=30))
def test_rupiah_text_is_none_or_finite(text):
    out = parse_rupiah(text)
    assert out is None or math.isfinite(out)


@fuzz
@given(st.integers(0, 10**13), st.sampled_from(["Rp ", "Rp. ", "", "rp"]), st.booleans())
def test_rupiah_indonesian_thousands_round_trip(amount, prefix, cents):
    text = prefix + f"{amount:,}".replace(",", ".") + (",00" if cents else "")
    assert parse_rupiah(text) == float(amount)


@fuzz
@given(st.lists(st.tuples(cell, st.sampled_from(["1", "2", "3", "x"])), min_size=1, max_size=8))
def test_register_rows_are_accounted_for_any_pagu(rows):
    lines = ["opd;kode_sub_kegiatan;nama_sub_kegiatan;strategi;pagu;lokus"]
    for pagu, strategi in rows:
        text = "" if pagu is None else str(pagu).replace(";", " ").replace('"', "")
        text = " ".join(text.split())  # no line breaks inside a cell
        lines.append(f'Dinas;1.03.03.2.01.0005;Air;{strategi};"{text}";61.11.01.2001')
    try:
        check = read_register("\n".join(lines).encode(), DESA, name="register.csv")
    except InputSchemaError:
        return
    assert len(check.register) + len(check.ditolak) == check.rows_in == len(rows)
    assert (check.register["pagu_rp"] >= 0).all()


# --- NIK and whole rows -------------------------------------------------------------------

nik = st.one_of(
    st.none(),
    st.text(alphabet="0123456789", min_size=1, max_size=20),
    st.text(max_size=20),
    st.integers(0, 10**16).map(lambda n: f"{n:.6e}"),  # Excel's scientific notation
)


@fuzz
@given(st.lists(st.tuples(nik, cell, cell, cell), min_size=1, max_size=15))
def test_nik_and_coordinates_never_break_the_row_accounting(rows):
    raw = pd.DataFrame(rows, columns=["nik", "desil", "lintang", "bujur"], dtype=object)
    raw = raw.astype("string").replace("", pd.NA)
    raw.insert(0, "kode_desa", "6111012001")
    raw["_baris"] = range(2, len(raw) + 2)
    check = validate_households(raw, source="h.csv")
    members = check.keluarga["_baris_semua"].str.split(";").map(len).sum()
    assert members + len(check.ditolak) == check.rows_in == len(rows)
    lat = check.keluarga["lintang"].dropna()
    assert ((lat >= -90) & (lat <= 90)).all()
    # A rejection never repeats a NIK-length digit run (a NIK in the desil column, say).
    shown = check.ditolak.astype(str).to_numpy().ravel().tolist()
    assert not any(NIK_RUN.search(v) for v in shown)


@fuzz
@given(st.lists(nik, min_size=1, max_size=15))
def test_nik_flag_is_set_exactly_when_not_16_digits(niks):
    raw = pd.DataFrame({"id_keluarga": [f"K{i}" for i in range(len(niks))]})
    raw["kode_desa"] = "6111012001"
    raw["desil"] = "1"
    raw["nik"] = pd.Series(niks, dtype="string").str.strip().replace("", pd.NA)
    raw["_baris"] = range(2, len(raw) + 2)
    check = validate_households(raw, source="h.csv")
    assert len(check.keluarga) + len(check.ditolak) == len(niks)
    fam = check.keluarga.set_index("_baris")
    for b, value in zip(raw["_baris"], raw["nik"], strict=True):
        if b in fam.index:
            expected = pd.notna(value) and not re.fullmatch(r"[0-9]{16}", str(value))
            assert bool(fam.at[b, "flag_nik_bukan_16_digit"]) == expected


def test_a_nik_of_non_ascii_digits_is_flagged():
    raw = pd.DataFrame({"kode_desa": ["6111012001"], "desil": ["1"], "nik": ["٦" * 16]})
    check = validate_households(raw.astype("string"), source="h.csv")
    assert bool(check.keluarga["flag_nik_bukan_16_digit"].iloc[0])


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1e400", "NaN M"])
def test_rupiah_non_numbers_are_unreadable(text):
    assert parse_rupiah(text) is None
