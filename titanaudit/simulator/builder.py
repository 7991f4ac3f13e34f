"""What the tenant generators share: the spec, a person before it is typed into ServiceTitan,
and the :class:`Builder` that turns people into records in ServiceTitan's shapes.

:mod:`titanaudit.simulator.generate` builds a whole tenant with it, and
:mod:`~titanaudit.simulator.activity`, :mod:`~titanaudit.simulator.problems` and
:mod:`~titanaudit.simulator.imports` add their parts through it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import zipcodes
from faker.providers.person.en_US import Provider as PersonWords

from titanaudit.simulator.tenant import Record, Tenant, settings_feeds

__all__ = ["PHONE_FORMATS", "Builder", "Built", "Person", "TenantSpec", "parse_stamp"]

METROS = (
    ("AZ", 33.45, -112.07),
    ("TX", 32.78, -96.80),
    ("GA", 33.75, -84.39),
    ("FL", 27.95, -82.46),
    ("CO", 39.74, -104.99),
    ("NC", 35.23, -80.84),
)
SUFFIXES = {
    "Street": "St",
    "Avenue": "Ave",
    "Road": "Rd",
    "Drive": "Dr",
    "Lane": "Ln",
    "Court": "Ct",
    "Boulevard": "Blvd",
    "Way": "Way",
    "Place": "Pl",
    "Circle": "Cir",
    "Trail": "Trl",
    "Parkway": "Pkwy",
}
DIRECTIONS = {"North": "N", "South": "S", "East": "E", "West": "W"}
NICKNAMES = {"Robert": "Bob", "William": "Bill", "Richard": "Dick", "James": "Jim",
             "John": "Jack", "Michael": "Mike", "Joseph": "Joe", "Thomas": "Tom",
             "Christopher": "Chris", "Daniel": "Dan", "Matthew": "Matt", "Anthony": "Tony",
             "Steven": "Steve", "Andrew": "Andy", "Edward": "Ed", "Charles": "Chuck",
             "Elizabeth": "Liz", "Jennifer": "Jen", "Margaret": "Peggy", "Patricia": "Pat",
             "Katherine": "Kathy", "Susan": "Sue", "Deborah": "Debbie", "Rebecca": "Becky",
             "Jessica": "Jess", "Kimberly": "Kim", "Samantha": "Sam", "Victoria": "Vicky"}  # fmt: skip
FREE_MAIL = (
    "gmail.com",
    "yahoo.com",
    "hotmail.com",
    "outlook.com",
    "aol.com",
    "icloud.com",
    "comcast.net",
    "att.net",
)
TRADES = (
    "Properties LLC",
    "Property Management",
    "Realty",
    "Dental Group",
    "Church",
    "Apartments",
    "Holdings Inc",
    "Restaurant",
    "Auto Repair",
    "HOA",
)
DUPLICATE_KINDS = (
    "nickname",
    "typo_name",
    "last_first",
    "street_style",
    "typo_street",
    "missing_unit",
    "phone_format",
    "phone_and_name_only",
    "email_only",
    "all_caps",
    "new_phone",
    "typo_place",
)
PHONE_FORMATS: tuple[Callable[[str], str], ...] = (
    lambda d: d,
    lambda d: f"({d[:3]}) {d[3:6]}-{d[6:]}",
    lambda d: f"{d[:3]}-{d[3:6]}-{d[6:]}",
    lambda d: f"{d[:3]}.{d[3:6]}.{d[6:]}",
    lambda d: f"+1 {d[:3]} {d[3:6]} {d[6:]}",
    lambda d: f"1-{d[:3]}-{d[3:6]}-{d[6:]}",
    lambda d: f"{d[3:6]}-{d[6:]}",  # no area code (a business site's line, typed locally)
)
SEVEN_DIGITS = len(PHONE_FORMATS) - 1
#: what one site of an organisation adds to its name, and how a name is shortened
SITE_WORDS = ("School", "Head Start", "Main Office", "Annex", "Branch")
ABBREVIATIONS = {
    "Management": "Mgmt",
    "Center": "Ctr",
    "Community": "Comm",
    "Association": "Assn",
    "Properties": "Prop",
    "Centre": "Center",
}


@dataclass(frozen=True, kw_only=True)
class TenantSpec:
    """What to generate. Rates are shares of the base customers."""

    customers: int = 1000
    seed: int = 0
    tenant_id: int = 1_234_567
    duplicate_rate: float = 0.08
    merged_share: float = 0.25
    household_rate: float = 0.03
    namesake_rate: float = 0.01
    problem_rate: float = 0.004
    lead_rate: float = 0.04
    booking_rate: float = 0.02
    as_of: datetime = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Person:
    """A real-world customer before it is typed into ServiceTitan (perhaps more than once)."""

    first: str
    last: str
    company: str | None
    number: str
    predir: str | None
    street: str
    suffix: str
    unit: str | None
    zip: dict[str, Any]
    lat: float
    lon: float
    phones: tuple[tuple[str, str], ...]  # (ServiceTitan contact type, 10 digits)
    email: str | None

    @property
    def name(self) -> str:
        return self.company or f"{self.first} {self.last}"


@dataclass
class Built:
    """Ids of what one customer record produced."""

    customer: Record
    locations: list[Record] = field(default_factory=list)
    contacts: list[Record] = field(default_factory=list)


class Builder:
    """Holds the random state, the id counter and the records while a tenant is built."""

    rng: random.Random
    state: str
    zips: list[dict[str, Any]]
    truth: dict[str, Any]

    def __init__(self, spec: TenantSpec) -> None:
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.tenant = Tenant(tenant_id=spec.tenant_id)
        self.next_id = 10_000_000 + self.rng.randrange(1_000_000)
        self.state, lat0, lon0 = self.rng.choice(METROS)
        self.zips = _metro_zips(self.state, lat0, lon0)
        self.area_codes = sorted({a for z in self.zips for a in z["area_codes"]}) or ["602"]
        self.first_names = sorted(PersonWords.first_names_male | PersonWords.first_names_female)
        self.last_names = list(PersonWords.last_names)
        self.streets = [n for n in self.last_names[:300]] + [f"{i}th" for i in range(4, 60)]
        self.people: list[tuple[Person, Built]] = []
        self.emails: set[str] = set()
        self.truth: dict[str, Any] = {
            "state": self.state,
            "duplicate_clusters": [],
            "hard_negatives": [],
            "placeholders": [],
            "problems": {},
            "tenant_phones": [self.new_phone()],
            "tenant_domains": ["example-hvac.com"],
            "office": {"latitude": lat0, "longitude": lon0},
        }

    # ---- ids, dates, words -------------------------------------------------------------

    def new_id(self) -> int:
        self.next_id += self.rng.randint(1, 40)
        return self.next_id

    def when(self, *, after: datetime | None = None, days: int = 8 * 365) -> datetime:
        start = after or self.spec.as_of - timedelta(days=days)
        span = max(60.0, (self.spec.as_of - start).total_seconds() - 3600)
        return start + timedelta(seconds=self.rng.uniform(0, span))

    def stamp(self, moment: datetime) -> str:
        """ServiceTitan's timestamps vary in their fraction digits (2 to 7)."""
        digits = self.rng.choice((0, 2, 3, 4, 7))
        base = moment.isoformat()[:19]
        if not digits:
            return base + "Z"
        fraction = f"{moment.microsecond:06d}{self.rng.randrange(10)}"[:digits]
        return f"{base}.{fraction}Z"

    def new_phone(self) -> str:
        area = self.rng.choice(self.area_codes)
        exchange = self.rng.randint(200, 999)
        while exchange % 100 == 11 or exchange == 555:
            exchange = self.rng.randint(200, 999)
        return f"{area}{exchange}{self.rng.randrange(10_000):04d}"

    # ---- people ------------------------------------------------------------------------
    def person(self, *, company: bool = False) -> Person:
        rng = self.rng
        first, last = rng.choice(self.first_names), rng.choice(self.last_names)
        zip_row = rng.choice(self.zips)
        phones = [("MobilePhone" if rng.random() < 0.7 else "Phone", self.new_phone())]
        if rng.random() < 0.15:
            phones.append(("Phone", self.new_phone()))
        company_name = f"{rng.choice(self.last_names)} {rng.choice(TRADES)}" if company else None
        return Person(
            first=first,
            last=last,
            company=company_name,
            number=str(rng.choice((rng.randint(100, 9999), rng.randint(10000, 29999)))),
            predir=rng.choice(list(DIRECTIONS)) if rng.random() < 0.25 else None,
            street=rng.choice(self.streets),
            suffix=rng.choice(list(SUFFIXES)),
            unit=f"{rng.choice(('Apt', 'Unit', '#'))} {rng.randint(1, 40)}{rng.choice('AB ')}".strip()
            if rng.random() < 0.1
            else None,
            zip=zip_row,
            lat=float(zip_row["lat"]) + rng.uniform(-0.02, 0.02),
            lon=float(zip_row["long"]) + rng.uniform(-0.02, 0.02),
            phones=tuple(phones),
            email=self.new_email(first, last) if rng.random() < 0.6 else None,
        )

    def new_email(self, first: str, last: str) -> str:
        pattern = self.rng.randrange(3)
        local = (
            f"{first}.{last}",
            f"{first[0]}{last}{self.rng.randint(1, 99)}",
            f"{last}{first[0]}",
        )
        address = f"{local[pattern].lower()}@{self.rng.choice(FREE_MAIL)}"
        # two people never share a personal address by chance: that would be a duplicate the
        # truth does not know of
        while address in self.emails:
            name, _, domain = address.partition("@")
            address = f"{name}{self.rng.randint(1, 999)}@{domain}"
        self.emails.add(address)
        return address

    def moved(self, person: Person) -> Person:
        """The same person at another address in the metro."""
        other = self.person()
        return replace(
            person,
            number=other.number,
            predir=other.predir,
            street=other.street,
            suffix=other.suffix,
            unit=other.unit,
            zip=other.zip,
            lat=other.lat,
            lon=other.lon,
        )

    # ---- records -----------------------------------------------------------------------
    def street_text(self, p: Person, *, long_form: bool = False, bare: bool = False) -> str:
        """The street line; ``bare`` leaves the suffix out ("1120 N Lamon")."""
        predir = (p.predir if long_form else DIRECTIONS[p.predir]) if p.predir else None
        suffix = None if bare else p.suffix if long_form else SUFFIXES[p.suffix]
        return " ".join(x for x in (p.number, predir, p.street, suffix) if x)

    def address(
        self, p: Person, *, long_form: bool = False, coords: bool = True, bare: bool = False
    ) -> Record:
        address: Record = {
            "street": self.street_text(p, long_form=long_form, bare=bare),
            "unit": p.unit,
            "city": p.zip["city"].title(),
            "state": p.zip["state"],
            "zip": p.zip["zip_code"]
            if self.rng.random() < 0.9
            else f"{p.zip['zip_code']}-{self.rng.randint(1000, 9999)}",
            "country": "USA",
        }
        if coords:
            address["latitude"] = round(p.lat, 6)
            address["longitude"] = round(p.lon, 6)
        return address

    def add_customer(
        self,
        p: Person,
        *,
        name: str | None = None,
        created: datetime | None = None,
        long_form: bool = False,
        phone_format: int = 0,
        with_email: bool = True,
        kind: str | None = None,
        bare_street: bool = False,
    ) -> Built:
        """One customer with one location and its contacts, as a CSR would type them."""
        created = created or self.when()
        modified = self.when(after=created)
        customer_id = self.new_id()
        address = self.address(p, long_form=long_form, bare=bare_street)
        customer: Record = {
            "id": customer_id,
            "active": True,
            "name": name or p.name,
            "type": kind or ("Commercial" if p.company else "Residential"),
            "address": address,
            "customFields": self._custom_fields(),
            "balance": round(self.rng.choice((0.0, 0.0, 0.0, self.rng.uniform(-200, 900))), 2),
            "taxExempt": False,
            "tagTypeIds": [],
            "doNotMail": self.rng.random() < 0.05,
            "doNotService": self.rng.random() < 0.01,
            "nationalAccount": False,
            "createdOn": self.stamp(created),
            "createdById": self.rng.randint(10_000, 10_050),
            "modifiedOn": self.stamp(modified),
            "mergedToId": None,
            "paymentTermId": None,
            "creditLimit": None,
            "creditLimitBalance": None,
            "externalData": None,
        }
        self.tenant.feeds["customers"].append(customer)
        built = Built(customer)
        location = self.add_location(
            built, p, name=customer["name"], created=created, long_form=long_form
        )
        for contact_type, digits in p.phones:
            value = PHONE_FORMATS[phone_format](digits)
            self.add_contact(built, "customer", contact_type, value, created)
            if self.rng.random() < 0.5:
                self.add_contact(built, "location", contact_type, value, created, location)
        if p.email and with_email:
            self.add_contact(built, "customer", "Email", p.email, created)
        return built

    def add_location(
        self, built: Built, p: Person, *, name: str, created: datetime, long_form: bool = False
    ) -> Record:
        location: Record = {
            "id": self.new_id(),
            "customerId": built.customer["id"],
            "active": True,
            "name": name,
            "address": self.address(p, long_form=long_form),
            "customFields": [],
            "createdOn": self.stamp(created),
            "createdById": self.rng.randint(10_000, 10_050),
            "modifiedOn": self.stamp(self.when(after=created)),
            "mergedToId": None,
            "zoneId": self.rng.randint(1, 6),
            "taxZoneId": None,
            "taxExempt": False,
            "tagTypeIds": [],
            "externalData": None,
        }
        self.tenant.feeds["locations"].append(location)
        built.locations.append(location)
        return location

    def add_contact(
        self,
        built: Built,
        owner: str,
        contact_type: str,
        value: str,
        created: datetime,
        location: Record | None = None,
    ) -> Record:
        phone = contact_type != "Email"
        digits = "".join(ch for ch in value if ch.isdigit())
        contact: Record = {"id": self.new_id()}
        if owner == "customer":
            contact["customerId"] = built.customer["id"]
        else:
            contact["locationId"] = (location or built.locations[0])["id"]
        contact.update(
            {
                "active": True,
                "type": contact_type,
                "value": value,
                "memo": self.rng.choice((None, None, "cell", "home", "work", "wife"))
                if phone
                else None,
                "phoneSettings": {"phoneNumber": digits[-10:], "doNotText": self.rng.random() < 0.1}
                if phone
                else None,
                "preferences": {
                    "jobRemindersEnabled": True,
                    "marketingUpdatesEnabled": self.rng.random() < 0.4,
                    "invoiceStatementNotification": self.rng.random() < 0.6,
                },
                "createdOn": self.stamp(created),
                "modifiedOn": self.stamp(self.when(after=created)),
            }
        )
        self.tenant.feeds[f"{owner}_contacts"].append(contact)
        built.contacts.append(contact)
        return contact

    def _custom_fields(self) -> list[Record]:
        if self.rng.random() < 0.7:
            return []
        source = self.rng.choice(("Google", "Yelp", "Referral", "Truck wrap", "Facebook"))
        return [{"typeId": 2281, "name": "Referral Source", "value": source}]

    # ---- the tenant --------------------------------------------------------------------
    def build(self) -> list[tuple[Person, Built]]:
        """The customers and their duplicates; returns the base people (one customer each,
        before any duplicate), whom hard negatives (:mod:`~titanaudit.simulator.negatives`),
        leads and bookings are drawn from."""
        spec, rng = self.spec, self.rng
        for _ in range(spec.customers):
            p = self.person(company=rng.random() < 0.1)
            built = self.add_customer(
                p, long_form=rng.random() < 0.2, phone_format=rng.randrange(3)
            )
            if p.company and rng.random() < 0.5:
                for _ in range(rng.randint(1, 3)):
                    self.add_location(built, self.moved(p), name=p.company, created=self.when())
            self.people.append((p, built))
        base = list(self.people)
        for p, built in rng.sample(base, int(len(base) * spec.duplicate_rate)):
            self.duplicate(p, built)
        return base

    def duplicate(self, p: Person, original: Built) -> None:
        """A second customer for the same real person, typed differently."""
        rng = self.rng
        kinds = rng.sample(DUPLICATE_KINDS, rng.choice((1, 1, 2)))
        if p.company and rng.random() < 0.5:
            kinds = ["business_site"]
        variant, options = self.vary(p, kinds)
        created = self.when(after=parse_stamp(original.customer["createdOn"]))
        built = self.add_customer(variant, created=created, **options)
        merged = rng.random() < self.spec.merged_share
        if merged:
            self.merge(built, original)
        if "business_site" in kinds and not merged:  # a phone without its area code, a problem too
            self.truth["problems"].setdefault("PHN-CON-001", []).extend(
                c["id"] for c in built.contacts if c["type"] != "Email" and "customerId" in c
            )
        self.truth["duplicate_clusters"].append(
            {
                "entity": "customers",
                "ids": [original.customer["id"], built.customer["id"]],
                "kinds": kinds,
                "merged": merged,
            }
        )

    def vary(self, p: Person, kinds: list[str]) -> tuple[Person, dict[str, Any]]:
        """Apply the duplicate kinds to a person; return it and the options for add_customer."""
        rng = self.rng
        options: dict[str, Any] = {"phone_format": 0, "with_email": True, "long_form": False}
        name: str | None = None
        for kind in kinds:
            if kind == "nickname" and not p.company:
                p = replace(
                    p, first=NICKNAMES.get(p.first, p.first[:3] if len(p.first) > 4 else p.first)
                )
            elif kind == "typo_name":
                p = (
                    replace(p, last=_typo(rng, p.last))
                    if not p.company
                    else replace(p, company=_typo(rng, p.company))
                )
            elif kind == "last_first" and not p.company:
                name = f"{p.last}, {p.first}"
            elif kind == "street_style":
                options["long_form"] = True
            elif kind == "typo_street":
                p = replace(p, street=_typo(rng, p.street))
            elif kind == "typo_place":
                # the street mistyped and the ZIP of the next district (the ZIP and street keys
                # both differ; FEBRL and the restaurant guides are full of these)
                p = replace(p, street=_typo(rng, p.street), zip=self.zip_next_door(p))
            elif kind == "missing_unit":
                p = replace(p, unit=None)
            elif kind == "phone_format":
                options["phone_format"] = rng.randint(1, SEVEN_DIGITS - 1)
            elif kind == "phone_and_name_only":
                p = replace(self.moved(p), email=None)
            elif kind == "email_only" and p.email:
                p = replace(p, phones=(("MobilePhone", self.new_phone()),))
            elif kind == "all_caps":
                name = (name or p.name).upper()
            elif kind == "business_site":
                # one site of an organisation typed again: a program or branch in the name, an
                # abbreviation, the street without its suffix, the phone without its area code
                p = replace(p, company=_site_name(rng, p.company or p.name))
                options.update(bare_street=True, phone_format=SEVEN_DIGITS)
            elif kind == "new_phone":
                p = replace(p, phones=(("MobilePhone", self.new_phone()),), email=None)
        options["name"] = name
        return p, options

    def zip_next_door(self, p: Person) -> dict[str, Any]:
        """Another ZIP of the person's city within a few miles of their house, if there is one
        (so the pin stays near its ZIP and the city matches it)."""
        near = [
            z
            for z in self.zips
            if z["city"] == p.zip["city"]
            and z["zip_code"] != p.zip["zip_code"]
            and abs(float(z["lat"]) - p.lat) < 0.1
            and abs(float(z["long"]) - p.lon) < 0.1
        ]
        return self.rng.choice(near) if near else p.zip

    def merge(self, removed: Built, kept: Built) -> None:
        """What ServiceTitan's Merge Customers screen leaves behind."""
        moment = self.stamp(self.when(after=parse_stamp(removed.customer["createdOn"])))
        removed.customer.update(active=False, mergedToId=kept.customer["id"], modifiedOn=moment)
        for location in removed.locations:
            location.update(customerId=kept.customer["id"], modifiedOn=moment)
            if (
                location["address"]["street"].split()[0]
                == kept.locations[0]["address"]["street"].split()[0]
            ):
                location.update(active=False, mergedToId=kept.locations[0]["id"])
            # the kept customer owns the moved location and its contacts from now on
            kept.locations.append(location)
        for contact in removed.contacts:
            if "customerId" in contact:
                contact.update(active=False, modifiedOn=moment)
            else:
                kept.contacts.append(contact)

    def finish(self) -> None:
        """The tenant's settings records (custom fields, tag types) beside its people."""
        self.tenant.feeds.update(settings_feeds())
        self.tenant.truth = self.truth


def _metro_zips(state: str, lat: float, lon: float) -> list[dict[str, Any]]:
    """Standard, active ZIPs within about 35 miles of the metro's centre."""
    rows = [
        z
        for z in zipcodes.filter_by(state=state, zip_code_type="STANDARD", active=True)
        if z["lat"] and abs(float(z["lat"]) - lat) < 0.5 and abs(float(z["long"]) - lon) < 0.6
    ]
    return sorted(rows, key=lambda z: z["zip_code"])


def _site_name(rng: random.Random, name: str) -> str:
    """The name of one site of an organisation as a second CSR typed it."""
    if rng.random() < 0.5:
        return f"{name} {rng.choice(('-', ''))} {rng.choice(SITE_WORDS)}".replace("  ", " ")
    return (
        " ".join(ABBREVIATIONS.get(w, w) for w in name.split())
        .replace(" LLC", "")
        .replace(" Inc", "")
    )


def _typo(rng: random.Random, word: str) -> str:
    """One keystroke wrong: a dropped, doubled, swapped or replaced letter."""
    if len(word) < 4:
        return word + word[-1]
    i = rng.randrange(1, len(word) - 1)
    op = rng.randrange(4)
    if op == 0:
        return word[:i] + word[i + 1 :]
    if op == 1:
        return word[:i] + word[i] + word[i:]
    if op == 2:
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    return word[:i] + rng.choice("aeiourstnl") + word[i + 1 :]


def parse_stamp(stamp: str) -> datetime:
    """A record's ISO timestamp as a datetime."""
    return datetime.fromisoformat(stamp)
