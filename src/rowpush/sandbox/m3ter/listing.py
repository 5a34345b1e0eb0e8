"""m3ter list queries: ``pageSize``, an opaque ``nextToken``, and array filters.

Answer ``{"data": [...], "nextToken": "..."}``; the last page has no ``nextToken``.
Filters take comma-joined values (``codes=a,b``) and, unless switched off, repeated keys
(``codes=a&codes=b``). Query parameters the emulator does not use are ignored and noted.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from rowpush.sandbox.m3ter.fields import bad
from rowpush.sandbox.m3ter.options import M3terOptions

DIGITS = re.compile(r"^\d{1,9}$")


def list_page(
    records: Iterable[dict[str, Any]],
    query: Sequence[tuple[str, str]],
    *,
    scope: str,
    filters: Mapping[str, str],
    max_page_size: int,
    options: M3terOptions,
    note: Callable[[str], None],
) -> dict[str, Any]:
    """One page of ``records`` matching the query's filters; ``scope`` names the list."""
    page_size = _page_size(query, max_page_size, options.default_page_size)
    offset = _offset(query, scope)
    matching = list(records)
    for param, field in filters.items():
        wanted = _values(query, param, options.repeated_filters, note)
        if wanted is not None:
            matching = [r for r in matching if r.get(field) in wanted]
    for name in dict.fromkeys(name for name, _ in query):
        if name not in filters and name not in ("pageSize", "nextToken"):
            note(f"query parameter {name!r} ignored")
    end = offset + page_size
    page: dict[str, Any] = {"data": matching[offset:end]}
    if end < len(matching):
        page["nextToken"] = encode_token(scope, end)
    return page


def encode_token(scope: str, offset: int) -> str:
    raw = json.dumps({"s": scope, "o": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _page_size(query: Sequence[tuple[str, str]], high: int, default: int) -> int:
    raw = _last(query, "pageSize")
    if raw is None or raw == "":
        return default
    if not DIGITS.match(raw) or not 1 <= int(raw) <= high:
        raise bad(f"pageSize must be a whole number from 1 to {high}, got {raw!r}")
    return int(raw)


def _offset(query: Sequence[tuple[str, str]], scope: str) -> int:
    token = _last(query, "nextToken")
    if token is None or token == "":
        return 0
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        raise bad("Invalid nextToken") from None
    if not isinstance(decoded, dict) or decoded.get("s") != scope:
        raise bad("Invalid nextToken")
    offset = decoded.get("o")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise bad("Invalid nextToken")
    return offset


def _values(
    query: Sequence[tuple[str, str]], name: str, repeated: bool, note: Callable[[str], None]
) -> set[str] | None:
    raw = [value for key, value in query if key == name]
    if not raw:
        return None
    if len(raw) > 1 and not repeated:
        note(f"repeated {name!r}: only the last value used (repeated_filters is off)")
        raw = raw[-1:]
    values = {part.strip() for value in raw for part in value.split(",") if part.strip()}
    if not values:
        note(f"empty {name!r} ignored")
        return None
    return values


def _last(query: Sequence[tuple[str, str]], name: str) -> str | None:
    found = [value for key, value in query if key == name]
    return found[-1] if found else None
