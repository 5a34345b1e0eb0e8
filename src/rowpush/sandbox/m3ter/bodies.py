"""Reading JSON request bodies as m3ter's Java services do: strict JSON, JSON content type."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from rowpush.sandbox.m3ter.errors import M3terError


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_no_constants)
"""Built once: ``json.loads`` with a keyword builds a decoder per call."""


def parse_json(raw: bytes) -> Any:
    """``raw`` as JSON (``NaN``/``Infinity`` refused), or 400."""
    try:
        # Decoded as json.loads decodes bytes (UTF-8/16/32 detected, a UTF-8 BOM allowed).
        return _DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))
    except ValueError:
        raise M3terError(400, "Malformed JSON request body") from None


def require_json_type(request: Request) -> None:
    """415 unless the body is declared ``application/json``."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise M3terError(
            415, f"Unsupported Media Type {content_type or '(none)'!r}: send application/json"
        )


async def json_body(request: Request) -> Any:
    require_json_type(request)
    return parse_json(await request.body())
