"""rowpush.toml: the named connections, and the settings every connection has.

    [connections.halo-prod]
    api = "halopsa"
    base_url = "https://acme.halopsa.com"
    client_id = "…"
    client_secret = "${HALO_SECRET}"      # from the environment
    # client_secret = "keyring:rowpush/halo-prod"   # from the system keyring

The file is found in this order: the path in `ROWPUSH_CONFIG`, `rowpush.toml` in the
working directory, then `rowpush/rowpush.toml` in the user config directory
(`$XDG_CONFIG_HOME` or `~/.config`). Values are resolved only when a connection is
used, so a missing secret is reported for the connection that needs it, never for others.

What a connection may hold is a pydantic model: `ConnectionSettings` here (the settings
every API shares) and one subclass per API, declared next to it in `rowpush.targets`.
`Connection.typed(model)` checks the table against a model once: an unknown key, a
missing required one or a value of the wrong type is a `ConfigError` naming the key,
the connection and the file. Secret settings are `SecretStr` fields.

`Config.warnings_for(name)` says what to tell the user each time a connection is
used: a file that holds secrets written out (not `${ENV}` or `keyring:` references)
while other users can read it, and a connection with `verify = false`.
"""

from __future__ import annotations

import difflib
import os
import re
import shlex
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from pydantic import BaseModel, ConfigDict, SecretStr, StrictBool, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticUndefined

from rowpush.errors import ConfigError, a_or_an

__all__ = [
    "Config",
    "Connection",
    "ConnectionSettings",
    "find_config",
    "is_secret_key",
    "load_config",
    "parse_config",
    "secret_fields",
    "settings_table",
]

CONFIG_ENV = "ROWPUSH_CONFIG"
CONFIG_NAME = "rowpush.toml"

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECRET_WORDS = ("secret", "password", "token", "api_key", "apikey", "private_key")

S = TypeVar("S", bound="ConnectionSettings")


def is_secret_key(key: str) -> bool:
    """Whether a connection setting holds a secret (never printed, never written).

    The name decides, so that the questions asked of a whole file (is a secret written
    out in it?) need no API's model; a test keeps every model's `SecretStr` fields and
    this rule in step."""
    lowered = key.lower()
    return any(word in lowered for word in _SECRET_WORDS)


class ConnectionSettings(BaseModel):
    """The settings of every connection, whatever its API. Each API's model adds its own
    (its module in `rowpush.targets` declares it, as `Api.Settings`)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, use_attribute_docstrings=True, coerce_numbers_to_str=True
    )

    base_url: str | None = None
    """The address of the API (each API says its default, or that it has none)."""
    rate: str | None = None
    """Requests per window, e.g. "2/s" or "300/5min" (default: the API's own, adapting to 429s)."""
    timeout: float = 30.0
    """Seconds to wait for each answer."""
    verify: StrictBool = True
    """Check the server's TLS certificate; false only against a test server."""


def secret_fields(model: type[BaseModel]) -> list[str]:
    """The fields of a settings model that hold secrets (typed `SecretStr`)."""
    return [name for name, info in model.model_fields.items() if _is_secret(info.annotation)]


def _is_secret(annotation: Any) -> bool:
    return annotation is SecretStr or SecretStr in typing.get_args(annotation)


@dataclass(frozen=True)
class Connection:
    """One `[connections.NAME]` table: which API, where, and how to authenticate."""

    name: str
    api: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    """Every key of the table as written (secrets unresolved)."""
    source: str = "<memory>"
    """Where the connection was defined, for messages."""
    _typed: dict[tuple[type[BaseModel], bool], BaseModel] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    """The settings parsed by each model asked for (parsed once: secrets resolve once)."""

    def __repr__(self) -> str:
        shown = {k: ("***" if is_secret_key(k) else v) for k, v in self.settings.items()}
        return f"Connection(name={self.name!r}, api={self.api!r}, settings={shown!r})"

    @property
    def where(self) -> str:
        """How messages name this connection."""
        return f"Connection '{self.name}' in {self.source}"

    def typed(self, model: type[S]) -> S:
        """The settings checked against `model`: every key must be one of its fields.

        `${ENV}` and `keyring:` references are resolved here, and a blank value counts
        as not set. Raises a `ConfigError` for an unknown key (naming the closest valid
        one), a missing required setting, or a value of the wrong type."""
        return self._parse(model, every_key=True)

    @property
    def common(self) -> ConnectionSettings:
        """The settings every connection has (the keys of the API's own model are left
        to that model: this layer does not know the APIs)."""
        return self._parse(ConnectionSettings, every_key=False)

    @property
    def base_url(self) -> str | None:
        url = self.common.base_url
        return url.rstrip("/") if url else None

    @property
    def verify(self) -> bool:
        """TLS certificate verification; only a TOML boolean can turn it off."""
        return self.common.verify

    @property
    def rate(self) -> str | None:
        return self.common.rate

    @property
    def timeout(self) -> float:
        return self.common.timeout

    def with_settings(self, **changes: str | float | bool | None) -> Connection:
        """A copy with some of the common settings changed (`rate="50/s"`), checked."""
        unknown = set(changes) - set(ConnectionSettings.model_fields)
        if unknown:
            raise TypeError(f"with_settings changes only common settings, not {sorted(unknown)}")
        copy = Connection(self.name, self.api, {**self.settings, **changes}, self.source)
        _ = copy.common  # a wrong value fails here, not at first use
        return copy

    def missing(self, key: str, what: str = "") -> ConfigError:
        """The error for a required setting that is absent or blank."""
        meaning = f" ({what})" if what else ""
        hint = f'Add  {key} = "…"  under [connections.{self.name}].'
        if is_secret_key(key):
            hint += f' For a secret write  {key} = "${{ENV_VAR}}"  and export ENV_VAR.'
        return ConfigError(f"{self.where} has no {key}{meaning}.", hint=hint)

    def secrets(self) -> list[str]:
        """Every resolved secret value of this connection (for redaction)."""
        found: list[str] = []
        for key, value in self.settings.items():
            if is_secret_key(key) and isinstance(value, str):
                try:
                    resolved = self._resolve(key, value)
                except ConfigError:
                    continue
                if resolved:
                    found.append(resolved)
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

    # -- parsing -----------------------------------------------------------------------

    def _parse(self, model: type[S], *, every_key: bool) -> S:
        cached = self._typed.get((model, every_key))
        if cached is None:
            cached = self._typed[(model, every_key)] = self._validate(model, every_key)
        return cast(S, cached)

    def _validate(self, model: type[S], every_key: bool) -> S:
        fields = model.model_fields
        if every_key:
            unknown = [key for key in self.settings if key not in fields]
            if unknown:
                raise self._unknown(unknown, model)
        values: dict[str, Any] = {}
        for key, raw in self.settings.items():
            if key not in fields:
                continue
            value = self._resolve(key, raw) if isinstance(raw, str) else raw
            if isinstance(value, str) and not value.strip():
                continue  # blank is "not set": the default, or missing when required
            values[key] = value
        try:
            return model.model_validate(values)
        except ValidationError as exc:
            raise self._invalid(exc.errors()[0], model) from None

    def _unknown(self, keys: list[str], model: type[BaseModel]) -> ConfigError:
        valid = ["api", *model.model_fields]
        close = {key: difflib.get_close_matches(key, valid, n=1) for key in keys}
        hint = None if all(close.values()) else f"Valid keys: {', '.join(valid)}."
        if len(keys) == 1:
            (key,) = keys
            guess = f"; did you mean '{close[key][0]}'?" if close[key] else "."
            message = (
                f"{self.where}: unknown setting '{key}' for {a_or_an(self.api)} connection{guess}"
            )
        else:
            named = ", ".join(
                f"'{key}'" + (f" (did you mean '{close[key][0]}'?)" if close[key] else "")
                for key in keys
            )
            message = f"{self.where}: unknown settings {named} for {a_or_an(self.api)} connection."
        return ConfigError(message, hint=hint)

    def _invalid(self, error: ErrorDetails, model: type[BaseModel]) -> ConfigError:
        key = str(error["loc"][0]) if error["loc"] else "?"
        info = model.model_fields.get(key)
        if error["type"] == "missing" and info is not None:
            return self.missing(key, _what(info))
        shown = "" if _is_secret_key_of(key, model) else f", not {error.get('input')!r}"
        if error["type"] in ("value_error", "assertion_error", "setting"):
            return ConfigError(f"{self.where}: {key} {_own_words(error)}{shown}.")
        meaning = f" ({_what(info)})" if info and info.description else ""
        if error["type"] in ("greater_than", "greater_than_equal"):
            ctx = error.get("ctx") or {}
            bound = f"more than {ctx.get('gt')}" if "gt" in ctx else f"at least {ctx.get('ge')}"
            return ConfigError(f"{self.where}: {key} must be {bound}{shown}{meaning}.")
        expected = _expected(info.annotation if info else None)
        return ConfigError(f"{self.where}: {key} must be {expected}{shown}{meaning}.")

    # -- secrets -----------------------------------------------------------------------

    def _resolve(self, key: str, value: str) -> str:
        if value.startswith("keyring:"):
            return self._from_keyring(key, value.removeprefix("keyring:"))

        def substitute(match: re.Match[str]) -> str:
            var = match.group(1)
            resolved = os.environ.get(var)
            if resolved is None:
                raise ConfigError(
                    f"{self.where}: {key} refers to ${{{var}}}, "
                    "which is not set in the environment.",
                    hint=f"Export it first:  export {var}=…",
                )
            return resolved

        return _ENV_REF.sub(substitute, value)

    def _from_keyring(self, key: str, ref: str) -> str:
        service, _, username = ref.partition("/")
        try:
            import keyring  # type: ignore[import-not-found,unused-ignore]  # optional
        except ImportError:
            raise ConfigError(
                f"{self.where}: {key} is read from the keyring, "
                "but the keyring package is not installed.",
                hint="pip install keyring, or use ${ENV_VAR} instead.",
            ) from None
        secret = keyring.get_password(service, username or self.name)
        if not isinstance(secret, str):
            raise ConfigError(
                f"{self.where}: no keyring entry for "
                f"service {service!r}, user {username or self.name!r}.",
                hint=f"keyring set {service} {username or self.name}",
            )
        return secret


def _is_secret_key_of(key: str, model: type[BaseModel]) -> bool:
    return is_secret_key(key) or key in secret_fields(model)


def _what(info: FieldInfo) -> str:
    """A required field's docstring, as the "(what it is)" of a message."""
    text = (info.description or "").strip().splitlines()[0] if info.description else ""
    text = text.rstrip(".")
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        text = text[0].lower() + text[1:]
    return text


def _own_words(error: ErrorDetails) -> str:
    """A validator's own message, without pydantic's "Value error, " prefix."""
    message = error["msg"]
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def _expected(annotation: Any) -> str:
    """What a value of this type looks like in TOML, for messages and the reference."""
    kinds = [a for a in _options(annotation) if a is not type(None)]
    if all(typing.get_origin(a) is Literal for a in kinds) and kinds:
        choices = [c for a in kinds for c in typing.get_args(a)]
        return " or ".join(f'"{c}"' for c in choices)
    if bool in kinds:
        return "true or false (without quotes)"
    if float in kinds or int in kinds:
        return "a number"
    if SecretStr in kinds:
        return "text in quotes (a secret)"
    return "text in quotes"


def _options(annotation: Any) -> tuple[Any, ...]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Annotated:
        return _options(typing.get_args(annotation)[0])
    return (annotation,)


def settings_table(model: type[BaseModel]) -> str:
    """A markdown table of a settings model: key, type, default, what it is. The model's
    own fields come first, then those every connection has."""
    own = [name for name in model.model_fields if name in model.__annotations__]
    names = own + [name for name in model.model_fields if name not in own]
    lines = ["| key | type | default | what it is |", "|---|---|---|---|"]
    for name in names:
        info = model.model_fields[name]
        what = " ".join((info.description or "").split()).replace("|", "\\|")
        lines.append(f"| `{name}` | {_kind(info.annotation)} | {_default(info)} | {what} |")
    return "\n".join(lines)


def _kind(annotation: Any) -> str:
    kinds = [a for a in _options(annotation) if a is not type(None)]
    if kinds and all(typing.get_origin(a) is dict for a in kinds):
        return "table of text"
    if kinds and all(typing.get_origin(a) is Literal for a in kinds):
        return " or ".join(f'`"{c}"`' for a in kinds for c in typing.get_args(a))
    if bool in kinds:
        return "boolean"
    if float in kinds or int in kinds:
        return "number"
    if SecretStr in kinds:
        return "secret text"
    return "text"


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    value = info.default
    if info.default_factory is not None:
        return "empty"
    if value is None or value is PydanticUndefined:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    return f"`{value}`"


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
