"""Property-based tests: the parsers never raise on arbitrary text, and round-trip."""

import math

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.codes import normalise_kode_desa
from geo.coords import parse_coordinate
from geo.households import validate_households
from targeting.export import FORMULA_START, neutralise

settings.register_profile("lokus", max_examples=200, deadline=None)
settings.load_profile("lokus")

digits = st.text(alphabet="0123456789", min_size=1, max_size=4)


@given(st.one_of(st.none(), st.text(max_size=30), st.integers(), st.floats(allow_nan=True)))
def test_code_parser_never_raises_and_output_is_canonical_or_reasoned(value):
    out = normalise_kode_desa(pd.Series([value], dtype=object))
    kode, alasan = out.at[0, "kode_desa"], out.at[0, "alasan"]
    assert pd.isna(kode) != pd.isna(alasan)  # exactly one of code or reason
    if not pd.isna(kode):
        assert len(kode) == 13
        assert kode.replace(".", "").isdigit()


@given(st.integers(11, 99), st.integers(1, 99), st.integers(1, 99), st.integers(1, 9999),
       st.sampled_from([".", " ", "-", ""]))  # fmt: skip
def test_code_spellings_round_trip(prov, kab, kec, desa, sep):
    canonical = f"{prov:02d}.{kab:02d}.{kec:02d}.{desa:04d}"
    written = sep.join([f"{prov:02d}", f"{kab:02d}", f"{kec:02d}", f"{desa:04d}"])
    assert normalise_kode_desa(pd.Series([written])).at[0, "kode_desa"] == canonical


@given(st.one_of(st.none(), st.text(max_size=40), st.floats(allow_nan=True, allow_infinity=True)))
def test_coordinate_parser_never_raises(value):
    result = parse_coordinate(value)
    assert isinstance(result, float)


@given(
    st.integers(0, 179),
    st.integers(0, 59),
    st.integers(0, 59),
    st.sampled_from(["S", "LS", "N", "BT", "E", "W"]),
)
def test_dms_round_trip(d, m, s, hemi):
    value = parse_coordinate(f"{d}°{m}'{s}\" {hemi}")
    expected = d + m / 60 + s / 3600
    sign = -1 if hemi in ("S", "LS", "W") else 1
    assert math.isclose(value, sign * expected, abs_tol=1e-9)


@given(st.lists(st.tuples(st.text(max_size=12), st.text(max_size=4)), min_size=1, max_size=15))
def test_row_accounting_holds_for_any_text(rows):
    raw = pd.DataFrame(rows, columns=["kode_kemdagri", "desil_kesejahteraan"]).astype("string")
    raw = raw.replace("", pd.NA)
    raw["_baris"] = range(2, len(raw) + 2)
    check = validate_households(raw, source="h.csv")
    members = check.keluarga["_baris_semua"].str.split(";").map(len).sum()
    assert members + len(check.ditolak) == check.rows_in == len(rows)


@given(st.text(max_size=20))
def test_neutralised_text_never_starts_a_formula(text):
    out = neutralise(text)
    is_number = text.lstrip("+-").replace(".", "", 1).replace(",", "", 1).isdigit()
    assert not (isinstance(out, str) and out.startswith(FORMULA_START)) or is_number
