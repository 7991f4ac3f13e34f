"""A snapshot's records as DataFrames, one per record type, with documented, stable columns.

:func:`read_frames` reads them all into :class:`Frames`, the plain value every stage above the
store works from (matching, locations, leads, the rules, the review page)::

    frames = read_frames(snapshot)
    frames.customers                 # id, active, name, type, street, unit, city, ...

Each frame's fields are declared once (:data:`CUSTOMERS` and the rest: column, JSON path, kind)
and read one of two ways that give the same frame. The fast way reads the records' bodies as
one Arrow column and parses them with Arrow's JSON reader on every core, so no record becomes a
Python object (a million customers in seconds). A feed whose bodies that reader refuses (a
number where text was expected, an object where a value was, a key given twice) is read the
other way, in SQL with SQLite's ``json_extract``, which takes any JSON. Booleans are pandas'
nullable ``boolean``; ids are nullable ``Int64``; timestamps are UTC ``datetime64``. Records
keep whatever ServiceTitan sent: an unknown enum value stays as its text, and a missing field is
a missing value.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from titanaudit.store import Snapshot

__all__ = [
    "BOOKINGS",
    "CONTACTS",
    "CUSTOMERS",
    "ENTITIES",
    "LEADS",
    "LOCATIONS",
    "Field",
    "Frames",
    "bookings_frame",
    "contacts_frame",
    "customers_frame",
    "leads_frame",
    "locations_frame",
    "read_frames",
]

logger = logging.getLogger(__name__)

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
    """Every frame of ``snapshot``, read once, two at a time (one reads the file while the
    other parses)."""
    readers = {
        "contacts": contacts_frame,
        "customers": customers_frame,
        "locations": locations_frame,
        "leads": leads_frame,
        "bookings": bookings_frame,
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(read, snapshot) for name, read in readers.items()}
        return Frames(**{name: futures[name].result() for name in ENTITIES})


@dataclass(frozen=True)
class Field:
    """One column of a frame: its name, where it is in a record's JSON (dotted), and its kind
    (``text``, ``bool``, ``id``, ``number`` or ``stamp``, an ISO 8601 time read as UTC)."""

    column: str
    path: str
    kind: str = "text"


def _fields(kind: str, *pairs: str) -> tuple[Field, ...]:
    return tuple(
        Field(column, path, kind) for column, path in zip(pairs[::2], pairs[1::2], strict=True)
    )


ADDRESS = _fields(
    "text",
    *("street", "address.street", "unit", "address.unit", "city", "address.city"),
    *("state", "address.state", "zip", "address.zip", "country", "address.country"),
)
COORDS = _fields("number", "latitude", "address.latitude", "longitude", "address.longitude")
STAMPS = _fields("stamp", "created_on", "createdOn", "modified_on", "modifiedOn")

CUSTOMERS = (
    Field("active", "active", "bool"),
    *_fields("text", "name", "name", "type", "type"),
    *ADDRESS,
    *COORDS,
    Field("balance", "balance", "number"),
    *_fields("bool", "do_not_mail", "doNotMail", "do_not_service", "doNotService"),
    *STAMPS,
    Field("merged_to_id", "mergedToId", "id"),
)
LOCATIONS = (
    Field("active", "active", "bool"),
    Field("name", "name"),
    *ADDRESS,
    *COORDS,
    Field("zone_id", "zoneId", "id"),
    *STAMPS,
    Field("merged_to_id", "mergedToId", "id"),
)
CONTACTS = (
    Field("active", "active", "bool"),
    *_fields("text", "type", "type", "value", "value", "memo", "memo"),
    Field("phone_number", "phoneSettings.phoneNumber"),
    Field("do_not_text", "phoneSettings.doNotText", "bool"),
    *STAMPS,
)
LEADS = (
    *_fields("text", "status", "status", "priority", "priority"),
    *_fields("id", "customer_id", "customerId", "location_id", "locationId"),
    Field("booking_id", "bookingId", "id"),
    Field("follow_up_date", "followUpDate", "stamp"),
    *_fields("text", "lead_customer_name", "leadCustomerName", "lead_phone", "leadPhone"),
    *_fields("text", "lead_email", "leadEmail", "lead_street", "leadStreet"),
    *_fields("text", "lead_unit", "leadUnit", "lead_city", "leadCity"),
    *_fields("text", "lead_state", "leadState", "lead_zip", "leadZip"),
    *_fields("text", "lead_country", "leadCountry", "capture_source", "captureSource"),
    Field("summary", "summary"),
    Field("active", "active", "bool"),
    *STAMPS,
)
BOOKINGS = (
    Field("source", "source"),
    Field("name", "name"),
    *ADDRESS,
    Field("customer_type", "customerType"),
    Field("start", "start", "stamp"),
    Field("status", "status"),
    Field("is_first_time_client", "isFirstTimeClient", "bool"),
    Field("job_id", "jobId", "id"),
    Field("external_id", "externalId"),
    Field("active", "active", "bool"),
    *STAMPS,
)


def customers_frame(snapshot: Snapshot) -> pd.DataFrame:
    """Customers. Columns: ``id, active, name, type, street, unit, city, state, zip, country,
    latitude, longitude, balance, do_not_mail, do_not_service, created_on, modified_on,
    merged_to_id`` (the address is the bill-to address)."""
    return _feed_frame(snapshot, "customers", CUSTOMERS)


def locations_frame(snapshot: Snapshot) -> pd.DataFrame:
    """Locations. Columns: ``id, customer_id, active, name, street, unit, city, state, zip,
    country, latitude, longitude, zone_id, created_on, modified_on, merged_to_id``."""
    return _feed_frame(snapshot, "locations", LOCATIONS, owner="customer_id")


def leads_frame(snapshot: Snapshot) -> pd.DataFrame:
    """Leads. Columns: ``id, status, priority, customer_id, location_id, booking_id,
    follow_up_date, lead_customer_name, lead_phone, lead_email, lead_street, lead_unit,
    lead_city, lead_state, lead_zip, lead_country, capture_source, summary, active, created_on,
    modified_on``."""
    return _feed_frame(snapshot, "leads", LEADS)


def bookings_frame(snapshot: Snapshot) -> pd.DataFrame:
    """Bookings. Columns: ``id, source, name, street, unit, city, state, zip, country,
    customer_type, start, status, is_first_time_client, job_id, external_id, active, created_on,
    modified_on``."""
    return _feed_frame(snapshot, "bookings", BOOKINGS)


#: each contact feed: who owns its contacts, and the SQL of the owner columns
#: (``owner_id, customer_id, location_id, booking_id``; ``l`` is the contact's location), in
#: the frame's row order
CONTACT_FEEDS = (
    ("booking", "booking_contacts", ("c.owner_id", "NULL", "NULL", "c.owner_id")),
    ("customer", "customer_contacts", ("c.owner_id", "c.owner_id", "NULL", "NULL")),
    ("location", "location_contacts", ("c.owner_id", "l.owner_id", "c.owner_id", "NULL")),
)
LOCATION_OF = "LEFT JOIN records l ON l.feed = 'locations' AND l.id = c.owner_id"
OWNERS = ("owner_id", "customer_id", "location_id", "booking_id")


def contacts_frame(snapshot: Snapshot) -> pd.DataFrame:
    """Customer, location and booking contacts. Columns: ``id, owner_type (customer|location|
    booking), owner_id, customer_id, location_id, booking_id, active, type, value, memo,
    phone_number, do_not_text, created_on, modified_on``. ``customer_id`` of a location
    contact is its location's customer."""
    parts = []
    for owner_type, feed, owners in CONTACT_FEEDS:
        columns = ", ".join(f"{sql} AS {name}" for sql, name in zip(owners, OWNERS, strict=True))
        join = LOCATION_OF if "l.owner_id" in owners else ""
        select = f"""SELECT c.id AS id, {columns}, c.body AS body FROM records c {join}
            WHERE c.feed = '{feed}'"""
        part = _frame(snapshot, select, CONTACTS, keep=OWNERS, typed=False)
        part.insert(1, "owner_type", owner_type)
        parts.append(part)
    frame = pd.concat(parts, ignore_index=True)
    return _typed(frame, CONTACTS, ids=("id", *OWNERS))


def _feed_frame(
    snapshot: Snapshot, feed: str, fields: Sequence[Field], *, owner: str | None = None
) -> pd.DataFrame:
    keep = (owner,) if owner else ()
    owner_sql = f"owner_id AS {owner}, " if owner else ""
    select = f"SELECT id, {owner_sql}body FROM records WHERE feed = '{feed}'"
    return _frame(snapshot, select, fields, keep=keep)


def _frame(
    snapshot: Snapshot,
    select: str,
    fields: Sequence[Field],
    *,
    keep: tuple[str, ...] = (),
    typed: bool = True,
) -> pd.DataFrame:
    """The frame of ``select``'s rows (``id``, the ``keep`` columns, ``body``) in ``id``
    order, ``fields`` taken from each body: through Arrow where it can read the bodies, else
    in SQL."""
    frame = _arrow_frame(snapshot, select, fields, keep)
    if frame is None:
        frame = _sql_frame(snapshot, select, fields, keep)
    return _typed(frame, fields, ids=("id", *keep)) if typed else frame


def _sql_frame(
    snapshot: Snapshot, select: str, fields: Sequence[Field], keep: tuple[str, ...]
) -> pd.DataFrame:
    extracted = ", ".join(f"json_extract(body, '$.{f.path}') AS {f.column}" for f in fields)
    columns = ", ".join(("id", *keep))
    return snapshot.query(f"SELECT {columns}, {extracted} FROM ({select}) ORDER BY id")


ARROW_TYPES = {
    "text": pa.string(),
    "bool": pa.bool_(),
    "id": pa.int64(),
    "number": pa.float64(),
    "stamp": pa.string(),
}


def _arrow_frame(
    snapshot: Snapshot, select: str, fields: Sequence[Field], keep: tuple[str, ...]
) -> pd.DataFrame | None:
    """``select``'s rows with ``fields`` parsed by Arrow's JSON reader, or None where it cannot
    (a body it refuses, or no rows: the SQL way reads those as fast)."""
    columns = ", ".join(("id", *keep))
    rows = snapshot.arrow_query(
        f"SELECT {columns}, body || char(10) AS line FROM ({select}) ORDER BY id"
    )
    if rows is None or rows.num_rows == 0:
        return None
    options = pj.ParseOptions(explicit_schema=_schema(fields), unexpected_field_behavior="ignore")
    try:  # a chunk's lines are one buffer, read by the JSON reader on every core
        parsed = pa.concat_tables(
            pj.read_json(pa.BufferReader(_bytes(lines)), parse_options=options)
            for lines in rows.column("line").chunks
            if len(lines)
        )
    except pa.ArrowException as exc:
        logger.debug("bodies read in SQL: %s", exc)
        return None
    if parsed.num_rows != rows.num_rows:  # a body that is not one line of JSON
        return None
    arrays = {name: rows.column(name) for name in ("id", *keep)}
    for f in fields:
        leaf = _leaf(parsed, f.path)
        arrays[f.column] = _stamps(leaf) if f.kind == "stamp" else leaf
    nullable = {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}
    frame: pd.DataFrame = pa.table(arrays).to_pandas(types_mapper=nullable.get)
    return frame


def _bytes(lines: pa.StringArray) -> pa.Buffer:
    """The bytes of ``lines``, one after another (a string array's data buffer, cut to it)."""
    offsets = lines.buffers()[1]
    assert offsets is not None
    width = np.int64 if pa.types.is_large_string(lines.type) else np.int32
    first, last = np.frombuffer(offsets, dtype=width)[[lines.offset, lines.offset + len(lines)]]
    data = lines.buffers()[2]
    assert data is not None
    return data.slice(int(first), int(last - first))


def _schema(fields: Sequence[Field], prefix: str = "") -> pa.Schema:
    """The JSON reader's schema for ``fields``: a struct for each dotted path's object."""
    top: dict[str, pa.DataType | None] = {}
    for f in fields:
        if f.path.startswith(prefix):
            head, dot, _ = f.path[len(prefix) :].partition(".")
            top[head] = None if dot else ARROW_TYPES[f.kind]
    return pa.schema(
        [
            pa.field(name, kind or pa.struct(list(_schema(fields, f"{prefix}{name}."))))
            for name, kind in top.items()
        ]
    )


def _leaf(table: pa.Table, path: str) -> pa.ChunkedArray:
    first, *rest = path.split(".")
    column = table.column(first)
    for name in rest:  # a missing or null object holds a missing value, as json_extract says
        column = pc.struct_field(column, name)
    return column


#: the shape of every time ServiceTitan sends (``2021-01-22T20:56:44.7108Z``); a column of only
#: these Arrow reads as pandas would, and any other column is left to pandas
ISO_STAMP = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$"


def _stamps(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """``column``'s times as UTC timestamps where every one has the ISO 8601 shape above and
    Arrow reads it; otherwise the text, for pandas (whose reading of other shapes is the rule)."""
    if pc.all(pc.match_substring_regex(column, ISO_STAMP)).as_py() is False:
        return column  # some other shape (None: no time at all)
    try:
        return pc.cast(column, pa.timestamp("ns", tz="UTC"))
    except pa.ArrowException:  # a day or an hour out of range
        return column


def _typed(
    frame: pd.DataFrame, fields: Sequence[Field], *, ids: tuple[str, ...] = ()
) -> pd.DataFrame:
    """``frame`` with each field in its kind's type (what Arrow read is typed already)."""
    for name in ids:
        frame[name] = _whole(frame[name])
    for f in fields:
        frame[f.column] = TYPERS[f.kind](frame[f.column])
    return frame


def _text(column: pd.Series) -> pd.Series:
    if isinstance(column.dtype, pd.StringDtype):
        return column
    return column.astype("str")  # no text at all, or numbers among the text


def _bool(column: pd.Series) -> pd.Series:
    if isinstance(column.dtype, pd.BooleanDtype):
        return column
    number = pd.to_numeric(column, errors="coerce")  # JSON's true and false are 1 and 0 in SQL
    return number.where(number.isin((0, 1))).astype("boolean")  # anything else is not known


def _number(column: pd.Series) -> pd.Series:
    return pd.to_numeric(column, errors="coerce").astype("float64")


#: the times nanoseconds can hold
FIRST, LAST = (pd.Timestamp(t, tz="UTC") for t in (pd.Timestamp.min, pd.Timestamp.max))


def _stamp(column: pd.Series) -> pd.Series:
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        return column
    if not isinstance(column.dtype, pd.StringDtype):  # a number is no time
        column = column.where(column.map(lambda value: isinstance(value, str)))
    stamps = pd.Series(pd.to_datetime(column, utc=True, format="ISO8601", errors="coerce"))
    return stamps.where(stamps.between(FIRST, LAST)).astype("datetime64[ns, UTC]")


def _whole(column: pd.Series) -> pd.Series:
    """``column`` as nullable integers; what is no whole number (text, 1.5) is not known."""
    if isinstance(column.dtype, pd.Int64Dtype):
        return column
    number = pd.to_numeric(column, errors="coerce")
    if number.dtype.kind == "f":
        number = number.where((number % 1 == 0) & (number.abs() < 2.0**63))
    return number.astype("Int64")


TYPERS = {"text": _text, "bool": _bool, "id": _whole, "number": _number, "stamp": _stamp}
