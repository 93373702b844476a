"""Personas: one per case of the policy, with expectations that the served data bears out."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mocks.enterprises import DEMO_EMPLOYERS
from mocks.personas import SPECS, expectations
from mocks.seed import dataset_for, personas
from mocks.settings import MockSettings
from tests.mocks.policy_oracle import evaluate, facts_from_wire
from tests.mocks.support import REFERENCE

ALL_REASONS = {
    "ACTIVE_F0",
    "RECENT_POSITIVE_TEST",
    "FULLY_VACCINATED",
    "RECOVERED",
    "PARTIALLY_VACCINATED",
    "RECENT_NEGATIVE_TEST",
    "NO_PROTECTION",
}


@pytest.fixture(scope="module")
def listed(settings: MockSettings) -> list[dict[str, Any]]:
    return personas(settings)


def test_personas_come_first_in_the_data_set(
    settings: MockSettings, listed: list[dict[str, Any]]
) -> None:
    dataset = dataset_for(settings)
    ids = [p["personId"] for p in listed]
    assert ids == list(dataset.persons)[: len(SPECS)]
    for persona in listed:
        assert dataset.persons[persona["personId"]].district == persona["district"]


def test_every_reason_and_colour_has_a_persona(listed: list[dict[str, Any]]) -> None:
    reasons = {r for p in listed for r in p["expectedReasons"]}
    assert reasons == ALL_REASONS
    assert {p["expectedColor"] for p in listed} == {"GREEN", "YELLOW", "RED"}
    both_red = [p for p in listed if p["expectedReasons"] == ["ACTIVE_F0", "RECENT_POSITIVE_TEST"]]
    assert len(both_red) == 1


def test_personas_spread_over_the_pilot_districts(listed: list[dict[str, Any]]) -> None:
    assert {"760", "778", "783", "787"} <= {p["district"] for p in listed}


def test_persona_objects_carry_the_contract_fields(listed: list[dict[str, Any]]) -> None:
    for persona in listed:
        assert {"personId", "district", "case", "expectedColor", "expectedReasons"} <= set(persona)
        assert persona["expectedReasons"] == sorted(persona["expectedReasons"])
        assert persona["evaluatedAt"] == REFERENCE.isoformat()
        # Every persona is on the DRAFT list of its district's demo enterprise.
        assert persona["employerId"] == DEMO_EMPLOYERS[persona["district"]]
    assert len({p["case"] for p in listed}) == len(listed)


def test_older_policy_turns_yellow_into_red(listed: list[dict[str, Any]]) -> None:
    for persona in listed:
        older = persona["otherPolicies"]["hcmc-2021-09"]
        if persona["expectedColor"] == "YELLOW":
            assert older == {"expectedColor": "RED", "expectedReasons": ["NO_PROTECTION"]}
        else:
            assert older["expectedColor"] == persona["expectedColor"]


async def _served_facts(client: httpx.AsyncClient, auth: dict[str, str], person_id: str) -> Any:
    params = {"patient": f"Patient/{person_id}"}
    imm = await client.get("/vaccination/fhir/Immunization", params=params, headers=auth)
    obs = await client.get("/lab/fhir/Observation", params=params, headers=auth)
    cases = await client.get("/f0/cases", params={"personId": person_id}, headers=auth)
    return facts_from_wire(
        [e["resource"] for e in imm.json()["entry"]],
        [e["resource"] for e in obs.json()["entry"]],
        cases.json()["cases"],
    )


@pytest.mark.parametrize("index", range(len(SPECS)), ids=[spec.case[:60] for spec in SPECS])
async def test_served_data_gives_the_expected_status(
    client: httpx.AsyncClient, auth: dict[str, str], index: int
) -> None:
    persona = expectations(REFERENCE)[index]
    facts = await _served_facts(client, auth, persona.person_id)
    status = evaluate(facts, REFERENCE)
    assert (status.color, status.reasons) == (persona.color, persona.reasons)
    assert status.valid_until == persona.valid_until
