"""Invalid variables (an unknown enum value, a missing or mistyped field) as BAD_USER_INPUT.

graphql-core refuses them before any resolver runs, with messages like
"Variable '$input' has invalid value at .symptoms[0]: Value 'HICCUPS' does not exist in
'DeclarationSymptom' enum." This extension gives such errors the contract's code and names the
input path in `extensions.field` (`input.symptoms[0]`), like every other input error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

_INVALID_VARIABLE = re.compile(
    r"Variable '\$(?P<name>\w+)' has invalid value(?: at (?P<at>[^:]+))?:"
)
_MISSING_FIELD = re.compile(r"to include required field '(?P<field>\w+)'")


def input_error_field(error: GraphQLError) -> str | None:
    """The input path an invalid-variable error is about, or None for any other error."""
    if not isinstance(error.original_error, GraphQLError):
        return None
    match = _INVALID_VARIABLE.match(error.message)
    if match is None:
        return None
    field = match["name"] + (match["at"] or "").strip()
    missing = _MISSING_FIELD.search(error.message)
    return f"{field}.{missing['field']}" if missing else field


def is_input_error(error: GraphQLError) -> bool:
    """Whether the error is graphql-core's refusal of a variable (safe to show as it is)."""
    return input_error_field(error) is not None


class InputErrorsExtension(SchemaExtension):
    """Marks invalid-variable errors BAD_USER_INPUT with the offending input path."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in (result.errors if result is not None else None) or []:
            field = input_error_field(error)
            if field is not None:
                error.extensions = {
                    **(error.extensions or {}),
                    "code": "BAD_USER_INPUT",
                    "field": field,
                }
