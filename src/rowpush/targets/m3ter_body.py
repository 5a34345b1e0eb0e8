"""A measurement's body, its uid text and its wire bytes, encoded by template per sheet.

A million-row ingest builds one body per row; json's encoder, `sorted()` and `uuid5`
per row were most of planning's cost. A sheet's rows share their field names, so the
layout of the body (which categories, in which order) is worked out once per set of
names (`BodyLayout`), and each row only encodes its values into two templates:

- the uid text, exactly `json.JSONEncoder(sort_keys=True, separators=(",", ":"))` of
  the body without its uid (ASCII escapes): the derived uid hashes it, and m3ter
  deduplicates re-runs by that uid, so these bytes must never change;
- the wire, exactly `targets.wire.json_bytes` of the body (compact UTF-8).

Strings go through the json module's own C escapers and numbers through the `repr`
json uses, so the bytes are the json module's; anything unusual (a number that is
not a plain int or float) falls back to the json encoders themselves.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from json.encoder import encode_basestring, encode_basestring_ascii
from operator import itemgetter
from typing import Any

__all__ = [
    "NUMERIC",
    "UID_CONTENT",
    "UID_NAMESPACE",
    "BodyLayout",
    "as_number",
    "body_layout",
    "uuid5_text",
]

UID_NAMESPACE = uuid.UUID("6f1b8f3e-3c1a-4a59-9d0c-7b2f5e0a9c41")
# The text a derived uid is the hash of (sorted keys, compact): changing it would change
# every derived uid, and m3ter would count a re-run of an old sheet twice.
UID_CONTENT = json.JSONEncoder(sort_keys=True, separators=(",", ":"))

# The variant nibble uuid5 writes (RFC 4122: binary 10xx) for each hex digit hashed.
_VARIANT = {f"{n:x}": f"{(n & 0x3) | 0x8:x}" for n in range(16)}
_SHA1_NAMESPACE = hashlib.sha1(UID_NAMESPACE.bytes)
_LAYOUTS_KEPT = 256  # distinct column sets remembered; a sheet has one or a few
NUMERIC = frozenset({"measure", "cost", "income"})
"""Categories whose values are numbers."""


def uuid5_text(content: bytes) -> str:
    """`str(uuid.uuid5(UID_NAMESPACE, content))`, without building a UUID object."""
    digest = _SHA1_NAMESPACE.copy()
    digest.update(content)
    h = digest.hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


@dataclass(frozen=True)
class BodyLayout:
    """The shape of the bodies of rows with one set of field names."""

    fields: tuple[tuple[str, str, str, bool], ...]
    """Each data field (name, category, code, numeric), in the body's order: sorted
    names, as the body has always been built (so codes sorted within a category)."""
    checked: tuple[tuple[str, str, str, bool], ...]
    """The same, in the row's own order (the order `check` reports problems in)."""
    uid_template: str
    uid_order: Callable[[list[str]], tuple[str, ...]]
    """Picks the encoded parts (meter, account, ts, [ets], fields…) in the uid text's
    order: its keys sorted."""
    wire_template: str
    """The body as sent: meter, account, ts, [ets], the categories, then the uid."""

    def encode(
        self, body: dict[str, Any], values: Mapping[str, Any]
    ) -> tuple[dict[str, Any], bytes | None] | None:
        """`body` (meter, account, ts, [ets] set, as text) completed with the data fields
        of `values` and the uid (the row's own, or derived from the uid text), and its wire
        bytes. None when a value is not one this encodes exactly (`body` is then left
        part-filled); wire None when the body is not UTF-8 (a lone surrogate: `wire_of`
        falls back, as it always did)."""
        ascii_parts = []
        wire_parts = []
        for text in body.values():
            if type(text) is not str:
                return None
            ascii_parts.append(encode_basestring_ascii(text))
            wire_parts.append(encode_basestring(text))
        for name, category, code, numeric in self.fields:
            value = values[name]
            if numeric:
                number = as_number(value)
                kind = type(number)
                if kind is int:
                    part = int.__repr__(number)
                elif kind is float:  # as_number gives finite ones only
                    part = float.__repr__(number)
                elif number is None:
                    part = "null"
                else:
                    return None
                ascii_parts.append(part)
                wire_parts.append(part)
                field: Any = number
            else:
                field = value if type(value) is str else str(value)
                ascii_parts.append(encode_basestring_ascii(field))
                wire_parts.append(encode_basestring(field))
            if category in body:
                body[category][code] = field
            else:
                body[category] = {code: field}
        uid = values.get("uid")
        if not uid:
            uid = uuid5_text((self.uid_template % self.uid_order(ascii_parts)).encode())
        body["uid"] = uid
        wire_parts.append(encode_basestring(uid))
        try:
            return body, (self.wire_template % tuple(wire_parts)).encode()
        except UnicodeEncodeError:
            return body, None


def as_number(value: Any) -> float | int | None:
    """A cell as a JSON number: an int unless written with a point or too big for a float
    to be whole; None when it is not a finite number."""
    if type(value) is str:  # the usual cell: no str() of it, twice
        text = value
    elif isinstance(value, bool):
        return None
    elif isinstance(value, int | float):
        return value if math.isfinite(value) else None
    else:
        text = str(value)
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number):  # "nan", "inf": not JSON numbers (m3ter refuses them)
        return None
    return int(number) if number.is_integer() and "." not in text else number


def _escape(literal: str) -> str:
    return literal.replace("%", "%%")


def _object(items: list[tuple[str, list[str] | None]], enc: Callable[[str], str]) -> str:
    """A %-template of `{"k":%s,…,"category":{"code":%s,…},…}` (None: a plain value)."""
    parts = []
    for key, codes in items:
        if codes is None:
            parts.append(_escape(enc(key)) + ":%s")
        else:
            inner = ",".join(_escape(enc(code)) + ":%s" for code in codes)
            parts.append(_escape(enc(key)) + ":{" + inner + "}")
    return "{" + ",".join(parts) + "}"


def _layout(names: tuple[str, ...], has_ets: bool) -> BodyLayout | None:
    checked = []
    for name in names:
        category, _, code = name.partition(".")
        if code:
            checked.append((name, category, code, category in NUMERIC))
    fields = sorted(checked)
    top = ["meter", "account", "ts", *(["ets"] if has_ets else [])]
    grouped: dict[str, list[str]] = {}
    for _, category, code, _ in fields:
        grouped.setdefault(category, []).append(code)
    if set(grouped) & {*top, "uid"}:
        return None  # a category named like a top-level key: leave it to json
    # Parts come in body order (top values, then each category's codes in turn); the
    # uid text takes the keys sorted, each category's codes already being sorted.
    slots: dict[str, list[int]] = {key: [i] for i, key in enumerate(top)}
    at = len(top)
    for category, codes in grouped.items():
        slots[category] = list(range(at, at + len(codes)))
        at += len(codes)
    order = [n for key in sorted(slots) for n in slots[key]]
    items: list[tuple[str, list[str] | None]] = [(key, None) for key in top]
    items += list(grouped.items())
    by_key = dict(items)
    wire = _object([*items, ("uid", None)], encode_basestring)
    return BodyLayout(
        fields=tuple(fields),
        checked=tuple(checked),
        uid_template=_object([(k, by_key[k]) for k in sorted(by_key)], encode_basestring_ascii),
        uid_order=itemgetter(*order),
        wire_template=wire,
    )


_layouts: dict[tuple[tuple[str, ...], bool], BodyLayout | None] = {}


def body_layout(values: Mapping[str, Any], has_ets: bool) -> BodyLayout | None:
    """The layout of rows with these field names (None: encode such rows with json)."""
    key = (tuple(values), has_ets)
    if key not in _layouts:
        if len(_layouts) >= _LAYOUTS_KEPT:
            _layouts.clear()
        _layouts[key] = _layout(key[0], has_ets)
    return _layouts[key]
