"""`rowpush import openapi`: one operation of an OpenAPI 3 document made into a target.

The columns come from the operation's JSON request body schema (`$ref` and `allOf`
resolved, `nullable` read as optional, enums as dropdowns, formats as types, required
and descriptions kept; nested objects as dotted columns, arrays of scalars as one
`;`-separated cell) and from its path and query parameters. A body that is an array of
records batches. When the document has a GET for the same resource (the list, or the
item by id), the target reads live records and keys them by `id`; an item PUT/PATCH
updates, or else the write itself upserts when its records carry the id.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rowpush.errors import BadInput
from rowpush.importers.documents import parse_json, read_text
from rowpush.importers.output import Imported, env_ref, slug
from rowpush.targets.declared_spec import ColumnDecl, ReadSpec, TargetSpec, WriteSpec

__all__ = ["import_openapi"]

MAX_DEPTH = 4
"""Nested objects deeper than this are left out (and said so)."""
_PAGE_PARAMS = ("page_no", "page", "pagenumber", "page_number", "pageno")
_SIZE_PARAMS = ("page_size", "pagesize", "per_page", "limit", "size", "count")
_PAGING_FLAGS = ("pageinate", "paginate")
_TYPES = {
    "integer": "integer",
    "int": "integer",
    "number": "number",
    "boolean": "boolean",
    "bool": "boolean",
}
_FORMATS = {"date": "date", "date-time": "datetime", "email": "email"}


def _load(path: Path) -> Any:
    text = read_text(path, "OpenAPI document")
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml  # type: ignore[import-untyped,unused-ignore]  # optional: YAML specs only
        except ImportError:
            raise BadInput(
                f"{path} is YAML, and reading YAML needs PyYAML.",
                hint="pip install pyyaml, or convert the document to JSON.",
            ) from None
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise BadInput(f"The OpenAPI document {path} is not YAML: {exc}.") from None
    return parse_json(text, path, "OpenAPI document")


class _Resolver:
    """Local `$ref`s (`#/components/...`), with the place of each error."""

    def __init__(self, doc: dict[str, Any], path: Path) -> None:
        self.doc = doc
        self.path = path

    def deref(self, node: Any, where: str, seen: tuple[str, ...]) -> tuple[Any, tuple[str, ...]]:
        while isinstance(node, dict) and "$ref" in node:
            ref = str(node["$ref"])
            if ref in seen:
                raise BadInput(
                    f"{self.path}: {where}: circular $ref {ref} "
                    f"({' -> '.join([*seen[seen.index(ref) :], ref])}).",
                    hint="rowpush flattens a body into columns; a schema that contains "
                    "itself has no flat form.",
                )
            if not ref.startswith("#/"):
                raise BadInput(f"{self.path}: {where}: $ref {ref} is not in this document.")
            target: Any = self.doc
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    raise BadInput(f"{self.path}: {where}: $ref {ref} points to nothing.")
                target = target[part]
            seen = (*seen, ref)
            node = target
        return node, seen

    def merged(
        self, node: Any, where: str, seen: tuple[str, ...]
    ) -> tuple[dict[str, Any], tuple[str, ...]]:
        """The schema with `allOf` folded in (properties and required united)."""
        node, seen = self.deref(node, where, seen)
        if not isinstance(node, dict):
            raise BadInput(f"{self.path}: {where}: a schema must be an object.")
        if "allOf" not in node:
            return node, seen
        out: dict[str, Any] = {k: v for k, v in node.items() if k != "allOf"}
        props: dict[str, Any] = dict(out.get("properties") or {})
        required: list[str] = list(out.get("required") or [])
        for index, part in enumerate(node["allOf"]):
            sub, _ = self.merged(part, f"{where}.allOf[{index}]", seen)
            props.update(sub.get("properties") or {})
            required += sub.get("required") or []
            out.setdefault("type", sub.get("type"))
        out["properties"], out["required"] = props, required
        return out, seen


def _column(
    name: str, schema: dict[str, Any], required: bool, where: str, description: str = ""
) -> ColumnDecl:
    kind = _TYPES.get(str(schema.get("type")), "text")
    kind = _FORMATS.get(str(schema.get("format")), kind) if kind == "text" else kind
    enum = [str(v) for v in schema.get("enum") or [] if v is not None]
    example = schema.get("example")
    return ColumnDecl(
        name=name,
        type="enum" if enum else kind,
        choices=enum,
        required=required,
        description=" ".join(str(schema.get("description") or description).split()),
        example="" if example is None or isinstance(example, dict | list) else str(example),
        where=where,
        read_only=bool(schema.get("readOnly")),
    )


def _flatten(
    resolver: _Resolver,
    schema: Any,
    prefix: str,
    where: str,
    seen: tuple[str, ...],
    notes: list[str],
    depth: int = 0,
) -> list[ColumnDecl]:
    node, seen = resolver.merged(schema, where, seen)
    required = set(node.get("required") or [])
    columns: list[ColumnDecl] = []
    for name, prop in (node.get("properties") or {}).items():
        place = f"{where}.properties.{name}"
        sub, sub_seen = resolver.merged(prop, place, seen)
        dotted = f"{prefix}{name}"
        if sub.get("type") == "object" or "properties" in sub:
            if depth + 1 >= MAX_DEPTH:
                notes.append(f"{dotted}: nested deeper than {MAX_DEPTH} levels; left out")
                continue
            columns += _flatten(resolver, sub, f"{dotted}.", place, sub_seen, notes, depth + 1)
        elif sub.get("type") == "array":
            items, _ = resolver.merged(sub.get("items") or {}, f"{place}.items", sub_seen)
            if items.get("type") == "object" or "properties" in items:
                notes.append(f"{dotted}: an array of objects has no column; left out")
                continue
            column = _column(
                dotted, items, name in required, "body", str(sub.get("description") or "")
            )
            columns.append(column.model_copy(update={"array": True}))
        else:
            columns.append(_column(dotted, sub, name in required, "body"))
    return columns


def _find(
    doc: dict[str, Any], path: Path, operation: str | None, at: str | None, method: str | None
) -> tuple[str, str, dict[str, Any]]:
    paths = doc.get("paths")
    if not isinstance(paths, dict):
        raise BadInput(f"{path}: paths is missing (at the top level).")
    if operation:
        for p, item in paths.items():
            for m, op in (item or {}).items():
                if isinstance(op, dict) and op.get("operationId") == operation:
                    return p, m.lower(), op
        raise BadInput(f"{path}: no operation has operationId {operation!r}.")
    if not at or not method:
        raise BadInput("Name the operation: --operation ID, or --path P with --method M.")
    found = next((p for p in paths if p == at), None) or next(
        (p for p in paths if p.lower() == at.lower()), None
    )
    if found is None:
        raise BadInput(
            f"{path}: paths has no {at!r}.", hint=f"Paths: {', '.join(list(paths)[:20])}."
        )
    op = (paths[found] or {}).get(method.lower())
    if not isinstance(op, dict):
        raise BadInput(f"{path}: paths.{found} has no {method.lower()} operation.")
    return found, method.lower(), op


def _server(doc: dict[str, Any]) -> tuple[str, str]:
    """(base URL, path prefix) from the first server."""
    servers = doc.get("servers") or []
    url = str(servers[0].get("url") or "") if servers and isinstance(servers[0], dict) else ""
    match = re.match(r"^(https?://[^/]+)(.*)$", url)
    if match:
        return match.group(1), match.group(2).rstrip("/")
    return "", url.rstrip("/")


def import_openapi(
    spec_path: Path,
    *,
    operation: str | None = None,
    path: str | None = None,
    method: str | None = None,
    name: str | None = None,
) -> Imported:
    """The target of one operation (nothing is written here: see `write_imported`)."""
    doc = _load(spec_path)
    if not isinstance(doc, dict):
        raise BadInput(f"{spec_path}: an OpenAPI document is an object at the top level.")
    version = str(doc.get("openapi") or doc.get("swagger") or "")
    if not version.startswith("3."):
        raise BadInput(
            f"{spec_path}: openapi is {version or 'missing'}; rowpush reads OpenAPI 3.0 and 3.1.",
            hint="Convert a Swagger 2.0 document to OpenAPI 3 first (e.g. with swagger2openapi).",
        )
    at, verb, op = _find(doc, spec_path, operation, path, method)
    where = f"paths.{at}.{verb}"
    if verb not in ("post", "put", "patch"):
        raise BadInput(f"{spec_path}: {where} is not a write (post, put or patch).")
    resolver = _Resolver(doc, spec_path)
    notes: list[str] = []
    body, _ = resolver.deref(op.get("requestBody") or {}, f"{where}.requestBody", ())
    content = body.get("content") or {} if isinstance(body, dict) else {}
    media = next((m for m in content if m == "application/json"), None) or next(
        (m for m in content if "json" in m), None
    )
    columns: list[ColumnDecl] = []
    array = False
    if media is not None:
        place = f"{where}.requestBody.content.{media}.schema"
        schema, seen = resolver.merged(content[media].get("schema") or {}, place, ())
        if schema.get("type") == "array":
            array = True
            schema, seen = resolver.merged(schema.get("items") or {}, f"{place}.items", seen)
            place += ".items"
        columns = _flatten(resolver, schema, "", place, seen, notes)
    elif content:
        notes.append(
            f"{where}: no JSON request body ({', '.join(content)}); only parameters mapped"
        )
    for index, param in enumerate(op.get("parameters") or []):
        param, _ = resolver.deref(param, f"{where}.parameters[{index}]", ())
        if param.get("in") in ("path", "query") and param.get("name") not in {
            c.name for c in columns
        }:
            schema, _ = resolver.merged(
                param.get("schema") or {}, f"{where}.parameters[{index}].schema", ()
            )
            columns.append(
                _column(
                    str(param["name"]),
                    schema,
                    bool(param.get("required")),
                    str(param["in"]),
                    str(param.get("description") or ""),
                )
            )
    if not columns:
        raise BadInput(
            f"{spec_path}: {where} takes no variables (no JSON body properties, no path or "
            "query parameters): nothing for a sheet to fill."
        )
    base, prefix = _server(doc)
    title = slug(str((doc.get("info") or {}).get("title") or spec_path.stem))
    segments = [s for s in at.split("/") if s and not s.startswith("{")]
    resource = slug(segments[-1]) if segments else "records"
    target_name = name or f"{title}.{resource if resource.endswith('s') else resource + 's'}"
    write_path = prefix + re.sub(r"\{([^{}]+)\}", r"{{\1}}", at)
    names = {c.name for c in columns}
    key = "id" if "id" in names else None
    paths = doc.get("paths") or {}
    item_path = next(
        (p for p in paths if re.fullmatch(re.escape(at.rstrip("/")) + r"/\{[^{}/]+\}", p)), None
    )
    read: ReadSpec | None = None
    update: WriteSpec | None = None
    if key is not None:
        list_op = (paths.get(at) or {}).get("get")
        get_op = (paths.get(item_path) or {}).get("get") if item_path else None
        if list_op or get_op:
            read = ReadSpec(
                list=prefix + at if list_op else None,
                get=prefix + re.sub(r"\{[^{}]+\}", "{{id}}", item_path)
                if get_op and item_path
                else None,
                **(_paging(list_op) if list_op else {}),
            )
        item_write = next(
            (
                m
                for m in ("patch", "put")
                if item_path and isinstance((paths.get(item_path) or {}).get(m), dict)
            ),
            None,
        )
        if read is None:
            key = None
            notes.append(
                "no GET for this resource: plan says what will be sent, without live records"
            )
        elif item_write and item_path:
            update = WriteSpec(
                method=item_write.upper(), path=prefix + re.sub(r"\{[^{}]+\}", "{{id}}", item_path)
            )
        else:  # the write's records carry the id: an upsert (as Halo's POST arrays are)
            update = WriteSpec(
                method=verb.upper(), path=write_path, array=array, batch_size=100 if array else 1
            )
    if key is not None:
        columns = [
            c.model_copy(update={"required": False}) if c.name == key else c for c in columns
        ]
        if update is not None and update.path != write_path:
            columns = [c.model_copy(update={"where": "body"}) for c in columns]
    label = next((c for c in ("name", "title", "email", "login") if c in names), None)
    target = TargetSpec(
        name=target_name,
        description=" ".join(str(op.get("summary") or f"{verb.upper()} {at}").split())[:120],
        source=f"{spec_path.name}: {where}",
        key=key,
        label=label,
        columns=columns,
        read=read,
        create=WriteSpec(
            method=verb.upper(), path=write_path, array=array, batch_size=100 if array else 1
        ),
        update=update,
    )
    imported = Imported(source=spec_path, connection=title, targets=[target], notes=notes)
    imported.settings = {
        "api": "http",
        "base_url": base or "https://CHANGE-ME.example",
        **_auth(doc, op, title),
    }
    return imported


def _paging(list_op: dict[str, Any]) -> dict[str, Any]:
    params = {
        str(p.get("name")).lower(): str(p.get("name"))
        for p in list_op.get("parameters") or []
        if isinstance(p, dict)
    }
    page = next((params[p] for p in _PAGE_PARAMS if p in params), None)
    size = next((params[p] for p in _SIZE_PARAMS if p in params), None)
    if page is None or size is None:
        return {}
    flags = {params[f]: "true" for f in _PAGING_FLAGS if f in params}
    return {"paging": "page", "page_param": page, "size_param": size, "params": flags}


def _auth(doc: dict[str, Any], op: dict[str, Any], conn: str) -> dict[str, Any]:
    schemes = ((doc.get("components") or {}).get("securitySchemes")) or {}
    wanted = [n for req in (op.get("security") or doc.get("security") or []) for n in req] or list(
        schemes
    )
    for scheme_name in wanted:
        scheme = schemes.get(scheme_name)
        if not isinstance(scheme, dict):
            continue
        kind, http = scheme.get("type"), str(scheme.get("scheme") or "").lower()
        if kind == "http" and http == "bearer":
            return {"auth": "bearer", "token": env_ref(conn, "token")}
        if kind == "http" and http == "basic":
            return {"auth": "basic", "username": "", "password": env_ref(conn, "password")}
        if kind == "apiKey":
            where = "query" if scheme.get("in") == "query" else "header"
            return {
                "auth": "api_key",
                "api_key": env_ref(conn, "api_key"),
                "key_name": str(scheme.get("name")),
                "key_in": where,
            }
        if kind == "oauth2":
            flow = (scheme.get("flows") or {}).get("clientCredentials") or {}
            settings = {
                "auth": "oauth2",
                "auth_url": str(flow.get("tokenUrl") or ""),
                "client_id": env_ref(conn, "client_id"),
                "client_secret": env_ref(conn, "client_secret"),
            }
            scopes = " ".join(flow.get("scopes") or {})
            return {**settings, **({"scope": scopes} if scopes else {})}
    return {}
