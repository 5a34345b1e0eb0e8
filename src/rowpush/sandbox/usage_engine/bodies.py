"""Request bodies: the size limit (413) and JSON objects (one object per call)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from rowpush.sandbox.usage_engine.errors import UEError
from rowpush.sandbox.usage_engine.options import UsageEngineOptions

TOO_LARGE = "Request body too large"


async def read_body(request: Request, options: UsageEngineOptions) -> bytes:
    """The raw body, or 413 past ``max_body_bytes`` (checked on Content-Length first)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > options.max_body_bytes:
        raise UEError(413, TOO_LARGE)
    body = await request.body()
    if len(body) > options.max_body_bytes:
        raise UEError(413, TOO_LARGE)
    return body


def media_type(request: Request) -> str:
    """The Content-Type without parameters, lower-cased ("" when absent)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def is_json(request: Request) -> bool:
    kind = media_type(request)
    return kind == "application/json" or kind.endswith("+json")


async def json_object(request: Request, options: UsageEngineOptions) -> Any:
    """The body parsed as JSON (the caller checks its shape); 400 unless sent as JSON."""
    body = await read_body(request, options)
    if not is_json(request):
        raise UEError(400, "Content-Type must be application/json")
    try:
        return json.loads(body)
    except ValueError:
        raise UEError(400, "The request body is not valid JSON") from None
