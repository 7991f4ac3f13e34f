"""Deduplicate any table of people or companies: :func:`dedupe_frame`.

Columns are recognised by their common spellings ("Customer Name", "First", "Address 1",
"Zip Code", "Mobile", "E-mail", ...) and mapped to titanaudit's fields; ``mapping`` overrides.
The fields: ``name`` (a full person or company name), ``first_name``, ``last_name``, ``company``,
``street`` (line 1, house number included), ``unit`` (line 2), ``house_number``,
``street_name``, ``city``, ``state``, ``zip``, ``phone`` (several columns may map to it),
``email``, ``latitude``, ``longitude``.

The table runs through the same engine as a tenant's customers: normalise, block, compare, fit
the model on the table itself (no labels, no configuration), score, cluster, explain.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from titanaudit.dedupe.blocking import BlockingRule
from titanaudit.dedupe.engine import DedupeResult, Stage, run_engine
from titanaudit.dedupe.entities import CUSTOMER_RULES, NAME_FEATURES
from titanaudit.defaults import MATCH_THRESHOLD
from titanaudit.errors import ConfigError
from titanaudit.fields import email_frame, fill_area_codes, local_numbers, phone_frame
from titanaudit.fields.addresses import address_frame
from titanaudit.fields.names import name_frame, name_parts_frame

__all__ = [
    "FIELD_NAMES",
    "annotate_clusters",
    "dedupe_frame",
    "parse_maps",
    "recognise_columns",
]

FIELD_NAMES = (
    "name",
    "first_name",
    "last_name",
    "company",
    "street",
    "unit",
    "house_number",
    "street_name",
    "city",
    "state",
    "zip",
    "phone",
    "email",
    "latitude",
    "longitude",
)
SPELLINGS: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "customer name", "customer", "contact name", "client name", "client", "account name"),
    "first_name": ("first name", "first", "firstname", "given name", "fname", "first_name"),
    "last_name": ("last name", "last", "lastname", "surname", "family name", "lname", "last_name"),
    "company": ("company", "company name", "business", "business name", "organization", "organisation"),
    "street": ("street", "address", "address 1", "address1", "address line 1", "street address", "addr1",
               "street 1", "service address", "billing address"),
    "unit": ("unit", "address 2", "address2", "address line 2", "apt", "suite", "apartment", "addr2", "street 2"),
    "house_number": ("house number", "street number", "street_number", "number", "house no"),
    "street_name": ("street name", "street_name", "road"),
    "city": ("city", "town", "suburb", "locality"),
    "state": ("state", "province", "region", "st"),
    "zip": ("zip", "zip code", "zipcode", "postal code", "postcode", "postal", "zip5"),
    "phone": ("phone", "phone number", "telephone", "tel", "mobile", "cell", "cell phone", "mobile phone",
              "home phone", "work phone", "primary phone", "phone 1", "phone 2", "landline"),
    "email": ("email", "e mail", "email address", "e mail address", "mail", "email 1"),
    "latitude": ("latitude", "lat"),
    "longitude": ("longitude", "long", "lng", "lon"),
}  # fmt: skip


#: words that name a field inside a longer header, most specific first (each entry: sets of words
#: of which one must all be in the header)
KEYWORDS: tuple[tuple[str, tuple[frozenset[str], ...]], ...] = tuple(
    (field, tuple(frozenset(w.split()) for w in wanted))
    for field, wanted in (
        ("email", ("email", "e mail")),
        ("zip", ("zip", "postal", "postcode", "zipcode")),
        ("phone", ("phone", "mobile", "cell", "telephone")),
        ("first_name", ("first name", "given name", "firstname")),
        ("last_name", ("last name", "surname", "family name", "lastname")),
        ("company", ("company", "business", "organization", "organisation")),
        ("unit", ("address 2", "line 2", "apt", "suite", "unit")),
        ("street", ("address", "street")),
        ("city", ("city", "town")),
        ("state", ("state", "province")),
        ("name", ("name",)),
    )
)


def _plain(column: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", column.lower()).split())


def recognise_columns(
    columns: Sequence[str], mapping: Mapping[str, str | Sequence[str]] | None = None
) -> dict[str, list[str]]:
    """Which input columns feed which field. ``mapping`` (field → column or columns) wins."""
    mapping = dict(mapping or {})
    unknown = sorted(set(mapping) - set(FIELD_NAMES))
    if unknown:
        raise ConfigError(
            f"unknown field(s) {', '.join(unknown)} in --map; fields are {', '.join(FIELD_NAMES)}"
        )
    found: dict[str, list[str]] = {}
    for field, given in mapping.items():
        wanted = [given] if isinstance(given, str) else list(given)
        missing = [c for c in wanted if c not in columns]
        if missing:
            raise ConfigError(
                f"--map {field}={missing[0]}: no such column; the columns are {', '.join(columns)}"
            )
        found[field] = wanted
    taken = {c for cs in found.values() for c in cs}
    for column in columns:
        if column in taken:
            continue
        plain = _plain(column)
        for field, spellings in SPELLINGS.items():
            if plain in spellings and (field == "phone" or field not in found):
                found.setdefault(field, []).append(column)
                taken.add(column)
                break
    # then the spellings no list can hold ("ZIP/Postal Code", "Cell Phone #", "Street Address 1"),
    # by the words they contain, for the fields still without a column
    for column in columns:
        if column in taken:
            continue
        words = set(_plain(column).split())
        for field, keys in KEYWORDS:
            if any(key <= words for key in keys) and (field == "phone" or field not in found):
                found.setdefault(field, []).append(column)
                taken.add(column)
                break
    return found


def _column(df: pd.DataFrame, columns: dict[str, list[str]], field: str) -> pd.Series | None:
    if field not in columns:
        return None
    return (
        df[columns[field][0]]
        .astype("string")
        .astype("object")
        .where(df[columns[field][0]].notna(), None)
    )


def _names(df: pd.DataFrame, columns: dict[str, list[str]]) -> pd.DataFrame:
    """Name features per row: from the full name (or company) where there is one, else from the
    given-name and surname columns taken as such."""
    name = _column(df, columns, "name")
    company = _column(df, columns, "company")
    first, last = _column(df, columns, "first_name"), _column(df, columns, "last_name")
    whole = name
    if company is not None:
        whole = company if whole is None else whole.where(whole.notna(), company)
    if first is None and last is None:
        return name_frame(
            whole if whole is not None else pd.Series(None, index=df.index, dtype="object")
        )
    parts = name_parts_frame(first, last, df.index)
    if whole is None:
        return parts
    named = name_frame(whole)
    keep = np.broadcast_to(whole.notna().to_numpy()[:, None], named.shape)
    return named.where(keep, parts[named.columns])


def _streets(df: pd.DataFrame, columns: dict[str, list[str]]) -> pd.Series:
    street = _column(df, columns, "street")
    number, name = _column(df, columns, "house_number"), _column(df, columns, "street_name")
    if street is None and (number is not None or name is not None):
        blank = pd.Series("", index=df.index, dtype="object")
        number_text = number.fillna("") if number is not None else blank
        name_text = name.fillna("") if name is not None else blank
        street = (number_text + " " + name_text).str.strip()
    return street if street is not None else pd.Series(None, index=df.index, dtype="object")


def values_of(df: pd.DataFrame, columns: dict[str, list[str]]) -> pd.DataFrame:
    """The long frame of :mod:`titanaudit.dedupe.entities` for an arbitrary table (``record`` is
    the row's position)."""
    record = pd.Series(range(len(df)), index=df.index)
    names = _names(df, columns).reset_index(drop=True)
    names.insert(0, "record", record.to_numpy())
    addresses = address_frame(
        _streets(df, columns),
        _column(df, columns, "unit"),
        _column(df, columns, "city"),
        _column(df, columns, "state"),
        _column(df, columns, "zip"),
    )
    addresses.insert(0, "record", record.to_numpy())
    pieces = [addresses]
    written = [
        df[column].astype("string").astype("object").reset_index(drop=True)
        for column in columns.get("phone", [])
    ]
    if written:
        values = pd.concat(written, ignore_index=True)
        phones = phone_frame(values)[["phone"]].assign(local=local_numbers(values))
        phones.insert(0, "record", np.tile(record.to_numpy(), len(written)))
        phones["phone"] = fill_area_codes(phones["phone"], phones["local"])
        pieces.append(phones.drop(columns="local").dropna(subset=["phone"]))
    for column in columns.get("email", []):
        emails = email_frame(df[column].astype("string").astype("object"))[["email", "email_user"]]
        emails.insert(0, "record", record.to_numpy())
        pieces.append(emails.dropna(subset=["email"]))
    long = pd.concat(pieces, ignore_index=True)
    return long.merge(names[["record", *NAME_FEATURES]], on="record", how="left")


def dedupe_frame(
    df: pd.DataFrame,
    *,
    id_column: str | None = None,
    mapping: Mapping[str, str | Sequence[str]] | None = None,
    threshold: float = MATCH_THRESHOLD,
    blocking: Sequence[BlockingRule] = CUSTOMER_RULES,
    progress: Stage | None = None,
) -> DedupeResult:
    """Find the duplicate clusters in ``df`` (see the module docstring). ``blocking``: which
    pairs are compared at all (:class:`~titanaudit.dedupe.blocking.BlockingRule`s; default the
    customers' rules). ``progress`` is called with a description as each stage starts."""
    if id_column is not None and id_column not in df.columns:
        raise ConfigError(
            f"no column {id_column!r}; the columns are {', '.join(map(str, df.columns))}"
        )
    ids = df[id_column] if id_column else pd.Series(range(len(df)), index=df.index)
    if ids.isna().any():
        raise ConfigError(
            f"the id column {id_column!r} is empty on row {int(ids.isna().to_numpy().argmax()) + 1}"
        )
    repeated = ids[ids.duplicated()]
    if len(repeated):
        raise ConfigError(
            f"the id column {id_column!r} repeats {str(repeated.iloc[0])!r}; ids must be unique"
        )
    columns = recognise_columns([str(c) for c in df.columns], mapping)
    if not set(columns) & {
        "name",
        "first_name",
        "last_name",
        "company",
        "street",
        "phone",
        "email",
    }:
        raise ConfigError(
            "no name, address, phone or e-mail column recognised among "
            f"{', '.join(map(str, df.columns))}; name them with --map FIELD=COLUMN"
        )
    if progress:
        progress(f"normalising {len(df):,} rows")
    long = values_of(df.reset_index(drop=True), columns)
    result = run_engine(
        long, ids=ids.to_numpy(), threshold=threshold, rules=blocking, progress=progress
    )
    result.columns = columns
    return result


def parse_maps(items: Sequence[str]) -> dict[str, list[str]]:
    """``["phone=Mobile", "phone=Home", "name=Client"]`` → ``{"phone": ["Mobile", "Home"], ...}``."""
    mapping: dict[str, list[str]] = {}
    for item in items:
        field, sep, column = item.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise ConfigError(f"--map {item!r}: write it as FIELD=COLUMN, e.g. --map phone=Mobile")
        mapping.setdefault(field.strip(), []).append(column.strip())
    return mapping


def annotate_clusters(table: pd.DataFrame, id_column: str, result: DedupeResult) -> pd.DataFrame:
    """``table`` as it came, plus ``cluster_id`` (empty for rows in no cluster) and
    ``cluster_size`` (1 for those)."""
    by_id = (
        result.clusters.set_index("id")
        if len(result.clusters)
        else pd.DataFrame(columns=["cluster_id", "cluster_size"])
    )
    out = table.copy()
    out["cluster_id"] = table[id_column].map(by_id["cluster_id"]) if len(by_id) else None
    out["cluster_size"] = (
        table[id_column].map(by_id["cluster_size"]).fillna(1).astype(int) if len(by_id) else 1
    )
    return out
