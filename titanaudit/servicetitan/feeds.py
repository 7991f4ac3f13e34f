"""What titanaudit pulls from ServiceTitan: the six export feeds, booking contacts and lookups.

Each :class:`Feed` names where its records live in the snapshot store (``name``), the path after
``/tenant/{tenant}/``, which API module serves it, and which field of a record names its owner
(the customer of a location, the customer or location of a contact).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BOOKING_CONTACTS",
    "EXPORT_FEEDS",
    "FEEDS_BY_NAME",
    "FEED_NAMES",
    "LOOKUPS",
    "Feed",
]


@dataclass(frozen=True, kw_only=True)
class Feed:
    """One kind of record and where it comes from."""

    name: str
    path: str
    kind: str  # "export" (from/continueFrom), "list" (page/hasMore) or "children" (per booking)
    api: str = "crm"
    owner_field: str | None = None
    optional: bool = False  # a 403 or 404 on an optional feed is a warning, not an error


EXPORT_FEEDS: tuple[Feed, ...] = (
    Feed(name="customers", path="export/customers", kind="export"),
    Feed(name="locations", path="export/locations", kind="export", owner_field="customerId"),
    Feed(
        name="customer_contacts",
        path="export/customers/contacts",
        kind="export",
        owner_field="customerId",
    ),
    Feed(
        name="location_contacts",
        path="export/locations/contacts",
        kind="export",
        owner_field="locationId",
    ),
    Feed(name="leads", path="export/leads", kind="export"),
    Feed(name="bookings", path="export/bookings", kind="export"),
)

#: Contacts of one booking: ``bookings/{id}/contacts``; there is no export feed for them.
BOOKING_CONTACTS = Feed(name="booking_contacts", path="bookings/{id}/contacts", kind="children")

#: Small lookups pulled whole on every run, so reports can show names for ids. Optional: the
#: records are complete without them, so a tenant or app without access only loses the names.
LOOKUPS: tuple[Feed, ...] = (
    Feed(name="customer_custom_fields", path="customers/custom-fields", kind="list", optional=True),
    Feed(name="location_custom_fields", path="locations/custom-fields", kind="list", optional=True),
    Feed(name="tag_types", path="export/tag-types", kind="export", api="settings", optional=True),
)

FEEDS_BY_NAME = {f.name: f for f in (*EXPORT_FEEDS, BOOKING_CONTACTS, *LOOKUPS)}

#: Every feed a snapshot holds, in the order exports write them.
FEED_NAMES: tuple[str, ...] = tuple(FEEDS_BY_NAME)
