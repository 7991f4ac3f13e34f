from __future__ import annotations

import json
from pathlib import Path

import pytest
import zipcodes

from titanaudit.simulator import Tenant, TenantSpec, generate_tenant

# Fields of the export record shapes (API.md §4, crm-v2.json ExportCustomerResponse etc.)
SHAPES = {
    "customers": {
        "id",
        "active",
        "name",
        "type",
        "address",
        "customFields",
        "balance",
        "taxExempt",
        "tagTypeIds",
        "doNotMail",
        "doNotService",
        "nationalAccount",
        "createdOn",
        "createdById",
        "modifiedOn",
        "mergedToId",
        "paymentTermId",
        "creditLimit",
        "creditLimitBalance",
        "externalData",
    },
    "locations": {
        "id",
        "customerId",
        "active",
        "name",
        "address",
        "customFields",
        "createdOn",
        "createdById",
        "modifiedOn",
        "mergedToId",
        "zoneId",
        "taxZoneId",
        "taxExempt",
        "tagTypeIds",
        "externalData",
    },
    "customer_contacts": {
        "id",
        "customerId",
        "active",
        "type",
        "value",
        "memo",
        "phoneSettings",
        "preferences",
        "createdOn",
        "modifiedOn",
    },
    "location_contacts": {
        "id",
        "locationId",
        "active",
        "type",
        "value",
        "memo",
        "phoneSettings",
        "preferences",
        "createdOn",
        "modifiedOn",
    },
    "leads": {
        "id",
        "status",
        "priority",
        "customerId",
        "locationId",
        "businessUnitId",
        "jobTypeId",
        "campaignId",
        "followUpDate",
        "createdById",
        "createdOn",
        "modifiedOn",
        "tagTypeIds",
        "dismissingReasonId",
        "summary",
        "callReasonId",
        "callId",
        "bookingId",
        "manualCallId",
        "leadUrl",
        "leadCustomerName",
        "leadPhone",
        "leadEmail",
        "leadStreet",
        "leadUnit",
        "leadCity",
        "leadState",
        "leadZip",
        "leadCountry",
        "captureSource",
        "active",
    },
    "bookings": {
        "id",
        "source",
        "createdOn",
        "name",
        "address",
        "customerType",
        "start",
        "summary",
        "campaignId",
        "businessUnitId",
        "isFirstTimeClient",
        "uploadedImages",
        "isSendConfirmationEmail",
        "status",
        "dismissingReasonId",
        "jobId",
        "externalId",
        "priority",
        "jobTypeId",
        "bookingProviderId",
        "modifiedOn",
        "active",
    },
    "booking_contacts": {"id", "type", "value", "memo", "modifiedOn"},
}


def test_the_same_seed_gives_the_same_tenant() -> None:
    a = generate_tenant(TenantSpec(customers=150, seed=4))
    b = generate_tenant(TenantSpec(customers=150, seed=4))
    c = generate_tenant(TenantSpec(customers=150, seed=5))
    assert a.feeds == b.feeds
    assert a.truth == b.truth
    assert a.feeds != c.feeds


@pytest.mark.parametrize("feed", sorted(SHAPES))
def test_records_have_servicetitans_shapes(base_tenant: Tenant, feed: str) -> None:
    records = base_tenant.feeds[feed]
    assert records
    for record in records:
        assert set(record) == SHAPES[feed], record


def test_ids_are_unique_and_references_resolve(base_tenant: Tenant) -> None:
    feeds = base_tenant.feeds
    ids = [r["id"] for name in SHAPES for r in feeds[name]]
    assert len(ids) == len(set(ids))
    customers = {r["id"] for r in feeds["customers"]}
    locations = {r["id"] for r in feeds["locations"]}
    assert all(r["customerId"] in customers for r in feeds["locations"])
    assert all(r["customerId"] in customers for r in feeds["customer_contacts"])
    assert all(r["locationId"] in locations for r in feeds["location_contacts"])
    assert customers <= {r["customerId"] for r in feeds["locations"]} | {
        r["id"] for r in feeds["customers"] if r["mergedToId"]
    }
    bookings = {r["id"] for r in feeds["bookings"]}
    assert set(base_tenant.booking_contact_owner.values()) <= bookings


def test_addresses_use_real_zip_codes(base_tenant: Tenant) -> None:
    problems = {i for ids in base_tenant.truth["problems"].values() for i in ids}
    clean = [r for r in base_tenant.feeds["locations"] if r["id"] not in problems][:100]
    for location in clean:
        address = location["address"]
        found = zipcodes.matching(address["zip"][:5])
        assert found and found[0]["state"] == address["state"], address


def test_truth_plants_duplicates_negatives_and_problems(base_tenant: Tenant) -> None:
    truth = base_tenant.truth
    clusters = truth["duplicate_clusters"]
    kinds = {k for c in clusters for k in c["kinds"]}
    assert {
        "nickname",
        "typo_name",
        "last_first",
        "phone_format",
        "missing_unit",
        "web_booking",
    } <= kinds
    assert any(c["merged"] for c in clusters)
    assert not all(c["merged"] for c in clusters)
    by_id = {r["id"]: r for r in base_tenant.feeds["customers"]}
    for cluster in clusters:
        first, second = (by_id[i] for i in cluster["ids"])
        if cluster["merged"]:
            assert second["active"] is False
            assert second["mergedToId"] == first["id"]
    negatives = {n["kind"] for n in truth["hard_negatives"]}
    assert {"household", "namesake", "landlord_tenant", "property_manager_phone"} <= negatives
    placeholder = by_id[truth["placeholders"][0]]
    assert placeholder["name"] == "New Homeowner"
    assert (
        sum(1 for r in base_tenant.feeds["locations"] if r["customerId"] == placeholder["id"]) >= 6
    )
    problems = truth["problems"]
    for rule in (
        "ADR-LOC-001",
        "ADR-LOC-003",
        "GEO-LOC-002",
        "GEO-LOC-004",
        "PHN-CON-002",
        "PHN-CON-003",
        "EML-CON-002",
        "NAM-CUS-001",
        "TYP-CUS-002",
        "LIF-LEAD-002",
        "DUP-LEAD-001",
        "PHN-BKG-001",
    ):
        assert problems.get(rule), rule


def test_planted_problems_are_really_there(base_tenant: Tenant) -> None:
    locations = {r["id"]: r for r in base_tenant.feeds["locations"]}
    contacts = {r["id"]: r for r in base_tenant.feeds["customer_contacts"]}
    problems = base_tenant.truth["problems"]
    for location_id in problems["GEO-LOC-002"]:
        assert locations[location_id]["address"]["latitude"] == 0.0
    for location_id in problems["GEO-LOC-004"]:
        assert locations[location_id]["address"]["latitude"] < -60
    for contact_id in problems["PHN-CON-003"]:
        assert "555-01" in contacts[contact_id]["value"]


def test_save_and_load_round_trip(tmp_path: Path, base_tenant: Tenant) -> None:
    base_tenant.save(tmp_path / "t")
    loaded = Tenant.load(tmp_path / "t")
    assert loaded.feeds == base_tenant.feeds
    assert loaded.booking_contact_owner == base_tenant.booking_contact_owner
    assert loaded.truth == json.loads(json.dumps(base_tenant.truth))
    assert (tmp_path / "t" / "customers.jsonl").stat().st_mode & 0o077 == 0
