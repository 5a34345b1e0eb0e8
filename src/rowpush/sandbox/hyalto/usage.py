"""The usage report's period filter: ``filter[from]``/``filter[to]`` as ``yyyy-mm-dd hh:mm:ss``.

Parsing is strict (400 otherwise); times are taken as UTC (assumed; the notes do not say).
A daily record matches when its day starts within [from, to] (``filter_match="start"``)
or when the day overlaps that range (``"overlap"``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any, Literal

from starlette.datastructures import QueryParams

from rowpush.sandbox.hyalto.errors import HyaltoError

FROM = "filter[from]"
TO = "filter[to]"
PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
FORMAT = "%Y-%m-%d %H:%M:%S"
DAY = dt.timedelta(days=1)


def period(params: QueryParams, required: bool) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(from, to) of the request; None for an open end when filters are optional."""
    start, end = _moment(params, FROM, required), _moment(params, TO, required)
    if start is not None and end is not None and start > end:
        raise HyaltoError(400, f"{FROM} must not be after {TO}")
    return start, end


def matching(
    records: Sequence[dict[str, Any]],
    start: dt.datetime | None,
    end: dt.datetime | None,
    match: Literal["start", "overlap"],
) -> list[dict[str, Any]]:
    """The records of days inside the period."""
    chosen = []
    for record in records:
        day = dt.datetime.strptime(record["date"], "%Y-%m-%d")
        if match == "start":
            inside = (start is None or day >= start) and (end is None or day <= end)
        else:
            inside = (start is None or day + DAY > start) and (end is None or day <= end)
        if inside:
            chosen.append(record)
    return chosen


def _moment(params: QueryParams, name: str, required: bool) -> dt.datetime | None:
    raw = params.get(name)
    if raw is None:
        if required:
            raise HyaltoError(400, f"{name} is required (yyyy-mm-dd hh:mm:ss)")
        return None
    if PATTERN.fullmatch(raw):
        try:
            return dt.datetime.strptime(raw, FORMAT)
        except ValueError:
            pass
    raise HyaltoError(400, f"{name} must match yyyy-mm-dd hh:mm:ss")
