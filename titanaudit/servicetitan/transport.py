"""Retries and rate limiting, in one place: an httpx transport wrapper.

Every request titanaudit sends to ServiceTitan, token requests included, passes through
:class:`RetryTransport`. It waits for the shared :class:`RateLimiter`, sends, reads the whole body
(so a connection cut mid-body is retried here, not half-parsed later), and retries:

- 429: ServiceTitan's limit is per application, so a 429 holds back *every* thread: the limiter
  sends nothing before the moment named by ``Retry-After`` (seconds or an HTTP date), else by the
  seconds in the body's ``title`` ("... Try again in 7 seconds."), else by an exponential backoff
  with jitter. A 429 waited out as asked is not a failure;
- 500-599, timeouts, resets and truncated bodies: exponential backoff with jitter (this thread only);
- a refused connection, an unknown host or a connect timeout: a few quick tries, then
  :class:`UnreachableError`.

A request gives up (:class:`RetriesExhausted`) on elapsed time, not on a count that concurrent
workers use up on each other's 429s: after :attr:`RetryPolicy.budget` seconds plus the longest
wait the server asked for, or at the hard ceiling :attr:`RetryPolicy.max_attempts`.

The clocks, ``sleep`` and the random source are injected, so tests run instantly.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import httpx

from titanaudit.errors import RetriesExhausted, UnreachableError

__all__ = ["RateLimiter", "RetryPolicy", "RetryTransport", "WireStats"]

logger = logging.getLogger(__name__)

TITLE_SECONDS = re.compile(r"(\d+(?:\.\d+)?)\s*sec", re.IGNORECASE)
CONNECT_RETRIES = 2


class RateLimiter:
    """A token bucket shared by all threads: at most ``rate`` requests per second on average, and
    nothing before the shared "not before" moment that a 429 set (:meth:`hold`)."""

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
        self.not_before = -math.inf
        self.lock = threading.Lock()

    def hold(self, seconds: float) -> float:
        """Let no thread send before ``seconds`` from now; returns the shared moment.

        The moment only moves forward, never back. When it is over, sending resumes at the
        steady rate, not in a burst of every thread that waited."""
        with self.lock:
            until = self.clock() + max(0.0, seconds)
            if until > self.not_before:
                self.not_before = until
                self.tokens, self.updated = 1.0, until  # one may go at once, the rest queue
            return self.not_before

    def acquire(self) -> float:
        """Take one token, sleeping outside the lock until the hold is over and a token is
        available; returns the seconds slept."""
        slept = 0.0
        while True:
            with self.lock:
                now = self.clock()
                if now < self.not_before:
                    wait = self.not_before - now
                else:
                    elapsed = max(0.0, now - self.updated)
                    self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
                    self.updated = now
                    if self.tokens >= 1 - 1e-9:  # tolerate float rounding after a sleep
                        self.tokens -= 1
                        return slept
                    wait = (1 - self.tokens) / self.rate
            self.sleep(wait)
            slept += wait


def _doc(text: str, default: Any) -> Any:
    return field(default=default, metadata={"help": text})


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How long to keep retrying a request, and how to space the retries."""

    budget: float = _doc(
        "Seconds one request keeps retrying 5xx answers, network faults and 429s before it gives "
        "up; the longest wait the server asked for (a 429's stated delay) is added on top.",
        300.0,
    )
    base: float = _doc(
        "First backoff in seconds after a 5xx, a network fault or a 429 that names no delay; "
        "doubles with each such failure.",
        1.0,
    )
    cap: float = _doc("Longest single backoff, in seconds.", 60.0)
    longest_server_wait: float = _doc(
        "Longest wait a 429 may ask for, in seconds; a longer one is cut to this.", 600.0
    )
    max_attempts: int = _doc(
        "Hard ceiling on the attempts of one request, a last safety net whatever the clock says.",
        1000,
    )

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Exponential backoff with jitter: about base * 2**attempt, at most ``cap``."""
        ceiling = min(self.cap, self.base * float(2 ** min(attempt, 64)))
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


@dataclass
class _Tries:
    """One request's retries so far: what it met, and what its deadline depends on."""

    started: float
    attempts: int = 0
    failures: int = 0  # 5xx, network faults and 429s naming no delay: they grow the backoff
    connect_failures: int = 0
    longest_wait: float = 0.0  # the longest the server made this request wait
    problem: str = "no attempt made"


class RetryTransport(httpx.BaseTransport):
    """Wrap a transport with the rate limiter and the retry policy (see module docstring).

    ``clock`` (default: the limiter's) measures the retry budget; ``wall_clock`` (seconds since
    the epoch) is needed only for a ``Retry-After`` date on a response without a ``Date``."""

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
        clock: Callable[[], float] | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.inner = inner
        self.before_send = before_send
        self.limiter = limiter
        self.policy = policy or RetryPolicy()
        self.stats = stats or WireStats()
        self.sleep = sleep
        self.rng = rng or random.Random()
        self.clock = clock or limiter.clock
        self.wall_clock = wall_clock

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        tries = _Tries(started=self.clock())
        while tries.attempts < self.policy.max_attempts:
            held = self.limiter.acquire()
            tries.longest_wait = max(tries.longest_wait, held)
            if tries.attempts:
                self.stats.add(retries=1)
            if (tries.attempts or held) and self.before_send is not None:
                self.before_send(request)  # a long wait may have outlived the token
            tries.attempts += 1
            self.stats.add(requests=1)
            try:
                response = self.inner.handle_request(request)
                response.read()
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                self._cannot_connect(request, tries, exc)
                continue
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                self.stats.add(network_errors=1)
                self._back_off(request, tries, f"{type(exc).__name__}: {exc or 'connection lost'}")
                continue
            if response.status_code == 429:
                self._rate_limited(request, tries, response)
            elif response.status_code >= 500:
                self.stats.add(server_errors=1)
                self._back_off(request, tries, f"{response.status_code} {response.reason_phrase}")
            else:
                return response
        raise self._exhausted(request, tries)

    def _cannot_connect(self, request: httpx.Request, tries: _Tries, exc: Exception) -> None:
        tries.connect_failures += 1
        self.stats.add(network_errors=1)
        if tries.connect_failures > CONNECT_RETRIES:
            raise UnreachableError(_unreachable(request, exc)) from exc
        tries.problem = f"cannot connect ({exc})"
        self._wait(request, tries, self.policy.backoff(tries.attempts - 1, self.rng) / 4)

    def _back_off(self, request: httpx.Request, tries: _Tries, problem: str) -> None:
        """A failure of this request alone: this thread backs off, the others carry on."""
        tries.problem = problem
        tries.failures += 1
        self._wait(request, tries, self.policy.backoff(tries.failures - 1, self.rng))

    def _rate_limited(
        self, request: httpx.Request, tries: _Tries, response: httpx.Response
    ) -> None:
        """A 429 holds back every thread (the limit is the application's), for as long as the
        server asked or, if it named no delay, for a backoff that counts as a failure."""
        self.stats.add(rate_limited=1)
        tries.problem = "429 Too Many Requests"
        asked = self._asked_wait(response)
        if asked is None:
            tries.failures += 1
            seconds = self.policy.backoff(tries.failures - 1, self.rng)
        else:
            seconds = asked + self.rng.uniform(0, min(0.25, asked / 10))
            tries.longest_wait = max(tries.longest_wait, seconds)
        self._wait(request, tries, seconds, shared=True)

    def _wait(
        self, request: httpx.Request, tries: _Tries, seconds: float, *, shared: bool = False
    ) -> None:
        """Wait before the next try, or give up if it would start after the deadline."""
        deadline = tries.started + self.policy.budget + tries.longest_wait
        if self.clock() + seconds > deadline:
            raise self._exhausted(request, tries)
        logger.info("%s: %s; retrying in %.1f s", _where(request), tries.problem, seconds)
        if shared:
            self.limiter.hold(seconds)  # the next acquire, in every thread, waits it out
        else:
            self.sleep(seconds)

    def _exhausted(self, request: httpx.Request, tries: _Tries) -> RetriesExhausted:
        elapsed = self.clock() - tries.started
        return RetriesExhausted(
            f"{_where(request)} failed {tries.attempts} times over {elapsed:.0f} s "
            f"(last: {tries.problem}); ServiceTitan may be having trouble: wait a few minutes "
            "and run the same command again, it resumes where it stopped",
            url=str(request.url.copy_with(query=None)),
        )

    def _asked_wait(self, response: httpx.Response) -> float | None:
        """Seconds a 429 asks for: ``Retry-After``, else the title's "N seconds"; None if neither."""
        seconds = _retry_after(response, self.wall_clock)
        if seconds is None:
            seconds = _title_seconds(response)
        if seconds is None or not math.isfinite(seconds):
            return None
        return min(max(seconds, 0.0), self.policy.longest_server_wait)

    def close(self) -> None:
        self.inner.close()


def _where(request: httpx.Request) -> str:
    return f"{request.method} {request.url.copy_with(query=None)}"


def _retry_after(response: httpx.Response, wall_clock: Callable[[], float]) -> float | None:
    """``Retry-After`` in seconds: a number, or an HTTP date taken relative to the response's own
    ``Date`` (the server's clock), else to ``wall_clock``."""
    header = response.headers.get("Retry-After", "").strip()
    if not header:
        return None
    try:
        return float(header)
    except ValueError:
        pass
    when = _http_date(header)
    if when is None:
        return None
    sent = _http_date(response.headers.get("Date", ""))
    return when - (sent if sent is not None else wall_clock())


def _http_date(text: str) -> float | None:
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _title_seconds(response: httpx.Response) -> float | None:
    try:
        body = response.json()
    except ValueError:
        return None
    title = body.get("title", "") if isinstance(body, dict) else ""
    match = TITLE_SECONDS.search(str(title))
    return float(match.group(1)) if match else None


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
