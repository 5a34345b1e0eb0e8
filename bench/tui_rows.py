"""How the plan screen copes with a long sheet: time to load, filter and search N rows.

    .venv/bin/python bench/tui_rows.py --rows 100000

Runs the real app (`build_app`) headless through Textual's Pilot on a fixed plan and
prints seconds per step and the peak RSS. No assertion: figures to read.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from collections.abc import AsyncIterator

from rowpush.model import Action, Change
from rowpush.tui.app import build_app
from rowpush.tui.sources import PlanSource


def changes(n: int) -> list[Change]:
    out = []
    for i in range(n):
        if i % 10 == 0:
            out.append(Change(i + 2, Action.CREATE, None, {"name": (None, f"New {i}")}))
        elif i % 3 == 0:
            out.append(Change(i + 2, Action.UPDATE, i, {"item_tax_code": (1, 2)}, label=f"C{i}"))
        else:
            out.append(Change(i + 2, Action.UNCHANGED, i, label=f"Client {i}"))
    return out


async def main(rows: int) -> None:
    plan = changes(rows)

    async def stream() -> AsyncIterator[Change]:
        for c in plan:
            yield c

    app = build_app(PlanSource("big.xlsx", "halopsa.clients", "bench", "http://x", stream))
    async with app.run_test(size=(80, 24)) as pilot:
        t = time.perf_counter()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        print(f"load {rows} rows: {time.perf_counter() - t:.2f} s")
        for key in ("u", "c", "a"):
            t = time.perf_counter()
            await pilot.press(key)
            await pilot.pause()
            print(f"filter '{key}': {time.perf_counter() - t:.2f} s")
        t = time.perf_counter()
        await pilot.press("pagedown", "pagedown", "end", "home")
        await pilot.pause()
        print(f"scroll (2 pages, end, home): {time.perf_counter() - t:.2f} s")
        t = time.perf_counter()
        await pilot.press("slash", *"C99")
        await pilot.pause()
        print(f"search 'C99' (3 keystrokes): {time.perf_counter() - t:.2f} s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MiB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().rows))
