"""How an emulated API plugs into the sandbox: one `SANDBOX_API` in its package's `api.py`.

The app finds every package under `rowpush.sandbox` whose `api` module defines
`SANDBOX_API`, mounts its apps under their prefixes, keeps its state under its name,
and renders its `rowpush.toml` connection. Adding an API touches no shared file.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp

from rowpush.sandbox.clock import Clock
from rowpush.sandbox.options import SandboxOptions

ConnectionFactory = Callable[[str, SandboxOptions], dict[str, str]]
"""(server root URL, options) → the API's `[connections.NAME]` table."""

Builder = Callable[[SandboxOptions, Clock], tuple[Mapping[str, ASGIApp], Any]]
"""(options, clock) → ({mount prefix: ASGI app}, the API's state with a `reset()`)."""


@dataclass(frozen=True)
class SandboxApi:
    """One emulated vendor API."""

    name: str
    """Its name and its connection's name in rowpush.toml, e.g. "m3ter"."""
    build: Builder
    connection: ConnectionFactory


def discover() -> list[SandboxApi]:
    """Every emulated API, by name."""
    import rowpush.sandbox as package

    found: list[SandboxApi] = []
    for info in pkgutil.iter_modules(package.__path__):
        if not info.ispkg:
            continue
        name = f"{package.__name__}.{info.name}.api"
        if importlib.util.find_spec(name) is None:
            continue  # a package without an api module is not an API (yet)
        module = importlib.import_module(name)
        api = getattr(module, "SANDBOX_API", None)
        if isinstance(api, SandboxApi):
            found.append(api)
    return sorted(found, key=lambda a: a.name)
