from __future__ import annotations

import random

import httpx
import pytest

from titanaudit.errors import RetriesExhausted, UnreachableError
from titanaudit.servicetitan.transport import RateLimiter, RetryPolicy, RetryTransport

from .fakes import FakeClock, problem


def _client(
    responses: list[httpx.Response | Exception], clock: FakeClock, **policy: float
) -> tuple[httpx.Client, list[int]]:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        item = responses.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    limiter = RateLimiter(1000, 1000, clock=clock, sleep=clock.sleep)
    transport = RetryTransport(
        httpx.MockTransport(handler),
        limiter=limiter,
        policy=RetryPolicy(**policy),  # type: ignore[arg-type]
        sleep=clock.sleep,
        rng=random.Random(1),
    )
    return httpx.Client(transport=transport), calls


def test_429_waits_as_the_retry_after_header_says() -> None:
    clock = FakeClock()
    client, calls = _client(
        [problem(429, "Too many", {"Retry-After": "7"}), httpx.Response(200, json={})], clock
    )
    assert client.get("https://api.test/x").status_code == 200
    assert len(calls) == 2
    assert 7 <= clock.slept[-1] < 7.3


def test_429_without_header_waits_the_seconds_named_in_the_title() -> None:
    clock = FakeClock()
    client, _ = _client(
        [
            problem(429, "Rate limit exceeded. Try again in 12 seconds."),
            httpx.Response(200, json={}),
        ],
        clock,
    )
    client.get("https://api.test/x")
    assert 12 <= clock.slept[-1] < 12.3


def test_429_with_no_hint_backs_off_exponentially() -> None:
    clock = FakeClock()
    answers: list[httpx.Response | Exception] = [problem(429, "Slow down") for _ in range(4)]
    client, _ = _client([*answers, httpx.Response(200, json={})], clock, base=1.0, cap=60.0)
    client.get("https://api.test/x")
    assert len(clock.slept) == 4
    for attempt, waited in enumerate(clock.slept):
        assert 0.5 * 2**attempt <= waited <= 2**attempt


def test_a_429_body_that_is_not_json_still_backs_off() -> None:
    clock = FakeClock()
    client, _ = _client(
        [httpx.Response(429, text="<html>busy</html>"), httpx.Response(200, json={})], clock
    )
    assert client.get("https://api.test/x").status_code == 200


@pytest.mark.parametrize(
    "fault",
    [
        problem(500, "boom"),
        problem(503, "down"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
    ],
)
def test_server_errors_and_network_faults_are_retried(fault: httpx.Response | Exception) -> None:
    clock = FakeClock()
    client, calls = _client([fault, fault, httpx.Response(200, json={"ok": True})], clock)
    assert client.get("https://api.test/x").json() == {"ok": True}
    assert len(calls) == 3


def test_retries_end_in_a_clear_error() -> None:
    clock = FakeClock()
    client, calls = _client([problem(500, "boom") for _ in range(4)], clock, max_retries=3)
    with pytest.raises(RetriesExhausted, match=r"failed 4 times \(last: 500") as info:
        client.get("https://api.test/x?from=abc")
    assert "resumes where it stopped" in str(info.value)
    assert len(calls) == 4


def test_an_unreachable_host_fails_fast() -> None:
    clock = FakeClock()
    client, calls = _client([httpx.ConnectError("[Errno -2] Name or service not known")] * 5, clock)
    with pytest.raises(UnreachableError, match="does not resolve"):
        client.get("https://nowhere.test/x")
    assert len(calls) == 3
    assert sum(clock.slept) < 2


def test_a_4xx_is_not_retried() -> None:
    clock = FakeClock()
    client, calls = _client([problem(404, "not found")], clock)
    assert client.get("https://api.test/x").status_code == 404
    assert len(calls) == 1


def test_rate_limiter_holds_the_average_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(20, burst=5, clock=clock, sleep=clock.sleep)
    for _ in range(105):
        limiter.acquire()
    elapsed = clock.now - 1000.0
    assert elapsed == pytest.approx(100 / 20, rel=0.02)


def test_a_connect_timeout_fails_fast_too() -> None:
    clock = FakeClock()
    client, calls = _client([httpx.ConnectTimeout("timed out")] * 5, clock)
    with pytest.raises(UnreachableError, match="no answer"):
        client.get("https://blackhole.test/x")
    assert len(calls) == 3
