"""rowpush.toml: the named connections.

    [connections.halo-prod]
    api = "halopsa"
    base_url = "https://acme.halopsa.com"
    client_id = "…"
    client_secret = "${HALO_SECRET}"      # from the environment
    # client_secret = "keyring:rowpush/halo-prod"   # from the system keyring

The file is found in this order: the path in `ROWPUSH_CONFIG`, `rowpush.toml` in the
working directory, then `rowpush/rowpush.toml` in the user config directory
(`$XDG_CONFIG_HOME` or `~/.config`). Values are resolved only when asked for, so a
missing secret is reported for the connection that needs it, never for others.

`Config.warnings_for(name)` says what to tell the user each time a connection is
used: a file that holds secrets written out (not `${ENV}` or `keyring:` references)
while other users can read it, and a connection with `verify = false`.
"""

from __future__ import annotations

import os
import re
import shlex
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rowpush.errors import ConfigError

__all__ = [
    "Config",
    "Connection",
    "find_config",
    "load_config",
]

CONFIG_ENV = "ROWPUSH_CONFIG"
CONFIG_NAME = "rowpush.toml"

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECRET_WORDS = ("secret", "password", "token", "api_key", "apikey", "private_key")


def is_secret_key(key: str) -> bool:
    """Whether a connection setting holds a secret (never printed, never written)."""
    lowered = key.lower()
    return any(word in lowered for word in _SECRET_WORDS)


@dataclass(frozen=True)
class Connection:
    """One `[connections.NAME]` table: which API, where, and how to authenticate."""

    name: str
    api: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    """Every key of the table as written (secrets unresolved)."""
    source: str = "<memory>"
    """Where the connection was defined, for messages."""

    def __repr__(self) -> str:
        shown = {k: ("***" if is_secret_key(k) else v) for k, v in self.settings.items()}
        return f"Connection(name={self.name!r}, api={self.api!r}, settings={shown!r})"

    def get(self, key: str, default: Any = None) -> Any:
        """A setting with `${ENV}` and `keyring:` references resolved."""
        if key not in self.settings:
            return default
        value = self.settings[key]
        return self._resolve(key, value) if isinstance(value, str) else value

    def require(self, key: str, *, what: str = "") -> str:
        """A setting that must be present and non-empty, as text."""
        value = self.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            meaning = f" ({what})" if what else ""
            hint = f'Add  {key} = "…"  under [connections.{self.name}].'
            if is_secret_key(key):
                hint += f' For a secret write  {key} = "${{ENV_VAR}}"  and export ENV_VAR.'
            raise ConfigError(
                f"Connection '{self.name}' in {self.source} has no {key}{meaning}.", hint=hint
            )
        return str(value)

    @property
    def base_url(self) -> str | None:
        value = self.get("base_url")
        return str(value).rstrip("/") if value else None

    @property
    def verify(self) -> bool:
        """TLS certificate verification; only a TOML boolean can turn it off."""
        value = self.get("verify", True)
        if not isinstance(value, bool):
            raise ConfigError(
                f"Connection '{self.name}' in {self.source}: verify must be true or false "
                f"(without quotes), not {value!r}."
            )
        return value

    @property
    def rate(self) -> str | None:
        value = self.get("rate")
        return str(value) if value else None

    @property
    def timeout(self) -> float:
        try:
            return float(self.get("timeout", 30.0))
        except (TypeError, ValueError):
            raise ConfigError(
                f"Connection '{self.name}' in {self.source}: timeout must be a number of seconds."
            ) from None

    def secrets(self) -> list[str]:
        """Every resolved secret value of this connection (for redaction)."""
        found: list[str] = []
        for key in self.settings:
            if is_secret_key(key):
                try:
                    value = self.get(key)
                except ConfigError:
                    continue
                if isinstance(value, str) and value:
                    found.append(value)
        return found

    def literal_secrets(self) -> list[str]:
        """Names of the secret settings written out in the file rather than referred to
        (`${ENV}` or `keyring:`): whoever can read the file can read these."""
        return [
            key for key, value in self.settings.items() if is_secret_key(key) and _is_literal(value)
        ]

    def warnings(self) -> list[str]:
        """What the user should hear each time this connection is used."""
        found: list[str] = []
        if not self.verify:
            found.append(
                f"connection '{self.name}': TLS certificate verification is off "
                "(verify = false); use it only against a test server"
            )
        return found

    def _resolve(self, key: str, value: str) -> str:
        if value.startswith("keyring:"):
            return self._from_keyring(key, value.removeprefix("keyring:"))

        def substitute(match: re.Match[str]) -> str:
            var = match.group(1)
            resolved = os.environ.get(var)
            if resolved is None:
                raise ConfigError(
                    f"Connection '{self.name}' in {self.source}: {key} refers to ${{{var}}}, "
                    "which is not set in the environment.",
                    hint=f"Export it first:  export {var}=…",
                )
            return resolved

        return _ENV_REF.sub(substitute, value)

    def _from_keyring(self, key: str, ref: str) -> str:
        service, _, username = ref.partition("/")
        try:
            import keyring  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            raise ConfigError(
                f"Connection '{self.name}' in {self.source}: {key} is read from the keyring, "
                "but the keyring package is not installed.",
                hint="pip install keyring, or use ${ENV_VAR} instead.",
            ) from None
        secret = keyring.get_password(service, username or self.name)
        if not isinstance(secret, str):
            raise ConfigError(
                f"Connection '{self.name}' in {self.source}: no keyring entry for "
                f"service {service!r}, user {username or self.name!r}.",
                hint=f"keyring set {service} {username or self.name}",
            )
        return secret


@dataclass(frozen=True)
class Config:
    """All connections of one rowpush.toml."""

    connections: Mapping[str, Connection]
    path: Path | None = None

    def connection(self, name: str) -> Connection:
        try:
            return self.connections[name]
        except KeyError:
            where = str(self.path) if self.path else "no rowpush.toml was found"
            known = ", ".join(sorted(self.connections)) or "none"
            raise ConfigError(
                f"Unknown connection '{name}' ({where}; connections defined: {known}).",
                hint=f"Add a [connections.{name}] table to rowpush.toml, "
                "or run `rowpush sandbox --config-out rowpush.toml` to get one for the sandbox.",
            ) from None

    def warnings_for(self, name: str) -> list[str]:
        """Warnings to show whenever connection `name` is used: the file holding secrets
        is readable by other users (whichever connection they belong to: the whole file
        is exposed), and the connection's own (see `Connection.warnings`)."""
        found: list[str] = []
        if self.exposes_secrets():
            shown = shlex.quote(str(self.path))
            found.append(
                f"{self.path} is readable by other users and holds secrets; run chmod 600 {shown}"
            )
        found.extend(self.connection(name).warnings())
        return found

    def exposes_secrets(self) -> bool:
        """True when the file is readable by its group or others (POSIX) and some
        connection writes a secret in it literally."""
        if self.path is None or os.name != "posix":
            return False
        try:
            mode = self.path.stat().st_mode
        except OSError:
            return False
        if not mode & 0o077:
            return False
        return any(conn.literal_secrets() for conn in self.connections.values())


def _is_literal(value: object) -> bool:
    """True when a setting's value is written out, not a `${ENV}` or `keyring:` reference
    (text left around a reference counts as written out: it may be part of the secret)."""
    if isinstance(value, str):
        if value.startswith("keyring:"):
            return False
        return bool(_ENV_REF.sub("", value).strip())
    return not isinstance(value, bool) and isinstance(value, int | float)


def find_config(cwd: Path | None = None) -> Path | None:
    """The rowpush.toml rowpush would use, or None."""
    explicit = os.environ.get(CONFIG_ENV)
    if explicit:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise ConfigError(f"{CONFIG_ENV} points to {path}, which is not a file.")
        return path
    local = (cwd or Path.cwd()) / CONFIG_NAME
    if local.is_file():
        return local
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    user = Path(base) / "rowpush" / CONFIG_NAME
    return user if user.is_file() else None


def load_config(path: Path | None = None) -> Config:
    """Read a rowpush.toml (the one `find_config` finds when no path is given)."""
    path = path or find_config()
    if path is None:
        return Config(connections={})
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text.") from None
    return parse_config(data, source=str(path), path=path)


def parse_config(data: Mapping[str, Any], *, source: str, path: Path | None = None) -> Config:
    tables = data.get("connections", {})
    if not isinstance(tables, dict):
        raise ConfigError(f"{source}: [connections] must be a table of tables.")
    connections: dict[str, Connection] = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{source}: [connections.{name}] must be a table.")
        api = table.get("api")
        if not isinstance(api, str) or not api:
            raise ConfigError(
                f"{source}: [connections.{name}] has no api.",
                hint='Add  api = "halopsa"  (see `rowpush targets` for the APIs).',
            )
        settings = {k: v for k, v in table.items() if k != "api"}
        connections[name] = Connection(name=name, api=api, settings=settings, source=source)
    return Config(connections=connections, path=path)
