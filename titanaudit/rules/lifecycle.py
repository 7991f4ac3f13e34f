"""Lifecycle and referential rules (catalogue §4.7): customers without a live location,
locations under a closed customer, merged records, and the leads and bookings nobody dealt with.
Rules that depend on time judge against the context's ``as_of``, so an audit of an old
snapshot gives the same answer next year."""

from __future__ import annotations

import pandas as pd

from titanaudit.rules.base import Context, MissingColumn, Rule, findings
from titanaudit.rules.parsing import parse_contacts

__all__ = ["LIFECYCLE_RULES"]

OPEN_BOOKING = ("New", "Pending")


def _no_location(ctx: Context) -> pd.DataFrame:
    customers = ctx.customers
    live = set(ctx.locations["customer_id"].dropna().tolist())
    hit = customers[~customers["id"].isin(live)]
    return findings(
        hit["id"],
        "An active customer with no active location: jobs cannot be "
        "booked; add or reactivate a location, or deactivate the customer.",
        hit["name"],
    )


def _orphan_location(ctx: Context) -> pd.DataFrame:
    everyone = ctx.need("customers", "id", "active")
    closed = everyone[
        ~everyone["active"].fillna(True).astype(bool)
        | (everyone["merged_to_id"].notna() if "merged_to_id" in everyone else False)
    ]
    locations = ctx.locations
    hit = locations[locations["customer_id"].isin(closed["id"])]
    return findings(
        hit["id"],
        "An active location under an inactive or merged customer: move it "
        "to the customer who lives there, or deactivate it.",
        hit["customer_id"].astype(str),
    )


def _merged(ctx: Context) -> pd.DataFrame:
    pieces = []
    for entity in ("customers", "locations"):
        frame = ctx.need(entity, "id", "merged_to_id")
        hit = frame[frame["merged_to_id"].notna()]
        pieces.append(
            findings(
                hit["id"],
                "Merged into "
                + hit["merged_to_id"].astype(str)
                + ": kept by ServiceTitan as history; nothing to do.",
                hit["merged_to_id"].astype(str),
            ).assign(entity=entity)
        )
    return pd.concat(pieces, ignore_index=True)


def _stamped(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """``columns`` as UTC times whatever the frame held (text from a CSV, nothing at all)."""
    return frame.assign(**{c: pd.to_datetime(frame[c], utc=True, errors="coerce") for c in columns})


def _leads(ctx: Context) -> pd.DataFrame:
    leads = ctx.need("leads", "id", "status", "customer_id", "follow_up_date", "created_on")
    leads = _stamped(leads, "follow_up_date", "created_on")
    return (
        leads[(leads["status"] == "Open") & leads["active"].fillna(True).astype(bool)]
        if "active" in leads
        else leads[leads["status"] == "Open"]
    )


def _stale_lead(ctx: Context) -> pd.DataFrame:
    leads = _leads(ctx)
    days = ctx.settings.stale_lead_days
    old = leads["created_on"] < ctx.as_of - pd.Timedelta(days=days)
    unlinked = leads["customer_id"].isna() & (
        leads["location_id"].isna() if "location_id" in leads else True
    )
    hit = leads[old & unlinked & leads["follow_up_date"].isna()]
    age = (ctx.as_of - hit["created_on"]).dt.days.astype(str)
    return findings(
        hit["id"],
        "Open for " + age + " days with no customer and no follow-up "
        "date: call back, convert or dismiss it.",
        hit.get("lead_customer_name"),
    )


def _overdue_lead(ctx: Context) -> pd.DataFrame:
    leads = _leads(ctx)
    hit = leads[leads["follow_up_date"].notna() & (leads["follow_up_date"] < ctx.as_of)]
    late = (ctx.as_of - hit["follow_up_date"]).dt.days.astype(str)
    return findings(
        hit["id"],
        "The follow-up date passed " + late + " day(s) ago: call back, "
        "convert or dismiss the lead.",
        hit["follow_up_date"].dt.strftime("%Y-%m-%d"),
    )


def _lead_matches(ctx: Context) -> pd.DataFrame:
    matches = ctx.lead_matches
    if matches is None:
        raise MissingColumn("no leads matched to customers were given (lead_matches)")
    best = matches[
        (matches["entity"] == "leads")
        & (matches["rank"] == 1)
        & (matches["probability"] >= ctx.settings.lead_match_probability)
    ]
    message = (
        "This caller looks like existing customer "
        + best["customer_id"].astype(str)
        + " ("
        + best["evidence"].astype(str)
        + "): link the lead to that customer instead of "
        "creating a new one."
    )
    return findings(
        best["record_id"],
        message,
        best["probability"].round(3).astype(str),
        fix=best["customer_id"].astype(str),
    )


def _pending_booking(ctx: Context) -> pd.DataFrame:
    bookings = _stamped(ctx.need("bookings", "id", "status", "created_on"), "created_on")
    days = ctx.settings.pending_booking_days
    waiting = (
        bookings["status"].isin(OPEN_BOOKING) & bookings["job_id"].isna()
        if "job_id" in bookings
        else bookings["status"].isin(OPEN_BOOKING)
    )
    active = bookings["active"].fillna(True).astype(bool) if "active" in bookings else True
    hit = bookings[
        waiting & active & (bookings["created_on"] < ctx.as_of - pd.Timedelta(days=days))
    ]
    age = (ctx.as_of - hit["created_on"]).dt.days.astype(str)
    return findings(
        hit["id"],
        "A booking waiting for " + age + " days: accept it and book the job, or dismiss it.",
        hit.get("name"),
    )


def _unreachable_booking(ctx: Context) -> pd.DataFrame:
    bookings = ctx.need("bookings", "id")
    contacts = ctx.need("contacts", "owner_type", "booking_id", "type", "value")
    own = parse_contacts(
        contacts[contacts["owner_type"] == "booking"].reset_index(drop=True), ctx.settings
    )
    reachable = set(own.loc[own["usable"], "booking_id"].dropna().tolist())
    active = bookings["active"].fillna(True).astype(bool) if "active" in bookings else True
    hit = bookings[active & ~bookings["id"].isin(reachable)]
    return findings(
        hit["id"],
        "No usable phone or e-mail on the booking: nobody can confirm "
        "the appointment; find the customer's number.",
        hit.get("name"),
    )


LIFECYCLE_RULES: tuple[Rule, ...] = (
    Rule("LIF-CUS-001", "customers", "medium", "Active customer without an active location", _no_location),
    Rule("LIF-LOC-001", "locations", "medium", "Active location under an inactive or merged customer", _orphan_location),
    Rule("LIF-MRG-001", "customers", "info", "Merged records", _merged),
    Rule("LIF-LEAD-001", "leads", "low", "Stale unlinked lead", _stale_lead),
    Rule("LIF-LEAD-002", "leads", "medium", "Open lead past its follow-up date", _overdue_lead),
    Rule("DUP-LEAD-001", "leads", "medium", "Open lead of an existing customer", _lead_matches),
    Rule("LIF-BKG-001", "bookings", "low", "Booking nobody processed", _pending_booking),
    Rule("PHN-BKG-001", "bookings", "medium", "Booking with no way to reach the customer", _unreachable_booking),
)  # fmt: skip
