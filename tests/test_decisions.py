"""Reviewers' decisions: read and checked from the page's file, stored, exported, applied by the
next audit (counted, never hidden), and reopened when the records they judged change."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from titanaudit.audit import AuditResult, run_audit, write_audit
from titanaudit.decisions import export_decisions, read_decisions, record_prints
from titanaudit.dedupe.cluster import cluster_pairs
from titanaudit.errors import ConfigError
from titanaudit.frames import read_frames
from titanaudit.simulator import TenantSpec, generate_tenant
from titanaudit.store import open_snapshot
from titanaudit.testing import snapshot_from_tenant

AS_OF = "2026-11-01"


def titanaudit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "titanaudit", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def write(path: Path, decisions: list[dict[str, Any]]) -> Path:
    path.write_text(
        json.dumps({"format": "titanaudit-decisions", "version": 1, "decisions": decisions})
    )
    return path


def pair(prints: pd.Series, a: int, b: int) -> dict[str, Any]:
    left, right = sorted((a, b))
    return {
        "kind": "not_duplicate",
        "entity": "customers",
        "left_id": left,
        "right_id": right,
        "fingerprint": f"{prints[left]}.{prints[right]}",
        "who": "Dana",
        "decided_at": "2026-11-02T10:00:00Z",
        "note": "brothers",
    }


def one(kind: str, prints: pd.Series, record: int) -> dict[str, Any]:
    return {
        "kind": kind,
        "entity": "customers",
        "record_id": record,
        "fingerprint": str(prints[record]),
    }


def clusters(result: AuditResult) -> list[list[int]]:
    grouped = result.duplicates.groupby("cluster_id")["record_id"].apply(
        lambda r: sorted(map(int, r))
    )
    return [list(c) for c in grouped]


def test_a_reviewer_decision_applies_counts_and_reopens(tmp_path: Path) -> None:
    tenant = generate_tenant(TenantSpec(customers=500, seed=41))
    path = tmp_path / "tenant.sqlite"
    snapshot_from_tenant(tenant, path).close()
    with open_snapshot(path) as snapshot:
        first = run_audit(snapshot, as_of=AS_OF)
    prints = record_prints(first.frames, "customers")
    pairs_of_two = [c for c in clusters(first) if len(c) == 2]
    apart, keep_in = pairs_of_two[0], pairs_of_two[1]
    chosen = first.duplicates[first.duplicates["record_id"].isin(keep_in)]
    merged_away = int(chosen.loc[chosen["role"] == "merge", "record_id"].iloc[0])
    flagged = first.findings.dropna(subset=["customer_id"])
    flagged = flagged[~flagged["customer_id"].isin([*apart, *keep_in])]
    guarded = int(flagged["customer_id"].value_counts().index[0])
    file = write(
        tmp_path / "decisions.json",
        [
            pair(prints, *apart),
            one("keep", prints, merged_away),
            one("protected", prints, guarded),
        ],
    )

    done = titanaudit("decisions", "import", str(file), "--db", str(path))
    assert done.returncode == 0, done.stderr
    assert "Stored 3 decisions" in done.stderr

    with open_snapshot(path) as snapshot:
        second = run_audit(snapshot, as_of=AS_OF)
    now = clusters(second)
    assert apart not in now and not any(set(apart) <= set(c) for c in now)
    assert guarded not in set(second.duplicates["record_id"])
    kept = second.duplicates[second.duplicates["record_id"].isin(keep_in)]
    assert kept.set_index("record_id").loc[merged_away, "role"] == "keep"
    assert kept.set_index("record_id").loc[merged_away, "reason"] == "a reviewer chose to keep it"
    # counted, not hidden: the pair stays in pairs.csv with its decision, the findings in
    # findings.csv as suppressed
    decided = second.summary["decisions"]
    assert decided["applied"] == 3 and decided["reopened"] == 0
    marked = second.pairs[second.pairs["decision"] == "not_duplicate"]
    assert {
        tuple(sorted((int(a), int(b))))
        for a, b in zip(marked["left_id"], marked["right_id"], strict=True)
    } == {tuple(apart)}
    assert decided["suppressed"]["duplicate_pairs"] >= 1
    quiet = second.findings[second.findings["status"] == "suppressed"]
    assert (
        len(quiet)
        == decided["suppressed"]["findings"]
        == (first.findings["customer_id"] == guarded).sum()
    )
    assert second.summary["findings"]["total"] == len(second.findings) - len(quiet)
    paths = write_audit(second, tmp_path / "out")
    with paths["pairs.csv"].open(newline="") as handle:
        assert "not_duplicate" in {row["decision"] for row in csv.DictReader(handle)}

    # the office edits one record of the pair: the decision no longer matches what was judged
    for customer in tenant.feeds["customers"]:
        if customer["id"] == apart[1]:
            customer["name"] = customer["name"] + " Jr"
    with open_snapshot(path) as snapshot:
        snapshot.write_page(
            "customers", tenant.feeds["customers"], continue_from=None, complete=True
        )
        third = run_audit(snapshot, as_of=AS_OF)
    table = third.decisions.table.set_index("kind")
    assert table.loc["not_duplicate", "state"] == "reopened"
    assert table.loc["protected", "state"] == "applied"
    assert third.summary["decisions"]["reopened"] == 1


def test_export_writes_what_import_reads(tmp_path: Path) -> None:
    tenant = generate_tenant(TenantSpec(customers=80, seed=3))
    path = tmp_path / "tenant.sqlite"
    snapshot_from_tenant(tenant, path).close()
    with open_snapshot(path) as snapshot:
        prints = record_prints(read_frames(snapshot), "customers")
        ids = list(prints.index[:3])
        file = write(
            tmp_path / "in.json", [pair(prints, ids[0], ids[1]), one("protected", prints, ids[2])]
        )
        first = read_decisions(file, who="Sam")
        snapshot.save_decisions(first)
    done = titanaudit("decisions", "export", "--db", str(path), "--out", str(tmp_path / "out.json"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.json").stat().st_mode & 0o077 == 0
    again = read_decisions(tmp_path / "out.json")
    columns = ["kind", "entity", "left_id", "right_id", "fingerprint", "who", "decided_at", "note"]
    pd.testing.assert_frame_equal(
        again[columns].sort_values("kind", ignore_index=True),
        first[columns].sort_values("kind", ignore_index=True),
    )
    assert set(again["who"]) == {"Dana", "Sam"}  # the file's reviewer, else --who
    printed = titanaudit("decisions", "export", "--db", str(path))
    assert len(json.loads(printed.stdout)["decisions"]) == 2
    with open_snapshot(path) as snapshot:
        assert len(export_decisions(snapshot)["decisions"]) == 2


GOOD = {
    "kind": "protected",
    "entity": "customers",
    "record_id": 5,
    "fingerprint": "0123456789abcdef",
}


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ("{not json", "not a decisions file: line 1"),
        (json.dumps({"decisions": []}), "not a decisions file"),
        (
            json.dumps({"format": "titanaudit-decisions", "decisions": {}}),
            "'decisions' must be a list",
        ),
        (
            json.dumps(
                {"format": "titanaudit-decisions", "decisions": [GOOD, {**GOOD, "kind": "merge"}]}
            ),
            "decision 2: kind must be one of not_duplicate, protected, keep",
        ),
        (
            json.dumps(
                {"format": "titanaudit-decisions", "decisions": [{**GOOD, "record_id": "x"}]}
            ),
            "decision 1: record_id must be a record id",
        ),
        (
            json.dumps(
                {"format": "titanaudit-decisions", "decisions": [{**GOOD, "entity": "leads"}]}
            ),
            "decision 1: a protected decision is about customers or locations, not 'leads'",
        ),
        (
            json.dumps(
                {"format": "titanaudit-decisions", "decisions": [{**GOOD, "fingerprint": "<b>"}]}
            ),
            "decision 1: fingerprint is missing or malformed",
        ),
        (
            json.dumps(
                {
                    "format": "titanaudit-decisions",
                    "decisions": [
                        {
                            "kind": "not_duplicate",
                            "entity": "customers",
                            "left_id": 4,
                            "right_id": 4,
                            "fingerprint": "0123456789abcdef.0123456789abcdef",
                        }
                    ],
                }
            ),
            "decision 1: left_id and right_id are the same",
        ),
        (
            json.dumps(
                {"format": "titanaudit-decisions", "decisions": [{**GOOD, "decided_at": "soon"}]}
            ),
            "decision 1: decided_at 'soon' is not a time",
        ),
    ],
)
def test_a_bad_file_is_named_with_the_decision_and_field(
    tmp_path: Path, content: str, said: str
) -> None:
    file = tmp_path / "marks.json"
    file.write_text(content)
    with pytest.raises(ConfigError, match=said) as error:
        read_decisions(file)
    assert str(file) in str(error.value)


def test_the_command_reports_a_bad_file_in_one_line(tmp_path: Path) -> None:
    snapshot_from_tenant(
        generate_tenant(TenantSpec(customers=20, seed=1)), tmp_path / "t.sqlite"
    ).close()
    done = titanaudit(
        "decisions", "import", str(tmp_path / "missing.json"), "--db", str(tmp_path / "t.sqlite")
    )
    assert done.returncode == 2
    assert "missing.json: no such file" in done.stderr and "Traceback" not in done.stderr


def test_a_pair_kept_apart_vetoes_a_chain_through_a_third_record() -> None:
    scored = pd.DataFrame({"left": [1, 2, 1], "right": [2, 3, 3], "probability": [0.99, 0.98, 0.9]})
    assert set(cluster_pairs(scored)["record"]) == {1, 2, 3}
    apart = cluster_pairs(scored, apart={(1, 3)})
    assert len(apart) == 2 and set(apart["record"]) in ({1, 2}, {2, 3})
