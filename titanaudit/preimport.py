"""The pre-import check: which rows of a file already exist in the tenant, which repeat each
other, which are new.

Each row of the file is put beside the tenant's customers (every customer not merged away, with
all its locations' addresses and all its phones and e-mails) in the matching engine's long frame,
blocked with the customers' rules and compared field by field, so a row with only a phone finds
its customer as a second customer record would. The model is fitted on these pairs (the rows
against the customers and against each other) as the audit fits it on a tenant: from the data
itself, without labels. Then, per row:

- the best matching customer, its probability and the evidence in words, and of that
  customer's locations the one at the row's address (none: a new address for the customer);
- the earlier rows of the file it repeats (pairs at 0.5 or more, clustered as the audit does);
- a decision: ``existing`` (probability ``existing_at`` or more: skip it, or update the
  customer), ``review`` (between ``review_from`` and ``existing_at``; a household member of a
  customer; a row that could not be read whole or has nothing to match on; rows of one person
  that match different customers), or ``new``. Repeats of a row take its decision: a repeat of
  an existing customer's row is existing too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz

from titanaudit.dedupe.any_table import recognise_columns, values_of
from titanaudit.dedupe.cluster import Judge, cluster_pairs
from titanaudit.dedupe.entities import customer_values
from titanaudit.dedupe.explain import explain_pairs
from titanaudit.dedupe.pipeline import clear_against, household_pairs, score_candidates
from titanaudit.defaults import EXISTING_AT, MATCH_THRESHOLD, REVIEW_FROM
from titanaudit.errors import ConfigError
from titanaudit.fields.addresses import address_frame
from titanaudit.frames import Frames, read_frames
from titanaudit.servicetitan.links import customer_url, location_url
from titanaudit.store import Snapshot, open_snapshot
from titanaudit.tables import Table, read_table

__all__ = [
    "CHECK_COLUMNS",
    "EXIT_REVIEW",
    "ImportCheck",
    "check_import",
    "check_table",
    "run_check",
]

#: the columns ``checked.csv`` adds after the input's own (ARCHITECTURE.md; add at the end only)
CHECK_COLUMNS = [
    "decision",
    "customer_id",
    "location_id",
    "probability",
    "duplicate_of_row",
    "explanation",
    "customer_name",
    "customer_address",
    "customer_url",
    "location_url",
    "row",
    "line",
    "problem",
    "location_address",
]
#: ``titanaudit check-import`` exits with this when rows need review (0: none do)
EXIT_REVIEW = 10
MATCHABLE = {
    "name",
    "first_name",
    "last_name",
    "company",
    "street",
    "house_number",
    "street_name",
    "phone",
    "email",
}
REPEAT_AT = MATCH_THRESHOLD  # rows of the file at this probability or more are one person


@dataclass
class ImportCheck:
    """The check of one file. ``checked``: the input's rows and columns as they came, plus
    :data:`CHECK_COLUMNS` (a column the input already has under one of those names gets a
    ``titanaudit_`` prefix); ``ready``: the ``new`` rows, one per person, the input's columns
    only; ``columns``: which input columns fed which field; ``summary``: the counts."""

    checked: pd.DataFrame
    ready: pd.DataFrame
    columns: dict[str, list[str]]
    summary: dict[str, Any]
    header: list[str] = field(default_factory=list)  # the input's header exactly as it came
    added: list[str] = field(default_factory=list)  # the names CHECK_COLUMNS took

    def summary_line(self, source: str, ready: Path) -> str:
        """The check in one sentence, as ``titanaudit check-import`` prints it: how the file was
        read (``source``), the decisions, and where the ``ready`` rows were written."""
        summary, d = self.summary, self.summary["decisions"]
        return (
            f"{summary['rows']:,} rows ({source}): {d['new']:,} new, {d['existing']:,} already in "
            f"ServiceTitan, {d['review']:,} to review; {summary['repeated_rows']:,} repeat an "
            f"earlier row; {summary['ready']:,} ready to import in {ready}"
        )

    @property
    def needs_review(self) -> bool:
        return bool(self.summary["decisions"].get("review", 0))

    def _repr_html_(self) -> str:
        from titanaudit.display import html_summary

        d = self.summary["decisions"]
        return html_summary(
            "Pre-import check",
            [
                ("rows", self.summary["rows"]),
                ("new", d["new"]),
                ("already in ServiceTitan", d["existing"]),
                ("to review", d["review"]),
                ("repeat an earlier row", self.summary["repeated_rows"]),
                ("ready to import", len(self.ready)),
            ],
        )

    def __repr__(self) -> str:
        d = self.summary["decisions"]
        return (
            f"ImportCheck({self.summary['rows']:,} rows: {d.get('new', 0):,} new, "
            f"{d.get('existing', 0):,} existing, {d.get('review', 0):,} to review; "
            f"{len(self.ready):,} ready to import)"
        )


def _zip_fixed(frame: pd.DataFrame, columns: dict[str, list[str]]) -> pd.DataFrame:
    """ZIP codes a spreadsheet stored as numbers ("2134") get their leading zeros back."""
    if "zip" not in columns:
        return frame
    fixed = frame.copy()
    for column in columns["zip"]:
        values = fixed[column].astype("string")
        short = values.str.fullmatch(r"\d{3,4}").fillna(False).to_numpy(dtype=bool)
        fixed.loc[short, column] = values[short].str.zfill(5).to_numpy()
    return fixed


def _customers(frames: Frames) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Customers not merged away, with their locations and contacts."""
    customers = frames.customers[frames.customers["merged_to_id"].isna()]
    locations = frames.locations[frames.locations["customer_id"].isin(customers["id"])]
    return customers, locations, frames.contacts


#: the probability that two customers are one person (for rows of one person that match two)
SamePerson = Callable[[int, int], float]


def _never(_a: int, _b: int) -> float:
    return 0.0


def _scored(
    long: pd.DataFrame, progress: Callable[[str], None]
) -> tuple[pd.DataFrame, SamePerson, Judge | None]:
    """Every candidate pair with a row in it (``left`` a row: record numbers of rows are
    negative), scored; and the model's judgement of any two customers."""
    candidates = score_candidates(
        long,
        keep=lambda pairs: pairs["left"] < 0,  # the file's rows are numbered from -1
        blocks_with=lambda records: records < 0,
        progress=progress,
        records="rows and customers",
    )
    if candidates.pairs.empty:
        return (
            pd.DataFrame(columns=["left", "right", "probability", "match_weight", "evidence"]),
            _never,
            None,
        )
    scored = candidates.pairs
    scored["household"] = household_pairs(scored).to_numpy()

    def same_person(a: int, b: int) -> float:
        judged = candidates.rescore(np.array([min(a, b)]), np.array([max(a, b)]))
        return float(judged["probability"].iloc[0]) if not household_pairs(judged).iloc[0] else 0.0

    return scored, same_person, candidates.judge


def _best_customers(
    scored: pd.DataFrame, review_from: float, existing_at: float, active: pd.Series
) -> pd.DataFrame:
    """Per row (``left``): its best customer (``right``, ``probability``, ``evidence``; an active
    customer before an inactive one when both are sure matches: a deactivated duplicate is the
    same person, the active record the one to use) and its best household pair's customer
    (``household_of``, and that pair's ``household_probability``)."""
    with_customers = scored[scored["right"] > 0]
    worth = with_customers[
        (with_customers["probability"] >= review_from) & ~with_customers["household"]
    ]
    sure = worth["right"].map(active).fillna(False).astype(bool) & (
        worth["probability"] >= existing_at
    )
    best = worth.assign(sure=sure).sort_values(
        ["left", "sure", "probability"], ascending=[True, False, False]
    )
    best = best.drop_duplicates("left")
    best = best.assign(evidence=explain_pairs(best) if len(best) else pd.Series(dtype=object))
    homes = with_customers[with_customers["household"]]
    homes = homes.sort_values(["left", "probability"], ascending=[True, False]).drop_duplicates(
        "left"
    )
    out = best.set_index("left")[["right", "probability", "evidence"]]
    homes = homes.set_index("left")[["right", "probability"]]
    return out.join(
        homes.rename(columns={"right": "household_of", "probability": "household_probability"}),
        how="outer",
    )


def _repeats(scored: pd.DataFrame, judge: Judge | None) -> pd.Series:
    """Per row (``record``, negative): its cluster id among the file's rows, clustered as the
    engine clusters (every pair of a group judged: rows cannot chain through a hub)."""
    rows = scored[(scored["right"] < 0) & ~scored["household"]]
    if rows.empty:
        return pd.Series(dtype="int64")
    pairs = rows[["left", "right", "probability"]].assign(against=clear_against(rows))
    clusters = cluster_pairs(pairs, threshold=REPEAT_AT, judge=judge)
    return clusters.set_index("record")["cluster_id"]


def _location_ids(
    rows_long: pd.DataFrame, matched: pd.Series, locations: pd.DataFrame
) -> pd.Series:
    """Per row number with a customer: that customer's location at the row's address (the same
    address with its unit, else the same street address, else the same house number in the
    area on a street spelt alike)."""
    if matched.empty or locations.empty:
        return pd.Series(dtype="Int64")
    theirs = locations[locations["customer_id"].isin(matched.to_numpy())]
    places = address_frame(
        theirs["street"], theirs["unit"], theirs["city"], theirs["state"], theirs["zip"]
    )
    places = places.assign(
        location_id=theirs["id"].to_numpy(), customer_id=theirs["customer_id"].to_numpy()
    )
    mine = rows_long.drop_duplicates("record").set_index("record")
    mine = mine.loc[mine.index.intersection(matched.index)].assign(customer_id=matched)
    mine = mine.rename_axis("record").reset_index()
    found: list[pd.DataFrame] = []
    left = mine
    for keys in (["customer_id", "address_key"], ["customer_id", "street_key"]):
        same = left.dropna(subset=keys).merge(
            places.dropna(subset=keys)[[*keys, "location_id"]], on=keys
        )
        found.append(same[["record", "location_id"]])
        left = left[~left["record"].isin(same["record"])]
    keys = ["customer_id", "house_number", "area"]
    near = left.dropna(subset=keys).merge(
        places.dropna(subset=keys)[[*keys, "street_name", "location_id"]],
        on=keys,
        suffixes=("", "_theirs"),
    )
    alike = [
        pd.notna(a) and pd.notna(b) and fuzz.ratio(str(a), str(b)) >= 80
        for a, b in zip(near["street_name"], near["street_name_theirs"], strict=True)
    ]
    found.append(near.loc[alike, ["record", "location_id"]])
    every = pd.concat(found, ignore_index=True).drop_duplicates("record")
    return pd.Series(
        every["location_id"].to_numpy(), index=every["record"].to_numpy(), dtype="Int64"
    )


def check_table(
    table: Table,
    *,
    frames: Frames | None = None,
    mapping: Mapping[str, str | Sequence[str]] | None = None,
    existing_at: float = EXISTING_AT,
    review_from: float = REVIEW_FROM,
    ui_url: str | None = None,
    progress: Callable[[str], None] | None = None,
    name: str = "the file",
) -> ImportCheck:
    """Check a table read by :func:`~titanaudit.tables.read_table` (see the module docstring).
    ``frames`` are the tenant's (:func:`titanaudit.frames.read_frames`); without them the rows
    are checked against each other only."""
    if not 0 < review_from <= existing_at <= 1:
        raise ConfigError("the thresholds must be 0 < review-from <= existing-at <= 1")
    stage = progress or (lambda _: None)
    frame = table.frame
    columns = recognise_columns([str(c) for c in frame.columns], mapping)
    if not set(columns) & MATCHABLE:
        raise ConfigError(
            f"{name}: no name, phone, e-mail or address column recognised among "
            f"{', '.join(map(str, frame.columns))}; name them with --map FIELD=COLUMN "
            "(e.g. --map name=Client --map phone=Cell)"
        )
    stage(f"normalising {len(frame):,} rows")
    rows_long = values_of(_zip_fixed(frame, columns).reset_index(drop=True), columns)
    rows_long["record"] = -(rows_long["record"].astype("int64") + 1)
    pieces = [rows_long]
    customers = locations = None
    if frames is not None:
        customers, locations, contacts = _customers(frames)
        if len(customers):
            pieces.append(customer_values(customers, locations, contacts))
    long = pd.concat(pieces, ignore_index=True)
    scored, same_person, judge = _scored(long, stage)
    stage("deciding")
    active = (
        customers.set_index("id")["active"].fillna(False).astype(bool)
        if customers is not None
        else pd.Series(dtype=bool)
    )
    best = (
        _best_customers(scored, review_from, existing_at, active)
        if len(scored)
        else pd.DataFrame(
            columns=["right", "probability", "evidence", "household_of", "household_probability"]
        )
    )
    repeats = _repeats(scored, judge) if len(scored) else pd.Series(dtype="int64")
    matched = best["right"].dropna().astype("int64")  # only customers at review_from or above
    places = (
        _location_ids(rows_long, matched, locations)
        if locations is not None
        else pd.Series(dtype="Int64")
    )
    checked = _decide(
        table, rows_long, best, repeats, places, existing_at, review_from, same_person
    )
    _describe(checked, customers, locations, ui_url)
    return _finish(table, checked, columns)


def _decide(
    table: Table,
    rows_long: pd.DataFrame,
    best: pd.DataFrame,
    repeats: pd.Series,
    places: pd.Series,
    existing_at: float,
    review_from: float,
    same_person: SamePerson,
) -> pd.DataFrame:
    n = len(table.frame)
    record = -(np.arange(n, dtype="int64") + 1)
    found = best.reindex(record)
    probability = found["probability"].astype(float).to_numpy(copy=True)
    customer = np.array([None if pd.isna(c) else int(c) for c in found["right"]], dtype=object)
    decision = np.where(
        probability >= existing_at,
        "existing",
        np.where(probability >= review_from, "review", "new"),
    ).astype(object)
    explanation = found["evidence"].fillna("").astype(str).to_numpy(dtype=object, copy=True)
    problem = np.array([table.problems.get(i, "") for i in range(n)], dtype=object)
    household = found["household_of"].astype("Int64")
    homely = (decision == "new") & household.notna().to_numpy()
    decision[homely] = "review"
    customer[homely] = [int(h) for h in household[homely]]  # shown beside the row, to compare
    probability[homely] = found["household_probability"].astype(float).to_numpy()[homely]
    explanation[homely] = [
        f"same household as customer {h}: a new customer, or a contact on that customer's account?"
        for h in household[homely]
    ]
    matchable = rows_long.reindex(
        columns=["record", "name_norm", "phone", "email", "street_key", "house_number"]
    )
    usable = matchable.drop(columns="record").notna().any(axis=1)
    nothing = ~pd.Series(record).isin(matchable.loc[usable, "record"]).to_numpy()
    problem[nothing & (problem == "")] = "nothing to match on: no name, phone, e-mail or address"
    decision[problem != ""] = "review"
    cluster = repeats.reindex(record).to_numpy()
    duplicate_of = [""] * n
    for members in pd.Series(record).groupby(cluster).groups.values():
        rows = sorted((-record[list(members)]).tolist())  # 1-based row numbers, in file order
        positions = [r - 1 for r in rows]
        theirs = {int(customer[p]) for p in positions if decision[p] == "existing"}
        if len(theirs) > 1 and all(
            same_person(a, b) >= existing_at for a in theirs for b in theirs if a < b
        ):
            # the customers are one person entered twice in ServiceTitan: the rows are that person
            strongest = max(
                (q for q in positions if decision[q] == "existing"), key=lambda q: probability[q]
            )
            for q in positions:
                if decision[q] == "existing" and customer[q] != customer[strongest]:
                    explanation[q] += (
                        f"; customers {', '.join(map(str, sorted(theirs)))} look like one "
                        "person entered twice: merge them in ServiceTitan"
                    )
            theirs = {int(customer[strongest])}
        for k, p in enumerate(positions):
            duplicate_of[p] = "; ".join(map(str, rows[:k]))
            if len(theirs) > 1:
                decision[p] = "review"
                explanation[p] = "rows of one person match different customers: " + ", ".join(
                    map(str, sorted(theirs))
                )
            elif theirs and decision[p] == "new":
                first = next(
                    q for q in positions if decision[q] == "existing" and customer[q] in theirs
                )
                decision[p], customer[p] = "existing", customer[first]
                probability[p] = probability[first]
                explanation[p] = f"repeats row {first + 1}, which is customer {customer[first]}"
            elif (
                not theirs
                and decision[p] == "new"
                and any(decision[q] == "review" for q in positions)
            ):
                decision[p] = "review"
                looked = [q for q in positions if decision[q] == "review" and q != p]
                explanation[p] = "repeats a row that needs a look: " + ", ".join(
                    str(q + 1) for q in looked
                )
                best = max(looked, key=lambda q: np.nan_to_num(probability[q], nan=-1.0))
                if not np.isnan(probability[best]):  # the reviewed row's candidate is this one's
                    probability[p], customer[p] = probability[best], customer[best]
    keep = decision != "new"
    location = places.reindex(record).astype("Int64").where(keep)
    customer[~keep] = None
    return pd.DataFrame(
        {
            "decision": decision,
            "customer_id": pd.array(customer, dtype="Int64"),
            "location_id": location.to_numpy(),
            "probability": np.where(np.isnan(probability), np.nan, np.round(probability, 4)),
            "duplicate_of_row": duplicate_of,
            "explanation": explanation,
            "row": np.arange(1, n + 1),
            "line": table.lines,
            "problem": problem,
        }
    )


def _one_line(records: pd.DataFrame) -> pd.Series:
    """Each record's address on one line, indexed by id."""
    parts = [
        records[c].astype("string").fillna("") for c in ("street", "unit", "city", "state", "zip")
    ]
    line = parts[0]
    for part in parts[1:]:
        line = line.str.cat(part, sep=" ")
    return pd.Series(line.str.split().str.join(" ").to_numpy(), index=records["id"].to_numpy())


def _describe(
    checked: pd.DataFrame,
    customers: pd.DataFrame | None,
    locations: pd.DataFrame | None,
    ui_url: str | None,
) -> None:
    """The matched customers' names, bill-to addresses and links, and their locations'."""
    ids, places = checked["customer_id"], checked["location_id"]
    if customers is None or locations is None or ids.isna().all():
        for column in (
            "customer_name",
            "customer_address",
            "customer_url",
            "location_url",
            "location_address",
        ):
            checked[column] = ""
        return
    known = ids.notna()
    checked["customer_name"] = (
        ids.map(customers.set_index("id")["name"]).where(known, "").fillna("")
    )
    checked["customer_address"] = ids.map(_one_line(customers)).where(known, "").fillna("")
    checked["customer_url"] = [customer_url(int(i), ui_url) if pd.notna(i) else "" for i in ids]
    checked["location_url"] = [location_url(int(i), ui_url) if pd.notna(i) else "" for i in places]
    theirs = locations[locations["id"].isin(places.dropna().astype("int64"))]
    checked["location_address"] = places.map(_one_line(theirs)).where(places.notna(), "").fillna("")


def _finish(table: Table, checked: pd.DataFrame, columns: dict[str, list[str]]) -> ImportCheck:
    frame = table.frame.reset_index(drop=True)
    added = [f"titanaudit_{c}" if c in frame.columns else c for c in CHECK_COLUMNS]
    out = pd.concat([frame, checked[CHECK_COLUMNS].set_axis(added, axis=1)], axis=1)
    decision = checked["decision"]
    # one row per person: of the new rows that repeat each other, the first
    first_of_person = checked["duplicate_of_row"] == ""
    ready = frame[(decision == "new").to_numpy() & first_of_person.to_numpy()]
    counts = decision.value_counts()
    summary = {
        "rows": len(frame),
        "decisions": {d: int(counts.get(d, 0)) for d in ("new", "existing", "review")},
        "ready": len(ready),
        "repeated_rows": int((checked["duplicate_of_row"] != "").sum()),
        "unreadable_rows": len(table.problems),
        "existing_without_location": int(
            ((decision == "existing") & checked["location_id"].isna()).sum()
        ),
        "columns": columns,
        "source": table.source,
    }
    return ImportCheck(out, ready, columns, summary, header=list(table.header), added=added)


def check_import(
    df_or_path: pd.DataFrame | str | Path,
    snapshot: Snapshot | str | Path | None = None,
    *,
    mapping: Mapping[str, str | Sequence[str]] | None = None,
    sheet: str | None = None,
    existing_at: float = EXISTING_AT,
    review_from: float = REVIEW_FROM,
    ui_url: str | None = None,
) -> pd.DataFrame:
    """Check rows before importing them: a DataFrame, or a ``.csv`` / ``.xlsx`` file, against a
    snapshot (an open one or its file; without one the rows are checked against each other).
    Returns the annotated frame: the rows as they came plus :data:`CHECK_COLUMNS`."""
    return run_check(
        df_or_path,
        snapshot,
        mapping=mapping,
        sheet=sheet,
        existing_at=existing_at,
        review_from=review_from,
        ui_url=ui_url,
    ).checked


def run_check(
    source: pd.DataFrame | str | Path,
    snapshot: Snapshot | str | Path | None = None,
    *,
    mapping: Mapping[str, str | Sequence[str]] | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    existing_at: float = EXISTING_AT,
    review_from: float = REVIEW_FROM,
    ui_url: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ImportCheck:
    """:func:`check_import`, returning the whole :class:`ImportCheck`."""
    if isinstance(source, pd.DataFrame):
        frame = (
            source.astype("string")
            .astype(object)
            .where(source.notna(), None)
            .reset_index(drop=True)
        )
        table = Table(
            frame,
            [str(c) for c in source.columns],
            list(range(2, len(source) + 2)),
            {},
            "a DataFrame",
        )
        label = "the DataFrame"
    else:
        table, label = read_table(Path(source), sheet=sheet, encoding=encoding), str(source)
    options: dict[str, Any] = {
        "mapping": mapping,
        "existing_at": existing_at,
        "review_from": review_from,
        "ui_url": ui_url,
        "progress": progress,
        "name": label,
    }
    if snapshot is None:
        return check_table(table, **options)
    if progress:
        progress("reading the tenant's customers")
    if isinstance(snapshot, Snapshot):
        return check_table(table, frames=read_frames(snapshot), **options)
    with open_snapshot(snapshot, fetched=True) as opened:
        frames = read_frames(opened)
    return check_table(table, frames=frames, **options)
