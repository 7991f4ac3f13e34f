"""Hard negatives: records that look alike and are different people, planted so the tests hold
what a matcher must keep apart (the shapes seen in tenants made elsewhere): a spouse at one
address, a namesake across town, a landlord on a tenant's home, a placeholder customer holding
the contacts of every home's past owners, namesakes with look-alike e-mails, a property
manager's office line on each resident. Each is written into the truth's ``hard_negatives``.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from titanaudit.simulator.builder import FREE_MAIL, Builder, Built, Person

__all__ = ["plant_negatives"]


def plant_negatives(builder: Builder, base: list[tuple[Person, Built]]) -> None:
    """Every kind of hard negative, drawn from the ``base`` people in a fixed order (so one
    seed gives one tenant)."""
    rng, spec = builder.rng, builder.spec
    for p, built in rng.sample(base, int(len(base) * spec.household_rate)):
        household(builder, p, built)
    for p, built in rng.sample(base, int(len(base) * spec.namesake_rate)):
        namesake(builder, p, built)
    landlords(builder, base)
    placeholder_hub(builder, base)
    namesake_group(builder, base)
    property_managers(builder, base)


def household(builder: Builder, p: Person, built: Built) -> None:
    """A spouse or grown child: same surname and house, a different person."""
    if p.company:
        return
    first = builder.rng.choice([f for f in builder.first_names if f != p.first])
    landline = [ph for ph in p.phones if ph[0] == "Phone"]
    spouse = replace(
        p,
        first=first,
        phones=(("MobilePhone", builder.new_phone()), *landline),
        email=builder.new_email(first, p.last) if builder.rng.random() < 0.5 else None,
    )
    other = builder.add_customer(spouse)
    _negative(builder, "household", built, other)


def namesake(builder: Builder, p: Person, built: Built) -> None:
    """Someone else with the same name elsewhere in the metro."""
    other_person = replace(builder.person(), first=p.first, last=p.last, company=p.company)
    _negative(builder, "namesake", built, builder.add_customer(other_person))


def landlords(builder: Builder, base: list[tuple[Person, Built]]) -> None:
    """A landlord customer whose rental location is a tenant customer's home."""
    for p, built in builder.rng.sample(base, max(1, len(base) // 100)):
        landlord = builder.add_customer(builder.person())
        builder.add_location(landlord, p, name=landlord.customer["name"], created=builder.when())
        _negative(builder, "landlord_tenant", built, landlord)


def placeholder_hub(builder: Builder, base: list[tuple[Person, Built]]) -> None:
    """ServiceTitan's advice: move a sold home's location to a "New Homeowner" customer. The
    home's contacts often go with it: the phones and e-mail of the owners who sold it, typed
    on the location. Such a hub shares something with each past owner and is none of them."""
    holder = builder.add_customer(builder.person(), name="New Homeowner", kind="Residential")
    for p, built in builder.rng.sample(base, min(len(base), max(6, len(base) // 150))):
        if p.company or builder.rng.random() < 0.3:
            builder.add_location(
                holder, builder.moved(p), name="New Homeowner", created=builder.when()
            )
            continue
        home = builder.add_location(holder, p, name="New Homeowner", created=builder.when())
        for contact in [c for c in built.contacts if "customerId" in c]:
            if contact["type"] != "Email" or builder.rng.random() < 0.6:
                builder.add_contact(
                    holder, "location", contact["type"], contact["value"], builder.when(), home
                )
        _negative(builder, "hub", holder, built)
    builder.truth["placeholders"].append(holder.customer["id"])


def namesake_group(builder: Builder, base: list[tuple[Person, Built]]) -> None:
    """A common name held by several people across the metro, each with an e-mail spelling
    that name at some provider (andrewsanchez@gmail.com, andrew.sanchez@icloud.com, ...):
    look-alikes, not one person."""
    first, last = (
        builder.rng.choice(("Andrew", "Mary", "James")),
        builder.rng.choice(("Sanchez", "Clark", "Smith")),
    )
    built = []
    for _ in range(max(4, len(base) // 500)):
        p = replace(builder.person(), first=first, last=last, company=None, email=None)
        local = builder.rng.choice(
            (
                f"{first}{last}",
                f"{first}.{last}",
                f"{first[0]}{last}",
                f"{first}{last}{builder.rng.randint(1, 99)}",
            )
        ).lower()
        email = f"{local}@{builder.rng.choice(FREE_MAIL)}"
        while email in builder.emails:
            email = f"{local}{builder.rng.randint(1, 999)}@{builder.rng.choice(FREE_MAIL)}"
        builder.emails.add(email)
        built.append(builder.add_customer(replace(p, email=email)))
    for a, b in itertools.combinations(built, 2):
        _negative(builder, "namesake_lookalike_email", a, b)


def property_managers(builder: Builder, base: list[tuple[Person, Built]]) -> None:
    """A management company whose office line is on each resident it manages."""
    for _ in range(max(1, len(base) // 400)):
        manager = builder.person(company=True)
        manager = replace(
            manager,
            company=f"{manager.last} Property Management",
            phones=(("Phone", builder.new_phone()),),
        )
        office = builder.add_customer(manager)
        for p, built in builder.rng.sample(base, min(len(base), 4)):
            if p.company:
                continue
            builder.add_contact(built, "customer", "Phone", manager.phones[0][1], builder.when())
            _negative(builder, "property_manager_phone", office, built)


def _negative(builder: Builder, kind: str, a: Built, b: Built) -> None:
    ids = [a.customer["id"], b.customer["id"]]
    builder.truth["hard_negatives"].append({"entity": "customers", "kind": kind, "ids": ids})
