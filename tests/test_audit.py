"""The audit over a snapshot: every stage composed, the files of ARCHITECTURE.md written whole,
owner-only and spreadsheet-safe."""

from __future__ import annotations

import csv
import json
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from titanaudit.audit import (
    AUDIT_FINDING_COLUMNS,
    DUPLICATE_COLUMNS,
    PAIR_COLUMNS,
    AuditResult,
    remember_audit,
    run_audit,
    write_audit,
)
from titanaudit.rules import FINDING_COLUMNS
from titanaudit.simulator import TenantSpec, generate_tenant
from titanaudit.testing import (
    pair_accuracy,
    planted_clusters,
    snapshot_from_tenant,
    tenant_rule_settings,
)

SPEC = TenantSpec(customers=600, seed=17)


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[AuditResult, Path, dict]:  # type: ignore[type-arg]
    tenant = generate_tenant(SPEC)
    tenant.feeds["customers"][0]["name"] = '=CMD("CALC") <SCRIPT>'  # all capitals: NAM-CUS-004
    path = tmp_path_factory.mktemp("audit") / "tenant.sqlite"
    snapshot_from_tenant(tenant, path).close()
    from titanaudit.store import open_snapshot

    with open_snapshot(path) as snapshot:
        result = run_audit(snapshot, settings=tenant_rule_settings(tenant.truth), as_of=SPEC.as_of)
        remember_audit(snapshot, result)
    return result, path, tenant.truth


def test_frames_have_the_documented_columns(audited: tuple[AuditResult, Path, dict]) -> None:  # type: ignore[type-arg]
    result, _, _ = audited
    assert list(result.duplicates.columns) == DUPLICATE_COLUMNS
    assert list(result.pairs.columns) == PAIR_COLUMNS
    assert list(result.findings.columns) == AUDIT_FINDING_COLUMNS
    assert list(result.findings.columns)[: len(FINDING_COLUMNS)] == FINDING_COLUMNS
    assert result.skipped.empty


def test_it_finds_what_was_planted(audited: tuple[AuditResult, Path, dict]) -> None:  # type: ignore[type-arg]
    result, _, truth = audited
    active = set(result.frames.customers.query("active == True")["id"].astype("int64"))
    planted = [[i for i in c if i in active] for c in planted_clusters(truth)]  # merged: gone
    found = result.duplicates.groupby("cluster_id")["record_id"].apply(list).tolist()
    accuracy = pair_accuracy(found, planted)
    assert accuracy["precision"] >= 0.95 and accuracy["recall"] >= 0.95, accuracy
    rules = set(result.findings["rule_id"])
    assert {"DUP-CON-001", "DUP-LEAD-001", "GEO-LOC-002", "PHN-CON-002"} <= rules
    assert {"DUP-CUS-001", "DUP-CUS-003", "DUP-LOC-001"} <= set(result.pairs["rule_id"].dropna())
    summary = result.summary
    assert summary["duplicates"]["customer_clusters"] == result.duplicates["cluster_id"].nunique()
    assert summary["findings"]["total"] == len(result.findings)
    assert summary["as_of"].startswith("2026-11-01")


def test_locations_that_are_one_place_are_clusters(audited: tuple[AuditResult, Path, dict]) -> None:  # type: ignore[type-arg]
    result, _, truth = audited
    owner = result.frames.locations.set_index("id")["customer_id"]
    places = result.location_clusters
    assert list(places.columns) == DUPLICATE_COLUMNS and set(places["entity"]) == {"locations"}
    assert (places.groupby("cluster_id")["role"].apply(lambda r: (r == "keep").sum()) == 1).all()
    # each cluster lies under one customer, or under customers that are one duplicate cluster;
    # one address under unrelated customers (a sold home, a landlord) stays a pair, not a cluster
    customer_cluster = result.duplicates.set_index("record_id")["cluster_id"]
    for _, members in places.groupby("cluster_id")["record_id"]:
        customers = set(owner.loc[members.astype(int)])
        assert (
            len(customers) == 1 or len({customer_cluster.get(c) for c in customers} - {None}) == 1
        )
        if len(customers) > 1:
            assert customers <= set(customer_cluster.index)
    planted = {int(i) for i in truth["problems"]["DUP-LOC-001"]}
    assert planted <= set(places["record_id"].astype(int)), "the planted repeated locations"
    assert result.summary["duplicates"]["location_clusters"] == places["cluster_id"].nunique()


def test_files_are_whole_private_and_safe(
    audited: tuple[AuditResult, Path, dict], tmp_path: Path
) -> None:  # type: ignore[type-arg]
    result, _, _ = audited
    paths = write_audit(result, tmp_path / "out")
    for path in paths.values():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not list((tmp_path / "out").glob(".*partial"))
    with paths["findings.csv"].open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == AUDIT_FINDING_COLUMNS
    values = {r["value"] for r in rows}
    assert not any(v.startswith(("=", "+", "@")) for v in values)
    assert '\'=CMD("CALC") <SCRIPT>' in values  # the formula neutralised, the text kept
    assert json.loads(paths["audit.json"].read_text())["findings"]["total"] == len(rows)
    with paths["duplicates.csv"].open(newline="") as handle:
        clusters = list(csv.DictReader(handle))
    assert list(clusters[0]) == DUPLICATE_COLUMNS
    assert {r["entity"] for r in clusters} == {"customers", "locations"}
    # ids are integers, as `rules check` writes them (not 10353557.0)
    for column in ("record_id", "customer_id"):
        assert all(r[column].isdigit() for r in rows if r[column]), column
    assert {r["rule_id"] for r in rows} >= {"DUP-CON-001"}


def test_the_command(audited: tuple[AuditResult, Path, dict], tmp_path: Path) -> None:  # type: ignore[type-arg]
    _, snapshot, _ = audited
    out = tmp_path / "report"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "titanaudit",
            "audit",
            "--db",
            str(snapshot),
            "--out",
            str(out),
            "--as-of",
            "2026-11-01",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out / "index.html")
    assert "duplicate customer clusters" in done.stderr
    assert {p.name for p in out.iterdir()} == {
        "index.html",
        "duplicates.csv",
        "pairs.csv",
        "findings.csv",
        "audit.json",
    }


@pytest.mark.parametrize("years_later", [0, 30])
def test_the_next_audit_tells_new_from_persisting_and_resolved(
    tmp_path: Path, years_later: int
) -> None:
    # the audits' clock runs from the generated data's time, now or decades later: what the
    # audit counts may not depend on when the test runs
    tenant = generate_tenant(TenantSpec(customers=300, seed=5))
    path = tmp_path / "tenant.sqlite"
    snapshot_from_tenant(tenant, path).close()
    from titanaudit.store import open_snapshot

    first_run = SPEC.as_of + timedelta(days=365 * years_later)
    with open_snapshot(path) as snapshot:
        first = run_audit(snapshot, as_of=SPEC.as_of, clock=lambda: first_run)
        remember_audit(snapshot, first)
    assert first.summary["generated_at"] == first_run.isoformat(timespec="seconds")
    assert set(first.findings["status"]) == {"new"}
    assert first.summary["change"]["previous_audit"] is None
    # the office fixes one finding's record and merges one duplicate cluster in ServiceTitan
    fixed = first.findings[first.findings["rule_id"] == "NAM-CUS-004"].iloc[0]
    cluster = first.duplicates.groupby("cluster_id")["record_id"].apply(list).iloc[0]
    for customer in tenant.feeds["customers"]:
        if customer["id"] == int(fixed["record_id"]):
            customer["name"] = customer["name"].title()
        if customer["id"] == int(cluster[1]):
            customer.update(
                active=False,
                mergedToId=int(cluster[0]),
                modifiedOn=(SPEC.as_of + timedelta(days=10)).isoformat().replace("+00:00", "Z"),
            )
    with open_snapshot(path) as snapshot:
        snapshot.write_page(
            "customers", tenant.feeds["customers"], continue_from=None, complete=True
        )
        second = run_audit(snapshot, as_of=SPEC.as_of, clock=lambda: first_run + timedelta(days=31))
    change = second.summary["change"]
    assert change["previous_audit"] == first.summary["generated_at"]
    assert change["resolved"]["finding"] >= 1 and change["resolved"]["cluster"] >= 1
    assert change["merged_since"] == 1
    # what is new is only what the merge itself left: the merged record and its location
    new = second.findings[second.findings["status"] == "new"]
    assert set(new["rule_id"]) <= {"LIF-MRG-001", "LIF-LOC-001"}
    assert change["new"] == len(new) and (second.findings["status"] == "persisting").sum() > 100
    assert set(second.duplicates["status"]) == {"persisting"}
    # and what was resolved is listed, not only counted
    said = set(second.resolved["detail"])
    assert any(d.startswith(f"NAM-CUS-004 on customer #{fixed['record_id']}") for d in said)
    assert f"duplicate customers #{min(cluster)}, #{max(cluster)}" in said or len(cluster) > 2
    assert len(second.resolved) == sum(change["resolved"].values())


def test_a_snapshot_audited_before_details_were_kept_still_audits(tmp_path: Path) -> None:
    import sqlite3

    tenant = generate_tenant(TenantSpec(customers=120, seed=8))
    path = tmp_path / "tenant.sqlite"
    snapshot_from_tenant(tenant, path).close()
    with sqlite3.connect(path) as db:  # the tables as an older titanaudit made them
        db.execute(
            "CREATE TABLE audit_runs (id INTEGER PRIMARY KEY AUTOINCREMENT, run_at TEXT NOT NULL, "
            "as_of TEXT NOT NULL, summary TEXT NOT NULL)"
        )
        db.execute(
            "CREATE TABLE audit_items (run_id INTEGER NOT NULL, fingerprint TEXT NOT NULL, "
            "kind TEXT NOT NULL, PRIMARY KEY (run_id, fingerprint)) WITHOUT ROWID"
        )
        db.execute(
            "INSERT INTO audit_runs VALUES (1, '2026-10-01T00:00:00+00:00', '2026-10-01', '{}')"
        )
        db.execute("INSERT INTO audit_items VALUES (1, 'gone0000000000000000', 'finding')")
    from titanaudit.store import open_snapshot

    with open_snapshot(path) as snapshot:
        result = run_audit(snapshot, as_of=SPEC.as_of)
    assert list(result.resolved["detail"]) == ["(recorded without details)"]
    assert result.summary["change"]["previous_audit"] == "2026-10-01T00:00:00+00:00"


def test_one_call_from_python(audited: tuple[AuditResult, Path, dict], tmp_path: Path) -> None:  # type: ignore[type-arg]
    import titanaudit

    _, snapshot, _ = audited
    result = titanaudit.audit(snapshot, tmp_path / "out", as_of="2026-11-01")
    assert (tmp_path / "out" / "index.html").exists()
    assert result.summary["change"]["previous_audit"] is not None  # the fixture's audit came first


def test_the_threshold_reaches_every_stage_that_decides_a_match(
    audited: tuple[AuditResult, Path, dict],  # type: ignore[type-arg]
) -> None:
    result, path, _ = audited
    leads = result.lead_matches["probability"]
    strict = float(leads.median())
    assert (leads >= 0.5).all() and (leads < strict).any()  # else the test could not fail
    from titanaudit.store import open_snapshot

    with open_snapshot(path) as snapshot:
        stricter = run_audit(snapshot, as_of=SPEC.as_of, threshold=strict)
    assert (stricter.lead_matches["probability"] >= strict).all()
    assert len(stricter.lead_matches) < len(result.lead_matches)
    likely = stricter.pairs[stricter.pairs["rule_id"] == "DUP-CUS-001"]
    assert (likely["probability"] >= strict).all()


def test_without_as_of_the_rules_and_the_stamp_share_the_clocks_moment(
    audited: tuple[AuditResult, Path, dict],  # type: ignore[type-arg]
) -> None:
    result, path, truth = audited
    from titanaudit.store import open_snapshot

    with open_snapshot(path) as snapshot:  # no as_of: the clock's now
        clocked = run_audit(
            snapshot, settings=tenant_rule_settings(truth), clock=lambda: SPEC.as_of
        )
    assert clocked.summary["as_of"] == SPEC.as_of.isoformat()
    assert clocked.summary["generated_at"] == SPEC.as_of.isoformat(timespec="seconds")
    assert clocked.findings.drop(columns="status").equals(result.findings.drop(columns="status"))
