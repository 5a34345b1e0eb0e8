"""rowpush.toml: connections, secrets from the environment, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from rowpush.config import find_config, load_config
from rowpush.errors import ConfigError

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
    assert conn.require("client_secret") == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(conn)
    assert conn.secrets() == ["s3cr3t-value"]


def test_missing_env_secret_names_the_variable(
    config_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROWPUSH_TEST_SECRET", raising=False)
    conn = load_config().connection("halo")
    with pytest.raises(ConfigError) as caught:
        conn.require("client_secret")
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
