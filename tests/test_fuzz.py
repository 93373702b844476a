"""Fuzzing: schemathesis, in GraphQL mode, against the running gateway, for each role.

Every generated operation (valid and invalid arguments, every root field) must get an answer
that is not a 5xx, that is JSON, whose every error carries a code, and that never shows an
internal (stack trace, upstream address) or an unexpected error.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from graphql import introspection_from_schema
from hypothesis import HealthCheck, given, settings

from gateway.schema import schema as gateway_schema
from tests.support import dev_server, mocks_cli

SCHEMA = schemathesis.graphql.from_dict(dict(introspection_from_schema(gateway_schema._schema)))
INTERNALS = ("Traceback", "10.16.4.21", "127.0.0.1", 'File "', "Unexpected error.")
ROLE_CLAIMS = {
    "citizen": ["--person", "P0000001"],
    "checkpoint": ["--district", "778"],
    "employer": ["--employer", "E0001"],
    "health_officer": ["--district", "778"],
    "district_admin": ["--district", "778"],
}


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    workdir = tmp_path_factory.mktemp("fuzz")
    with dev_server(workdir, RATE_LIMIT_PER_SUBJECT="100000") as (url, env):
        tokens = {
            role: mocks_cli(env, workdir, "token", role, *claims)
            for role, claims in ROLE_CLAIMS.items()
        }
        yield url, tokens


def check_answer(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    body = response.json()
    for error in body.get("errors") or []:
        assert error.get("extensions", {}).get("code"), error
        assert not any(marker in error["message"] for marker in INTERNALS), error
    assert not any(marker in response.text for marker in INTERNALS[:4]), response.text


@pytest.mark.parametrize("role", list(ROLE_CLAIMS))
def test_generated_operations_never_break_the_gateway(
    running: tuple[str, dict[str, str]], role: str
) -> None:
    url, tokens = running
    headers = {"Authorization": f"Bearer {tokens[role]}"}

    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:

        @settings(
            max_examples=60,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=SCHEMA.as_strategy())
        def fuzz(case: schemathesis.Case) -> None:
            check_answer(client.post("/graphql", json={"query": case.body}))

        fuzz()
