"""The records of a comparison, prepared once: each field's values coded as integers, the
value sets each record holds, and how many distinct records share each value.

:class:`Prepared` turns the long table of normalised values (one row per record and value, from
:func:`~titanaudit.dedupe.entities.customer_values`) into arrays the comparisons index by record
number, so comparing millions of candidate pairs is array work, not row-by-row Python.
:func:`hub_degrees` counts, for each record, the other records it shares a private value with: a
hub (a placeholder customer holding past owners' phones) shares with many.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import process

__all__ = [
    "PLACES_PER_RECORD",
    "PLACE_COLUMNS",
    "PRIVATE_HOLDERS",
    "Coded",
    "Prepared",
    "ValueSets",
    "hub_degrees",
]

PLACE_COLUMNS = ("zip5", "city", "house_number", "street_name")


def similarity(
    left: pd.Series | np.ndarray,
    right: pd.Series | np.ndarray,
    scorer: Any,
    known: np.ndarray | None = None,
) -> np.ndarray:
    """Pairwise similarity of two aligned string columns (0 where either is missing). ``known``
    (both present) may be passed in when the caller already has it."""
    lefts = left.to_numpy(dtype=object) if isinstance(left, pd.Series) else left
    rights = right.to_numpy(dtype=object) if isinstance(right, pd.Series) else right
    if known is None:
        known = ~(pd.isna(lefts) | pd.isna(rights))
    out = np.zeros(len(lefts), dtype="float64")
    if known.any():
        out[known] = process.cpdist(
            lefts[known].tolist(), rights[known].tolist(), scorer=scorer, workers=-1
        )
    return out


class Coded:
    """One text column as integer codes (``-1`` missing) into its distinct values, so equality
    is an integer comparison and a similarity is computed once per distinct pair of values: a
    tenant repeats its given names, surnames, streets and ZIPs thousands of times."""

    def __init__(self, values: pd.Series | np.ndarray) -> None:
        codes, found = pd.factorize(np.asarray(values, dtype=object))
        self.codes: np.ndarray = codes.astype("int64")
        self.uniques: np.ndarray = np.asarray(found, dtype=object)
        self.lengths = np.fromiter(
            (len(str(u)) for u in self.uniques), dtype="int64", count=len(self.uniques)
        )

    def take(self, rows: np.ndarray) -> np.ndarray:
        codes: np.ndarray = self.codes[rows]
        return codes

    def length(self, codes: np.ndarray) -> np.ndarray:
        """Lengths of the values (0 for missing)."""
        return (
            np.where(codes >= 0, self.lengths[np.maximum(codes, 0)], 0)
            if len(self.lengths)
            else np.zeros(len(codes), dtype="int64")
        )

    def similarity(
        self, left: np.ndarray, right: np.ndarray, scorer: Any, where: np.ndarray | None = None
    ) -> np.ndarray:
        """``scorer`` of each pair of codes (a symmetric one), once per distinct pair; 0 where
        either is missing or ``where`` is False."""
        known = (left >= 0) & (right >= 0)
        if where is not None:
            known &= where
        out = np.zeros(len(left), dtype="float64")
        if not known.any():
            return out
        low, high = np.minimum(left[known], right[known]), np.maximum(left[known], right[known])
        pair_codes, distinct = pd.factorize(low * len(self.uniques) + high)
        a = self.uniques[distinct // len(self.uniques)].tolist()
        b = self.uniques[distinct % len(self.uniques)].tolist()
        out[known] = np.asarray(process.cpdist(a, b, scorer=scorer, workers=-1))[pair_codes]
        return out


def expand(offsets: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For records ``rows`` (positions in a table grouped by record, ``offsets`` its CSR
    starts), every (index into ``rows``, position in the table) of their entries."""
    start = offsets[rows]
    count = offsets[rows + 1] - start
    owner = np.repeat(np.arange(len(rows)), count)
    begin = np.cumsum(count) - count
    position = np.arange(int(count.sum())) - np.repeat(begin - start, count)
    return owner, position


class Entries:
    """Rows of a per-record table grouped by record (dense record numbers), with CSR offsets."""

    def __init__(self, dense: np.ndarray, count: int) -> None:
        self.order = np.argsort(dense, kind="stable")
        self.offsets = np.searchsorted(dense[self.order], np.arange(count + 1))

    def has(self, rows: np.ndarray) -> np.ndarray:
        present: np.ndarray = self.offsets[rows + 1] > self.offsets[rows]
        return present

    def cross(
        self, left: np.ndarray, right: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every entry of the left record against every entry of the right: (pair index, left
        entry, right entry), entries as positions in the original table."""
        owner, at_l = expand(self.offsets, left)
        inner, at_r = expand(self.offsets, right[owner])
        return owner[inner], self.order[at_l[inner]], self.order[at_r]


class ValueSets:
    """Each record's distinct values of one column, for "do two records share a value?" as
    sorted integer keys (a binary search per value, not a join of frames)."""

    def __init__(self, dense: np.ndarray, values: pd.Series, records: int) -> None:
        present = values.notna().to_numpy()
        codes, uniques = pd.factorize(values[present].to_numpy(dtype=object))
        self.size = max(len(uniques), 1)
        keys = np.unique(dense[present] * self.size + codes)
        self.keys = keys
        self.codes = keys % self.size
        self.offsets = np.searchsorted(keys // self.size, np.arange(records + 1))
        self.freq = np.bincount(self.codes, minlength=self.size)

    def shared(
        self, left: np.ndarray, right: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per pair: both have values, they share one, the lowest frequency among shared ones."""
        has = self.offsets[1:] > self.offsets[:-1]
        both = has[left] & has[right]
        owner, at = expand(self.offsets, left)
        wanted = right[owner] * self.size + self.codes[at]
        found = np.searchsorted(self.keys, wanted)
        hit = (
            self.keys[np.minimum(found, len(self.keys) - 1)] == wanted
            if len(self.keys)
            else np.zeros(len(wanted), dtype=bool)
        )
        shared = np.zeros(len(left), dtype=bool)
        shared[owner[hit]] = True
        lowest = np.full(len(left), np.iinfo("int64").max, dtype="int64")
        np.minimum.at(lowest, owner[hit], self.freq[self.codes[at[hit]]])
        return both, shared, np.where(shared, lowest, 0)


#: A value held by at most this many records is private (a person's own mobile, e-mail, home);
#: a record that shares private values with many different records is a hub (a "New Homeowner"
#: placeholder holding the contacts of each home's past owners, a property manager's sites):
#: what it shares says little about any one of them. More widely held values are term
#: frequency's business (``phone_freq``).
PRIVATE_HOLDERS = 3


def rarity(codes: np.ndarray) -> np.ndarray:
    """Term frequency, per record: ``log2(typical / f)`` bits for a value held by ``f`` records,
    where typical is the frequency-weighted mean frequency (what "two records agree" means by
    chance). A name held by one record in ten thousand says more than one held by fifty;
    missing values say nothing (0)."""
    known = codes >= 0
    out = np.zeros(len(codes), dtype="float64")
    if not known.any():
        return out
    counts = np.bincount(codes[known])
    held = counts[codes[known]].astype("float64")
    typical = float((counts.astype("float64") ** 2).sum() / counts.sum())
    out[known] = np.log2(typical / held)
    return out


def hub_degrees(sets: dict[str, ValueSets], records: int) -> np.ndarray:
    """For each record (dense), how many other records it shares a private value with."""
    ends: list[np.ndarray] = []
    for values in sets.values():
        record, code = values.keys // values.size, values.keys % values.size
        private = (values.freq[code] >= 2) & (values.freq[code] <= PRIVATE_HOLDERS)
        held = pd.DataFrame({"record": record[private], "code": code[private]})
        both = held.merge(held, on="code")
        both = both[both["record_x"] != both["record_y"]]
        ends.append(both["record_x"].to_numpy() * records + both["record_y"].to_numpy())
    if not ends:
        return np.zeros(records, dtype="int64")
    partners = np.unique(np.concatenate(ends))
    return np.bincount(partners // max(records, 1), minlength=records).astype("int64")


#: The most places of one record compared one by one (a property manager's 500 sites are
#: still matched exactly, through the address keys, but not each against each).
PLACES_PER_RECORD = 25


class Prepared:
    """What comparison needs of the long frame, computed once: records as dense numbers, each
    text column as codes, value sets, and each record's places and e-mails."""

    def __init__(self, long: pd.DataFrame) -> None:
        self.records = np.unique(long["record"].to_numpy())
        count = len(self.records)
        dense = self.dense(long["record"].to_numpy())
        first = long.drop_duplicates("record")
        at = self.dense(first["record"].to_numpy())

        # one row per record, in dense order; given names and surnames share one code space
        # (a swapped name compares a given name with a surname)
        def per_record(column: str) -> np.ndarray:
            out = np.full(count, None, dtype=object)
            if column in first.columns:
                values = first[column].to_numpy(dtype=object, copy=True)
                values[pd.isna(values)] = None
                out[at] = values
            return out

        self.name = Coded(per_record("name_norm"))
        parts = Coded(np.concatenate([per_record("first"), per_record("last")]))
        self.parts = parts
        self.first, self.last = parts.codes[:count], parts.codes[count:]
        business = per_record("is_business")
        self.business = np.array(
            [bool(b) if b is not None else False for b in business], dtype=bool
        )
        self.sets = {
            column: ValueSets(dense, long[column], count)
            for column in ("phone", "email", "address_key", "street_key")
            if column in long.columns
        }
        self.hub = hub_degrees(self.sets, count)
        self.name_rarity = rarity(self.name.codes)
        self.last_rarity = rarity(self.last)
        places = long.loc[:, [c for c in PLACE_COLUMNS if c in long.columns]]
        keep = (
            places.notna().any(axis=1).to_numpy()
            if len(places.columns)
            else np.zeros(len(long), dtype=bool)
        )
        place_rows = pd.DataFrame({"record": dense[keep]}).join(places[keep].reset_index(drop=True))
        place_rows = place_rows.drop_duplicates()
        place_rows = place_rows[place_rows.groupby("record").cumcount() < PLACES_PER_RECORD]
        self.place_of = {
            c: Coded(
                place_rows[c]
                if c in place_rows.columns
                else pd.Series(None, index=place_rows.index, dtype=object)
            )
            for c in PLACE_COLUMNS
        }
        self.places = Entries(place_rows["record"].to_numpy(), count)
        emails = (
            long.loc[long["email"].notna(), ["record", "email", "email_user"]]
            if "email" in long.columns
            else pd.DataFrame(columns=["record", "email", "email_user"])
        )
        emails = emails.assign(record=self.dense(emails["record"].to_numpy())).drop_duplicates()
        emails = emails[emails.groupby("record").cumcount() < PLACES_PER_RECORD]
        self.email = Coded(emails["email"])
        self.email_user = Coded(
            emails["email_user"]
            if "email_user" in emails.columns
            else pd.Series(None, index=emails.index, dtype=object)
        )
        self.emails = Entries(emails["record"].to_numpy(dtype="int64"), count)

    def dense(self, records: np.ndarray) -> np.ndarray:
        """Record numbers as positions 0..n-1 (records must be among the long frame's)."""
        return np.searchsorted(self.records, records).astype("int64")
