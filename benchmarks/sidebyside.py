"""Shared by ``accuracy.py`` and ``speed.py``: the benchmark tables and one runner per tool.

Every tool gets the same CSV (``id`` plus the fields of :data:`peers.FIELDS`) and runs in its own
process, end to end from reading the CSV to writing its pairs and clusters; seconds are the
process's wall clock and memory its peak resident set (``measure.py``). titanaudit runs as a user
would, ``titanaudit dedupe TABLE.csv --id-column id``; the peers through ``peers.py`` in
``.venv-peers``.
"""

from __future__ import annotations

import itertools
import json
import pickle
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from titanaudit.simulator import TenantSpec, generate_tenant
from titanaudit.testing import planted_clusters

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
PEERS_PYTHON = ROOT / ".venv-peers" / "bin" / "python"
TITANAUDIT = Path(sys.executable).parent / "titanaudit"
TOOLS = ("titanaudit", "splink", "recordlinkage")
THRESHOLD = 0.5


@dataclass
class Dataset:
    """A benchmark table: ``table`` (``id`` and fields, strings) and the true clusters."""

    name: str
    table: pd.DataFrame
    truth: list[list[str]]
    hard_negatives: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class Run:
    tool: str
    seconds: float
    peak_mb: int
    pairs: pd.DataFrame  # left_id, right_id, probability (strings for ids)
    clusters: list[list[str]]
    error: str = ""


def _truth(table: pd.DataFrame, column: str) -> list[list[str]]:
    return [list(g) for g in table.groupby(column)["id"].agg(list) if len(g) > 1]


def public_sets() -> list[Dataset]:
    """The sets of ``../shared/data`` in the benchmark fields (no dates of birth, no national ids)."""
    sets = []
    path = DATA / "dedupe_restaurant.csv"
    if path.exists():
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        table = df.rename(columns={"rec_id": "id", "address": "street"})
        sets.append(
            Dataset(
                "restaurants", table[["id", "name", "street", "city"]], _truth(table, "true_id")
            )
        )
    for name, files in (
        ("febrl1", ["febrl1"]),
        ("febrl2", ["febrl2"]),
        ("febrl4 A+B", ["febrl4a", "febrl4b"]),
    ):
        paths = [DATA / f"{f}.csv" for f in files]
        if all(path.exists() for path in paths):
            df = pd.concat(
                [pd.read_csv(path, dtype=str, keep_default_na=False) for path in paths],
                ignore_index=True,
            )
            table = pd.DataFrame(
                {
                    "id": df["rec_id"],
                    "first_name": df["given_name"],
                    "last_name": df["surname"],
                    "street": (df["street_number"] + " " + df["address_1"]).str.strip(),
                    "address_2": df["address_2"],
                    "city": df["suburb"],
                    "state": df["state"],
                    "zip": df["postcode"],
                }
            )
            sets.append(
                Dataset(name, table, _truth(df.rename(columns={"rec_id": "id"}), "true_id"))
            )
    path = DATA / "splink_fake_1000.csv"
    if path.exists():
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        table = df.rename(columns={"rec_id": "id", "surname": "last_name"})
        sets.append(
            Dataset(
                "splink fake_1000",
                table[["id", "first_name", "last_name", "city", "email"]],
                _truth(table, "true_id"),
            )
        )
    path = DATA / "splink_historical_50k.csv"
    if path.exists():  # names and places only: no date of birth, no occupation
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        table = df.rename(
            columns={
                "rec_id": "id",
                "surname": "last_name",
                "postcode_fake": "zip",
                "birth_place": "city",
            }
        )
        sets.append(
            Dataset(
                "historical_50k",
                table[["id", "first_name", "last_name", "zip", "city"]],
                _truth(table, "true_id"),
            )
        )
    census = _census_tax()
    if census is not None:
        sets.append(census)
    return sets


CACHE = ROOT / "benchmarks" / ".cache"


def _census_tax() -> Dataset | None:
    """pseudopeople's simulated town (``pseudopeople_sets.py``): the 2020 census, W-2 and 1099
    forms and two surveys, names and addresses only; built once in ``.venv-peers`` (``make
    peers`` installs pseudopeople there) and cached. None when pseudopeople is not installed."""
    cached = CACHE / "pseudopeople-census-tax.csv"
    if not cached.exists():
        if not PEERS_PYTHON.exists():
            return None
        CACHE.mkdir(exist_ok=True)
        built = subprocess.run(
            [str(PEERS_PYTHON), str(ROOT / "benchmarks" / "pseudopeople_sets.py"), str(cached)],
            capture_output=True,
            text=True,
        )
        if built.returncode != 0:
            print(f"pseudopeople set skipped: {built.stderr.strip().splitlines()[-1:]}")
            return None
    df = pd.read_csv(cached, dtype=str, keep_default_na=False)
    table = pd.DataFrame(
        {
            "id": df["id"],
            "first_name": df["first_name"],
            "last_name": df["last_name"],
            "street": (df["house_number"] + " " + df["street_name"]).str.strip(),
            "address_2": df["unit"],
            "city": df["city"],
            "state": df["state"],
            "zip": df["zip"],
        }
    )
    return Dataset("census+tax (pseudopeople)", table, _truth(df, "truth"))


def tenant_set(customers: int, seed: int) -> Dataset:
    """A generated tenant's active customers as one row each: name, bill-to address, their first
    phone and first e-mail. Truth: the planted duplicate clusters among them. Kept in
    ``benchmarks/.cache`` (a million customers take minutes to generate)."""
    cached = CACHE / f"tenant-{customers}-{seed}.pickle"
    if cached.exists():
        with cached.open("rb") as f:
            data: Dataset = pickle.load(f)  # noqa: S301 - our own cache file
            return data
    data = _tenant_set(customers, seed)
    CACHE.mkdir(exist_ok=True)
    with cached.open("wb") as f:
        pickle.dump(data, f)
    return data


def _tenant_set(customers: int, seed: int) -> Dataset:
    tenant = generate_tenant(TenantSpec(customers=customers, seed=seed))
    phone: dict[int, str] = {}
    email: dict[int, str] = {}
    for contact in tenant.feeds["customer_contacts"]:
        owner = email if contact["type"] == "Email" else phone
        owner.setdefault(contact["customerId"], contact["value"])
    rows = [
        {
            "id": str(c["id"]),
            "name": c["name"],
            "street": c["address"]["street"],
            "address_2": c["address"].get("unit") or "",
            "city": c["address"]["city"],
            "state": c["address"]["state"],
            "zip": c["address"]["zip"],
            "phone": phone.get(c["id"], ""),
            "email": email.get(c["id"], ""),
        }
        for c in tenant.feeds["customers"]
        if c["active"] and not c["mergedToId"]
    ]
    table = pd.DataFrame(rows)
    active = set(table["id"])
    truth = [[i for i in c if i in active] for c in true_clusters(tenant.truth)]
    negatives = {
        tuple(sorted(str(i) for i in n["ids"]))
        for n in tenant.truth["hard_negatives"]
        if all(str(i) in active for i in n["ids"])
    }
    return Dataset(
        f"tenant {customers:,}",
        table,
        [t for t in truth if len(t) > 1],
        {(a, b) for a, b in negatives},
    )


def true_clusters(truth: dict[str, Any]) -> list[list[str]]:
    """The planted duplicate clusters (joined where they share a record), ids as strings."""
    return [[str(i) for i in c] for c in planted_clusters(truth)]


def _command(tool: str, table: Path, out: Path) -> list[str]:
    if tool == "titanaudit":
        return [
            str(TITANAUDIT),
            "dedupe",
            str(table),
            "--id-column",
            "id",
            "--out",
            str(out / "clusters.csv"),
            "--pairs",
            str(out / "pairs.csv"),
            "--threshold",
            str(THRESHOLD),
            "--quiet",
        ]
    return [str(PEERS_PYTHON), str(ROOT / "benchmarks" / "peers.py"), tool, str(table), str(out)]


def run_tool(tool: str, data: Dataset, work: Path) -> Run:
    """Run ``tool`` on ``data`` in its own process; its pairs and clusters as strings."""
    work.mkdir(parents=True, exist_ok=True)
    table = work / "table.csv"
    data.table.to_csv(table, index=False)
    out = work / tool
    out.mkdir(exist_ok=True)
    if tool != "titanaudit" and not PEERS_PYTHON.exists():
        return Run(tool, 0.0, 0, pd.DataFrame(), [], "not installed (make peers)")
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "measure.py"), *_command(tool, table, out)],
        capture_output=True,
        text=True,
        check=True,
    )
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    seconds, peak = measured["seconds"], measured["peak_mb"]
    if measured["status"] != 0:
        said = done.stderr.strip().splitlines()
        why = (
            said[-1][:120] if said else f"exit status {measured['status']} (killed: out of memory?)"
        )
        return Run(tool, seconds, measured["peak_mb"], pd.DataFrame(), [], why)
    pairs = pd.read_csv(out / "pairs.csv", dtype={"left_id": str, "right_id": str, "evidence": str})
    clustered = pd.read_csv(out / "clusters.csv", dtype=str, keep_default_na=False)
    clustered = clustered[clustered["cluster_id"] != ""]
    clusters = [list(g) for g in clustered.groupby("cluster_id")["id"].agg(list) if len(g) > 1]
    return Run(tool, seconds, peak, pairs, clusters)


def pair_set(groups: list[list[str]]) -> set[tuple[str, str]]:
    return {(a, b) for g in groups for a, b in itertools.combinations(sorted(set(g)), 2)}


def scores(found: set[tuple[str, str]], want: set[tuple[str, str]]) -> tuple[float, float, float]:
    hit = len(found & want)
    precision = hit / len(found) if found else 1.0
    recall = hit / len(want) if want else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def linked_pairs(run: Run) -> set[tuple[str, str]]:
    """The pairs a run scored at probability >= :data:`THRESHOLD`, each sorted."""
    if run.pairs.empty:
        return set()
    kept = run.pairs[run.pairs["probability"] >= THRESHOLD]
    return {
        (a, b) if a < b else (b, a)
        for a, b in zip(kept["left_id"].astype(str), kept["right_id"].astype(str), strict=True)
    }
