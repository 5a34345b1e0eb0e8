"""Reading a vendor's answers: the one toolkit every target uses.

Each vendor module declares one `Answers` (its name in messages, the keys its error
bodies use, how a refusal may mean "slow down") and reads every answer through it:
the text of an error, the JSON of an answer that must succeed (a refusal of a read
every target needs is an `AuthFailed`/`ConnectionFailed`, exit 3), the records of a
list, and a list page after page (`pages`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rowpush.errors import AuthFailed, ConnectionFailed, RowpushError

if TYPE_CHECKING:
    import httpx

__all__ = ["Answers", "NextPage", "pages", "refusal", "single_page"]

MAX_MESSAGE = 500
"""An error text longer than this is cut: it goes into a cell and onto a terminal."""


@dataclass(frozen=True)
class Answers:
    """How one vendor API answers."""

    vendor: str
    """The API's name in messages ("HaloPSA")."""
    error_keys: tuple[str, ...] = ("message", "error_description", "error")
    """Keys of a JSON error body that may hold its text, the most telling first."""
    detail: str | None = None
    """How a second, different text of those keys is added to the first: ": {}" gives
    "message: description", " ({})" gives "message (error)"; None leaves it out."""
    code_key: str | None = None
    """A key whose value is added as "(code n)" (Orange's gateway codes)."""
    throttled: Callable[[httpx.Response], bool] | None = None
    """Besides 429, answers that mean "slow down" (the transport already waited)."""

    def error_message(self, response: httpx.Response) -> str:
        """What the vendor said in an error answer, for a person (one line, short)."""
        try:
            body = response.json()
        except ValueError:
            return " ".join(response.text.split())[:MAX_MESSAGE] or f"HTTP {response.status_code}"
        if isinstance(body, dict):
            said = [
                str(body[k]).strip()
                for k in self.error_keys
                if isinstance(body.get(k), str) and str(body[k]).strip()
            ]
            if said:
                first, *more = list(dict.fromkeys(said))
                text = first + (self.detail.format(more[0]) if self.detail and more else "")
                code = body.get(self.code_key) if self.code_key else None
                return text + (f" (code {code})" if code not in (None, "") else "")
        return str(body)[:MAX_MESSAGE]

    def json(self, response: httpx.Response, what: str) -> Any:
        """The JSON of an answer to a read that must succeed (`what`: "list clients")."""
        if not response.is_success:
            if self.throttled is not None and self.throttled(response):
                raise ConnectionFailed(
                    f"{self.vendor} throttled the request to {what} (HTTP "
                    f"{response.status_code} at {response.url.path}): "
                    f"{self.error_message(response)}",
                    hint='Lower the rate of this connection in rowpush.toml (e.g. rate = "1/s").',
                )
            raise refusal(self.vendor, response, what, self.error_message(response))
        try:
            return response.json()
        except ValueError:
            raise ConnectionFailed(
                f"{self.vendor} answered {what} with something that is not JSON at "
                f"{response.url.path}"
            ) from None

    def json_object(self, response: httpx.Response, what: str) -> dict[str, Any]:
        """`json`, where the answer must be a JSON object."""
        body = self.json(response, what)
        if not isinstance(body, dict):
            raise ConnectionFailed(
                f"{self.vendor} answered {what} with unexpected JSON at {response.url.path}"
            )
        return body

    def records(self, body: Any, envelope: str, what: str) -> list[dict[str, Any]]:
        """The records of a list answer: a bare array, or `{envelope: [...] | null}`."""
        if isinstance(body, dict) and envelope in body:
            body = body[envelope] or []
        if not isinstance(body, list):
            raise ConnectionFailed(
                f"{self.vendor} answered {what} with unexpected JSON (no {envelope} list)"
            )
        return [item for item in body if isinstance(item, dict)]


NextPage = Callable[[Any, int, int], Mapping[str, str] | None]
"""Given a page's answer, its number (1-based) and the records read so far: the query
of the next page, or None after the last."""


def single_page(body: Any, number: int, seen: int) -> None:
    """A list the API gives whole, in one answer."""
    return


async def pages(
    client: httpx.AsyncClient,
    answers: Answers,
    path: str,
    *,
    envelope: str,
    what: str,
    params: Mapping[str, str] | None = None,
    following: NextPage = single_page,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Each page of a list's records, until `following` says it was the last (or a
    page comes back empty)."""
    query = dict(params or {})
    number, seen = 1, 0
    while True:
        body = answers.json(await client.get(path, params=query), what)
        records = answers.records(body, envelope, what)
        if records:
            yield records
        seen += len(records)
        more = following(body, number, seen) if records else None
        if more is None:
            return
        query = {**(params or {}), **more}
        number += 1


def refusal(vendor: str, response: httpx.Response, what: str, said: str) -> RowpushError:
    """The error for an API refusing a read every target needs (a list, a get): a 401 or
    403 is an authentication failure, anything else a connection failure (exit 3)."""
    error = AuthFailed if response.status_code in (401, 403) else ConnectionFailed
    return error(
        f"{vendor} refused to {what}: HTTP {response.status_code} at {response.url.path}: {said}"
    )
