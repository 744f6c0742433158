"""The sub-activity register import: the template's rules, every row used or rejected."""

import pytest

from geo.io import read_boundaries
from geo.region import default_region
from targeting.register import parse_rupiah, read_register, register_template

REGION = default_region()
DESA = read_boundaries(REGION.batas_desa).desa


def test_embedded_register_imports_whole_with_the_2024_totals():
    check = read_register(REGION.register, DESA, name="sub_kegiatan_SINTETIS.csv")
    assert (check.rows_in, len(check.register), len(check.ditolak)) == (84, 84, 0)
    totals = check.register.groupby("strategi")["pagu_rp"].agg(["size", "sum"])
    assert totals.loc[1].tolist() == [43, 51_000_000_000]
    assert totals.loc[2].tolist() == [18, 8_000_000_000]
    assert totals.loc[3].tolist() == [23, 17_000_000_000]


@pytest.mark.parametrize(
    ("text", "rupiah"),
    [("Rp 1.250.000.000", 1.25e9), ("1.250.000.000,00", 1.25e9), ("1,25 M", 1.25e9),
     ("1,25 miliar", 1.25e9), ("500 jt", 5e8), ("750 juta", 7.5e8), ("1250000000", 1.25e9),
     ("1,250,000,000", 1.25e9), ("abc", None), ("", None)],
    ids=["rp-dots", "dots-comma", "M", "miliar", "jt", "juta", "plain", "us-commas", "text", "blank"],
)  # fmt: skip
def test_pagu_spellings(text, rupiah):
    assert parse_rupiah(text) == rupiah


def test_every_bad_row_is_rejected_with_its_reason():
    csv = (
        "DAFTAR SUB KEGIATAN PENANGGULANGAN KEMISKINAN\n\n"
        "tahun;opd;kode_sub_kegiatan;nama_sub_kegiatan;strategi;pagu;lokus;sasaran_jenis;kebutuhan\n"
        '2025;Dinas A;1.03.03.2.01.0005;Air;3;Rp 1.250.000.000;"61.11.01.2001; Pangkalan Button";wilayah;air\n'
        '2025;Dinas B;1.03.03.2.01.0006;Rumah;P1;1,5 M;kabupaten;keluarga;"rumah;pangan"\n'
        "2025;Dinas C;1.3.3.1.0005;X;3;100;Sutera;wilayah;air\n"
        "2025;Dinas D;1.03.03.2.01.0007;Y;9;100;Sutera;wilayah;air\n"
        "2025;Dinas E;1.03.03.2.01.0008;Z;2;-5;Sutera;wilayah;air\n"
        "2025;Dinas F;1.03.03.2.01.0009;W;2;100;Desa Entah;wilayah;air\n"
        "2025;Dinas G;1.03.03.2.01.0010;V;2;100;Sutera;kelompok;jalan\n"
        "JUMLAH;;;;;Rp 2.750.000.500;;;\n"
    )
    check = read_register(csv.encode(), DESA, name="reg.csv")
    assert check.rows_in == len(check.register) + len(check.ditolak) == 8
    reg = check.register.set_index("opd")
    assert reg.loc["Dinas A", "lokus_kode"] == "61.11.01.2001;61.11.01.2002"
    assert reg.loc["Dinas A", "pagu_rp"] == 1_250_000_000
    assert reg.loc["Dinas B", "strategi"] == 1  # Permendagri 53/2020 P1 -> Inpres strategy 1
    assert len(reg.loc["Dinas B", "lokus_kode"].split(";")) == 43  # kabupaten = every desa
    assert check.cocok_lokus["desa"].tolist() == ["Pangkalan Buton"]  # spelling variant matched
    assert check.cocok_lokus["nilai"].tolist() == ["Pangkalan Button"]  # and reported
    assert check.cocok_lokus["skor"].iloc[0] < 100
    reasons = check.ditolak.set_index("baris")["alasan"]
    assert "Kepmendagri 050-5889/2021" in reasons[6]
    assert "strategi harus" in reasons[7]
    assert "negatif" in reasons[8]
    assert "tidak cocok" in reasons[9]
    assert "sasaran" in check.ditolak.set_index("baris").loc[10, "kolom"]
    assert "kebutuhan" in check.ditolak.set_index("baris").loc[10, "kolom"]
    assert reasons[11] == "baris jumlah/total"


def test_template_has_the_documented_columns():
    t = register_template()
    assert list(t.columns)[:6] == [
        "tahun",
        "opd",
        "kode_sub_kegiatan",
        "nama_sub_kegiatan",
        "strategi",
        "pagu",
    ]
    check = read_register(t.to_csv(index=False).encode(), DESA, name="templat.csv")
    assert len(check.register) == 1


def test_a_register_with_every_row_rejected_does_not_break_the_run(tmp_path):
    from targeting.cli import main
    from targeting.pipeline import run

    bad = tmp_path / "allbad.csv"
    bad.write_text(
        "tahun,opd,kode_sub_kegiatan,nama_sub_kegiatan,strategi,pagu,lokus\n"
        "2025,A,1.2,x,9,1,Entah\n"
        '2025,B,1.03.03.2.01.0005,y,a,"Rp 750.000.000,-",Sukadana\n'
    )
    res = run(REGION, register=bad)
    assert len(res.register.register) == 0
    assert res.intervensi is not None
    assert res.intervensi.salah_sasaran.empty
    reasons = res.register.ditolak["alasan"].tolist()
    assert "strategi harus" in reasons[1]  # "a" is not strategy 1
    assert "nama kecamatan" in reasons[1]  # Sukadana is a kecamatan
    assert "pagu" not in reasons[1]  # "Rp 750.000.000,-" is read
    assert main(["run", "--register", str(bad), "--out", str(tmp_path / "o")]) == 0
    assert (tmp_path / "o" / "register_rejected.csv").is_file()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Strategi 2", "2"), ("2", "2"), ("P4", "P4"), ("p 3", "P3"), ("a", None), ("I", None)],
)
def test_strategy_spellings(text, expected):
    from targeting.register import _strategi

    assert _strategi(text)[0] == expected


def test_mixed_lokus_separators():
    csv = (
        "opd,kode_sub_kegiatan,nama_sub_kegiatan,strategi,pagu,lokus\n"
        'A,1.03.03.2.01.0005,x,3,100,"Sutera, Pangkalan Buton; Sejahtera"\n'
    )
    check = read_register(csv.encode(), DESA, name="r.csv")
    assert check.register.at[0, "lokus_kode"] == "61.11.01.2001;61.11.01.2002;61.11.01.2003"


def test_a_realisasi_written_but_unreadable_or_ambiguous_is_rejected_never_blanked():
    # Found by trying (try14): "Rp 1.250 M" and "1 M (DAU)" as realisasi were used with a
    # blank realisasi, silently; "-" (Excel's nil) is blank, and "0,25 M" is read.
    csv = (
        "tahun;opd;kode_sub_kegiatan;nama_sub_kegiatan;strategi;pagu;lokus;realisasi\n"
        "2025;A;1.03.03.2.01.0005;x;1;1 M;Sutera;Rp 1.250 M\n"
        "2025;B;1.03.03.2.01.0006;x;1;1 M;Sutera;1 M (DAU)\n"
        "2025;C;1.03.03.2.01.0007;x;1;1 M;Sutera;-\n"
        "2025;D;1.03.03.2.01.0008;x;1;1 M;Sutera;0,25 M\n"
        "2025;E;1.03.03.2.01.0009;x;1;1 M;Sutera;\n"
    )
    check = read_register(csv.encode(), DESA, name="reg.csv")
    assert check.rows_in == len(check.register) + len(check.ditolak) == 5
    rejected = check.ditolak.set_index("baris")
    assert rejected["kolom"].to_dict() == {2: "realisasi", 3: "realisasi"}
    assert "realisasi ambigu" in rejected.loc[2, "alasan"]
    assert "realisasi tidak terbaca" in rejected.loc[3, "alasan"]
    reg = check.register.set_index("opd")["realisasi_rp"]
    assert reg.isna().to_dict() == {"C": True, "D": False, "E": True}
    assert reg["D"] == 250_000_000
