"""Data-quality problems planted into a generated tenant, one function per catalogue rule id.

Each planter takes a clean base customer (its records as built) and damages one record the way
real offices do, returning the id of the record a rule should report. The ids are collected in
``truth["problems"][rule_id]``. A damaged record may legitimately trip other rules as well (a
point moved 150 miles may also land in another state); the truth lists what was planted.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from typing import Any

import zipcodes

from titanaudit.simulator.builder import Builder, Built
from titanaudit.simulator.tenant import Record, Tenant

__all__ = ["add_oddities", "plant_problems"]

Planter = Callable[[Builder, Built], "int | None"]


def _loc(built: Built) -> Record:
    return built.locations[0]


def _addr(built: Built) -> Record:
    address: Record = built.locations[0]["address"]
    return address


def _phone(builder: Builder, built: Built) -> Record:
    for contact in built.contacts:
        if "customerId" in contact and contact["type"] != "Email":
            return contact
    return builder.add_contact(built, "customer", "Phone", "6025550000", builder.when())


def _email(builder: Builder, built: Built) -> Record:
    for contact in built.contacts:
        if "customerId" in contact and contact["type"] == "Email":
            return contact
    first = built.customer["name"].split()[0].lower()
    return builder.add_contact(built, "customer", "Email", f"{first}@gmail.com", builder.when())


def _set(record: Record, **values: Any) -> int:
    record.update(values)
    return int(record["id"])


def _at(built: Built, **values: Any) -> int:
    """Change the first location's address; return the location's id."""
    _addr(built).update(values)
    return int(_loc(built)["id"])


def _digits(contact: Record) -> str:
    digits = "".join(ch for ch in contact["value"] if ch.isdigit())
    return digits[-10:].rjust(10, "6")


def _other_zip(builder: Builder, **filters: Any) -> dict[str, Any]:
    """A random ZIP row matching ``filters`` (and not in ``not_state``)."""
    not_state = filters.pop("not_state", None)
    rows = [z for z in _zip_rows(tuple(sorted(filters.items()))) if z["state"] != not_state]
    return builder.rng.choice(rows)


@functools.cache
def _zip_rows(filters: tuple[tuple[str, Any], ...]) -> list[dict[str, Any]]:
    return [z for z in zipcodes.filter_by(**dict(filters)) if z["lat"]]


def _far_point(builder: Builder, built: Built) -> int:
    """A pin dropped about 125 miles away (a mistyped degree)."""
    address = _addr(built)
    address["latitude"] = round(address["latitude"] + builder.rng.choice((1.8, -1.8)), 6)
    return int(_loc(built)["id"])


def _second_location(builder: Builder, built: Built, **address: Any) -> int:
    """The customer's location entered again (a CSR who did not see it), with ``address``
    changes; returns the new location's id."""
    original = _loc(built)
    copy: Record = {
        **original,
        "id": builder.new_id(),
        "address": {**original["address"], **address},
        "createdOn": builder.stamp(builder.when()),
        "modifiedOn": builder.stamp(builder.when()),
    }
    builder.tenant.feeds["locations"].append(copy)
    built.locations.append(copy)
    return int(copy["id"])


def _retyped_street(street: str) -> str:
    words = street.split()
    longer = {
        "St": "Street",
        "Ave": "Avenue",
        "Rd": "Road",
        "Dr": "Drive",
        "Ln": "Lane",
        "Ct": "Court",
        "Way": "Way",
        "Pl": "Place",
        "Blvd": "Boulevard",
        "Trl": "Trail",
        "Pkwy": "Parkway",
        "Cir": "Circle",
    }
    if words and words[-1] in longer:
        words[-1] = longer[words[-1]]
    return " ".join(words).upper()


def _repeated_phone(builder: Builder, built: Built) -> int:
    phone = _phone(builder, built)
    digits = _digits(phone)
    again = builder.add_contact(
        built,
        "customer",
        "MobilePhone",
        f"({digits[:3]}) {digits[3:6]}-{digits[6:]}",
        builder.when(),
    )
    return int(again["id"])


def _deactivate_locations(builder: Builder, built: Built) -> int:
    for location in built.locations:
        location["active"] = False
    return int(built.customer["id"])


def _other_state_point(builder: Builder, built: Built) -> int:
    far = _other_zip(builder, zip_code_type="STANDARD", active=True, not_state=builder.state)
    _addr(built).update(latitude=float(far["lat"]), longitude=float(far["long"]))
    builder.truth["problems"].setdefault("GEO-LOC-006", []).append(_loc(built)["id"])
    return int(_loc(built)["id"])


def _units_elsewhere(builder: Builder, built: Built) -> int:
    """Two neighbours in the same building have units; this location has none."""
    location = _loc(built)
    location["address"]["unit"] = None
    for unit in ("Apt 1", "Apt 2"):
        sibling = builder.add_location(
            built, builder.people[0][0], name=location["name"], created=builder.when()
        )
        sibling["address"] = dict(location["address"], unit=unit)
    return int(location["id"])


def _many_locations(builder: Builder, built: Built) -> int:
    for _ in range(6):
        builder.add_location(
            built, builder.person(), name=built.customer["name"], created=builder.when()
        )
    return _set(built.customer, type="Residential")


def _no_contact(builder: Builder, built: Built) -> int:
    for contact in built.contacts:
        placeholder = "noemail@none.com" if contact["type"] == "Email" else "000-000-0000"
        contact["value"] = placeholder
        if contact["phoneSettings"]:
            contact["phoneSettings"]["phoneNumber"] = "0000000000"
    return int(built.customer["id"])


def _pick(builder: Builder, choices: tuple[str, ...]) -> str:
    return builder.rng.choice(choices)


PLANTERS: tuple[tuple[str, Planter], ...] = (
    ("ADR-LOC-001", lambda b, c: _at(c, street=f"PO Box {b.rng.randint(10, 9999)}", unit=None)),
    ("ADR-LOC-002", lambda b, c: _at(c, zip=_pick(b, ("8501", "00000", "123456", "9999")))),
    ("ADR-LOC-003", lambda b, c: _at(c, state=_pick(b, ("NV", "NM", "UT", "OK", "AL", "SC")))),
    ("ADR-LOC-004", lambda b, c: _at(c, **_zip_fields(_other_zip(b, state=b.state, zip_code_type="PO BOX")))),
    ("ADR-LOC-005", lambda b, c: _at(c, city=_other_city(b, _addr(c)))),
    ("ADR-LOC-006", lambda b, c: _at(c, **_zip_fields(_other_zip(b, active=False)))),
    ("ADR-LOC-007", lambda b, c: _at(c, street=_pick(b, ("TBD", "unknown", "N/A", "", "Main")))),
    ("ADR-LOC-008", _units_elsewhere),
    ("ADR-CUS-001", lambda b, c: _set(c.customer, address=dict(c.customer["address"], street="", zip=None))),
    ("GEO-LOC-001", lambda b, c: _at(c, latitude=None, longitude=None)),
    ("GEO-LOC-002", lambda b, c: _at(c, latitude=0.0, longitude=0.0)),
    ("GEO-LOC-003", lambda b, c: _at(c, latitude=round(_addr(c)["latitude"] * 10, 5))),
    ("GEO-LOC-004", lambda b, c: _at(c, latitude=_addr(c)["longitude"], longitude=_addr(c)["latitude"])),
    ("GEO-LOC-005", lambda b, c: _at(c, longitude=-_addr(c)["longitude"])),
    ("GEO-LOC-006", _far_point),
    ("GEO-LOC-007", _other_state_point),
    ("GEO-LOC-008", lambda b, c: _at(c, latitude=round(_addr(c)["latitude"], 2), longitude=round(_addr(c)["longitude"], 2))),
    ("PHN-CON-001", lambda b, c: _set(_phone(b, c), value=_digits(_phone(b, c))[:7])),
    ("PHN-CON-002", lambda b, c: _set(_phone(b, c), value=_pick(b, ("555-555-5555", "0000000000", "(999) 999-9999", "1234567890")))),
    ("PHN-CON-003", lambda b, c: _set(_phone(b, c), value=f"({_digits(_phone(b, c))[:3]}) 555-01{b.rng.randint(0, 99):02d}")),
    ("PHN-CON-004", lambda b, c: _set(_phone(b, c), value=f"1{b.rng.randint(10, 99)}-{_digits(_phone(b, c))[3:6]}-{_digits(_phone(b, c))[6:]}")),
    ("PHN-CON-005", lambda b, c: _set(_phone(b, c), value=b.truth["tenant_phones"][0])),
    ("PHN-CON-006", lambda b, c: _set(_phone(b, c), type="MobilePhone", value=f"800-{b.rng.randint(200, 999)}-{b.rng.randint(0, 9999):04d}")),
    ("PHN-CON-007", lambda b, c: _set(_phone(b, c), value=f"{_digits(_phone(b, c))} / {_digits(_phone(b, c))[:6]}{b.rng.randint(0, 9999):04d}")),
    ("PHN-CON-008", lambda b, c: _set(_phone(b, c), value=_pick(b, ("+44 20 7946 0958", "+52 55 1234 5678", "+49 30 901820")))),
    ("PHN-CON-009", _no_contact),
    ("EML-CON-001", lambda b, c: _set(_email(b, c), value=_pick(b, ("john.smith@gmail", "john smith@gmail.com", "mary@@yahoo.com", "bob.gmail.com")))),
    ("EML-CON-002", lambda b, c: _set(_email(b, c), value=_pick(b, ("noemail@none.com", "none@none.com", "no@email.com", "na@na.com")))),
    ("EML-CON-003", lambda b, c: _set(_email(b, c), value=_email(b, c)["value"].split("@")[0] + "@" + _pick(b, ("gmial.com", "yahoo.con", "hotmial.com", "gmail.co")))),
    ("EML-CON-004", lambda b, c: _set(_email(b, c), value=f"{_pick(b, ('info', 'office', 'billing'))}@{c.customer['name'].split()[-1].lower()}home.com")),
    ("EML-CON-005", lambda b, c: _set(_email(b, c), value=f"  {_email(b, c)['value'].upper()} ")),
    ("NAM-CUS-001", lambda b, c: _set(c.customer, name=_pick(b, ("TEST", "test customer", "asdf", "Unknown", "xxx", "???")))),
    ("NAM-CUS-002", lambda b, c: _set(c.customer, name=f"{c.customer['name']} {_phone(b, c)['value']}")),
    ("NAM-CUS-003", lambda b, c: _set(c.customer, name=c.customer["name"].split()[-1], type="Residential")),
    ("NAM-CUS-004", lambda b, c: _set(c.customer, name=c.customer["name"].upper())),
    ("NAM-CUS-005", lambda b, c: _set(c.customer, name=", ".join(c.customer["name"].split(" ", 1)[::-1]))),
    ("NAM-CUS-006", lambda b, c: _set(c.customer, name=f"{c.customer['name'].split()[0]} & {_pick(b, ('Mary', 'Linda', 'James', 'Carlos'))} {c.customer['name'].split()[-1]}")),
    ("TYP-CUS-001", lambda b, c: _set(c.customer, name=f"{c.customer['name'].split()[-1]} {_pick(b, ('Properties LLC', 'Realty', 'Holdings Inc', 'Dental'))}", type="Residential")),
    ("TYP-CUS-002", _many_locations),
    ("TYP-CUS-003", lambda b, c: _set(c.customer, type="Commercial")),
    ("LIF-CUS-001", _deactivate_locations),
    ("LIF-LOC-001", lambda b, c: _set(c.customer, active=False) and _loc(c)["id"]),
    ("DUP-MRG-001", lambda b, c: _set(c.customer, name=_pick(b, ("DUPLICATE - ", "DO NOT USE ", "REMOVE ")) + c.customer["name"])),
    ("DUP-LOC-001", lambda b, c: _second_location(b, c, street=_retyped_street(_addr(c)["street"]) if b.rng.random() < 0.5
                                                  else f"{_addr(c)['street'].split()[0]} County Road {b.rng.randint(2, 99)}")),
    ("DUP-LOC-003", lambda b, c: _second_location(b, c, unit=None if _addr(c)["unit"] else f"Apt {b.rng.randint(1, 40)}")),
    ("DUP-CON-001", _repeated_phone),
)  # fmt: skip


def _zip_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {"zip": row["zip_code"], "city": row["city"].title(), "state": row["state"]}


def _other_city(builder: Builder, address: Record) -> str:
    cities = sorted({z["city"].title() for z in builder.zips} - {address["city"]})
    return builder.rng.choice(cities) if cities else "Springfield"


def plant_problems(builder: Builder) -> None:
    """Damage ``problem_rate`` of the base customers once per rule, each on its own customer."""
    clean = [built for p, built in builder.people if not p.company]
    builder.rng.shuffle(clean)
    per_rule = max(2, round(builder.spec.problem_rate * builder.spec.customers))
    problems = builder.truth["problems"]
    for rule_id, planter in PLANTERS:
        for _ in range(per_rule):
            if not clean:
                return
            record_id = planter(builder, clean.pop())
            if record_id:
                problems.setdefault(rule_id, []).append(int(record_id))
    _note_merges(builder.tenant, problems)


def _note_merges(tenant: Tenant, problems: dict[str, list[int]]) -> None:
    merged = [
        r["id"]
        for feed in ("customers", "locations")
        for r in tenant.feeds[feed]
        if r["mergedToId"]
    ]
    problems["LIF-MRG-001"] = merged


def add_oddities(tenant: Tenant, *, rate: float = 0.01, seed: int = 0) -> None:
    """What ServiceTitan sends that its spec does not promise: nulls, new enum values, new fields.

    Changes the tenant in place, so the tenant stays the truth a snapshot must equal.
    """
    rng = random.Random(seed)
    for feed, records in tenant.feeds.items():
        for record in records:
            if rng.random() >= rate:
                continue
            roll = rng.randrange(3)
            if roll == 0 and isinstance(record.get("address"), dict):
                record["address"]["country"] = None
            elif roll == 1 and "type" in record:
                record["type"] = {"customers": "Government", "locations": "Site"}.get(feed, "Pager")
            else:
                record["futureField"] = {"addedBy": "simulator", "value": [1, None, "x"]}
    tenant.truth["oddities"] = True
