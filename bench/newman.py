"""rowpush against newman (the Postman CLI): the same HaloPSA update from one CSV.

    .venv/bin/python bench/newman.py                # 5,000 client updates
    .venv/bin/python bench/newman.py --rows 200

Writes one CSV of N HaloPSA client updates (`id,item_tax_code`), then applies it to a
sandbox served by this process (no rate limit) twice, from the same seeded state:

- newman, as Postman users do it: a collection whose one request is
  `POST /api/Client` with `[{"id": {{id}}, "item_tax_code": {{item_tax_code}}}]`, run
  once per CSV row (`newman run -d updates.csv`), a token fetched first by the
  collection's pre-request script, each answer checked by a test;
- `rowpush apply updates.csv -t halopsa.clients --yes --rate 100000/s`.

Prints each one's wall time (rowpush's includes its start, its plan against the live
records and its results workbook), the rows each left updated, and the ratio. newman
comes from npm, installed once into a temporary folder (`--newman` names another); the
bench says so and stops if npm is missing. Figures, not assertions; the test suite runs
it on a tiny N only when newman is already installed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from installed import cli_env

from rowpush.sandbox.options import SandboxOptions
from rowpush.sandbox.server import SandboxServer, render_config

NEWMAN_HOME = Path(tempfile.gettempdir()) / "rowpush-bench-newman"
"""Where newman is installed (once): `npm install newman` in this folder."""
NEWMAN_VERSION = "6"

TOKEN_SCRIPT = """
if (!pm.collectionVariables.get("token")) {
  pm.sendRequest({
    url: pm.collectionVariables.get("base") + "/auth/token",
    method: "POST",
    header: {"Content-Type": "application/x-www-form-urlencoded"},
    body: {mode: "urlencoded", urlencoded: [
      {key: "grant_type", value: "client_credentials"},
      {key: "client_id", value: pm.collectionVariables.get("client_id")},
      {key: "client_secret", value: pm.collectionVariables.get("client_secret")},
      {key: "scope", value: "all"}
    ]}
  }, function (err, res) {
    pm.collectionVariables.set("token", res.json().access_token);
  });
}
"""
SAVED_TEST = """
pm.test("saved", function () { pm.expect(pm.response.code).to.be.oneOf([200, 201]); });
"""


def newman_path(given: str | None) -> Path | None:
    """The newman to run: `given`, else one installed in `NEWMAN_HOME`, else on PATH."""
    if given:
        return Path(given)
    installed = NEWMAN_HOME / "node_modules" / ".bin" / "newman"
    if installed.exists():
        return installed
    found = shutil.which("newman")
    return Path(found) if found else None


def install_newman() -> Path | None:
    """`npm install newman` into `NEWMAN_HOME`; None (after saying why) without npm."""
    npm = shutil.which("npm")
    if npm is None:
        print("npm is not installed: newman (the Postman CLI) comes from npm; skipping.")
        return None
    NEWMAN_HOME.mkdir(parents=True, exist_ok=True)
    print(f"installing newman@{NEWMAN_VERSION} into {NEWMAN_HOME} …", flush=True)
    command = [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"]
    done = subprocess.run(
        [*command, f"newman@{NEWMAN_VERSION}"], cwd=NEWMAN_HOME, capture_output=True, text=True
    )
    if done.returncode != 0:
        print(f"npm install newman failed; skipping.\n{done.stderr}")
        return None
    return NEWMAN_HOME / "node_modules" / ".bin" / "newman"


def collection(base: str, client_id: str, client_secret: str) -> dict[str, Any]:
    """A Postman collection (v2.1): one Halo client update per iteration."""
    body = '[{"id": {{id}}, "item_tax_code": {{item_tax_code}}}]'
    return {
        "info": {
            "name": "HaloPSA client updates",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "variable": [
            {"key": "base", "value": base},
            {"key": "client_id", "value": client_id},
            {"key": "client_secret", "value": client_secret},
            {"key": "token", "value": ""},
        ],
        "event": [{"listen": "prerequest", "script": {"exec": TOKEN_SCRIPT.splitlines()}}],
        "item": [
            {
                "name": "Update client",
                "event": [{"listen": "test", "script": {"exec": SAVED_TEST.splitlines()}}],
                "request": {
                    "method": "POST",
                    "url": "{{base}}/api/Client",
                    "header": [
                        {"key": "Authorization", "value": "Bearer {{token}}"},
                        {"key": "Content-Type", "value": "application/json"},
                    ],
                    "body": {"mode": "raw", "raw": body},
                },
            }
        ],
    }


def write_updates(path: Path, clients: dict[int, dict[str, Any]], rows: int) -> dict[int, int]:
    """`rows` clients moved to another item tax code; returns id → the code wanted."""
    wanted = {cid: (clients[cid]["item_tax_code"] or 0) % 4 + 1 for cid in sorted(clients)[:rows]}
    lines = ["id,item_tax_code", *(f"{cid},{code}" for cid, code in wanted.items())]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return wanted


def updated(sandbox: SandboxServer, wanted: dict[int, int]) -> int:
    clients = sandbox.state.halopsa.clients
    return sum(clients[cid]["item_tax_code"] == code for cid, code in wanted.items())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000, help="client updates (5000)")
    parser.add_argument("--newman", help="a newman executable (default: install one)")
    args = parser.parse_args()
    newman = newman_path(args.newman) or install_newman()
    if newman is None:
        return 0
    options = SandboxOptions(halo_clients=max(args.rows, 500))  # no rate limit
    with SandboxServer(options) as sandbox, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sheet = folder / "updates.csv"
        wanted = write_updates(sheet, sandbox.state.halopsa.clients, args.rows)
        base = f"{sandbox.url}/halopsa"
        made = collection(base, options.halo_client_id, options.halo_client_secret)
        (folder / "collection.json").write_text(json.dumps(made), encoding="utf-8")

        started = time.perf_counter()
        postman = subprocess.run(
            [str(newman), "run", "collection.json", "-d", sheet.name, "--silent"],
            cwd=folder,
            capture_output=True,
            text=True,
        )
        newman_took = time.perf_counter() - started
        newman_requests = len(sandbox.state.requests)
        newman_updated = updated(sandbox, wanted)

        sandbox.state.reset()  # the same seeded clients again
        config = folder / "rowpush.toml"
        config.write_text(render_config(sandbox.url, options), encoding="utf-8")
        config.chmod(0o600)  # it holds (the sandbox's) secrets: rowpush warns otherwise
        command = [
            sys.executable, "-m", "rowpush", "apply", sheet.name, "-t", "halopsa.clients",
            "-c", "halopsa", "--yes", "--rate", "100000/s", "--results", "results.xlsx",
        ]  # fmt: skip
        env = cli_env(config)  # bytecode compiled, as installed
        started = time.perf_counter()
        ours = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
        rowpush_took = time.perf_counter() - started
        rowpush_requests = len(sandbox.state.requests)
        rowpush_updated = updated(sandbox, wanted)
    print(
        f"python {sys.version.split()[0]}; newman {newman_version(newman)}; {args.rows} "
        "HaloPSA client updates from one CSV; sandbox on 127.0.0.1, no rate limit"
    )
    print(
        f"newman   {newman_took:8.2f} s  {newman_requests:>6} requests  "
        f"updated {newman_updated:,}  exit code {postman.returncode}"
    )
    print(
        f"rowpush  {rowpush_took:8.2f} s  {rowpush_requests:>6} requests  "
        f"updated {rowpush_updated:,}  exit code {ours.returncode}"
    )
    print(f"rowpush is {newman_took / rowpush_took:.1f}x faster than newman")
    if postman.returncode != 0:
        print(postman.stdout[-2000:], postman.stderr[-2000:], file=sys.stderr)
    if ours.returncode != 0:
        print(ours.stdout[-2000:], ours.stderr[-2000:], file=sys.stderr)
    done = postman.returncode == ours.returncode == 0
    return 0 if done and newman_updated == rowpush_updated == args.rows else 1


def newman_version(newman: Path) -> str:
    done = subprocess.run([str(newman), "--version"], capture_output=True, text=True)
    return done.stdout.strip() or "?"


if __name__ == "__main__":
    sys.exit(main())
