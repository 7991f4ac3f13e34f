"""``titanaudit export``: each feed of a snapshot written to a file.

- ``jsonl``: one record per line exactly as ServiceTitan sent it. Booking contacts carry no
  booking id in ServiceTitan's shape, so ``booking_contact_owners.json`` maps each to its
  booking (the csv and parquet exports add a ``bookingId`` column instead). The folder can be
  served again by ``titanaudit simulator serve --tenant-dir``;
- ``csv``: nested fields flattened with dots (``address.street``), lists as JSON text, cells a
  spreadsheet would run as a formula neutralised;
- ``parquet``: the same flat columns, typed.

Files are created owner-only and written through a temporary name, so an interrupted export
never leaves a half-written file under the final name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from titanaudit.errors import ConfigError
from titanaudit.privacy import (
    make_folder,
    open_private,
    safe_column,
    touch_private,
    whole,
    write_whole,
)
from titanaudit.servicetitan.feeds import FEED_NAMES
from titanaudit.store import Snapshot

__all__ = ["FORMATS", "OWNERS_FILE", "export_snapshot", "write_csv", "write_owners"]

FORMATS = ("jsonl", "csv", "parquet")
OWNERS_FILE = "booking_contact_owners.json"


def export_snapshot(snapshot: Snapshot, out: Path, *, fmt: str = "jsonl") -> dict[Path, int]:
    """Write every feed to ``out/FEED.{fmt}``; return each path with its record count."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    make_folder(out)
    written: dict[Path, int] = {}
    for feed in FEED_NAMES:
        path = out / f"{feed}.{fmt}"
        with whole(path) as partial:
            written[path] = _WRITERS[fmt](snapshot, feed, partial)
    if fmt == "jsonl":
        write_owners(out, snapshot.owners("booking_contacts"))
    return written


def _jsonl(snapshot: Snapshot, feed: str, path: Path) -> int:
    count = 0
    with open_private(path) as out:
        for body in snapshot.raw(feed):
            out.write(body + "\n")
            count += 1
    return count


def _flat_records(snapshot: Snapshot, feed: str) -> Iterator[dict[str, Any]]:
    owners = snapshot.owners(feed) if feed == "booking_contacts" else {}
    for record in snapshot.records(feed):
        flat = _flatten(record)
        if owners:
            flat["bookingId"] = owners.get(int(record["id"]))
        yield flat


def _flatten(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict):
            flat.update(_flatten(item, f"{name}."))
        elif isinstance(item, list):
            flat[name] = json.dumps(item, ensure_ascii=False)
        else:
            flat[name] = item
    return flat


def _frame(snapshot: Snapshot, feed: str) -> pd.DataFrame:
    return pd.DataFrame.from_records(list(_flat_records(snapshot, feed)))


def _csv(snapshot: Snapshot, feed: str, path: Path) -> int:
    frame = _frame(snapshot, feed)
    write_csv(frame, path)
    return len(frame)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` as CSV for spreadsheets: formula-like cells neutralised, owner-only, and
    through a temporary name so an interrupted write never leaves half a file under ``path``."""
    safe = frame.copy()
    for position in range(safe.shape[1]):  # by position: a header may name a column twice
        column = safe.iloc[:, position]
        if column.dtype == object or pd.api.types.is_string_dtype(column):
            safe.isetitem(position, safe_column(column).to_numpy())
    # lines end in CRLF (RFC 4180, as Excel writes them), which also puts every cell holding a
    # lone CR in quotes: with LF endings the csv module leaves it bare, and a reader then splits
    # the row in two
    write_whole(path, lambda out: safe.to_csv(out, index=False, lineterminator="\r\n"), newline="")


def _parquet(snapshot: Snapshot, feed: str, path: Path) -> int:
    frame = _frame(snapshot, feed)
    touch_private(path)
    frame.to_parquet(path, index=False)
    return len(frame)


_WRITERS = {"jsonl": _jsonl, "csv": _csv, "parquet": _parquet}


def write_owners(directory: Path, owners: dict[int, int]) -> None:
    """``booking_contact_owners.json``: which booking each booking contact belongs to (ServiceTitan's
    booking-contact records do not say)."""
    with open_private(directory / OWNERS_FILE) as out:
        json.dump({str(k): v for k, v in sorted(owners.items())}, out)
