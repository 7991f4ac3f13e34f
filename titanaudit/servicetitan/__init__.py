"""The fetch layer: OAuth2, retries and rate limiting, the export feeds, sync and web-UI links."""

from titanaudit.servicetitan.auth import ClientCredentialsAuth, Token, TokenFetcher
from titanaudit.servicetitan.client import ExportPage, ServiceTitanClient
from titanaudit.servicetitan.feeds import BOOKING_CONTACTS, EXPORT_FEEDS, LOOKUPS, Feed
from titanaudit.servicetitan.links import customer_url, location_url, record_url
from titanaudit.servicetitan.sync import FeedProgress, SyncResult, sync
from titanaudit.servicetitan.transport import RateLimiter, RetryPolicy, RetryTransport, WireStats

__all__ = [
    "BOOKING_CONTACTS",
    "EXPORT_FEEDS",
    "LOOKUPS",
    "ClientCredentialsAuth",
    "ExportPage",
    "Feed",
    "FeedProgress",
    "RateLimiter",
    "RetryPolicy",
    "RetryTransport",
    "ServiceTitanClient",
    "SyncResult",
    "Token",
    "TokenFetcher",
    "WireStats",
    "customer_url",
    "location_url",
    "record_url",
    "sync",
]
