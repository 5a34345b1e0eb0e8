"""Checking JSON bodies of the write endpoints, with gateway error codes.

One problem per answer, as the gateway body has one description: 400 code 21 missing body,
22 invalid body, 23 missing body field, 24 invalid body field (also a field the vendor
guide's request does not list), 26 invalid Content-Type. The codes are documented for
other Orange APIs on the same gateway; which one a real answer uses here is assumed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Sequence
from typing import Any

from starlette.requests import Request

from rowpush.sandbox.orange.errors import GatewayError

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
PHONE = re.compile(r"^\+?[0-9][0-9 .()-]{5,19}$")
LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$")
MAX_TEXT = 64


async def json_object(request: Request) -> dict[str, Any]:
    """The request's JSON object body."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise GatewayError(400, 26, "Content-Type must be application/json.")
    raw = await request.body()
    if not raw.strip():
        raise GatewayError(400, 21, "The request body is empty.")
    try:
        body = json.loads(raw)
    except ValueError:
        raise GatewayError(400, 22, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise GatewayError(400, 22, "The request body must be a JSON object.")
    return body


class Fields:
    """Reads the fields of one body."""

    def __init__(self, body: dict[str, Any], note: Callable[[str], None]) -> None:
        self.body = body
        self.note = note

    def text(
        self,
        name: str,
        *,
        required: bool = True,
        pattern: re.Pattern[str] | None = None,
        choices: Collection[str] = (),
        max_length: int = MAX_TEXT,
    ) -> str | None:
        """A string field; missing, null or blank is code 23 when required."""
        value = self.body.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise GatewayError(400, 23, f"The body field {name!r} is missing.")
            return None
        if not isinstance(value, str):
            raise GatewayError(400, 24, f"The body field {name!r} must be a string.")
        if len(value) > max_length:
            raise GatewayError(400, 24, f"The body field {name!r} is longer than {max_length}.")
        if pattern is not None and not pattern.fullmatch(value):
            raise GatewayError(400, 24, f"The body field {name!r} has an invalid format.")
        if choices and value not in choices:
            allowed = ", ".join(choices)
            raise GatewayError(400, 24, f"The body field {name!r} must be one of: {allowed}.")
        return value

    def refuse_unknown(self, allowed: Sequence[str], *, refuse: bool) -> None:
        """A field outside ``allowed`` (the guide's list): 400 code 24 naming it and the
        fields the request takes when ``refuse``, else a note in the request log. Checked
        before the fields themselves, so a misspelt field is named as such."""
        unknown = [name for name in self.body if name not in allowed]
        if not unknown:
            return
        if refuse:
            raise GatewayError(
                400,
                24,
                f"The body field {unknown[0]!r} is not a field of this request; "
                f"its fields are: {', '.join(allowed)}.",
            )
        for name in unknown:
            self.note(f"unknown body field {name!r} ignored")
