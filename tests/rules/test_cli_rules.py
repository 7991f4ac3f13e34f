"""`titanaudit rules list` and `titanaudit rules check` as a user runs them."""

from __future__ import annotations

import csv
import importlib
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from titanaudit.rules import FINDING_COLUMNS, RULES
from titanaudit.simulator import TenantSpec, generate_tenant
from titanaudit.testing import snapshot_from_tenant


def titanaudit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "titanaudit", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def snapshot_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "tenant.sqlite"
    snapshot_from_tenant(generate_tenant(TenantSpec(customers=400, seed=9)), path).close()
    return path


def test_list_prints_every_rule() -> None:
    done = titanaudit("rules", "list")
    assert done.returncode == 0
    lines = done.stdout.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == [r.id for r in RULES]
    assert "DUP-CON-001" in done.stdout  # the repeated contacts are a rule like the others


def test_check_writes_private_findings(snapshot_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "findings.csv"
    config = tmp_path / "audit.toml"
    config.write_text(
        '[rules]\ndisable = ["LIF-MRG-001"]\n\n[office]\nlatitude = 39.74\nlongitude = -104.99\n'
    )
    done = titanaudit(
        "rules",
        "check",
        "--db",
        str(snapshot_file),
        "--out",
        str(out),
        "--as-of",
        "2026-11-01",
        "--config",
        str(config),
        "--quiet",
    )
    assert done.returncode == 0, done.stderr
    assert "findings (" in done.stderr and "wrote" in done.stderr
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == FINDING_COLUMNS
    assert {r["rule_id"] for r in rows} >= {"GEO-LOC-002", "PHN-CON-002", "NAM-CUS-001"}
    assert "LIF-MRG-001" not in {r["rule_id"] for r in rows}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_the_threshold_reaches_lead_matching(
    snapshot_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from titanaudit.cli import main

    audit = importlib.import_module("titanaudit.audit")  # the package's ``audit`` is a function

    seen: list[float] = []
    match_leads = audit.match_leads

    def spy(frames: Any, **options: Any) -> Any:
        seen.append(options["threshold"])
        return match_leads(frames, **options)

    monkeypatch.setattr(audit, "match_leads", spy)
    done = CliRunner().invoke(
        main,
        [
            "rules",
            "check",
            "--db",
            str(snapshot_file),
            "--out",
            str(tmp_path / "f.csv"),
            "--threshold",
            "0.8",
            "--quiet",
        ],
    )
    assert done.exit_code == 0, done.output
    assert seen == [0.8]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--as-of", "someday"], "--as-of 'someday' is not a date"),
        (["--config", "missing.toml"], "config file missing.toml does not exist"),
    ],
)
def test_mistakes_get_one_line(
    snapshot_file: Path, tmp_path: Path, args: list[str], said: str
) -> None:
    done = titanaudit(
        "rules", "check", "--db", str(snapshot_file), "--out", str(tmp_path / "f.csv"), *args
    )
    assert done.returncode == 2
    assert said in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "f.csv").exists()


def test_missing_snapshot(tmp_path: Path) -> None:
    done = titanaudit(
        "rules", "check", "--db", str(tmp_path / "none.sqlite"), "--out", str(tmp_path / "f.csv")
    )
    assert done.returncode != 0 and "does not exist" in done.stderr
    assert "Traceback" not in done.stderr
