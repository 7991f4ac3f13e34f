from __future__ import annotations

from pathlib import Path

from titanaudit.dedupe.leads import LEAD_MATCH_COLUMNS, match_leads
from titanaudit.simulator import TenantSpec, generate_tenant
from titanaudit.testing import frames_from_tenant


def test_open_leads_find_the_customers_they_belong_to(tmp_path: Path) -> None:
    tenant = generate_tenant(TenantSpec(customers=3000, seed=23))
    truth = {int(k): v for k, v in tenant.truth["lead_matches"].items()}
    frames = frames_from_tenant(tenant, tmp_path / "t.sqlite")
    matches = match_leads(frames)
    leads = frames.leads
    assert list(matches.columns) == LEAD_MATCH_COLUMNS
    found = matches[matches["entity"] == "leads"]
    pairs = set(zip(found["record_id"], found["customer_id"], strict=True))
    assert truth, "the generator plants leads of existing customers"
    assert sum((lead, customer) in pairs for lead, customer in truth.items()) / len(truth) >= 0.95
    linked = set(leads.loc[leads["customer_id"].notna(), "id"])
    assert not set(found["record_id"]) & linked, "a lead that names its customer needs no match"
    strangers = set(found["record_id"]) - set(truth)
    assert len(strangers) <= 0.05 * len(truth), strangers
    best = matches[matches["rank"] == 1]
    assert best["record_id"].is_unique and (best["probability"] >= 0.5).all()
