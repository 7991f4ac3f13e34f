"""What the command line shows while it works and when it is done (rich, on stderr).

Presentation only: the library reports progress through callbacks and never prints; the CLI
hands these displays to it.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import TracebackType

import pandas as pd
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from titanaudit.frames import read_frames
from titanaudit.servicetitan.sync import FeedProgress, SyncResult
from titanaudit.servicetitan.transport import WireStats
from titanaudit.store import open_snapshot

__all__ = ["FetchDisplay", "StageDisplay", "print_snapshot_summary", "print_sync_summary"]


class StageDisplay:
    """One line per stage of a long computation, ticked off with its time as the next starts.
    Hand :meth:`stage` to the library as its ``progress`` callback."""

    def __init__(self, console: Console, *, enabled: bool = True) -> None:
        self.progress = Progress(
            SpinnerColumn(finished_text="[green]✓"),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=console,
            disable=not enabled,
        )
        self.current: TaskID | None = None

    def __enter__(self) -> StageDisplay:
        self.progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is None:
            self._finish()
        elif self.current is not None:  # no tick for a stage that failed: the error says why
            self.progress.remove_task(self.current)
        self.progress.stop()

    def _finish(self) -> None:
        if self.current is not None:
            self.progress.update(self.current, total=1, completed=1)
            self.progress.stop_task(self.current)

    def stage(self, description: str) -> None:
        self._finish()
        self.current = self.progress.add_task(description, total=None)

    def detail(self, description: str) -> None:
        """Say what the current stage is doing now, on its own line (a stage of many steps)."""
        if self.current is not None:
            self.progress.update(self.current, description=description)


class FetchDisplay:
    """A live line per feed (records, pages) and one for the wire (request rate, retries)."""

    def __init__(self, console: Console, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self.progress = Progress(
            SpinnerColumn(finished_text="[green]✓"),
            TextColumn("{task.description:<24}"),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=console,
            disable=not enabled,
        )
        self.tasks: dict[str, TaskID] = {}
        self.wire: TaskID | None = None
        self.started = time.monotonic()

    def __enter__(self) -> FetchDisplay:
        self.progress.start()
        self.wire = self.progress.add_task("requests", total=None, detail="connecting")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.wire is not None:
            if exc is None:
                self.progress.update(self.wire, total=1, completed=1)
            else:  # no tick before an error: the error line says what happened
                self.progress.remove_task(self.wire)
        self.progress.stop()

    def update(self, feed: FeedProgress, stats: WireStats) -> None:
        task = self.tasks.get(feed.feed)
        if task is None:
            task = self.tasks[feed.feed] = self.progress.add_task(feed.feed, total=None, detail="")
        detail = f"{feed.records:>10,} records {feed.pages:>7,} pages"
        if feed.skipped:
            detail += f"  (skipped: {feed.skipped})"
        self.progress.update(task, detail=detail)
        if feed.done:
            self.progress.update(task, total=1, completed=1)
        if self.wire is not None:
            rate = stats.requests / max(1e-6, time.monotonic() - self.started)
            text = f"{stats.requests:>10,} sent    {rate:5.1f}/s  {stats.retries:,} retried"
            self.progress.update(self.wire, detail=text)


def print_sync_summary(console: Console, result: SyncResult, db: Path) -> None:
    """The closing table of a fetch: per feed, what this run pulled and what the file holds."""
    table = Table(title=f"{result.kind} of {db} in {result.seconds:.1f} s", title_justify="left")
    table.add_column("feed")
    table.add_column("pulled now", justify="right")
    table.add_column("in snapshot", justify="right")
    for name, progress in result.feeds.items():
        note = f" ({progress.skipped})" if progress.skipped else ""
        table.add_row(name + note, f"{progress.records:,}", f"{result.totals.get(name, 0):,}")
    console.print(table)
    console.print(
        f"{result.requests:,} requests, {result.retries} retries "
        f"({result.rate_limited} rate-limited, {result.server_errors} server errors, "
        f"{result.network_errors} network faults), {result.tokens_fetched} token(s) fetched"
    )


def print_snapshot_summary(console: Console, db: Path) -> None:
    """Headline numbers of a snapshot: active and merged customers, locations, contacts."""
    with open_snapshot(db) as snapshot:
        frames = read_frames(snapshot)
    customers, locations, contacts, leads = (
        frames.customers,
        frames.locations,
        frames.contacts,
        frames.leads,
    )
    merged = int(customers["merged_to_id"].notna().sum())
    active = int(customers["active"].fillna(False).sum())
    table = Table(title=f"snapshot {db}", title_justify="left", show_header=False)
    table.add_row("customers", f"{len(customers):,} ({active:,} active, {merged:,} merged away)")
    table.add_row("locations", f"{len(locations):,}")
    by_type = contacts["type"].value_counts() if len(contacts) else pd.Series(dtype="int64")
    kinds = ", ".join(f"{int(n):,} {kind}" for kind, n in by_type.items())
    table.add_row("contacts", f"{len(contacts):,}" + (f" ({kinds})" if kinds else ""))
    open_leads = int((leads["status"] == "Open").sum()) if len(leads) else 0
    table.add_row("leads", f"{len(leads):,} ({open_leads:,} open)")
    console.print(table)
