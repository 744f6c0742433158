import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.errors import InputSchemaError
from geo.join import FLAG_COLUMNS
from geo.masking import mask_ids
from geo.region import default_region
from targeting.cli import main
from targeting.pipeline import DESA_COLUMNS, run
from tests.conftest import assert_accounting

ROOT = Path(__file__).resolve().parent.parent


def test_embedded_run_accounts_for_every_row(embedded):
    assert_accounting(embedded)
    report = embedded.report()
    assert report["rows_in"] == report["rows_used"] + report["rows_rejected"]
    assert report["wilayah"]["crs_metrik"] == "EPSG:32749"
    assert report["skala_desil"] == "p3ke"
    assert set(report["flags"]) == set(FLAG_COLUMNS)  # fmt: skip
    assert report["flags"]["flag_titik_desa_lain"] > 0  # the planted GPS errors are found


def test_cli_writes_the_contract(tmp_path):
    assert main(["run", "--out", str(tmp_path)]) == 0
    desa = gpd.read_file(tmp_path / "desa.geojson")
    assert len(desa) == 43
    assert desa.crs.to_epsg() == 4326
    assert list(desa.columns[: len(DESA_COLUMNS)]) == DESA_COLUMNS
    assert desa["keluarga_desil_1"].sum() > 0
    row = desa.iloc[0]
    assert row["persen_desil_1"] == pytest.approx(
        row["keluarga_desil_1"] / row["keluarga_total"] * 100
    )
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["rows_in"] == report["rows_used"] + report["rows_rejected"]
    assert (tmp_path / "rejected.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_cli_on_a_messy_file_lists_rejections(tmp_path):
    src = tmp_path / "p3ke.csv"
    src.write_text(
        "kode_kemendagri;desil;nik;nama_lengkap\n"
        "61.11.01.2001;1;9911010101800001;A\n"
        "6111012001;9;9911010101800002;B\n"
        "6199012001;2;9911010101800003;C\n"
        ";1;9911010101800004;D\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["run", "--households", str(src), "--out", str(out), "--desil-scale", "p3ke"]) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert (report["rows_in"], report["rows_used"], report["rows_rejected"]) == (4, 1, 3)
    rejected = pd.read_csv(out / "rejected.csv", encoding="utf-8-sig", dtype=str)
    assert rejected["baris"].tolist() == ["3", "4", "5"]
    assert rejected["berkas"].eq("p3ke.csv").all()
    text = (out / "rejected.csv").read_text(encoding="utf-8-sig") + json.dumps(report)
    assert "9911010101800002" not in text  # no personal data in the outputs
    desa = gpd.read_file(out / "desa.geojson").set_index("kode_desa")
    assert desa.loc["61.11.01.2001", "keluarga_desil_1"] == 1
    assert pd.isna(desa.loc["61.11.01.2002", "persen_desil_1"])  # no rows: no data


def test_cli_input_error_exits_2_with_the_file_named(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    assert main(["run", "--households", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "bad.csv: required columns not found" in err  # English in the CLI log
    assert "Traceback" not in err


def test_python_dash_m_entry_point(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "targeting", "run", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "rows read" in proc.stdout
    assert (tmp_path / "desa.geojson").is_file()


def test_run_refuses_boundaries_without_region_desa(tmp_path, squares):
    other = squares.assign(kode_desa=squares["kode_desa"].str.replace("61.11", "62.01"))
    with pytest.raises(InputSchemaError, match=r"berawalan 61\.11"):
        run(default_region(), boundaries=other.to_json().encode(), boundaries_name="o.geojson")


def test_app_message_is_indonesian_and_cli_message_english(tmp_path):
    from geo.errors import LokusError

    bad = tmp_path / "b.csv"
    bad.write_text("a\n1\n")
    with pytest.raises(LokusError) as info:
        run(default_region(), households=bad)
    assert "kolom wajib tidak ditemukan" in str(info.value)
    assert "required columns not found" in info.value.en


def test_a_broken_register_does_not_hide_the_poverty_map(tmp_path):
    bad = tmp_path / "reg.csv"
    bad.write_text("a,b\n1,2\n")
    res = run(default_region(), register=bad)
    assert res.intervensi is None
    assert "kolom wajib register" in res.register_galat
    assert res.rows_used == res.rows_in  # the households went through untouched
    assert res.report()["intervensi"]["dijalankan"] is False


def test_cli_scheduler_without_the_dask_engine_is_refused(tmp_path, capsys):
    from targeting.cli import main

    assert main(["run", "--out", str(tmp_path / "o"), "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "--engine dask" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_cli_errors_mask_nik_long_digit_runs(tmp_path, capsys):
    nik = "9911016202980001"
    out = tmp_path / "o"
    assert main(["run", "--out", str(out), "--desa", nik]) == 2
    err = capsys.readouterr().err
    assert "not a desa of this region" in err
    assert nik not in err
    assert "9911********0001" in err
    assert "6111012001" in mask_ids("desa 6111012001")  # desa codes stay readable
    with pytest.raises(SystemExit) as info:  # argparse's own usage errors too
        main(["run", "--out", str(out), "--statistik", nik])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice" in err
    assert nik not in err


def _other_district(tmp_path: Path, n: int = 40) -> tuple[Path, pd.DataFrame]:
    """The first ``n`` rows of the SINTETIS sample, every desa code of another district."""
    sample = pd.read_csv(default_region().keluarga_p3ke, dtype=str).head(n)
    sample["kode_kemdagri"] = "6201012001"
    path = tmp_path / "lain.csv"
    sample.to_csv(path, index=False)
    return path, sample


def test_cli_with_no_used_row_writes_the_import_report_and_exits_2(tmp_path, capsys):
    src, sample = _other_district(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    for old in ("priority.csv", "target_list.csv", "target_map.html"):  # an earlier run's
        (out / old).write_text("lama\n", encoding="utf-8")
    code = main(["run", "--households", str(src), "--out", str(out), "--top", "5"])
    assert code == 2
    captured = capsys.readouterr()
    err = captured.err
    assert "no weighted component" not in err
    assert f"0 rows used: all 40 rejected (see {out / 'rejected.csv'})" in err
    assert "62.01.01.2001" in err  # the reason, so the user learns why
    assert "priority ranking and target list skipped" in err
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert (report["rows_in"], report["rows_used"], report["rows_rejected"]) == (40, 0, 40)
    rejected = pd.read_csv(out / "rejected.csv", encoding="utf-8-sig", dtype=str)
    assert len(rejected) == 40
    assert (out / "desa.geojson").is_file()
    assert (out / "bertanda.csv").is_file()
    for old in ("priority.csv", "target_list.csv", "target_map.html"):
        assert not (out / old).exists(), old  # not left to pass for this run's
    text = (
        captured.out
        + err
        + "".join(
            p.read_text(encoding="utf-8-sig")
            for p in out.iterdir()
            if p.suffix in (".csv", ".json")
        )
    )
    for col in ("nik", "no_kk", "kepala_keluarga", "alamat"):
        assert not any(v in text for v in sample[col].dropna()), col


def test_report_json_holds_no_infinity():
    from targeting.pipeline import _jsonable

    assert _jsonable({"a": float("inf"), "b": np.float64("-inf"), "c": 1.5}) == {
        "a": None, "b": None, "c": 1.5,
    }  # fmt: skip


def test_cli_input_errors_say_nothing_was_written(tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "report.json").write_text("{}", encoding="utf-8")  # from an earlier run
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    assert main(["run", "--households", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"nothing was written to {out}" in err
    assert "earlier run" in err
    assert (out / "report.json").read_text(encoding="utf-8") == "{}"
    assert sorted(p.name for p in out.iterdir()) == ["report.json"]
    assert main(["run", "--out", str(out), "--weights", "bogus=1"]) == 2
    assert "nothing was written" in capsys.readouterr().err
    assert main(["run", "--out", str(out), "--partisi", "hilbert"]) == 2
    assert "nothing was written" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["run", "--out", str(out), "--k", "lima"])
    assert "nothing was written" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["report.json"]


def test_cli_lists_the_flagged_rows_in_bertanda_csv(tmp_path, capsys):
    sample = pd.read_csv(default_region().keluarga_p3ke, dtype=str)
    sample = sample[sample["lintang"].notna()].head(6).reset_index(drop=True)
    sample.loc[0, ["lintang", "bujur"]] = sample.loc[0, ["bujur", "lintang"]].to_numpy()
    sample.loc[1, "kode_kemdagri"] = ""  # desa found by its name
    sample.loc[2, "nik"] = "9.911016E+15"  # a NIK that Excel turned into a number
    sample.loc[3, "kepala_keluarga"] = '=HYPERLINK("http://evil.example","klik")'
    src = tmp_path / "p3ke.csv"
    sample.to_csv(src, index=False)
    out = tmp_path / "out"
    assert main(["run", "--households", str(src), "--out", str(out)]) == 0
    assert "3 used families carry a data flag (listed in bertanda.csv)" in capsys.readouterr().out
    raw = (out / "bertanda.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # opens in Excel
    table = pd.read_csv(out / "bertanda.csv", encoding="utf-8-sig", dtype=str)
    assert table.columns.tolist() == ["baris", "kode_desa", "kode_desa_titik", "tanda"]
    tanda = table.set_index("baris")["tanda"]
    assert tanda["2"] == "flag_koordinat_ditukar"
    assert tanda["3"] == "flag_desa_dari_nama"
    assert "flag_nik_angka" in tanda["4"].split("; ")
    assert len(table) == 3
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["flags"]["flag_desa_dari_nama"] == 1  # the counts agree with the list
    text = raw.decode("utf-8-sig")
    for col in ("nik", "no_kk", "kepala_keluarga", "alamat"):
        assert not any(v in text for v in sample[col].dropna()), col
    assert "HYPERLINK" not in text


def test_bertanda_is_the_apps_list_and_the_clis_file(embedded, tmp_path, monkeypatch):
    table = embedded.bertanda()
    flagged = embedded.placement.keluarga[list(FLAG_COLUMNS)].any(axis=1)
    assert len(table) == int(flagged.sum()) > 0
    assert table["baris"].is_monotonic_increasing
    counts = embedded.report()["flags"]
    for flag, n in counts.items():
        assert int(table["tanda"].str.split("; ").map(lambda f, g=flag: g in f).sum()) == n
    # The CLI writes it through the project's CSV writer: formula cells are inert.
    from targeting.pipeline import Result

    hostile = pd.DataFrame(
        {"baris": [2], "kode_desa": ["=cmd|' /C calc'!A0"], "kode_desa_titik": ["@SUM(1)"],
         "tanda": ["+flag"]}
    )  # fmt: skip
    monkeypatch.setattr(Result, "bertanda", lambda self: hostile)
    assert main(["run", "--out", str(tmp_path)]) == 0
    row = pd.read_csv(tmp_path / "bertanda.csv", encoding="utf-8-sig", dtype=str).iloc[0]
    assert row["kode_desa"].startswith("'=")
    assert row["kode_desa_titik"] == "'@SUM(1)"
    assert row["tanda"] == "'+flag"


def test_bertanda_without_any_flag_has_its_columns(tmp_path):
    src, _ = _other_district(tmp_path, n=3)
    res = run(default_region(), households=src)
    table = res.bertanda()
    assert table.empty
    assert table.columns.tolist() == ["baris", "kode_desa", "kode_desa_titik", "tanda"]


def test_target_filters_without_a_target_list_are_named_not_silently_ignored(tmp_path, capsys):
    code = main(["run", "--out", str(tmp_path / "o"), "--desil", "9911016202980001",
                 "--strategi", "3"])  # fmt: skip
    assert code == 0  # the run itself is fine; only the filters have nothing to filter
    err = capsys.readouterr().err
    assert "--desil, --strategi are ignored without a target list" in err
    assert "9911016202980001" not in err
    assert not (tmp_path / "o" / "target_list.csv").exists()


def test_the_most_common_reason_groups_rows_whatever_their_code(tmp_path, capsys):
    src, sample = _other_district(tmp_path)
    sample["kode_kemdagri"] = [f"62010120{i % 8 + 1:02d}" for i in range(len(sample))]
    sample.to_csv(src, index=False)
    assert main(["run", "--households", str(src), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "most common reason (40 rows), e.g.: kode desa 62.01.01.20" in err
