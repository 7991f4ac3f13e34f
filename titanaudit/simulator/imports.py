"""A file of customers to import, built against a generated tenant, with known truth.

:func:`generate_import` builds a tenant as :func:`~titanaudit.simulator.generate_tenant` does
and, from the same people, the rows a contractor's data team would be handed:

- ``existing``: people already in the tenant, typed another way (a nickname, a typo, a long
  street form, another phone format, all capitals, a missing unit; some with only a name and a
  phone, some with only a phone);
- ``new``: people the tenant has never seen (some share a name with a customer: namesakes);
- ``repeat``: a row repeating an earlier row of the file, typed another way;
- ``household``: the spouse of a customer at the customer's address: a different person, whom
  the check should put to review;
- ``broken``: rows :func:`write_import_csv` writes with one field too many (a name with an
  unquoted comma).

``truth`` has one entry per data row: ``kind``, ``expected`` (the decision a careful person
would make), ``customers`` (the ids that are this person, for ``existing``) and ``repeats``
(the 1-based rows it repeats).
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from titanaudit.privacy import touch_private
from titanaudit.simulator.builder import PHONE_FORMATS, Builder, Person, TenantSpec
from titanaudit.simulator.generate import populate
from titanaudit.simulator.problems import plant_problems
from titanaudit.simulator.tenant import Tenant

__all__ = ["LAYOUTS", "ImportFile", "generate_import", "write_import_csv", "write_import_xlsx"]

#: column headers as two different sources spell them (field → header)
LAYOUTS: dict[str, dict[str, str]] = {
    "crm": {"name": "Customer Name", "street": "Address", "unit": "Address 2", "city": "City",
            "state": "State", "zip": "Zip", "phone": "Phone", "email": "Email", "note": "Notes"},
    "marketing": {"first_name": "First Name", "last_name": "Last Name", "company": "Company",
                  "street": "Street", "unit": "Apt", "city": "Town", "state": "ST",
                  "zip": "Postal Code", "phone": "Mobile", "email": "E-mail", "note": "Source"},
}  # fmt: skip
EXISTING_KINDS = (
    "nickname",
    "typo_name",
    "street_style",
    "typo_street",
    "missing_unit",
    "phone_format",
    "all_caps",
)
NOTES = (
    None,
    None,
    None,
    "Spring mailer",
    "Yelp",
    "Home show 2026",
    "Referral",
    "Warranty partner",
    "Door hanger",
    "Acquired from Cool Breeze HVAC",
)
ACCENTED = {
    "Jose": "José",
    "Rene": "René",
    "Renee": "Renée",
    "Andre": "André",
    "Zoe": "Zoë",
    "Noel": "Noël",
    "Chloe": "Chloé",
}


@dataclass
class ImportFile:
    tenant: Tenant
    layout: str
    rows: list[dict[str, str | None]] = field(default_factory=list)  # header → value
    truth: list[dict[str, Any]] = field(default_factory=list)

    @property
    def header(self) -> list[str]:
        return list(LAYOUTS[self.layout].values())


def _row(
    builder: Builder,
    p: Person,
    layout: str,
    options: dict[str, Any],
    *,
    only: tuple[str, ...] | None = None,
) -> dict[str, str | None]:
    note = builder.rng.choice(NOTES)
    values: dict[str, str | None] = {
        "name": options.get("name") or p.name,
        "first_name": None if p.company else p.first,
        "last_name": None if p.company else p.last,
        "company": p.company,
        "street": builder.street_text(p, long_form=options.get("long_form", False)),
        "unit": p.unit,
        "city": p.zip["city"].title(),
        "state": p.zip["state"],
        "zip": p.zip["zip_code"],
        "phone": PHONE_FORMATS[options.get("phone_format", 0)](p.phones[0][1])
        if p.phones
        else None,
        "email": p.email if options.get("with_email", True) else None,
        "note": note,
    }
    if options.get("name") and layout == "marketing" and not p.company:  # ALL CAPS, typed apart
        values["first_name"], values["last_name"] = p.first.upper(), p.last.upper()
    if only is not None:
        values = {k: (v if k in only else None) for k, v in values.items()}
    return {header: values[name] for name, header in LAYOUTS[layout].items()}


def _acceptable(builder: Builder, customer_id: int) -> list[int]:
    """The ids that are this customer's person: its own and its duplicates' (the check matches
    no customer merged away, so those never come up)."""
    for cluster in builder.truth["duplicate_clusters"]:
        if customer_id in cluster["ids"]:
            return sorted(cluster["ids"])
    return [customer_id]


def generate_import(
    spec: TenantSpec,
    *,
    rows: int,
    seed: int = 1,
    layout: str = "crm",
    existing: float = 0.4,
    repeats: float = 0.08,
    households: float = 0.03,
    broken: int = 3,
) -> ImportFile:
    """The tenant of ``spec`` and an import file of ``rows`` rows against it (module docstring);
    ``existing``, ``repeats`` and ``households`` are shares of the rows, the rest new people,
    and ``broken`` rows are written with a field too many."""
    builder = Builder(spec)
    populate(builder)
    plant_problems(builder)
    builder.finish()
    people = [(p, b) for p, b in builder.people if b.customer.get("mergedToId") is None]
    rng = random.Random(seed)
    builder.rng = random.Random(seed + 1)  # the tenant is built: variations draw from here
    made = ImportFile(builder.tenant, layout)
    kinds = ["existing"] * int(rows * existing) + ["repeat"] * int(rows * repeats)
    kinds += ["household"] * int(rows * households)
    kinds += ["new"] * (rows - len(kinds))
    rng.shuffle(kinds)
    kinds = ["new" if k == "repeat" and n == 0 else k for n, k in enumerate(kinds)]
    sources: list[tuple[Person, dict[str, Any]]] = []  # each row's person, for repeats
    homes = [(p, b) for p, b in people if not p.company]
    for kind in kinds:
        entry: dict[str, Any] = {"kind": kind, "customers": [], "repeats": []}
        if kind == "existing":
            p, built = rng.choice(people)
            variant, options = builder.vary(p, rng.sample(EXISTING_KINDS, rng.choice((0, 1, 1, 2))))
            only = rng.choice(
                (None,) * 8 + (("name", "first_name", "last_name", "company", "phone"), ("phone",))
            )
            row = _row(builder, variant, layout, options, only=only)
            entry |= {
                "expected": "existing",
                "customers": _acceptable(builder, built.customer["id"]),
            }
            sources.append((p, {"customers": entry["customers"]}))
        elif kind == "household" and homes:
            p, built = rng.choice(homes)
            first = rng.choice([f for f in builder.first_names if f != p.first])
            spouse = replace(
                p, first=first, phones=(("MobilePhone", builder.new_phone()),), email=None
            )
            row = _row(builder, spouse, layout, {})
            entry |= {"expected": "review", "customers": [built.customer["id"]]}
            sources.append((spouse, {}))
        elif kind == "repeat":
            earlier = rng.randrange(len(sources))
            p, known = sources[earlier]
            variant, options = builder.vary(
                p, rng.sample(("nickname", "typo_street", "phone_format", "all_caps"), 1)
            )
            row = _row(builder, variant, layout, options)
            expected = made.truth[earlier]["expected"]
            entry |= {
                "expected": expected,
                "customers": known.get("customers", []),
                "repeats": [earlier + 1],
            }
            entry["repeats"] += made.truth[earlier]["repeats"]
            sources.append((p, known))
        else:
            entry["kind"] = "new"
            p = builder.person(company=rng.random() < 0.1)
            if rng.random() < 0.05 and p.first in ACCENTED:
                p = replace(p, first=ACCENTED[p.first])
            elif rng.random() < 0.05:
                p = replace(p, first=rng.choice(sorted(ACCENTED.values())))
            row = _row(builder, p, layout, {})
            entry["expected"] = "new"
            sources.append((p, {}))
        made.rows.append(row)
        made.truth.append(entry)
    repeated = {r for t in made.truth for r in t["repeats"]}
    plain = [n for n, t in enumerate(made.truth) if t["kind"] == "new" and n + 1 not in repeated]
    for number in rng.sample(plain, min(broken, len(plain))):
        made.truth[number] |= {"kind": "broken", "expected": "review"}
    return made


def write_import_csv(
    made: ImportFile, path: Path, *, encoding: str = "utf-8", delimiter: str = ","
) -> Path:
    """Write the file as a spreadsheet would export it; ``broken`` rows get a name with an
    unquoted comma (one field too many)."""
    touch_private(path)
    with path.open("w", encoding=encoding, newline="", errors="strict") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(made.header)
        for row, truth in zip(made.rows, made.truth, strict=True):
            cells = ["" if row[h] is None else str(row[h]) for h in made.header]
            if truth["kind"] == "broken":
                cells[0] = f"{cells[0] or 'Smith'}{delimiter} Jr"
                handle.write(delimiter.join(cells) + "\r\n")
                continue
            writer.writerow(cells)
    return path


def write_import_xlsx(made: ImportFile, path: Path, *, sheet: str = "Customers") -> Path:
    """Write the file as an Excel workbook (one sheet; ZIP codes as numbers, as Excel keeps them
    when a CSV is opened and saved)."""
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(made.header)
    zip_header = LAYOUTS[made.layout]["zip"]
    for row in made.rows:
        ws.append([int(v) if h == zip_header and v and v.isdigit() else v for h, v in row.items()])
    touch_private(path)
    book.save(path)
    return path
