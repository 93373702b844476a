"""The workforce registry mock: seeded enterprises and lists, state machine, quota, feeds."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mocks.enterprises import build_workforce
from mocks.seed import dataset_for
from mocks.settings import MockSettings


async def _json(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def test_seeds_at_least_200_enterprises_some_with_1000_workers(
    settings: MockSettings,
) -> None:
    seed = build_workforce(dataset_for(settings), settings.seed)

    assert len(seed.enterprises) >= 200
    large = [wl for wl in seed.lists if len(wl.workers) >= 1000]
    assert [(wl.enterprise_id, wl.state) for wl in large] == [
        ("E0006", "APPROVED"),
        ("E0007", "APPROVED"),
        ("E0008", "APPROVED"),
        ("E0009", "APPROVED"),
    ]
    assert {wl.state for wl in seed.lists} == {"DRAFT", "SUBMITTED", "APPROVED", "REJECTED"}
    people = dataset_for(settings).persons
    assert all(pid in people for wl in seed.lists for pid in wl.workers)


def test_the_seed_is_deterministic(settings: MockSettings) -> None:
    dataset = dataset_for(settings)
    first = build_workforce.__wrapped__(dataset, 7)  # bypass the cache: two real builds
    second = build_workforce.__wrapped__(dataset, 7)

    assert first == second
    assert first != build_workforce.__wrapped__(dataset, 8)


def test_approved_lists_keep_within_their_enterprise_quota(settings: MockSettings) -> None:
    seed = build_workforce(dataset_for(settings), settings.seed)
    quota = {e.id: e.approved_quota for e in seed.enterprises}
    approved: dict[str, set[str]] = {}
    for wl in seed.lists:
        if wl.state == "APPROVED":
            approved.setdefault(wl.enterprise_id, set()).update(wl.workers)

    assert all(len(workers) <= quota[e] for e, workers in approved.items())


async def test_enterprise_and_its_lists(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    enterprise = await _json(await client.get("/workforce/enterprises/E0006", headers=auth))
    lists = await _json(
        await client.get("/workforce/lists", params={"enterpriseId": "E0006"}, headers=auth)
    )

    assert enterprise["district"] == "778" and enterprise["districtName"] == "Quận 7"
    assert enterprise["approvedQuota"] >= lists["lists"][0]["workerCount"] >= 1000
    assert [wl["state"] for wl in lists["lists"]] == ["APPROVED"]


async def test_workers_page_through_the_list_in_order(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    first = await _json(
        await client.get("/workforce/lists/WL-0006/workers?limit=600", headers=auth)
    )
    rest = await _json(
        await client.get(f"/workforce/lists/WL-0006/workers?after={first['next']}", headers=auth)
    )

    assert len(first["workers"]) == 600 and first["total"] == 600 + len(rest["workers"])
    assert rest["next"] is None
    seqs = [w["seq"] for w in first["workers"] + rest["workers"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == first["total"]


async def _new_list(client: httpx.AsyncClient, auth: dict[str, str], enterprise: str) -> str:
    created = await _json(
        await client.post(
            "/workforce/lists", json={"enterpriseId": enterprise, "name": "Ca đêm"}, headers=auth
        ),
        201,
    )
    assert (created["state"], created["workerCount"], created["version"]) == ("DRAFT", 0, 1)
    return str(created["id"])


async def _act(
    client: httpx.AsyncClient, auth: dict[str, str], list_id: str, action: str, **body: Any
) -> httpx.Response:
    return await client.post(f"/workforce/lists/{list_id}/{action}", json=body, headers=auth)


async def test_a_list_goes_draft_submitted_approved_and_back_to_draft_when_edited(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    list_id = await _new_list(client, auth, "E0001")
    add = await _act(client, auth, list_id, "workers", personIds=["P0000001", "P0000005"])
    submit = await _act(client, auth, list_id, "submit")
    approve = await _act(client, auth, list_id, "approve", by="DA-778-001")
    edit = await _act(client, auth, list_id, "workers/remove", personIds=["P0000005", "P0000009"])

    assert (await _json(add))["added"] == ["P0000001", "P0000005"]
    assert (await _json(submit))["list"]["state"] == "SUBMITTED"
    approved = (await _json(approve))["list"]
    assert (approved["state"], approved["decidedBy"]) == ("APPROVED", "DA-778-001")
    removed = await _json(edit)
    assert (removed["removed"], removed["notListed"]) == (["P0000005"], ["P0000009"])
    assert (removed["list"]["state"], removed["list"]["decidedAt"]) == ("DRAFT", None)


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("approve", {"by": "DA-778-001"}),
        ("reject", {"by": "DA-778-001", "reason": "Thiếu hồ sơ."}),
    ],
)
async def test_a_draft_cannot_be_decided(
    client: httpx.AsyncClient, auth: dict[str, str], action: str, body: dict[str, str]
) -> None:
    list_id = await _new_list(client, auth, "E0001")

    refused = await _json(await _act(client, auth, list_id, action, **body), 409)

    assert (refused["error"], refused["state"]) == ("invalid_transition", "DRAFT")
    assert list_id in refused["message"]


async def test_a_submitted_list_cannot_be_edited_and_an_empty_one_not_submitted(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    list_id = await _new_list(client, auth, "E0001")
    empty = await _json(await _act(client, auth, list_id, "submit"), 409)
    await _act(client, auth, list_id, "workers", personIds=["P0000001"])
    await _act(client, auth, list_id, "submit")

    edit = await _json(await _act(client, auth, list_id, "workers", personIds=["P0000005"]), 409)

    assert empty["error"] == "empty_list"
    assert (edit["error"], edit["state"]) == ("invalid_transition", "SUBMITTED")


async def test_approval_over_the_quota_names_the_newest_workers(
    client: httpx.AsyncClient, auth: dict[str, str], settings: MockSettings
) -> None:
    enterprise = await _json(await client.get("/workforce/enterprises/E0001", headers=auth))
    quota = enterprise["approvedQuota"]
    people = [pid for pid in dataset_for(settings).persons][100 : 100 + quota + 3]
    list_id = await _new_list(client, auth, "E0001")
    await _act(client, auth, list_id, "workers", personIds=people)
    await _act(client, auth, list_id, "submit")

    check = await _json(await client.get(f"/workforce/lists/{list_id}/quota", headers=auth))
    refused = await _json(await _act(client, auth, list_id, "approve", by="DA-778-001"), 409)

    assert check["overQuota"] == people[-3:]
    assert (refused["error"], refused["workers"]) == ("over_quota", people[-3:])


async def test_a_stale_version_is_refused(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    list_id = await _new_list(client, auth, "E0001")
    await _act(client, auth, list_id, "workers", personIds=["P0000001"])

    refused = await _json(await _act(client, auth, list_id, "submit", expectedVersion=1), 409)

    assert refused["error"] == "version_conflict"


async def test_the_feed_starts_with_the_seed_then_follows_every_change(
    client: httpx.AsyncClient, auth: dict[str, str], settings: MockSettings
) -> None:
    seeded = len(build_workforce(dataset_for(settings), settings.seed).lists)
    start = await _json(await client.get(f"/workforce/changes?limit={seeded}", headers=auth))
    list_id = await _new_list(client, auth, "E0002")
    await _act(client, auth, list_id, "workers", personIds=["P0000002"])

    after = await _json(
        await client.get("/workforce/changes", params={"after": start["next"]}, headers=auth)
    )

    assert {c["event"] for c in start["changes"]} == {"SEEDED"}
    assert (len(start["changes"]), start["hasMore"]) == (seeded, False)
    assert [(c["listId"], c["event"], c["state"]) for c in after["changes"]] == [
        (list_id, "CREATED", "DRAFT"),
        (list_id, "WORKERS_ADDED", "DRAFT"),
    ]


async def test_a_cursor_of_another_run_restarts_the_feed_with_a_reset_flag(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    page = await _json(await client.get("/lab/changes?after=0123456789ab.5", headers=auth))
    bad = await client.get("/lab/changes?after=nonsense", headers=auth)

    assert (page["changes"], page["reset"]) == ([], True)
    assert bad.status_code == 400


async def test_an_added_lab_result_is_served_and_announced(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    before = await _json(await client.get("/lab/changes", headers=auth))
    added = await client.post(
        "/lab/_admin/observations",
        json={"personId": "P0000001", "kind": "PCR", "positive": True},
    )
    served = await _json(await client.get("/lab/fhir/Observation?patient=P0000001", headers=auth))
    after = await _json(
        await client.get("/lab/changes", params={"after": before["next"]}, headers=auth)
    )

    resource = await _json(added, 201)
    assert resource["id"] in [e["resource"]["id"] for e in served["entry"]]
    assert [(c["personId"], c["resourceId"]) for c in after["changes"]] == [
        ("P0000001", resource["id"])
    ]


async def test_identity_looks_people_up_by_national_id_and_phone_at_once(
    client: httpx.AsyncClient, auth: dict[str, str], settings: MockSettings
) -> None:
    one, two = (dataset_for(settings).persons[pid] for pid in ("P0000001", "P0000002"))

    answer = await _json(
        await client.post(
            "/identity/persons/lookup",
            json={"nationalIds": [one.national_id, "000000000000"], "phones": [two.phone, "09"]},
            headers=auth,
        )
    )

    assert [p["id"] for p in answer["persons"]] == ["P0000001", "P0000002"]
    assert answer["notFound"] == {"nationalIds": ["000000000000"], "phones": ["09"]}


jsonschema = pytest.importorskip("jsonschema")
# (label, documented path, method, request path, request options, expected status)
SAMPLES: list[tuple[str, str, str, str, dict[str, Any], int]] = [
    ("enterprises", "/enterprises", "get", "/enterprises?district=787", {}, 200),
    ("enterprise", "/enterprises/{id}", "get", "/enterprises/E0003", {}, 200),
    ("no enterprise", "/enterprises/{id}", "get", "/enterprises/E9999", {}, 404),
    (
        "enterprise batch",
        "/enterprises/batch",
        "post",
        "/enterprises/batch",
        {"json": {"ids": ["E0001", "nope"]}},
        200,
    ),
    ("its workers", "/enterprises/{id}/workers", "get", "/enterprises/E0001/workers", {}, 200),
    ("lists", "/lists", "get", "/lists?district=778&state=APPROVED", {}, 200),
    ("lists batch", "/lists/batch", "post", "/lists/batch", {"json": {"ids": ["WL-0001"]}}, 200),
    ("a list", "/lists/{id}", "get", "/lists/WL-0002", {}, 200),
    ("workers", "/lists/{id}/workers", "get", "/lists/WL-0007/workers?limit=3", {}, 200),
    ("quota", "/lists/{id}/quota", "get", "/lists/WL-0001/quota", {}, 200),
    (
        "refusal",
        "/lists/{id}/approve",
        "post",
        "/lists/WL-0001/approve",
        {"json": {"by": "DA-778-001"}},
        409,
    ),
    (
        "create",
        "/lists",
        "post",
        "/lists",
        {"json": {"enterpriseId": "E0004", "name": "Kho"}},
        201,
    ),
    ("feed", "/changes", "get", "/changes?limit=2", {}, 200),
]


@pytest.mark.parametrize(
    ("path", "method", "url", "options", "status"),
    [s[1:] for s in SAMPLES],
    ids=[s[0] for s in SAMPLES],
)
async def test_answers_match_the_openapi_document(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    path: str,
    method: str,
    url: str,
    options: dict[str, Any],
    status: int,
) -> None:
    spec = await _json(await client.get("/workforce/openapi.json"))

    response = await client.request(method, f"/workforce{url}", headers=auth, **options)

    assert response.status_code == status, response.text
    documented = spec["paths"][path][method]["responses"][str(status)]
    schema = documented["content"]["application/json"]["schema"]
    jsonschema.Draft202012Validator({**schema, "components": spec["components"]}).validate(
        response.json()
    )
