from __future__ import annotations

from titanaudit.dedupe.locations import LOCATION_PAIR_COLUMNS, duplicate_locations
from titanaudit.frames import Frames
from titanaudit.rules.contacts import REPEATED_CONTACT_COLUMNS, repeated_contacts
from titanaudit.simulator import Tenant


def test_repeated_locations_and_contacts_are_found_and_nothing_else_within_a_customer(
    large_tenant: Tenant, large_frames: Frames
) -> None:
    tenant, frames = large_tenant, large_frames
    planted = tenant.truth["problems"]
    pairs = duplicate_locations(frames)
    contacts = repeated_contacts(frames.contacts)
    customers = frames.customers.set_index("id")
    assert list(pairs.columns) == LOCATION_PAIR_COLUMNS
    assert list(contacts.columns) == REPEATED_CONTACT_COLUMNS
    for rule in ("DUP-LOC-001", "DUP-LOC-003"):
        found = pairs[pairs["rule_id"] == rule]
        sides = [set(p) for p in found[["left_id", "right_id"]].to_numpy().tolist()]
        assert all(len(s & set(planted[rule])) == 1 for s in sides), f"{rule}: nothing but repeats"
        assert len(sides) == len(planted[rule]), f"{rule}: each planted repeat once"
        assert (found["left_customer_id"] == found["right_customer_id"]).all()
    assert pairs["evidence"].str.contains("map pins on one house").any(), (
        "a house entered under two street names is found by its pins"
    )
    assert set(contacts["contact_id"]) == set(planted["DUP-CON-001"])
    across = pairs[pairs["rule_id"] == "DUP-LOC-002"]
    assert (across["left_customer_id"] != across["right_customer_id"]).all()
    holders = set(across["left_customer_id"]) | set(across["right_customer_id"])
    assert not holders & set(tenant.truth["placeholders"]), (
        "a New Homeowner placeholder is not a repeat"
    )
    landlords = [n["ids"] for n in tenant.truth["hard_negatives"] if n["kind"] == "landlord_tenant"]
    groups = across.groupby("left_id").apply(
        lambda g: {*g["right_customer_id"], g["left_customer_id"].iloc[0]}, include_groups=False
    )
    listed = sum(any(set(ids) <= g for g in groups) for ids in landlords)
    # (a few tenants were later given a placeholder name or a PO Box by other planted problems)
    assert landlords and listed >= 0.9 * len(landlords), (
        "a landlord's and a tenant's locations at one address are listed for review"
    )
    assert customers.loc[list(holders), "active"].notna().all()
