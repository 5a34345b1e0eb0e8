"""Reading the documents an import starts from: UTF-8 text, then JSON; what is wrong with
one is said with its file (exit 2), never as a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rowpush.errors import BadInput

__all__ = ["parse_json", "read_text"]


def read_text(path: Path, what: str) -> str:
    """The text of `path` (`what` names it in messages: "collection", "OpenAPI document")."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"Cannot read the {what} {path}: {exc.strerror}.") from None
    except UnicodeDecodeError:
        raise BadInput(f"The {what} {path} is not UTF-8 text.") from None


def parse_json(text: str, path: Path, what: str, *, hint: str | None = None) -> Any:
    """`text` as JSON, or a BadInput naming the file, line and column."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"The {what} {path} is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            hint=hint,
        ) from None
