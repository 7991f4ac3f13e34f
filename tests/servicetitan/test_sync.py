"""The fetch layer against the real simulator server on loopback, faults on."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from titanaudit.servicetitan.sync import fetch_snapshot
from titanaudit.simulator import Faults, SimulatorServer, Tenant
from titanaudit.simulator.tenant import RECORD_FEEDS
from titanaudit.store import open_snapshot
from titanaudit.testing import simulator_config

Serve = Callable[..., SimulatorServer]


def assert_snapshot_equals_tenant(db: Path, tenant: Tenant) -> None:
    with open_snapshot(db) as snap:
        for feed in RECORD_FEEDS:
            got = list(snap.records(feed))
            expected = sorted(tenant.feeds[feed], key=lambda r: r["id"])
            assert len(got) == len(expected), feed
            assert got == expected, feed
        assert snap.owners("booking_contacts") == tenant.booking_contact_owner
        assert snap.pending_bookings() == []


@pytest.mark.slow
def test_a_pull_with_every_fault_on_equals_the_tenant(
    tenant: Tenant, serve: Serve, tmp_path: Path
) -> None:
    faults = Faults(
        rate_limited=0.1,
        server_errors=0.08,
        dropped=0.08,
        slow=0.02,
        slow_seconds=0.2,
        token_ttl=1.5,
        repeats=4,
        oddities=0.02,
        latency=0.002,
        seed=3,
    )
    # about 200 requests: the chance that a fault kind never fires is below 1e-6
    server = serve(tenant, faults=faults, export_page_size=25)
    db = tmp_path / "t.sqlite"
    result = fetch_snapshot(simulator_config(server, include_recent_changes=True), db)
    assert result.feeds["customers"].records > len(tenant.feeds["customers"])
    assert_snapshot_equals_tenant(db, tenant)


def test_export_jsonl_is_the_tenant_record_for_record(
    tenant: Tenant, serve: Serve, tmp_path: Path
) -> None:
    from titanaudit.export import export_snapshot

    server = serve(tenant)
    db = tmp_path / "t.sqlite"
    fetch_snapshot(simulator_config(server), db)
    with open_snapshot(db) as snap:
        written = export_snapshot(snap, tmp_path / "out", fmt="jsonl")
    for feed in RECORD_FEEDS:
        lines = (tmp_path / "out" / f"{feed}.jsonl").read_text().splitlines()
        exported: list[dict[str, Any]] = [json.loads(line) for line in lines]
        assert exported == sorted(tenant.feeds[feed], key=lambda r: r["id"]), feed
    assert sum(written.values()) == len(tenant)


def test_an_exported_folder_can_be_served_again(
    tenant: Tenant, serve: Serve, tmp_path: Path
) -> None:
    """export --format jsonl → simulator serve --tenant-dir → fetch gives the same records."""
    from titanaudit.export import export_snapshot

    first = serve(tenant)
    db = tmp_path / "t.sqlite"
    fetch_snapshot(simulator_config(first), db)
    with open_snapshot(db) as snap:
        export_snapshot(snap, tmp_path / "out", fmt="jsonl")
    again = Tenant.load(tmp_path / "out", tenant_id=tenant.tenant_id)
    assert again.truth == {}
    second = serve(again)
    copy = tmp_path / "copy.sqlite"
    fetch_snapshot(simulator_config(second), copy)
    assert_snapshot_equals_tenant(copy, tenant)
