"""Locations and contacts that repeat (catalogue DUP-LOC-001..003, DUP-CON-001).

A location is an address, so its duplicates are found by address, not by a model:

- **DUP-LOC-001**: one customer holds the same service address twice (unit included), or twice
  with the street spelt differently (same ZIP and house number, street names a typo apart), or
  named two ways with both map pins on one house (same house number, pins within 30 m).
  ServiceTitan's *Merge Locations* takes these directly.
- **DUP-LOC-003**: one customer holds an address with a unit and without one (and no other
  unit there: a building's several flats and its bare address are ADR-LOC-008's business).
- **DUP-LOC-002**: several customers hold the same address, unit included: a move-out and
  move-in, a landlord and a tenant, or a duplicate customer; for review, not for merging. Flats of
  one building (units differ) are not reported, nor a placeholder customer ("New Homeowner").

Contacts: **DUP-CON-001**, the same phone or e-mail twice among one customer's or one
location's contacts. (One value on many customers is a question for the rules: DUP-CUS-004/005.)

Each group of repeats is reported as pairs with its first record (the lowest id), so a building
with fifty records makes forty-nine rows, not 1,225.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz import distance, process

from titanaudit.fields.addresses import address_frame
from titanaudit.fields.names import name_frame
from titanaudit.frames import Frames

__all__ = [
    "LOCATION_PAIR_COLUMNS",
    "duplicate_locations",
    "location_clusters",
]

LOCATION_PAIR_COLUMNS = [
    "rule_id",
    "left_id",
    "right_id",
    "left_customer_id",
    "right_customer_id",
    "evidence",
]


#: Two pins this close, with one house number under one customer, are one house.
SAME_HOUSE_METRES = 30.0


def _metres(lat1: pd.Series, lon1: pd.Series, lat2: pd.Series, lon2: pd.Series) -> np.ndarray:
    """Great-circle distance in metres (haversine); infinite where a coordinate is missing or
    zero (an unset pin)."""
    values = [
        pd.to_numeric(v, errors="coerce").to_numpy(dtype="float64")
        for v in (lat1, lon1, lat2, lon2)
    ]
    a1, o1, a2, o2 = (np.radians(v) for v in values)
    h = np.sin((a2 - a1) / 2) ** 2 + np.cos(a1) * np.cos(a2) * np.sin((o2 - o1) / 2) ** 2
    metres = 2 * 6_371_000 * np.arcsin(np.sqrt(np.clip(h, 0, 1)))
    unset = np.isnan(metres) | (values[0] == 0) | (values[2] == 0)
    return np.where(unset, np.inf, metres)


def _with_first(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Each row of a group of two or more, beside the group's first row (lowest ``id``)."""
    grouped = frame.sort_values("id").groupby(by, sort=False)
    first = grouped["id"].transform("first")
    sized = grouped["id"].transform("size")
    keep = (sized > 1) & (frame.sort_values("id")["id"] != first)
    rows = frame.sort_values("id")[keep.to_numpy()]
    return rows.assign(first_id=first[keep.to_numpy()].to_numpy())


def _pairs(rows: pd.DataFrame, rule: str, evidence: str, customer: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rule_id": rule,
            "left_id": rows["first_id"].to_numpy(),
            "right_id": rows["id"].to_numpy(),
            "left_customer_id": customer.reindex(rows["first_id"].to_numpy()).to_numpy(),
            "right_customer_id": rows["customer_id"].to_numpy(),
            "evidence": evidence,
        }
    )


def duplicate_locations(frames: Frames) -> pd.DataFrame:
    """Pairs of active locations that repeat, with the rule that says why (see the module
    docstring): columns ``rule_id, left_id, right_id, left_customer_id, right_customer_id,
    evidence``."""
    locations = frames.locations
    live = locations[
        locations["active"].fillna(True).astype(bool) & locations["merged_to_id"].isna()
    ]
    if live.empty:
        return pd.DataFrame(columns=LOCATION_PAIR_COLUMNS)
    live = live.reset_index(drop=True)
    places = address_frame(live["street"], live["unit"], live["city"], live["state"], live["zip"])
    frame = pd.concat([live[["id", "customer_id", "latitude", "longitude"]], places], axis=1)
    customer = frame.set_index("id")["customer_id"]
    found = [
        _pairs(
            _with_first(frame.dropna(subset=["address_key"]), ["customer_id", "address_key"]),
            "DUP-LOC-001",
            "same address twice under one customer",
            customer,
        ),
    ]
    # the street spelt two ways under one customer: same place and house number, close names
    numbered = frame.dropna(subset=["area", "house_number", "street_name"])
    joined = numbered.merge(
        numbered, on=["customer_id", "area", "house_number"], suffixes=("_l", "_r")
    )
    joined = joined[
        (joined["id_l"] < joined["id_r"]) & (joined["street_name_l"] != joined["street_name_r"])
    ]
    if len(joined):
        close = process.cpdist(
            joined["street_name_l"].tolist(),
            joined["street_name_r"].tolist(),
            scorer=distance.JaroWinkler.normalized_similarity,
            workers=-1,
        )
        spelt = np.asarray(close) >= 0.88
        # or named two ways ("1420 Elm St", "1420 County Road 5") with the map pins on one house
        metres = _metres(
            joined["latitude_l"], joined["longitude_l"], joined["latitude_r"], joined["longitude_r"]
        )
        pinned = ~spelt & (metres <= SAME_HOUSE_METRES)
        for mask, evidence in (
            (spelt, "same house under one customer, street spelt differently"),
            (pinned, "same house number under one customer, map pins on one house"),
        ):
            hit = joined[mask]
            found.append(
                pd.DataFrame(
                    {
                        "rule_id": "DUP-LOC-001",
                        "left_id": hit["id_l"],
                        "right_id": hit["id_r"],
                        "left_customer_id": hit["customer_id"],
                        "right_customer_id": hit["customer_id"],
                        "evidence": evidence,
                    }
                )
            )
    # with and without a unit under one customer
    streets = frame.dropna(subset=["street_key"])
    # (with several units besides, the bare one is a building's main address: ADR-LOC-008's
    # business, not a repeat)
    units = streets.groupby(["customer_id", "street_key"])["unit"].agg(["count", "size", "nunique"])
    mixed = units[
        (units["count"] > 0) & (units["count"] < units["size"]) & (units["nunique"] == 1)
    ].index
    partial = streets.set_index(["customer_id", "street_key"]).loc[mixed].reset_index()
    if len(partial):
        bare = partial[partial["unit"].isna()]
        with_unit = partial[partial["unit"].notna()]
        matched = bare.merge(with_unit, on=["customer_id", "street_key"], suffixes=("_l", "_r"))
        found.append(
            pd.DataFrame(
                {
                    "rule_id": "DUP-LOC-003",
                    "left_id": matched["id_l"],
                    "right_id": matched["id_r"],
                    "left_customer_id": matched["customer_id"],
                    "right_customer_id": matched["customer_id"],
                    "evidence": "same address with and without a unit",
                }
            )
        )
    # one address under several customers, placeholders aside
    customers = frames.customers
    placeholder = name_frame(customers["name"])["name_placeholder"].to_numpy(dtype=bool)
    placeholders = set(customers.loc[placeholder, "id"])
    shared = frame.dropna(subset=["address_key"])
    shared = shared[~shared["customer_id"].isin(placeholders)].drop_duplicates(
        ["customer_id", "address_key"]
    )
    found.append(
        _pairs(
            _with_first(shared, ["address_key"]),
            "DUP-LOC-002",
            "same address under another customer",
            customer,
        )
    )
    out = (
        pd.concat([f for f in found if len(f)], ignore_index=True)
        if any(len(f) for f in found)
        else None
    )
    if out is None:
        return pd.DataFrame(columns=LOCATION_PAIR_COLUMNS)
    out = out.drop_duplicates(["left_id", "right_id"])
    return out.astype({"left_id": "int64", "right_id": "int64"}).reset_index(drop=True)[
        LOCATION_PAIR_COLUMNS
    ]


def location_clusters(pairs: pd.DataFrame, cluster_of: pd.Series) -> pd.DataFrame:
    """Locations that are one place of one customer, from :func:`duplicate_locations`' pairs:
    the same address twice under one customer (DUP-LOC-001), and one address under two customers
    of one duplicate cluster (DUP-LOC-002 pairs whose customers ``cluster_of`` maps to one
    cluster: one location once the customers are merged). Same-address pairs under unrelated
    customers (move-in and move-out, landlord and tenant) are not clusters. Columns ``record,
    cluster_id, customer_id, reason``; ``cluster_id`` is the group's smallest location."""
    from titanaudit.dedupe.cluster import linked_groups

    within = pairs["rule_id"] == "DUP-LOC-001"
    left, right = (
        pairs["left_customer_id"].map(cluster_of),
        pairs["right_customer_id"].map(cluster_of),
    )
    across = (pairs["rule_id"] == "DUP-LOC-002") & left.notna() & (left == right)
    kept = pairs[within | across]
    if kept.empty:
        return pd.DataFrame(columns=["record", "cluster_id", "customer_id", "reason"])
    group = linked_groups(
        kept["left_id"].astype("int64").tolist(), kept["right_id"].astype("int64").tolist()
    )
    owner = pd.concat(
        [
            kept.set_index("left_id")["left_customer_id"],
            kept.set_index("right_id")["right_customer_id"],
        ]
    )
    owner = owner[~owner.index.duplicated()]
    out = pd.DataFrame({"record": list(group), "cluster_id": list(group.values())})
    out["customer_id"] = out["record"].map(owner).astype("int64")
    several = out.groupby("cluster_id")["customer_id"].transform("nunique") > 1
    out["reason"] = np.where(
        several,
        "one address under customers that are one: one location once they are merged",
        "the same address twice under one customer",
    )
    return out.sort_values(["cluster_id", "record"], ignore_index=True)
