"""What an import makes, and writing it: target files and a connection entry.

Everything is worked out before anything is written, so a bad collection or spec leaves
no file behind; a target file that exists already is refused, never overwritten.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rowpush.errors import BadInput
from rowpush.targets.declared_spec import TargetSpec, dump_toml

__all__ = ["Imported", "env_ref", "slug", "write_imported"]


@dataclass
class Imported:
    """The targets an import makes, the connection they need, and what it could not map."""

    source: Path
    connection: str
    targets: list[TargetSpec] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    """The `[connections.NAME]` table (secrets as `${ENV}` references)."""
    notes: list[str] = field(default_factory=list)
    """What the import could not map, for the user."""


def slug(text: str) -> str:
    """`Create User (v2)` → `create-user-v2`: a name part for targets and connections."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "api"


def env_ref(connection: str, key: str) -> str:
    """The `${ENV}` reference a secret setting is written as."""
    return "${" + re.sub(r"[^A-Z0-9]+", "_", f"{connection}_{key}".upper()).strip("_") + "}"


def write_imported(imported: Imported, folder: Path, config: Path) -> list[Path]:
    """Write each target to `folder/NAME.toml`, and the connection into `config` unless
    it has one of that name. Returns the files written."""
    paths = [folder / f"{spec.name}.toml" for spec in imported.targets]
    taken = [p for p in paths if p.exists()]
    if taken:
        raise BadInput(
            f"{taken[0]} exists already; the import wrote nothing.",
            hint="Remove or rename it first, or import into another folder (--out).",
        )
    header = (
        f"rowpush target imported from {imported.source.name}\n"
        "Format: README, 'Your own API'. Edit freely: rowpush reads it on every run."
    )
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for spec, path in zip(imported.targets, paths, strict=True):
        path.write_text(dump_toml(spec, header), encoding="utf-8")
        written.append(path)
    if imported.settings and not _has_connection(config, imported.connection):
        text = config.read_text(encoding="utf-8") if config.exists() else ""
        entry = connection_toml(imported.connection, imported.settings)
        config.write_text(text + ("\n" if text and not text.endswith("\n\n") else "") + entry)
        written.append(config)
    return written


def _has_connection(config: Path, name: str) -> bool:
    if not config.exists():
        return False
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        raise BadInput(f"{config} is not valid TOML; the import wrote no connection.") from None
    return name in (data.get("connections") or {})


def connection_toml(name: str, settings: dict[str, Any]) -> str:
    """A `[connections.NAME]` table as TOML text."""
    lines = [f"[connections.{_key(name)}]"]
    for key, value in settings.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{_key(k)} = {json.dumps(v)}" for k, v in value.items())
            lines.append(f"{key} = {{ {inner} }}")
        else:
            lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)
