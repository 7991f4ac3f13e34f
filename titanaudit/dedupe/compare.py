"""Comparison: for each candidate pair, one level per field, computed over whole pair arrays.

Levels are small integers, higher meaning stronger agreement, with ``-1`` for "cannot say" (a
value missing or a placeholder on one side). They are what the Fellegi-Sunter model weighs.

Customer fields (:func:`compare_customers`):

``name``     5 same name; 4 same surname and related given names (the same nickname group, or
             one the start of the other: J, Jen, Jennifer), or the same words in another order;
             3 one typo apart (a surname or a given name); 2 typos in both, given and surname
             swapped, or a given name missing on one side; 1 same or near surname but a
             *different* given name (the household case: spouses, parents and children);
             0 different. Businesses: 5 same, 4 token-sorted similarity >= 95, 3 >= 85, 2 one
             name's words contained in the other's ("Arnie Morton's" in "Arnie Morton's of
             Chicago"), 0 below.
``phone``    2 a phone in common; 0 both have phones, none in common.
``email``    2 an e-mail in common; 1 nearly: the same user name at another domain
             (jdoe@gmail.com, jdoe@yahoo.com) or a slip or two in the address; 0 both have
             e-mails, none in common or close.
``address``  6 an address in common, unit included; 5 a street address in common, units differ
             or one is missing; 4 same house number, street names close (a typo), in the same
             ZIP or city or one a typo of the other; 3 the same house and street in another
             town (Los Angeles, West Hollywood: a city named two ways, or two places); 2 same
             street in the same ZIP or city, another house number (a neighbour, or a mistyped
             number); 1 only the ZIP or city in common (or nearly: Bicton, Bicron); 0 nothing in
             common.

Shared values also carry their frequency (``phone_freq``: how many customers hold the shared
phone), for term-frequency adjustment: an office phone on 40 customers says less than a private
mobile.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import distance, fuzz, process

__all__ = ["FIELDS", "compare_customers"]

FIELDS = ("name", "phone", "email", "address")
MISSING = -1


def _similarity(left: pd.Series | np.ndarray, right: pd.Series | np.ndarray, scorer: Any,
                known: np.ndarray | None = None) -> np.ndarray:  # fmt: skip
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


def _shared(
    pairs: pd.DataFrame, long: pd.DataFrame, column: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each pair: whether both sides have ``column`` values, whether they share one, and
    the lowest frequency (records holding it) among the shared values."""
    if column not in long.columns:
        nothing = np.zeros(len(pairs), dtype=bool)
        return nothing, nothing, np.zeros(len(pairs), dtype="int64")
    values = long[["record", column]].dropna().drop_duplicates()
    holders = values.groupby(column)["record"].transform("size").rename("freq")
    values = values.assign(freq=holders.to_numpy())
    has = set(values["record"].tolist())
    both = pairs["left"].isin(has).to_numpy() & pairs["right"].isin(has).to_numpy()
    left = pairs.reset_index()[["index", "left", "right"]].merge(
        values, left_on="left", right_on="record"
    )
    match = left.merge(
        values[["record", column]], left_on=["right", column], right_on=["record", column]
    )
    freq = match.groupby("index")["freq"].min()
    shared = np.zeros(len(pairs), dtype=bool)
    lowest = np.zeros(len(pairs), dtype="int64")
    shared[freq.index.to_numpy()] = True
    lowest[freq.index.to_numpy()] = freq.to_numpy()
    return both, shared, lowest


def _levels(both: np.ndarray, shared: np.ndarray) -> np.ndarray:
    return np.where(~both, MISSING, np.where(shared, 2, 0)).astype("int8")


def _related(a: object, b: object, group_a: object, group_b: object) -> bool:
    """Given names that can be one person's: the same nickname group (Bob, Robert), or one is
    the start of the other (J, Jen, Jennifer; Chris, Christopher)."""
    if not isinstance(a, str) or not isinstance(b, str):
        return False
    if a.startswith(b) or b.startswith(a):
        return True
    return (
        isinstance(group_a, frozenset)
        and isinstance(group_b, frozenset)
        and not group_a.isdisjoint(group_b)
    )


def _lengths(values: np.ndarray) -> np.ndarray:
    """Lengths of strings (0 for missing), measured once per distinct value."""
    codes, uniques = pd.factorize(values)
    sizes = np.fromiter((len(str(u)) for u in uniques), dtype="int64", count=len(uniques))
    return np.where(codes >= 0, sizes[np.maximum(codes, 0)] if len(sizes) else 0, 0)


def _typo(
    left: np.ndarray, right: np.ndarray, jaro_winkler: np.ndarray, known: np.ndarray
) -> np.ndarray:
    """Two spellings of one name: close by Jaro-Winkler and by edits, or a slip or two (a wrong,
    missing or swapped letter: OSA distance) in a name long enough to carry them."""
    edits = _similarity(left, right, distance.OSA.distance, known)
    lengths_l, lengths_r = _lengths(left), _lengths(right)
    shorter = np.minimum(lengths_l, lengths_r)
    ratio = 1 - edits / np.maximum(np.maximum(lengths_l, lengths_r), 1)
    slip = known & (edits == 1) & (shorter >= 3) & (shorter < 5)
    if slip.any():  # short names: only a neighbouring key (Jadk, Jack; not John, Joan)
        slip[slip] = [_next_key(a, b) for a, b in zip(left[slip], right[slip], strict=True)]
    typo: np.ndarray = known & (
        ((jaro_winkler >= 0.9) & (ratio >= 0.7))
        | ((edits <= 1) & (shorter >= 5))
        | ((edits <= 2) & (shorter >= 8))
        | slip
    )
    return typo


KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
NEIGHBOURS = {
    (a, b)
    for r, row in enumerate(KEYBOARD)
    for c, a in enumerate(row)
    for rr in range(max(0, r - 1), min(len(KEYBOARD), r + 2))
    for b in KEYBOARD[rr][max(0, c - 1) : c + 2]
    if a != b
}


def _next_key(a: str, b: str) -> bool:
    """One letter of ``a`` replaced by a neighbour on a QWERTY keyboard."""
    if len(a) != len(b):
        return False
    differ = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    return len(differ) == 1 and differ[0] in NEIGHBOURS


def _name_levels(pairs: pd.DataFrame, names: pd.DataFrame) -> np.ndarray:
    # plain object columns: pandas' string dtype costs more per operation than the work itself
    indexed = names.set_index("record").astype(object)
    left = indexed.reindex(pairs["left"].to_numpy()).reset_index(drop=True)
    right = indexed.reindex(pairs["right"].to_numpy()).reset_index(drop=True)
    known = (left["name_norm"].notna() & right["name_norm"].notna()).to_numpy()
    same = (left["name_norm"] == right["name_norm"]).to_numpy() & known
    business = (left["is_business"].fillna(False) | right["is_business"].fillna(False)).to_numpy(
        dtype=bool
    )
    # each column once as a plain array with its "present" mask: pandas re-checks them per call
    col = {
        c: (left[c].to_numpy(dtype=object), right[c].to_numpy(dtype=object))
        for c in ("name_norm", "first", "last")
    }
    has = {c: (~pd.isna(a), ~pd.isna(b)) for c, (a, b) in col.items()}
    token = _similarity(*col["name_norm"], fuzz.token_sort_ratio, known)
    jaro = distance.JaroWinkler.normalized_similarity
    both_first = has["first"][0] & has["first"][1]
    both_last = has["last"][0] & has["last"][1]
    last = _similarity(*col["last"], jaro, both_last)
    first = _similarity(*col["first"], jaro, both_first)
    cross_a = _similarity(col["first"][0], col["last"][1], jaro, has["first"][0] & has["last"][1])
    cross_b = _similarity(col["last"][0], col["first"][1], jaro, has["last"][0] & has["first"][1])
    swapped, crossed = np.minimum(cross_a, cross_b), np.maximum(cross_a, cross_b)
    # a typo, not another person: close by Jaro-Winkler *and* by edits (Christopher and
    # Christina share a long start but are five edits apart), or one slip (a wrong, missing or
    # swapped letter) in a name of five letters or more, two in one of eight (but John and Joan
    # are two people)
    close_first = both_first & _typo(*col["first"], first, both_first)
    same_last = both_last & (col["last"][0] == col["last"][1])
    near_last = same_last | _typo(*col["last"], last, both_last)
    surname = near_last
    # nickname groups are sets, compared one pair at a time: only where the given names differ
    # and the surnames are alike (elsewhere the levels do not ask)
    differ = both_first & (col["first"][0] != col["first"][1])
    related = both_first & ~differ
    ask = differ & (near_last | (last >= 0.8))
    related[ask] = [
        _related(a, b, ga, gb)
        for a, b, ga, gb in zip(
            left["first"][ask], right["first"][ask],
            left["first_names"][ask], right["first_names"][ask], strict=True,
        )
    ]  # fmt: skip
    # one side names only one part ("Jackson"; "Smith"), and it is one of the other's parts
    lone = ~(has["first"][0] & has["last"][0] & has["first"][1] & has["last"][1])
    part_of = (first >= 0.9) | near_last | (crossed >= 0.9)
    person = np.select(
        [
            same,
            same_last & related,
            token >= 97,
            near_last & related,
            same_last & close_first,
            near_last & close_first,
            both_first & (swapped >= 0.9),
            surname & ~both_first,
            lone & part_of,
            related & (last >= 0.8),
            surname & both_first,
        ],
        [5, 4, 4, 3, 3, 2, 2, 2, 2, 2, 1],
        default=0,
    )
    contained = _similarity(*col["name_norm"], fuzz.token_set_ratio, known & business)
    firm = np.select([same, token >= 95, token >= 85, contained >= 100], [5, 4, 3, 2], default=0)
    return np.where(~known, MISSING, np.where(business, firm, person)).astype("int8")


#: The most places of one record compared one by one (a property manager's 500 sites are
#: still matched exactly, through the address keys, but not each against each).
PLACES_PER_RECORD = 25


def _places(long: pd.DataFrame) -> pd.DataFrame:
    """Each record's distinct places: ZIP, city, house number, street name."""
    columns = [c for c in ("zip5", "city", "house_number", "street_name") if c in long.columns]
    if not columns:
        return pd.DataFrame(columns=["record"])
    places = long[["record", *columns]].dropna(subset=columns, how="all").drop_duplicates()
    return places[places.groupby("record").cumcount() < PLACES_PER_RECORD]


def _close(left: pd.Series, right: pd.Series, cutoff: float) -> np.ndarray:
    return _similarity(left, right, distance.JaroWinkler.normalized_similarity) >= cutoff


def _address_levels(pairs: pd.DataFrame, long: pd.DataFrame) -> np.ndarray:
    _, full, _ = _shared(pairs, long, "address_key")
    _, street, _ = _shared(pairs, long, "street_key")
    places = _places(long)
    has = set(places["record"].tolist())
    both = pairs["left"].isin(has).to_numpy() & pairs["right"].isin(has).to_numpy()
    if not both.any():
        return np.full(len(pairs), MISSING, dtype="int8")
    # every place of one side against every place of the other (a few per customer)
    joined = (
        pairs.reset_index()[["index", "left", "right"]]
        .merge(places, left_on="left", right_on="record")
        .merge(places, left_on="right", right_on="record", suffixes=("_l", "_r"))
    )

    def column(name: str, side: str) -> pd.Series:
        key = f"{name}_{side}"
        return (
            joined[key]
            if key in joined.columns
            else pd.Series(None, index=joined.index, dtype="object")
        )

    # the same area: the same ZIP or city, or one a typo of the other (Bicton, Bicron; 4304, 4305)
    zip_l, zip_r = column("zip5", "l"), column("zip5", "r")
    city_l, city_r = column("city", "l"), column("city", "r")
    one_digit = (_similarity(zip_l, zip_r, distance.Hamming.distance) == 1) & (
        zip_l.str.len() == zip_r.str.len()
    ).fillna(False).to_numpy()
    exact_area = ((zip_l == zip_r) & zip_l.notna()).to_numpy() | (
        (city_l == city_r) & city_l.notna()
    ).to_numpy()
    area = exact_area | _close(city_l, city_r, 0.9) | one_digit
    number_l, number_r = column("house_number", "l"), column("house_number", "r")
    same_number = ((number_l == number_r) & number_l.notna()).to_numpy()
    same_street = _close(column("street_name", "l"), column("street_name", "r"), 0.88)
    level = np.select(
        [
            area & same_number & same_street,
            same_number & same_street,
            exact_area & same_street,
            area,
        ],
        [4, 3, 2, 1],
        default=0,
    )
    best = np.zeros(len(pairs), dtype="int8")
    if len(joined):
        per_pair = pd.Series(level, index=joined["index"].to_numpy()).groupby(level=0).max()
        best[per_pair.index.to_numpy()] = per_pair.to_numpy()
    levels = np.select([full, street], [6, 5], default=best)
    return np.where(~both, MISSING, levels).astype("int8")


def _close_emails(pairs: pd.DataFrame, long: pd.DataFrame) -> np.ndarray:
    """Pairs with two e-mails that are nearly one: the same user name, or at most two slips
    apart in an address of ten characters or more."""
    close = np.zeros(len(pairs), dtype=bool)
    if "email" not in long.columns:
        return close
    columns = ["record", "email"] + (["email_user"] if "email_user" in long.columns else [])
    emails = long[columns].dropna(subset=["email"]).drop_duplicates()
    emails = emails[emails.groupby("record").cumcount() < PLACES_PER_RECORD]
    joined = (
        pairs.reset_index()[["index", "left", "right"]]
        .merge(emails, left_on="left", right_on="record")
        .merge(emails, left_on="right", right_on="record", suffixes=("_l", "_r"))
    )
    if joined.empty:
        return close
    same_user = (
        (joined["email_user_l"] == joined["email_user_r"]) & joined["email_user_l"].notna()
        if "email_user_l" in joined.columns
        else pd.Series(False, index=joined.index)
    ).to_numpy()
    shorter = np.minimum(
        joined["email_l"].str.len().to_numpy(dtype="int64"),
        joined["email_r"].str.len().to_numpy(dtype="int64"),
    )
    slips = _similarity(joined["email_l"], joined["email_r"], distance.OSA.distance)
    near = same_user | ((slips <= 2) & (shorter >= 10))
    close[joined.loc[near, "index"].unique().astype("int64")] = True
    return close


def compare_customers(pairs: pd.DataFrame, long: pd.DataFrame) -> pd.DataFrame:
    """Levels for customer pairs. ``pairs`` has ``left, right`` (from blocking); ``long`` is
    :func:`~titanaudit.dedupe.entities.customer_values`. Returns ``pairs`` with the columns
    ``name, phone, email, address`` (levels) and ``phone_freq, email_freq`` added."""
    pairs = pairs.reset_index(drop=True)
    names = long.drop_duplicates("record")[
        ["record", "name_norm", "first", "last", "first_names", "is_business"]
    ]
    out = pairs.copy()
    out["name"] = _name_levels(pairs, names)
    for field in ("phone", "email"):
        both, shared, freq = _shared(pairs, long, field)
        out[field] = _levels(both, shared)
        out[f"{field}_freq"] = freq
    out["email"] = np.where(
        (out["email"] == 0) & _close_emails(pairs, long), 1, out["email"]
    ).astype("int8")
    out["address"] = _address_levels(pairs, long)
    return out
