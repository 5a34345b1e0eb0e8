"""What the CLI prints: tables, row errors, a plan's changes, an apply's report, a results
workbook's summary. A face module: text only, every fact comes from the engine.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from rowpush.engine.plan_report import PlanJsonWriter
from rowpush.model import Action, Change, RowError, show_value
from rowpush.progress import PlanProgress, is_quiet

if TYPE_CHECKING:
    from rowpush.engine.prepare import Prepared
    from rowpush.engine.results_reader import ResultsBook
    from rowpush.engine.run import ApplyReport
    from rowpush.engine.run_files import Unfinished
    from rowpush.engine.verbs import LivePlan, Validation
    from rowpush.targets.base import Target

__all__ = [
    "err",
    "paint",
    "print_change",
    "print_errors",
    "print_plan",
    "print_plan_json",
    "print_results",
    "print_table",
    "print_targets",
    "print_validation_json",
    "report_apply",
    "say_continuing",
    "short",
    "use_colour",
    "warn",
]


def err(text: str) -> None:
    print(text, file=sys.stderr)


def warn(text: str) -> None:
    if not is_quiet():
        err(f"warning: {text}")


#: The sign and colour (ANSI SGR) of each listed plan status: + create, ~ update, ! invalid.
PLAN_SIGNS: dict[Action, tuple[str, str]] = {
    Action.CREATE: ("+", "32"),
    Action.UPDATE: ("~", "33"),
    Action.INVALID: ("!", "31"),
}


def use_colour(stream: Any = None) -> bool:
    """Colour on a terminal only, and never when NO_COLOR is set (no-color.org) or the
    terminal is dumb."""
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, sgr: str, colour: bool) -> str:
    return f"\033[{sgr}m{text}\033[0m" if colour and sgr else text


def print_errors(errors: Sequence[RowError]) -> None:
    rows = [("ROW", "COLUMN", "HEADER", "VALUE", "PROBLEM")]
    for e in errors:
        rows.append(
            (
                "" if e.row is None else str(e.row),
                e.column or "",
                e.header or "",
                short(e.value or "", 30),
                e.problem or e.message,
            )
        )
    print_table(rows, file=sys.stderr)


async def print_plan_json(plan: LivePlan) -> None:
    """The plan report (engine/plan_report.py) on stdout, each row as it is planned."""
    progress = PlanProgress(plan.prep)
    report = PlanJsonWriter(sys.stdout, plan.target.name)
    async for change in plan.changes():
        progress.update(plan.summary.total)
        report.row(change)
    progress.close()
    report.close(plan.summary)


async def print_plan(plan: LivePlan) -> None:
    """The plan for a person: each row to create or update, then the counts."""
    progress = PlanProgress(plan.prep)
    print(
        f"Plan for {plan.prep.file} → {plan.target.name} on '{plan.conn.name}' ({plan.base_url})\n"
    )
    colour = use_colour()
    async for change in plan.changes():
        progress.update(plan.summary.total)
        print_change(change, colour=colour)
    progress.close()
    c = plan.summary
    print(
        f"\nPlan: {c['create']} to create, {c['update']} to update, "
        f"{c['unchanged']} unchanged, {c['invalid']} invalid."
    )


def print_change(change: Change, *, colour: bool = False) -> None:
    """One listed row: `+ row 2 create …` (green), `~` update (yellow), `!` invalid (red)."""
    if change.action is Action.UNCHANGED:
        return
    key = "(new)" if change.key is None else f"{change.key}"
    label = change.label or ""
    sign, sgr = PLAN_SIGNS.get(change.action, (" ", ""))
    head = f"{sign} row {change.row:<6} {change.action.value:<9} {key:<8} {label}".rstrip()
    print(paint(head, sgr, colour))
    pad = " " * 8
    if change.lead is not None:
        print(f"{pad}(the same record as row {change.lead})")
    for name, (old, new) in change.fields.items():
        if change.action is Action.CREATE:
            print(f"{pad}{name}: {show_value(new)}")
        else:
            print(f"{pad}{name}: {show_value(old)} → {show_value(new)}")
    for error in change.errors:
        print(pad + paint(error.message, PLAN_SIGNS[Action.INVALID][1], colour))


def print_targets(targets: Mapping[str, type[Target]], *, as_json: bool = False) -> None:
    """The targets as a table, or (`--json`) a list of {name, api, key, description}."""
    if as_json:
        rows = [
            {"name": name, "api": t.api.name, "key": t.key, "description": t.description}
            for name, t in targets.items()
        ]
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = [("TARGET", "API", "KEY", "DESCRIPTION")]
    table += [(n, t.api.name, t.key or "-", t.description) for n, t in targets.items()]
    print_table(table)


def print_validation_json(prep: Prepared, found: Validation) -> None:
    """`validate --json`: one object with the counts, the errors shown and the warnings."""
    report = {
        "file": prep.file,
        "target": prep.target.name,
        "rows": found.rows,
        "bad_rows": found.bad_rows,
        "error_count": found.errors,
        "valid": not found.errors,
        "errors": [_error_json(e) for e in found.shown],
        "warnings": [_error_json(w) for w in prep.hmap.warnings],
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))


def _error_json(e: RowError) -> dict[str, Any]:
    return {
        "row": e.row,
        "column": e.column,
        "header": e.header,
        "value": e.value,
        "problem": e.problem or e.message,
        "expected": e.expected,
        "message": e.message,
    }


def say_continuing(file: str, run: Unfinished) -> None:
    err(
        f"Found an unfinished run of {file} (started {run.started}): "
        f"{run.done} row(s) done, {run.left} to go. Continuing it; "
        f"results go to {run.results.name}."
    )


def report_apply(report: ApplyReport, *, resent_ignored: str = "") -> int:
    """Print what an apply did; its exit code. `resent_ignored` names the API of a target
    whose creates carry a uid: it ignores a resent one, so they are "sent", not
    "created" (rowpush cannot tell a new measurement from one already ingested)."""
    if report.invalid:
        err(f"Nothing was sent: {report.planned.get('invalid', 0)} row(s) are invalid.")
        print_errors(report.invalid)
        err("Fix them, or add --skip-invalid to apply the valid rows only.")
        return 2
    if report.cancelled:
        err("Apply cancelled; nothing was sent.")
        return 0
    c = report.counts
    unknown = f", {c['unknown']} unknown" if c.get("unknown") else ""
    stale = f", {c['stale']} stale" if c.get("stale") else ""
    if resent_ignored:
        print(
            f"Applied: {c.get('created', 0)} sent to {resent_ignored} (any already ingested, "
            f"e.g. resent, is ignored there by its uid, not counted twice), "
            f"{c.get('failed', 0)} failed, {c.get('invalid', 0)} invalid, "
            f"{c.get('skipped', 0)} skipped{unknown}{stale}."
        )
    else:
        print(
            f"Applied: {c.get('created', 0)} created, {c.get('updated', 0)} updated, "
            f"{c.get('unchanged', 0)} unchanged, {c.get('failed', 0)} failed, "
            f"{c.get('invalid', 0)} invalid, {c.get('skipped', 0)} skipped{unknown}{stale}."
        )
    if unknown:
        err(
            "Rows marked 'unknown' were sent but no answer came and no lookup could tell "
            "whether they landed: check them before sending them again."
        )
    if c.get("stale"):
        err(
            "Rows marked 'stale' were not sent: their record changed since the plan was "
            "saved (the results name the field). Apply the plan with --refresh to re-plan "
            "them, or plan again."
        )
    if report.verified is not None:
        print(f"Verified: {report.verified.line()} (see _verify in the results).")
    if report.results:
        print(f"Results: {report.results}")
    # 0 only when every row is done: rows left invalid (--skip-invalid) are not
    return 0 if report.ok and not c.get("invalid") else 1


def print_results(book: ResultsBook, key: str | None = None, label: str | None = None) -> None:
    """A results workbook in a few lines: its counts, then the rows that need a look (with
    the `key` and `label` columns' values, when the workbook has them)."""
    counts = book.counts()
    print(f"{book.path.name}: {book.target} on '{book.connection or '?'}'")
    print(", ".join(f"{n} {status.value}" for status, n in counts.items() if n) or "no rows")
    if figures := book.figures():
        print(figures)
    names = [h for h in (key, label) if h]
    rows = [("ROW", "STATUS", *(h.upper() for h in names), "HTTP", "MESSAGE")]
    for row in book.rows():
        if row.status.value in NEEDS_A_LOOK:
            code = "" if row.http_status is None else str(row.http_status)
            cells = [short(str(row.values.get(h) or ""), 30) for h in names]
            rows.append((str(row.row), row.status.value, *cells, code, short(row.message, 70)))
    if len(rows) > 1:
        print_table(rows)


NEEDS_A_LOOK = ("failed", "invalid", "skipped", "unknown", "stale")
"""The statuses `show --text` lists row by row (the others are counted)."""


def short(text: str, width: int) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def print_table(rows: Sequence[Sequence[str]], file: Any = None) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        print("  ".join([*cells, row[-1]]).rstrip(), file=file or sys.stdout)
