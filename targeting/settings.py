"""Settings declared once: a dataclass field carries its label, help, unit, range and flag.

The analytic settings (:class:`targeting.pockets.PocketSettings`,
:class:`targeting.interventions.MatchSettings`, :class:`targeting.priority.PrioritySettings`)
declare each field with :func:`setting`. The CLI options (:func:`add_options`) and the
sidebar widgets (``views/common.py``) are generated from that metadata, so a default, a
range or a label is written in one place.

Metadata keys (all optional except ``label``):

``label``
    Bahasa Indonesia label of the sidebar widget.
``help``
    English help of the CLI option (without the default, which is appended).
``flag``
    The CLI flag (``--k``); a field without one is not a CLI option.
``unit``
    Unit of the value (``"m"`` for metres), appended to the CLI help.
``min``, ``max``, ``step``
    Range and step of the sidebar widget (the dataclass's ``__post_init__`` validates).
``choices``
    Value -> Indonesian label of a choice (the widget's ``format_func``); the CLI lists
    the values.
``options``
    A fixed ladder of values for a slider of choices (the default is added).
``key``
    The Streamlit widget key (stable: tests set widgets by key); no key, no widget.
``negate``
    For a bool: the CLI flag switches the setting off (``--tanpa-smoothing``).
``default_text``
    How the CLI help names a default that is not a value (``None``).
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any, Literal, get_args, get_origin

__all__ = ["add_options", "field_type", "from_args", "setting", "settings_fields"]


def setting(  # noqa: PLR0913 - keyword-only metadata, one per aspect of a setting
    default: object,
    *,
    label: str,
    help: str,
    flag: str | None = None,
    unit: str | None = None,
    min: float | None = None,
    max: float | None = None,
    step: float | None = None,
    choices: Mapping[object, str] | None = None,
    options: tuple[float, ...] | None = None,
    key: str | None = None,
    negate: bool = False,
    default_text: str | None = None,
) -> Any:
    """Declare one setting: a dataclass field whose metadata describe it for CLI and UI.

    Parameters
    ----------
    default : object
        The default value (immutable: a str, number, bool or None).
    label, help, flag, unit, min, max, step, choices, options, key, negate, default_text
        See the module docstring.

    Returns
    -------
    dataclasses.Field
        ``field(default=default, metadata={...})``.
    """
    meta = {
        "label": label,
        "help": help,
        "flag": flag,
        "unit": unit,
        "min": min,
        "max": max,
        "step": step,
        "choices": dict(choices) if choices is not None else None,
        "options": options,
        "key": key,
        "negate": negate,
        "default_text": default_text,
    }
    return dataclasses.field(default=default, metadata=types.MappingProxyType(meta))


def settings_fields(cls: type) -> list[dataclasses.Field]:
    """Return the fields of a settings dataclass declared with :func:`setting`, in order."""
    return [f for f in dataclasses.fields(cls) if "label" in f.metadata]


def field_type(cls: type, f: dataclasses.Field) -> tuple[type, tuple[object, ...] | None]:
    """Return the value type of a field and its ``Literal`` choices (None if no choice).

    ``float | None`` gives ``float``; ``Literal["a", "b"]`` gives ``(str, ("a", "b"))``.
    """
    hint = typing.get_type_hints(cls)[f.name]
    if get_origin(hint) is Literal:
        values = get_args(hint)
        return type(values[0]), values
    if get_origin(hint) in (typing.Union, types.UnionType):
        hint = next(a for a in get_args(hint) if a is not type(None))
    return hint, None


def _default_text(f: dataclasses.Field) -> str:
    """`` (default)`` for the CLI help; empty for a None default without ``default_text``."""
    if f.metadata["default_text"] is not None:
        return f" ({f.metadata['default_text']})"
    value = f.default
    if value is None:
        return ""
    return f" ({value:g})" if isinstance(value, float) else f" ({value})"


def add_options(group: argparse._ActionsContainer, cls: type) -> None:
    """Add one CLI option per field of ``cls`` that has a ``flag``.

    The option's ``dest`` is the flag's name (``--tanpa-smoothing`` -> ``tanpa_smoothing``),
    its default the field's, its help the field's help, unit and default.
    """
    for f in settings_fields(cls):
        meta = f.metadata
        if meta["flag"] is None:
            continue
        kind, literal = field_type(cls, f)
        unit = f", {_UNIT_WORDS.get(meta['unit'], meta['unit'])}" if meta["unit"] else ""
        if kind is bool:
            group.add_argument(meta["flag"], action="store_true", help=_escape(meta["help"]))
            continue
        group.add_argument(
            meta["flag"],
            type=None if kind is str else kind,
            choices=literal or (list(meta["choices"]) if meta["choices"] else None),
            default=f.default,
            help=_escape(f"{meta['help']}{unit}{_default_text(f)}"),
        )


def _escape(text: str) -> str:
    """Help text for argparse, which reads ``%`` as a format (a unit ``%`` broke ``--help``)."""
    return text.replace("%", "%%")


_UNIT_WORDS = {"m": "metres"}


def _dest(flag: str) -> str:
    return flag.lstrip("-").replace("-", "_")


def from_args(cls: type, args: argparse.Namespace, **fixed: object) -> Any:
    """Build ``cls`` from parsed CLI options (fields without a flag keep their default).

    Raises
    ------
    ValueError
        From the dataclass's own validation.
    """
    values: dict[str, object] = dict(fixed)
    for f in settings_fields(cls):
        flag = f.metadata["flag"]
        if flag is None or f.name in values:
            continue
        value = getattr(args, _dest(flag))
        values[f.name] = (not value) if f.metadata["negate"] else value
    return cls(**values)
