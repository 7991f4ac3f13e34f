"""The ServiceTitan API client: one ``httpx.Client`` with auth, retries and the rate limiter.

:class:`ServiceTitanClient` knows the URL layout (``{api_url}/crm/v2/tenant/{tenant}/…``), turns
HTTP errors into titanaudit exceptions that say what to fix, and pages through both envelope
kinds: export feeds (``from``/``continueFrom``) and paged lists (``page``/``hasMore``). Both page
loops have a hard stop.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from titanaudit.config import Config
from titanaudit.errors import (
    AuthenticationError,
    PagingError,
    PermissionDenied,
    ServiceTitanError,
)
from titanaudit.servicetitan.auth import ClientCredentialsAuth, TokenFetcher
from titanaudit.servicetitan.transport import RateLimiter, RetryPolicy, RetryTransport, WireStats

__all__ = ["ExportPage", "ServiceTitanClient"]

logger = logging.getLogger(__name__)

Record = dict[str, Any]


@dataclass(frozen=True)
class ExportPage:
    """One page of an export feed: its records as sent, and where to continue."""

    records: list[Record]
    continue_from: str | None
    has_more: bool


class ServiceTitanClient:
    """A thread-safe client for one tenant. Use as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        config: Config,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        settings = config.fetch
        self.config = config
        self.tenant = config.credentials.tenant_id
        self.stats = WireStats()
        limiter = RateLimiter(settings.rate_limit, settings.burst, clock=clock, sleep=sleep)
        # Requests give up on elapsed time, not on a count of tries: a count is used up by the
        # 429s that concurrent workers meet.
        policy = RetryPolicy(
            budget=settings.retry_budget, base=settings.backoff_base, cap=settings.backoff_cap
        )

        def wire(before_send: Callable[[httpx.Request], None] | None = None) -> RetryTransport:
            inner = transport or httpx.HTTPTransport(retries=0)
            return RetryTransport(
                inner,
                limiter=limiter,
                policy=policy,
                stats=self.stats,
                sleep=sleep,
                rng=rng,
                before_send=before_send,
            )

        timeout = httpx.Timeout(settings.timeout, connect=min(10.0, settings.timeout))
        headers = {"Accept": "application/json", "User-Agent": "titanaudit/0.1"}
        self._token_client = httpx.Client(transport=wire(), timeout=timeout, headers=headers)
        fetcher = TokenFetcher(
            self._token_client,
            config.endpoints.auth_url,
            config.credentials,
            environment=config.endpoints.name,
            clock=clock,
        )
        self.auth = ClientCredentialsAuth(
            fetcher, config.credentials.app_key, margin=settings.token_refresh_margin, clock=clock
        )
        limits = httpx.Limits(max_connections=settings.concurrency * 2 + 2)
        self._http = httpx.Client(
            transport=wire(self.auth.sign),
            auth=self.auth,
            timeout=timeout,
            headers=headers,
            limits=limits,
        )

    def __repr__(self) -> str:
        return f"ServiceTitanClient(api={self.config.endpoints.api_url!r}, tenant={self.tenant})"

    def __enter__(self) -> ServiceTitanClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()
        self._token_client.close()

    def url(self, path: str, *, api: str = "crm") -> str:
        """``{api_url}/{api}/v2/tenant/{tenant}/{path}``."""
        return f"{self.config.endpoints.api_url}/{api}/v2/tenant/{self.tenant}/{path.lstrip('/')}"

    def get_json(
        self, path: str, params: Mapping[str, Any] | None = None, *, api: str = "crm"
    ) -> Any:
        """GET a path of the tenant and return the decoded JSON, or raise a titanaudit error."""
        url = self.url(path, api=api)
        response = self._http.get(url, params=params)
        if response.status_code != 200:
            raise _http_error(response, url, self.tenant)
        try:
            return json.loads(response.content)
        except ValueError:
            raise ServiceTitanError(
                f"GET {url} answered 200 but its body is not JSON; check --api-url", url=url
            ) from None

    def export(
        self,
        path: str,
        start: str | None = None,
        *,
        api: str = "crm",
        max_pages: int | None = None,
        include_recent_changes: bool | None = None,
    ) -> Iterator[ExportPage]:
        """Follow an export feed from ``start`` (a ``continueFrom`` token, a date, or None).

        Stops at ``hasMore=false``. A page that returns the token it was given while claiming
        more, or more than ``max_pages`` pages, raises :class:`PagingError`.
        """
        settings = self.config.fetch
        limit = max_pages or settings.max_pages
        recent = (
            settings.include_recent_changes
            if include_recent_changes is None
            else include_recent_changes
        )
        token = start
        for _ in range(limit):
            params: dict[str, Any] = {"from": token} if token else {}
            if recent:
                params["includeRecentChanges"] = "true"
            body = self.get_json(path, params, api=api)
            page = _export_page(body, self.url(path, api=api))
            yield page
            if not page.has_more:
                return
            if not page.continue_from or page.continue_from == token:
                raise PagingError(
                    f"{self.url(path)} claimed more records but repeated the continuation "
                    "token; stopping instead of looping forever",
                    url=self.url(path),
                )
            token = page.continue_from
        raise PagingError(
            f"{self.url(path)} did not finish within {limit} pages", url=self.url(path)
        )

    def pages(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        api: str = "crm",
        page_size: int = 5000,
        max_pages: int | None = None,
    ) -> Iterator[list[Record]]:
        """Page through a list endpoint (``page=1,2,…`` while ``hasMore``)."""
        limit = max_pages or self.config.fetch.max_pages
        for page in range(1, limit + 1):
            query = {**(params or {}), "page": page, "pageSize": page_size}
            body = self.get_json(path, query, api=api)
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise ServiceTitanError(f"{self.url(path, api=api)} sent no data list", url=path)
            yield body["data"]
            if not body.get("hasMore"):
                return
            if not body["data"]:
                raise PagingError(f"{self.url(path, api=api)} claimed more but sent an empty page")
        raise PagingError(f"{self.url(path, api=api)} did not finish within {limit} pages")


def _export_page(body: Any, url: str) -> ExportPage:
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise ServiceTitanError(f"{url} sent an export page without a data list", url=url)
    token = body.get("continueFrom")
    return ExportPage(body["data"], str(token) if token else None, bool(body.get("hasMore")))


def _title(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    if isinstance(body, dict):
        title = str(body.get("title") or body.get("error") or response.reason_phrase)
        errors = body.get("errors")
        if isinstance(errors, dict) and errors:
            details = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in errors.items())
            title = f"{title} ({details})"
        return title
    return response.reason_phrase


def _http_error(response: httpx.Response, url: str, tenant: int) -> ServiceTitanError:
    status, title = response.status_code, _title(response)
    where = httpx.URL(url).path
    if status == 401:
        hint = (
            "check ST_APP_KEY"
            if "application key" in title.lower()
            else "check ST_CLIENT_ID, ST_CLIENT_SECRET and ST_APP_KEY"
        )
        return AuthenticationError(
            f"ServiceTitan refused {where} (401: {title}); {hint}", status=status, url=url
        )
    if status == 403:
        return PermissionDenied(
            f"ServiceTitan denied access to {where} (403: {title}); check that ST_TENANT_ID "
            f"({tenant}) is your tenant and that the app was granted the scope for this data "
            "(Settings > Integrations > API Application Access)",
            status=status,
            url=url,
        )
    hint = "; check --api-url and ST_TENANT_ID" if status == 404 else ""
    return ServiceTitanError(
        f"GET {where} failed ({status}: {title}){hint}", status=status, url=url
    )
