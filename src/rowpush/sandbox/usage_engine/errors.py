"""Usage Engine's error answers: ``{"message": ...}`` (shape assumed by the notes)."""

from __future__ import annotations

from http import HTTPStatus

from starlette.responses import JSONResponse, Response

from rowpush.sandbox.options import RateWindow


class UEError(Exception):
    """A failure that ends a request with ``{"message": ...}`` and ``status``."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    def response(self) -> Response:
        return message_response(self.status, self.message, self.headers)


def message_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """An error body as the notes assume Usage Engine sends it."""
    return JSONResponse({"message": message}, status_code=status, headers=headers)


def unauthorized() -> UEError:
    """A missing, unknown or expired bearer token."""
    return UEError(401, "Unauthorized", {"WWW-Authenticate": 'Bearer error="invalid_token"'})


def too_many_requests(_window: RateWindow | None = None) -> Response:
    """The 429 answer ("Too many requests" in the documented error table)."""
    return message_response(429, "Too many requests")


def gateway_fault(status: int) -> Response:
    """An injected 5xx, in the same body shape as the API's own errors."""
    phrase = HTTPStatus(status).phrase
    message = "Unexpected internal error" if status == 500 else phrase
    return message_response(status, message)
