"""rowpush.toml: connections, secrets from the environment, clear errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rowpush.config import find_config, load_config, parse_config
from rowpush.errors import ConfigError
from rowpush.targets.halopsa import HALOPSA

TOML = """
[connections.halo]
api = "halopsa"
base_url = "https://acme.halopsa.com/"
client_id = "abc"
client_secret = "${ROWPUSH_TEST_SECRET}"
rate = "2/s"
"""


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "rowpush.toml"
    path.write_text(TOML, encoding="utf-8")
    monkeypatch.setenv("ROWPUSH_CONFIG", str(path))
    return path


def test_connection_settings_and_env_secret(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROWPUSH_TEST_SECRET", "s3cr3t-value")
    conn = load_config().connection("halo")
    assert conn.api == "halopsa"
    assert conn.base_url == "https://acme.halopsa.com"
    assert conn.rate == "2/s"
    settings = HALOPSA.settings(conn)
    assert settings.client_secret.get_secret_value() == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(conn)
    assert "s3cr3t-value" not in repr(settings)
    assert conn.secrets() == ["s3cr3t-value"]


def test_missing_env_secret_names_the_variable(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROWPUSH_TEST_SECRET", raising=False)
    conn = load_config().connection("halo")
    with pytest.raises(ConfigError) as caught:
        HALOPSA.settings(conn)
    text = str(caught.value)
    assert "client_secret refers to ${ROWPUSH_TEST_SECRET}" in text
    assert "export ROWPUSH_TEST_SECRET=" in text
    assert caught.value.exit_code == 3


def test_unknown_connection_lists_the_known_ones(config_file: Path) -> None:
    with pytest.raises(ConfigError, match=r"Unknown connection 'prod'.*connections defined: halo"):
        load_config().connection("prod")


def test_no_config_file_says_how_to_get_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROWPUSH_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert find_config() is None
    with pytest.raises(ConfigError, match=r"no rowpush\.toml was found") as caught:
        load_config().connection("halo")
    assert "rowpush sandbox --config-out rowpush.toml" in str(caught.value)


def test_malformed_toml_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[connections.halo\napi=", encoding="utf-8")
    monkeypatch.setenv("ROWPUSH_CONFIG", str(path))
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_config()


def test_connection_without_api_says_what_to_add(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "rowpush.toml"
    path.write_text('[connections.x]\nbase_url = "https://a"\n', encoding="utf-8")
    monkeypatch.setenv("ROWPUSH_CONFIG", str(path))
    with pytest.raises(ConfigError, match=r"\[connections.x\] has no api"):
        load_config()


# -- warnings: a readable file holding secrets, TLS verification off ----------------------

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")

LITERAL = """
[connections.halo]
api = "halopsa"
client_id = "abc"
client_secret = "literal-s3cr3t-in-the-file"

[connections.m3ter]
api = "m3ter"
api_secret = "${ROWPUSH_TEST_SECRET}"
"""


def _config_at(tmp_path: Path, text: str, mode: int) -> Path:
    path = tmp_path / "rowpush.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


@posix_only
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_file_others_can_read_holding_a_literal_secret_warns_to_chmod_600(
    tmp_path: Path, mode: int
) -> None:
    path = _config_at(tmp_path, LITERAL, mode)
    config = load_config(path)
    expected = f"{path} is readable by other users and holds secrets; run chmod 600 {path}"
    assert config.warnings_for("halo") == [expected]
    # The whole file is exposed: using another connection of it warns as well.
    assert config.warnings_for("m3ter") == [expected]
    assert "literal-s3cr3t-in-the-file" not in expected


@posix_only
@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_a_private_file_holding_a_literal_secret_does_not_warn(tmp_path: Path, mode: int) -> None:
    config = load_config(_config_at(tmp_path, LITERAL, mode))
    assert config.warnings_for("halo") == []


@posix_only
def test_env_and_keyring_references_in_a_readable_file_do_not_warn(tmp_path: Path) -> None:
    text = """
[connections.halo]
api = "halopsa"
client_id = "abc"
client_secret = "${ROWPUSH_TEST_SECRET}"

[connections.orange]
api = "orange"
client_secret = "keyring:rowpush/orange"
api_key = "${ORANGE_KEY_PART_1}${ORANGE_KEY_PART_2}"
"""
    config = load_config(_config_at(tmp_path, text, 0o644))
    assert config.warnings_for("halo") == []
    assert config.connection("orange").literal_secrets() == []


def test_text_around_a_reference_counts_as_a_literal_secret() -> None:
    config = parse_config(
        {"connections": {"x": {"api": "halopsa", "client_secret": "abc-${PART}", "tenant": "t"}}},
        source="<test>",
    )
    assert config.connection("x").literal_secrets() == ["client_secret"]


@posix_only
def test_the_chmod_hint_quotes_a_path_with_spaces(tmp_path: Path) -> None:
    folder = tmp_path / "my configs"
    folder.mkdir()
    path = _config_at(folder, LITERAL, 0o644)
    (warning,) = load_config(path).warnings_for("halo")
    assert warning.endswith(f"run chmod 600 '{path}'")


def test_verify_false_warns_on_every_use_of_that_connection(tmp_path: Path) -> None:
    text = """
[connections.staging]
api = "halopsa"
verify = false

[connections.prod]
api = "halopsa"
"""
    config = load_config(_config_at(tmp_path, text, 0o600))
    expected = [
        "connection 'staging': TLS certificate verification is off (verify = false); "
        "use it only against a test server"
    ]
    assert config.warnings_for("staging") == expected
    assert config.warnings_for("staging") == expected  # every time, not once
    assert config.warnings_for("prod") == []


def test_a_config_without_a_file_has_no_file_warning() -> None:
    config = parse_config(
        {"connections": {"x": {"api": "halopsa", "client_secret": "literal"}}}, source="<test>"
    )
    assert config.warnings_for("x") == []


def test_verify_must_be_a_boolean_not_a_string() -> None:
    from rowpush.config import parse_config
    from rowpush.errors import ConfigError

    config = parse_config(
        {"connections": {"h": {"api": "halopsa", "verify": "false"}}}, source="rowpush.toml"
    )
    with pytest.raises(ConfigError, match=r"verify must be true or false \(without quotes\)"):
        _ = config.connection("h").verify
