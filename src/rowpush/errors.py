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
    "a_or_an",
]


def a_or_an(word: str) -> str:
    """`word` with its indefinite article, as said aloud: "an orange", "a halopsa",
    "a m3ter" (said "meter"), "a usage-engine" (said "you-")."""
    lower = word.lower()
    said_you = lower.startswith(("usa", "use", "uni", "uti"))
    vowel_sound = lower[:1] in "aeio" or (lower[:1] == "u" and not said_you)
    return f"{'an' if vowel_sound else 'a'} {word}"


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
