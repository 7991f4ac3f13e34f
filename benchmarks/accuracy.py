"""Benchmark: pairwise accuracy of titanaudit, Splink and recordlinkage side by side.

Every tool gets the same table and fields (see ``sidebyside.py``; no dates of birth, no national
ids, since ServiceTitan has neither) and runs in its own process, from reading the CSV to writing
its pairs and clusters. Pairs count at match probability >= 0.5; clusters are each tool's own
(titanaudit's at 0.5, Splink's at its README's 0.95, recordlinkage's connected components).
"largest" is the largest cluster, "pure" the share of clusters whose members all share one
truth. "negatives apart" is the share of the planted hard negatives (households, namesakes, landlord and
tenant, shared office phones) that no pair links. No tool is tuned per data set or given labels.

Public sets come from ../shared/data; generated tenants are flattened to one row per active
customer (name, bill-to address, first phone, first e-mail). ``--snapshot`` adds titanaudit's
full engine on the tenant's snapshot (every location, phone and e-mail of a customer).

    python benchmarks/accuracy.py                        # public sets + a 10,000-customer tenant
    python benchmarks/accuracy.py --tenants 10000 100000 --snapshot
    python benchmarks/accuracy.py --tools titanaudit     # without the peers
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from sidebyside import (
    TOOLS,
    Dataset,
    linked_pairs,
    pair_set,
    public_sets,
    run_tool,
    scores,
    tenant_set,
    true_clusters,
)

from titanaudit.dedupe.customers import dedupe_customers
from titanaudit.frames import read_frames
from titanaudit.simulator import TenantSpec, generate_tenant
from titanaudit.testing import snapshot_from_tenant

HEADER = (
    f"{'data':18} {'tool':22} {'P':>6} {'R':>6} {'F1':>6} {'clu P':>6} {'clu R':>6} "
    f"{'clu F1':>6} {'largest':>7} {'pure':>6} {'apart':>7} {'seconds':>8} {'MB':>6}"
)


def cluster_shape(clusters: list[list[str]], truth: list[list[str]]) -> tuple[int, float]:
    """The largest predicted cluster, and the share of predicted clusters whose members all
    share one truth."""
    entity = {member: n for n, group in enumerate(truth) for member in group}
    pure = [len({entity.get(m, m) for m in group}) == 1 for group in clusters]
    return max((len(g) for g in clusters), default=0), (sum(pure) / len(pure) if pure else 1.0)


def side_by_side(data: Dataset, tools: list[str], work: Path) -> None:
    want = pair_set(data.truth)
    for tool in tools:
        run = run_tool(tool, data, work / data.name.replace(" ", "_"))
        if run.error:
            print(f"{data.name:18} {tool:22} failed: {run.error}")
            continue
        p, r, f1 = scores(linked_pairs(run), want)
        cp, cr, cf1 = scores(pair_set(run.clusters), want)
        apart = (
            f"{1 - len(linked_pairs(run) & data.hard_negatives) / len(data.hard_negatives):7.4f}"
            if data.hard_negatives
            else f"{'':7}"
        )
        largest, pure = cluster_shape(run.clusters, data.truth)
        print(
            f"{data.name:18} {tool:22} {p:6.3f} {r:6.3f} {f1:6.3f} {cp:6.3f} {cr:6.3f} "
            f"{cf1:6.3f} {largest:7,} {pure:6.3f} {apart} {run.seconds:8.1f} {run.peak_mb:6,}",
            flush=True,
        )


def snapshot_engine(customers: int, seed: int) -> None:
    """titanaudit's own engine on the tenant's snapshot, in this process."""
    generated = generate_tenant(TenantSpec(customers=customers, seed=seed))
    truth = true_clusters(generated.truth)
    negatives = {tuple(sorted(str(i) for i in n["ids"])) for n in generated.truth["hard_negatives"]}
    with (
        tempfile.TemporaryDirectory() as tmp,
        snapshot_from_tenant(generated, Path(tmp) / "t.sqlite") as snap,
    ):
        started = time.monotonic()
        frames = read_frames(snap)  # timed with the matching, as it was inside it
        result = dedupe_customers(frames)
        seconds = time.monotonic() - started
        active = set(frames.customers.query("active == True")["id"].astype("int64").astype(str))
    kept = result.pairs[result.pairs["probability"] >= 0.5]
    linked = {
        tuple(sorted((str(a), str(b))))
        for a, b in zip(kept["left_id"], kept["right_id"], strict=True)
    }
    p, r, f1 = scores(linked, pair_set(truth))
    open_truth = pair_set([[i for i in c if i in active] for c in truth])
    clusters = result.clusters.groupby("cluster_id")["id"].agg(lambda s: [str(i) for i in s])
    cp, cr, cf1 = scores(pair_set(list(clusters)), open_truth)
    largest, pure = cluster_shape(list(clusters), truth)
    apart = 1 - len(linked & negatives) / max(1, len(negatives))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(
        f"{f'tenant {customers:,}':18} {'titanaudit (snapshot)':22} {p:6.3f} {r:6.3f} {f1:6.3f} "
        f"{cp:6.3f} {cr:6.3f} {cf1:6.3f} {largest:7,} {pure:6.3f} {apart:7.4f} {seconds:8.1f} {peak:6,}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenants", type=int, nargs="*", default=[10_000])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    parser.add_argument("--snapshot", action="store_true", help="also titanaudit on the snapshot")
    parser.add_argument("--no-public", action="store_true", help="generated tenants only")
    parser.add_argument(
        "--only",
        nargs="+",
        default=[],
        metavar="WORD",
        help="public sets whose name holds one of these words (febrl2, census)",
    )
    args = parser.parse_args()
    print(HEADER, flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for data in [] if args.no_public else public_sets():
            if not args.only or any(w.lower() in data.name.lower() for w in args.only):
                side_by_side(data, args.tools, work)
        for customers in args.tenants:
            side_by_side(tenant_set(customers, args.seed), args.tools, work)
            if args.snapshot:
                snapshot_engine(customers, args.seed)


if __name__ == "__main__":
    main()
