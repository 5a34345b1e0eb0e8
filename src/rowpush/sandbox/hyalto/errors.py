"""Hyalto's error answers (assumed): ``{"error": <status phrase>, "message": ...}``."""

from __future__ import annotations

from http import HTTPStatus

from starlette.responses import JSONResponse, Response


class HyaltoError(Exception):
    """A failure that ends a request with ``{"error", "message"}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> Response:
        return error_response(self.status, self.message)


def error_response(status: int, message: str) -> Response:
    body = {"error": HTTPStatus(status).phrase, "message": message}
    return JSONResponse(body, status_code=status)


def rate_limited() -> Response:
    return error_response(429, "Rate limit exceeded")
