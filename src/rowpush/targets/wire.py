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
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from rowpush.model import Change

__all__ = [
    "JSON_HEADERS",
    "json_array",
    "json_bytes",
    "json_size",
    "post_json",
    "put_json",
    "wire_of",
]

JSON_HEADERS = {"Content-Type": "application/json"}


_WIRE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def json_bytes(payload: Any) -> bytes:
    """`payload` as compact UTF-8 JSON (no spaces, non-ASCII unescaped, NaN refused):
    the exact bytes `post_json`/`put_json` send."""
    return _WIRE.encode(payload).encode()


def wire_of(change: Change) -> bytes:
    """A change's payload as `json_bytes`, encoded once and kept on the change."""
    if change.wire is None:
        try:
            change.wire = json_bytes(change.payload)
        except ValueError:  # NaN: the API refuses the row; the journal still keeps it
            change.wire = json.dumps(change.payload, separators=(",", ":")).encode()
    return change.wire


def json_array(parts: Iterable[bytes]) -> bytes:
    """A JSON array of already encoded values: `json_bytes` of the list, without
    decoding and encoding them again."""
    return b"[" + b",".join(parts) + b"]"


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
