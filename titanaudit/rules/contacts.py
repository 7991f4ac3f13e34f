"""Phone and e-mail rules (catalogue §4.4-4.5), over the contacts of open customers and
locations as :func:`~titanaudit.rules.parsing.parse_contacts` classified them."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from titanaudit.fields import email_domain, email_frame, email_local, phone_frame
from titanaudit.rules.base import Context, Rule, findings, nothing
from titanaudit.rules.parsing import ROLE_LOCALS

__all__ = ["CONTACT_RULES", "REPEATED_CONTACT_COLUMNS", "repeated_contacts"]


def _phones(ctx: Context) -> pd.DataFrame:
    c = ctx.contacts
    return c[c["kind"] == "phone"]


def _emails(ctx: Context) -> pd.DataFrame:
    c = ctx.contacts
    return c[c["kind"] == "email"]


def _fault(fault: str, message: str, kind: str = "phone") -> Callable[[Context], pd.DataFrame]:
    """A rule reporting the contacts of ``kind`` whose parsed fault is ``fault``."""

    def check(ctx: Context) -> pd.DataFrame:
        contacts = ctx.contacts
        hit = contacts[(contacts["kind"] == kind) & (contacts[f"{kind}_fault"] == fault)]
        return findings(hit["id"], message, hit["value"])

    return check


def _office(ctx: Context) -> pd.DataFrame:
    phones = _phones(ctx)
    hit = phones[phones["office_phone"]]
    return findings(
        hit["id"],
        "This is the office's own number, typed in for the customer: ask the customer for theirs.",
        hit["value"],
    )


def _mobile_toll_free(ctx: Context) -> pd.DataFrame:
    phones = _phones(ctx)
    hit = phones[(phones["type"] == "MobilePhone") & phones["toll_free"]]
    return findings(
        hit["id"],
        "Marked as a mobile, but a toll-free number cannot receive "
        "texts: correct the type or the number.",
        hit["value"],
    )


def _unreachable(ctx: Context) -> pd.DataFrame:
    customers = ctx.customers
    reachable = set(ctx.contacts.loc[ctx.contacts["usable"], "customer_id"].dropna().tolist())
    hit = customers[~customers["id"].isin(reachable)]
    return findings(
        hit["id"],
        "No usable phone or e-mail on the customer or its locations: "
        "reminders and invoices cannot reach them.",
        hit["name"],
    )


def _typo(ctx: Context) -> pd.DataFrame:
    emails = _emails(ctx)
    hit = emails[emails["email_fault"] == "typo"]
    if hit.empty:
        return nothing()
    parts = hit["email_clean"].astype(str).str.partition("@")
    fixed = parts[0] + "@" + hit["email_typo_of"].astype(str)
    message = (
        "The domain looks mistyped ("
        + parts[2]
        + "): did they mean "
        + hit["email_typo_of"].astype(str)
        + "?"
    )
    return findings(hit["id"], message, hit["value"], fix=fixed)


def _residential(ctx: Context) -> set[int]:
    customers = ctx.customers
    if "type" not in customers:
        return set()
    return set(customers.loc[customers["type"] == "Residential", "id"].tolist())


def _role(ctx: Context) -> pd.DataFrame:
    emails = _emails(ctx)
    residential = _residential(ctx)
    local = email_local(emails["email_clean"])
    hit = emails[local.isin(ROLE_LOCALS) & emails["customer_id"].isin(residential)]
    return findings(
        hit["id"],
        "A shared role address (" + local[hit.index] + "@) on a "
        "residential customer: ask for the person's own address.",
        hit["value"],
    )


def _untidy(ctx: Context) -> pd.DataFrame:
    emails = _emails(ctx)
    emails = emails[emails["email_clean"].notna()]
    hit = emails[emails["value"].astype(str) != emails["email_clean"]]
    return findings(
        hit["id"],
        "Stored with capitals, spaces, quotes or a mailto: prefix: store it as shown in the fix.",
        hit["value"],
        fix=hit["email_clean"],
    )


def _own_domain(ctx: Context) -> pd.DataFrame:
    """Placeholders, and the tenant's own domain on a residential customer."""
    emails = _emails(ctx)
    hit = emails[emails["email_fault"] == "placeholder"]
    domains = {d.lower() for d in ctx.settings.tenant_email_domains}
    if domains:
        domain = email_domain(emails["email_clean"])
        own = domain.isin(domains) & emails["customer_id"].isin(_residential(ctx))
        hit = pd.concat([hit, emails[own & (emails["email_fault"] != "placeholder")]])
    return findings(
        hit["id"],
        "A stand-in address, not the customer's: ask for a real one or leave it empty.",
        hit["value"],
    )


REPEATED_CONTACT_COLUMNS = [
    "rule_id",
    "owner_type",
    "owner_id",
    "contact_id",
    "first_contact_id",
    "value",
]


def repeated_contacts(contacts: pd.DataFrame) -> pd.DataFrame:
    """Contacts whose phone or e-mail repeats one the same customer or location already has
    (DUP-CON-001), in a contacts frame (:func:`titanaudit.frames.contacts_frame` columns), the
    values compared as matching reads them (``+1 303 699 0464`` is ``303.699.0464``): columns
    ``rule_id, owner_type, owner_id, contact_id, first_contact_id, value``."""
    mine = contacts[contacts["owner_type"].isin(["customer", "location"])]
    if mine.empty:
        return pd.DataFrame(columns=REPEATED_CONTACT_COLUMNS)
    email = mine["type"] == "Email"
    phones = phone_frame(mine["value"].where(~email))["phone"]
    normal = phones.where(phones.notna(), email_frame(mine["value"].where(email))["email"])
    held = mine.assign(normal=normal).dropna(subset=["normal"]).sort_values("id")
    first = held.groupby(["owner_type", "owner_id", "normal"], sort=False)["id"].transform("first")
    again = held[held["id"] != first]  # the first of each value stays; the rest repeat it
    return pd.DataFrame(
        {
            "rule_id": "DUP-CON-001",
            "owner_type": again["owner_type"].to_numpy(),
            "owner_id": again["owner_id"].to_numpy(),
            "contact_id": again["id"].to_numpy(),
            "first_contact_id": first[again.index].to_numpy(),
            "value": again["value"].to_numpy(),
        }
    )


def _repeated(ctx: Context) -> pd.DataFrame:
    """DUP-CON-001: a phone or e-mail one customer or location already has, typed again."""
    rows = repeated_contacts(ctx.need("contacts", "id", "owner_type", "owner_id", "type", "value"))
    message = (
        "The same phone or e-mail as contact "
        + rows["first_contact_id"].astype(str)
        + " of this "
        + rows["owner_type"].astype(str)
        + ": remove the repeat."
    )
    return findings(rows["contact_id"], message, rows["value"])


CONTACT_RULES: tuple[Rule, ...] = (
    Rule("PHN-CON-001", "contacts", "high", "Phone of the wrong length",
         _fault("length", "Not a 10-digit number: ask the customer for the full number.")),
    Rule("PHN-CON-002", "contacts", "high", "Placeholder phone",
         _fault("placeholder", "A stand-in number (all one digit, 123-456-7890, area code 555): "
                "ask the customer for a real one.")),
    Rule("PHN-CON-003", "contacts", "high", "Fictional 555-01XX phone",
         _fault("fictional", "555-01XX numbers are reserved for films and examples: nobody "
                "answers them.")),
    Rule("PHN-CON-004", "contacts", "medium", "Phone not valid in North America",
         _fault("invalid", "No such area code or exchange in North America: check the digits.")),
    Rule("PHN-CON-005", "contacts", "medium", "The office's own phone on a customer", _office),
    Rule("PHN-CON-006", "contacts", "low", "Toll-free number marked as a mobile", _mobile_toll_free),
    Rule("PHN-CON-007", "contacts", "low", "Several numbers or words in one phone",
         _fault("several", "More than one number, or words, in one phone field: give each "
                "number its own contact.")),
    Rule("PHN-CON-008", "contacts", "low", "Phone outside North America",
         _fault("foreign", "A number outside North America: check it is right for a local "
                "customer.")),
    Rule("PHN-CON-009", "customers", "medium", "No usable phone or e-mail", _unreachable),
    Rule("EML-CON-001", "contacts", "high", "E-mail not valid",
         _fault("syntax", "Not a valid e-mail address: check it with the customer.", "email")),
    Rule("EML-CON-002", "contacts", "high", "Placeholder e-mail", _own_domain),
    Rule("EML-CON-003", "contacts", "medium", "E-mail domain mistyped", _typo),
    Rule("EML-CON-004", "contacts", "low", "Role address on a residential customer", _role),
    Rule("EML-CON-005", "contacts", "info", "E-mail stored untidily", _untidy),
    Rule("DUP-CON-001", "contacts", "low", "The same phone or e-mail twice on one record", _repeated),
)  # fmt: skip
