"""Export: a target's live records into its template (the flow run backwards), and the
empty template itself.

Rows stream from the API to a writer thread, so an export of any size holds only a
bounded queue of rows; a failed export leaves no file behind.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rowpush import __version__
from rowpush.engine.connect import connect
from rowpush.errors import BadInput
from rowpush.sheets import ColumnSpec, normalize_header, write_table
from rowpush.targets.base import ExportOptions
from rowpush.targets.registry import get_target

if TYPE_CHECKING:
    import httpx

    from rowpush.config import Connection
    from rowpush.http.transport import RetryEvent
    from rowpush.targets.base import Target

__all__ = ["export_target", "write_template"]


async def export_target(
    target_name: str,
    conn: Connection,
    out: Path,
    *,
    columns: Sequence[str] | None = None,
    options: ExportOptions | None = None,
    on_row: Callable[[int], None] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    rate: str | None = None,
    on_event: Callable[[RetryEvent], None] | None = None,
) -> int:
    """Write every live record of a target into its template; returns the row count.

    `columns` limits the export to some headers (the key is always kept): fewer
    columns can mean far fewer requests where list answers carry only some fields.
    Rows stream from the API to a writer thread; a failed export leaves no file.
    """
    target_cls = get_target(target_name)
    target = target_cls(conn)
    headers = _export_headers(target_cls, columns)
    specs = [c for c in target_cls.columns() if c.header in headers]
    rows: queue.Queue[list[Any] | BaseException | None] = queue.Queue(maxsize=1000)
    written: list[int] = []
    errors: list[BaseException] = []
    finished = threading.Event()
    """Set when the writer thread has stopped reading the queue, for good."""
    writer: threading.Thread | None = None

    def feed() -> Iterator[list[Any]]:
        while (row := rows.get()) is not None:
            if isinstance(row, BaseException):
                raise row  # the writer drops its temporary file; an older file stays as it was
            yield row

    def write(all_specs: list[ColumnSpec]) -> None:
        try:
            written.append(write_template(target_cls, out, feed(), columns=all_specs))
        except BaseException as exc:
            errors.append(exc)
        finally:
            finished.set()  # the producer stops waiting on a queue nobody reads

    def put(item: list[Any] | BaseException | None) -> None:
        """Hand a row to the writer; give up once it has stopped (never wait forever)."""
        while not finished.is_set():
            try:
                rows.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    count = 0
    try:
        async with connect(
            target, conn, transport=transport, rate=rate, on_event=on_event
        ) as client:
            extra = [] if columns else await target.export_extra_headers(client)
            for header in extra:
                headers[header] = header
            all_specs = [*specs, *(ColumnSpec(h) for h in extra)]
            writer = threading.Thread(
                target=write, args=(all_specs,), name="rowpush-export", daemon=True
            )
            writer.start()
            fields = list(headers.values())
            async for record in target.iter_live(client, fields, options or ExportOptions()):
                if errors:  # the file cannot be written: stop reading records
                    break
                await asyncio.to_thread(put, [record.get(f) for f in fields])
                count += 1
                if on_row:
                    on_row(count)
    except BaseException as exc:
        if writer is not None and not errors:
            await asyncio.to_thread(put, RuntimeError(f"export interrupted: {exc!r}"))
        raise
    finally:
        if writer is not None:
            await asyncio.to_thread(put, None)
            await asyncio.to_thread(writer.join)
    if errors:
        raise _unwritten(out, errors[0])
    return written[0] if written else count


def _unwritten(out: Path, exc: BaseException) -> BaseException:
    """A failure to write the file, as a message; other errors as they are."""
    if isinstance(exc, OSError):
        return BadInput(
            f"Cannot write {out}: {exc.strerror or exc} — is it open in Excel or another program?",
            hint="Close it, or give -o another file name; nothing was written.",
        )
    return exc


def write_template(
    target: type[Target],
    out: Path,
    rows: Iterable[Sequence[object]] = (),
    *,
    columns: Sequence[ColumnSpec] | None = None,
) -> int:
    """The target's template (its columns, notes, dropdowns, and the hidden record of
    the target), with `rows` if given; returns the rows written."""
    return write_table(
        out,
        columns if columns is not None else target.columns(),
        rows,
        sheet_title=target.name,
        meta={"target": target.name, "rowpush_version": __version__},
    )


def _export_headers(target: type[Target], columns: Sequence[str] | None) -> dict[str, str]:
    """Header → field for an export, in template order; unknown names are refused."""
    all_headers = target.field_of_header()
    if not columns:
        return all_headers
    by_norm = {normalize_header(h): h for h in all_headers}
    wanted = set()
    for name in columns:
        header = by_norm.get(normalize_header(name))
        if header is None:
            raise BadInput(
                f"{name!r} is not a column of {target.name}.",
                hint=f"Columns: {', '.join(all_headers)}.",
            )
        wanted.add(header)
    key_header = next((h for h, f in all_headers.items() if f == target.key), None)
    if key_header:
        wanted.add(key_header)
    return {h: f for h, f in all_headers.items() if h in wanted}
