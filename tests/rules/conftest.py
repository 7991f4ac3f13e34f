"""Small frames in the snapshot's shapes, for rules tested one case at a time."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from titanaudit.rules import Frames

CUSTOMER = {
    "id": 1,
    "active": True,
    "name": "Martin Bauer",
    "type": "Residential",
    "street": "6486 Webb Pkwy",
    "unit": None,
    "city": "Boulder",
    "state": "CO",
    "zip": "80301",
    "country": "USA",
    "merged_to_id": None,
}
LOCATION = {
    "id": 11,
    "customer_id": 1,
    "active": True,
    "name": "Martin Bauer",
    "street": "6486 Webb Pkwy",
    "unit": None,
    "city": "Boulder",
    "state": "CO",
    "zip": "80301",
    "country": "USA",
    "latitude": 40.053346,
    "longitude": -105.230211,
    "merged_to_id": None,
}
PHONE = {
    "id": 21,
    "owner_type": "customer",
    "owner_id": 1,
    "customer_id": 1,
    "location_id": None,
    "booking_id": None,
    "active": True,
    "type": "MobilePhone",
    "value": "(303) 699-0464",
}
EMAIL = {**PHONE, "id": 22, "type": "Email", "value": "martin.bauer@gmail.com"}


def frames(
    *,
    customer: dict[str, Any] | None = None,
    location: dict[str, Any] | None = None,
    phone: dict[str, Any] | None = None,
    email: dict[str, Any] | None = None,
    **extra: list[dict[str, Any]],
) -> Frames:
    """One clean customer with one location, a mobile and an e-mail; ``customer=...`` etc.
    change fields of those records, ``locations=[...]`` and the like add records."""

    def table(base: dict[str, Any], change: dict[str, Any] | None, more: str) -> pd.DataFrame:
        rows = [{**base, **(change or {})}, *extra.get(more, [])]
        return pd.DataFrame(rows)

    return Frames(
        customers=table(CUSTOMER, customer, "customers"),
        locations=table(LOCATION, location, "locations"),
        contacts=pd.concat(
            [table(PHONE, phone, "contacts"), pd.DataFrame([{**EMAIL, **(email or {})}])],
            ignore_index=True,
        ),
        leads=pd.DataFrame(
            extra.get("leads", []),
            columns=[
                "id",
                "status",
                "customer_id",
                "location_id",
                "follow_up_date",
                "created_on",
                "lead_customer_name",
                "active",
            ],
        ),
        bookings=pd.DataFrame(
            extra.get("bookings", []),
            columns=["id", "name", "status", "job_id", "created_on", "active"],
        ),
    )


@pytest.fixture
def clean() -> Frames:
    return frames()
