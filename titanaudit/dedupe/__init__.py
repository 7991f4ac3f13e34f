"""The matching engine: normalise → block → compare → score → cluster → explain.

Only normalisation is here so far (:mod:`titanaudit.dedupe.normalize`); see issue 3.
"""

from titanaudit.dedupe.normalize import (
    address_frame,
    email_frame,
    given_name_group,
    name_frame,
    phone_frame,
)

__all__ = ["address_frame", "email_frame", "given_name_group", "name_frame", "phone_frame"]
