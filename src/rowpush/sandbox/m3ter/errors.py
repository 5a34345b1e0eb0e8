"""m3ter's error answers: ``{"message": ...}`` on the APIs, OAuth style on ``/oauth/token``."""

from __future__ import annotations

from http import HTTPStatus

from starlette.responses import JSONResponse, Response


class M3terAnswer(Exception):
    """A failure that ends a request with a ready response."""

    def response(self, error_key: str) -> Response:
        raise NotImplementedError


class M3terError(M3terAnswer):
    """An API failure, answered as ``{"message": "..."}`` (key from ``error_key``)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self, error_key: str) -> Response:
        return message_response(self.status, self.message, error_key)


class OAuthError(M3terAnswer):
    """A token endpoint failure: RFC 6749 ``{"error", "error_description"}`` by default."""

    def __init__(self, status: int, error: str, description: str, *, shape: str = "oauth") -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.shape = shape

    def response(self, error_key: str) -> Response:
        headers = {"Cache-Control": "no-store"}
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="m3ter"'
        if self.shape == "message":
            body = {error_key: f"{self.error}: {self.description}"}
        else:
            body = {"error": self.error, "error_description": self.description}
        return JSONResponse(body, status_code=self.status, headers=headers)


def message_response(status: int, message: str, error_key: str = "message") -> Response:
    """An error body as m3ter sends it (shape assumed)."""
    return JSONResponse({error_key: message}, status_code=status)


def too_many_requests(error_key: str = "message") -> Response:
    """The 429 answer (text assumed); ``Retry-After`` is added by the caller when enabled."""
    return message_response(429, "Too Many Requests", error_key)


def gateway_fault(status: int) -> Response:
    """An injected 5xx, as a JSON gateway error."""
    return message_response(status, HTTPStatus(status).phrase)
