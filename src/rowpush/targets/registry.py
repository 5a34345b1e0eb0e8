"""Finding targets and APIs by name.

Every module in `rowpush.targets` is scanned: each concrete `Target` subclass with
a `name` is a target, and its `api` an API. Adding a target is adding a module.

Declarative targets (targets/declared_spec.py) are the `*.toml` files of
`./rowpush-targets/` and of `rowpush/targets/` in the user config directory
(`$XDG_CONFIG_HOME` or `~/.config`); the working directory's win over the user's.
Each becomes a `Target` subclass (targets/declared.py), listed and used like the rest.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
import pkgutil
from functools import cache
from pathlib import Path
from typing import Any

import rowpush.targets as package
from rowpush.config import settings_table
from rowpush.errors import BadInput, UnknownTarget
from rowpush.targets.base import Api, Target
from rowpush.targets.declared import declared_target
from rowpush.targets.declared_spec import load_spec
from rowpush.targets.http_api import HTTP

__all__ = [
    "TARGETS_DIR",
    "all_apis",
    "all_targets",
    "builtin_targets",
    "declared_targets",
    "get_api",
    "get_target",
    "settings_reference",
    "target_dirs",
]

_NOT_TARGET_MODULES = frozenset({"base", "registry"})
TARGETS_DIR = "rowpush-targets"
"""The folder of the working directory that holds declarative targets."""


def all_targets() -> dict[str, type[Target]]:
    """Target name → class (built-in and declared), sorted by name."""
    return dict(sorted({**builtin_targets(), **declared_targets()}.items()))


def target_dirs() -> list[Path]:
    """Where declarative targets are looked for, the first winning."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return [Path.cwd() / TARGETS_DIR, Path(base) / "rowpush" / "targets"]


def declared_targets() -> dict[str, type[Target]]:
    """The declarative targets of `target_dirs()` (a file is read again once changed).
    A bad file, or one named like a built-in target, is a `BadInput` naming it."""
    found: dict[str, type[Target]] = {}
    builtin = builtin_targets()
    for folder in target_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            target = _declared(path.resolve(), path.stat().st_mtime_ns)
            if target.name in builtin:
                raise BadInput(
                    f"The target file {path} names {target.name!r}, a built-in target.",
                    hint="Give it another name (name = ... at the top of the file).",
                )
            found.setdefault(target.name, target)
    return found


@cache
def _declared(path: Path, mtime: int) -> type[Target]:
    return declared_target(load_spec(path), str(path))


@cache
def builtin_targets() -> dict[str, type[Target]]:
    """The targets written in Python: target name → class, sorted by name."""
    found: dict[str, type[Target]] = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name in _NOT_TARGET_MODULES:
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if obj.__module__ != module.__name__:
                continue  # a class imported from elsewhere is found in its own module
            if issubclass(obj, Target) and not inspect.isabstract(obj) and "name" in vars(obj):
                found[obj.name] = obj
    return dict(sorted(found.items()))


def all_apis() -> dict[str, Api[Any]]:
    """API name → the API (the generic "http" one among them)."""
    apis: dict[str, Api[Any]] = {t.api.name: t.api for t in builtin_targets().values()}
    return {**apis, HTTP.name: HTTP}


def get_target(name: str) -> type[Target]:
    targets = all_targets()
    if name in targets:
        return targets[name]
    close = difflib.get_close_matches(name, list(targets), n=1)
    hint = f"Did you mean {close[0]!r}? " if close else ""
    raise UnknownTarget(
        f"Unknown target {name!r}.",
        hint=f"{hint}Known targets: {', '.join(targets)} (see `rowpush targets`).",
    )


def get_api(name: str) -> Api[Any] | None:
    return all_apis().get(name)


def settings_reference() -> str:
    """The README's settings reference (markdown): for each API, what its connections may
    hold, made from its `Settings` model (a test keeps the README equal to it)."""
    parts: list[str] = []
    for name, api in sorted(all_apis().items()):
        doc = " ".join((api.Settings.__doc__ or "").split())
        parts += [
            f'#### `api = "{name}"`',
            "",
            f"{doc} Default rate: `{api.default_rate}`.",
            "",
            settings_table(api.Settings),
            "",
        ]
    return "\n".join(parts)
