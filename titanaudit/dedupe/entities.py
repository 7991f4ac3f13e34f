"""What is compared for each record type, as frames the blocking and comparison stages take.

:func:`customer_values` gathers, for every customer, everything that can tie it to another: its
name, its bill-to address and the addresses of all its locations, and every phone and e-mail on
the customer and on its locations, each normalised (:mod:`titanaudit.fields`). The
result is *long*: one row per (customer, address), (customer, phone) or (customer, e-mail), with
the customer's name features on every row so rules can combine a name with an address.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from titanaudit.dedupe.blocking import BlockingRule
from titanaudit.fields import email_frame, fill_area_codes, local_numbers, phone_frame
from titanaudit.fields.addresses import address_frame
from titanaudit.fields.names import name_frame

__all__ = ["CUSTOMER_RULES", "CustomerValues", "customer_values"]

NAME_FEATURES = [
    "name_norm",
    "first",
    "last",
    "first_names",
    "second_first",
    "last_code",
    "first_code",
    "initials",
    "is_business",
    "name_placeholder",
]

SMALL = 20_000

#: Blocking rules for customers, from rigid to loose. Each is cheap; together they keep the
#: pairs a person would look at (see ``blocking_recall`` in the tests and benchmarks).
CUSTOMER_RULES: tuple[BlockingRule, ...] = (
    BlockingRule(name="same phone", keys=("phone",), sort_by="name_norm"),
    BlockingRule(name="same email", keys=("email",), sort_by="name_norm"),
    BlockingRule(name="same street address", keys=("street_key",), sort_by="name_norm"),
    BlockingRule(name="same name and city", keys=("name_norm", "city"), sort_by="zip5"),
    BlockingRule(name="surname sound and house number", keys=("last_code", "house_number"), sort_by="zip5"),
    BlockingRule(name="e-mail user name", keys=("email_user",), sort_by="name_norm"),
    # Against typos, wider keys: within a ZIP (or the city where there is none), the same street;
    # the same surname sound; the same given-name sound (a mistyped surname); both initials (a
    # slip in each name, or the two swapped). Such blocks grow with the tenant (a million
    # customers in one metro put hundreds of Smiths in a ZIP), so past a handful of records they
    # are walked as sorted neighbourhoods: each record meets the one or two whose other name
    # sorts next to its own, which is where its own typo lands. Cost: about `window` pairs a
    # record. (Measured: a million customers make 4-5 pairs each in all; wider windows found
    # no more planted duplicates and 1.5% more of FEBRL2's, at twice the pairs.)
    BlockingRule(name="street and area", keys=("street_name", "area"), sort_by="house_number", max_block=8, window=3),
    BlockingRule(name="house number and street start", keys=("house_number", "street_start"), sort_by="area", max_block=8, window=3),
    BlockingRule(name="surname sound and area", keys=("last_code", "area"), sort_by="first", max_block=4, window=2),
    BlockingRule(name="given name sound and area", keys=("first_code", "area"), sort_by="last", max_block=4, window=1),
    BlockingRule(name="initials and area", keys=("initials", "area"), sort_by="name_norm", max_block=4, window=1),
    # small tables: each name part alone, as Splink's tutorials block; a block of more than 20
    # is walked as a sorted neighbourhood, so these add at most about 10 pairs a record
    BlockingRule(name="given name sound", keys=("first_code",), sort_by="last", max_block=20, max_records=SMALL),
    BlockingRule(name="surname sound", keys=("last_code",), sort_by="first", max_block=20, max_records=SMALL),
)  # fmt: skip


def customer_values(
    customers: pd.DataFrame, locations: pd.DataFrame, contacts: pd.DataFrame
) -> pd.DataFrame:
    """Long frame of customers' matchable values; columns ``record`` (customer id), the name
    features, then ``phone``, ``email``, or the address columns of
    :func:`~titanaudit.fields.addresses.address_frame`, whichever the row carries."""
    return CustomerValues.parse(customers, locations, contacts).of()


@dataclass(frozen=True)
class CustomerValues:
    """The parse behind :func:`customer_values`, kept so that the values of some of the
    customers (the active ones, which lead matching compares) are taken from it instead of
    parsed again. Every value is parsed on its own, so ``parse(customers, ...).of(ids)`` is
    ``customer_values(customers[customers["id"].isin(ids)], ...)`` row for row."""

    names: pd.DataFrame  # ``record`` and the name features, a row per customer
    addresses: pd.DataFrame  # ``record`` and the address columns: bill-to ones, then locations'
    billing: np.ndarray  # which rows of ``addresses`` are bill-to addresses
    reach: pd.DataFrame  # ``record``, ``phone``, ``email``, ``email_user``: a row per contact

    @classmethod
    def parse(
        cls, customers: pd.DataFrame, locations: pd.DataFrame, contacts: pd.DataFrame
    ) -> CustomerValues:
        names = name_frame(customers["name"])[NAME_FEATURES]
        names.insert(0, "record", customers["id"].astype("int64").to_numpy())
        billing = customers[["id", "street", "unit", "city", "state", "zip"]]
        sites = locations[["customer_id", "street", "unit", "city", "state", "zip"]].rename(
            columns={"customer_id": "id"}
        )
        places = pd.concat([billing, sites], ignore_index=True)
        billed = (np.arange(len(places)) < len(billing))[places["id"].notna().to_numpy()]
        places = places.dropna(subset=["id"])
        addresses = address_frame(
            places["street"], places["unit"], places["city"], places["state"], places["zip"]
        )
        addresses.insert(0, "record", places["id"].astype("int64").to_numpy())
        owned = contacts[contacts["customer_id"].notna()]
        values = owned["value"]
        dialled = values.where(owned["type"] != "Email")
        phones = phone_frame(dialled)[["phone"]]
        phones["phone"] = fill_area_codes(phones["phone"], local_numbers(dialled))
        emails = email_frame(values.where(owned["type"] == "Email"))[["email", "email_user"]]
        reach = pd.concat([phones, emails], axis=1)
        reach.insert(0, "record", owned["customer_id"].astype("int64").to_numpy())
        reach = reach.dropna(subset=["phone", "email"], how="all")
        return cls(names, addresses, billed, reach)

    def of(self, ids: Collection[int] | None = None) -> pd.DataFrame:
        """The long frame of the customers ``ids`` names (every one without it), as
        :func:`customer_values` of those customers with all the locations and contacts."""
        names, addresses = self.names, self.addresses
        if ids is not None:
            wanted = list(ids)
            names = names[names["record"].isin(wanted)]
            addresses = addresses[~self.billing | addresses["record"].isin(wanted).to_numpy()]
        long = pd.concat(
            [addresses.drop_duplicates(), self.reach.drop_duplicates()], ignore_index=True
        )
        return long.merge(names, on="record", how="left")
