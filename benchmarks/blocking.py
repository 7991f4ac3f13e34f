"""Benchmark: customer blocking on generated tenants: pairs kept, true pairs kept, time, memory.

python benchmarks/blocking.py --customers 10000 100000
"""

from __future__ import annotations

import argparse
import itertools
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd

from titanaudit.dedupe.blocking import blocking_recall, candidate_pairs
from titanaudit.dedupe.entities import CUSTOMER_RULES, customer_values
from titanaudit.frames import read_frames
from titanaudit.simulator import TenantSpec, generate_tenant
from titanaudit.testing import snapshot_from_tenant

OWNERS = {
    "locations": "customerId",
    "customer_contacts": "customerId",
    "location_contacts": "locationId",
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    print(
        f"{'customers':>10} {'records':>8} {'pairs':>10} {'pairs/rec':>9} {'recall':>7} {'read s':>7} {'values s':>8} {'block s':>7} {'peak MB':>8}"
    )
    for size in args.customers:
        tenant = generate_tenant(TenantSpec(customers=size, seed=5))
        truth = pd.DataFrame(
            [
                p
                for c in tenant.truth["duplicate_clusters"]
                for p in itertools.combinations(c["ids"], 2)
            ],
            columns=["left", "right"],
        )
        with tempfile.TemporaryDirectory() as tmp:
            snap = snapshot_from_tenant(tenant, Path(tmp) / "b.sqlite")
            started = time.monotonic()
            frames = read_frames(snap)
            customers, locations, contacts = frames.customers, frames.locations, frames.contacts
            read = time.monotonic() - started
            started = time.monotonic()
            long = customer_values(customers, locations, contacts)
            valued = time.monotonic() - started
            started = time.monotonic()
            pairs = candidate_pairs(long, CUSTOMER_RULES)
            blocked = time.monotonic() - started
            snap.close()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        recall = blocking_recall(pairs, truth)
        print(
            f"{len(customers):>10,} {len(long):>8,} {len(pairs):>10,} {len(pairs) / len(customers):>9.1f} {recall:>7.3f} "
            f"{read:>7.1f} {valued:>8.1f} {blocked:>7.1f} {peak:>8,}"
        )


if __name__ == "__main__":
    main()
