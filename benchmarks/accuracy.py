"""Benchmark: pairwise accuracy of titanaudit's matching, on public sets and generated tenants.

Public sets come from ../shared/data (ids and truth columns as its README says; dates of birth
and national ids are dropped, since ServiceTitan has neither). Generated tenants go through a
snapshot and ``dedupe_customers``; pairs are counted over all candidate pairs at probability
>= 0.5 (merged duplicates included as true pairs), and "clusters" over the open clusters of
active customers. Peers (Splink, recordlinkage) are still to be added side by side.

    python benchmarks/accuracy.py                 # public sets + generated 10k
    python benchmarks/accuracy.py --tenants 10000 100000
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd

from titanaudit.dedupe.customers import dedupe_customers
from titanaudit.dedupe.frame import dedupe_frame
from titanaudit.simulator import TenantSpec, generate_tenant
from titanaudit.testing import pair_accuracy, snapshot_from_tenant

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FEBRL = {"first_name": "given_name", "last_name": "surname", "house_number": "street_number",
         "street_name": "address_1", "unit": "address_2", "city": "suburb", "zip": "postcode"}  # fmt: skip
PUBLIC = [
    ("dedupe_restaurant.csv", None, ["cuisine"]),
    ("febrl1.csv", FEBRL, ["date_of_birth", "soc_sec_id"]),
    ("febrl2.csv", FEBRL, ["date_of_birth", "soc_sec_id"]),
    ("splink_fake_1000.csv", None, ["dob"]),
]


def row(label: str, accuracy: dict[str, float], seconds: float, extra: str = "") -> None:
    print(
        f"{label:34} {accuracy['precision']:>9.3f} {accuracy['recall']:>7.3f} {accuracy['f1']:>6.3f} {seconds:>8.1f} {extra}"
    )


def public(name: str, mapping: dict[str, str] | None, drop: list[str]) -> None:
    path = DATA / name
    if not path.exists():
        print(f"{name:34} skipped: {path} not found")
        return
    df = pd.read_csv(path, dtype=str).drop(columns=drop, errors="ignore")
    truth = df.groupby("true_id")["rec_id"].apply(list).tolist()
    started = time.monotonic()
    result = dedupe_frame(df.drop(columns=["true_id"]), id_column="rec_id", mapping=mapping)
    seconds = time.monotonic() - started
    linked = (
        result.pairs.loc[result.pairs["probability"] >= 0.5, ["left_id", "right_id"]]
        .to_numpy()
        .tolist()
    )
    row(f"{name} pairs", pair_accuracy(linked, truth), seconds)
    clusters = result.clusters.groupby("cluster_id")["id"].apply(list).tolist()
    row(f"{name} clusters", pair_accuracy(clusters, truth), seconds)


def tenant(customers: int, seed: int) -> None:
    generated = generate_tenant(TenantSpec(customers=customers, seed=seed))
    truth = [c["ids"] for c in generated.truth["duplicate_clusters"]]
    negatives = {tuple(sorted(n["ids"])) for n in generated.truth["hard_negatives"]}
    with (
        tempfile.TemporaryDirectory() as tmp,
        snapshot_from_tenant(generated, Path(tmp) / "t.sqlite") as snap,
    ):
        started = time.monotonic()
        result = dedupe_customers(snap)
        seconds = time.monotonic() - started
        active = set(snap.customers().query("active == True")["id"].astype("int64"))
    linked = (
        result.pairs.loc[result.pairs["probability"] >= 0.5, ["left_id", "right_id"]]
        .to_numpy()
        .tolist()
    )
    apart = 1 - len({tuple(sorted(p)) for p in linked} & negatives) / max(1, len(negatives))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    row(f"tenant {customers:,} (seed {seed}) pairs", pair_accuracy(linked, truth), seconds,
        f"hard negatives apart {apart:.4f}, peak {peak:,} MB")  # fmt: skip
    open_truth = [[i for i in c if i in active] for c in truth]
    clusters = result.clusters.groupby("cluster_id")["id"].apply(list).tolist()
    row(
        f"tenant {customers:,} (seed {seed}) clusters", pair_accuracy(clusters, open_truth), seconds
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenants", type=int, nargs="*", default=[10_000])
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    print(f"{'data':34} {'precision':>9} {'recall':>7} {'F1':>6} {'seconds':>8}")
    for name, mapping, drop in PUBLIC:
        public(name, mapping, drop)
    for customers in args.tenants:
        tenant(customers, args.seed)


if __name__ == "__main__":
    main()
