"""Retries and rate limiting, in one place: an httpx transport wrapper.

Every request titanaudit sends to ServiceTitan, token requests included, passes through
:class:`RetryTransport`. It waits for the shared :class:`RateLimiter`, sends, reads the whole body
(so a connection cut mid-body is retried here, not half-parsed later), and retries:

- 429: after ``Retry-After`` if present, else the seconds named in the body's ``title``
  ("... Try again in 7 seconds."), else exponential backoff with jitter;
- 500-599, timeouts, resets and truncated bodies: exponential backoff with jitter;
- a refused connection, an unknown host or a connect timeout: a few quick tries, then
  :class:`UnreachableError`.

The clock, ``sleep`` and the random source are injected, so tests run instantly.
"""

from __future__ import annotations

import email.utils
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from titanaudit.errors import RetriesExhausted, UnreachableError

__all__ = ["RateLimiter", "RetryPolicy", "RetryTransport", "WireStats"]

logger = logging.getLogger(__name__)

TITLE_SECONDS = re.compile(r"(\d+(?:\.\d+)?)\s*sec", re.IGNORECASE)
CONNECT_RETRIES = 2


class RateLimiter:
    """A token bucket shared by all threads: at most ``rate`` requests per second on average."""

    def __init__(
        self,
        rate: float,
        burst: int = 10,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate, self.burst = rate, max(1, burst)
        self.clock, self.sleep = clock, sleep
        self.tokens = float(self.burst)
        self.updated = clock()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        """Take one token, sleeping outside the lock until one is available."""
        while True:
            with self.lock:
                now = self.clock()
                self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
                self.updated = now
                if self.tokens >= 1 - 1e-9:  # tolerate float rounding after a sleep
                    self.tokens -= 1
                    return
                wait = (1 - self.tokens) / self.rate
            self.sleep(wait)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How many times and how long to retry."""

    max_retries: int = 10
    base: float = 1.0
    cap: float = 60.0
    longest_server_wait: float = 600.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Exponential backoff with jitter: about base * 2**attempt, at most ``cap``."""
        ceiling = min(self.cap, self.base * float(2**attempt))
        return float(ceiling * rng.uniform(0.5, 1.0))


@dataclass
class WireStats:
    """Counters of what happened on the wire, safe to read from another thread."""

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    server_errors: int = 0
    network_errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)


class RetryTransport(httpx.BaseTransport):
    """Wrap a transport with the rate limiter and the retry policy (see module docstring)."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        *,
        limiter: RateLimiter,
        policy: RetryPolicy | None = None,
        stats: WireStats | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        before_send: Callable[[httpx.Request], None] | None = None,
    ) -> None:
        self.inner = inner
        self.before_send = before_send
        self.limiter = limiter
        self.policy = policy or RetryPolicy()
        self.stats = stats or WireStats()
        self.sleep = sleep
        self.rng = rng or random.Random()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        where = f"{request.method} {request.url.copy_with(query=None)}"
        problem = "no attempt made"
        connect_failures = 0
        for attempt in range(self.policy.max_retries + 1):
            if attempt:
                self.stats.add(retries=1)
            self.limiter.acquire()
            if attempt and self.before_send is not None:
                self.before_send(request)
            self.stats.add(requests=1)
            try:
                response = self.inner.handle_request(request)
                response.read()
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                connect_failures += 1
                self.stats.add(network_errors=1)
                if connect_failures > CONNECT_RETRIES:
                    raise UnreachableError(_unreachable(request, exc)) from exc
                problem = f"cannot connect ({exc})"
                self._wait(self.policy.backoff(attempt, self.rng) / 4, where, problem)
                continue
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                self.stats.add(network_errors=1)
                problem = f"{type(exc).__name__}: {exc or 'connection lost'}"
                self._wait(self.policy.backoff(attempt, self.rng), where, problem)
                continue
            if response.status_code == 429:
                self.stats.add(rate_limited=1)
                problem = "429 Too Many Requests"
                self._wait(self._retry_after(response, attempt), where, problem)
                continue
            if response.status_code >= 500:
                self.stats.add(server_errors=1)
                problem = f"{response.status_code} {response.reason_phrase}"
                self._wait(self.policy.backoff(attempt, self.rng), where, problem)
                continue
            return response
        raise RetriesExhausted(
            f"{where} failed {self.policy.max_retries + 1} times (last: {problem}); "
            "ServiceTitan may be having trouble: wait a few minutes and run the same command "
            "again, it resumes where it stopped",
            url=str(request.url.copy_with(query=None)),
        )

    def _retry_after(self, response: httpx.Response, attempt: int) -> float:
        header = response.headers.get("Retry-After")
        seconds: float | None = None
        if header:
            try:
                seconds = float(header)
            except ValueError:
                when = email.utils.parsedate_to_datetime(header)
                seconds = when.timestamp() - time.time() if when else None
        if seconds is None:
            try:
                match = TITLE_SECONDS.search(str(response.json().get("title", "")))
            except (ValueError, AttributeError):
                match = None
            seconds = float(match.group(1)) if match else None
        if seconds is None:
            return self.policy.backoff(attempt, self.rng)
        return min(max(seconds, 0.0), self.policy.longest_server_wait) + self.rng.uniform(0, 0.25)

    def _wait(self, seconds: float, where: str, problem: str) -> None:
        logger.info("%s: %s; retrying in %.1f s", where, problem, seconds)
        self.sleep(seconds)

    def close(self) -> None:
        self.inner.close()


def _unreachable(request: httpx.Request, exc: Exception) -> str:
    host = request.url.host
    reason = str(exc) or type(exc).__name__
    if "Name or service not known" in reason or "nodename" in reason or "getaddrinfo" in reason:
        reason = "the host name does not resolve"
    elif "refused" in reason.lower():
        reason = "the connection was refused"
    elif isinstance(exc, httpx.ConnectTimeout):
        reason = "no answer to the connection attempt"
    elif "certificate" in reason.lower() or "ssl" in reason.lower():
        reason = f"the TLS handshake failed ({reason})"
    return (
        f"cannot reach {request.url.scheme}://{host}"
        f"{':' + str(request.url.port) if request.url.port else ''}: {reason}; check the "
        "--environment, --api-url and --auth-url options and your network connection"
    )
