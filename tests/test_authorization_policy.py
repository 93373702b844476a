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
}
PERSON_FIELDS = [
    "fullName",
    "dateOfBirth",
    "nationalId",
    "phone",
    "vaccinations",
    "labTests",
    "f0Case",
]
OPEN_PERSON_FIELDS = "id maskedName birthYear district status { color reasons }"
RESTRICTED_PERSON_FIELDS = (
    "fullName dateOfBirth nationalId phone vaccinations { id } labTests { id } f0Case { id }"
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
LOOKUP_IN_SCOPE = {C: True, CP: False, E: False, HO: True, DA: True}


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
