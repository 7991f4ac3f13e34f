"""Leads and bookings of a generated tenant, with the problems they carry in real tenants.

- leads converted into a customer (linked), open leads that nobody linked although the caller is
  an existing customer (truth ``DUP-LEAD-001``), new prospects, open leads past their follow-up
  date (``LIF-LEAD-002``) and stale unlinked leads with no follow-up (``LIF-LEAD-001``);
- bookings from the website widget and partners, some by existing customers, some that became a
  second customer for a known person (a duplicate of kind ``web_booking``), pending bookings
  nobody processed (``LIF-BKG-001``) and bookings with no phone or e-mail (``PHN-BKG-001``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from titanaudit.simulator.builder import Builder, Built, Person, parse_stamp
from titanaudit.simulator.tenant import Record

__all__ = ["add_bookings", "add_leads"]

STALE_DAYS = 30


def _problem(builder: Builder, rule_id: str, record_id: int) -> None:
    builder.truth["problems"].setdefault(rule_id, []).append(record_id)


def add_leads(builder: Builder, base: list[tuple[Person, Built]]) -> None:
    rng, as_of = builder.rng, builder.spec.as_of
    for i in range(max(5, int(len(base) * builder.spec.lead_rate))):
        p, built = rng.choice(base)
        role = i % 5
        if role == 0:  # converted: linked to its customer
            lead = _lead(builder, p, status="Converted", customer=built)
        elif role == 1:  # an existing customer called again; nobody linked the lead
            lead = _lead(
                builder, p, status="Open", created=as_of - timedelta(days=rng.randint(1, 20))
            )
            _problem(builder, "DUP-LEAD-001", lead["id"])
            builder.truth.setdefault("lead_matches", {})[str(lead["id"])] = built.customer["id"]
        elif role == 2:  # open, follow-up date passed
            lead = _lead(
                builder,
                builder.person(),
                status="Open",
                created=as_of - timedelta(days=rng.randint(10, 60)),
            )
            lead["followUpDate"] = builder.stamp(as_of - timedelta(days=rng.randint(2, 9)))
            _problem(builder, "LIF-LEAD-002", lead["id"])
        elif role == 3:  # open, old, unlinked, no follow-up
            lead = _lead(
                builder,
                builder.person(),
                status="Open",
                created=as_of - timedelta(days=rng.randint(STALE_DAYS + 5, 200)),
            )
            lead["followUpDate"] = None
            _problem(builder, "LIF-LEAD-001", lead["id"])
        else:  # a recent prospect, or a dismissed one
            status = rng.choice(("Open", "Dismissed"))
            lead = _lead(
                builder,
                builder.person(),
                status=status,
                created=as_of - timedelta(days=rng.randint(0, 3)),
            )
            lead["followUpDate"] = builder.stamp(as_of + timedelta(days=rng.randint(1, 9)))
        builder.tenant.feeds["leads"].append(lead)


def _lead(
    builder: Builder,
    p: Person,
    *,
    status: str,
    customer: Built | None = None,
    created: Any = None,
) -> Record:
    rng = builder.rng
    created = created or builder.when(days=365)
    phone = p.phones[0][1]
    return {
        "id": builder.new_id(),
        "status": status,
        "priority": rng.choice(("Low", "Normal", "Normal", "High", "Urgent")),
        "customerId": customer.customer["id"] if customer else None,
        "locationId": customer.locations[0]["id"] if customer else None,
        "businessUnitId": rng.choice((1021, 1022, 1023)),
        "jobTypeId": None,
        "campaignId": rng.choice((7788, 7790, 7791)),
        "followUpDate": builder.stamp(created + timedelta(days=3)),
        "createdById": rng.randint(10_000, 10_050),
        "createdOn": builder.stamp(created),
        "modifiedOn": builder.stamp(created + timedelta(minutes=rng.randint(1, 600))),
        "tagTypeIds": [],
        "dismissingReasonId": 3 if status == "Dismissed" else None,
        "summary": rng.choice(
            (
                "AC quote",
                "Water heater replacement",
                "Drain clog",
                "Panel upgrade",
                "Maintenance plan",
            )
        ),
        "callReasonId": rng.choice((12, 13, None)),
        "callId": None,
        "bookingId": None,
        "manualCallId": None,
        "leadUrl": None,
        "leadCustomerName": p.name,
        "leadPhone": f"({phone[:3]}) {phone[3:6]}-{phone[6:]}",
        "leadEmail": p.email,
        "leadStreet": builder.street_text(p),
        "leadUnit": p.unit,
        "leadCity": p.zip["city"].title(),
        "leadState": p.zip["state"],
        "leadZip": p.zip["zip_code"],
        "leadCountry": "US",
        "captureSource": rng.choice(("Form", "Phone", "Chat", None)),
        "active": True,
    }


def add_bookings(builder: Builder, base: list[tuple[Person, Built]]) -> None:
    rng, as_of = builder.rng, builder.spec.as_of
    for i in range(max(5, int(len(base) * builder.spec.booking_rate))):
        p, built = rng.choice(base)
        role = i % 5
        if role in (0, 1):  # an existing customer books online again
            booking = _booking(builder, p, status=rng.choice(("Converted", "Accepted")))
        elif role == 2:  # the booking became a second customer for a known person
            booking = _booking(builder, p, status="Converted")
            _web_duplicate(builder, p, built, booking)
        elif role == 3:  # new, never processed
            booking = _booking(
                builder,
                builder.person(),
                status="New",
                created=as_of - timedelta(days=rng.randint(8, 60)),
            )
            _problem(builder, "LIF-BKG-001", booking["id"])
        else:  # a new person, and sometimes no way to reach them
            reachable = i % 10 == 9  # every other one unreachable, the first of them always
            person = (
                builder.person() if reachable else replace(builder.person(), phones=(), email=None)
            )
            booking = _booking(
                builder,
                person,
                status=rng.choice(("New", "Dismissed", "Converted")),
                created=as_of - timedelta(days=rng.randint(0, 5)),
            )
            if not reachable:
                _problem(builder, "PHN-BKG-001", booking["id"])
        builder.tenant.feeds["bookings"].append(booking)


def _booking(builder: Builder, p: Person, *, status: str, created: Any = None) -> Record:
    rng = builder.rng
    created = created or builder.when(days=365)
    booking_id = builder.new_id()
    booking: Record = {
        "id": booking_id,
        "source": rng.choice(("Website widget", "Reserve with Google", "Thumbtack")),
        "createdOn": builder.stamp(created),
        "name": p.name if rng.random() < 0.8 else p.name.lower(),
        "address": {k: v for k, v in builder.address(p, coords=False).items()}
        if rng.random() < 0.95
        else None,
        "customerType": "Commercial" if p.company else "Residential",
        "start": builder.stamp(created + timedelta(days=rng.randint(1, 7))),
        "summary": rng.choice(("AC not cooling", "No hot water", "Leaking pipe", "Breaker trips")),
        "campaignId": 7788,
        "businessUnitId": 1021,
        "isFirstTimeClient": rng.random() < 0.5,
        "uploadedImages": [],
        "isSendConfirmationEmail": False,
        "status": status,
        "dismissingReasonId": 3 if status == "Dismissed" else None,
        "jobId": None,
        "externalId": f"web-{created:%Y-%m-%d}-{booking_id % 10_000:04d}",
        "priority": "Normal",
        "jobTypeId": None,
        "bookingProviderId": 55,
        "modifiedOn": builder.stamp(created + timedelta(minutes=rng.randint(1, 300))),
        "active": True,
    }
    for contact_type, digits in p.phones[:1]:
        _booking_contact(builder, booking, contact_type, digits)
    if p.email:
        _booking_contact(builder, booking, "Email", p.email)
    return booking


def _booking_contact(builder: Builder, booking: Record, contact_type: str, value: str) -> None:
    contact = {
        "id": builder.new_id(),
        "type": contact_type,
        "value": value,
        "memo": None,
        "modifiedOn": booking["createdOn"],
    }
    builder.tenant.feeds["booking_contacts"].append(contact)
    builder.tenant.booking_contact_owner[contact["id"]] = booking["id"]


def _web_duplicate(builder: Builder, p: Person, original: Built, booking: Record) -> None:
    """The office converted a web booking into a new customer instead of finding the old one."""
    created = parse_stamp(booking["createdOn"]) + timedelta(minutes=builder.rng.randint(2, 90))
    dup = builder.add_customer(
        p, name=booking["name"], created=created, phone_format=builder.rng.randrange(6)
    )
    builder.truth["duplicate_clusters"].append(
        {
            "entity": "customers",
            "ids": [original.customer["id"], dup.customer["id"]],
            "kinds": ["web_booking"],
            "merged": False,
            "booking_id": booking["id"],
        }
    )
