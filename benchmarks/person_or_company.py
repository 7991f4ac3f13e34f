"""Person or company: titanaudit's reading of a name (``fields.names.name_frame``'s
``is_business``) against probablepeople's (a CRF tagger made for it), on names whose kind is
known: restaurants (all businesses), FEBRL1 and Splink's fake_1000 (all people), and a
generated tenant's customers (Commercial or Residential as stored, the planted type mistakes
included: they count against both readers alike).

    .venv/bin/pip install probablepeople   # not a dependency: measured, not used
    .venv/bin/python benchmarks/person_or_company.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from titanaudit.fields.names import name_frame
from titanaudit.simulator import TenantSpec, generate_tenant

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def named() -> pd.DataFrame:
    rows: list[tuple[str, str, bool]] = []
    if DATA.is_dir():
        r = pd.read_csv(DATA / "dedupe_restaurant.csv", dtype=str)
        rows += [("restaurants", n, True) for n in r["name"].dropna()]
        f = pd.read_csv(DATA / "febrl1.csv", dtype=str, keep_default_na=False)
        rows += [
            ("febrl1", f"{g} {s}".strip(), False)
            for g, s in zip(f["given_name"], f["surname"], strict=True)
            if g or s
        ]
        k = pd.read_csv(DATA / "splink_fake_1000.csv", dtype=str, keep_default_na=False)
        rows += [
            ("fake_1000", f"{a} {b}".strip(), False)
            for a, b in zip(k["first_name"], k["surname"], strict=True)
            if a or b
        ]
    tenant = generate_tenant(TenantSpec(customers=3000, seed=5))
    rows += [
        ("generated", c["name"], c["type"] == "Commercial")
        for c in tenant.feeds["customers"]
        if c.get("name")
    ]
    return pd.DataFrame(rows, columns=["set", "name", "business"])


def main() -> None:
    try:
        import probablepeople
    except ImportError:
        sys.exit("probablepeople is not installed: .venv/bin/pip install probablepeople")

    def tagged(name: str) -> bool | None:
        try:
            return bool(probablepeople.tag(name)[1] == "Corporation")
        except probablepeople.RepeatedLabelError:
            return None

    names = named()
    names["ours"] = name_frame(names["name"])["is_business"].astype(bool).to_numpy()
    names["probablepeople"] = [tagged(n) for n in names["name"]]
    print(f"{'names':12s} {'n':>5s} {'titanaudit':>10s} {'probablepeople':>14s}")
    for kind, group in names.groupby("set"):
        ours = (group["ours"] == group["business"]).mean()
        theirs = (group["probablepeople"] == group["business"]).mean()
        print(f"{kind:12s} {len(group):5d} {ours:10.3f} {theirs:14.3f}")


if __name__ == "__main__":
    main()
