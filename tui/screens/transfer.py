"""Import and export screens: pick a file, check it (a dry run with each row's outcome), import or export with a
progress bar, and read the summary. The work runs in a thread through the same core functions as the
``contacts import`` and ``contacts export`` commands."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Input, Label, ProgressBar, RichLog, Select, Static, Switch

from core.errors import ContactsError, ValidationFailed
from core.models import DEFAULT_DIVISION
from core.text import inert
from core.transfer.files import FORMATS, Exported, ImportOptions, ImportResult, export_file, format_of, import_file
from core.transfer.presets import NAMES, PRESETS
from core.transfer.report import ImportAction, Report
from tui.screens.dialogs import ConfirmDialog
from tui.session import session
from tui.widgets.compact import compact

MAX_REPORT_LINES = 2000
# How this screen phrases the fix core names for a refused file.
FIXES = {"encoding": "type its encoding under Encoding", "mapping": "name a column mapping file",
         "format": "name the file .csv, .vcf or .jsonl", "columns": "use the columns README lists for import",
         "from": "choose it under From"}


class ImportableFiles(DirectoryTree):
    """Folders, and the files import reads or export writes."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [p for p in paths if not p.name.startswith(".") and (p.is_dir() or p.suffix.casefold() in FORMATS)]


class TransferScreen(ModalScreen[bool]):
    """What import and export share: a file path, a progress bar, a report, and running in a thread.
    Dismisses with True if the directory changed."""

    BINDINGS = [Binding("escape", "close", "Close", id="transfer.close")]
    HEADING = ""
    PLACEHOLDER = ""

    def __init__(self) -> None:
        super().__init__()
        self.changed = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog transfer"):
            yield Static(Text(self.HEADING, "bold"), classes="title")
            yield Label("File")
            with Horizontal(classes="path-row"):
                yield Input(placeholder=self.PLACEHOLDER, id="path")
                yield Button("Browse…", id="browse")
            yield from self.options()
            with Horizontal(classes="buttons"):
                yield from self.buttons()
                yield Button("Close", id="close")
            yield ProgressBar(id="progress", show_eta=False)
            yield Static("", id="summary")
            yield RichLog(id="report", wrap=True, markup=False, max_lines=MAX_REPORT_LINES + 1)

    def options(self) -> ComposeResult:
        yield from ()

    def buttons(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        compact(self)  # the report below the fields stays in view on a 24-line terminal
        self.query_one("#progress", ProgressBar).display = False
        self.query_one("#path", Input).focus()

    @on(Button.Pressed, "#browse")
    async def browse(self) -> None:
        """Show (or hide) the files of the folder the path names, or of the current folder, to pick one."""
        shown = self.query(ImportableFiles)
        if shown:
            await shown.remove()
            return
        typed = Path(self.query_one("#path", Input).value.strip() or ".").expanduser()
        folder = typed if typed.is_dir() else typed.parent if typed.parent.is_dir() else Path.cwd()
        files = ImportableFiles(folder.resolve(), id="files")
        await self.mount(files, after=self.query_one(".path-row"))
        files.focus()

    @on(DirectoryTree.FileSelected)
    async def file_picked(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#path", Input).value = str(event.path)
        await self.query(ImportableFiles).remove()
        self.query_one("#path", Input).focus()

    def action_close(self) -> None:
        # Only this screen's import or export keeps it open (the main screen polls for changes in a worker too).
        if not any(w.group == "transfer" and not w.is_finished for w in self.workers):
            self.dismiss(self.changed)

    @on(Button.Pressed, "#close")
    def close_pressed(self) -> None:
        self.action_close()

    def path(self) -> Path | None:
        text = self.query_one("#path", Input).value.strip()
        if not text:
            self.show_summary(Text("Name a file first.", "bold red"))
            return None
        return Path(text).expanduser()

    def busy(self, running: bool) -> None:
        for button in self.query(Button):
            button.disabled = running and button.id != "close"
        bar = self.query_one("#progress", ProgressBar)
        bar.display = running or bar.display
        if running:
            bar.update(total=None, progress=0)
            self.query_one("#report", RichLog).clear()
            self.show_summary(Text("Working…"))

    def progress(self, done: int, total: int) -> None:
        """Called from the worker thread by the core function doing the work."""
        self.app.call_from_thread(self.query_one("#progress", ProgressBar).update, total=max(total, done, 1),
                                  progress=done)

    def show_summary(self, text: Text) -> None:
        self.query_one("#summary", Static).update(text)

    def failed(self, error: ContactsError) -> None:
        self.busy(False)
        if isinstance(error, ValidationFailed):
            text = "; ".join(str(p) + (f" ({FIXES[p.fix]})" if p.fix in FIXES else "") for p in error.problems)
        else:
            text = str(error)
        self.show_summary(Text(text, "bold red"))


class ImportScreen(TransferScreen):
    HEADING = "Import contacts and organizations (CSV, vCard or JSON Lines)"
    PLACEHOLDER = "path to a .csv, .vcf or .jsonl file"

    def options(self) -> ComposeResult:
        divisions = [(d.name, d.name) for d in session(self).directory.divisions()]
        with Horizontal(classes="transfer-options"):
            with Vertical():
                yield Label("Division")
                yield Select(divisions, value=DEFAULT_DIVISION, allow_blank=False, id="division")
            with Vertical():
                yield Label("From")
                yield Select([(NAMES[name].removeprefix("a ").removeprefix("an "), name) for name in PRESETS],
                             prompt="these columns", id="preset")
            with Vertical():
                yield Label("Mapping file")
                yield Input(placeholder="none", id="mapping")
            with Vertical():
                yield Label("Encoding")
                yield Input(placeholder="UTF-8, or cp1252…", id="encoding")
            with Vertical(classes="switch-option"):
                yield Label("All or none")
                yield Switch(False, id="strict")

    def buttons(self) -> ComposeResult:
        yield Button("Check (dry run)", variant="primary", id="check")
        yield Button("Import", variant="success", id="import")

    @on(Button.Pressed, "#check")
    def check(self) -> None:
        self.start(dry_run=True)

    @on(Button.Pressed, "#import")
    def import_now(self) -> None:
        self.start(dry_run=False)

    def start(self, dry_run: bool) -> None:
        path = self.path()
        if path is None:
            return
        mapping = self.query_one("#mapping", Input).value.strip()
        chosen = self.query_one("#preset", Select).value
        options = ImportOptions(division=str(self.query_one("#division", Select).value), dry_run=dry_run,
                                preset=chosen if isinstance(chosen, str) else None,
                                strict=self.query_one("#strict", Switch).value,
                                mapping=Path(mapping).expanduser() if mapping else None,
                                encoding=self.query_one("#encoding", Input).value.strip() or None)
        self.busy(True)
        self.run_import(path, options)

    @work(thread=True, exclusive=True, group="transfer")
    def run_import(self, path: Path, options: ImportOptions) -> None:
        try:
            result = import_file(session(self).directory, session(self).actor, path, options, progress=self.progress)
        except ContactsError as error:
            self.app.call_from_thread(self.failed, error)
            return
        self.app.call_from_thread(self.finished, result)

    def finished(self, result: ImportResult) -> None:
        self.busy(False)
        report = result.report
        self.changed = self.changed or (report.written and bool(report.counts[ImportAction.create] + report.counts[ImportAction.update]))
        summary = Text(report.summary(),
                       "bold red" if report.errors else "bold green")
        if result.rejects:
            summary.append(f"\nRejected rows are in {result.rejects}: fix them there and import that file.")
        if result.ignored_columns:
            summary.append("\nIgnored columns: " + inert(", ".join(result.ignored_columns)), "dim")
        if report.not_kept:
            summary.append("\n" + inert(report.not_kept_line("card" if result.format == "vcard" else "row")), "dim")
        self.show_summary(summary)
        self.write_report(report, every_row=not report.written)

    def write_report(self, report: Report, every_row: bool) -> None:
        log = self.query_one("#report", RichLog)
        shown = 0
        # Errors first: they are what someone has to act on.
        for outcome in sorted(report.outcomes, key=lambda o: o.action is not ImportAction.error):
            if not (every_row or outcome.worth_reading):
                continue
            if shown == MAX_REPORT_LINES:
                log.write(Text("… and more: the command `contacts import --dry-run` prints every row", "dim"))
                break
            style = "red" if outcome.action is ImportAction.error else "yellow" if outcome.warnings else ""
            log.write(Text(inert(outcome.report_line()), style))  # the file's text, shown, never obeyed
            shown += 1


class ExportScreen(TransferScreen):
    HEADING = "Export the directory"
    PLACEHOLDER = "path of the file to write: .csv, .vcf, or .jsonl (a full backup)"

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.query_text = query.strip()  # the main list's search, which the export may be limited to

    def options(self) -> ComposeResult:
        with Horizontal(classes="transfer-options"):
            with Vertical():
                yield Label("vCard version")
                yield Select([("3.0", "3.0"), ("4.0", "4.0")], value="3.0", allow_blank=False, id="vcard-version")
            if self.query_text:
                with Vertical(classes="switch-option"):
                    yield Label(Text(f"Only what “{inert(self.query_text)}” finds"))
                    yield Switch(True, id="only-found")

    def only_found(self) -> bool:
        switches = self.query("#only-found")
        return bool(switches) and self.query_one("#only-found", Switch).value

    def buttons(self) -> ComposeResult:
        yield Button("Export", variant="primary", id="export")

    @on(Button.Pressed, "#export")
    def export_now(self) -> None:
        path = self.path()
        if path is None:
            return
        try:
            format_of(path)
        except ContactsError as error:
            self.failed(error)
            return
        if path.exists():
            self.app.push_screen(ConfirmDialog(f"{path} exists. Replace it?", "Replace", danger=True),
                                 lambda replace: self.start_export(path) if replace else None)
            return
        self.start_export(path)

    def start_export(self, path: Path) -> None:
        self.busy(True)
        self.run_export(path, str(self.query_one("#vcard-version", Select).value))

    @work(thread=True, exclusive=True, group="transfer")
    def run_export(self, path: Path, vcard_version: str) -> None:
        try:
            exported = export_file(session(self).directory, session(self).actor, path, vcard_version=vcard_version,
                                   progress=self.progress, query=self.query_text if self.only_found() else None)
        except ContactsError as error:
            self.app.call_from_thread(self.failed, error)
            return
        self.app.call_from_thread(self.exported, path, exported)

    def exported(self, path: Path, exported: Exported) -> None:
        self.busy(False)
        summary = Text(f"Exported {exported.count:,} records to {path}.", "bold green")
        summary.append("\nNot in this format: " + ", ".join(exported.not_carried) + ".", "dim")
        self.show_summary(summary)
