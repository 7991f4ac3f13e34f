"""Every problem the generator planted is found by its rule, and clean records are not
reported, on a tenant whose seed the rules were never looked at with."""

from __future__ import annotations

import pytest

from tests.conftest import LARGE
from titanaudit.audit import check_rules  # the rules, with the leads matched first
from titanaudit.frames import Frames
from titanaudit.rules import RULES
from titanaudit.simulator import Tenant
from titanaudit.testing import rule_accuracy, tenant_rule_settings


@pytest.fixture(scope="module")
def scored(large_tenant: Tenant, large_frames: Frames) -> object:
    tenant, frames = large_tenant, large_frames
    run = check_rules(frames, tenant_rule_settings(tenant.truth), as_of=LARGE.as_of)
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
