"""Terminal UI benchmark: from a keystroke in the search box to the updated list, at 100,000 contacts.

    python benchmarks/tui_bench.py --contacts 100000

Drives the real app headless (Textual's ``run_test``) and types queries one key at a time into the search box, timing
each key until the list holds the results for what is now typed and the screen has been refreshed with them. The
keys of a query follow each other at once (a fast typist); each query starts from the full list with the screen
settled (the record in full loaded), as a person pausing between searches would. (Keys go
in through the Input's own ``insert_text_at_cursor``: Pilot's ``press`` also waits for the whole process to go idle,
which would time Pilot, not the app.) Beside it, in the same run, the obvious build: the
same search feeding Textual's stock ``DataTable`` (cleared and refilled with every matching row), with fewer samples
since each takes seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from store_bench import build_ours, machine, percentile  # noqa: E402
from textual.app import App  # noqa: E402
from textual.widgets import DataTable, Input, Static  # noqa: E402

from core.bootstrap import open_directory  # noqa: E402
from core.directory import Directory  # noqa: E402
from core.policy import Actor  # noqa: E402
from tui.app import ContactsApp  # noqa: E402
from tui.screens.main_screen import MainScreen  # noqa: E402
from tui.widgets.detail import DetailPane  # noqa: E402

QUERIES = ["smith", "ann lee", "415 2", "gold", "cus-00004", "example", "garcía", "o'brien"]
ACTOR = Actor("bench")


async def refreshed(app: App) -> None:
    """Returns once the screen has been refreshed (the DataTable does its layout and measuring before that)."""
    done = asyncio.get_running_loop().create_future()
    app.call_after_refresh(done.set_result, None)
    await done


async def settled(pilot, screen) -> None:
    """Returns once the first screen is complete: the list drawn, the first record shown in full and nothing left to
    do. (The first screen is timed on its own; typing into a screen still being built timed its building.)"""
    def detail() -> str:
        return str(screen.query_one(DetailPane).query_one("#detail-body", Static).render())

    while getattr(screen, "shown", None) != ("contact", "") or detail() == "Nothing selected":
        await asyncio.sleep(0.01)
    while running := [worker for worker in pilot.app.workers if not worker.is_finished]:  # the record in full, too
        await asyncio.gather(*(worker.wait() for worker in running), return_exceptions=True)
    await refreshed(pilot.app)
    await pilot.pause()


async def type_key(app: App, search: Input, key: str, arrived) -> float:
    started = time.perf_counter()
    search.insert_text_at_cursor(key)
    while not arrived():
        await asyncio.sleep(0.0005)
    await refreshed(app)
    return (time.perf_counter() - started) * 1000


async def time_contacts_app(directory: Directory) -> list[float]:
    app = ContactsApp(directory, ACTOR)
    timings = []
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        await settled(pilot, screen)
        assert isinstance(screen, MainScreen)
        search = screen.query_one("#search", Input)
        for query in QUERIES:
            for length in range(1, len(query) + 1):
                wanted = ("contact", query[:length])
                timings.append(await type_key(app, search, query[length - 1], lambda wanted=wanted: screen.shown == wanted))
            search.value = ""  # the next query starts from the full list, settled, as the first one did
            await settled(pilot, screen)
    return timings


async def time_first_screen(data_dir: Path) -> tuple[float, float]:
    """From nothing open to the first screen with the list drawn: opening the directory, then the app."""
    started = time.perf_counter()
    directory = open_directory(data_dir)
    opened = time.perf_counter()
    app = ContactsApp(directory, ACTOR)
    async with app.run_test(size=(120, 40)):
        while getattr(app.screen, "shown", None) != ("contact", ""):
            await asyncio.sleep(0.001)
        await refreshed(app)
        drawn = time.perf_counter()
    directory.close()
    return opened - started, drawn - started


class DataTableApp(App[None]):
    """The same search, shown the stock way: every matching row added to a DataTable."""

    def __init__(self, directory: Directory):
        super().__init__()
        self.directory = directory
        self.shown: str | None = None

    def compose(self):
        yield Input(id="search")
        yield DataTable(id="table")

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("name", "organization", "phone", "division")

    def on_input_changed(self, event: Input.Changed) -> None:
        table = self.query_one(DataTable)
        table.clear()
        listing = self.directory.browse(ACTOR, "contact", event.value)
        ids = listing.window(0, listing.size())  # the naive way: every row built up front
        table.add_rows((r.name, r.organization, r.phone, r.division) for r in self.directory.rows(ACTOR, "contact", ids))
        self.shown = event.value


async def time_data_table(directory: Directory, keys: int) -> list[float]:
    app = DataTableApp(directory)
    timings = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        search = app.query_one(Input)
        typed = ""
        for key in "smith gold"[:keys]:
            typed += key
            timings.append(await type_key(app, search, key, lambda typed=typed: app.shown == typed))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--naive-keys", type=int, default=5)
    parser.add_argument("--work-dir", type=Path, default=Path("bench-data"))
    parser.add_argument("--first-screen-sizes", type=int, nargs="*", default=[],
                        help="also time the first screen at these sizes (each built afresh)")
    args = parser.parse_args()
    data_dir = args.work_dir / "tui"
    shutil.rmtree(data_dir, ignore_errors=True)
    build_ours(data_dir, args.contacts)
    first_screens = {args.contacts: asyncio.run(time_first_screen(data_dir))}
    for size in args.first_screen_sizes:
        other = args.work_dir / f"tui-{size}"
        shutil.rmtree(other, ignore_errors=True)
        build_ours(other, size)
        first_screens[size] = asyncio.run(time_first_screen(other))
        shutil.rmtree(other, ignore_errors=True)
    directory = open_directory(data_dir)
    ours = asyncio.run(time_contacts_app(directory))
    stock = asyncio.run(time_data_table(directory, args.naive_keys))
    directory.close()
    shutil.rmtree(data_dir, ignore_errors=True)
    print(f"Machine: {machine()}\n")
    print(f"#### Keystroke in the search box → updated list, {args.contacts:,} contacts\n")
    print("| list | target | p50 | p99 | keystrokes |")
    print("|---|---|---|---|---|")
    print(f"| Contacts TUI (Line-API list, search in a thread) | p99 ≤ 100 ms | {percentile(ours, 50):,.1f} ms | "
          f"{percentile(ours, 99):,.1f} ms | {len(ours)} |")
    print(f"| stock DataTable refilled with the matches | | {percentile(stock, 50):,.0f} ms | "
          f"{percentile(stock, 99):,.0f} ms | {len(stock)} |")
    print("\n#### First screen: from nothing open to the list drawn\n")
    print("| contacts | opening the directory | first screen drawn |")
    print("|---|---|---|")
    for size, (opened, drawn) in sorted(first_screens.items()):
        print(f"| {size:,} | {opened:.2f} s | {drawn:.2f} s |")


if __name__ == "__main__":
    main()
