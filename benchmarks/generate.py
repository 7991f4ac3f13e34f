"""Benchmark: generate a tenant and build the simulator's index over it (time and peak memory).

Each size runs in a fresh process so peak memory is that size's own.

    python benchmarks/generate.py --customers 100000 1000000
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys

CHILD = """
import sys, time
from titanaudit.simulator import SimulatorState, TenantSpec, generate_tenant
started = time.monotonic()
tenant = generate_tenant(TenantSpec(customers=int(sys.argv[1])))
generated = time.monotonic() - started
started = time.monotonic()
SimulatorState(tenant)
print(len(tenant), round(generated, 1), round(time.monotonic() - started, 1))
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    print(f"{'customers':>10} {'records':>10} {'generate s':>10} {'index s':>8} {'peak MB':>8}")
    for customers in args.customers:
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(customers)],
            capture_output=True,
            text=True,
            check=True,
        )
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        records, generated, indexed = out.stdout.split()
        note = "" if peak > before else " (peak of an earlier, larger run)"
        print(
            f"{customers:>10,} {int(records):>10,} {float(generated):>10.1f} {float(indexed):>8.1f} {peak // 1024:>8,}{note}"
        )


if __name__ == "__main__":
    main()
