"""Benchmark: the pre-import check of a large file against a large tenant: time, peak memory,
and the decisions scored against the generator's truth.

The tenant and the file (``titanaudit.simulator.imports``: rows that exist under other
spellings, rows repeated within the file, new people, households, broken rows) are generated
once in a child process and kept in ``benchmarks/.cache``; ``titanaudit check-import`` then runs
in a child process of its own.

    python benchmarks/check_import.py                           # 100,000 rows, 200,000 customers
    python benchmarks/check_import.py --rows 10000 --customers 20000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "benchmarks" / ".cache"

CHILD = """
import json, sys
from pathlib import Path
from titanaudit.simulator import TenantSpec
from titanaudit.simulator.imports import generate_import, write_import_csv
from titanaudit.testing import snapshot_from_tenant
customers, rows, seed, db, csv_path, truth = sys.argv[1:]
made = generate_import(TenantSpec(customers=int(customers), seed=int(seed)), rows=int(rows), seed=int(seed))
snapshot_from_tenant(made.tenant, Path(db)).close()
write_import_csv(made, Path(csv_path))
Path(truth).write_text(json.dumps(made.truth))
"""


def _inputs(customers: int, rows: int, seed: int) -> tuple[Path, Path, Path]:
    CACHE.mkdir(exist_ok=True)
    stem = CACHE / f"import-{customers}-{rows}-{seed}"
    db, csv_path, truth = (stem.with_suffix(s) for s in (".sqlite", ".csv", ".truth.json"))
    if not all(p.exists() for p in (db, csv_path, truth)):
        print(
            f"generating {customers:,} customers and a file of {rows:,} rows (once; kept in {CACHE})",
            flush=True,
        )
        partial = db.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-c",
                CHILD,
                str(customers),
                str(rows),
                str(seed),
                str(partial),
                str(csv_path),
                str(truth),
            ],
            check=True,
        )
        partial.rename(db)
    return db, csv_path, truth


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    db, csv_path, truth_file = _inputs(args.customers, args.rows, args.seed)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "checked"
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "titanaudit",
                "check-import",
                str(csv_path),
                "--db",
                str(db),
                "--out",
                str(out),
                "--quiet",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
        if done.returncode not in (0, 10):
            raise SystemExit(done.stderr)
        checked = pd.read_csv(out / "checked.csv", dtype=str, keep_default_na=False)
        ready = sum(1 for _ in (out / "import-ready.csv").open()) - 1
    truth = pd.DataFrame(json.loads(truth_file.read_text()))
    decided = checked["decision"].to_numpy()
    customer = [int(c) if c else None for c in checked["customer_id"]]
    right = pd.Series(
        [c is not None and c in t for c, t in zip(customer, truth["customers"], strict=True)]
    )
    expected = truth["expected"]
    counts = expected.value_counts()
    print(
        f"file: {len(checked):,} rows ({', '.join(f'{n:,} {k}' for k, n in counts.items())} by the truth); "
        f"tenant: {args.customers:,} customers generated (seed {args.seed})"
    )
    print(f"titanaudit check-import: {seconds:.1f} s, peak {peak:.2f} GB (child processes)")
    for kind, want in (("existing", "existing"), ("new", "new"), ("review", "review")):
        rows = (expected == want).to_numpy()
        got = pd.Series(decided[rows]).value_counts()
        print(
            f"  truth {kind:>8}: "
            + ", ".join(f"{got.get(d, 0):,} {d}" for d in ("existing", "review", "new"))
        )
    existing = (expected == "existing").to_numpy()
    print(
        f"existing rows decided existing with a right customer: {((decided == 'existing') & right)[existing].mean():.4f}; "
        f"decided new (a duplicate on import): {(decided == 'new')[existing].mean():.4f}"
    )
    print(
        f"new rows decided existing (never imported): {(decided == 'existing')[(expected == 'new').to_numpy()].mean():.4f}; "
        f"import-ready rows: {ready:,}"
    )


if __name__ == "__main__":
    main()
