"""Field kinds, parsed once: what a phone, an e-mail address, a name or an address *is*, for
matching and rules alike. Nothing here imports from the rest of titanaudit.

Each kind has one parser with two paths that give the same answer, value by value:

- a **reference** path, one value at a time (:func:`~titanaudit.fields.phones.parse_phone`,
  :func:`~titanaudit.fields.emails.parse_email`, :func:`~titanaudit.fields.names.parse_name`,
  :func:`~titanaudit.fields.addresses.parse_street`), which reads every shape a person types;
- a **fast** path over a whole column (:func:`~titanaudit.fields.phones.phone_frame`,
  :func:`~titanaudit.fields.emails.email_frame`, :func:`~titanaudit.fields.names.name_frame`,
  :func:`~titanaudit.fields.addresses.address_frame`): vectorised kernels decide the everyday
  shapes at once, and the rest go through the reference path once per distinct value.

The matching engine reads the columns that are evidence (``phone``, ``email``, ``name_norm``,
``street_key``, ...); the rules read the verdicts (``phone_fault``, ``email_fault``,
``name_placeholder``) and the cleaned values. Both read one parse, so they cannot disagree about
one value. Placeholders (000-000-0000, noemail@none.com, "Test", "New Homeowner") give no keys,
with a flag, so they can never create a match.
"""

from __future__ import annotations

from titanaudit.fields.addresses import address_frame
from titanaudit.fields.emails import (
    EMAIL_COLUMNS,
    PLACEHOLDER_DOMAINS,
    PLACEHOLDER_LOCALS,
    email_domain,
    email_frame,
    email_local,
    parse_email,
    placeholder_email,
)
from titanaudit.fields.names import name_frame, name_parts_frame
from titanaudit.fields.phones import (
    EXTENSION,
    PHONE_COLUMNS,
    SEQUENTIAL,
    fill_area_codes,
    local_numbers,
    parse_phone,
    phone_digits,
    phone_frame,
    placeholder_phone,
)
from titanaudit.fields.text import arrow_text, per_distinct

__all__ = [
    "EMAIL_COLUMNS",
    "EXTENSION",
    "PHONE_COLUMNS",
    "PLACEHOLDER_DOMAINS",
    "PLACEHOLDER_LOCALS",
    "SEQUENTIAL",
    "address_frame",
    "arrow_text",
    "email_domain",
    "email_frame",
    "email_local",
    "fill_area_codes",
    "local_numbers",
    "name_frame",
    "name_parts_frame",
    "parse_email",
    "parse_phone",
    "per_distinct",
    "phone_digits",
    "phone_frame",
    "placeholder_email",
    "placeholder_phone",
]
