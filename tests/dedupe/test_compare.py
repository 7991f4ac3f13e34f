from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from titanaudit.dedupe.compare import compare_customers
from titanaudit.dedupe.entities import CustomerValues, customer_values
from titanaudit.simulator import Tenant
from titanaudit.testing import frames_from_tenant


def _long(rows: list[dict[str, object]]) -> pd.DataFrame:
    customers = pd.DataFrame(
        [
            {
                "id": r["id"],
                "name": r["name"],
                "street": r.get("street"),
                "unit": r.get("unit"),
                "city": r.get("city", "Phoenix"),
                "state": "AZ",
                "zip": r.get("zip", "85015"),
            }
            for r in rows
        ]
    )
    locations = pd.DataFrame(columns=["customer_id", "street", "unit", "city", "state", "zip"])
    contacts = pd.DataFrame(
        [
            {"customer_id": r["id"], "type": t, "value": v}
            for r in rows
            for t, v in r.get("contacts", [])
        ],
        columns=["customer_id", "type", "value"],
    )
    return customer_values(customers, locations, contacts)


@pytest.mark.parametrize(
    ("a", "b", "levels"),
    [
        (
            {"name": "Robert Smith", "street": "1420 W Elm St"},
            {"name": "Bob Smith", "street": "1420 West Elm Street"},
            {"name": 4, "address": 6},
        ),
        (
            {"name": "Jennifer Lopez", "street": "1420 W Elm St", "unit": "4"},
            {"name": "Jen Lopez", "street": "1420 W Elm St"},
            {"name": 4, "address": 5},
        ),
        (
            {"name": "Robert Smith", "street": "1420 W Elm St", "unit": "4"},
            {"name": "Smith, Robert", "street": "1420 W Elm St", "unit": "#4"},
            {"name": 5, "address": 6},
        ),
        (
            {"name": "Robert Smith", "street": "1420 W Elm St"},
            {"name": "Mary Smith", "street": "1420 W Elm St"},
            {"name": 1, "address": 6},
        ),
        (
            {"name": "John Smith", "street": "1420 W Elm St"},
            {"name": "Joan Smith", "street": "1420 W Elm St"},
            {"name": 1},
        ),
        (
            {"name": "Robert Smith", "street": "1420 W Elm St"},
            {"name": "Robert Smiht", "street": "1420 W Eml St"},
            {"name": 3, "address": 4},
        ),
        (
            {"name": "Jack Rees", "street": "1420 W Elm St"},
            {"name": "Jadk Rees", "street": "1420 W Elm St"},
            {"name": 3},
        ),
        ({"name": "Alice Morrison"}, {"name": "Aluce Morrison"}, {"name": 3}),
        # two slips that leave no given name are a typo (FEBRL's "samuel"/"samyle"); two
        # given names a slip apart, both names, stay two people (John and Joan above)
        (
            {"name": "Toby Reid", "street": "1420 W Elm St"},
            {"name": "Tobp Reid", "street": "1420 W Elm St"},
            {"name": 3},
        ),
        ({"name": "Samuel Burke"}, {"name": "Samyle Burke"}, {"name": 3}),
        (
            {"name": "Tara Reid", "street": "1420 W Elm St"},
            {"name": "Tana Reid", "street": "1420 W Elm St"},
            {"name": 1},
        ),
        ({"name": "Sophie Snell"}, {"name": "Snell Sophei"}, {"name": 2}),
        (
            {"name": "Robert Smith", "street": "1420 W Elm St"},
            {"name": "Robert Smith", "street": "1433 W Elm St"},
            {"name": 5, "address": 2},
        ),
        (
            {"name": "Robert Smith", "street": "1420 W Elm St"},
            {"name": "Robert Smith", "street": "9 Oak Ave"},
            {"address": 1},
        ),
        (
            {"name": "Robert Smith", "street": "1420 W Elm St", "zip": "85015"},
            {"name": "Robert Smith", "street": "1420 W Elm St", "zip": "85016"},
            {"address": 4},
        ),
        (
            {"name": "Robert Smith", "street": "1420 W Elm St"},
            {
                "name": "Robert Smith",
                "street": "1420 W Elm St",
                "zip": "90210",
                "city": "Beverly Hills",
            },
            {"address": 3},
        ),
        (
            {"name": "Acme Plumbing LLC", "street": "1 Main St"},
            {"name": "ACME PLUMBING", "street": "9 Oak Ave"},
            {"name": 5, "address": 1},
        ),
        # a phone typed into the name is not part of it; a person and a business named after them
        ({"name": "Caitlyn Garcia 9455133667"}, {"name": "Caitlyn Garcia"}, {"name": 5}),
        ({"name": "Kellie Houston"}, {"name": "Houston Properties LLC"}, {"name": 2}),
        ({"name": "Empress Court"}, {"name": "Palace Court"}, {"name": 0}),
        ({"name": "Acme Plumbing LLC"}, {"name": "Acme Plumbing and Heating LLC"}, {"name": 2}),
        (
            {"name": "Test", "street": None},
            {"name": "Robert Smith", "street": "1 Main St"},
            {"name": -1, "address": 1},
        ),
    ],
)
def test_name_and_address_levels(
    a: dict[str, object], b: dict[str, object], levels: dict[str, int]
) -> None:
    long = _long([{"id": 1, **a}, {"id": 2, **b}])
    got = compare_customers(pd.DataFrame({"left": [1], "right": [2]}), long).iloc[0]
    assert {k: int(got[k]) for k in levels} == levels


def test_phone_and_email_levels_with_frequencies() -> None:
    office = ("Phone", "602-867-5309")
    long = _long(
        [
            {"id": 1, "name": "A One", "contacts": [office, ("Email", "a@x.com")]},
            {
                "id": 2,
                "name": "B Two",
                "contacts": [("MobilePhone", "(602) 867-5309"), ("Email", "b@x.com")],
            },
            {"id": 3, "name": "C Three", "contacts": [office]},
            {"id": 4, "name": "D Four", "contacts": []},
        ]
    )
    got = compare_customers(pd.DataFrame({"left": [1, 1, 1], "right": [2, 3, 4]}), long)
    assert got["phone"].tolist() == [2, 2, -1]
    assert got["phone_freq"].tolist() == [3, 3, 0]
    assert got["email"].tolist() == [0, -1, -1]


def test_planted_duplicates_agree_more_than_households(base_tenant: Tenant, tmp_path: Path) -> None:
    frames = frames_from_tenant(base_tenant, tmp_path / "t.sqlite")
    long = customer_values(frames.customers, frames.locations, frames.contacts)
    truth = base_tenant.truth
    nick = [c["ids"] for c in truth["duplicate_clusters"] if c["kinds"] == ["nickname"]]
    homes = [n["ids"] for n in truth["hard_negatives"] if n["kind"] == "household"]
    pairs = pd.DataFrame(nick + homes, columns=["left", "right"])
    got = compare_customers(pairs, long)
    assert (got["name"].iloc[: len(nick)] >= 2).mean() > 0.9
    assert (got["name"].iloc[len(nick) :] == 1).mean() > 0.9, (
        "a different given name at one address is the household level"
    )


def test_emails_nearly_the_same_are_their_own_level() -> None:
    long = _long(
        [
            {"id": 1, "name": "Jane Doe", "contacts": [("Email", "jane.doe@gmail.com")]},
            {"id": 2, "name": "Jane Doe", "contacts": [("Email", "janedoe@yahoo.com")]},
            {"id": 3, "name": "Jane Doe", "contacts": [("Email", "jane.doe@gmial.com")]},
            {"id": 4, "name": "Jane Doe", "contacts": [("Email", "pat@acme.com")]},
            {"id": 5, "name": "Jane Doe", "contacts": [("Email", "skyfan77@gmail.com")]},
            {"id": 6, "name": "Jane Doe", "contacts": [("Email", "skyfan77@icloud.com")]},
        ]
    )
    got = compare_customers(pd.DataFrame({"left": [1, 1, 1, 5], "right": [2, 3, 4, 6]}), long)
    # one user name at two providers, or a slip in the address, is nearly one e-mail; where the
    # user name only spells the person's name (every Jane Doe may have janedoe@ somewhere) it is
    # marked, and weighs no more than the name's rarity (test_model)
    assert got["email"].tolist() == [1, 1, 0, 1]
    assert got["email_named"].tolist() == [True, True, False, False]


def test_one_parse_serves_any_subset_of_the_customers(base_tenant: Tenant, tmp_path: Path) -> None:
    """Lead matching takes the active customers' values from the engine's parse of them all:
    row for row what parsing only the active ones gives."""
    frames = frames_from_tenant(base_tenant, tmp_path / "t.sqlite")
    customers = frames.customers
    active = customers[customers["active"].fillna(False).astype(bool)]
    assert 0 < len(active) < len(customers)
    values = CustomerValues.parse(customers, frames.locations, frames.contacts)
    pd.testing.assert_frame_equal(
        values.of(set(active["id"])), customer_values(active, frames.locations, frames.contacts)
    )


def test_pairs_compared_in_chunks_on_every_core_get_the_levels_of_one_piece(
    base_tenant: Tenant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from titanaudit.dedupe import compare
    from titanaudit.dedupe.blocking import candidate_pairs
    from titanaudit.dedupe.entities import CUSTOMER_RULES

    frames = frames_from_tenant(base_tenant, tmp_path / "t.sqlite")
    long = customer_values(frames.customers, frames.locations, frames.contacts)
    pairs = candidate_pairs(long, CUSTOMER_RULES)
    whole = compare_customers(pairs, long)
    monkeypatch.setattr(compare, "CHUNK", 37)
    assert len(pairs) > 10 * 37
    pd.testing.assert_frame_equal(compare_customers(pairs, long), whole)
