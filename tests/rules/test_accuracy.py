"""Every problem the generator planted is found by its rule, and clean records are not
reported, on a tenant whose seed the rules were never looked at with."""

from __future__ import annotations

from pathlib import Path

import pytest

from titanaudit.audit import check_rules  # the rules, with the leads matched first
from titanaudit.rules import RULES
from titanaudit.simulator import TenantSpec, generate_tenant
from titanaudit.testing import frames_from_tenant, rule_accuracy, tenant_rule_settings


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> object:
    spec = TenantSpec(customers=3000, seed=23)
    tenant = generate_tenant(spec)
    path = Path(tmp_path_factory.mktemp("rules")) / "tenant.sqlite"
    frames = frames_from_tenant(tenant, path)
    run = check_rules(frames, tenant_rule_settings(tenant.truth), as_of=spec.as_of)
    return rule_accuracy(run.findings, tenant.truth, frames, [r.id for r in RULES]), run


def test_every_planted_rule_is_scored(scored: object) -> None:
    accuracy, run = scored  # type: ignore[misc]
    planted = set(accuracy["rule_id"])
    # every rule the generator can plant, and the rules that need settings the office gave
    assert len(planted) >= 45
    assert run.skipped.empty


def test_recall_and_precision_per_rule(scored: object) -> None:
    accuracy, _ = scored  # type: ignore[misc]
    weak = accuracy[(accuracy["recall"] < 0.98) | (accuracy["precision"] < 0.95)]
    assert weak.empty, weak.to_string()
