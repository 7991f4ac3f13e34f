"""Links that open a record in ServiceTitan's web app.

``https://go.servicetitan.com/#/Customer/{id}`` and ``#/Location/{id}`` (API.md §6); integration
tenants use ``https://integration.servicetitan.com``, and some enterprise tenants their own host,
so the base is configurable (``Endpoints.ui_url``).
"""

from __future__ import annotations

from titanaudit.config import ENVIRONMENTS

__all__ = ["customer_url", "location_url", "record_url"]

KINDS = {"customer": "Customer", "location": "Location", "job": "Job/Index"}


def record_url(kind: str, record_id: int, ui_url: str | None = None) -> str:
    """The web-app URL of a customer, location or job."""
    if kind not in KINDS:
        raise ValueError(f"no ServiceTitan link for {kind!r}; use one of {', '.join(KINDS)}")
    base = (ui_url or ENVIRONMENTS["production"].ui_url).rstrip("/")
    return f"{base}/#/{KINDS[kind]}/{int(record_id)}"


def customer_url(customer_id: int, ui_url: str | None = None) -> str:
    """``{ui_url}/#/Customer/{id}``."""
    return record_url("customer", customer_id, ui_url)


def location_url(location_id: int, ui_url: str | None = None) -> str:
    """``{ui_url}/#/Location/{id}``."""
    return record_url("location", location_id, ui_url)
