"""The numbers that decide a match, in one place: every command, function and stage that takes
one defaults to these, so changing a default is one edit and the help text says it once."""

from __future__ import annotations

__all__ = ["EXISTING_AT", "MATCH_THRESHOLD", "REVIEW_FROM"]

#: match probability from which two records are one person or company: the audit's customer
#: clusters, ``titanaudit dedupe``, leads and bookings matched to customers, a file's repeats
MATCH_THRESHOLD = 0.5
#: pre-import check: a row at this probability or more is an existing customer
EXISTING_AT = 0.9
#: pre-import check: a row from this probability (below :data:`EXISTING_AT`) needs review
REVIEW_FROM = MATCH_THRESHOLD
