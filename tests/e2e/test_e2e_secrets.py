"""No secret reaches any byte rowpush produces.

Every verb runs against every API of the sandbox, on the happy path and on each error
path: wrong credentials, a token endpoint that refuses (400) or fails (503) while echoing
all it was sent, an API that echoes the request's headers in its errors (on reads, on
writes), and a token revoked in the middle of an apply (which leaves a journal behind).
Then the scan reads stdout, stderr and every file in the working directory (inside zip
containers too: an .xlsx is compressed XML) for each secret, each wrong secret, the Basic
header form of every "id:secret" pair, and every access token the sandbox issued.

To cover a new verb, add one `Verb` to `VERBS`; to cover a new way of failing, add one
`Scenario` to `SCENARIOS`.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import shutil
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
from e2e_sheets import shifted_tax_codes
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rowpush.config import is_secret_key
from rowpush.http.retry import RetryPolicy
from rowpush.sandbox.app import CONNECTIONS
from rowpush.sandbox.hyalto.options import NAME as HYALTO
from rowpush.sandbox.hyalto.options import HyaltoOptions
from rowpush.sandbox.m3ter.options import NAME as M3TER
from rowpush.sandbox.m3ter.options import M3terOptions
from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.orange.options import NAME as ORANGE
from rowpush.sandbox.orange.options import OrangeOptions
from rowpush.sandbox.server import SandboxServer, toml_string
from rowpush.sandbox.usage_engine.options import NAME as USAGE_ENGINE
from rowpush.sandbox.usage_engine.options import UsageEngineOptions

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


@dataclass(frozen=True)
class Sheet:
    """An input sheet for validate, plan and apply, and how to make it for a sandbox."""

    name: str
    make: Callable[[SandboxServer, Path], object]


def sample(name: str) -> Sheet:
    """A sheet of samples/ (written for the sandbox's default seed)."""
    return Sheet(name, lambda _server, path: shutil.copy(SAMPLES / name, path))


HALO_CLIENTS = 40
"""Few Halo clients: an export reads each one."""
HALO_SHEET = Sheet("clients.csv", lambda server, path: shifted_tax_codes(server, path, 12))
"""12 rows, above halopsa.BY_ID_LIMIT: plan lists the clients. With 10 or fewer it GETs each
by id through asyncio.gather, and when the token is refused the sibling GETs are left
running until the loop closes (a known bug, reported): pytest fails on their warnings."""

# -- the credentials: distinctive, so that any copy of one is found ----------------------


@dataclass(frozen=True)
class Api:
    """One API of the sandbox, its credentials, and what the verbs run on."""

    name: str
    """Its connection's name in rowpush.toml (the sandbox names them after the API)."""
    export: str
    """The target exported (and templated)."""
    target: str | None
    """The target validated, planned and applied; None when the API has none writable."""
    sheet: Sheet | None
    """The sheet for `target`."""
    ident: str
    """The id that goes with the secret (the user part of a Basic header)."""
    secrets: dict[str, str]
    """rowpush.toml key -> the value the sandbox expects."""


APIS = [
    Api(
        "halopsa",
        "halopsa.clients",
        "halopsa.clients",
        HALO_SHEET,
        "scan-halo-id-Hq2",
        {"client_secret": "scanHALOsecret-7Rk2Vw9Zq4"},
    ),
    Api(
        M3TER,
        "m3ter.accounts",
        "m3ter.accounts",
        sample("m3ter_accounts_currency_and_crm.csv"),
        "scan-m3ter-key-Mk5",
        {"api_secret": "scanM3TERsecret-3Lp8Xd6Nc1"},
    ),
    Api(
        ORANGE,
        "orange.users",
        "orange.users",
        sample("orange_users_new_users.csv"),
        "scan-orange-client-Oc7",
        {"client_secret": "scanORANGEsecret-5Tg1Bm4Hy8", "api_key": "scanORANGEapikey-9Wc3Jf7Qs2"},
    ),
    Api(
        USAGE_ENGINE,
        "usage-engine.meter-types",
        "usage-engine.meter-types",
        sample("usage_engine_meter_types_new_type.csv"),
        "scan-ue-id-Ue4",
        {"client_secret": "scanUEsecret-2Kv6Pn8Rd5"},
    ),
    Api(
        HYALTO,
        "hyalto.accounts",
        None,
        None,
        "HYAK-scan-access-Hy9",
        {"secret_key": "scanHYALTOsecret-6Zx4Cq1Lm7"},
    ),
]
BY_NAME = {api.name: api for api in APIS}


def wrong(secret: str) -> str:
    """A wrong value for `secret` that does not contain it."""
    return "WRONG-" + secret[::-1]


def sandbox_options() -> SandboxOptions:
    """The sandbox's own demo data, with the distinctive credentials above."""
    halo, m3ter, orange = BY_NAME["halopsa"], BY_NAME[M3TER], BY_NAME[ORANGE]
    ue, hyalto = BY_NAME[USAGE_ENGINE], BY_NAME[HYALTO]
    return SandboxOptions(
        halo_clients=HALO_CLIENTS,
        retry_after=True,  # backoffs are patched to 0: Usage Engine's token burst needs a wait
        halo_client_id=halo.ident,
        halo_client_secret=halo.secrets["client_secret"],
        apis={
            M3TER: M3terOptions(access_key_id=m3ter.ident, api_secret=m3ter.secrets["api_secret"]),
            ORANGE: OrangeOptions(
                client_id=orange.ident,
                client_secret=orange.secrets["client_secret"],
                api_key=orange.secrets["api_key"],
            ),
            USAGE_ENGINE: UsageEngineOptions(
                client_id=ue.ident, client_secret=ue.secrets["client_secret"]
            ),
            HYALTO: HyaltoOptions(access_key=hyalto.ident, secret_key=hyalto.secrets["secret_key"]),
        },
    )


def env_var(api: str, key: str) -> str:
    return f"ROWPUSH_SCAN_{api.upper().replace('-', '_')}_{key.upper()}"


# -- the server's side of the error paths -----------------------------------------------

SpyMode = Literal["off", "token-400", "token-503", "read-echo", "write-echo", "revoke"]
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Spy:
    """What the middleware in front of the sandbox does, and what it saw."""

    mode: SpyMode = "off"
    revoked: bool = False
    """Set by the first write in "revoke" mode: from then on every token request is refused."""
    tokens: list[str] = field(default_factory=list)
    """Every access token the sandbox issued."""

    def refuses_tokens(self) -> int | None:
        """The status to answer a token request with, or None to let the sandbox answer."""
        if self.mode == "token-400":
            return 400
        if self.mode == "token-503":
            return 503
        return 401 if self.mode == "revoke" and self.revoked else None


class SpyMiddleware:
    """Outermost ASGI layer of the sandbox: notes issued tokens, and plays a server that
    answers errors echoing every credential it received (a chatty server's worst case)."""

    def __init__(self, app: ASGIApp, spy: Spy) -> None:
        self.app = app
        self.spy = spy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        spy = self.spy
        is_token = scope["path"].lower().endswith("/token")
        method = scope["method"]
        if is_token and (status := spy.refuses_tokens()) is not None:
            echo = await _echo(scope, receive)
            if status == 503:
                await _answer(send, 503, f"Service Unavailable. You sent {echo}", "text/plain")
            else:
                body = {"error": "invalid_client", "error_description": f"you sent {echo}"}
                await _answer(send, status, json.dumps(body), "application/json")
            return
        if not is_token and spy.mode == "read-echo" and method == "GET":
            await _answer(send, 400, f"Bad Request. You sent {await _echo(scope, receive)}")
            return
        if not is_token and spy.mode in ("write-echo", "revoke") and method in WRITES:
            spy.revoked = spy.mode == "revoke"
            status = 401 if spy.revoked else 400
            await _answer(send, status, f"Refused. You sent {await _echo(scope, receive)}")
            return
        if not is_token:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    self._note_token(b"".join(chunks))
            await send(message)

        await self.app(scope, receive, keep)

    def _note_token(self, body: bytes) -> None:
        try:
            data = json.loads(body)
        except ValueError:
            return
        if isinstance(data, dict):
            token = data.get("access_token") or data.get("accessToken")
            if isinstance(token, str) and token:
                self.spy.tokens.append(token)


async def _echo(scope: Scope, receive: Receive) -> str:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    sent = [f"{h}: {headers[h]}" for h in ("authorization", "x-api-key") if h in headers]
    return "; ".join([*sent, "body: " + body.decode("utf-8", "replace")[:200]])


async def _answer(send: Send, status: int, text: str, kind: str = "text/plain") -> None:
    body = text.encode()
    headers = [(b"content-type", kind.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# -- verbs and scenarios ----------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One API in one working directory: what a verb needs to build its arguments."""

    api: Api
    dir: Path

    @property
    def connection(self) -> str:
        return self.api.name

    @property
    def sheet(self) -> Path | None:
        """The input sheet, or None for export-only APIs."""
        return None if self.api.sheet is None else self.dir / self.api.sheet.name

    @property
    def results(self) -> Path:
        """Where `apply` writes its results workbook (a later verb may read it)."""
        return self.dir / "results.xlsx"

    @property
    def journal(self) -> Path:
        """The journal `apply` leaves beside its results when it could not finish."""
        return self.dir / "results.xlsx.journal"

    def out(self, name: str) -> str:
        return str(self.dir / f"{self.api.name}-{name}")

    def with_sheet(self, verb: str, *rest: str) -> list[str] | None:
        """`rowpush VERB SHEET -t TARGET REST...`, or None (skip) without a writable target."""
        if self.sheet is None or self.api.target is None:
            return None
        return [verb, str(self.sheet), "-t", self.api.target, *rest]


Kind = Literal["offline", "online", "writes", "retries"]


@dataclass(frozen=True)
class Verb:
    """One command line to run for each API; `args` returns None to skip an API."""

    name: str
    kind: Kind
    """offline: never connects; online: reads from the API; writes: changes records."""
    args: Callable[[Case], list[str] | None]


VERBS = [
    Verb("targets", "offline", lambda c: ["targets"]),
    Verb("template", "offline", lambda c: ["template", c.api.export, "-o", c.out("t.xlsx")]),
    Verb("template csv", "offline", lambda c: ["template", c.api.export, "-o", c.out("t.csv")]),
    Verb(
        "export",
        "online",
        lambda c: ["export", c.api.export, "-c", c.connection, "-o", c.out("export.xlsx")],
    ),
    Verb(
        "export csv",
        "online",
        lambda c: ["export", c.api.export, "-c", c.connection, "-o", c.out("export.csv")],
    ),
    Verb("validate", "offline", lambda c: c.with_sheet("validate")),
    Verb("plan", "online", lambda c: c.with_sheet("plan", "-c", c.connection)),
    Verb("plan --json", "online", lambda c: c.with_sheet("plan", "-c", c.connection, "--json")),
    Verb(
        "apply",
        "writes",
        lambda c: c.with_sheet("apply", "-c", c.connection, "--yes", "--results", str(c.results)),
    ),
    # the verbs that read what apply left: skipped where it left nothing
    Verb("show", "offline", lambda c: ["show", str(c.results)] if c.results.exists() else None),
    Verb(
        "results rebuild",
        "offline",
        lambda c: (
            ["results", "rebuild", str(c.journal), "-o", c.out("rebuilt.xlsx")]
            if c.journal.exists()
            else None
        ),
    ),
    Verb(
        "retry",
        "retries",
        # an unfinished run is resumed, not retried: only a finished one is
        lambda c: (
            ["retry", str(c.results), "--yes", "--results", c.out("retry.xlsx")]
            if c.results.exists() and not c.journal.exists()
            else None
        ),
    ),
]


@dataclass(frozen=True)
class Scenario:
    """A way the run goes, and the exit code each kind of verb should end with."""

    name: str
    spy: SpyMode = "off"
    wrong_secrets: bool = False
    codes: dict[Kind, int] = field(
        default_factory=lambda: {"offline": 0, "online": 0, "writes": 0, "retries": 0}
    )


FAILS: dict[Kind, int] = {"offline": 0, "online": 3, "writes": 3, "retries": 3}
SCENARIOS = [
    Scenario("right credentials"),
    Scenario("wrong credentials", wrong_secrets=True, codes=FAILS),
    Scenario("token endpoint refuses, echoing", spy="token-400", codes=FAILS),
    Scenario("token endpoint fails, echoing", spy="token-503", codes=FAILS),
    Scenario("api echoes headers on reads", spy="read-echo", codes=FAILS),
    Scenario(
        "api echoes headers on writes",
        spy="write-echo",
        codes={"offline": 0, "online": 0, "writes": 1, "retries": 1},
    ),
    Scenario(
        "token revoked mid-apply",
        spy="revoke",
        codes={"offline": 0, "online": 0, "writes": 3, "retries": 3},
    ),
]


# -- the scan ---------------------------------------------------------------------------


class SecretLeaked(AssertionError):
    """A secret was found in an output (its own type, so a known leak's xfail catches
    only this, never an unrelated failure)."""


def needles(secrets: dict[str, str], idents: dict[str, str], tokens: list[str]) -> dict[str, bytes]:
    """What must never appear: label -> bytes. `secrets` and `idents` are keyed alike."""
    found: dict[str, bytes] = {}
    for label, secret in secrets.items():
        found[label] = secret.encode()
        pair = f"{idents[label]}:{secret}".encode()
        found[f"Basic form of {label}"] = base64.b64encode(pair)
    for number, token in enumerate(tokens, 1):
        found[f"access token #{number}"] = token.encode()
        # A message cut at N characters hides a long token's end: its signature, the part
        # that makes it usable. Look for the end on its own too.
        found[f"end of access token #{number}"] = token[-32:].encode()
    return found


def scan_bytes(where: str, data: bytes, wanted: dict[str, bytes]) -> list[str]:
    return [f"{label} in {where}" for label, needle in wanted.items() if needle in data]


def scan_tree(root: Path, wanted: dict[str, bytes], skip: frozenset[Path]) -> tuple[list[str], int]:
    """Findings in every file under `root` (zip members opened), and how many files were read."""
    findings: list[str] = []
    read = 0
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p not in skip):
        read += 1
        shown = str(path.relative_to(root))
        findings += scan_bytes(shown, path.read_bytes(), wanted)
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    findings += scan_bytes(f"{shown}!{member}", archive.read(member), wanted)
    return findings, read


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spied() -> Iterator[tuple[SandboxServer, Spy]]:
    """One sandbox with the distinctive credentials, behind a spy, for the whole module
    (a server costs ~0.25 s to start and stop; `sandbox` resets it for each test)."""
    spy = Spy()
    server = SandboxServer(sandbox_options())
    server.app.add_middleware(SpyMiddleware, spy=spy)
    with server:
        yield server, spy


@pytest.fixture
def spy(spied: tuple[SandboxServer, Spy]) -> Spy:
    """The module's spy, as new: letting everything through, no token seen."""
    found = spied[1]
    fresh = Spy()
    found.mode, found.revoked, found.tokens = fresh.mode, fresh.revoked, fresh.tokens
    return found


@pytest.fixture
def sandbox(spied: tuple[SandboxServer, Spy], spy: Spy) -> SandboxServer:
    """The module's sandbox, reset: its options as `sandbox_options()` makes them, every
    API reseeded, tokens and the request log cleared (overrides conftest's)."""
    server = spied[0]
    fresh = sandbox_options()
    for option in dataclasses.fields(SandboxOptions):
        setattr(server.options, option.name, getattr(fresh, option.name))
    server.state.reset()
    return server


def write_config(workdir: Path, server: SandboxServer) -> None:
    """The sandbox's rowpush.toml, every secret a ${ENV} reference, every API fast."""
    lines: list[str] = []
    for name, connection in CONNECTIONS.items():
        lines += ["", f"[connections.{name}]"]
        for key, value in connection(server.url, server.options).items():
            shown = "${" + env_var(name, key) + "}" if is_secret_key(key) else value
            lines.append(f"{key} = {toml_string(shown)}")
        lines.append('rate = "1000/s"')
    (workdir / "rowpush.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


# -- the tests --------------------------------------------------------------------------


KNOWN_LEAKS: dict[tuple[str, SpyMode], str] = {}
"""(API, spy mode) -> where a leak is; xfail until fixed there (strict: then remove it).
Empty since API messages are scrubbed by the connection's `Redactor` (http/redact.py)."""


def _cases() -> Iterator[Any]:
    for api in APIS:
        for scenario in SCENARIOS:
            leak = KNOWN_LEAKS.get((api.name, scenario.spy))
            marks = (
                [pytest.mark.xfail(reason=leak, raises=SecretLeaked, strict=True)] if leak else []
            )
            ident = f"{api.name}-{scenario.name.replace(' ', '-').replace(',', '')}"
            yield pytest.param(api, scenario, marks=marks, id=ident)


@pytest.mark.parametrize(("api", "scenario"), _cases())
def test_no_secret_reaches_any_output(
    api: Api,
    scenario: Scenario,
    workdir: Path,
    sandbox: SandboxServer,
    spy: Spy,
    rowpush: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(RetryPolicy, "backoff", lambda self, attempt: 0.0)  # 503s: no waiting
    write_config(workdir, sandbox)
    for key, secret in api.secrets.items():
        monkeypatch.setenv(
            env_var(api.name, key), wrong(secret) if scenario.wrong_secrets else secret
        )
    case = Case(api, workdir)
    if case.sheet is not None and api.sheet is not None:
        api.sheet.make(sandbox, case.sheet)
    spy.mode = scenario.spy

    outputs: list[tuple[str, str]] = []
    unexpected: list[str] = []
    for verb in VERBS:
        args = verb.args(case)
        if args is None:
            continue
        result = rowpush(*args)
        outputs += [(f"stdout of {verb.name}", result.out), (f"stderr of {verb.name}", result.err)]
        expected = scenario.codes[verb.kind]
        if result.code != expected or "Traceback" in result.err:
            unexpected.append(f"{verb.name}: exit {result.code}, expected {expected}\n{result.err}")
    assert not unexpected, "\n".join(unexpected)

    secrets = {f"{api.name} {key}": value for key, value in api.secrets.items()}
    secrets |= {f"wrong {label}": wrong(value) for label, value in secrets.items()}
    idents = dict.fromkeys(secrets, api.ident)
    wanted = needles(secrets, idents, spy.tokens)
    findings = [f for where, text in outputs for f in scan_bytes(where, text.encode(), wanted)]
    tree, read = scan_tree(workdir, wanted, skip=frozenset({workdir / "rowpush.toml"}))
    if findings + tree:
        raise SecretLeaked("secrets leaked:\n" + "\n".join(findings + tree))

    # The scan looked at what the scenario is about (else it proves nothing).
    assert read >= 2  # the templates at least
    if not scenario.wrong_secrets and scenario.spy in ("off", "read-echo", "write-echo", "revoke"):
        assert spy.tokens, "no token was issued: the run never authenticated"
    if scenario.name == "right credentials":
        assert Path(case.out("export.xlsx")).is_file()
        assert api.target is None or case.results.is_file()
    if scenario.spy == "revoke" and api.target is not None:
        assert list(workdir.glob("*.journal*")), "the aborted apply left no journal to scan"


def test_the_scan_reads_inside_workbooks_and_knows_the_basic_form(tmp_path: Path) -> None:
    from openpyxl import Workbook

    wanted = needles({"s": "needle-Secret-42"}, {"s": "my-id"}, ["tok-abc"])
    book = Workbook()
    book.active.append(["harmless", "prefix needle-Secret-42 suffix"])  # type: ignore[union-attr]
    book.save(tmp_path / "book.xlsx")
    (tmp_path / "basic.txt").write_text(
        "Authorization: Basic " + base64.b64encode(b"my-id:needle-Secret-42").decode()
    )
    (tmp_path / "token.log").write_text("Bearer tok-abc")
    findings, read = scan_tree(tmp_path, wanted, skip=frozenset())
    assert read == 3
    assert any(f.startswith("s in book.xlsx!xl/") for f in findings)
    assert "s in book.xlsx" not in findings  # compressed: only the member shows it
    assert "Basic form of s in basic.txt" in findings
    assert "access token #1 in token.log" in findings


def test_a_config_others_can_read_with_literal_secrets_warns_without_showing_them(
    workdir: Path, rowpush: Any
) -> None:
    config = workdir / "rowpush.toml"  # conftest's: secrets written out
    out = str(workdir / "a.xlsx")
    config.chmod(0o644)
    shown = rowpush("export", "hyalto.accounts", "-c", "hyalto", "-o", out)
    assert shown.code == 0, shown.err
    assert (
        f"warning: {config} is readable by other users and holds secrets; "
        f"run chmod 600 {config}" in shown.err
    )
    for secret in BY_NAME["hyalto"].secrets.values():
        assert secret not in shown.out + shown.err

    config.chmod(0o600)
    quiet = rowpush("export", "hyalto.accounts", "-c", "hyalto", "-o", out, "--force")
    assert quiet.code == 0, quiet.err
    assert "readable by other users" not in quiet.err


def test_verify_false_warns_on_every_run(workdir: Path, rowpush: Any) -> None:
    config = workdir / "rowpush.toml"
    config.write_text(
        config.read_text().replace('api = "hyalto"', 'api = "hyalto"\nverify = false')
    )
    config.chmod(0o600)
    warning = (
        "warning: connection 'hyalto': TLS certificate verification is off (verify = false); "
        "use it only against a test server"
    )
    for run in range(2):
        result = rowpush("export", "hyalto.accounts", "-c", "hyalto", "-o", f"a{run}.xlsx")
        assert result.code == 0, result.err
        assert warning in result.err
    other = rowpush("export", "m3ter.accounts", "-c", "m3ter", "-o", "m.xlsx")
    assert "verification is off" not in other.err
