"""Clusters that cannot chain (issue 14's failure classes, built here): a hub sharing something
with each of 30 people, and namesakes whose e-mails spell their common name at different
providers, must not become one cluster; and over any graph of pairs, no cluster holds two records
with clear evidence against them."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from titanaudit.dedupe.any_table import dedupe_frame
from titanaudit.dedupe.cluster import cluster_pairs
from titanaudit.dedupe.customers import dedupe_customers
from titanaudit.simulator import Tenant, TenantSpec
from titanaudit.simulator.builder import Builder
from titanaudit.simulator.generate import populate
from titanaudit.simulator.problems import plant_problems
from titanaudit.testing import (
    frames_from_tenant,
    pair_accuracy,
    planted_clusters,
)


def tenant_with_a_hub(people: int) -> tuple[Builder, int, list[int]]:
    """A generated tenant plus a "New Homeowner" holding the homes of ``people`` customers, each
    home with its past owner's phones and e-mail typed on it."""
    builder = Builder(TenantSpec(customers=1500, seed=21))
    populate(builder)
    hub = builder.add_customer(builder.person(), name="New Homeowner", kind="Residential")
    owners = [(p, b) for p, b in builder.people if not p.company][:people]
    for p, built in owners:
        home = builder.add_location(hub, p, name="New Homeowner", created=builder.when())
        for contact in [c for c in built.contacts if "customerId" in c]:
            builder.add_contact(
                hub, "location", contact["type"], contact["value"], builder.when(), home
            )
    plant_problems(builder)
    builder.finish()
    return builder, hub.customer["id"], [b.customer["id"] for _, b in owners]


def test_a_hub_linked_to_30_people_joins_none_of_them(tmp_path: Path) -> None:
    builder, hub, owners = tenant_with_a_hub(30)
    frames = frames_from_tenant(builder.tenant, tmp_path / "t.sqlite")
    result = dedupe_customers(frames)
    active = set(frames.customers.query("active == True")["id"])
    clusters = result.clusters.groupby("cluster_id")["id"].apply(set)
    assert all(len(members & set(owners)) <= 1 for members in clusters), (
        "no cluster holds two owners"
    )
    assert all(hub not in members for members in clusters), "the hub is nobody's duplicate"
    hub_pairs = result.pairs[(result.pairs["left_id"] == hub) | (result.pairs["right_id"] == hub)]
    assert len(hub_pairs) >= 30 and (hub_pairs["probability"] < 0.5).all()
    # and the planted duplicates are still found
    planted = [[i for i in c if i in active] for c in planted_clusters(builder.tenant.truth)]
    accuracy = pair_accuracy(clusters.map(sorted).tolist(), planted)
    assert accuracy["precision"] > 0.97 and accuracy["recall"] > 0.95, accuracy


def namesakes(name: str, count: int, rng: random.Random) -> list[dict[str, str]]:
    first, last = name.lower().split()
    cities = [
        ("Dallas", "75201"),
        ("Plano", "75023"),
        ("Irving", "75038"),
        ("Garland", "75040"),
        ("Frisco", "75033"),
        ("Mesquite", "75149"),
        ("Denton", "76201"),
        ("Arlington", "76010"),
        ("Allen", "75002"),
        ("McKinney", "75069"),
    ]
    providers = ["gmail.com", "icloud.com", "yahoo.com", "outlook.com", "aol.com", "hotmail.com"]
    spellings = [f"{first}{last}", f"{first}.{last}", f"{first[0]}{last}", f"{last}.{first}"]
    addresses = [f"{local}@{domain}" for local in spellings for domain in providers]
    rng.shuffle(addresses)
    return [
        {
            "id": f"{first}-{i}",
            "name": name,
            "email": addresses[i],
            "phone": f"214{rng.randint(2_000_000, 9_999_999)}",
            "street": f"{rng.randint(100, 9999)} {rng.choice(['Oak', 'Elm', 'Main', 'Pine'])} St",
            "city": cities[i % len(cities)][0],
            "zip": cities[i % len(cities)][1],
        }
        for i in range(count)
    ]


def test_twenty_namesakes_with_look_alike_emails_make_no_cluster() -> None:
    rng = random.Random(4)
    rows = [*namesakes("Andrew Sanchez", 20, rng), *namesakes("Mary Clark", 20, rng)]
    # a population around them, with a few real duplicates to learn from
    for i in range(400):
        first, last = rng.choice(["Ann", "Raj", "Li", "Omar", "Eva", "Tom"]), f"Surname{i}"
        row = {
            "id": f"p{i}",
            "name": f"{first} {last}",
            "email": f"{first}{i}@mail{i % 7}.com".lower(),
            "phone": f"972{1_000_000 + i * 7919 % 8_999_999:07d}",
            "street": f"{100 + i} Cedar Ave",
            "city": "Dallas",
            "zip": "75201",
        }
        rows.append(row)
        if i % 10 == 0:
            rows.append({**row, "id": f"p{i}-again", "name": row["name"].upper(), "email": ""})
    result = dedupe_frame(pd.DataFrame(rows), id_column="id")
    clustered = set(result.clusters["id"])
    assert not {r["id"] for r in rows if r["name"] in ("Andrew Sanchez", "Mary Clark")} & clustered
    assert {f"p{i}" for i in range(0, 400, 10)} <= clustered, "the real duplicates are found"


@st.composite
def pair_graphs(draw: st.DrawFn) -> tuple[pd.DataFrame, dict[tuple[int, int], bool]]:
    """Random scored pairs among up to 30 records, and a verdict for every pair of records."""
    records = draw(st.integers(3, 30))
    every = list(itertools.combinations(range(records), 2))
    against = {pair: draw(st.booleans()) for pair in every}
    scored_pairs = draw(st.lists(st.sampled_from(every), unique=True, max_size=len(every)))
    probability = draw(
        st.lists(st.floats(0, 1), min_size=len(scored_pairs), max_size=len(scored_pairs))
    )
    scored = pd.DataFrame(scored_pairs or np.empty((0, 2), dtype=int), columns=["left", "right"])
    scored["probability"] = probability
    scored["against"] = [against[p] for p in scored_pairs]
    return scored, against


@settings(
    max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(graph=pair_graphs(), max_size=st.integers(2, 30))
def test_no_cluster_ever_holds_a_pair_with_clear_evidence_against_it(
    graph: tuple[pd.DataFrame, dict[tuple[int, int], bool]], max_size: int
) -> None:
    scored, against = graph

    def judge(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        return np.array([against[(int(a), int(b))] for a, b in zip(left, right, strict=True)])

    clusters = cluster_pairs(scored, max_size=max_size, judge=judge)
    for _, members in clusters.groupby("cluster_id")["record"]:
        assert len(members) <= max_size
        assert not any(against[pair] for pair in itertools.combinations(sorted(members), 2))
    # every cluster is held together by strong pairs, and names what it was split from
    strong = scored[scored["probability"] >= 0.5]
    linked = set(strong["left"]) | set(strong["right"])
    assert set(clusters["record"]) <= linked
    split = clusters.dropna(subset=["split_from"])
    assert (split["split_from"] <= split["cluster_id"]).all()


SITES = [  # one organisation's site typed twice: the shapes a city's list of agencies holds
    (
        ("Bethel New Life", "4950 W Thomas St", "60651", "773-473-7870"),
        ("Bethel New Life School", "4950 W Thomas St", "60651", "(773) 473-7870"),
    ),
    (
        (
            "Abraham Lincoln Center Lincoln/King",
            "4314 S Cottage Grove Ave",
            "60653",
            "773-373-6600",
        ),
        ("Abraham Lincoln Centre - Lincoln/King", "4314 S. Cottage Grove", "", "373-6600"),
    ),
    (
        ("Chicago Youth Centers - Roseland / CYC", "10 W 113th St", "60628", "773-928-3600"),
        ("C.Y.C. Roseland Head Start", "10 W 113th St", "60628", "928-3600"),
    ),
    (
        ("Salvation Army Community Center", "1120 N. Lamon", "60651", "773-626-3800"),
        ("Salvation Army Comm Ctr", "1120 N Lamon Avenue", "", "773-626-3800"),
    ),
]


def test_the_sites_of_one_organisation_are_found_and_other_businesses_kept_apart(
    large_tenant: Tenant,
) -> None:
    tenant = large_tenant
    phone = {}
    for contact in tenant.feeds["customer_contacts"]:
        if contact["type"] != "Email":
            phone.setdefault(contact["customerId"], contact["value"])
    rows = [
        {
            "id": str(c["id"]),
            "name": c["name"],
            "street": c["address"]["street"],
            "zip": c["address"]["zip"],
            "phone": phone.get(c["id"]),
        }
        for c in tenant.feeds["customers"]
        if c["active"] and c["type"] == "Commercial"
    ]
    for n, pair in enumerate(SITES):
        for side, (name, street, zip_code, number) in zip("ab", pair, strict=True):
            rows.append(
                {
                    "id": f"site{n}{side}",
                    "name": name,
                    "street": street,
                    "zip": zip_code,
                    "phone": number,
                }
            )
    # two businesses at one address (a hotel's restaurant and its cafe) are two
    rows += [
        {
            "id": "ritz-a",
            "name": "Ritz-Carlton Restaurant",
            "street": "181 Peachtree St",
            "zip": "30303",
            "phone": "404-659-0400",
        },
        {
            "id": "ritz-b",
            "name": "Ritz-Carlton Cafe",
            "street": "181 Peachtree St",
            "zip": "30303",
            "phone": "404-659-0400",
        },
    ]
    result = dedupe_frame(pd.DataFrame(rows), id_column="id")
    cluster = result.clusters.set_index("id")["cluster_id"]
    for n in range(len(SITES)):
        assert cluster.get(f"site{n}a") is not None and cluster.get(f"site{n}a") == cluster.get(
            f"site{n}b"
        ), SITES[n]
    assert cluster.get("ritz-a") is None or cluster.get("ritz-a") != cluster.get("ritz-b")
