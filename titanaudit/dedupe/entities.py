"""What is compared for each record type, as frames the blocking and comparison stages take.

:func:`customer_values` gathers, for every customer, everything that can tie it to another: its
name, its bill-to address and the addresses of all its locations, and every phone and e-mail on
the customer and on its locations, each normalised (:mod:`titanaudit.dedupe.normalize`). The
result is *long*: one row per (customer, address), (customer, phone) or (customer, e-mail), with
the customer's name features on every row so rules can combine a name with an address.
"""

from __future__ import annotations

import pandas as pd

from titanaudit.dedupe.blocking import BlockingRule
from titanaudit.dedupe.normalize import address_frame, email_frame, name_frame, phone_frame

__all__ = ["CUSTOMER_RULES", "customer_values"]

NAME_FEATURES = [
    "name_norm",
    "first",
    "last",
    "first_names",
    "second_first",
    "last_code",
    "is_business",
    "name_placeholder",
]

#: Blocking rules for customers, from rigid to loose. Each is cheap; together they keep the
#: pairs a person would look at (see ``blocking_recall`` in the tests and benchmarks).
CUSTOMER_RULES: tuple[BlockingRule, ...] = (
    BlockingRule(name="same phone", keys=("phone",), sort_by="name_norm"),
    BlockingRule(name="same email", keys=("email",), sort_by="name_norm"),
    BlockingRule(name="same street address", keys=("street_key",), sort_by="name_norm"),
    BlockingRule(name="surname sound and ZIP", keys=("last_code", "zip5"), sort_by="first"),
    BlockingRule(
        name="surname sound and house number", keys=("last_code", "house_number"), sort_by="zip5"
    ),
    BlockingRule(name="same name and city", keys=("name_norm", "city"), sort_by="zip5"),
)


def customer_values(
    customers: pd.DataFrame, locations: pd.DataFrame, contacts: pd.DataFrame
) -> pd.DataFrame:
    """Long frame of customers' matchable values; columns ``record`` (customer id), the name
    features, then ``phone``, ``email``, or the address columns of
    :func:`~titanaudit.dedupe.normalize.address_frame`, whichever the row carries."""
    names = name_frame(customers["name"])[NAME_FEATURES]
    names.insert(0, "record", customers["id"].astype("int64").to_numpy())
    billing = customers[["id", "street", "unit", "city", "state", "zip"]]
    sites = locations[["customer_id", "street", "unit", "city", "state", "zip"]].rename(
        columns={"customer_id": "id"}
    )
    places = pd.concat([billing, sites], ignore_index=True).dropna(subset=["id"])
    addresses = address_frame(
        places["street"], places["unit"], places["city"], places["state"], places["zip"]
    )
    addresses.insert(0, "record", places["id"].astype("int64").to_numpy())
    owned = contacts[contacts["customer_id"].notna()]
    values = owned["value"]
    phones = phone_frame(values.where(owned["type"] != "Email"))[["phone"]]
    emails = email_frame(values.where(owned["type"] == "Email"))[["email"]]
    reach = pd.concat([phones, emails], axis=1)
    reach.insert(0, "record", owned["customer_id"].astype("int64").to_numpy())
    reach = reach.dropna(subset=["phone", "email"], how="all")
    long = pd.concat([addresses.drop_duplicates(), reach.drop_duplicates()], ignore_index=True)
    return long.merge(names, on="record", how="left")
