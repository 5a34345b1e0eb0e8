"""Typed connection settings: one pydantic model per API, checked where the API meets the
connection; the README's reference is made from the models."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from rowpush.config import (
    Config,
    Connection,
    ConnectionSettings,
    is_secret_key,
    parse_config,
    secret_fields,
)
from rowpush.errors import ConfigError
from rowpush.sandbox.server import render_config
from rowpush.targets.base import Api
from rowpush.targets.halopsa import HALOPSA, HaloClients
from rowpush.targets.m3ter import M3TER
from rowpush.targets.registry import all_apis, get_api, settings_reference
from rowpush.targets.usage_engine import USAGE_ENGINE

README = Path(__file__).resolve().parents[2] / "README.md"
APIS = sorted(all_apis())


def sandbox_config() -> Config:
    """The rowpush.toml the sandbox prints for itself: one valid connection per API."""
    text = render_config("http://127.0.0.1:9")
    return parse_config(tomllib.loads(text), source="sandbox.toml")


def valid_settings(api: str) -> dict[str, Any]:
    """A complete, valid settings table of an API (the sandbox's own)."""
    return dict(sandbox_config().connection(api).settings)


def conn_of(api: str, **changes: Any) -> Connection:
    settings = {**valid_settings(api), **changes}
    return Connection(api, api, {k: v for k, v in settings.items() if v is not None}, "f.toml")


def settings_error(api: str, **changes: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        api_of(api).settings(conn_of(api, **changes))
    assert caught.value.exit_code == 3
    return str(caught.value)


def api_of(name: str) -> Api[Any]:
    api = get_api(name)
    assert api is not None
    return api


# -- the models are the reference -------------------------------------------------------


@pytest.mark.parametrize("api", APIS)
def test_every_setting_has_a_docstring(api: str) -> None:
    model = api_of(api).Settings
    assert issubclass(model, ConnectionSettings)
    assert model.__doc__
    undocumented = [name for name, info in model.model_fields.items() if not info.description]
    assert undocumented == []


@pytest.mark.parametrize("api", APIS)
def test_the_secret_fields_are_the_ones_the_config_file_checks_see(api: str) -> None:
    """The file-permission warning and the redactor know secrets by name (they run before
    any API's model is known): every SecretStr field must be one of them, and no other."""
    model = api_of(api).Settings
    by_name = {name for name in model.model_fields if is_secret_key(name)}
    assert set(secret_fields(model)) == by_name
    assert by_name, f"{api} has no secret setting"


@pytest.mark.parametrize("api", APIS)
def test_redaction_and_the_file_warning_see_every_secret(api: str) -> None:
    conn = sandbox_config().connection(api)
    settings = api_of(api).settings(conn)
    secrets = {getattr(settings, name) for name in secret_fields(type(settings))}
    assert all(isinstance(s, SecretStr) for s in secrets)
    assert set(conn.secrets()) == {s.get_secret_value() for s in secrets}
    assert set(conn.literal_secrets()) == set(secret_fields(type(settings)))
    for secret in conn.secrets():
        assert secret not in repr(settings)
        assert secret not in repr(conn)


def test_the_readme_reference_is_the_one_the_models_render() -> None:
    text = README.read_text(encoding="utf-8")
    found = re.search(
        r"<!-- settings-reference:.*?-->\n(.*?)<!-- end of settings-reference -->", text, re.S
    )
    assert found, "README.md has no settings-reference block"
    assert found.group(1) == settings_reference(), (
        "README.md's settings reference is out of date: run  python3 tasks.py readme"
    )


def test_the_reference_shows_type_default_and_docstring() -> None:
    reference = settings_reference()
    assert '| `client_auth` | `"basic"` or `"body"` | `"basic"` | How the client id' in reference
    assert "| `org_id` | text | required | Your m3ter organization id. |" in reference
    assert "| `verify` | boolean | `true` |" in reference
    for api in APIS:
        assert f'#### `api = "{api}"`' in reference


def test_the_sandbox_config_holds_one_valid_connection_per_api() -> None:
    """What `rowpush sandbox` prints must pass the models (the sandbox cannot import them)."""
    config = sandbox_config()
    assert sorted(conn.api for conn in config.connections.values()) == APIS
    for conn in config.connections.values():
        settings = api_of(conn.api).settings(conn)
        assert isinstance(settings, api_of(conn.api).Settings)


# -- unknown keys, wrong values, missing settings ---------------------------------------


@pytest.mark.parametrize(
    ("api", "wrong", "right"),
    [
        ("halopsa", "client_secert", "client_secret"),
        ("halopsa", "tennant", "tenant"),
        ("m3ter", "ingest", "ingest_url"),
        ("m3ter", "time_zone", "timezone"),
        ("orange", "contractid", "contract_id"),
        ("usage-engine", "update_mode", "update_method"),
        ("hyalto", "secretkey", "secret_key"),
    ],
)
def test_an_unknown_key_names_the_closest_valid_one(api: str, wrong: str, right: str) -> None:
    message = settings_error(api, **{wrong: "hunter2-in-the-file"})
    assert (
        f"Connection '{api}' in f.toml: unknown setting '{wrong}' for a {api} connection; "
        f"did you mean '{right}'?"
    ) in message
    assert "Valid keys" not in message
    assert "hunter2-in-the-file" not in message


def test_an_unknown_key_far_from_any_lists_the_valid_ones() -> None:
    message = settings_error("hyalto", colour="blue")
    assert message.startswith("Connection 'hyalto' in f.toml: unknown setting 'colour' for a")
    assert "did you mean" not in message
    assert (
        "Valid keys: api, base_url, rate, timeout, verify, access_key, secret_key, auth_scheme."
        in message
    )


def test_several_unknown_keys_are_named_together() -> None:
    message = settings_error("m3ter", orgid="1", colour="blue")
    assert "unknown settings 'orgid' (did you mean 'org_id'?), 'colour' for a m3ter" in message
    assert "Valid keys: api, base_url" in message


def test_a_target_refuses_a_connection_of_another_api_when_it_is_made() -> None:
    with pytest.raises(ConfigError, match='has api = "orange"; this needs a halopsa connection'):
        HaloClients(conn_of("orange"))


def test_auth_checks_every_setting_while_base_url_reads_only_the_common_ones() -> None:
    """connect asks for the auth before it sends anything; apply records the base URL in
    its journal earlier, where an API setting must not fail it half-written."""
    conn = conn_of("halopsa", scopes="all")
    assert HALOPSA.base_url(conn) == "http://127.0.0.1:9/halopsa"
    with pytest.raises(ConfigError, match="unknown setting 'scopes'"):
        HALOPSA.auth(conn)


@pytest.mark.parametrize("api", APIS)
def test_the_base_url_defaults_to_the_models(api: str) -> None:
    conn = conn_of(api, base_url=None)
    default = api_of(api).Settings.model_fields["base_url"].default
    if isinstance(default, str):
        assert api_of(api).base_url(conn) == default
    else:
        with pytest.raises(ConfigError, match="has no base_url"):
            api_of(api).base_url(conn)


@pytest.mark.parametrize(
    ("api", "changes", "says"),
    [
        ("halopsa", {"verify": "no"}, "verify must be true or false (without quotes), not 'no'"),
        ("halopsa", {"verify": 0}, "verify must be true or false (without quotes), not 0"),
        ("halopsa", {"timeout": "soon"}, "timeout must be a number, not 'soon' (seconds to wait"),
        ("halopsa", {"client_auth": "header"}, 'client_auth must be "basic" or "body", not'),
        ("halopsa", {"rate": ["2/s"]}, "rate must be text in quotes, not ['2/s']"),
        ("usage-engine", {"update_method": "POST"}, 'update_method must be "PUT" or "PATCH"'),
        ("m3ter", {"timezone": "Mars/Olympus"}, "timezone must be an IANA time zone name such"),
    ],
)
def test_a_wrong_value_says_what_is_expected(api: str, changes: dict[str, Any], says: str) -> None:
    message = settings_error(api, **changes)
    assert f"Connection '{api}' in f.toml: " in message
    assert says in message


def test_a_wrong_value_of_a_secret_is_never_shown() -> None:
    message = settings_error("orange", api_key=["hunter2-key"])
    assert "api_key must be text in quotes (a secret)" in message
    assert "hunter2" not in message


def test_update_method_is_read_in_any_case() -> None:
    assert USAGE_ENGINE.settings(conn_of("usage-engine", update_method="put")).update_method == (
        "PUT"
    )
    assert USAGE_ENGINE.settings(conn_of("usage-engine")).update_method == "PATCH"


@pytest.mark.parametrize(
    ("api", "key"),
    [
        (api, name)
        for api in APIS
        for name, info in api_of(api).Settings.model_fields.items()
        if info.is_required()
    ],
)
def test_a_missing_required_setting_says_what_it_is_and_how_to_add_it(api: str, key: str) -> None:
    for absent in (None, "  "):  # left out, or blank
        message = settings_error(api, **{key: absent})
        assert f"Connection '{api}' in f.toml has no {key} (" in message
        assert f'Add  {key} = "…"  under [connections.{api}].' in message
        assert ("${ENV_VAR}" in message) == is_secret_key(key)


def test_a_missing_base_url_names_the_instance() -> None:
    message = settings_error("halopsa", base_url=None)
    assert "has no base_url (the address of your HaloPSA instance" in message


# -- the API of a connection ------------------------------------------------------------


def test_an_unknown_api_names_the_closest_one() -> None:
    conn = Connection("h", "halopas", valid_settings("halopsa"), "f.toml")
    with pytest.raises(ConfigError) as caught:
        HALOPSA.settings(conn)
    assert "Connection 'h' in f.toml: unknown api 'halopas' (did you mean 'halopsa'?)" in str(
        caught.value
    )
    assert "halopsa, hyalto, m3ter, orange, usage-engine" in str(caught.value)


def test_a_connection_of_another_api_says_which_is_needed() -> None:
    with pytest.raises(ConfigError, match='has api = "orange"; this needs a m3ter connection'):
        M3TER.settings(conn_of("orange"))


# -- resolution, caching, copies --------------------------------------------------------


def test_settings_are_parsed_once_per_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROWPUSH_TEST_SECRET", "first")
    conn = conn_of("halopsa", client_secret="${ROWPUSH_TEST_SECRET}")
    settings = HALOPSA.settings(conn)
    monkeypatch.setenv("ROWPUSH_TEST_SECRET", "second")
    assert HALOPSA.settings(conn) is settings
    assert settings.client_secret.get_secret_value() == "first"


def test_a_missing_env_var_is_reported_only_for_the_connection_that_uses_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ROWPUSH_UNSET_SECRET", raising=False)
    halo, m3ter = valid_settings("halopsa"), valid_settings("m3ter")
    config = parse_config(
        {
            "connections": {
                "halo": {"api": "halopsa", **halo, "client_secret": "${ROWPUSH_UNSET_SECRET}"},
                "m3": {"api": "m3ter", **m3ter},
            }
        },
        source="f.toml",
    )
    assert M3TER.settings(config.connection("m3")).org_id == m3ter["org_id"]
    assert config.warnings_for("halo") == []  # the common settings need no secret
    with pytest.raises(ConfigError, match=r"client_secret refers to \$\{ROWPUSH_UNSET_SECRET\}"):
        HALOPSA.settings(config.connection("halo"))


def test_a_number_where_text_is_expected_is_taken_as_text() -> None:
    settings = M3TER.settings(conn_of("m3ter", org_id=12345))
    assert settings.org_id == "12345"


def test_with_settings_makes_a_checked_copy() -> None:
    conn = conn_of("halopsa")
    faster = conn.with_settings(rate="50/s")
    assert faster.rate == "50/s"
    assert conn.rate is None
    assert HALOPSA.settings(faster).client_id == HALOPSA.settings(conn).client_id
    with pytest.raises(ConfigError, match="verify must be true or false"):
        conn.with_settings(verify="no")
    with pytest.raises(TypeError, match="only common settings"):
        conn.with_settings(tenant="acme")
