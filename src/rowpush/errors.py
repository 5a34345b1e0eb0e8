"""Errors a user can meet. Each carries a message meant for a person and an exit code.

Exit codes (the CLI contract): 2 bad input or usage, 3 configuration,
connection or authentication.
"""

from __future__ import annotations

__all__ = [
    "AuthFailed",
    "BadInput",
    "ConfigError",
    "ConnectionFailed",
    "RowpushError",
    "SheetError",
    "UnknownTarget",
]


class RowpushError(Exception):
    """Base of every error rowpush reports to a user (never as a traceback)."""

    exit_code: int = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  {self.hint}"
        return self.message


class BadInput(RowpushError):
    """The user's input (a file, an argument) cannot be used as given."""

    exit_code = 2


class SheetError(BadInput):
    """A sheet cannot be read: missing, unreadable, protected, empty, bad headers."""


class UnknownTarget(BadInput):
    """A target name that rowpush does not know."""


class ConfigError(RowpushError):
    """rowpush.toml is missing, malformed, or lacks a connection or secret."""

    exit_code = 3


class ConnectionFailed(RowpushError):
    """The API could not be reached (DNS, refused, TLS, timeout)."""

    exit_code = 3


class AuthFailed(RowpushError):
    """The API rejected the credentials or the token."""

    exit_code = 3
