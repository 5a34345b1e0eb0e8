"""JSON request bodies as they go on the wire: encoded once, measured exactly, sent as is.

httpx's `json=` picks its own encoding, and it changed between versions (0.27 puts a
space after `,` and `:` and escapes every non-ASCII character; 0.28 is compact UTF-8):
a body measured one way and sent the other can cross an API's byte cap (m3ter's
ingest refuses 512,000 bytes or more with a 403). A target with a byte cap encodes a
body with `json_bytes`, measures it with `json_size` and sends those very bytes with
`post_json`/`put_json`, whatever the httpx version.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

__all__ = ["JSON_HEADERS", "json_bytes", "json_size", "post_json", "put_json"]

JSON_HEADERS = {"Content-Type": "application/json"}


def json_bytes(payload: Any) -> bytes:
    """`payload` as compact UTF-8 JSON (no spaces, non-ASCII unescaped, NaN refused):
    the exact bytes `post_json`/`put_json` send."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def json_size(payload: Any) -> int:
    """How many bytes `payload` takes on the wire (`len(json_bytes(payload))`)."""
    return len(json_bytes(payload))


async def post_json(
    client: httpx.AsyncClient, url: str, body: bytes | Any, **kwargs: Any
) -> httpx.Response:
    """POST `body` (bytes from `json_bytes`, or a value to encode) as application/json."""
    content = body if isinstance(body, bytes) else json_bytes(body)
    return await client.post(url, content=content, headers=JSON_HEADERS, **kwargs)


async def put_json(
    client: httpx.AsyncClient, url: str, body: bytes | Any, **kwargs: Any
) -> httpx.Response:
    """PUT `body` (bytes from `json_bytes`, or a value to encode) as application/json."""
    content = body if isinstance(body, bytes) else json_bytes(body)
    return await client.put(url, content=content, headers=JSON_HEADERS, **kwargs)
