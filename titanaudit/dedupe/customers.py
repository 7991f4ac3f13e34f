"""Duplicate customers of a tenant: the whole engine over its customers' frames.

:func:`dedupe_customers` compares customers on their names, all their addresses (bill-to and
every location), and every phone and e-mail on them and their locations. Records people already
merged in ServiceTitan (``mergedToId``) are known matches that seed the model; they are scored
but never proposed again as open duplicates, and never kept.
"""

from __future__ import annotations

from collections.abc import Collection

from titanaudit.dedupe.engine import DedupeResult, Stage, run_engine
from titanaudit.dedupe.entities import CustomerValues
from titanaudit.defaults import MATCH_THRESHOLD
from titanaudit.frames import Frames

__all__ = ["NORMALISING", "dedupe_customers"]

#: the stage that parses the customers' values (:class:`~titanaudit.dedupe.entities.CustomerValues`)
NORMALISING = "normalising names, addresses, phones and e-mails"


def dedupe_customers(
    frames: Frames,
    *,
    threshold: float = MATCH_THRESHOLD,
    apart: Collection[tuple[int, int]] = (),
    protected: Collection[int] = (),
    keep: Collection[int] = (),
    progress: Stage | None = None,
    values: CustomerValues | None = None,
) -> DedupeResult:
    """Open duplicate clusters among the active customers of ``frames``
    (:func:`titanaudit.frames.read_frames`), every scored pair, and
    the household candidates among them. Reviewers' decisions (:mod:`titanaudit.decisions`):
    ``apart`` pairs (lower id first) are never clustered together, ``protected`` customers
    never clustered, ``keep`` customers kept in their clusters. ``values`` is the customers'
    parse (:class:`~titanaudit.dedupe.entities.CustomerValues`) where the caller has it."""
    customers = frames.customers
    if values is None:
        if progress:
            progress(NORMALISING)
        values = CustomerValues.parse(customers, frames.locations, frames.contacts)
    long = values.of()
    merged = customers.dropna(subset=["merged_to_id"])
    into = dict(
        zip(merged["id"].astype("int64"), merged["merged_to_id"].astype("int64"), strict=True)
    )
    active = customers.loc[customers["active"].fillna(False).astype(bool), "id"].astype("int64")
    active = active[~active.isin(list(protected))]
    placeholder = long.drop_duplicates("record").set_index("record")["name_placeholder"]
    records = customers.set_index("id")[["active", "do_not_service", "created_on"]].assign(
        placeholder=placeholder
    )
    records["preferred"] = records.index.isin(list(keep))
    return run_engine(
        long,
        records=records,
        merged_into=into,
        eligible=set(active),
        threshold=threshold,
        apart=apart,
        progress=progress,
    )
