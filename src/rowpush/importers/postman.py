"""`rowpush import postman`: a Postman collection (v2.0/v2.1) made into declarative targets.

One target per request that writes (POST, PUT, PATCH) and takes variables: its columns
are the `{{variables}}` its URL, query and body use that the environment does not fix;
its body template is the raw JSON body. The connection comes from the auth and headers:
a bearer token that another request's test script stores (`pm.environment.set("Token",
pm.response.json().access_token)`) is that token request's OAuth2 client credentials;
Basic auth and API-key headers map as they are. Environment values fill the connection
(secrets are written as `${ENV}` references, never as values).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rowpush.errors import BadInput
from rowpush.importers.documents import parse_json, read_text
from rowpush.importers.output import Imported, env_ref, slug
from rowpush.targets.declared_spec import ColumnDecl, TargetSpec, WriteSpec, placeholders

__all__ = ["import_postman"]

SCHEMAS = ("v2.0.0", "v2.1.0")
_SECRET_WORDS = ("secret", "password", "token", "key", "apikey")
_SKIPPED_HEADERS = {"accept", "content-type", "authorization"}
_UNQUOTED = re.compile(r'(?<!")(\{\{[^{}]+\}\})(?!")')
_TOKEN_SET = re.compile(
    r"""pm\.(?:environment|collectionVariables|globals)\.set\(\s*["']([^"']+)["']"""
)


def _load(path: Path, what: str) -> Any:
    return parse_json(
        read_text(path, what),
        path,
        what,
        hint="Export it from Postman as Collection v2.1 (a .json file).",
    )


def _environment(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    data = _load(path, "environment")
    values = data.get("values") if isinstance(data, dict) else None
    if not isinstance(values, list):
        raise BadInput(f"The environment {path} has no values list (at the top level).")
    env: dict[str, str] = {}
    for index, entry in enumerate(values):
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            raise BadInput(f"The environment {path}: values[{index + 1}] has no key.")
        if entry.get("enabled", True):
            env[entry["key"]] = str(entry.get("value") or "")
    return env


def _requests(items: Any, where: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(place, name, request) of every request, folders walked in order."""
    if not isinstance(items, list):
        raise BadInput(f"{where}: item must be a list.")
    for index, item in enumerate(items):
        place = f"{where}[{index + 1}]"
        if not isinstance(item, dict):
            raise BadInput(f"{place}: not an object.")
        name = str(item.get("name") or f"request {index + 1}")
        if "item" in item:
            yield from _requests(item["item"], f"{place} ({name}).item")
        elif isinstance(item.get("request"), dict):
            yield f"{place} ({name})", name, {**item["request"], "_events": item.get("event")}
        else:
            raise BadInput(f"{place} ({name}): neither a request nor a folder.")


def _url(request: dict[str, Any]) -> tuple[str, list[tuple[str, str]]]:
    url = request.get("url")
    if isinstance(url, str):
        raw, query = url, []
    elif isinstance(url, dict):
        raw = str(url.get("raw") or "")
        query = [
            (str(q.get("key")), str(q.get("value") or ""))
            for q in url.get("query") or []
            if isinstance(q, dict) and not q.get("disabled")
        ]
    else:
        raw, query = "", []
    return raw.split("?", 1)[0], query


def _kv(entries: Any) -> dict[str, str]:
    if not isinstance(entries, list):
        return {}
    return {
        str(e.get("key")): str(e.get("value") or "")
        for e in entries
        if isinstance(e, dict) and not e.get("disabled")
    }


def _stores(events: Any) -> list[str]:
    """The variables a request's test script stores from its answer."""
    found: list[str] = []
    for event in events or []:
        script = event.get("script") if isinstance(event, dict) else None
        lines = script.get("exec") if isinstance(script, dict) else None
        text = "\n".join(lines) if isinstance(lines, list) else str(lines or "")
        found += _TOKEN_SET.findall(text)
    return found


def _is_secret(name: str) -> bool:
    lowered = name.lower().replace("-", "").replace("_", "")
    return any(word in lowered for word in _SECRET_WORDS)


def _split_base(raw: str, env: dict[str, str]) -> tuple[str, str, str | None]:
    """(base URL, path template, host variable): `{{Host}}/contracts` → (Host's value,
    "/contracts", "Host"); a literal `https://h/p` URL → ("https://h", "/p", None)."""
    match = re.match(r"^\{\{([^{}]+)\}\}(.*)$", raw)
    if match:
        return env.get(match.group(1), ""), match.group(2) or "/", match.group(1)
    literal = re.match(r"^(https?://[^/]+)(.*)$", raw)
    if literal:
        return literal.group(1), literal.group(2) or "/", None
    return "", raw if raw.startswith("/") else "/" + raw, None


def _body(request: dict[str, Any], place: str) -> tuple[Any, list[str]]:
    body = request.get("body")
    if not isinstance(body, dict) or not body:
        return None, []
    mode = body.get("mode")
    if mode != "raw":
        return None, [f"{place}: a {mode} body is not mapped (only raw JSON bodies are)"]
    raw = str(body.get("raw") or "")
    if not raw.strip():
        return None, []
    unquoted = [m.group(1)[2:-2].strip() for m in _UNQUOTED.finditer(raw)]
    try:
        return json.loads(_UNQUOTED.sub(r'"\1"', raw)), unquoted
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"{place}: request.body.raw is not JSON ({exc.msg} at line {exc.lineno}, "
            f"column {exc.colno})."
        ) from None


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


def import_postman(collection: Path, environment: Path | None = None) -> Imported:
    """The targets of a collection (nothing is written here: see `write_imported`)."""
    data = _load(collection, "collection")
    info = data.get("info") if isinstance(data, dict) else None
    schema = str(info.get("schema") or "") if isinstance(info, dict) else ""
    if not any(version in schema for version in SCHEMAS):
        raise BadInput(
            f"{collection}: info.schema is {schema or 'missing'!s}; rowpush reads Postman "
            "collections v2.0 and v2.1.",
            hint="Export the collection from Postman as Collection v2.1.",
        )
    env = {**_kv(data.get("variable")), **_environment(environment)}
    stem = collection.name.split(".")[0]
    conn_name = slug(stem)
    imported = Imported(source=collection, connection=conn_name)
    requests = list(_requests(data.get("item"), f"{collection}: item"))
    stored_by = {
        var: (place, req) for place, _, req in requests for var in _stores(req.get("_events"))
    }
    collection_auth = data.get("auth")
    settings: dict[str, Any] = {"api": "http"}
    fixed_headers: dict[str, str] = {}
    conn_vars: dict[str, str] = {}
    for place, name, request in requests:
        method = str(request.get("method") or "GET").upper()
        raw, query = _url(request)
        if any(place == p for p, _ in stored_by.values()):
            continue  # the token request: it becomes the connection's auth
        if method not in ("POST", "PUT", "PATCH"):
            imported.notes.append(f"{name}: a {method} request reads; it becomes no target")
            continue
        base, path, host_var = _split_base(raw, env)
        body, unquoted = _body(request, place)
        used = placeholders(path) + [v for _, q in query for v in placeholders(q)]
        used += [v for s in _strings(body) for v in placeholders(s)]
        columns = list(dict.fromkeys(v for v in used if v not in env))
        if not columns:
            raise BadInput(
                f"{place}: the request takes no variables (its URL, query and body use none "
                "the environment leaves open), so it has nothing for a sheet to fill.",
                hint="Put {{variables}} in its body or URL, or leave it out of the collection.",
            )
        for var in used:
            if var in env and var not in columns:
                conn_vars[var] = env[var]
        if base:
            settings.setdefault("base_url", base)
        elif host_var:
            imported.notes.append(f"{name}: {{{{{host_var}}}}} has no value: set base_url")
        auth = request.get("auth") or collection_auth
        _auth(auth, settings, env, conn_name, stored_by, imported.notes, name)
        for header, value in _kv(request.get("header")).items():
            if header.lower() in _SKIPPED_HEADERS:
                continue
            names = placeholders(value)
            if (names and _is_secret(header)) or any(_is_secret(n) for n in names):
                settings["api_key"] = env_ref(conn_name, "api_key")
                settings["key_name"] = header
            else:
                fixed_headers[header] = _resolve(value, env)
        query_cols = {v for _, q in query for v in placeholders(q)}
        specs = [
            ColumnDecl(
                name=var,
                type="number"
                if var in unquoted
                else ("email" if "mail" in var.lower() else "text"),
                where="path"
                if var in placeholders(path)
                else ("query" if var in query_cols else "body"),
                description=f"{{{{{var}}}}} of the request {name!r}.",
            )
            for var in columns
        ]
        imported.targets.append(
            TargetSpec(
                name=f"{conn_name}.{slug(name)}",
                description=f"{name} (Postman: {(info or {}).get('name') or stem})",
                source=f"{collection.name}: {place.split(': ', 1)[-1]}",
                columns=specs,
                create=WriteSpec(
                    method=method,
                    path=path + (("?" + "&".join(f"{k}={v}" for k, v in query)) if query else ""),
                    body=body,
                ),
            )
        )
    if not imported.targets:
        raise BadInput(
            f"{collection}: no request writes (POST, PUT or PATCH) with variables; "
            "nothing to import.",
        )
    if fixed_headers:
        settings["headers"] = fixed_headers
    if conn_vars:
        settings["vars"] = conn_vars
        blank = [k for k, v in conn_vars.items() if not v]
        if blank:
            imported.notes.append(
                f"fill vars {', '.join(blank)} in [connections.{conn_name}] "
                "(blank in the environment)"
            )
    imported.settings = settings
    return imported


def _resolve(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\{\{([^{}]+)\}\}", lambda m: env.get(m.group(1), m.group(0)), value)


def _auth(
    auth: Any,
    settings: dict[str, Any],
    env: dict[str, str],
    conn: str,
    stored_by: dict[str, tuple[str, dict[str, Any]]],
    notes: list[str],
    name: str,
) -> None:
    if not isinstance(auth, dict) or auth.get("type") in (None, "noauth"):
        return
    kind = auth.get("type")
    fields = _kv(auth.get(kind)) if isinstance(auth.get(kind), list) else {}
    if kind == "bearer":
        token_vars = placeholders(fields.get("token", ""))
        source = stored_by.get(token_vars[0]) if token_vars else None
        if source is not None:
            _oauth2(source[1], settings, env, conn)
            return
        settings.update(auth="bearer", token=env_ref(conn, "token"))
    elif kind == "basic":
        settings.update(auth="basic", username=_resolve(fields.get("username", ""), env))
        settings["password"] = env_ref(conn, "password")
    elif kind == "apikey":
        settings.update(auth="api_key", api_key=env_ref(conn, "api_key"))
        settings["key_name"] = fields.get("key", "X-API-Key")
        settings["key_in"] = "query" if fields.get("in") == "query" else "header"
    else:
        notes.append(f"{name}: {kind} auth is not mapped; set auth in the connection")


def _oauth2(
    token_request: dict[str, Any], settings: dict[str, Any], env: dict[str, str], conn: str
) -> None:
    raw, _ = _url(token_request)
    settings["auth"] = "oauth2"
    settings["auth_url"] = _resolve(raw, env)
    body = token_request.get("body") if isinstance(token_request.get("body"), dict) else {}
    form = _kv(body.get("urlencoded")) if isinstance(body, dict) else {}
    auth = token_request.get("auth") if isinstance(token_request.get("auth"), dict) else {}
    basic = _kv(auth.get("basic")) if isinstance(auth, dict) else {}
    if basic:
        settings["client_id"] = env.get(_var(basic.get("username", "")), "") or env_ref(
            conn, "client_id"
        )
        settings["client_auth"] = "basic"
    elif "client_id" in form:
        settings["client_id"] = env.get(_var(form["client_id"]), "") or env_ref(conn, "client_id")
        settings["client_auth"] = "body"
    settings["client_secret"] = env_ref(conn, "client_secret")
    for extra in ("scope", "audience"):
        if form.get(extra):
            settings[extra] = _resolve(form[extra], env)


def _var(text: str) -> str:
    names = placeholders(text)
    return names[0] if names else ""
