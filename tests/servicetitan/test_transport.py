from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from titanaudit.errors import RetriesExhausted, UnreachableError
from titanaudit.servicetitan.transport import RateLimiter, RetryPolicy, RetryTransport

from .fakes import FakeClock, problem


def _client(
    responses: list[httpx.Response | Exception],
    clock: FakeClock,
    *,
    limiter: RateLimiter | None = None,
    wall_clock: Callable[[], float] | None = None,
    before_send: Callable[[httpx.Request], None] | None = None,
    **policy: Any,
) -> tuple[httpx.Client, list[int]]:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        item = responses.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    transport = RetryTransport(
        httpx.MockTransport(handler),
        limiter=limiter or RateLimiter(1000, 1000, clock=clock, sleep=clock.sleep),
        policy=RetryPolicy(**policy),
        sleep=clock.sleep,
        rng=random.Random(1),
        before_send=before_send,
        wall_clock=wall_clock or time.time,
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
    client, calls = _client([problem(500, "boom") for _ in range(4)], clock, max_attempts=4)
    with pytest.raises(RetriesExhausted, match=r"x failed 4 times over \d+ s \(last: 500") as info:
        client.get("https://api.test/x?from=abc")
    assert "resumes where it stopped" in str(info.value)
    assert "\n" not in str(info.value)
    assert "from=abc" not in str(info.value)
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


# The limit is the application's: one shared "not before" moment, and give-up on elapsed time.


class ParallelClock(FakeClock):
    """A fake clock for several threads: a thread that sleeps wakes at the time it last read plus
    the seconds, so threads sleep side by side instead of adding up their sleeps."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.seen: dict[int, float] = {}

    def __call__(self) -> float:
        with self.lock:
            self.seen[threading.get_ident()] = self.now
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.slept.append(seconds)
            woke = self.seen.get(threading.get_ident(), self.now) + seconds
            self.now = max(self.now, woke)


def test_a_429_in_one_thread_holds_back_every_thread() -> None:
    clock = FakeClock()
    first_is_waiting, second_is_done = threading.Event(), threading.Event()
    sent: dict[str, float] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/first" and path not in sent:
            sent[path] = clock.now
            return problem(429, "Too many", {"Retry-After": "30"})
        sent.setdefault(path, clock.now)
        return httpx.Response(200, json={})

    def sleep(seconds: float) -> None:
        if threading.current_thread() is first:  # the first thread waits until the second is done
            first_is_waiting.set()
            second_is_done.wait(5)
        clock.sleep(seconds)

    limiter = RateLimiter(1000, 1000, clock=clock, sleep=sleep)
    transport = RetryTransport(
        httpx.MockTransport(handler), limiter=limiter, sleep=sleep, rng=random.Random(1)
    )
    client = httpx.Client(transport=transport)
    first = threading.Thread(target=client.get, args=("https://api.test/first",))
    first.start()
    assert first_is_waiting.wait(5)
    assert client.get("https://api.test/second").status_code == 200
    second_is_done.set()
    first.join(5)
    assert sent["/first"] == 1000.0
    assert sent["/second"] >= 1030.0, "the second thread waited out the first thread's 429"


def test_429s_waited_out_as_asked_never_exhaust_the_retries() -> None:
    clock = FakeClock()
    limited = [
        problem(429, "Too many", {"Retry-After": "5"}) if i % 2 else problem(429, "In 5 seconds.")
        for i in range(30)
    ]
    client, calls = _client([*limited, httpx.Response(200, json={"ok": True})], clock)
    assert client.get("https://api.test/x").json() == {"ok": True}
    assert len(calls) == 31
    assert 150 <= sum(clock.slept) < 150 + 30 * 0.5


def test_concurrent_workers_do_not_use_up_each_others_retries() -> None:
    """200 429s among 8 workers (25 each on average): every request still succeeds."""
    clock = ParallelClock()
    script = [problem(429, "Too many", {"Retry-After": "0.5"}) for _ in range(200)]
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            return script.pop() if script else httpx.Response(200, json={})

    limiter = RateLimiter(1000, 1000, clock=clock, sleep=clock.sleep)
    transport = RetryTransport(
        httpx.MockTransport(handler), limiter=limiter, sleep=clock.sleep, rng=random.Random(1)
    )
    outcomes: list[str] = []

    def work(client: httpx.Client) -> None:
        try:
            outcomes.append(str(client.get("https://api.test/x").status_code))
        except RetriesExhausted as exc:
            outcomes.append(str(exc))

    with httpx.Client(transport=transport) as client:
        workers = [threading.Thread(target=work, args=(client,)) for _ in range(8)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(10)
    assert outcomes == ["200"] * 8
    assert not script
    assert clock.now - 1000 < 200 * 0.6, "the workers waited out the 429s side by side"


def test_server_errors_are_retried_until_the_time_budget_is_spent() -> None:
    clock = FakeClock()
    client, calls = _client(
        [problem(502, "Bad Gateway") for _ in range(100)], clock, budget=120.0, cap=5.0
    )
    with pytest.raises(RetriesExhausted, match=r"failed \d+ times over 1\d\d s \(last: 502"):
        client.get("https://api.test/bookings/1/contacts")
    assert len(calls) > 20, "far more than a small count of tries"
    assert 110 <= sum(clock.slept) <= 120, "gave up at the budget, without sleeping past it"


def test_the_budget_is_extended_by_the_longest_wait_the_server_asked_for() -> None:
    clock = FakeClock()
    answers: list[httpx.Response | Exception] = [
        problem(429, "Try again in 100 seconds."),
        problem(500, "boom"),
        problem(500, "boom"),
        httpx.Response(200, json={}),
    ]
    client, _ = _client(answers, clock, budget=10.0, base=1.0)
    assert client.get("https://api.test/x").status_code == 200
    assert clock.now - 1000 > 100


def test_a_server_that_never_stops_asking_to_wait_meets_the_hard_ceiling() -> None:
    clock = FakeClock()
    forever: list[httpx.Response | Exception] = [
        problem(429, "Too many", {"Retry-After": "0"}) for _ in range(60)
    ]
    client, calls = _client(forever, clock, max_attempts=50)
    with pytest.raises(RetriesExhausted, match=r"failed 50 times .*\(last: 429"):
        client.get("https://api.test/x")
    assert len(calls) == 50


@pytest.mark.parametrize(
    ("headers", "wall"),
    [
        (
            {
                "Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT",
                "Date": "Wed, 21 Oct 2015 07:28:00 GMT",
            },
            None,
        ),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT"}, 1445412480.0),  # 07:28:00
    ],
    ids=["against-the-date-header", "against-the-injected-wall-clock"],
)
def test_a_retry_after_date_is_read_against_the_server_date_or_the_injected_clock(
    headers: dict[str, str], wall: float | None
) -> None:
    clock = FakeClock()
    answers: list[httpx.Response | Exception] = [problem(429, "Too many", headers)]
    answers.append(httpx.Response(200, json={}))
    client, _ = _client(answers, clock, wall_clock=(lambda: wall) if wall else None)
    assert client.get("https://api.test/x").status_code == 200
    assert 30 <= clock.slept[-1] < 30.3


def test_a_request_held_back_by_another_threads_429_is_signed_again() -> None:
    """A long shared wait may outlive the access token, so the request is signed after it."""
    clock = FakeClock()
    limiter = RateLimiter(1000, 1000, clock=clock, sleep=clock.sleep)
    signed: list[float] = []
    client, _ = _client(
        [httpx.Response(200, json={})],
        clock,
        limiter=limiter,
        before_send=lambda request: signed.append(clock.now),
    )
    limiter.hold(40)
    assert client.get("https://api.test/x").status_code == 200
    assert signed == [1040.0]


def test_the_shared_moment_only_moves_forward_and_sending_resumes_at_the_steady_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, burst=10, clock=clock, sleep=clock.sleep)
    assert limiter.hold(30) == 1030.0
    assert limiter.hold(5) == 1030.0, "a shorter wait does not cut the longer one"
    sent = []
    for _ in range(3):
        limiter.acquire()
        sent.append(clock.now)
    assert sent == pytest.approx([1030.0, 1030.1, 1030.2])


def test_every_retry_policy_field_is_documented() -> None:
    for spec in dataclasses.fields(RetryPolicy):
        assert spec.metadata.get("help"), f"RetryPolicy.{spec.name} has no help text"
