"""Benchmark: time and peak memory of titanaudit, Splink and recordlinkage on generated tenants.

The same tables and runs as ``accuracy.py`` (one row per active customer: name, bill-to
address, first phone, first e-mail; each tool in its own process from reading the CSV to
writing its output), at the sizes the issue names. recordlinkage runs up to 100,000 rows only:
its comparisons are row-by-row Python and would take hours at a million.

    python benchmarks/speed.py                              # 10,000, 100,000 and 1,000,000
    python benchmarks/speed.py --customers 100000 --tools titanaudit splink
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from accuracy import HEADER, side_by_side
from sidebyside import TOOLS, tenant_set

RECORDLINKAGE_MAX = 100_000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    args = parser.parse_args()
    print(HEADER, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for customers in args.customers:
            data = tenant_set(customers, args.seed)
            tools = [
                t for t in args.tools if t != "recordlinkage" or customers <= RECORDLINKAGE_MAX
            ]
            side_by_side(data, tools, Path(tmp))


if __name__ == "__main__":
    main()
