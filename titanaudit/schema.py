"""The snapshot file's tables: the records as fetched (each one's JSON body beside its feed, id,
owner and change time), the pull's progress per feed, and the audits and reviewers' decisions
recorded in it. :mod:`titanaudit.store` reads and writes them.
"""

from __future__ import annotations

__all__ = ["AUDIT_SCHEMA", "DECISION_COLUMNS", "SCHEMA", "SCHEMA_VERSION", "UPSERT"]

#: the layout's version, kept in ``meta``; a file of a newer one is refused, not misread
SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    feed TEXT NOT NULL,
    id INTEGER NOT NULL,
    owner_id INTEGER,
    modified_us INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (feed, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS records_owner ON records (feed, owner_id);
CREATE TABLE IF NOT EXISTS sync_state (
    feed TEXT PRIMARY KEY,
    continue_from TEXT,
    complete INTEGER NOT NULL DEFAULT 0,
    pages INTEGER NOT NULL DEFAULT 0,
    records INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT
);
CREATE TABLE IF NOT EXISTS pending_booking_contacts (booking_id INTEGER PRIMARY KEY);
"""

AUDIT_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_at TEXT NOT NULL,
    as_of TEXT NOT NULL,
    summary TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_items (
    run_id INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT,
    PRIMARY KEY (run_id, fingerprint)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS decisions (
    kind TEXT NOT NULL,
    entity TEXT NOT NULL,
    left_id INTEGER NOT NULL,
    right_id INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    who TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    note TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (kind, entity, left_id, right_id)
) WITHOUT ROWID;
"""

#: reviewers' decisions (see :mod:`titanaudit.decisions`)
DECISION_COLUMNS = [
    "kind",
    "entity",
    "left_id",
    "right_id",
    "fingerprint",
    "who",
    "decided_at",
    "note",
    "imported_at",
]

UPSERT = """
INSERT INTO records (feed, id, owner_id, modified_us, body) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (feed, id) DO UPDATE SET
    owner_id = excluded.owner_id, modified_us = excluded.modified_us, body = excluded.body
WHERE excluded.modified_us >= records.modified_us
"""
