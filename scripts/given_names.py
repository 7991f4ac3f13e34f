"""Derive ``titanaudit/fields/given_names.txt`` from the US Social Security Administration's
national baby-name counts (public domain): every given name at least ``--floor`` babies born in
the United States were given between ``--first`` and ``--last``, the years of a contractor's
customers today. Run it again with a newer download to refresh the list::

    curl -LO https://www.ssa.gov/oact/babynames/names.zip && unzip names.zip -d names
    python scripts/given_names.py names > titanaudit/fields/given_names.txt
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="the unzipped names.zip: yob1880.txt, ...")
    parser.add_argument("--first", type=int, default=1930)
    parser.add_argument("--last", type=int, default=2005)
    parser.add_argument("--floor", type=int, default=5000)
    args = parser.parse_args()
    births: collections.Counter[str] = collections.Counter()
    for year in range(args.first, args.last + 1):
        for line in (args.folder / f"yob{year}.txt").read_text().splitlines():
            name, _, count = line.split(",")
            births[name.lower()] += int(count)
    print(f"# US given names: at least {args.floor:,} babies born {args.first}-{args.last} were")
    print("# given each (US Social Security Administration, national baby-name counts, public")
    print(
        "# domain: https://www.ssa.gov/oact/babynames/limits.html); made by scripts/given_names.py"
    )
    for name in sorted(n for n, c in births.items() if c >= args.floor):
        print(name)


if __name__ == "__main__":
    main()
