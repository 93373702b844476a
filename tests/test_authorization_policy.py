"""Field-level authorization (CONTRACT.md §5), declared on the fields and enforced as declared.

REVIEWED is the table a reviewer signs off. The first test compares it with what the schema
declares (and prints into schema.graphql); the others run the whole role matrix against people
in and out of each caller's scope, asserting exact error codes, counts and paths.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import ListValueNode, ObjectTypeDefinitionNode, parse

from gateway.schema import schema
from gateway.schema.permissions import Allow
from tests.support import MocksAdmin, error_summary, gql

C, CP, E, HO, DA = "citizen", "checkpoint", "employer", "health_officer", "district_admin"
ROLES = (C, CP, E, HO, DA)

# The reviewed table: every restricted field and the roles that may read it.
REVIEWED: dict[str, frozenset[str]] = {
    "PersonStatus.person": frozenset({C, HO}),
    "Person.fullName": frozenset({C, E, HO, DA}),
    "Person.dateOfBirth": frozenset({C, HO}),
    "Person.nationalId": frozenset({C, HO}),
    "Person.phone": frozenset({C, HO}),
    "Person.vaccinations": frozenset({C, HO}),
    "Person.labTests": frozenset({C, HO}),
    "Person.f0Case": frozenset({C, HO}),
    "Person.qr": frozenset({C, HO}),
    "Person.offlinePass": frozenset({C, HO}),
    "Person.vaccinePassport": frozenset({C, HO}),
    "Person.checkIns": frozenset({C}),
    "Query.checkpointVisits": frozenset({HO}),
    "Mutation.issueQr": frozenset({C, HO}),
    "Mutation.reissueQr": frozenset({C, HO}),
    "Mutation.sendQrSms": frozenset({HO, DA}),
    "Mutation.printWardCards": frozenset({HO}),
    "Mutation.printWorkerCards": frozenset({E}),
    "Person.declarations": frozenset({C, HO}),
    "Person.f0Reports": frozenset({C, HO}),
    "Query.f0Alerts": frozenset({HO}),
    "Mutation.submitHealthDeclaration": frozenset({C, HO}),
    "Mutation.submitF0Report": frozenset({C, HO}),
    "Mutation.acknowledgeF0Alert": frozenset({HO}),
    "Worker.fullName": frozenset({E, DA}),
    "Query.workerLists": frozenset({E, DA}),
    "Query.workerList": frozenset({E, DA}),
    "Query.workerAlerts": frozenset({E}),
    "Mutation.createWorkerList": frozenset({E}),
    "Mutation.addWorkers": frozenset({E}),
    "Mutation.removeWorkers": frozenset({E}),
    "Mutation.submitWorkerList": frozenset({E}),
    "Mutation.approveWorkerList": frozenset({DA}),
    "Mutation.rejectWorkerList": frozenset({DA}),
}
PERSON_FIELDS = [
    "fullName",
    "dateOfBirth",
    "nationalId",
    "phone",
    "vaccinations",
    "labTests",
    "f0Case",
    "declarations",
    "f0Reports",
]
OPEN_PERSON_FIELDS = "id maskedName birthYear district status { color reasons }"
RESTRICTED_PERSON_FIELDS = (
    "fullName dateOfBirth nationalId phone vaccinations { id } labTests { id } f0Case { id }"
    " declarations { id } f0Reports { id }"
)
PERSON_QUERY = (
    f"query($id: ID!) {{ person(id: $id) {{ {OPEN_PERSON_FIELDS} {RESTRICTED_PERSON_FIELDS} }} }}"
)
STATUS_QUERY = """query($id: ID!) { personStatus(personId: $id) {
  color reasons validUntil evaluatedAt policy maskedName birthYear declarationValidUntil
  person { id } } }"""


def declared_permissions() -> dict[str, frozenset[str]]:
    declared: dict[str, frozenset[str]] = {}
    for type_name, graphql_type in schema._schema.type_map.items():
        definition = getattr(graphql_type, "extensions", {}).get("strawberry-definition")
        for field in getattr(definition, "fields", []) or []:
            for directive in field.directives:
                if isinstance(directive, Allow):
                    name = schema.config.name_converter.get_graphql_name(field)
                    declared[f"{type_name}.{name}"] = frozenset(r.value for r in directive.roles)
    return declared


def test_declared_permissions_match_the_reviewed_table() -> None:
    assert declared_permissions() == REVIEWED


def test_schema_file_prints_every_declaration() -> None:
    document = parse((Path(__file__).parent.parent / "schema.graphql").read_text())
    printed: dict[str, frozenset[str]] = {}
    for definition in document.definitions:
        if isinstance(definition, ObjectTypeDefinitionNode):
            for field in definition.fields or ():
                for directive in field.directives or ():
                    if directive.name.value == "allow":
                        roles = directive.arguments[0].value
                        assert isinstance(roles, ListValueNode)
                        printed[f"{definition.name.value}.{field.name.value}"] = frozenset(
                            value.value.lower()
                            for value in roles.values  # type: ignore[attr-defined]
                        )

    assert printed == REVIEWED


@pytest.fixture(scope="module")
async def people(mocks: MocksAdmin) -> dict[str, dict[str, Any]]:
    """`home`: a person of district 778; `away`: a person of another district."""
    answer = await mocks.client.post(
        "/identity/persons/batch",
        json={"ids": [f"P{i:07d}" for i in range(1, 41)]},
        headers={"Authorization": f"Bearer {await mocks.service_token()}"},
    )
    persons = answer.json()["persons"]
    home = next(p for p in persons if p["district"] == "778")
    away = next(p for p in persons if p["district"] != "778")
    return {"home": home, "away": away}


def caller(token: Callable[..., str], role: str, subject: dict[str, Any]) -> str:
    """A token of `role` whose scope is `subject`'s: themself, their district, an employer."""
    match role:
        case "citizen":
            return token(role, person_id=subject["id"])
        case "employer":
            # E0001's seeded demo list holds the personas of district 778, `home` among them.
            return token(role, employer_id="E0001")
        case _:
            return token(role, district=subject["district"])


def expected_person_errors(role: str) -> list[tuple[str, list[str | int]]]:
    return sorted(
        ("FORBIDDEN", ["person", field])
        for field in PERSON_FIELDS
        if role not in REVIEWED[f"Person.{field}"]
    )


# Whether `person(id)` / `personStatus(personId)` reaches a person in the caller's own scope.
# An employer reaches the people on its own lists (`home` is on E0001's), no one else.
LOOKUP_IN_SCOPE = {C: True, CP: False, E: True, HO: True, DA: True}


@pytest.mark.parametrize("role", ROLES)
async def test_person_in_scope_shows_only_allowed_fields(
    client: httpx.AsyncClient, token: Callable[..., str], people: dict[str, Any], role: str
) -> None:
    home = people["home"]
    _, body = await gql(client, PERSON_QUERY, {"id": home["id"]}, token=caller(token, role, home))

    if not LOOKUP_IN_SCOPE[role]:
        assert body["data"] == {"person": None}
        assert error_summary(body) == [("FORBIDDEN", ["person"])]
        return
    person = body["data"]["person"]
    assert person["id"] == home["id"] and person["district"] == "778"
    assert person["status"]["color"] in {"GREEN", "YELLOW", "RED"}
    assert sorted(error_summary(body)) == expected_person_errors(role)
    for field in PERSON_FIELDS:
        allowed = role in REVIEWED[f"Person.{field}"]
        if not allowed:
            assert person[field] is None, field
    if role in REVIEWED["Person.fullName"]:
        assert person["fullName"] == home["fullName"]
    if role in REVIEWED["Person.phone"]:
        assert (person["phone"], person["nationalId"]) == (home["phone"], home["nationalId"])


@pytest.mark.parametrize("role", ROLES)
async def test_person_out_of_scope_is_never_returned(
    client: httpx.AsyncClient, token: Callable[..., str], people: dict[str, Any], role: str
) -> None:
    home, away = people["home"], people["away"]
    _, body = await gql(client, PERSON_QUERY, {"id": away["id"]}, token=caller(token, role, home))

    assert body["data"] == {"person": None}
    assert error_summary(body) == [("FORBIDDEN", ["person"])]


@pytest.mark.parametrize("role", ROLES)
async def test_person_status_by_id_follows_scope_and_field_rules(
    client: httpx.AsyncClient, token: Callable[..., str], people: dict[str, Any], role: str
) -> None:
    home = people["home"]
    _, body = await gql(client, STATUS_QUERY, {"id": home["id"]}, token=caller(token, role, home))

    if not LOOKUP_IN_SCOPE[role]:
        assert body["data"] == {"personStatus": None}
        assert error_summary(body) == [("FORBIDDEN", ["personStatus"])]
        return
    status = body["data"]["personStatus"]
    assert status["policy"] == "hcmc-2021-10"
    assert status["birthYear"] == int(home["dateOfBirth"][:4])
    if role in REVIEWED["PersonStatus.person"]:
        assert status["person"] == {"id": home["id"]}
        assert "errors" not in body
    else:
        assert status["person"] is None
        assert error_summary(body) == [("FORBIDDEN", ["personStatus", "person"])]


@pytest.mark.parametrize("role", ROLES)
async def test_person_status_out_of_scope_is_refused(
    client: httpx.AsyncClient, token: Callable[..., str], people: dict[str, Any], role: str
) -> None:
    home, away = people["home"], people["away"]
    _, body = await gql(client, STATUS_QUERY, {"id": away["id"]}, token=caller(token, role, home))

    assert body["data"] == {"personStatus": None}
    assert error_summary(body) == [("FORBIDDEN", ["personStatus"])]


@pytest.mark.parametrize("role", [CP, E, HO, DA])
async def test_me_is_for_citizens_only(
    client: httpx.AsyncClient, token: Callable[..., str], people: dict[str, Any], role: str
) -> None:
    _, body = await gql(client, "{ me { id } }", token=caller(token, role, people["home"]))

    assert body["data"] == {"me": None}
    assert error_summary(body) == [("FORBIDDEN", ["me"])]


async def test_citizen_reads_their_whole_record(
    client: httpx.AsyncClient, token: Callable[..., str], people: dict[str, Any]
) -> None:
    home = people["home"]
    query = f"{{ me {{ {OPEN_PERSON_FIELDS} {RESTRICTED_PERSON_FIELDS} }} }}"
    _, body = await gql(client, query, token=caller(token, C, home))

    assert "errors" not in body
    me = body["data"]["me"]
    assert (me["id"], me["fullName"], me["dateOfBirth"]) == (
        home["id"],
        home["fullName"],
        home["dateOfBirth"],
    )


async def test_unknown_person_is_not_found_for_a_health_officer(
    client: httpx.AsyncClient, token: Callable[..., str]
) -> None:
    _, body = await gql(
        client, 'query { person(id: "P9999999") { id } }', token=token(HO, district="778")
    )

    assert body["data"] == {"person": None}
    assert error_summary(body) == [("NOT_FOUND", ["person"])]


@pytest.mark.parametrize("query", [PERSON_QUERY, STATUS_QUERY], ids=["person", "personStatus"])
async def test_an_employer_reaches_no_one_off_its_lists(
    client: httpx.AsyncClient, token: Callable[..., str], people: dict[str, Any], query: str
) -> None:
    # `home` is on E0001's list, not on E0002's.
    other_employer = token(E, employer_id="E0002")

    _, body = await gql(client, query, {"id": people["home"]["id"]}, token=other_employer)

    field = "person" if query is PERSON_QUERY else "personStatus"
    assert body["data"] == {field: None}
    assert error_summary(body) == [("FORBIDDEN", [field])]


# Every workforce root field, called with arguments that would be valid for an allowed role.
WORKFORCE_OPERATIONS = {
    "Query.workerLists": "{ workerLists { id } }",
    "Query.workerList": '{ workerList(id: "WL-0001") { id } }',
    "Query.workerAlerts": "{ workerAlerts { id } }",
    "Mutation.createWorkerList": 'mutation { createWorkerList(name: "Ca đêm") { id } }',
    "Mutation.addWorkers": (
        'mutation { addWorkers(input: {listId: "WL-0001", personIds: ["P0000001"]}) { id } }'
    ),
    "Mutation.removeWorkers": (
        'mutation { removeWorkers(listId: "WL-0001", personIds: ["P0000001"]) { id } }'
    ),
    "Mutation.submitWorkerList": 'mutation { submitWorkerList(id: "WL-0001") { id } }',
    "Mutation.approveWorkerList": 'mutation { approveWorkerList(id: "WL-0001") { id } }',
    "Mutation.rejectWorkerList": 'mutation { rejectWorkerList(id: "WL-0001", reason: "x") { id } }',
}
WORKFORCE_DENIALS = [
    (role, name) for name in WORKFORCE_OPERATIONS for role in ROLES if role not in REVIEWED[name]
]


@pytest.mark.parametrize(
    ("role", "name"), WORKFORCE_DENIALS, ids=[f"{r}-{n}" for r, n in WORKFORCE_DENIALS]
)
async def test_workforce_operations_refuse_every_other_role(
    client: httpx.AsyncClient,
    token: Callable[..., str],
    people: dict[str, Any],
    role: str,
    name: str,
) -> None:
    field = name.split(".")[1]
    operation = WORKFORCE_OPERATIONS[name]

    _, body = await gql(client, operation, token=caller(token, role, people["home"]))

    assert body["data"] == {field: None}
    assert error_summary(body) == [("FORBIDDEN", [field])]
