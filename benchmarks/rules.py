"""Benchmark: the whole rule set over a large generated tenant: time per rule, peak memory, and
per-rule recall and precision against the generator's planted problems.

The tenant is generated once in a child process and kept as a snapshot in
``benchmarks/.cache`` (with its truth beside it); the rules then run over the snapshot's frames.
DUP-LEAD-001 takes the open leads matched by the matching engine (in an audit the engine runs
anyway; its own figures are in the matching section of RESULTS.md), so it is timed apart.

    python benchmarks/rules.py                        # 1,150,000 customers: ~1.5 M locations, ~3 M contacts
    python benchmarks/rules.py --customers 100000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".cache"

CHILD = """
import json, sys
from pathlib import Path
from titanaudit.simulator import TenantSpec, generate_tenant
from titanaudit.testing import snapshot_from_tenant
tenant = generate_tenant(TenantSpec(customers=int(sys.argv[1]), seed=int(sys.argv[2])))
snapshot_from_tenant(tenant, Path(sys.argv[3])).close()
Path(sys.argv[4]).write_text(json.dumps(tenant.truth, default=str))
"""


def _snapshot(customers: int, seed: int) -> tuple[Path, Path]:
    CACHE.mkdir(exist_ok=True)
    db = CACHE / f"rules-{customers}-{seed}.sqlite"
    truth = CACHE / f"rules-{customers}-{seed}.truth.json"
    if not db.exists() or not truth.exists():
        print(f"generating a tenant of {customers:,} customers (once; kept in {CACHE})", flush=True)
        db.unlink(missing_ok=True)
        partial = db.with_suffix(".partial")
        subprocess.run(
            [sys.executable, "-c", CHILD, str(customers), str(seed), str(partial), str(truth)],
            check=True,
        )
        partial.rename(db)
    return db, truth


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_150_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    db, truth_file = _snapshot(args.customers, args.seed)

    import pandas as pd

    from titanaudit.frames import read_frames
    from titanaudit.rules import RULES, check_rules
    from titanaudit.simulator import TenantSpec
    from titanaudit.store import open_snapshot
    from titanaudit.testing import rule_accuracy, tenant_rule_settings

    truth = json.loads(truth_file.read_text())
    with open_snapshot(db) as snapshot:
        started = time.perf_counter()
        frames = read_frames(snapshot)
        read = time.perf_counter() - started
    print(f"{frames!r}; read from the snapshot in {read:.1f} s", flush=True)
    rules = [r for r in RULES if r.id != "DUP-LEAD-001"]
    matched = pd.DataFrame(
        columns=["entity", "record_id", "customer_id", "probability", "evidence", "rank"]
    )
    started = time.perf_counter()
    run = check_rules(
        frames,
        tenant_rule_settings(truth),
        as_of=TenantSpec().as_of,
        rules=rules,
        lead_matches=matched,
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{len(rules)} rules: {seconds:.1f} s, peak {peak:,.0f} MB (frames included); "
        f"{len(run.findings):,} findings; skipped: {run.skipped['rule_id'].tolist()}"
    )
    slowest = sorted(run.seconds.items(), key=lambda kv: -kv[1])[:8]
    print("slowest: " + ", ".join(f"{k} {v:.1f} s" for k, v in slowest))
    accuracy = rule_accuracy(run.findings, truth, frames, [r.id for r in rules])
    weak = accuracy[(accuracy["recall"] < 0.98) | (accuracy["precision"] < 0.95)]
    print(
        f"{len(accuracy)} planted rules: recall min {accuracy['recall'].min():.3f}, "
        f"precision min {accuracy['precision'].min():.3f}; planted {accuracy['planted'].sum():,}, "
        f"found {accuracy['found'].sum():,}, clean records reported {accuracy['false'].sum():,}"
    )
    if len(weak):
        print(weak.to_string(index=False))


if __name__ == "__main__":
    main()
