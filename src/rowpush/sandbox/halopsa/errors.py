"""Halo's error answers: ``{"ClassName", "Message"}`` on /api, OAuth style on /auth."""

from __future__ import annotations

from starlette.responses import JSONResponse, PlainTextResponse, Response

from rowpush.sandbox.options import RateWindow


class HaloAnswer(Exception):
    """A failure that ends a request with a ready response."""

    def response(self) -> Response:
        raise NotImplementedError


class HaloError(HaloAnswer):
    """An /api failure, answered as ``{"ClassName": ..., "Message": ...}``."""

    def __init__(self, status: int, message: str, class_name: str = "System.Exception") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.class_name = class_name

    def response(self) -> Response:
        body = {"ClassName": self.class_name, "Message": self.message}
        return JSONResponse(body, status_code=self.status)


class OAuthError(HaloAnswer):
    """A token endpoint failure, answered as ``{"error": ..., "error_description": ...}``."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def response(self) -> Response:
        body = {"error": self.error, "error_description": self.description}
        return JSONResponse(body, status_code=self.status, headers={"Cache-Control": "no-store"})


class Unauthorized(HaloAnswer):
    """A missing, unknown or expired bearer token: 401 with an empty body."""

    def response(self) -> Response:
        return Response(
            status_code=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
        )


def rate_limited(window: RateWindow) -> Response:
    """Halo's 429: plain text naming the limit, as quoted in real responses."""
    text = f"Rate Limit Reached - {window.limit} Requests per rolling {window.describe()} window"
    return PlainTextResponse(text, status_code=429)
