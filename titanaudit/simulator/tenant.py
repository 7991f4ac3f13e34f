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
from titanaudit.export import OWNERS_FILE, write_owners
from titanaudit.privacy import open_private
from titanaudit.servicetitan.feeds import FEED_NAMES

__all__ = ["RECORD_FEEDS", "Record", "Tenant", "settings_feeds"]

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
        """Write ``FEED.jsonl`` per feed, ``booking_contact_owners.json`` and ``truth.json`` into
        ``directory`` (owner-only)."""
        directory.mkdir(parents=True, exist_ok=True)
        for name, records in self.feeds.items():
            with open_private(directory / f"{name}.jsonl") as out:
                for record in records:
                    out.write(json.dumps(record, separators=(",", ":")) + "\n")
        write_owners(directory, self.booking_contact_owner)
        with open_private(directory / "truth.json") as out:
            json.dump({"tenant_id": self.tenant_id, "truth": self.truth}, out, indent=1)

    @classmethod
    def load(cls, directory: Path, *, tenant_id: int | None = None) -> Tenant:
        """Read a tenant written by :meth:`save` or by ``titanaudit export --format jsonl``.

        Without ``truth.json`` the tenant id is ``tenant_id`` (default 1234567) and there is no
        truth; without ``booking_contact_owners.json`` booking contacts cannot be served.
        """
        if not directory.is_dir():
            raise ConfigError(f"tenant directory {directory} does not exist")
        meta_path = directory / "truth.json"
        meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
        tenant = cls(
            tenant_id=int(tenant_id or meta.get("tenant_id", 1_234_567)),
            truth=meta.get("truth", {}),
        )
        owners_path = directory / OWNERS_FILE
        if owners_path.exists():
            owners = json.loads(owners_path.read_text())
            tenant.booking_contact_owner = {int(k): int(v) for k, v in owners.items()}
        found = False
        for name in RECORD_FEEDS:
            path = directory / f"{name}.jsonl"
            if path.exists():
                tenant.feeds[name] = list(_read_jsonl(path))
                found = True
        if not found:
            raise ConfigError(
                f"{directory} holds no FEED.jsonl files (customers.jsonl, locations.jsonl, ...)"
            )
        orphans = [
            c["id"]
            for c in tenant.feeds["booking_contacts"]
            if c["id"] not in tenant.booking_contact_owner
        ]
        if orphans:
            raise ConfigError(
                f"{directory}: {len(orphans)} booking contacts have no booking in {OWNERS_FILE}"
            )
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


def settings_feeds() -> dict[str, list[Record]]:
    """A tenant's settings records: its custom fields and tag types, as the API serves them."""
    return {
        "customer_custom_fields": [
            {
                "id": 2281,
                "name": "Referral Source",
                "dataType": "Dropdown",
                "dataTypeOptions": ["Google", "Yelp", "Referral", "Truck wrap", "Facebook"],
                "createdOn": "2019-01-02T10:00:00Z",
                "modifiedOn": "2019-01-02T10:00:00Z",
            },
        ],
        "location_custom_fields": [
            {
                "id": 2290,
                "name": "Gate Code",
                "dataType": "Text",
                "dataTypeOptions": None,
                "createdOn": "2019-01-02T10:00:00Z",
                "modifiedOn": "2019-01-02T10:00:00Z",
            },
        ],
        "tag_types": [
            {
                "id": 1193 + i,
                "name": name,
                "color": "#3366cc",
                "code": name[:3].upper(),
                "importance": None,
                "isConversionOpportunity": False,
                "allowToUseOnTimesheetActivity": False,
                "isVisibleOnDispatchBoard": True,
                "active": True,
                "createdOn": "2019-01-02T10:00:00Z",
                "modifiedOn": "2019-01-02T10:00:00Z",
            }
            for i, name in enumerate(
                (
                    "Member",
                    "VIP",
                    "Do Not Service",
                    "Property Manager",
                    "Warranty",
                    "Commercial Account",
                )
            )
        ],
    }
