"""The server itself: threads and ports, the request log, the printed config, layering."""

from __future__ import annotations

import ast
import base64
import os
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest

from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.requestlog import REDACTED
from rowpush.sandbox.server import SandboxServer, render_config

SANDBOX_SRC = Path(__file__).resolve().parents[2] / "src" / "rowpush" / "sandbox"


def test_request_log_records_requests_with_credentials_redacted(
    anon: httpx.Client, server: SandboxServer
) -> None:
    opts = server.options
    secret = opts.halo_client_secret
    form = {
        "grant_type": "client_credentials",
        "client_id": opts.halo_client_id,
        "client_secret": secret,
    }
    token = anon.post("/auth/token", data=form).json()["access_token"]
    basic = base64.b64encode(f"{opts.halo_client_id}:{secret}".encode()).decode()
    anon.post(
        "/auth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    cid = next(iter(server.state.halopsa.clients))
    body = [{"id": cid, "notes": "logged"}]
    anon.post(
        "/api/client", json=body, params={"x": "1"}, headers={"Authorization": f"Bearer {token}"}
    )

    form_entry, basic_entry, post_entry = server.state.requests.entries(api="halopsa")
    assert form_entry.body["client_secret"] == REDACTED
    assert form_entry.body["client_id"] == opts.halo_client_id
    assert basic_entry.headers["authorization"] == f"Basic {REDACTED}"
    assert post_entry.headers["authorization"] == f"Bearer {REDACTED}"
    assert (post_entry.method, post_entry.path, post_entry.params) == (
        "POST",
        "/halopsa/api/client",
        {"x": "1"},
    )
    assert post_entry.body == body
    assert post_entry.headers["content-type"] == "application/json"
    assert post_entry.status == 201
    assert post_entry.at > 0
    everything = repr(server.state.requests.entries())
    assert secret not in everything
    assert token not in everything
    assert basic not in everything


def test_render_config_is_valid_toml_that_connects(server: SandboxServer) -> None:
    text = render_config(server.url, server.options)
    config = tomllib.loads(text)
    halo = config["connections"]["halopsa"]
    assert halo == {
        "api": "halopsa",
        "base_url": f"{server.url}/halopsa",
        "client_id": "sandbox-halo-id",
        "client_secret": server.options.halo_client_secret,
    }
    form = {
        "grant_type": "client_credentials",
        "client_id": halo["client_id"],
        "client_secret": halo["client_secret"],
    }
    assert httpx.post(f"{halo['base_url']}/auth/token", data=form, verify=False).status_code == 200


def test_render_config_escapes_credentials() -> None:
    opts = SandboxOptions(halo_client_secret='quote" back\\slash\ttab', halo_client_id="id")
    config = tomllib.loads(render_config("http://127.0.0.1:9/", opts))
    assert config["connections"]["halopsa"]["client_secret"] == 'quote" back\\slash\ttab'
    assert config["connections"]["halopsa"]["base_url"] == "http://127.0.0.1:9/halopsa"


def test_servers_bind_free_loopback_ports_and_release_them() -> None:
    opts = SandboxOptions(halo_clients=3)
    with SandboxServer(opts) as first, SandboxServer(opts) as second:
        assert first.url.startswith("http://127.0.0.1:")
        assert first.url != second.url
        assert httpx.get(first.url + "/", verify=False).json()["apis"]["halopsa"] == ["/halopsa"]
        url = second.url
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/", verify=False)


def test_unknown_paths_and_methods(anon: httpx.Client) -> None:
    assert anon.get("/api/NoSuchThing").status_code == 404
    assert anon.delete("/api/Client/12").status_code == 405
    assert anon.get("/auth/token").status_code == 405
    assert (
        httpx.get(str(anon.base_url).replace("/halopsa", "/nope"), verify=False).status_code == 404
    )


def test_serve_runs_until_interrupted(tmp_path: Path) -> None:
    script = (
        "from rowpush.sandbox.server import serve\n"
        "from rowpush.sandbox.options import SandboxOptions\n"
        "opts = SandboxOptions(halo_clients=3)\n"
        "serve('127.0.0.1', 0, opts, on_ready=lambda url: print(url, flush=True))\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        response = httpx.get(f"{url}/halopsa/api/authinfo", verify=False, timeout=10)
        assert response.json()["tenant_id"] == "sandbox"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) in (0, -signal.SIGINT, 130)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_sandbox_imports_nothing_else_from_rowpush() -> None:
    allowed_roots = {"starlette", "uvicorn", "rowpush"}
    for path in SANDBOX_SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                root = name.split(".")[0]
                assert root in sys.stdlib_module_names or root in allowed_roots, f"{path}: {name}"
                if root == "rowpush":
                    assert name.startswith("rowpush.sandbox"), f"{path} imports {name}"


def test_package_import_is_light() -> None:
    code = (
        "import sys, rowpush.sandbox; print('starlette' in sys.modules, 'uvicorn' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
    )
    assert out.stdout.strip() == "False False"
