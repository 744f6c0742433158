"""Snapshots over time (issue 16): ground truth per desa, accounting, privacy, same bytes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from geo.errors import LedgerError, PerbandinganError
from geo.region import default_region
from targeting.banding import (
    CATATAN_SKALA,
    CATATAN_STRATEGI,
    KOLOM_DESA,
    _ledger,
    bandingkan,
    write_banding,
)
from targeting.cli import main
from targeting.cli_banding import demo_files
from targeting.snapshot import load_snapshot
from targeting.synthetic_waktu import BERKAS_KEBENARAN, generate_snapshots

DATA = Path(__file__).resolve().parent.parent / "data" / "kayong_utara"


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((DATA / BERKAS_KEBENARAN).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def snapshots() -> list:
    region = default_region()
    return [
        load_snapshot(region, households=f, tanggal=d, desil_scale=s)
        for f, d, s in demo_files(region)
    ]


@pytest.fixture(scope="module")
def cli_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("banding")
    assert main(["banding", "--out", str(out)]) == 0
    return out


def _per_desa(rows: list[dict] | pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    return frame.set_index("kode_desa")[list(KOLOM_DESA)].astype("int64").sort_index()


def test_generator_rebuilds_the_committed_files(tmp_path: Path) -> None:
    snaps, truth = generate_snapshots(DATA / "p3ke_keluarga_SINTETIS.csv.gz")
    committed = json.loads((DATA / BERKAS_KEBENARAN).read_text(encoding="utf-8"))
    assert truth == committed
    for s in snaps[1:]:
        on_disk = pd.read_csv(DATA / s.berkas, dtype=str, keep_default_na=False)
        pd.testing.assert_frame_equal(on_disk, s.baris.reset_index(drop=True))
    assert snaps[2].skala == "dtsen"
    assert "id_keluarga_p3ke" not in snaps[2].baris


def test_ground_truth_per_desa_in_memory(snapshots: list, truth: dict) -> None:
    b = bandingkan(snapshots)
    assert len(b.langkah) == len(truth["pasangan"]) == 3
    for step, expected in zip(b.langkah, truth["pasangan"], strict=True):
        got = _per_desa(step.desa)
        want = _per_desa(expected["desa"]).reindex(got.index, fill_value=0)
        pd.testing.assert_frame_equal(got, want)
        keys = {k: v for k, v in step.pencocokan.per_kunci().items() if v}
        assert keys == expected["cocok_per_kunci"]
        assert len(step.pencocokan.tidak_sebelum) == expected["tidak_cocok_sebelum"]
        assert len(step.pencocokan.tidak_sesudah) == expected["tidak_cocok_sesudah"]


def test_ground_truth_per_desa_by_the_cli(cli_out: Path, truth: dict) -> None:
    desa = pd.read_csv(cli_out / "perubahan_desa.csv", dtype={"kode_desa": str})
    assert list(desa.columns[: 1 + len(KOLOM_DESA) - 1]) == ["kode_desa", *KOLOM_DESA[:-1]]
    overall = truth["pasangan"][-1]
    want = _per_desa(overall["desa"])
    pd.testing.assert_frame_equal(_per_desa(desa).loc[want.index], want)
    steps = pd.read_csv(cli_out / "perubahan_langkah.csv", dtype={"kode_desa": str})
    labels = [s["tanggal"] for s in truth["snapshot"]]
    for (i, j), expected in zip(((0, 1), (1, 2), (0, 2)), truth["pasangan"], strict=True):
        part = steps[(steps["sebelum"] == labels[i]) & (steps["sesudah"] == labels[j])]
        want = _per_desa(expected["desa"])
        pd.testing.assert_frame_equal(_per_desa(part).loc[want.index], want)
    report = json.loads((cli_out / "report.json").read_text(encoding="utf-8"))
    assert report["perbandingan"][1]["catatan_skala"] == CATATAN_SKALA
    assert report["strategi"]["catatan"] == CATATAN_STRATEGI
    strategi = pd.read_csv(cli_out / "uraian_strategi.csv")
    assert (strategi["catatan"] == CATATAN_STRATEGI).all()


def test_every_family_ends_in_one_place(snapshots: list) -> None:
    b = bandingkan(snapshots)
    for step in b.langkah:
        p = step.pencocokan
        for side, idx, tidak in (("i_sebelum", step.sebelum, p.tidak_sebelum),
                                 ("i_sesudah", step.sesudah, p.tidak_sesudah)):  # fmt: skip
            places = pd.concat([p.pasangan[side], tidak["i"]])
            assert not places.duplicated().any()
            assert sorted(places) == list(range(snapshots[idx].families_used))
        assert p.ledger_sebelum.rows_in == p.ledger_sebelum.used + p.ledger_sebelum.rows_rejected
        balance = step.desa
        assert (balance["desil_1_sebelum"] == balance[["tetap_desil_1", "keluar_desil_1",
                "pindah_desa", "tidak_lagi_di_daftar"]].sum(axis=1)).all()  # fmt: skip
        assert (balance["desil_1_sesudah"] == balance[["tetap_desil_1", "masuk_desil_1",
                "pindah_ke_desa_ini", "baru_di_daftar"]].sum(axis=1)).all()  # fmt: skip


def test_ledger_of_a_pairing_fails_when_a_family_is_paired_twice(snapshots: list) -> None:
    b = bandingkan(snapshots[:2])
    p = b.langkah[0].pencocokan
    twice = pd.concat([p.pasangan["i_sebelum"], p.pasangan["i_sebelum"].iloc[:1]])
    with pytest.raises(LedgerError):
        _ledger(b.kunci[0], twice, p.tidak_sebelum, "x.csv")


def test_salt_never_changes_the_output(snapshots: list, tmp_path: Path, cli_out: Path) -> None:
    a = bandingkan(snapshots, salt=b"a" * 16)
    write_banding(a, tmp_path / "a")
    for name in ("perubahan_desa.csv", "transisi_desil.csv", "pencocokan_ditolak.csv",
                 "perubahan_desa.geojson", "perubahan_langkah.csv"):  # fmt: skip
        assert (tmp_path / "a" / name).read_bytes() == (cli_out / name).read_bytes(), name


def test_no_identifier_in_any_output(cli_out: Path) -> None:
    ids: set[str] = set()
    for f, _, _ in demo_files(default_region()):
        frame = pd.read_csv(f, dtype=str, keep_default_na=False)
        for col in ("nik", "no_kk", "id_keluarga_p3ke"):
            if col in frame:
                ids |= set(frame[col])
    ids.discard("")
    assert len(ids) > 30_000
    for path in cli_out.iterdir():
        text = path.read_text(encoding="utf-8-sig")
        tokens = set(re.findall(r"[A-Za-z0-9-]{8,}", text))
        assert not tokens & ids, path.name
        assert "salt" not in text.lower()


def test_mixed_scales_are_compared_in_classes(snapshots: list) -> None:
    b = bandingkan([snapshots[1], snapshots[2]])
    step = b.langkah[0]
    assert step.skala_campur
    assert list(step.transisi.columns) == ["1", "2-4", "5-10", "tidak_lagi"]
    assert list(step.transisi.index) == ["1", "2-4", "5-10", "baru"]
    assert int(step.transisi.to_numpy().sum()) == (
        len(step.pencocokan.pasangan)
        + len(step.pencocokan.tidak_sebelum)
        + len(step.pencocokan.tidak_sesudah)
    )
    same = bandingkan(snapshots[:2]).langkah[0]
    assert not same.skala_campur
    assert list(same.transisi.columns) == [
        "1",
        "2",
        "3",
        "4",
        "tidak_lagi",
    ]


def test_one_snapshot_is_refused(snapshots: list) -> None:
    with pytest.raises(PerbandinganError):
        bandingkan(snapshots[:1])


def test_cli_refuses_dates_not_one_per_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    f = str(DATA / "p3ke_keluarga_SINTETIS.csv.gz")
    code = main(
        [
            "banding",
            "--sebelum",
            f,
            "--sesudah",
            f,
            "--tanggal",
            "2024-01-01",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 2
    assert "once per file" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def _person_file(path: Path, rows: list[tuple[str, str, str, str, int]]) -> Path:
    """A person-level file: No KK, NIK, relation, desa code, desil (SINTETIS)."""
    frame = pd.DataFrame(rows, columns=["no_kk", "nik", "hubungan_dengan_kepala_keluarga",
                                        "kode_kemdagri", "desil_kesejahteraan"])  # fmt: skip
    frame["SINTETIS"] = "Ya"
    frame.to_csv(path, index=False)
    return path


def test_split_household_is_followed_through_its_members(tmp_path: Path) -> None:
    kk = "Kepala Keluarga"
    n = [f"99110171{i:08d}" for i in range(12)]
    before = _person_file(tmp_path / "a.csv", [
        ("9911019900000001", n[0], kk, "6111012001", 1), ("9911019900000001", n[1], "Istri", "6111012001", 1),
        ("9911019900000001", n[2], "Anak", "6111012001", 1),
        ("9911019900000002", n[3], kk, "6111012002", 1), ("9911019900000002", n[4], "Anak", "6111012002", 1),
        ("9911019900000003", n[5], kk, "6111012002", 2),
        ("9911019900000004", n[6], kk, "6111012003", 1), ("9911019900000005", n[7], kk, "6111012003", 1),
    ])  # fmt: skip
    after = _person_file(tmp_path / "b.csv", [
        # KK 1 split: its wife heads a new KK with the child; the old head is gone
        ("9911019900000011", n[1], kk, "6111012001", 2), ("9911019900000011", n[2], "Anak", "6111012001", 2),
        ("9911019900000002", n[3], kk, "6111012002", 1), ("9911019900000002", n[4], "Anak", "6111012002", 1),
        # KK 4 and 5 merged into a new KK headed by a third person
        ("9911019900000012", n[8], kk, "6111012003", 1), ("9911019900000012", n[6], "Famili", "6111012003", 1),
        ("9911019900000012", n[7], "Famili", "6111012003", 1),
        ("9911019900000013", n[9], kk, "6111012004", 1),
    ])  # fmt: skip
    region = default_region()
    snaps = [load_snapshot(region, households=f, desil_scale="p3ke") for f in (before, after)]
    assert all(s.check.per_individu for s in snaps)
    p = bandingkan(snaps).langkah[0].pencocokan
    assert p.per_kunci() == {"id_keluarga_p3ke": 0, "no_kk": 1, "nik_kepala": 0, "anggota": 2}
    gone = p.tidak_sebelum["alasan"].tolist()
    assert len(gone) == 2  # KK 3 (left the list) and one of the merged KK
    assert sum("sudah dipasangkan" in a for a in gone) == 1
    assert len(p.tidak_sesudah) == 1  # the new KK in desa 2004
    desa = bandingkan(snaps).langkah[0].desa.set_index("kode_desa")
    assert desa.loc["61.11.01.2001", "keluar_desil_1"] == 1
    assert desa.loc["61.11.01.2004", "baru_di_daftar"] == 1


def test_dask_engine_gives_the_pandas_counts(snapshots: list) -> None:
    import dask.dataframe as dd

    from targeting.banding_dask import perubahan_desa_dask

    b = bandingkan(snapshots[1:])
    step = b.langkah[0]
    a, c = (k.drop(columns="anggota").assign(i=range(len(k))) for k in b.kunci)
    table, info = perubahan_desa_dask(
        dd.from_pandas(a, npartitions=3), dd.from_pandas(c, npartitions=2), scheduler="sync"
    )
    want = step.desa.set_index("kode_desa")[list(KOLOM_DESA)]
    pd.testing.assert_frame_equal(
        table.set_index("kode_desa").reindex(want.index, fill_value=0), want
    )
    assert info["no_kk"] == step.pencocokan.per_kunci()["no_kk"]
    assert info["tidak_sesudah"] == len(step.pencocokan.tidak_sesudah)


def test_each_date_has_its_own_denominator(tmp_path: Path) -> None:
    from targeting.banding import DataMasuk, muat_banding

    region = default_region()
    table = pd.read_csv(DATA / "keluarga_desa_SINTETIS.csv", dtype={"kode_desa": str})
    later = table.assign(keluarga_total=table["keluarga_total"] * 2)
    later.to_csv(tmp_path / "keluarga_2024.csv", index=False)
    files = demo_files(region)[:2]
    b, _ = muat_banding(region, [
        DataMasuk(files[0][0], tanggal=files[0][1]),
        DataMasuk(files[1][0], keluarga_desa=tmp_path / "keluarga_2024.csv"),
    ], register=None)  # fmt: skip
    desa = b.keseluruhan.desa.set_index("kode_desa")
    total = table.set_index("kode_desa")["keluarga_total"].astype("float64")
    pd.testing.assert_series_equal(desa["keluarga_sebelum"], total, check_names=False)
    pd.testing.assert_series_equal(desa["keluarga_sesudah"], 2 * total, check_names=False)
    share = (100 * desa["desil_1_sesudah"] / desa["keluarga_sesudah"]).round(2)
    pd.testing.assert_series_equal(desa["persen_desil_1_sesudah"], share, check_names=False)


@pytest.mark.parametrize("header", ["HUB_KK", "HUB_KEL", "Hubungan dgn KK", "SHDK"])
def test_dtsen_relation_header_makes_a_person_file(tmp_path: Path, header: str) -> None:
    """DTSEN exports name the relation column ``HUB_KK``/``HUB_KEL``: one row per person."""
    path = _person_file(tmp_path / "d.csv", [
        ("9911019900000001", "9911017100000000", "Kepala Keluarga", "6111012001", 1),
        ("9911019900000001", "9911017100000001", "Istri", "6111012001", 1),
        ("9911019900000002", "9911017100000002", "Kepala Keluarga", "6111012002", 5),
    ])  # fmt: skip
    frame = pd.read_csv(path, dtype=str).rename(columns={"hubungan_dengan_kepala_keluarga": header})
    frame.to_csv(path, sep=";", index=False)
    snap = load_snapshot(default_region(), households=path, desil_scale="dtsen")
    assert snap.check.per_individu
    assert snap.families_used == 2


def test_rows_rejected_at_import_are_listed(tmp_path: Path) -> None:
    """Every input row is accounted: the rows an import rejected are written, per file."""
    kk = "Kepala Keluarga"
    rows = [("9911019900000001", "9911017100000001", kk, "6111012001", 1),
            ("9911019900000002", "9911017100000002", kk, "6112012001", 1)]  # fmt: skip
    files = [_person_file(tmp_path / f"{n}.csv", rows) for n in ("a", "b")]
    snaps = [load_snapshot(default_region(), households=f, desil_scale="p3ke") for f in files]
    write_banding(bandingkan(snaps), tmp_path / "o")
    listed = pd.read_csv(tmp_path / "o" / "baris_ditolak.csv", dtype=str)
    assert listed["berkas"].tolist() == ["a.csv", "b.csv"]
    assert sum(s.rows_rejected for s in snaps) == len(listed)
    assert not listed.apply(lambda c: c.str.contains("99110171", na=False)).any().any()


def test_a_file_of_another_region_is_refused(tmp_path: Path) -> None:
    """Every row of another region rejected: not 'desil 1 down to zero', a refusal."""
    kk = "Kepala Keluarga"
    ours = _person_file(
        tmp_path / "a.csv", [("9911019900000001", "9911017100000001", kk, "6111012001", 1)]
    )
    other = _person_file(
        tmp_path / "b.csv", [("9911019900000001", "9911017100000001", kk, "6112012001", 1)]
    )
    snaps = [
        load_snapshot(default_region(), households=f, desil_scale="p3ke") for f in (ours, other)
    ]
    with pytest.raises(PerbandinganError, match=r"b\.csv: tidak ada keluarga yang terpakai"):
        bandingkan(snaps)


def test_a_date_typed_day_first_is_read_as_a_date(tmp_path: Path) -> None:
    """``--tanggal 31/12/2023`` was kept as text: ordered as text and shown as typed."""
    from geo.errors import InputSchemaError

    f = _person_file(
        tmp_path / "a.csv",
        [("9911019900000001", "9911017100000001", "Kepala Keluarga", "6111012001", 1)],
    )
    region = default_region()
    assert load_snapshot(region, households=f, tanggal="31/12/2023").tanggal == "2023-12-31"
    assert load_snapshot(region, households=f, tanggal="31-03-2025").tanggal == "2025-03-31"
    with pytest.raises(InputSchemaError, match="tidak terbaca"):
        load_snapshot(region, households=f, tanggal="2023-31-12")


def test_a_family_whose_later_row_was_rejected_says_so(tmp_path: Path) -> None:
    """Not found later only because its row there was rejected: the reason names it."""
    kk = "Kepala Keluarga"
    before = _person_file(tmp_path / "a.csv", [
        ("9911019900000001", "9911017100000001", kk, "6111012001", 1),
        ("9911019900000002", "9911017100000002", kk, "6111012001", 1),
    ])  # fmt: skip
    after = _person_file(tmp_path / "b.csv", [
        ("9911019900000001", "9911017100000001", kk, "6111012001", 1),
        ("9911019900000002", "9911017100000002", kk, "6111012001", 1),
    ])  # fmt: skip
    frame = pd.read_csv(after, dtype=str)
    frame.loc[1, "desil_kesejahteraan"] = "x"
    frame.to_csv(after, index=False)
    snaps = [
        load_snapshot(default_region(), households=f, desil_scale="p3ke") for f in (before, after)
    ]
    p = bandingkan(snaps).langkah[0].pencocokan
    assert len(p.tidak_sebelum) == 1
    assert "ditolak saat impor" in p.tidak_sebelum["alasan"].iloc[0]
    assert p.tidak_sesudah.empty


def test_a_scale_guessed_from_desil_1_to_4_is_named(tmp_path: Path) -> None:
    """A DTSEN extract of desil 1-4 without P3KE ids looks like P3KE: the comparison says so."""
    kk = "Kepala Keluarga"
    rows = [("9911019900000001", "9911017100000001", kk, "6111012001", 1)]
    files = [_person_file(tmp_path / f"{n}.csv", rows) for n in ("a", "b")]
    region = default_region()
    guessed = [
        load_snapshot(region, households=f, tanggal=d)
        for f, d in zip(files, ("2024-01-01", "2025-01-01"), strict=True)
    ]
    assert bandingkan(guessed).skala_ditebak() == ["2024-01-01", "2025-01-01"]
    given = [load_snapshot(region, households=files[0], desil_scale="p3ke"), guessed[1]]
    assert bandingkan(given).skala_ditebak() == ["2025-01-01"]
