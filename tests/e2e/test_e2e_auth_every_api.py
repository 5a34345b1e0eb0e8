"""Every API's auth flow against the sandbox: the right credentials work, wrong ones stop
the run with exit 3 naming the connection and its URL, and no secret is ever shown."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from rowpush.sandbox.server import SandboxServer

# connection (named after its API) → (the secret's key in rowpush.toml, a target to export)
APIS = {
    "halopsa": ("client_secret", "halopsa.clients"),
    "m3ter": ("api_secret", "m3ter.accounts"),
    "orange": ("client_secret", "orange.contracts"),
    "usage-engine": ("client_secret", "usage-engine.meter-types"),
    "hyalto": ("secret_key", "hyalto.accounts"),
}


def _connections(workdir: Path) -> dict[str, Any]:
    data: dict[str, Any] = tomllib.loads((workdir / "rowpush.toml").read_text())["connections"]
    return data


@pytest.mark.sandbox_options(halo_clients=20)
@pytest.mark.parametrize("api", list(APIS))
def test_right_credentials_export_and_wrong_ones_exit_3(
    api: str, workdir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    secret_key, target = APIS[api]
    config = workdir / "rowpush.toml"
    secret = _connections(workdir)[api][secret_key]
    ok = rowpush("export", target, "-c", api, "-o", str(workdir / "ok.xlsx"))
    assert ok.code == 0, ok.err

    text = config.read_text()
    section = re.search(rf"\[connections\.{re.escape(api)}\][^\[]*", text)
    assert section is not None
    broken = section.group(0).replace(secret, "WRONG-" + secret[::-1])
    config.write_text(text.replace(section.group(0), broken))
    bad = rowpush("export", target, "-c", api, "-o", str(workdir / "bad.xlsx"))
    assert bad.code == 3, bad.out + bad.err
    assert f"Connection '{api}'" in bad.err
    assert _connections(workdir)[api]["base_url"].split("/")[2] in bad.err  # host:port
    assert "Traceback" not in bad.err
    for shown in (secret, "WRONG-" + secret[::-1]):
        assert shown not in bad.out + bad.err
    assert not (workdir / "bad.xlsx").exists()
