from __future__ import annotations

import httpx
import pytest

from titanaudit.errors import PagingError, PermissionDenied, ServiceTitanError
from titanaudit.servicetitan.client import ServiceTitanClient
from titanaudit.servicetitan.links import customer_url, location_url, record_url

from .fakes import FakeClock, Scripted, config, problem


def _client(api: object, **fetch: object) -> tuple[ServiceTitanClient, Scripted]:
    handler = Scripted(api)  # type: ignore[arg-type]
    clock = FakeClock()
    return ServiceTitanClient(
        config(**fetch), transport=httpx.MockTransport(handler), sleep=clock.sleep, clock=clock
    ), handler


def test_export_follows_continue_from_until_has_more_is_false() -> None:
    pages = {None: ("t1", True, [1, 2]), "t1": ("t2", True, [3]), "t2": ("t3", False, [4])}

    def api(request: httpx.Request) -> httpx.Response:
        token, more, ids = pages[request.url.params.get("from")]
        return httpx.Response(
            200, json={"hasMore": more, "continueFrom": token, "data": [{"id": i} for i in ids]}
        )

    client, handler = _client(api)
    got = list(client.export("export/customers"))
    assert [r["id"] for p in got for r in p.records] == [1, 2, 3, 4]
    assert got[-1].continue_from == "t3"
    assert handler.api_requests[0].url.path == "/crm/v2/tenant/77/export/customers"
    assert "includeRecentChanges" not in handler.api_requests[0].url.params


def test_export_asks_for_recent_changes_when_told() -> None:
    client, handler = _client(
        lambda r: httpx.Response(200, json={"hasMore": False, "continueFrom": "x", "data": []}),
        include_recent_changes=True,
    )
    list(client.export("export/leads", "abc"))
    assert handler.api_requests[0].url.params["includeRecentChanges"] == "true"
    assert handler.api_requests[0].url.params["from"] == "abc"


def test_a_repeated_continuation_token_stops_the_loop() -> None:
    client, _ = _client(
        lambda r: httpx.Response(
            200, json={"hasMore": True, "continueFrom": "same", "data": [{"id": 1}]}
        )
    )
    with pytest.raises(PagingError, match="repeated the continuation token"):
        list(client.export("export/customers", "same"))


def test_the_page_loop_has_a_hard_stop() -> None:
    counter = iter(range(10**6))
    client, _ = _client(
        lambda r: httpx.Response(
            200, json={"hasMore": True, "continueFrom": f"t{next(counter)}", "data": []}
        ),
        max_pages=5,
    )
    with pytest.raises(PagingError, match="within 5 pages"):
        list(client.export("export/customers"))


def test_paged_lists_loop_on_has_more() -> None:
    def api(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        return httpx.Response(
            200,
            json={
                "page": page,
                "pageSize": 2,
                "hasMore": page < 3,
                "totalCount": None,
                "data": [{"id": page}],
            },
        )

    client, _ = _client(api)
    assert [
        r["id"] for page in client.pages("customers/custom-fields", page_size=2) for r in page
    ] == [1, 2, 3]


def test_403_names_the_tenant_and_scopes() -> None:
    client, _ = _client(
        lambda r: problem(403, "The application does not have the scope tn.crm.leads:r.")
    )
    with pytest.raises(PermissionDenied) as info:
        client.get_json("export/leads")
    text = str(info.value)
    assert "ST_TENANT_ID (77)" in text
    assert "tn.crm.leads:r" in text
    assert "scope" in text


def test_validation_errors_are_spelled_out() -> None:
    client, _ = _client(
        lambda r: httpx.Response(
            400,
            json={
                "title": "One or more validation errors occurred.",
                "errors": {"pageSize": ["must be between 1 and 5000"]},
            },
        )
    )
    with pytest.raises(ServiceTitanError, match="pageSize: must be between 1 and 5000"):
        client.get_json("customers")


def test_a_non_json_200_is_an_error() -> None:
    client, _ = _client(lambda r: httpx.Response(200, text="<html>login</html>"))
    with pytest.raises(ServiceTitanError, match="not JSON"):
        client.get_json("customers")


@pytest.mark.parametrize(
    ("kind", "ui", "expected"),
    [
        ("customer", None, "https://go.servicetitan.com/#/Customer/41270833"),
        (
            "location",
            "https://integration.servicetitan.com/",
            "https://integration.servicetitan.com/#/Location/41270833",
        ),
        (
            "job",
            "https://acme.eh.go.servicetitan.com",
            "https://acme.eh.go.servicetitan.com/#/Job/Index/41270833",
        ),
    ],
)
def test_links_open_records_in_the_web_app(kind: str, ui: str | None, expected: str) -> None:
    assert record_url(kind, 41270833, ui) == expected


def test_link_shortcuts() -> None:
    assert customer_url(5).endswith("/#/Customer/5")
    assert location_url(6, "https://integration.servicetitan.com").startswith(
        "https://integration."
    )
