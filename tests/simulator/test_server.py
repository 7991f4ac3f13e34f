from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from titanaudit.errors import ConfigError
from titanaudit.simulator import Faults, SimulatorServer, Tenant

Serve = Callable[..., SimulatorServer]


@pytest.fixture
def api(tenant: Tenant, serve: Serve) -> Iterator[httpx.Client]:
    server = serve(tenant)
    client = httpx.Client(base_url=f"{server.url}/crm/v2/tenant/{tenant.tenant_id}")
    token = httpx.post(
        f"{server.url}/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "cid.simulator",
            "client_secret": "cs1.simulator-secret",
        },
    ).json()
    assert token["expires_in"] == 900
    assert token["token_type"] == "Bearer"
    client.headers.update(
        {"Authorization": f"Bearer {token['access_token']}", "ST-App-Key": "ak1.simulator"}
    )
    with client:
        yield client


def test_token_endpoint_refuses_a_bad_client(tenant: Tenant, serve: Serve) -> None:
    server = serve(tenant)
    response = httpx.post(
        f"{server.url}/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "cid.simulator",
            "client_secret": "wrong",
        },
    )
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_client"}


def test_missing_app_key_is_401_with_servicetitans_title(api: httpx.Client) -> None:
    del api.headers["ST-App-Key"]
    response = api.get("/customers")
    assert response.status_code == 401
    assert response.json()["title"] == "Application key not present, check ST-App-Key header value."


def test_paged_lists_default_to_active_and_cap_the_page_size(
    api: httpx.Client, tenant: Tenant
) -> None:
    active = [r for r in tenant.feeds["customers"] if r["active"]]
    body = api.get("/customers", params={"pageSize": 5000, "includeTotal": "true"}).json()
    assert body["totalCount"] == len(active)
    assert not body["hasMore"]
    everything = api.get(
        "/customers", params={"pageSize": 5000, "active": "Any", "includeTotal": "true"}
    ).json()
    assert everything["totalCount"] == len(tenant.feeds["customers"])
    assert api.get("/customers", params={"pageSize": 5001}).status_code == 400
    page2 = api.get("/customers", params={"pageSize": 10, "page": 2}).json()
    assert page2["page"] == 2
    assert len(page2["data"]) == 10
    assert page2["hasMore"]


def test_records_by_id_and_their_contacts(api: httpx.Client, tenant: Tenant) -> None:
    customer = tenant.feeds["customers"][0]
    assert api.get(f"/customers/{customer['id']}").json() == customer
    assert api.get("/customers/1").status_code == 404
    contacts = api.get(f"/customers/{customer['id']}/contacts").json()["data"]
    assert {c["id"] for c in contacts} == {
        c["id"] for c in tenant.feeds["customer_contacts"] if c["customerId"] == customer["id"]
    }
    assert api.get("/customers/contacts").status_code == 400
    bulk = api.get("/customers/contacts", params={"customerIds": str(customer["id"])}).json()[
        "data"
    ]
    assert {c["id"] for c in bulk} == {c["id"] for c in contacts}


def test_export_tokens_and_dates(api: httpx.Client, tenant: Tenant) -> None:
    first = api.get("/export/leads").json()
    assert set(first) == {"hasMore", "continueFrom", "data"}
    assert api.get("/export/leads", params={"from": "not-a-token!"}).status_code == 400
    since = api.get("/export/leads", params={"from": "2026-10-01"}).json()["data"]
    assert since
    assert all(r["modifiedOn"] >= "2026-10-01" for r in since)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("none", Faults()),
        ("429=0.2,5xx=0.1", Faults(rate_limited=0.2, server_errors=0.1)),
        ("all,latency=0.5", Faults(**{**Faults.all().__dict__, "latency": 0.5})),
        ("token-ttl=3,repeat=2", Faults(token_ttl=3.0, repeats=2)),
    ],
)
def test_fault_specs(text: str, expected: Faults) -> None:
    assert Faults.parse(text) == expected


@pytest.mark.parametrize("text", ["teapot=1", "429", "429=x"])
def test_bad_fault_specs(text: str) -> None:
    with pytest.raises(ConfigError):
        Faults.parse(text)
