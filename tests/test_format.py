"""Indonesian number formats for shown tables."""

import numpy as np
import pandas as pd

from targeting.format import tabel_tampilan


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "z": [4.9521, np.nan],
            "luas": [82562.4, 7.0],
            "baris": [1226, 3],  # a row number: not grouped
            "keluarga": pd.array([1280, None], dtype="Int64"),
            "ada": [True, False],
            "skor": [92.34, "x"],  # mixed column: text left alone
        }
    )


def test_styler_formats_display_and_keeps_numbers():
    styled = tabel_tampilan(_frame(), {"luas": 0, "keluarga": 0, "skor": 1})
    rows = styled.to_string(delimiter="|").splitlines()
    assert rows[1] == "0|4,95|82.562|1226|1.280|True|92,3"
    assert rows[2] == "1|–|7|3|–|False|x"
    assert styled.data["z"].dtype == "float64"  # sorting in the app stays numeric


def test_text_copy_for_long_lists_and_tables_too_big_for_a_styler():
    out = tabel_tampilan(_frame(), {"luas": 0}, teks=True)
    assert out["z"].tolist() == ["4,95", "–"]
    assert out["luas"].tolist() == ["82.562", "7"]
    assert out["baris"].tolist() == [1226, 3]
    with pd.option_context("styler.render.max_elements", 4):
        big = tabel_tampilan(_frame(), default=1)
    assert isinstance(big, pd.DataFrame)
    assert big["z"].tolist() == ["5,0", "–"]
