"""Open leads and web bookings that belong to a customer who already exists (catalogue DUP-LEAD-001,
DUP-BKG-001).

A lead or booking that names no customer carries what the caller typed: a name, an address, a
phone, an e-mail (a booking's phones and e-mails are its contacts). :func:`match_leads` puts them
beside the tenant's customers in one long frame, blocks them with the customer rules, keeps the
pairs of a lead (or booking) and a customer, and scores those with the customers' own model, so
a lead is "the same customer" exactly when a second customer record would be. Households stay
households: Mary calling about John's house is not John.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from titanaudit.dedupe.compare import FIELDS
from titanaudit.dedupe.customers import dedupe_customers
from titanaudit.dedupe.entities import NAME_FEATURES, CustomerValues
from titanaudit.dedupe.explain import explain_pairs
from titanaudit.dedupe.model import MatchModel
from titanaudit.dedupe.pipeline import Stage, score_candidates
from titanaudit.defaults import MATCH_THRESHOLD
from titanaudit.fields import email_frame, phone_frame
from titanaudit.fields.addresses import address_frame
from titanaudit.fields.names import name_frame
from titanaudit.frames import Frames

__all__ = ["LEAD_MATCH_COLUMNS", "match_leads", "unlinked_values"]

LEAD_MATCH_COLUMNS = [
    "entity",
    "record_id",
    "customer_id",
    "probability",
    "match_weight",
    "evidence",
    *FIELDS,
    "rank",
]


def unlinked_values(
    records: pd.DataFrame,
    names: pd.Series,
    phones: pd.DataFrame,
    emails: pd.DataFrame,
    *,
    first: int = 1,
    street: str = "street",
    unit: str = "unit",
    city: str = "city",
    state: str = "state",
    zip_code: str = "zip",
) -> pd.DataFrame:
    """The long frame of :func:`~titanaudit.dedupe.entities.customer_values` for leads or
    bookings: ``records`` (an ``id`` column and the address columns named), their ``names``,
    and ``phones`` / ``emails`` (``record_id``, ``value``). Their record numbers are negative,
    ``-first`` for the first row, so they never meet a customer's id (nor, with ``first`` set
    past the leads, a booking a lead's)."""
    record = -(np.arange(len(records), dtype="int64") + first)
    number = dict(zip(records["id"].astype("int64"), record.tolist(), strict=True))
    name = name_frame(names.reset_index(drop=True))[NAME_FEATURES]
    name.insert(0, "record", record)
    address = address_frame(
        *(records[c].reset_index(drop=True) for c in (street, unit, city, state, zip_code))
    )
    address.insert(0, "record", record)
    phone = phone_frame(phones["value"].reset_index(drop=True))[["phone"]]
    phone.insert(0, "record", phones["record_id"].astype("int64").map(number).to_numpy())
    email = email_frame(emails["value"].reset_index(drop=True))[["email", "email_user"]]
    email.insert(0, "record", emails["record_id"].astype("int64").map(number).to_numpy())
    reach = pd.concat(
        [phone.dropna(subset=["phone"]), email.dropna(subset=["email"])], ignore_index=True
    )
    long = pd.concat([address, reach], ignore_index=True)
    return long.merge(name, on="record", how="left")


def _lead_values(leads: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    if leads.empty:
        return leads, pd.DataFrame()
    open_leads = leads[leads["customer_id"].isna() & (leads["status"] == "Open")]
    value = pd.DataFrame({"record_id": open_leads["id"]})
    long = unlinked_values(
        open_leads,
        open_leads["lead_customer_name"],
        value.assign(value=open_leads["lead_phone"]),
        value.assign(value=open_leads["lead_email"]),
        street="lead_street",
        unit="lead_unit",
        city="lead_city",
        state="lead_state",
        zip_code="lead_zip",
    )
    return open_leads, long


def _booking_values(
    bookings: pd.DataFrame, contacts: pd.DataFrame, first: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    if bookings.empty:
        return bookings, pd.DataFrame()
    # a booking that became a job has been dealt with; an open one may still create a customer
    waiting = bookings[bookings["job_id"].isna() & bookings["active"].fillna(True).astype(bool)]
    own = contacts[
        (contacts["owner_type"] == "booking") & contacts["booking_id"].isin(waiting["id"])
    ]
    typed = own.rename(columns={"booking_id": "record_id"})[["record_id", "type", "value"]]
    long = unlinked_values(
        waiting,
        waiting["name"],
        typed[typed["type"] != "Email"],
        typed[typed["type"] == "Email"],
        first=first,
    )
    return waiting, long


def match_leads(
    frames: Frames,
    *,
    model: MatchModel | None = None,
    threshold: float = MATCH_THRESHOLD,
    progress: Stage | None = None,
    values: CustomerValues | None = None,
) -> pd.DataFrame:
    """Open leads without a customer, and bookings not yet turned into jobs, that match an
    existing active customer: one row per match at ``threshold`` or above, with ``entity``
    (``leads`` or ``bookings``), ``record_id``, ``customer_id``, ``probability``,
    ``match_weight``, ``evidence``, the field levels and ``rank`` (1 for the record's best
    match). A booking that matches two customers usually created the second one (DUP-BKG-001). ``model`` is the customers' fitted model (fitted here
    from the frames when not given, and only when there are leads or bookings to match);
    ``values`` the customers' parse (:class:`~titanaudit.dedupe.entities.CustomerValues`)
    where the caller has it."""
    if frames.leads.empty and frames.bookings.empty:
        return pd.DataFrame(columns=LEAD_MATCH_COLUMNS)  # nothing to match: no engine to run
    customers, contacts = frames.customers, frames.contacts
    values = values or CustomerValues.parse(customers, frames.locations, contacts)
    if model is None:
        model = dedupe_customers(frames, progress=progress, values=values).model
    if progress:
        progress("matching open leads and bookings to customers")
    active = customers[customers["active"].fillna(False).astype(bool)]
    long = values.of(set(active["id"].astype("int64")))
    leads, lead_long = _lead_values(frames.leads)
    bookings, booking_long = _booking_values(frames.bookings, contacts, first=len(leads) + 1)
    pieces = [frame for frame in (long, lead_long, booking_long) if len(frame)]
    if model is None or len(pieces) < 2:
        return pd.DataFrame(columns=LEAD_MATCH_COLUMNS)
    everything = pd.concat(pieces, ignore_index=True)
    candidates = score_candidates(
        everything,
        keep=lambda pairs: (pairs["left"] < 0) & (pairs["right"] > 0),  # a lead, a customer
        blocks_with=lambda records: records < 0,
        model=model,
    )
    if candidates.pairs.empty:
        return pd.DataFrame(columns=LEAD_MATCH_COLUMNS)
    scored = candidates.pairs
    scored = scored[scored["probability"] >= threshold]
    best = scored.sort_values(["left", "probability"], ascending=[True, False])
    best = best.assign(evidence=explain_pairs(best), rank=best.groupby("left").cumcount() + 1)
    # record numbers count leads from -1, then bookings: map them back to ids in that order
    position = (-best["left"]).to_numpy() - 1
    is_lead = position < len(leads)
    record_id = np.concatenate(
        [leads["id"].to_numpy(dtype="int64"), bookings["id"].to_numpy(dtype="int64")]
    )[position]
    return pd.DataFrame(
        {
            "entity": np.where(is_lead, "leads", "bookings"),
            "record_id": record_id,
            "customer_id": best["right"].to_numpy(),
            "probability": best["probability"].round(4).to_numpy(),
            "match_weight": best["match_weight"].round(2).to_numpy(),
            "evidence": best["evidence"].to_numpy(),
            **{f: best[f].to_numpy() for f in FIELDS},
            "rank": best["rank"].to_numpy(),
        }
    ).sort_values(["entity", "record_id", "rank"], ignore_index=True)
