"""schema.graphql is generated (`make schema`) and must never go stale or undocumented."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLObjectType

from gateway.schema import schema

SCHEMA_FILE = Path(__file__).parent.parent / "schema.graphql"


def test_schema_file_is_current() -> None:
    assert SCHEMA_FILE.read_text() == schema.as_str() + "\n", "run `make schema`"


def test_every_type_and_field_has_a_description() -> None:
    missing: list[str] = []
    for name, graphql_type in schema._schema.type_map.items():
        if name.startswith("__") or not isinstance(
            graphql_type, GraphQLObjectType | GraphQLInputObjectType | GraphQLEnumType
        ):
            continue
        if not graphql_type.description:
            missing.append(name)
        if isinstance(graphql_type, GraphQLEnumType):
            continue
        missing += [
            f"{name}.{field}"
            for field, value in graphql_type.fields.items()
            if not value.description
        ]

    assert missing == []
