"""Plain text for the plan screen: summaries and details of a Change, no Textual.

Kept apart from the screen so the screen only draws and the wording is testable.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.text import Text

from rowpush.model import Action, Change, Status, show_value

__all__ = [
    "OUTCOME_STYLE",
    "STATUS_STYLE",
    "Counter",
    "apply_stats",
    "count_actions",
    "counter_line",
    "detail_lines",
    "show_value",
    "summary",
]

#: Rich style per plan status, shared by the table and the counters.
STATUS_STYLE: dict[Action, str] = {
    Action.CREATE: "green",
    Action.UPDATE: "yellow",
    Action.UNCHANGED: "bright_black",
    Action.INVALID: "bold red",
}


#: Rich style per final status (apply and results screens).
OUTCOME_STYLE: dict[Status, str] = {
    Status.CREATED: "green",
    Status.UPDATED: "yellow",
    Status.UNCHANGED: "bright_black",
    Status.FAILED: "bold red",
    Status.INVALID: "red",
    Status.SKIPPED: "magenta",
    Status.UNKNOWN: "bold magenta",
    Status.STALE: "dark_orange",
}


def apply_stats(done: int, total: int, elapsed: float) -> str:
    """`120/500 rows · 40.0 rows/s · ETA 0:00:10 · 0:00:03 elapsed`."""
    rate = done / elapsed if elapsed > 0 else 0.0
    parts = [f"{done}/{total} rows", f"{rate:.1f} rows/s"]
    if rate > 0 and total > done:
        parts.append(f"ETA {_clock(round((total - done) / rate))}")
    parts.append(f"{_clock(round(elapsed))} elapsed")
    return " · ".join(parts)


def _clock(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def summary(change: Change) -> str:
    """One line for the table: `item_tax_code: 1 → 2; name: "a" → "b"`."""
    if change.stale:  # a saved plan's row whose record moved: why it is not sent
        return "stale: " + change.stale.removeprefix("changed since the plan was saved: ")
    if change.action is Action.INVALID:
        problems = [e.problem or e.message for e in change.errors if not e.warning]
        first = problems[0] if problems else "invalid"
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        name = f"{change.label}: " if change.label else ""
        return name + first + more
    if change.lead is not None:
        return f"same record as row {change.lead}"
    if change.action is Action.CREATE:
        return ", ".join(f"{k}={show_value(new)}" for k, (_, new) in change.fields.items())
    if change.action is Action.UPDATE:
        return "; ".join(
            f"{k}: {show_value(old)} → {show_value(new)}" for k, (old, new) in change.fields.items()
        )
    return change.label or ""


def detail_lines(change: Change) -> list[str]:
    """The detail pane for one row: every changed field, or every error with its place."""
    key = "(new)" if change.key is None else str(change.key)
    head = f"Row {change.row} · {change.action.value} · key {key}"
    if change.label:
        head += f" · {change.label}"
    lines = [head, ""]
    if change.lead is not None:
        lines.append(f"The same record as row {change.lead}; this row sends nothing itself.")
    if change.action is Action.CREATE:
        lines += [f"{k}: {show_value(new)}" for k, (_, new) in change.fields.items()]
    elif change.action is Action.UPDATE:
        lines += [
            f"{k}: {show_value(old)} → {show_value(new)}" for k, (old, new) in change.fields.items()
        ]
    elif change.action is Action.UNCHANGED:
        lines.append("Nothing to change: the record already matches the sheet.")
    if change.stale:
        lines += ["", f"Stale, not sent: the record {change.stale}"]
    for e in change.errors:
        place = f"column {e.column or '?'}"
        if e.header:
            place += f" ({e.header})"
        value = "" if e.value is None else f" value {show_value(e.value)}"
        kind = "warning" if e.warning else "error"
        problem = e.problem or e.message
        lines.append(f"{kind}: {place}{value}: {problem}")
        if e.expected and e.expected not in problem:  # "expected …" is often the problem
            lines.append(f"  expected: {e.expected}")
    return lines


def count_actions(changes: Iterable[Change]) -> dict[Action, int]:
    """Rows per plan status, every status present."""
    counts = dict.fromkeys(Action, 0)
    for change in changes:
        counts[change.action] += 1
    return counts


@dataclass(frozen=True, slots=True)
class Counter:
    """One status counter: the key that filters to it, its word, its count and colour."""

    key: str
    label: str
    count: int
    style: str = ""


# The shortest label for each word when the full ones do not fit: it keeps the key letter.
_SHORT = {
    "created": "cre",
    "create": "cre",
    "updated": "upd",
    "update": "upd",
    "unchanged": "unch",
    "failed": "fail",
    "invalid": "inv",
    "skipped": "skip",
    "unknown": "unk",
    "stale": "stl",
}


def counter_line(counters: Sequence[Counter], width: int, active: str | None = None) -> Text:
    """The counters on one line of `width` cells, each with its key letter underlined
    inside its word (`unknown 3`, k underlined): full words if they fit, else short
    ones (`unk 3`), else short counts too (`12k`). `active` (a label) is reversed."""
    for short_words, short_counts in ((False, False), (True, False), (True, True)):
        parts = [_counter_text(c, short_words, short_counts, c.label == active) for c in counters]
        line = Text(" ").join(parts)
        if line.cell_len <= width:
            break
    line.no_wrap = True
    line.overflow = "ellipsis"
    return line


def _counter_text(counter: Counter, short_word: bool, short_count: bool, active: bool) -> Text:
    word = _SHORT.get(counter.label, counter.label) if short_word else counter.label
    count = _short_count(counter.count) if short_count else str(counter.count)
    base = f"{counter.style} bold reverse" if active else counter.style
    text = Text(style=base)
    at = word.find(counter.key)
    if at < 0:  # a key not in its word is shown before it
        text.append(counter.key, style="bold underline")
        text.append(" ")
        text.append(word)
    else:
        text.append(word[:at])
        text.append(word[at], style="bold underline")
        text.append(word[at + 1 :])
    text.append(f" {count}")
    return text


def _short_count(n: int) -> str:
    if n < 10_000:
        return str(n)
    if n < 1_000_000:
        return f"{n // 1000}k"
    return f"{n / 1_000_000:.1f}M"
