"""Auth against the sandbox: tokens expire mid-run and are refreshed; both client-auth styles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from e2e_sheets import APPLY_CSV, applied_ids, shifted_tax_codes

from rowpush.sandbox.server import SandboxServer


def _token_requests(sandbox: SandboxServer) -> list[Any]:
    return [r for r in sandbox.state.requests if r.path.lower().endswith("/auth/token")]


@pytest.mark.slow
@pytest.mark.sandbox_options(token_ttl=1, latency_ms=60)
def test_expiring_tokens_are_refreshed_without_losing_a_row(
    workdir: Path, sandbox: SandboxServer, rowpush: Any
) -> None:
    sheet = workdir / "c.csv"
    ids = shifted_tax_codes(sandbox, sheet, 24)
    result = rowpush(
        *APPLY_CSV,
        str(sheet),
        "--results",
        str(workdir / "r.xlsx"),
        "--batch-size",
        "1",
        "--concurrency",
        "1",
    )
    assert result.code == 0, result.err
    assert len(_token_requests(sandbox)) >= 3, "the token was never refreshed"
    assert applied_ids(sandbox) == ids  # none lost, none sent twice


@pytest.mark.parametrize("style", ["basic", "body"])
def test_client_credentials_as_basic_header_or_in_the_body(
    workdir: Path, sandbox: SandboxServer, rowpush: Any, style: str
) -> None:
    config = workdir / "rowpush.toml"
    config.write_text(
        config.read_text().replace('api = "halopsa"', f'api = "halopsa"\nclient_auth = "{style}"')
    )
    sheet = workdir / "c.csv"
    sheet.write_text(f"id\n{sorted(sandbox.state.halopsa.clients)[0]}\n", encoding="utf-8")
    result = rowpush("plan", str(sheet), "-t", "halopsa.clients", "-c", "halopsa")
    assert result.code == 0, result.err
    (token,) = _token_requests(sandbox)
    assert token.status == 200
    assert token.body["grant_type"] == "client_credentials"
    assert token.body["scope"] == "all"
    if style == "basic":
        assert token.headers["authorization"].startswith("Basic")
        assert "client_id" not in token.body
    else:
        assert "authorization" not in token.headers
        assert token.body["client_id"] == sandbox.options.halo_client_id
