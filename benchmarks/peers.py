"""Run a peer record-linkage library on a benchmark table, configured as its own examples do.

Runs in the peers' own environment (``make peers`` builds ``.venv-peers`` with Splink and
recordlinkage; they pin an older pandas than titanaudit's), not in titanaudit's:

    .venv-peers/bin/python benchmarks/peers.py splink TABLE.csv OUTDIR

TABLE.csv has an ``id`` column and any of the benchmark fields (``first_name``, ``last_name``,
``name``, ``street``, ``address_2``, ``city``, ``state``, ``zip``, ``phone``, ``email``); a field
that is blank throughout is left out. Writes ``OUTDIR/pairs.csv`` (``left_id``, ``right_id``,
``probability``: every pair the library scored) and ``OUTDIR/clusters.csv`` (``id``,
``cluster_id``).

- **Splink** (DuckDB backend) as its README's quick-start: Jaro-Winkler and Jaro at 0.9/0.7 for
  names, exact match with term-frequency adjustment for places, ``EmailComparison`` for e-mail;
  probability two random records match from deterministic name rules at recall 0.7; ``u`` from
  1e6 random pairs; ``m`` by two rounds of EM on different blocking rules; predictions at match
  weight > -10; clusters at probability 0.95, the README's threshold.
- **recordlinkage** as its FEBRL deduplication example: blocking index, Jaro-Winkler at 0.85 for
  names and streets, exact for the rest, the unsupervised ``ECMClassifier``; clusters are the
  connected components of its matches (the library has no clustering).

Blocking is the same for both: exact on phone, on e-mail, on first and last name, on last name and
ZIP (or city), on the full name, on street and ZIP (or city); on tables under 20,000 rows also on
each name field alone, as Splink's quick-start does.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from components import components

FIELDS = (
    "first_name",
    "last_name",
    "name",
    "street",
    "address_2",
    "city",
    "state",
    "zip",
    "phone",
    "email",
)
SMALL = 20_000


def read_table(path: Path) -> tuple[pd.DataFrame, list[str]]:
    table = pd.read_csv(path, dtype=str, keep_default_na=False).replace("", None)
    present = [f for f in FIELDS if f in table.columns and table[f].notna().any()]
    return table[["id", *present]], present


def blocking_keys(present: list[str], rows: int) -> list[list[str]]:
    place = "zip" if "zip" in present else "city" if "city" in present else None
    keys: list[list[str]] = [[f] for f in ("phone", "email") if f in present]
    if {"first_name", "last_name"} <= set(present):
        keys.append(["first_name", "last_name"])
    if "last_name" in present and place:
        keys.append(["last_name", place])
    if "name" in present:
        keys.append(["name"])
    if "street" in present and place:
        keys.append(["street", place])
    if rows < SMALL:
        keys += [[f] for f in ("first_name", "last_name") if f in present]
    return keys


def run_splink(table: pd.DataFrame, present: list[str], out: Path) -> None:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    comparisons = {
        "first_name": lambda: cl.JaroWinklerAtThresholds("first_name", [0.9, 0.7]),
        "last_name": lambda: cl.JaroAtThresholds("last_name", [0.9, 0.7]),
        "name": lambda: cl.JaroWinklerAtThresholds("name", [0.9, 0.7]),
        "street": lambda: cl.JaroWinklerAtThresholds("street", [0.9, 0.7]),
        "address_2": lambda: cl.JaroWinklerAtThresholds("address_2", [0.9, 0.7]),
        "city": lambda: cl.ExactMatch("city").configure(term_frequency_adjustments=True),
        "state": lambda: cl.ExactMatch("state"),
        "zip": lambda: cl.ExactMatch("zip").configure(term_frequency_adjustments=True),
        "phone": lambda: cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
        "email": lambda: cl.EmailComparison("email"),
    }
    db_api = DuckDBAPI()
    frame = db_api.register(table.rename(columns={"id": "unique_id"}), dataset_display_name="t")
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[comparisons[f]() for f in present],
        blocking_rules_to_generate_predictions=[
            block_on(*k) for k in blocking_keys(present, len(table))
        ],
    )
    linker = Linker(frame, settings, log_level=None)
    names = ["first_name", "last_name"] if "first_name" in present else ["name"]
    names = [f for f in names if f in present] or [present[0]]
    linker.training.estimate_probability_two_random_records_match([block_on(*names)], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on(*names))
    other = next(f for f in ("phone", "email", "street", "zip", "city", *present) if f in present)
    if other in names:
        other = next(f for f in present if f not in names)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on(other))
    predictions = linker.inference.predict(threshold_match_weight=-10)
    pairs = predictions.as_pandas_dataframe()[["unique_id_l", "unique_id_r", "match_probability"]]
    pairs.columns = ["left_id", "right_id", "probability"]
    pairs.to_csv(out / "pairs.csv", index=False)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
    clustered = clusters.as_pandas_dataframe()[["unique_id", "cluster_id"]]
    clustered.columns = ["id", "cluster_id"]
    clustered.to_csv(out / "clusters.csv", index=False)


def run_recordlinkage(table: pd.DataFrame, present: list[str], out: Path) -> None:
    import recordlinkage

    frame = table.set_index("id")
    indexer = recordlinkage.Index()
    for key in blocking_keys(present, len(table)):
        indexer.block(key)
    candidates = indexer.index(frame)
    compare = recordlinkage.Compare()
    for field in present:
        if field in ("first_name", "last_name", "name", "street", "address_2"):
            compare.string(field, field, method="jarowinkler", threshold=0.85, label=field)
        else:
            compare.exact(field, field, label=field)
    features = compare.compute(candidates, frame)
    ecm = recordlinkage.ECMClassifier()
    ecm.fit(features)
    probability = ecm.prob(features)
    pairs = pd.DataFrame(
        {
            "left_id": features.index.get_level_values(0),
            "right_id": features.index.get_level_values(1),
            "probability": probability.to_numpy(),
        }
    )
    pairs.to_csv(out / "pairs.csv", index=False)
    linked = pairs[pairs["probability"] >= 0.5]
    groups = components(zip(linked["left_id"], linked["right_id"], strict=True))
    pd.DataFrame([(i, g[0]) for g in groups for i in g], columns=["id", "cluster_id"]).to_csv(
        out / "clusters.csv", index=False
    )


def main() -> None:
    tool, path, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    table, present = read_table(path)
    out.mkdir(parents=True, exist_ok=True)
    {"splink": run_splink, "recordlinkage": run_recordlinkage}[tool](table, present, out)


if __name__ == "__main__":
    main()
