"""Finding targets and APIs by name.

Every module in `rowpush.targets` is scanned: each concrete `Target` subclass with
a `name` is a target, and its `api` an API. Adding a target is adding a module.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
from functools import cache
from typing import Any

import rowpush.targets as package
from rowpush.config import settings_table
from rowpush.errors import UnknownTarget
from rowpush.targets.base import Api, Target

__all__ = ["all_apis", "all_targets", "get_api", "get_target", "settings_reference"]

_NOT_TARGET_MODULES = frozenset({"base", "registry"})


@cache
def all_targets() -> dict[str, type[Target]]:
    """Target name → class, sorted by name."""
    found: dict[str, type[Target]] = {}
    for info in pkgutil.iter_modules(package.__path__):
        if info.name in _NOT_TARGET_MODULES:
            continue
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Target) and not inspect.isabstract(obj) and "name" in vars(obj):
                found[obj.name] = obj
    return dict(sorted(found.items()))


def all_apis() -> dict[str, Api[Any]]:
    return {t.api.name: t.api for t in all_targets().values()}


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
