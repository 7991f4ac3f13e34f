"""The exceptions titanaudit raises.

Every error a user can cause or meet derives from one root, so a caller (and the CLI) can catch
them all in one place. The tree is shallow on purpose::

    TitanAuditError                 anything titanaudit raises on purpose (exit code 1)
    ├── ConfigError                 missing or malformed settings, credentials or files (exit 2)
    ├── ServiceTitanError           the API answered with something we cannot use (exit 3)
    │   ├── AuthenticationError     the token endpoint refused the credentials (exit 4)
    │   ├── PermissionDenied        403: wrong tenant or a scope the app lacks (exit 5)
    │   ├── RetriesExhausted        429, 5xx or network faults outlasted the retry budget (exit 6)
    │   └── PagingError             a feed's paging did not terminate (repeated token, page limit)
    ├── UnreachableError            the host could not be reached at all (DNS, refused, TLS) (exit 7)
    ├── StoreError                  the snapshot file is not one of ours, or is damaged (exit 8)
    ├── BusyError                   another run holds the snapshot's lock (exit 9)
    └── DeliveryError               the monthly summary could not be sent (exit 12)

Every exception carries a message a person can act on; none ever contains a secret.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "BusyError",
    "ConfigError",
    "DeliveryError",
    "PagingError",
    "PermissionDenied",
    "RetriesExhausted",
    "ServiceTitanError",
    "StoreError",
    "TitanAuditError",
    "UnreachableError",
]


class TitanAuditError(Exception):
    """Root of every error titanaudit raises on purpose."""

    exit_code = 1


class ConfigError(TitanAuditError):
    """Settings, credentials or an input file are missing or malformed."""

    exit_code = 2


class ServiceTitanError(TitanAuditError):
    """The ServiceTitan API answered with something we cannot use.

    ``status`` is the HTTP status (None when there was no response) and ``url`` the request's URL
    without its query string.
    """

    exit_code = 3

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None):
        super().__init__(message)
        self.status = status
        self.url = url


class AuthenticationError(ServiceTitanError):
    """The token endpoint refused the client id or secret, or the app key was refused."""

    exit_code = 4


class PermissionDenied(ServiceTitanError):
    """HTTP 403: the tenant id is wrong or the app lacks a scope."""

    exit_code = 5


class RetriesExhausted(ServiceTitanError):
    """Rate limiting, server errors or network faults outlasted the retry budget."""

    exit_code = 6


class PagingError(ServiceTitanError):
    """A feed's paging did not terminate: a repeated continuation token or too many pages."""


class UnreachableError(TitanAuditError):
    """The host could not be reached at all: name lookup, refused connection, TLS failure."""

    exit_code = 7


class StoreError(TitanAuditError):
    """The snapshot file is not a titanaudit snapshot, or it is damaged or locked."""

    exit_code = 8


class BusyError(TitanAuditError):
    """Another run holds the snapshot's lock and did not let go in the time given."""

    exit_code = 9


class DeliveryError(TitanAuditError):
    """The monthly summary could not be delivered (SMTP server or webhook); the audit is written."""

    exit_code = 12
