"""Settings declared once: the CLI options and sidebar widgets come from field metadata."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from targeting.cli import _parser
from targeting.interventions import MatchSettings
from targeting.pockets import PocketSettings
from targeting.priority import PrioritySettings
from targeting.settings import add_options, field_type, from_args, setting, settings_fields
from targeting.targets import TargetFilters

README = Path(__file__).resolve().parents[1] / "README.md"
SETTINGS = (PocketSettings, MatchSettings, PrioritySettings, TargetFilters)


def _run_options() -> set[str]:
    sub = next(a for a in _parser()._actions if a.dest == "perintah")
    run, wilayah = sub.choices["run"], sub.choices["wilayah"]
    actions = [*run._actions, *wilayah._actions]  # `wilayah`: any region's folder
    return {s for a in actions for s in a.option_strings if s.startswith("--")} - {"--help"}


def _all_options() -> set[str]:
    """Options of every subcommand and sub-subcommand (e.g. verifikasi-masuk's --berkas,
    ruang-kerja pengguna's --peran)."""
    out, todo = set(), [_parser()]
    while todo:
        p = todo.pop()
        for a in p._actions:
            out |= set(a.option_strings)
            todo += list((getattr(a, "choices", None) or {}).values()) if a.nargs == "A..." else []
    return out


def _ruang_kerja_options() -> set[str]:
    """Options of `ruang-kerja` and its actions (the workspace CLI, issue 18)."""
    sub = next(a for a in _parser()._actions if a.dest == "perintah")
    out, todo = set(), [sub.choices["ruang-kerja"]]
    while todo:
        p = todo.pop()
        for a in p._actions:
            out |= {s for s in a.option_strings if s.startswith("--")}
            todo += list((getattr(a, "choices", None) or {}).values()) if a.nargs == "A..." else []
    return out - {"--help"}


def _readme_flags() -> set[str]:
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", README.read_text(encoding="utf-8")))


def test_every_cli_option_is_in_the_readme_and_every_readme_flag_exists():
    options = _run_options()
    readme = _readme_flags()
    # Flags of other programs quoted in the README (pip, dask worker), and `sintetis`.
    foreign = {"--no-compile", "--nthreads", "--memory-limit"}
    assert readme - foreign - _all_options() == set(), "README names flags the CLI does not have"
    assert options - readme == set(), "CLI options the README does not document"
    assert _ruang_kerja_options() - readme == set(), (
        "ruang-kerja options the README does not document"
    )


def test_readme_pocket_settings_line_lists_the_generated_flags_in_order():
    text = " ".join(README.read_text(encoding="utf-8").split())
    line = re.search(r"the CLI flags (`--.*?`)\. The same", text).group(1)
    documented = re.findall(r"`(--[a-z0-9-]+)`", line)
    generated = [f.metadata["flag"] for f in settings_fields(PocketSettings) if f.metadata["flag"]]
    assert documented == generated


@pytest.mark.parametrize("cls", SETTINGS)
def test_defaults_of_the_cli_are_the_dataclass_defaults(cls):
    args = _parser().parse_args(["run", "--out", "x"])
    assert from_args(cls, args) == cls()


def test_cli_values_reach_the_settings():
    args = _parser().parse_args(
        ["run", "--out", "x", "--tanpa-smoothing", "--k", "7", "--alpha", "0.1",
         "--tetangga", "jarak", "--persen-tinggi", "12.5", "--normalisasi", "peringkat"]
    )  # fmt: skip
    pocket = from_args(PocketSettings, args)
    assert (pocket.smoothing, pocket.k, pocket.alpha, pocket.tetangga) == (False, 7, 0.1, "jarak")
    assert from_args(MatchSettings, args).persen_tinggi == 12.5
    assert from_args(PrioritySettings, args).normalisasi == "peringkat"
    filters = from_args(TargetFilters, _parser().parse_args(["run", "--out", "x", "--top", "3",
                                                              "--hanya-berkekurangan"]))  # fmt: skip
    assert (filters.top, filters.hanya_berkekurangan, filters.desil) == (3, True, None)


def test_a_choice_outside_the_literal_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as err:
        _parser().parse_args(["run", "--out", "x", "--statistik", "lisa"])
    assert err.value.code == 2
    assert "--statistik" in capsys.readouterr().err


@pytest.mark.parametrize("cls", SETTINGS)
def test_every_widget_setting_is_complete(cls):
    """A field with a widget key has what its widget kind needs; defaults lie in the range."""
    keys = set()
    for f in settings_fields(cls):
        meta = f.metadata
        assert meta["label"], f.name
        assert meta["help"], f.name
        if meta["key"] is None:
            continue
        keys.add(meta["key"])
        kind, literal = field_type(cls, f)
        if literal is not None:
            assert set(meta["choices"]) == set(literal), f.name
        elif kind is not bool and meta["options"] is None:
            assert meta["min"] <= f.default <= meta["max"], f.name
    assert len(keys) == len([f for f in settings_fields(cls) if f.metadata["key"]])


def test_pocket_widget_floor_of_min_keluarga_follows_maks_titik_sama():
    fields = {f.name: f for f in settings_fields(PocketSettings)}
    assert fields["min_keluarga"].metadata["min"] == PocketSettings().maks_titik_sama + 1
    with pytest.raises(ValueError, match="maks_titik_sama"):
        PocketSettings(min_keluarga=PocketSettings().maks_titik_sama)


def test_add_options_generates_flag_type_default_and_help():
    @dataclasses.dataclass(frozen=True)
    class Demo:
        jarak_m: float = setting(2.5, label="Jarak", help="a distance", unit="m", flag="--jarak")
        aktif: bool = setting(True, label="Aktif", help="switch off", flag="--mati", negate=True)
        diam: int = setting(1, label="Diam", help="not on the command line")

    import argparse

    parser = argparse.ArgumentParser()
    add_options(parser, Demo)
    action = next(a for a in parser._actions if "--jarak" in a.option_strings)
    assert (action.type, action.default, action.help) == (float, 2.5, "a distance, metres (2.5)")
    assert from_args(Demo, parser.parse_args(["--jarak", "4", "--mati"])) == Demo(4.0, False, 1)
    assert not any("--diam" in a.option_strings for a in parser._actions)


@pytest.mark.parametrize("command", ["run", "banding"])
def test_help_of_every_command_prints(command: str, capsys: pytest.CaptureFixture) -> None:
    """A setting with unit ``%`` once made ``run --help`` a traceback (argparse formatting)."""
    from targeting.cli import main as cli_main

    with pytest.raises(SystemExit) as exit_info:
        cli_main([command, "--help"])
    assert exit_info.value.code == 0
    assert "--out" in capsys.readouterr().out
