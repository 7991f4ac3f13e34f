"""Benchmark: reading every frame of a large snapshot, the two ways ``read_frames`` can.

"arrow" is what ``read_frames`` does: the records' bodies come out of SQLite as one Arrow column
(ADBC's driver) and Arrow's JSON reader parses them on every core. "sql" forces the way it keeps
for bodies Arrow refuses, SQLite's ``json_extract`` over every record (what every read was
before). Each run is its own process (time from opening the snapshot to the last frame, and the
process's peak memory); the two ways alternate, and the medians are printed. Both ways' frames
are checked equal once, in the first pair of runs.

The snapshot is the rules benchmark's generated tenant (kept in ``benchmarks/.cache``)::

    python benchmarks/frames.py                        # 1,150,000 customers (1.3 M with merged)
    python benchmarks/frames.py --customers 200000 --runs 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rules import _snapshot  # the cached tenant of the rules benchmark

CHILD = """
import hashlib, json, resource, sys, time
import pandas as pd
from titanaudit.frames import ENTITIES, read_frames
from titanaudit.store import Snapshot, open_snapshot
if sys.argv[2] == "sql":
    Snapshot.arrow_query = lambda self, sql, **_: None
started = time.perf_counter()
with open_snapshot(sys.argv[1]) as snapshot:
    frames = read_frames(snapshot)
seconds = time.perf_counter() - started
digest = hashlib.sha256()
if sys.argv[3] == "check":
    for name in ENTITIES:
        frame = getattr(frames, name)
        digest.update(pd.util.hash_pandas_object(frame, index=True).values.tobytes())
        digest.update(repr(frame.dtypes.to_dict()).encode())
print(json.dumps({
    "seconds": seconds,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "rows": {name: len(getattr(frames, name)) for name in ENTITIES},
    "digest": digest.hexdigest(),
}))
"""


def _run(db: Path, way: str, check: bool) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(db), way, "check" if check else "-"],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=1_150_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=3, help="runs of each way (default 3)")
    args = parser.parse_args()
    db, _ = _snapshot(args.customers, args.seed)
    runs: dict[str, list[dict[str, Any]]] = {"arrow": [], "sql": []}
    for i in range(args.runs):
        for way in runs:
            runs[way].append(_run(db, way, check=i == 0))
            print(f"run {i + 1} {way}: {runs[way][-1]['seconds']:.1f} s", flush=True)
    if runs["arrow"][0]["digest"] != runs["sql"][0]["digest"]:
        sys.exit("the two ways read different frames")
    print(f"\nrows: {runs['arrow'][0]['rows']}; both ways' frames equal")
    print("| way | median s | min s | max s | peak MB (median) |")
    print("|---|---:|---:|---:|---:|")
    median = {
        way: statistics.median(r["seconds"] for r in results) for way, results in runs.items()
    }
    for way, results in runs.items():
        seconds = [r["seconds"] for r in results]
        peak = statistics.median(r["peak_mb"] for r in results)
        print(
            f"| {way} | {median[way]:.1f} | {min(seconds):.1f} | {max(seconds):.1f} | {peak:,.0f} |"
        )
    print(f"\narrow is {median['sql'] / median['arrow']:.1f}x faster")


if __name__ == "__main__":
    main()
