"""OAuth2 client credentials for ServiceTitan, as an ``httpx.Auth``.

ServiceTitan issues 15-minute bearer tokens from ``{auth_url}/connect/token`` and throttles that
endpoint, so the token is cached and shared by all threads, renewed ``margin`` seconds before it
expires, and fetched again when a request comes back 401 (a token revoked or expired early).
Every request also carries the ``ST-App-Key`` header. No secret ever appears in ``repr``, logs or
errors.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass

import httpx

from titanaudit.config import Credentials
from titanaudit.errors import AuthenticationError, ServiceTitanError

__all__ = ["ClientCredentialsAuth", "Token", "TokenFetcher"]

logger = logging.getLogger(__name__)

#: A 401 means the token died early; fetch a new one and retry, at most this many times per
#: request (a wrong app key keeps answering 401 and ends in an error after that). A 401 for a
#: token ServiceTitan already accepted is that token expiring, not a refusal, and is not counted
#: (a request held back by a rate limit may outlive several short-lived tokens), up to
#: EXPIRIES_ON_401 times.
REFETCHES_ON_401 = 2
EXPIRIES_ON_401 = 20


@dataclass(frozen=True)
class Token:
    """An access token, the monotonic time it expires at, and how long it was issued for."""

    value: str
    expires_at: float
    lifetime: float = 900.0

    def __repr__(self) -> str:
        return f"Token(expires_at={self.expires_at:.0f})"

    def due(self, now: float, margin: float) -> bool:
        """Time to renew: within ``margin`` of expiry (a tenth of the lifetime for short-lived
        tokens, so a 30-second token is not renewed on every request)."""
        return now >= self.expires_at - min(margin, self.lifetime / 10)


class TokenFetcher:
    """Fetch a token from ``{auth_url}/connect/token`` through ``client`` (which retries)."""

    def __init__(
        self,
        client: httpx.Client,
        auth_url: str,
        credentials: Credentials,
        *,
        environment: str = "production",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.url = f"{auth_url}/connect/token"
        self.credentials = credentials
        self.environment = environment
        self.clock = clock

    def __repr__(self) -> str:
        return f"TokenFetcher(url={self.url!r}, client_id={self.credentials.client_id!r})"

    def __call__(self) -> Token:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.credentials.client_id,
            "client_secret": self.credentials.client_secret,
        }
        started = self.clock()
        response = self.client.post(self.url, data=form)
        if response.status_code in (400, 401, 403):
            raise AuthenticationError(
                self._refusal(response), status=response.status_code, url=self.url
            )
        if response.status_code != 200:
            raise ServiceTitanError(
                f"the token service at {self.url} answered {response.status_code} "
                f"{response.reason_phrase}",
                status=response.status_code,
                url=self.url,
            )
        try:
            body = response.json()
            value, lifetime = str(body["access_token"]), float(body.get("expires_in", 900))
        except (ValueError, KeyError, TypeError):
            raise ServiceTitanError(
                f"the token service at {self.url} sent a response without an access token; "
                "check --auth-url",
                url=self.url,
            ) from None
        logger.debug("new access token, valid for %.0f s", lifetime)
        return Token(value, started + lifetime, lifetime)

    def _refusal(self, response: httpx.Response) -> str:
        try:
            error = str(response.json().get("error", ""))
        except ValueError:
            error = ""
        if error in ("invalid_client", "unauthorized_client", ""):
            where = (
                f"the {self.environment} environment"
                if self.environment in ("production", "integration")
                else f"the token service at {_origin(self.url)}"
            )
            return (
                f"ServiceTitan refused the client id or secret ({error or response.status_code}); "
                f"check ST_CLIENT_ID and ST_CLIENT_SECRET, and that they were issued for {where}"
            )
        return f"the token service refused the request ({error}); check the credentials"


class ClientCredentialsAuth(httpx.Auth):
    """Bearer token plus ``ST-App-Key`` on every request; renewed early, refetched on a 401."""

    def __init__(
        self,
        fetch: Callable[[], Token],
        app_key: str,
        *,
        margin: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._app_key = app_key
        self._margin = margin
        self._clock = clock
        self._token: Token | None = None
        self._accepted: list[str] = []  # tokens ServiceTitan answered other than 401
        self._lock = threading.Lock()
        self.fetched = 0

    def __repr__(self) -> str:
        return f"ClientCredentialsAuth(token={'cached' if self._token else 'none'})"

    def token(self, *, stale: str | None = None) -> str:
        """The cached token, fetching a new one if it is near expiry or equals ``stale``."""
        with self._lock:
            current = self._token
            expired = current is None or current.due(self._clock(), self._margin)
            if expired or (stale is not None and current is not None and current.value == stale):
                self._token = current = self._fetch()
                self.fetched += 1
            assert current is not None
            return current.value

    def sign(self, request: httpx.Request) -> None:
        """Put the app key and the current token on ``request`` (again before each retry, so a
        request that waited out a long backoff does not go out with an expired token)."""
        request.headers["ST-App-Key"] = self._app_key
        request.headers["Authorization"] = f"Bearer {self.token()}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        response = yield request
        refused = expired = 0
        while response.status_code == 401:
            used = request.headers["Authorization"].removeprefix("Bearer ")
            if used in self._accepted:
                expired += 1
            else:
                refused += 1
            if refused > REFETCHES_ON_401 or expired > EXPIRIES_ON_401:
                return
            logger.info("401 from %s; fetching a new token and trying again", request.url.path)
            request.headers["Authorization"] = f"Bearer {self.token(stale=used)}"
            response = yield request
        self._accept(request.headers["Authorization"].removeprefix("Bearer "))

    def _accept(self, token: str) -> None:
        """Remember that ServiceTitan took ``token`` (the last few only)."""
        with self._lock:
            if token not in self._accepted:
                self._accepted = [*self._accepted[-3:], token]


def _origin(url: str) -> str:
    """Scheme, host and port of ``url``: never a user name or password written into it."""
    parsed = httpx.URL(url)
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}"
