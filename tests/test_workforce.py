"""Worker lists end to end: the state machine, approval refusals, scope, paging, batching.

The mocks' registry is shared by the session: every test draws up lists of its own (seeded lists
are only read). Personas of district 778 (PERSONAS) give workers of known colours.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import gateway_settings, open_gateway
from tests.support import MocksAdmin, error_summary, gql
from tests.test_person_status import PERSONAS

LIST = """id name state version workerCount enterprise { id district }"""
CREATE = f"mutation($name: String!) {{ createWorkerList(name: $name) {{ {LIST} }} }}"
ADD = f"mutation($input: AddWorkersInput!) {{ addWorkers(input: $input) {{ {LIST} }} }}"
REMOVE = f"""mutation($id: ID!, $ids: [ID!]!) {{
  removeWorkers(listId: $id, personIds: $ids) {{ {LIST} }} }}"""
SUBMIT = f"mutation($id: ID!) {{ submitWorkerList(id: $id) {{ {LIST} }} }}"
APPROVE = f"mutation($id: ID!) {{ approveWorkerList(id: $id) {{ {LIST} }} }}"
REJECT = f"""mutation($id: ID!) {{
  rejectWorkerList(id: $id, reason: "Thiếu phương án ca đêm.") {{ {LIST} rejectionReason }} }}"""
READ = f"query($id: ID!) {{ workerList(id: $id) {{ {LIST} }} }}"

BY_CASE = {p["case"]: p for p in PERSONAS}
# Three GREEN personas of district 778 who stay GREEN for days (no boundary case).
WORKERS = ["P0000001", "P0000025", "P0000029"]


class Employer:
    """Drives one enterprise's lists through the gateway, with its district's admin."""

    def __init__(
        self, client: httpx.AsyncClient, token: Callable[..., str], enterprise: str, district: str
    ) -> None:
        self.client = client
        self.employer = token("employer", employer_id=enterprise)
        self.admin = token("district_admin", district=district)

    async def call(self, query: str, token: str, **variables: Any) -> dict[str, Any]:
        _, body = await gql(self.client, query, variables, token=token)
        return body

    async def ok(self, query: str, token: str | None = None, **variables: Any) -> Any:
        """The one root field's value of an operation that must not fail."""
        body = await self.call(query, token or self.employer, **variables)
        assert "errors" not in body, body["errors"]
        (result,) = body["data"].values()
        return result

    async def list_in(self, state: str, workers: list[str] | None = None) -> dict[str, Any]:
        """A new list of `workers` brought to `state` through the gateway."""
        created = await self.ok(CREATE, name="Ca sáng")
        listed = await self.ok(
            ADD, input={"listId": created["id"], "personIds": workers or WORKERS[:2]}
        )
        if state == "DRAFT":
            return listed
        submitted = await self.ok(SUBMIT, id=listed["id"])
        if state == "SUBMITTED":
            return submitted
        return await self.ok(
            APPROVE if state == "APPROVED" else REJECT, self.admin, id=listed["id"]
        )


@pytest.fixture
def e0001(client: httpx.AsyncClient, token: Callable[..., str]) -> Employer:
    return Employer(client, token, "E0001", "778")


async def test_a_list_goes_through_its_whole_life(e0001: Employer) -> None:
    created = await e0001.ok(CREATE, name="Ca sáng")
    added = await e0001.ok(ADD, input={"listId": created["id"], "personIds": WORKERS[:2]})
    submitted = await e0001.ok(SUBMIT, id=created["id"])
    approved = await e0001.ok(APPROVE, e0001.admin, id=created["id"])
    edited = await e0001.ok(ADD, input={"listId": created["id"], "personIds": [WORKERS[2]]})
    resubmitted = await e0001.ok(SUBMIT, id=created["id"])
    rejected = await e0001.ok(REJECT, e0001.admin, id=created["id"])
    fixed = await e0001.ok(REMOVE, id=created["id"], ids=[WORKERS[2]])

    assert (created["state"], created["workerCount"], created["enterprise"]) == (
        "DRAFT",
        0,
        {"id": "E0001", "district": "778"},
    )
    assert [
        s["state"] for s in (added, submitted, approved, edited, resubmitted, rejected, fixed)
    ] == ["DRAFT", "SUBMITTED", "APPROVED", "DRAFT", "SUBMITTED", "REJECTED", "DRAFT"]
    assert [s["workerCount"] for s in (added, edited, fixed)] == [2, 3, 2]
    assert rejected["rejectionReason"] == "Thiếu phương án ca đêm."
    assert fixed["version"] > rejected["version"] > approved["version"] > created["version"]


# Every change from every state: the state it leads to, or None when it is refused.
TRANSITIONS = {
    ("DRAFT", "add"): "DRAFT",
    ("DRAFT", "remove"): "DRAFT",
    ("DRAFT", "submit"): "SUBMITTED",
    ("DRAFT", "approve"): None,
    ("DRAFT", "reject"): None,
    ("SUBMITTED", "add"): None,
    ("SUBMITTED", "remove"): None,
    ("SUBMITTED", "submit"): None,
    ("SUBMITTED", "approve"): "APPROVED",
    ("SUBMITTED", "reject"): "REJECTED",
    ("APPROVED", "add"): "DRAFT",
    ("APPROVED", "remove"): "DRAFT",
    ("APPROVED", "submit"): None,
    ("APPROVED", "approve"): None,
    ("APPROVED", "reject"): None,
    ("REJECTED", "add"): "DRAFT",
    ("REJECTED", "remove"): "DRAFT",
    ("REJECTED", "submit"): None,
    ("REJECTED", "approve"): None,
    ("REJECTED", "reject"): None,
}
ACTIONS: dict[str, tuple[str, bool, Callable[[str], dict[str, Any]], str]] = {
    # action: (operation, by the admin, variables, the field a refusal names)
    "add": (ADD, False, lambda i: {"input": {"listId": i, "personIds": [WORKERS[2]]}}, "listId"),
    "remove": (REMOVE, False, lambda i: {"id": i, "ids": [WORKERS[1]]}, "listId"),
    "submit": (SUBMIT, False, lambda i: {"id": i}, "id"),
    "approve": (APPROVE, True, lambda i: {"id": i}, "id"),
    "reject": (REJECT, True, lambda i: {"id": i}, "id"),
}


@pytest.mark.parametrize(
    ("state", "action"), list(TRANSITIONS), ids=[f"{s}-{a}" for s, a in TRANSITIONS]
)
async def test_every_change_from_every_state(e0001: Employer, state: str, action: str) -> None:
    worker_list = await e0001.list_in(state)
    operation, by_admin, variables, field = ACTIONS[action]

    body = await e0001.call(
        operation, e0001.admin if by_admin else e0001.employer, **variables(worker_list["id"])
    )

    expected = TRANSITIONS[(state, action)]
    (name,) = body["data"]
    if expected is not None:
        assert "errors" not in body, body["errors"]
        assert body["data"][name]["state"] == expected
        return
    assert body["data"] == {name: None}
    assert error_summary(body) == [("BAD_USER_INPUT", [name])]
    error = body["errors"][0]
    assert (error["extensions"]["field"], error["extensions"]["state"]) == (field, state)
    assert error["message"].startswith(f"Worker list {worker_list['id']} is {state}: ")
    after = await e0001.ok(READ, id=worker_list["id"])
    assert (after["state"], after["version"]) == (state, worker_list["version"])


async def test_an_empty_list_cannot_be_submitted(e0001: Employer) -> None:
    created = await e0001.ok(CREATE, name="Trống")

    body = await e0001.call(SUBMIT, e0001.employer, id=created["id"])

    assert error_summary(body) == [("BAD_USER_INPUT", ["submitWorkerList"])]
    assert body["errors"][0]["message"] == f"Worker list {created['id']} has no workers to submit."


async def test_approval_is_refused_naming_the_workers_who_miss_the_condition(
    e0001: Employer,
) -> None:
    yellow = BY_CASE["Second Moderna dose 13 days ago (first 41 days ago): GREEN only tomorrow"]
    red_f0 = BY_CASE["Active F0 confirmed 3 days ago with a positive PCR 4 days ago"]
    unprotected = BY_CASE["Positive rapid antigen 10 days ago, recovered without proof 2 days ago"]
    offenders = [yellow, red_f0, unprotected]
    worker_list = await e0001.list_in(
        "SUBMITTED", [WORKERS[0], *(p["personId"] for p in offenders)]
    )

    body = await e0001.call(APPROVE, e0001.admin, id=worker_list["id"])

    assert body["data"] == {"approveWorkerList": None}
    assert error_summary(body) == [("BAD_USER_INPUT", ["approveWorkerList"])]
    error = body["errors"][0]
    assert error["extensions"]["offenders"] == [
        {
            "personId": p["personId"],
            "reason": "CONDITION_NOT_MET",
            "color": p["expectedColor"],
            "reasons": p["expectedReasons"],
        }
        for p in offenders
    ]
    assert error["message"] == (
        f"Worker list {worker_list['id']} cannot be approved: 3 do not meet the district's "
        "condition (GREEN, or YELLOW with RECENT_NEGATIVE_TEST): "
        f"{yellow['personId']} (YELLOW: PARTIALLY_VACCINATED), "
        f"{red_f0['personId']} (RED: ACTIVE_F0, RECENT_POSITIVE_TEST), "
        f"{unprotected['personId']} (RED: NO_PROTECTION)."
    )
    still = await e0001.ok(READ, id=worker_list["id"])
    assert still["state"] == "SUBMITTED"


async def test_yellow_with_a_recent_negative_test_meets_the_default_condition(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    negative = BY_CASE["Negative PCR 71 hours ago, never vaccinated"]
    employer = Employer(client, token, negative["employerId"], negative["district"])

    approved = await employer.list_in("APPROVED", [negative["personId"]])

    assert approved["state"] == "APPROVED"


async def test_a_district_may_ask_more_than_the_default(
    mocks_transport: httpx.ASGITransport, token: Callable[..., str], tmp_path: Path
) -> None:
    negative = BY_CASE["Negative PCR 71 hours ago, never vaccinated"]
    conditions = tmp_path / "conditions.json"
    conditions.write_text(
        json.dumps(
            {
                "default": [
                    {"color": "GREEN"},
                    {"color": "YELLOW", "reasons": ["RECENT_NEGATIVE_TEST"]},
                ],
                "districts": {negative["district"]: [{"color": "GREEN"}]},
            }
        )
    )
    base = gateway_settings()
    settings = replace(base, workforce=replace(base.workforce, conditions_file=conditions))

    async with open_gateway(mocks_transport, settings) as strict:
        employer = Employer(strict, token, negative["employerId"], negative["district"])
        worker_list = await employer.list_in("SUBMITTED", [negative["personId"]])
        body = await employer.call(APPROVE, employer.admin, id=worker_list["id"])

    assert error_summary(body) == [("BAD_USER_INPUT", ["approveWorkerList"])]
    assert body["errors"][0]["extensions"]["offenders"] == [
        {
            "personId": negative["personId"],
            "reason": "CONDITION_NOT_MET",
            "color": "YELLOW",
            "reasons": ["RECENT_NEGATIVE_TEST"],
        }
    ]
    assert "district's condition (GREEN)" in body["errors"][0]["message"]


async def _protected_people(mocks: MocksAdmin, count: int) -> list[str]:
    """People who meet the default condition: workers of a seeded approved list (WL-0006)."""
    workers = await mocks.get("/workforce/lists/WL-0006/workers", limit="2000")
    return [w["personId"] for w in workers["workers"]][:count]


async def _small_enterprise(mocks: MocksAdmin) -> dict[str, Any]:
    """An enterprise of district 778 with a small quota and no approved list of its own."""
    enterprises = (await mocks.get("/workforce/enterprises", district="778"))["enterprises"]
    for enterprise in sorted(enterprises, key=lambda e: e["approvedQuota"]):
        lists = await mocks.get("/workforce/lists", enterpriseId=enterprise["id"], state="APPROVED")
        if not lists["lists"] and enterprise["id"] != "E0001":
            return dict(enterprise)
    raise AssertionError("no small enterprise without approved lists in district 778")


async def test_approval_over_the_quota_names_the_workers_over_it(
    client: httpx.AsyncClient, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    enterprise = await _small_enterprise(mocks)
    quota = enterprise["approvedQuota"]
    people = await _protected_people(mocks, quota + 2)
    employer = Employer(client, token, enterprise["id"], "778")
    worker_list = await employer.list_in("SUBMITTED", people)

    body = await employer.call(APPROVE, employer.admin, id=worker_list["id"])

    assert error_summary(body) == [("BAD_USER_INPUT", ["approveWorkerList"])]
    error = body["errors"][0]
    assert error["extensions"]["offenders"] == [
        {"personId": pid, "reason": "OVER_QUOTA"} for pid in people[-2:]
    ]
    assert error["message"] == (
        f"Worker list {worker_list['id']} cannot be approved: 2 are over the enterprise's quota "
        f"of {quota}: {people[-2]}, {people[-1]}."
    )


async def test_an_employer_never_sees_or_changes_another_employers_lists(
    client: httpx.AsyncClient, token: Callable[..., str], e0001: Employer
) -> None:
    theirs = await Employer(client, token, "E0002", "760").list_in("DRAFT", ["P0000002"])
    mine = await e0001.list_in("DRAFT")

    reads = await e0001.call(READ, e0001.employer, id=theirs["id"])
    add = await e0001.call(
        ADD, e0001.employer, input={"listId": theirs["id"], "personIds": WORKERS}
    )
    submit = await e0001.call(SUBMIT, e0001.employer, id=theirs["id"])
    listed = await e0001.ok("{ workerLists { id enterprise { id } } }")

    assert (reads["data"], error_summary(reads)) == (
        {"workerList": None},
        [("FORBIDDEN", ["workerList"])],
    )
    assert error_summary(add) == [("FORBIDDEN", ["addWorkers"])]
    assert error_summary(submit) == [("FORBIDDEN", ["submitWorkerList"])]
    ids = {item["id"] for item in listed}
    assert mine["id"] in ids and theirs["id"] not in ids
    assert {item["enterprise"]["id"] for item in listed} == {"E0001"}


async def test_the_admin_of_778_cannot_decide_a_list_of_783(
    client: httpx.AsyncClient, token: Callable[..., str], e0001: Employer
) -> None:
    cu_chi = Employer(client, token, "E0003", "783")
    worker_list = await cu_chi.list_in("SUBMITTED", ["P0000003"])

    approve = await e0001.call(APPROVE, e0001.admin, id=worker_list["id"])
    reject = await e0001.call(REJECT, e0001.admin, id=worker_list["id"])
    read = await e0001.call(READ, e0001.admin, id=worker_list["id"])

    assert error_summary(approve) == [("FORBIDDEN", ["approveWorkerList"])]
    assert error_summary(reject) == [("FORBIDDEN", ["rejectWorkerList"])]
    assert error_summary(read) == [("FORBIDDEN", ["workerList"])]
    still = await cu_chi.ok(READ, id=worker_list["id"])
    assert still["state"] == "SUBMITTED"


async def test_a_district_admin_lists_the_lists_of_its_district_only(e0001: Employer) -> None:
    listed = await e0001.ok(
        "{ workerLists(state: APPROVED) { state enterprise { district } } }", e0001.admin
    )

    assert listed and {(i["state"], i["enterprise"]["district"]) for i in listed} == {
        ("APPROVED", "778")
    }


async def test_unknown_list_is_not_found(e0001: Employer) -> None:
    body = await e0001.call(READ, e0001.employer, id="WL-9999")

    assert (body["data"], error_summary(body)) == (
        {"workerList": None},
        [("NOT_FOUND", ["workerList"])],
    )


async def test_workers_are_added_by_national_id_and_phone(
    e0001: Employer, mocks: MocksAdmin
) -> None:
    first = await mocks.get(f"/identity/persons/{WORKERS[0]}")
    second = await mocks.get(f"/identity/persons/{WORKERS[1]}")
    created = await e0001.ok(CREATE, name="Kho")

    added = await e0001.ok(
        ADD,
        input={
            "listId": created["id"],
            "nationalIds": [first["nationalId"]],
            "phones": [second["phone"]],
            "personIds": [WORKERS[0]],
        },
    )
    page = await e0001.ok(
        "query($id: ID!) { workerList(id: $id) { workers { edges { node { id } } } } }",
        id=created["id"],
    )

    assert added["workerCount"] == 2
    assert [e["node"]["id"] for e in page["workers"]["edges"]] == WORKERS[:2]


@pytest.mark.parametrize(
    ("given", "field", "named"),
    [
        ({"personIds": ["P9999999"]}, "personIds", "P9999999"),
        ({"nationalIds": ["079000000000"]}, "nationalIds", "079000000000"),
        ({"phones": ["0900000000"]}, "phones", "0900000000"),
        ({}, "personIds", "Give 1 to 1000 people"),
    ],
    ids=["unknown id", "unknown national id", "unknown phone", "nobody"],
)
async def test_adding_unknown_people_adds_no_one(
    e0001: Employer, given: dict[str, list[str]], field: str, named: str
) -> None:
    created = await e0001.ok(CREATE, name="Kho")

    body = await e0001.call(
        ADD,
        e0001.employer,
        input={"listId": created["id"], "personIds": [WORKERS[0]], **given}
        if given
        else {"listId": created["id"]},
    )

    assert error_summary(body) == [("BAD_USER_INPUT", ["addWorkers"])]
    assert body["errors"][0]["extensions"]["field"] == field
    assert named in body["errors"][0]["message"]
    assert (await e0001.ok(READ, id=created["id"]))["workerCount"] == 0


DEMO = """query($id: ID!, $color: StatusColor, $first: Int!, $after: String) { workerList(id: $id) {
  counts { total green yellow red unknown }
  workers(first: $first, after: $after, color: $color) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id fullName maskedName status { color reasons } } } } } }"""


async def test_counts_and_colour_filter_cover_the_whole_list(e0001: Employer) -> None:
    personas = [p for p in PERSONAS if p.get("employerId") == "E0001"]
    red = [p["personId"] for p in personas if p["expectedColor"] == "RED"]

    everyone = await e0001.ok(DEMO, id="WL-0001", first=3)
    reds = await e0001.ok(DEMO, id="WL-0001", first=100, color="RED")

    colours = {
        c: sum(p["expectedColor"] == c for p in personas) for c in ("GREEN", "YELLOW", "RED")
    }
    assert everyone["counts"] == {
        "total": len(personas),
        "green": colours["GREEN"],
        "yellow": colours["YELLOW"],
        "red": colours["RED"],
        "unknown": 0,
    }
    assert (everyone["workers"]["totalCount"], len(everyone["workers"]["edges"])) == (
        len(personas),
        3,
    )
    assert reds["counts"] == everyone["counts"]
    assert reds["workers"]["totalCount"] == len(red)
    assert [e["node"]["id"] for e in reds["workers"]["edges"]] == red
    assert {e["node"]["status"]["color"] for e in reds["workers"]["edges"]} == {"RED"}


async def test_pages_follow_each_other_without_gaps_or_overlaps(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    employer = Employer(client, token, "E0006", "778")

    first = await employer.ok(DEMO, id="WL-0006", first=600)
    rest = await employer.ok(
        DEMO, id="WL-0006", first=600, after=first["workers"]["pageInfo"]["endCursor"]
    )

    total = first["counts"]["total"]
    ids = [e["node"]["id"] for e in first["workers"]["edges"] + rest["workers"]["edges"]]
    assert total > 1000 and len(ids) == len(set(ids)) == total
    assert first["workers"]["pageInfo"]["hasNextPage"] is True
    assert rest["workers"]["pageInfo"] == {
        "hasNextPage": False,
        "endCursor": rest["workers"]["edges"][-1]["cursor"],
    }
    node = first["workers"]["edges"][0]["node"]
    assert node["fullName"].split()[-1] == node["maskedName"].split()[-1]


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"first": 1001}, "first"),
        ({"first": 0}, "first"),
        ({"first": 10, "after": "bm9wZQ=="}, "after"),
    ],
    ids=["too many", "none", "foreign cursor"],
)
async def test_bad_paging_is_refused(
    e0001: Employer, variables: dict[str, Any], field: str
) -> None:
    query = """query($id: ID!, $first: Int!, $after: String) { workerList(id: $id) {
      workers(first: $first, after: $after) { totalCount } } }"""

    body = await e0001.call(query, e0001.employer, id="WL-0001", **variables)

    assert error_summary(body) == [("BAD_USER_INPUT", ["workerList", "workers"])]
    assert body["errors"][0]["extensions"]["field"] == field


HEALTH = ("identity", "vaccination", "lab", "f0")


async def test_a_page_of_1000_workers_costs_four_requests_per_source(
    fresh_client: httpx.AsyncClient, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    query = """{ workerList(id: "WL-0006") { workers(first: 1000) { edges { node {
      id fullName maskedName status { color reasons validUntil declarationValidUntil } } } } } }"""

    for service in ("workforce", "declarations"):  # not among those `fresh_client` resets
        (await mocks.client.delete(f"/{service}/_admin/stats")).raise_for_status()

    _, body = await gql(fresh_client, query, token=token("employer", employer_id="E0006"))

    assert "errors" not in body, body.get("errors")
    assert len(body["data"]["workerList"]["workers"]["edges"]) == 1000
    requests = {s: await mocks.requests(s) for s in (*HEALTH, "declarations")}
    assert {s: len(r) for s, r in requests.items()} == dict.fromkeys((*HEALTH, "declarations"), 4)
    assert {
        s: sum(x["ids"] for x in r) for s, r in requests.items() if s in HEALTH
    } == dict.fromkeys(HEALTH, 1000)
    registry = [r["path"] for r in await mocks.requests("workforce")]
    assert sorted(registry) == ["/workforce/lists/WL-0006", "/workforce/lists/WL-0006/workers"]


async def test_counts_of_a_whole_list_cost_one_request_per_batch(
    fresh_client: httpx.AsyncClient, token: Callable[..., str], mocks: MocksAdmin
) -> None:
    query = """{ workerList(id: "WL-0006") { workerCount counts { total green }
      workers(first: 1000, color: GREEN) { totalCount edges { node { status { color } } } } } }"""

    _, body = await gql(fresh_client, query, token=token("employer", employer_id="E0006"))

    assert "errors" not in body, body.get("errors")
    total = body["data"]["workerList"]["workerCount"]
    batches = -(-total // 250)
    assert body["data"]["workerList"]["counts"]["total"] == total > 1000
    counts = {s: len(await mocks.requests(s)) for s in ("vaccination", "lab", "f0")}
    assert counts == dict.fromkeys(("vaccination", "lab", "f0"), batches)


@pytest.mark.parametrize("list_id", ["\u0000x", "../lists", "..", "WL 1/../x"])
async def test_a_malformed_list_id_is_simply_not_found(
    client: httpx.AsyncClient, token: Callable[..., str], list_id: str
) -> None:
    _, body = await gql(
        client,
        "query($id: ID!) { workerList(id: $id) { id } }",
        {"id": list_id},
        token=token("district_admin", district="778"),
    )

    assert body["data"] == {"workerList": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"]
