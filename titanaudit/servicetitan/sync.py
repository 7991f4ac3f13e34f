"""Pull a tenant into a snapshot: complete, resumable, incremental.

:func:`sync` pulls the six export feeds in parallel threads (sharing one rate limiter), writing
each page with its continuation token in one transaction. Bookings seen in this run are queued
in the same transaction; as soon as the bookings feed is in, their contacts are pulled
(``bookings/{id}/contacts``, one request per booking) while the big feeds are still paging, and
each booking leaves the queue when its contacts are stored. The small lookups (custom-field and
tag types) are replaced whole.

Run it again and it starts where the last run stopped: after a crash, from the last stored page;
after a finished run, from the end of each feed, so only records changed since come back. With
``full=True`` every feed starts from the beginning (records are upserted, nothing is lost).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from titanaudit.config import Config
from titanaudit.errors import ConfigError, ServiceTitanError
from titanaudit.servicetitan.client import ServiceTitanClient
from titanaudit.servicetitan.feeds import BOOKING_CONTACTS, EXPORT_FEEDS, LOOKUPS, Feed
from titanaudit.servicetitan.transport import WireStats
from titanaudit.store import Snapshot, open_snapshot

__all__ = ["FeedProgress", "SyncResult", "fetch_snapshot", "sync"]

logger = logging.getLogger(__name__)


@dataclass
class FeedProgress:
    """How far one feed has come in this run."""

    feed: str
    records: int = 0
    pages: int = 0
    done: bool = False
    skipped: str | None = None


@dataclass
class SyncResult:
    """What a run pulled, and what it met on the wire."""

    feeds: dict[str, FeedProgress]
    #: ``full pull`` (from the beginning), ``resumed first pull`` (an interrupted first pull
    #: finished) or ``incremental update`` (only what changed since the last finished pull)
    kind: str
    seconds: float = 0.0
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    network_errors: int = 0
    tokens_fetched: int = 0
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def incremental(self) -> bool:
        """Whether only what changed since the last finished pull was asked for."""
        return self.kind == "incremental update"

    @property
    def records(self) -> int:
        return sum(p.records for p in self.feeds.values())


ProgressCallback = Callable[[FeedProgress, WireStats], None]


class _Run:
    """One sync run's shared state: the progress of each feed and a stop flag."""

    def __init__(
        self, client: ServiceTitanClient, snapshot: Snapshot, on_progress: ProgressCallback | None
    ) -> None:
        self.client, self.snapshot = client, snapshot
        self.on_progress = on_progress
        self.stop = threading.Event()
        self.lock = threading.Lock()
        names = [f.name for f in (*EXPORT_FEEDS, BOOKING_CONTACTS, *LOOKUPS)]
        self.progress = {name: FeedProgress(name) for name in names}

    def advance(
        self,
        feed: str,
        records: int,
        *,
        pages: int = 1,
        done: bool = False,
        skipped: str | None = None,
    ) -> None:
        with self.lock:
            state = self.progress[feed]
            state.records += records
            state.pages += pages
            state.done = state.done or done
            state.skipped = skipped or state.skipped
            snapshot = dataclasses.replace(state)
        if self.on_progress:
            self.on_progress(snapshot, self.client.stats)


def sync(
    client: ServiceTitanClient,
    snapshot: Snapshot,
    *,
    full: bool = False,
    on_progress: ProgressCallback | None = None,
) -> SyncResult:
    """Pull or update ``snapshot`` from ServiceTitan (see the module docstring)."""
    started = time.monotonic()
    snapshot.bind_tenant(client.tenant, client.config.endpoints.name)
    if full:
        snapshot.reset_sync()
    kind = _kind(snapshot)
    run = _Run(client, snapshot, on_progress)
    workers = max(1, client.config.fetch.concurrency)
    feeds_pool = ThreadPoolExecutor(len(EXPORT_FEEDS), thread_name_prefix="titanaudit-feed")
    calls_pool = ThreadPoolExecutor(workers, thread_name_prefix="titanaudit-call")
    try:
        _pull_all(run, feeds_pool, calls_pool)
    except BaseException:
        run.stop.set()  # Ctrl-C or a failure: running feeds stop after their current page
        raise
    finally:
        calls_pool.shutdown(wait=True, cancel_futures=True)
        feeds_pool.shutdown(wait=True, cancel_futures=True)
    snapshot.mark_fetched()
    stats = client.stats
    return SyncResult(
        feeds=run.progress,
        kind=kind,
        seconds=time.monotonic() - started,
        requests=stats.requests,
        retries=stats.retries,
        rate_limited=stats.rate_limited,
        server_errors=stats.server_errors,
        network_errors=stats.network_errors,
        tokens_fetched=client.auth.fetched,
        totals=snapshot.counts(),
    )


def _kind(snapshot: Snapshot) -> str:
    if not any(snapshot.continuation(f.name) for f in EXPORT_FEEDS):
        return "full pull"
    return "incremental update" if snapshot.fetched_at() else "resumed first pull"


def _pull_all(run: _Run, feeds_pool: ThreadPoolExecutor, calls_pool: ThreadPoolExecutor) -> None:
    """The export feeds, the booking contacts (as soon as bookings are in), then the lookups."""
    exports = {f.name: feeds_pool.submit(_pull_export, run, f) for f in EXPORT_FEEDS}
    # Booking contacts need one request per booking: start them as soon as the (small)
    # bookings feed is in, while the big feeds are still paging.
    _finish(run, [exports["bookings"]])
    contacts = [
        calls_pool.submit(_pull_booking_contacts, run, b) for b in run.snapshot.pending_bookings()
    ]
    _finish(run, [*contacts, *exports.values()])
    run.advance(BOOKING_CONTACTS.name, 0, pages=0, done=True)
    _finish(run, [calls_pool.submit(_pull_lookup, run, f) for f in LOOKUPS])


def _finish(run: _Run, futures: list[Future[None]]) -> None:
    """Wait for ``futures``; on the first failure, stop the rest and raise it."""
    done, _ = wait(futures, return_when=FIRST_EXCEPTION)
    failed = [f for f in done if f.exception() is not None]
    if failed:
        run.stop.set()
        wait(futures)
        raise failed[0].exception()  # type: ignore[misc]


def _pull_export(run: _Run, feed: Feed) -> None:
    start = run.snapshot.continuation(feed.name)
    logger.info(
        "%s: starting from %s", feed.name, "the last position" if start else "the beginning"
    )
    for page in run.client.export(feed.path, start):
        stored = run.snapshot.write_page(
            feed.name,
            page.records,
            continue_from=page.continue_from or start,
            complete=not page.has_more,
            owner_field=feed.owner_field,
            pending_bookings=feed.name == "bookings",
        )
        start = page.continue_from or start
        run.advance(feed.name, stored, done=not page.has_more)
        if run.stop.is_set():
            return


def _pull_booking_contacts(run: _Run, booking_id: int) -> None:
    if run.stop.is_set():
        return
    path = BOOKING_CONTACTS.path.format(id=booking_id)
    try:
        contacts = [c for page in run.client.pages(path, page_size=500) for c in page]
    except ServiceTitanError as exc:
        if exc.status != 404:
            raise
        contacts = []  # the booking is gone; nothing to keep
    stored = run.snapshot.replace_children(BOOKING_CONTACTS.name, booking_id, contacts)
    run.advance(BOOKING_CONTACTS.name, stored)


def _pull_lookup(run: _Run, feed: Feed) -> None:
    try:
        if feed.kind == "export":
            records = [
                r for page in run.client.export(feed.path, api=feed.api) for r in page.records
            ]
        else:
            records = [r for page in run.client.pages(feed.path, api=feed.api) for r in page]
    except ServiceTitanError as exc:
        if not feed.optional or exc.status not in (403, 404):
            raise
        logger.warning("%s skipped: %s", feed.name, exc)
        run.advance(feed.name, 0, pages=0, done=True, skipped=f"not available ({exc.status})")
        return
    run.advance(feed.name, run.snapshot.replace_feed(feed.name, records), done=True)


def fetch_snapshot(
    config: Config,
    db: str | Path,
    *,
    full: bool = False,
    include_recent_changes: bool | None = None,
    rate_limit: float | None = None,
    on_progress: ProgressCallback | None = None,
    transport: httpx.BaseTransport | None = None,
) -> SyncResult:
    """Pull or update the snapshot file ``db`` with ``config``'s credentials.

    The credentials are checked (a token is fetched) before the file is created, and a file this
    pull created is removed again when the pull fails before it stored a record (a wrong app
    key or tenant id), so no empty snapshot is left behind to be audited as clean.
    """
    path = Path(db)
    if not path.parent.is_dir():
        raise ConfigError(f"cannot create snapshot {path}: folder {path.parent} does not exist")
    settings = config.fetch
    if include_recent_changes is not None:
        settings = dataclasses.replace(settings, include_recent_changes=include_recent_changes)
    if rate_limit is not None:
        if rate_limit <= 0:
            raise ConfigError("--rate-limit must be a positive number of requests per second")
        settings = dataclasses.replace(settings, rate_limit=rate_limit)
    config = dataclasses.replace(config, fetch=settings)
    with ServiceTitanClient(config, transport=transport) as client:
        client.auth.token()
        existed = path.exists()
        new = not existed or path.stat().st_size == 0
        snapshot = open_snapshot(path, create=True)
        try:
            return sync(client, snapshot, full=full, on_progress=on_progress)
        except BaseException:
            # a pull refused at its first request (a wrong app key or tenant) leaves no empty
            # snapshot behind; one that stored pages keeps them, to resume from
            with contextlib.suppress(Exception):  # never hide the error that brought us here
                if new and not snapshot.counts():
                    snapshot.close()
                    _remove_snapshot(path, keep_empty=existed)
            raise
        finally:
            snapshot.close()


def _remove_snapshot(path: Path, *, keep_empty: bool) -> None:
    """Undo the creation of a snapshot: remove it, or leave it empty as the user made it."""
    for name in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        name.unlink(missing_ok=True)
    if keep_empty:
        path.write_bytes(b"")
    else:
        path.unlink(missing_ok=True)
