"""A snapshot's records as DataFrames, one per record type, with documented, stable columns.

:func:`read_frames` reads them all into :class:`Frames`, the plain value every stage above the
store works from (matching, locations, leads, the rules, the review page)::

    frames = read_frames(snapshot)
    frames.customers                 # id, active, name, type, street, unit, city, ...

Built in SQL with SQLite's ``json_extract`` so no feed is held as Python dicts. Booleans are
pandas' nullable ``boolean``; ids are nullable ``Int64``; timestamps are UTC ``datetime64``.
Records keep whatever ServiceTitan sent: an unknown enum value stays as its text, and a missing
field is a missing value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from titanaudit.store import Snapshot

__all__ = [
    "ENTITIES",
    "Frames",
    "bookings_frame",
    "contacts_frame",
    "customers_frame",
    "leads_frame",
    "locations_frame",
    "read_frames",
]

#: the record types, in the order a snapshot's frames are read
ENTITIES = ("customers", "locations", "contacts", "leads", "bookings")


@dataclass(frozen=True)
class Frames:
    """A snapshot's records, one frame per record type (the columns of the functions below);
    any may be empty (a frame built by hand for a test or a notebook may hold only what it
    needs). Stages read these frames and never change them."""

    customers: pd.DataFrame = field(default_factory=pd.DataFrame)
    locations: pd.DataFrame = field(default_factory=pd.DataFrame)
    contacts: pd.DataFrame = field(default_factory=pd.DataFrame)
    leads: pd.DataFrame = field(default_factory=pd.DataFrame)
    bookings: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={len(getattr(self, name)):,}" for name in ENTITIES)
        return f"Frames({sizes})"


def read_frames(snapshot: Snapshot) -> Frames:
    """Every frame of ``snapshot``, read once (a million customers' records take a minute)."""
    return Frames(
        customers=customers_frame(snapshot),
        locations=locations_frame(snapshot),
        contacts=contacts_frame(snapshot),
        leads=leads_frame(snapshot),
        bookings=bookings_frame(snapshot),
    )


ADDRESS = """json_extract(body, '$.address.street') AS street,
    json_extract(body, '$.address.unit') AS unit,
    json_extract(body, '$.address.city') AS city,
    json_extract(body, '$.address.state') AS state,
    json_extract(body, '$.address.zip') AS zip,
    json_extract(body, '$.address.country') AS country"""
COORDS = """json_extract(body, '$.address.latitude') AS latitude,
    json_extract(body, '$.address.longitude') AS longitude"""
STAMPS = """json_extract(body, '$.createdOn') AS created_on,
    json_extract(body, '$.modifiedOn') AS modified_on"""


def _typed(
    frame: pd.DataFrame,
    *,
    bools: tuple[str, ...] = (),
    ids: tuple[str, ...] = (),
    floats: tuple[str, ...] = (),
    stamps: tuple[str, ...] = (),
) -> pd.DataFrame:
    for column in bools:
        frame[column] = frame[column].astype("boolean")
    for column in ids:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
    for column in floats:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    for column in stamps:
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601", errors="coerce")
    return frame


def customers_frame(snapshot: Snapshot) -> pd.DataFrame:
    """Customers. Columns: ``id, active, name, type, street, unit, city, state, zip, country,
    latitude, longitude, balance, do_not_mail, do_not_service, created_on, modified_on,
    merged_to_id`` (the address is the bill-to address)."""
    frame = snapshot.query(f"""SELECT id,
        json_extract(body, '$.active') AS active, json_extract(body, '$.name') AS name,
        json_extract(body, '$.type') AS type, {ADDRESS}, {COORDS},
        json_extract(body, '$.balance') AS balance,
        json_extract(body, '$.doNotMail') AS do_not_mail,
        json_extract(body, '$.doNotService') AS do_not_service, {STAMPS},
        json_extract(body, '$.mergedToId') AS merged_to_id
        FROM records WHERE feed = 'customers' ORDER BY id""")
    return _typed(
        frame,
        bools=("active", "do_not_mail", "do_not_service"),
        ids=("id", "merged_to_id"),
        floats=("latitude", "longitude", "balance"),
        stamps=("created_on", "modified_on"),
    )


def locations_frame(snapshot: Snapshot) -> pd.DataFrame:
    """Locations. Columns: ``id, customer_id, active, name, street, unit, city, state, zip,
    country, latitude, longitude, zone_id, created_on, modified_on, merged_to_id``."""
    frame = snapshot.query(f"""SELECT id, json_extract(body, '$.customerId') AS customer_id,
        json_extract(body, '$.active') AS active, json_extract(body, '$.name') AS name,
        {ADDRESS}, {COORDS}, json_extract(body, '$.zoneId') AS zone_id, {STAMPS},
        json_extract(body, '$.mergedToId') AS merged_to_id
        FROM records WHERE feed = 'locations' ORDER BY id""")
    return _typed(
        frame,
        bools=("active",),
        ids=("id", "customer_id", "zone_id", "merged_to_id"),
        floats=("latitude", "longitude"),
        stamps=("created_on", "modified_on"),
    )


def contacts_frame(snapshot: Snapshot) -> pd.DataFrame:
    """Customer, location and booking contacts. Columns: ``id, owner_type (customer|location|
    booking), owner_id, customer_id, location_id, booking_id, active, type, value, memo,
    phone_number, do_not_text, created_on, modified_on``. ``customer_id`` of a location
    contact is its location's customer."""
    fields = """json_extract(c.body, '$.active') AS active, json_extract(c.body, '$.type') AS type,
        json_extract(c.body, '$.value') AS value, json_extract(c.body, '$.memo') AS memo,
        json_extract(c.body, '$.phoneSettings.phoneNumber') AS phone_number,
        json_extract(c.body, '$.phoneSettings.doNotText') AS do_not_text,
        json_extract(c.body, '$.createdOn') AS created_on,
        json_extract(c.body, '$.modifiedOn') AS modified_on"""
    frame = snapshot.query(f"""
        SELECT c.id, 'customer' AS owner_type, c.owner_id, c.owner_id AS customer_id,
               NULL AS location_id, NULL AS booking_id, {fields}
        FROM records c WHERE c.feed = 'customer_contacts'
        UNION ALL
        SELECT c.id, 'location', c.owner_id, l.owner_id, c.owner_id, NULL, {fields}
        FROM records c LEFT JOIN records l ON l.feed = 'locations' AND l.id = c.owner_id
        WHERE c.feed = 'location_contacts'
        UNION ALL
        SELECT c.id, 'booking', c.owner_id, NULL, NULL, c.owner_id, {fields}
        FROM records c WHERE c.feed = 'booking_contacts'
        ORDER BY 2, 1""")
    return _typed(
        frame,
        bools=("active", "do_not_text"),
        ids=("id", "owner_id", "customer_id", "location_id", "booking_id"),
        stamps=("created_on", "modified_on"),
    )


LEAD_FIELDS = (
    "status",
    "priority",
    "customerId",
    "locationId",
    "bookingId",
    "followUpDate",
    "leadCustomerName",
    "leadPhone",
    "leadEmail",
    "leadStreet",
    "leadUnit",
    "leadCity",
    "leadState",
    "leadZip",
    "leadCountry",
    "captureSource",
    "summary",
    "active",
)


def _snake(name: str) -> str:
    return "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in name)


def leads_frame(snapshot: Snapshot) -> pd.DataFrame:
    """Leads. Columns: ``id, status, priority, customer_id, location_id, booking_id,
    follow_up_date, lead_customer_name, lead_phone, lead_email, lead_street, lead_unit,
    lead_city, lead_state, lead_zip, lead_country, capture_source, summary, active, created_on,
    modified_on``."""
    columns = ", ".join(f"json_extract(body, '$.{f}') AS {_snake(f)}" for f in LEAD_FIELDS)
    frame = snapshot.query(
        f"SELECT id, {columns}, {STAMPS} FROM records WHERE feed = 'leads' ORDER BY id"
    )
    return _typed(
        frame,
        bools=("active",),
        ids=("id", "customer_id", "location_id", "booking_id"),
        stamps=("follow_up_date", "created_on", "modified_on"),
    )


def bookings_frame(snapshot: Snapshot) -> pd.DataFrame:
    """Bookings. Columns: ``id, source, name, street, unit, city, state, zip, country,
    customer_type, start, status, is_first_time_client, job_id, external_id, active, created_on,
    modified_on``."""
    frame = snapshot.query(f"""SELECT id, json_extract(body, '$.source') AS source,
        json_extract(body, '$.name') AS name, {ADDRESS},
        json_extract(body, '$.customerType') AS customer_type,
        json_extract(body, '$.start') AS start, json_extract(body, '$.status') AS status,
        json_extract(body, '$.isFirstTimeClient') AS is_first_time_client,
        json_extract(body, '$.jobId') AS job_id, json_extract(body, '$.externalId') AS external_id,
        json_extract(body, '$.active') AS active, {STAMPS}
        FROM records WHERE feed = 'bookings' ORDER BY id""")
    return _typed(
        frame,
        bools=("active", "is_first_time_client"),
        ids=("id", "job_id"),
        stamps=("start", "created_on", "modified_on"),
    )
