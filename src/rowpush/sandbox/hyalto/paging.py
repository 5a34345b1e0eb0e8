"""JSON:API-style paging (assumed): ``page[number]`` (from 1) and ``page[size]``.

Without page parameters a list comes whole, as the notes advise. With them the answer
adds ``meta`` (``total`` items; ``page`` number, size and last page number) and ``links``
(absolute ``self``, ``first``, ``last``, and ``prev``/``next`` only when such a page exists).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from rowpush.sandbox.hyalto.errors import HyaltoError
from rowpush.sandbox.hyalto.options import HyaltoOptions

NUMBER = "page[number]"
SIZE = "page[size]"


def paged(
    request: Request,
    items: Sequence[Any],
    settings: HyaltoOptions,
    note: Callable[[str], None],
) -> dict[str, Any]:
    """``{"data": [...]}``, plus ``meta`` and ``links`` when a page was asked for."""
    params = request.query_params
    asked = NUMBER in params or SIZE in params
    if not settings.paging:
        if asked:
            note("page parameters ignored: paging is off")
        return {"data": list(items)}
    if not asked and not settings.page_by_default:
        return {"data": list(items)}
    number = _whole(params.get(NUMBER), NUMBER, 1, None, default=1)
    size = _whole(
        params.get(SIZE), SIZE, 1, settings.max_page_size, default=settings.default_page_size
    )
    last = max(1, math.ceil(len(items) / size))
    start = (number - 1) * size
    links = {
        "self": _link(request, number, size),
        "first": _link(request, 1, size),
        "last": _link(request, last, size),
    }
    if number > 1:
        links["prev"] = _link(request, min(number - 1, last), size)
    if number < last:
        links["next"] = _link(request, number + 1, size)
    return {
        "data": list(items[start : start + size]),
        "meta": {"total": len(items), "page": {"number": number, "size": size, "last": last}},
        "links": links,
    }


def _whole(raw: str | None, name: str, low: int, high: int | None, default: int) -> int:
    if raw is None:
        return default
    value = int(raw) if raw.isdigit() else -1
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"{low} or more"
        raise HyaltoError(400, f"{name} must be a whole number {bound}")
    return value


def _link(request: Request, number: int, size: int) -> str:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in (NUMBER, SIZE)]
    query = urlencode([*kept, (NUMBER, str(number)), (SIZE, str(size))])
    return str(request.url.replace(query=query))
