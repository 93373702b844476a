"""`make run`'s process (`python -m gateway dev`) serves GraphQL, accepts the CLI's tokens, and
takes the mocks down with it."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.support import dev_server, mocks_cli


def test_a_cli_token_reads_a_personas_status_from_the_running_gateway(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    workdir = tmp_path_factory.mktemp("dev")
    with dev_server(workdir) as (url, env):
        persona = json.loads(mocks_cli(env, workdir, "personas"))[0]
        token = mocks_cli(
            env, workdir, "token", "health_officer", "--district", persona["district"]
        )

        response = httpx.post(
            f"{url}/graphql",
            json={
                "query": "query($id: ID!) { personStatus(personId: $id) { color reasons } }",
                "variables": {"id": persona["personId"]},
            },
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )

    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "personStatus": {
                "color": persona["expectedColor"],
                "reasons": persona["expectedReasons"],
            }
        }
    }
