"""A tenant's records held in memory, in ServiceTitan's shapes, with the truth beside them.

A :class:`Tenant` is what the simulator serves and what a test compares a snapshot against. It is
saved as one JSON-lines file per feed (the same layout ``titanaudit export --format jsonl``
writes) plus ``truth.json``, so a user can serve their own records too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from titanaudit.errors import ConfigError
from titanaudit.privacy import open_private
from titanaudit.servicetitan.feeds import FEED_NAMES

__all__ = ["RECORD_FEEDS", "Record", "Tenant"]

Record = dict[str, Any]

#: Feeds whose records the tenant holds: the same as a snapshot's, in the same order.
RECORD_FEEDS = FEED_NAMES


@dataclass
class Tenant:
    """Records by feed, and what is known to be true about them.

    ``booking_contacts`` records carry no booking id (ServiceTitan's shape); ``booking_contact_owner``
    maps each booking-contact id to its booking. ``truth`` holds the planted duplicates, hard
    negatives and data-quality problems (see :mod:`titanaudit.simulator.generate`).
    """

    tenant_id: int
    feeds: dict[str, list[Record]] = field(default_factory=lambda: {f: [] for f in RECORD_FEEDS})
    booking_contact_owner: dict[int, int] = field(default_factory=dict)
    truth: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return sum(len(v) for v in self.feeds.values())

    def counts(self) -> dict[str, int]:
        """Number of records per feed."""
        return {name: len(records) for name, records in self.feeds.items()}

    def contacts_of_booking(self) -> dict[int, list[Record]]:
        """Booking contacts grouped by booking id."""
        grouped: dict[int, list[Record]] = {}
        for contact in self.feeds["booking_contacts"]:
            grouped.setdefault(self.booking_contact_owner[contact["id"]], []).append(contact)
        return grouped

    def save(self, directory: Path) -> None:
        """Write one ``FEED.jsonl`` per feed and ``truth.json`` into ``directory`` (owner-only)."""
        directory.mkdir(parents=True, exist_ok=True)
        for name, records in self.feeds.items():
            with open_private(directory / f"{name}.jsonl") as out:
                for record in records:
                    out.write(json.dumps(record, separators=(",", ":")) + "\n")
        meta = {
            "tenant_id": self.tenant_id,
            "booking_contact_owner": {str(k): v for k, v in self.booking_contact_owner.items()},
            "truth": self.truth,
        }
        with open_private(directory / "truth.json") as out:
            json.dump(meta, out, indent=1)

    @classmethod
    def load(cls, directory: Path) -> Tenant:
        """Read a tenant written by :meth:`save` (or by ``titanaudit export --format jsonl``)."""
        if not directory.is_dir():
            raise ConfigError(f"tenant directory {directory} does not exist")
        meta_path = directory / "truth.json"
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        tenant = cls(tenant_id=int(meta.get("tenant_id", 1)), truth=meta.get("truth", {}))
        tenant.booking_contact_owner = {
            int(k): int(v) for k, v in meta.get("booking_contact_owner", {}).items()
        }
        for name in RECORD_FEEDS:
            path = directory / f"{name}.jsonl"
            if path.exists():
                tenant.feeds[name] = list(_read_jsonl(path))
        return tenant


def _read_jsonl(path: Path) -> Iterator[Record]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path}:{number}: not a JSON record ({exc.msg})") from None
