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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring, encode_basestring_ascii
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
_NAMESPACE = UID_NAMESPACE.bytes
_sha1 = hashlib.sha1
_LAYOUTS_KEPT = 256  # distinct column sets remembered; a sheet has one or a few
NUMERIC = frozenset({"measure", "cost", "income"})
"""Categories whose values are numbers."""


def uuid5_text(content: bytes) -> str:
    """`str(uuid.uuid5(UID_NAMESPACE, content))`, without building a UUID object."""
    (text,) = uuid5_texts([content])
    return text


def uuid5_texts(contents: Iterable[bytes]) -> list[str]:
    """`uuid5_text` of each of `contents`, with no Python call per content."""
    hexes = [_sha1(_NAMESPACE + content).hexdigest() for content in contents]
    variant = _VARIANT
    return [f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{variant[h[16]]}{h[17:20]}-{h[20:32]}" for h in hexes]


Encoder = Callable[[dict[str, Any], Mapping[str, Any]], tuple[dict[str, Any], bytes | None] | None]
"""Completes a body from a row's values: (body, wire bytes), or None (see `encode`)."""


@dataclass(frozen=True)
class BodyLayout:
    """The shape of the bodies of rows with one set of field names."""

    fields: tuple[tuple[str, str, str, bool], ...]
    """Each data field (name, category, code, numeric), in the body's order: sorted
    names, as the body has always been built (so codes sorted within a category)."""
    checked: tuple[tuple[str, str, str, bool], ...]
    """The same, in the row's own order (the order `check` reports problems in)."""
    uid_template: str
    wire_template: str
    """The body as sent: meter, account, ts, [ets], the categories, then the uid."""

    encoder: Encoder
    """`encode` for this layout, written out field by field (`_compile`)."""
    uid_order: tuple[int, ...]
    """The body's values (top ones, then `fields`) in the order the uid text takes them."""

    def encode(
        self, body: dict[str, Any], values: Mapping[str, Any]
    ) -> tuple[dict[str, Any], bytes | None] | None:
        """`body` (meter, account, ts, [ets] set, as text) completed with the data fields
        of `values` and the uid (the row's own, or derived from the uid text), and its wire
        bytes. None when a value is not one this encodes exactly (`body` is then left
        part-filled); wire None when the body is not UTF-8 (a lone surrogate: `wire_of`
        falls back, as it always did)."""
        return self.encoder(body, values)

    def encode_columns(
        self,
        top: Sequence[Sequence[Any]],
        data: Sequence[Sequence[Any]],
        uids: Sequence[Any] | None,
    ) -> list[tuple[bytes, str] | None]:
        """`encode` of many rows given a column at a time: `top` the meter, account, ts
        and [ets] columns (as text), `data` each of `fields`' columns, `uids` the rows' own
        uids (None: every uid derived). Each row's (wire bytes, uid), or None where
        `encode` would not encode it exactly (or it has no wire: not UTF-8)."""
        count = len(top[0]) if top else 0
        ok = [True] * count
        ascii_columns: list[Sequence[str]] = []
        wire_columns: list[Sequence[str]] = []
        for column in top:
            texts = _texts(column, ok, convert=False)
            ascii_columns.append(_each(encode_basestring_ascii, texts))
            wire_columns.append(_each(encode_basestring, texts))
        for (_, _, _, numeric), column in zip(self.fields, data, strict=True):
            if numeric:
                numbers = _number_texts(column, ok)
                ascii_columns.append(numbers)
                wire_columns.append(numbers)
            else:
                texts = _texts(column, ok, convert=True)
                ascii_columns.append(_each(encode_basestring_ascii, texts))
                wire_columns.append(_each(encode_basestring, texts))
        template = self.uid_template
        in_uid_order = [ascii_columns[n] for n in self.uid_order]
        derived: Sequence[str | None]
        rows = zip(*in_uid_order, strict=True)
        if uids is None:
            derived = uuid5_texts([(template % parts).encode() for parts in rows])
        else:  # a row's own uid, else derived (a blank one is unset)
            derived = [
                (uid if type(uid) is str else None)
                if uid
                else uuid5_text((template % parts).encode())
                for uid, parts in zip(uids, rows, strict=True)
            ]
        wire_template = self.wire_template
        uid_texts = _each(encode_basestring, [uid or "" for uid in derived])
        texts = [wire_template % parts for parts in zip(*wire_columns, uid_texts, strict=True)]
        wires: list[bytes | None]
        try:
            wires = [text.encode() for text in texts]
        except UnicodeEncodeError:  # a lone surrogate: `wire_of` falls back for such a row
            wires = [_utf8(text) for text in texts]
        if False in ok or None in derived or None in wires:
            return [
                (wire, uid) if good and uid is not None and wire is not None else None
                for good, uid, wire in zip(ok, derived, wires, strict=True)
            ]
        return list(zip(wires, derived, strict=True))  # type: ignore[arg-type]


def _utf8(text: str) -> bytes | None:
    try:
        return text.encode()
    except UnicodeEncodeError:
        return None


def _each(encode: Callable[[str], str], texts: Sequence[str]) -> Sequence[str]:
    """`encode` of each text, once per distinct text when they repeat (a meter, a minute)."""
    if len(texts) > 8:
        distinct = set(texts)
        if len(distinct) * 4 <= len(texts):
            done = {text: encode(text) for text in distinct}
            return [done[text] for text in texts]
    return list(map(encode, texts))


def _texts(column: Sequence[Any], ok: list[bool], *, convert: bool) -> Sequence[str]:
    """A column's values as text: `str()` of a non-text one with `convert`, else its row
    is not encoded (`ok` False) — as `encode` does a value at a time."""
    if set(map(type, column)) <= {str}:
        return column
    texts = []
    for i, value in enumerate(column):
        if type(value) is str:
            texts.append(value)
        elif convert:
            texts.append(str(value))
        else:
            ok[i] = False
            texts.append("")
    return texts


def _number_texts(column: Sequence[Any], ok: list[bool]) -> list[str]:
    """A numeric column's values as JSON numbers (`as_number`, written as json writes
    it); a row whose value is none is not encoded (`ok` False)."""
    if set(map(type, column)) <= {str}:  # text: each distinct value once
        joined = "".join(column)
        lengths = set(map(len, column))
        if joined.isascii() and joined.isdigit() and min(lengths) > 0 and max(lengths) < 16:
            return list(map(str, map(int, column)))  # whole numbers: as `_number_text` has them
        done = {text: _number_text(text) for text in set(column)}
        found = [done[v] for v in column]
    else:  # 1, 1.0 and True are one key to a dict: each value anew
        found = [_number_text(v) for v in column]
    if None in found:
        for i, text in enumerate(found):
            if text is None:
                ok[i] = False
    return [t or "" for t in found]


def _number_text(value: Any) -> str | None:
    if type(value) is str and len(value) < 16 and value.isascii() and value.isdigit():
        return int.__repr__(int(value))  # as_number's int, without a float between
    number = as_number(value)
    kind = type(number)
    if kind is int:
        return int.__repr__(number)
    if kind is float:
        return float.__repr__(number)
    return None  # not a number (`check` refuses it), or an unusual kind


def _compile(
    top: list[str],
    fields: list[tuple[str, str, str, bool]],
    uid_template: str,
    order: list[int],
    wire_template: str,
) -> Encoder:
    """The encoder of one layout as straight-line Python: a loop over the fields, with a
    branch per value, cost more than json's own C encoder saved. Only indices and
    constants go into the source; every name, code and template is a value it reads."""
    lines = ["def encode(body, values):"]
    tops = [f"t{i}" for i in range(len(top))]
    for i in range(len(top)):
        lines.append(f"    t{i} = body[TOP[{i}]]")
    lines.append(f"    if {' or '.join(f'type({t}) is not str' for t in tops)}:")
    lines.append("        return None")
    ascii_parts = [f"ea({t})" for t in tops]
    wire_parts = [f"eb({t})" for t in tops]
    for i, (_, _, _, numeric) in enumerate(fields):
        lines.append(f"    v{i} = values[NAMES[{i}]]")
        if numeric:
            lines += [
                f"    v{i} = as_number(v{i})",
                f"    k = type(v{i})",
                "    if k is int:",
                f"        n{i} = int_repr(v{i})",
                "    elif k is float:  # as_number gives finite ones only",
                f"        n{i} = float_repr(v{i})",
                f"    elif v{i} is None:",
                f'        n{i} = "null"',
                "    else:",
                "        return None",
            ]
            ascii_parts.append(f"n{i}")
            wire_parts.append(f"n{i}")
        else:
            lines.append(f"    if type(v{i}) is not str:")
            lines.append(f"        v{i} = str(v{i})")
            ascii_parts.append(f"ea(v{i})")
            wire_parts.append(f"eb(v{i})")
    for category in dict.fromkeys(c for _, c, _, _ in fields):
        at = [i for i, (_, c, _, _) in enumerate(fields) if c == category]
        items = ", ".join(f"CODES[{i}]: v{i}" for i in at)
        lines.append(f"    body[CATEGORIES[{at[0]}]] = {{{items}}}")
    uid_parts = ", ".join(ascii_parts[n] for n in order)
    lines += [
        '    uid = values.get("uid")',
        "    if not uid:",
        f"        uid = uuid5_text((UID_TEMPLATE % ({uid_parts},)).encode())",
        "    elif type(uid) is not str:",
        "        return None",
        '    body["uid"] = uid',
        "    try:",
        f"        return body, (WIRE_TEMPLATE % ({', '.join(wire_parts)}, eb(uid))).encode()",
        "    except UnicodeEncodeError:",
        "        return body, None",
    ]
    scope: dict[str, Any] = {
        "TOP": tuple(top),
        "NAMES": tuple(name for name, _, _, _ in fields),
        "CODES": tuple(code for _, _, code, _ in fields),
        "CATEGORIES": tuple(category for _, category, _, _ in fields),
        "UID_TEMPLATE": uid_template,
        "WIRE_TEMPLATE": wire_template,
        "ea": encode_basestring_ascii,
        "eb": encode_basestring,
        "as_number": as_number,
        "int_repr": int.__repr__,
        "float_repr": float.__repr__,
        "uuid5_text": uuid5_text,
    }
    source = "\n".join(lines)
    exec(source, scope)  # our own source: indices and constants only
    encoder: Encoder = scope["encode"]
    return encoder


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
    uid_template = _object([(k, by_key[k]) for k in sorted(by_key)], encode_basestring_ascii)
    encoder = _compile(top, fields, uid_template, order, wire)
    return BodyLayout(
        fields=tuple(fields),
        checked=tuple(checked),
        uid_template=uid_template,
        uid_order=tuple(order),
        wire_template=wire,
        encoder=encoder,
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
