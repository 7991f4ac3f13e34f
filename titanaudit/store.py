"""The snapshot store: one SQLite file (WAL) holding a tenant's records as ServiceTitan sent them.

Tables (readable by any SQLite tool)::

    meta(key, value)                      schema version, tenant id, environment
    records(feed, id, owner_id, modified_us, body)
                                          one row per record; body is the record's JSON as sent;
                                          owner_id is the customer of a location, the customer /
                                          location / booking of a contact
    sync_state(feed, continue_from, complete, pages, records, updated_at)
                                          where each feed's next pull starts
    pending_booking_contacts(booking_id)  bookings whose contacts are still to be pulled

A page of records and its continuation token are written in one transaction, so a pull killed
at any moment resumes from the last page it stored with nothing lost or duplicated. Records are
upserted by (feed, id) and the newest ``modifiedOn`` wins. The file is created owner-only.

The store stores; :func:`titanaudit.frames.read_frames` reads its records as DataFrames with
documented columns.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import adbc_driver_sqlite.dbapi as adbc_sqlite
import pandas as pd
import pyarrow as pa

from titanaudit.errors import ConfigError, StoreError
from titanaudit.privacy import PRIVATE_MODE, touch_private
from titanaudit.schema import AUDIT_SCHEMA, DECISION_COLUMNS, SCHEMA, SCHEMA_VERSION, UPSERT

__all__ = [
    "DECISION_COLUMNS",
    "SCHEMA_VERSION",
    "PastAudit",
    "Snapshot",
    "modified_us",
    "open_snapshot",
]

logger = logging.getLogger(__name__)

Record = dict[str, Any]


class PastAudit(NamedTuple):
    """An audit recorded in the snapshot: when it ran, its summary (the counts of its
    ``audit.json``) and the ``fingerprint, kind, detail`` rows of what it found."""

    run_at: str
    summary: dict[str, Any]
    items: pd.DataFrame


def modified_us(stamp: Any) -> int:
    """``modifiedOn`` as microseconds since 1970 (0 when missing or unreadable).

    ServiceTitan sends 0 to 7 fraction digits ("…10Z", "…10.45Z", "…10.4533333Z"), which do not
    sort as text; this key does.
    """
    if not isinstance(stamp, str) or not stamp:
        return 0
    try:
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1_000_000)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_snapshot(path: str | Path, *, create: bool = False, fetched: bool = False) -> Snapshot:
    """Open a snapshot file; with ``create`` a missing (or empty) file is made a snapshot
    (owner-only). With ``fetched`` a snapshot that no pull ever finished is refused, for the
    commands that read its records (an empty snapshot audits as clean)."""
    snapshot = Snapshot(Path(path), create=create)
    if fetched:
        try:
            snapshot.require_fetched()
        except ConfigError:
            snapshot.close()
            raise
    return snapshot


SQLITE_MAGIC = b"SQLite format 3\x00"


def _is_ours(path: Path) -> bool:
    """Whether ``path`` (an existing, non-empty file) is a titanaudit snapshot, found without
    writing a byte: the SQLite header first, then the tables through a read-only connection
    (``immutable``: no lock, no log, nothing written, even when another program has it open).
    A file of another program must be left exactly as it was, so no pragma runs before this."""
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            return False
    flags = "mode=ro&immutable=1"
    if not _tables(path, flags) and Path(f"{path}-wal").exists():
        # nothing in the main file yet, the rest in its log: read a copy of the two, since even
        # a read-only reader of a live log writes to its shared memory
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / "copy.db"
            shutil.copyfile(path, copy)
            shutil.copyfile(f"{path}-wal", f"{copy}-wal")
            return _has_schema(copy, "mode=rw")
    return _has_schema(path, flags)


def _has_schema(path: Path, flags: str) -> bool:
    if "meta" not in _tables(path, flags):
        return False
    db = sqlite3.connect(f"{path.resolve().as_uri()}?{flags}", uri=True)
    try:
        return db.execute("SELECT 1 FROM meta WHERE key='schema'").fetchone() is not None
    finally:
        db.close()


def _tables(path: Path, flags: str) -> set[str]:
    db = sqlite3.connect(f"{path.resolve().as_uri()}?{flags}", uri=True)
    try:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        db.close()


class Snapshot:
    """A snapshot file. Thread-safe: one connection, every statement under one lock."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        self.path = Path(path)
        fresh = self._claim(create)
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=30
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            if fresh:
                self._db.executescript(SCHEMA)
            self._check_version()
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"{self.path} is damaged or not a titanaudit snapshot ({exc})"
            ) from None

    def _claim(self, create: bool) -> bool:
        """Check that the file may be opened for writing: ours, or missing or empty with
        ``create`` (then made owner-only). Returns whether it is new. Nothing is written to a
        file that is not ours, and a snapshot readable by others is made owner-only."""
        path = self.path
        if path.is_dir():
            raise ConfigError(f"{path} is a folder; give --db a snapshot file")
        if not path.exists() or path.stat().st_size == 0:
            if not create:
                said = "is empty" if path.exists() else "does not exist"
                raise ConfigError(
                    f"snapshot {path} {said}; pull your tenant into it first "
                    f"with titanaudit fetch --db {path}"
                )
            if not path.parent.is_dir():
                raise ConfigError(
                    f"cannot create snapshot {path}: folder {path.parent} does not exist"
                )
            try:
                touch_private(path)
            except OSError as exc:
                raise ConfigError(f"cannot create snapshot {path}: {exc.strerror}") from None
            return True
        try:
            ours = _is_ours(path)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path} is damaged or not a titanaudit snapshot ({exc})") from None
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
        if not ours:
            raise StoreError(
                f"{path} is not a titanaudit snapshot (left as it was); use another --db"
            )
        if path.stat().st_mode & 0o077:
            with contextlib.suppress(OSError):  # not ours to chmod: opening it will say so
                os.chmod(path, PRIVATE_MODE)
                logger.info("%s was readable by others; made it owner-only", path)
        return False

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.counts().items())
        return f"Snapshot({str(self.path)!r}, {counts or 'empty'})"

    def _repr_html_(self) -> str:
        from titanaudit.display import html_summary

        return html_summary(
            f"Snapshot {self.path.name}", [("file", self.path), *self.counts().items()]
        )

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _check_version(self) -> None:
        with self._transaction() as db:
            version = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if version is None:
                db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
            elif int(version[0]) > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} was written by a newer titanaudit; upgrade titanaudit"
                )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # ---- metadata and sync state ------------------------------------------------------
    def meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def bind_tenant(self, tenant_id: int, environment: str) -> None:
        """Record which tenant this file holds; refuse to mix two tenants in one file."""
        held = self.meta("tenant_id")
        if held is not None and int(held) != tenant_id:
            raise ConfigError(
                f"snapshot {self.path} holds tenant {held}, not {tenant_id}; use another --db file"
            )
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('tenant_id', ?)", (str(tenant_id),))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('environment', ?)", (environment,))

    def mark_fetched(self, when: str | None = None) -> None:
        """Record that a pull finished (every feed read to its end), at ``when`` (default now)."""
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('fetched_at', ?)", (when or _now(),))

    def fetched_at(self) -> str | None:
        """When a pull into this snapshot last finished; None if none ever did. (A snapshot
        from before this was recorded counts as pulled when every feed it knows is complete.)"""
        stamp = self.meta("fetched_at")
        if stamp is not None:
            return stamp
        with self._lock:
            row = self._db.execute(
                "SELECT count(*), min(complete), max(updated_at) FROM sync_state"
            ).fetchone()
        return str(row[2]) if row[0] and row[1] else None

    def require_fetched(self) -> None:
        """Raise :class:`ConfigError` unless a pull into this snapshot ever finished."""
        if self.fetched_at() is not None:
            return
        with self._lock:
            started = self._db.execute("SELECT count(*) FROM sync_state").fetchone()[0]
        if started:
            raise ConfigError(
                f"the first pull into {self.path} did not finish, so it cannot be "
                f"audited yet; run titanaudit fetch --db {self.path} again: it "
                "resumes where it stopped"
            )
        raise ConfigError(
            f"{self.path} holds no records: no pull into it has finished; run "
            f"titanaudit fetch --db {self.path} first"
        )

    def continuation(self, feed: str) -> str | None:
        """The token the next pull of ``feed`` starts from (None: from the beginning)."""
        with self._lock:
            row = self._db.execute(
                "SELECT continue_from FROM sync_state WHERE feed=?", (feed,)
            ).fetchone()
        return None if row is None else row[0]

    def reset_sync(self) -> None:
        """Forget every feed's position, so the next pull starts from the beginning (--full)."""
        with self._transaction() as db:
            db.execute("DELETE FROM sync_state")

    def sync_state(self) -> pd.DataFrame:
        """One row per feed: ``feed, continue_from, complete, pages, records, updated_at``."""
        with self._lock:
            return pd.read_sql_query("SELECT * FROM sync_state ORDER BY feed", self._db)

    # ---- writing ----------------------------------------------------------------------
    def write_page(
        self,
        feed: str,
        records: Iterable[Record],
        *,
        continue_from: str | None,
        complete: bool,
        owner_field: str | None = None,
        pending_bookings: bool = False,
    ) -> int:
        """Upsert one page and move the feed's position, in one transaction. Returns rows seen."""
        rows = [_row(feed, r, owner_field) for r in records]
        with self._transaction() as db:
            db.executemany(UPSERT, rows)
            if pending_bookings:
                db.executemany(
                    "INSERT OR IGNORE INTO pending_booking_contacts VALUES (?)",
                    ((r[1],) for r in rows),
                )
            db.execute(
                """INSERT INTO sync_state (feed, continue_from, complete, pages, records, updated_at)
                   VALUES (?, ?, ?, 1, ?, ?)
                   ON CONFLICT (feed) DO UPDATE SET continue_from = excluded.continue_from,
                   complete = excluded.complete, pages = pages + 1,
                   records = records + excluded.records, updated_at = excluded.updated_at""",
                (feed, continue_from, int(complete), len(rows), _now()),
            )
        return len(rows)

    def replace_children(self, feed: str, owner_id: int, records: Iterable[Record]) -> int:
        """Replace all ``feed`` records of one owner (a booking's contacts) and clear it from
        the pending list, in one transaction."""
        rows = [_row(feed, r, None, owner_id) for r in records]
        with self._transaction() as db:
            db.execute("DELETE FROM records WHERE feed=? AND owner_id=?", (feed, owner_id))
            db.executemany(UPSERT, rows)
            db.execute("DELETE FROM pending_booking_contacts WHERE booking_id=?", (owner_id,))
        return len(rows)

    def replace_feed(self, feed: str, records: Iterable[Record]) -> int:
        """Replace a whole small feed (a lookup) in one transaction."""
        rows = [_row(feed, r, None) for r in records]
        with self._transaction() as db:
            db.execute("DELETE FROM records WHERE feed=?", (feed,))
            db.executemany(UPSERT, rows)
        return len(rows)

    def pending_bookings(self) -> list[int]:
        """Bookings (new or changed since their contacts were pulled) whose contacts are due."""
        with self._lock:
            rows = self._db.execute("SELECT booking_id FROM pending_booking_contacts ORDER BY 1")
            return [int(r[0]) for r in rows]

    # ---- reading ----------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """Number of records per feed."""
        with self._lock:
            rows = self._db.execute(
                "SELECT feed, count(*) FROM records GROUP BY feed ORDER BY feed"
            )
            return {str(feed): int(n) for feed, n in rows}

    def records(self, feed: str, *, batch: int = 5000) -> Iterator[Record]:
        """Every record of ``feed`` exactly as ServiceTitan sent it, by id, streamed."""
        for body in self.raw(feed, batch=batch):
            yield json.loads(body)

    def raw(self, feed: str, *, batch: int = 5000) -> Iterator[str]:
        """The JSON text of every record of ``feed``, by id, streamed in batches."""
        last = -(2**63)
        while True:
            with self._lock:
                rows = self._db.execute(
                    "SELECT id, body FROM records WHERE feed=? AND id>? ORDER BY id LIMIT ?",
                    (feed, last, batch),
                ).fetchall()
            if not rows:
                return
            yield from (body for _, body in rows)
            last = rows[-1][0]

    def newest_change(self, feed: str) -> datetime | None:
        """The latest ``modifiedOn`` among ``feed``'s records (None for none): how far the
        snapshot's data reaches, whenever it was pulled."""
        with self._lock:
            row = self._db.execute("SELECT max(modified_us) FROM records WHERE feed=?", (feed,))
            newest = row.fetchone()[0]
        return None if not newest else datetime.fromtimestamp(newest / 1_000_000, UTC)

    def owners(self, feed: str) -> dict[int, int]:
        """``{record id: owner id}`` for a feed (e.g. booking contact → booking)."""
        with self._lock:
            rows = self._db.execute("SELECT id, owner_id FROM records WHERE feed=?", (feed,))
            return {int(i): int(o) for i, o in rows if o is not None}

    def query(self, sql: str, params: Iterable[Any] = ()) -> pd.DataFrame:
        """Run a read-only SQL query and return a DataFrame. Text that is not UTF-8 (a lone
        surrogate's escape in a record, which SQLite's JSON functions turn into bytes no UTF-8
        holds) is read with U+FFFD in place of what cannot be decoded, not refused."""
        with self._lock:
            try:
                return pd.read_sql_query(sql, self._db, params=tuple(params))
            except sqlite3.OperationalError as exc:
                if "decode" not in str(exc):
                    raise
            self._db.text_factory = lambda raw: raw.decode("utf-8", "replace")
            try:
                return pd.read_sql_query(sql, self._db, params=tuple(params))
            finally:
                self._db.text_factory = str

    def arrow_query(self, sql: str, *, batch_rows: int = 1_000_000) -> pa.Table | None:
        """Run a read-only SQL query and return its rows as an Arrow table in chunks of
        ``batch_rows``, read in C through its own read-only connection (ADBC's SQLite driver:
        no Python object per value), or None where that driver cannot read them (it takes each
        column's type from the first rows, and refuses a column whose values change type
        later); :meth:`query` can."""
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        try:
            with adbc_sqlite.connect(uri) as db, db.cursor() as cursor:
                cursor.execute("PRAGMA busy_timeout = 30000")  # as this connection waits
                cursor.adbc_statement.set_options(
                    **{"adbc.sqlite.query.batch_rows": str(batch_rows)}
                )
                cursor.execute(sql)
                return cursor.fetch_arrow_table()
        except adbc_sqlite.Error as exc:
            logger.debug("Arrow could not read %s: %s", self.path, exc)
            return None

    def _audit_tables(self, db: sqlite3.Connection) -> None:
        for statement in AUDIT_SCHEMA.split(";"):
            if statement.strip():
                db.execute(statement)
        columns = {row[1] for row in db.execute("PRAGMA table_info(audit_items)")}
        if "detail" not in columns:  # a snapshot audited before details were kept
            db.execute("ALTER TABLE audit_items ADD COLUMN detail TEXT")

    def _has(self, table: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)
        ).fetchone()
        return row is not None

    def record_audit(
        self, run_at: str, as_of: str, summary: dict[str, Any], items: pd.DataFrame
    ) -> int:
        """Remember an audit: its summary and the fingerprints (``fingerprint, kind`` and
        ``detail``, a line saying what it was) of what it found, for the next audit to tell new
        from persisting and resolved. Returns its id."""
        with self._transaction() as db:
            self._audit_tables(db)
            run = db.execute(
                "INSERT INTO audit_runs (run_at, as_of, summary) VALUES (?, ?, ?)",
                (run_at, as_of, json.dumps(summary, default=str)),
            )
            run_id = int(run.lastrowid or 0)
            details = items["detail"] if "detail" in items else pd.Series(None, index=items.index)
            db.executemany(
                "INSERT OR IGNORE INTO audit_items (run_id, fingerprint, kind, detail) VALUES (?, ?, ?, ?)",
                (
                    (run_id, f, k, d)
                    for f, k, d in zip(items["fingerprint"], items["kind"], details, strict=True)
                ),
            )
        return run_id

    def last_audit(self) -> PastAudit | None:
        """The latest recorded audit (see :class:`PastAudit`), or None."""
        with self._lock:
            if not self._has("audit_runs"):
                return None
            row = self._db.execute(
                "SELECT id, run_at, summary FROM audit_runs ORDER BY id DESC LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            columns = {c[1] for c in self._db.execute("PRAGMA table_info(audit_items)")}
            detail = "detail" if "detail" in columns else "NULL AS detail"
            items = pd.read_sql_query(
                f"SELECT fingerprint, kind, {detail} FROM audit_items WHERE run_id = ?",
                self._db,
                params=(row[0],),
            )
        return PastAudit(str(row[1]), json.loads(row[2]), items)

    def audit_history(self) -> pd.DataFrame:
        """Every recorded audit, oldest first: ``id, run_at, as_of, summary`` (a dict: the
        counts of its ``audit.json``)."""
        with self._lock:
            if not self._has("audit_runs"):
                return pd.DataFrame(columns=["id", "run_at", "as_of", "summary"])
            runs = pd.read_sql_query(
                "SELECT id, run_at, as_of, summary FROM audit_runs ORDER BY id", self._db
            )
        runs["summary"] = [json.loads(s) for s in runs["summary"]]
        return runs

    def save_decisions(self, decisions: pd.DataFrame) -> int:
        """Store reviewers' decisions (columns of :data:`DECISION_COLUMNS`); a decision on the
        same records replaces the one before. Returns how many were stored."""
        self.change_decisions(decisions, ())
        return len(decisions)

    def change_decisions(
        self, save: pd.DataFrame, forget: Iterable[tuple[str, str, int, int]]
    ) -> int:
        """In one transaction, remove the decisions on ``forget`` (``kind, entity, left_id,
        right_id``; ``right_id`` 0 for one record), then store ``save`` as
        :meth:`save_decisions` does. Returns how many were removed."""
        rows = save.reindex(columns=DECISION_COLUMNS).itertuples(index=False, name=None)
        with self._transaction() as db:
            self._audit_tables(db)
            gone = db.executemany(
                "DELETE FROM decisions WHERE kind = ? AND entity = ? AND left_id = ? AND right_id = ?",
                list(forget),
            )
            removed = max(0, int(gone.rowcount))
            db.executemany(
                "INSERT OR REPLACE INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
            )
        return removed

    def decisions(self) -> pd.DataFrame:
        """Reviewers' decisions, oldest first (columns of :data:`DECISION_COLUMNS`; ``right_id``
        is 0 for a decision on one record)."""
        with self._lock:
            if not self._has("decisions"):
                return pd.DataFrame(columns=DECISION_COLUMNS)
            return pd.read_sql_query(
                f"SELECT {', '.join(DECISION_COLUMNS)} FROM decisions ORDER BY decided_at",
                self._db,
            )


def _row(
    feed: str, record: Record, owner_field: str | None, owner: int | None = None
) -> tuple[Any, ...]:
    try:
        record_id = int(record["id"])
    except (KeyError, TypeError, ValueError):
        raise StoreError(f"a {feed} record has no numeric id: {str(record)[:80]}") from None
    if owner is None and owner_field:
        value = record.get(owner_field)
        owner = int(value) if value is not None else None
    body = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    return (feed, record_id, owner, modified_us(record.get("modifiedOn")), body)
