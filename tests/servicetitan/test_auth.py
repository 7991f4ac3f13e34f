from __future__ import annotations

import logging

import httpx
import pytest

from titanaudit.errors import AuthenticationError
from titanaudit.servicetitan.auth import REFETCHES_ON_401
from titanaudit.servicetitan.client import ServiceTitanClient

from .fakes import FakeClock, Scripted, config


def _client(handler: Scripted, clock: FakeClock | None = None) -> ServiceTitanClient:
    clock = clock or FakeClock()
    return ServiceTitanClient(
        config(), transport=httpx.MockTransport(handler), sleep=clock.sleep, clock=clock
    )


def test_both_headers_and_one_cached_token() -> None:
    handler = Scripted(lambda r: httpx.Response(200, json={"ok": 1}))
    with _client(handler) as client:
        for _ in range(5):
            client.get_json("customers")
    assert handler.tokens == 1
    for request in handler.api_requests:
        assert request.headers["Authorization"] == "Bearer tok1"
        assert request.headers["ST-App-Key"] == "ak1.unit"
    token_request = handler.requests[0]
    assert token_request.url == "https://auth.test/connect/token"
    form = dict(httpx.QueryParams(token_request.content.decode()))
    assert form == {
        "grant_type": "client_credentials",
        "client_id": "cid.unit",
        "client_secret": "cs1.very-secret",
    }


def test_the_token_is_renewed_before_it_expires() -> None:
    clock = FakeClock()
    handler = Scripted(lambda r: httpx.Response(200, json={}), lifetime=900)
    with _client(handler, clock) as client:
        client.get_json("customers")
        clock.now += 830  # within the 60 s margin
        client.get_json("customers")
        clock.now += 100
        client.get_json("customers")
    assert handler.tokens == 2
    assert handler.api_requests[-1].headers["Authorization"] == "Bearer tok2"


def test_a_401_fetches_a_new_token_once_and_retries() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer tok1":
            return httpx.Response(401, json={"title": "Unauthorized"})
        return httpx.Response(200, json={"ok": True})

    handler = Scripted(api)
    with _client(handler) as client:
        assert client.get_json("customers") == {"ok": True}
    assert handler.tokens == 2


def test_a_persistent_401_is_an_authentication_error_naming_the_app_key() -> None:
    handler = Scripted(
        lambda r: httpx.Response(
            401, json={"title": "Application key not present, check ST-App-Key header value."}
        )
    )
    with _client(handler) as client, pytest.raises(AuthenticationError, match="check ST_APP_KEY"):
        client.get_json("customers")
    assert handler.tokens == 1 + REFETCHES_ON_401, "a bounded number of new tokens, not a loop"


def test_refused_credentials_say_what_to_fix_without_the_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": "invalid_client"})

    client = ServiceTitanClient(config(), transport=httpx.MockTransport(handler))
    with pytest.raises(AuthenticationError) as info:
        client.get_json("customers")
    message = str(info.value)
    assert "ST_CLIENT_ID and ST_CLIENT_SECRET" in message
    assert "very-secret" not in message
    assert "very-secret" not in caplog.text
    assert "very-secret" not in repr(client) + repr(client.auth) + repr(client.config)


def test_a_retry_after_a_long_backoff_carries_a_fresh_token() -> None:
    clock = FakeClock()
    calls: list[str] = []

    def api(request: httpx.Request) -> httpx.Response:
        calls.append(request.headers["Authorization"])
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "590"}, json={"title": "wait"})
        return httpx.Response(200, json={})

    handler = Scripted(api, lifetime=600)
    with _client(handler, clock) as client:
        client.get_json("customers")
    assert calls == ["Bearer tok1", "Bearer tok2"], "the retry was re-signed with a renewed token"


def test_a_short_lived_token_is_not_renewed_on_every_request() -> None:
    clock = FakeClock()
    handler = Scripted(lambda r: httpx.Response(200, json={}), lifetime=30)
    with _client(handler, clock) as client:
        for _ in range(20):
            client.get_json("customers")
            clock.now += 1
    assert handler.tokens == 1
