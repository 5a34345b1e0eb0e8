"""Orange's error answers: the API gateway's ``{"code", "message", "description"}`` on
resource calls, OAuth style ``{"error", "error_description"}`` on the token endpoint."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

# Gateway codes documented for other Orange APIs (developer.orange.com error handling guide).
MESSAGES: dict[int, str] = {
    20: "Invalid URL parameter value",
    21: "Missing body",
    22: "Invalid body",
    23: "Missing body field",
    24: "Invalid body field",
    25: "Missing header",
    26: "Invalid header value",
    27: "Missing query-string parameter",
    28: "Invalid query-string parameter value",
    40: "Missing credentials",
    41: "Invalid credentials",
    42: "Expired credentials",
    50: "Access denied",
    51: "Forbidden requester",
    52: "Forbidden user",
    53: "Too many requests",
    60: "Resource not found",
}
THROTTLED = (
    "The application has made too many calls and has exceeded the rate limit for this service."
)


class OrangeAnswer(Exception):
    """A failure that ends a request with a ready response."""

    def response(self) -> Response:
        raise NotImplementedError


class GatewayError(OrangeAnswer):
    """A resource call failure, answered as ``{"code": n, "message": ..., "description": ...}``."""

    def __init__(self, status: int, code: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description

    def response(self) -> Response:
        return gateway_response(self.status, self.code, self.description)


class OAuthError(OrangeAnswer):
    """A token endpoint failure, answered as ``{"error": ..., "error_description": ...}``."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def response(self) -> Response:
        body = {"error": self.error, "error_description": self.description}
        return JSONResponse(body, status_code=self.status, headers={"Cache-Control": "no-store"})


def gateway_response(status: int, code: int, description: str) -> Response:
    """The gateway's error body with the documented message for ``code``."""
    body = {"code": code, "message": MESSAGES[code], "description": description}
    return JSONResponse(body, status_code=status)


def throttled(status: int) -> Response:
    """Code 53 "Too many requests" with ``status`` 403 (Orange's gateway) or 429."""
    return gateway_response(status, 53, THROTTLED)
