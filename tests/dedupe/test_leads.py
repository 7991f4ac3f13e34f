from __future__ import annotations

from titanaudit.dedupe.leads import LEAD_MATCH_COLUMNS, match_leads
from titanaudit.frames import Frames
from titanaudit.simulator import Tenant


def test_open_leads_find_the_customers_they_belong_to(
    large_tenant: Tenant, large_frames: Frames
) -> None:
    tenant, frames = large_tenant, large_frames
    truth = {int(k): v for k, v in tenant.truth["lead_matches"].items()}
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
