"""Query limits: hostile queries are refused cheaply, before execution, with QUERY_TOO_COMPLEX.

One validation rule measures an operation once (fragments expanded): its depth, its aliases, its
root fields and its cost, where a field costs 1 plus its children's cost times the field's
multiplier — the page size (`first`) or the number of `ids` for paged and id-list fields, or a
fixed weight for other lists. Variables are unknown at validation time (validation is cached per
document), so a variable page size counts as the largest page allowed. The rule classes are built
once per limit set so Strawberry's ValidationCache keeps hitting.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    NoSchemaIntrospectionCustomRule,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import SchemaExtension


@dataclass(frozen=True, slots=True)
class QueryLimits:
    """The limits in force (settings)."""

    max_depth: int = 12
    max_aliases: int = 30
    max_root_fields: int = 20
    max_cost: int = 60_000
    max_tokens: int = 6_000
    max_page: int = 1_000
    list_weight: int = 10


@dataclass(slots=True)
class _Measure:
    depth: int = 0
    aliases: int = 0
    cost: int = 0


def _unwrap(graphql_type: Any) -> tuple[Any, bool]:
    is_list = False
    while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
        is_list = is_list or isinstance(graphql_type, GraphQLList)
        graphql_type = graphql_type.of_type
    return graphql_type, is_list


def _multiplier(node: FieldNode, is_list: bool, limits: QueryLimits) -> int:
    for argument in node.arguments or ():
        if argument.name.value == "first":
            value = argument.value
            return int(value.value) if isinstance(value, IntValueNode) else limits.max_page
        if argument.name.value == "ids":
            value = argument.value
            return len(value.values) if isinstance(value, ListValueNode) else limits.max_page
    return limits.list_weight if is_list else 1


class _Walker:
    """Measures selection sets; expands fragments, guarding against cycles."""

    def __init__(self, context: ValidationContext, limits: QueryLimits) -> None:
        self.context = context
        self.limits = limits
        self.measure = _Measure()

    def cost(
        self,
        selections: SelectionSetNode | None,
        parent: Any,
        depth: int,
        seen: frozenset[str],
        page: int | None = None,
    ) -> int:
        if selections is None:
            return 0
        total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent, depth, seen, page)
            elif isinstance(selection, InlineFragmentNode):
                total += self.cost(
                    selection.selection_set, self._type_of(selection, parent), depth, seen, page
                )
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.context.get_fragment(name)
                if fragment is not None and name not in seen:
                    target = self._type_of(fragment, parent)
                    total += self.cost(fragment.selection_set, target, depth, seen | {name}, page)
        return total

    def _field(
        self, node: FieldNode, parent: Any, depth: int, seen: frozenset[str], page: int | None
    ) -> int:
        if node.alias is not None:
            self.measure.aliases += 1
        self.measure.depth = max(self.measure.depth, depth)
        definition = (
            parent.fields.get(node.name.value) if isinstance(parent, GraphQLObjectType) else None
        )
        field_type: GraphQLOutputType | None = definition.type if definition else None
        child, is_list = _unwrap(field_type)
        multiplier = _multiplier(node, is_list, self.limits)
        if is_list and page is not None:
            multiplier = page  # a connection's edges: as many as its page, not a fixed weight
        if not is_list and multiplier > 1:
            # A connection (`first` on an object field): the page size multiplies its lists
            # (edges), not its single fields (totalCount, pageInfo).
            return 1 + self.cost(node.selection_set, child, depth + 1, seen, page=multiplier)
        children = self.cost(node.selection_set, child, depth + 1, seen)
        return 1 + multiplier * children

    def _type_of(self, fragment: Any, parent: Any) -> Any:
        condition = getattr(fragment, "type_condition", None)
        if condition is None:
            return parent
        return self.context.schema.get_type(condition.name.value)


@cache
def limits_rule(limits: QueryLimits) -> type[ValidationRule]:
    """The validation rule enforcing `limits` (one class per limit set, so caches keep hitting)."""

    class OperationLimits(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            root = self.context.schema.get_root_type(node.operation)
            walker = _Walker(self.context, limits)
            walker.measure.cost = walker.cost(node.selection_set, root, 1, frozenset())
            root_fields = len(node.selection_set.selections)
            measured = walker.measure
            for what, value, limit in (
                ("depth", measured.depth, limits.max_depth),
                ("aliases", measured.aliases, limits.max_aliases),
                ("root fields", root_fields, limits.max_root_fields),
                ("cost", measured.cost, limits.max_cost),
            ):
                if value > limit:
                    self.report_error(
                        GraphQLError(
                            f"The query's {what} is {value}; at most {limit} is allowed.",
                            node,
                            extensions={"code": "QUERY_TOO_COMPLEX", "limit": what, "max": limit},
                        )
                    )

    return OperationLimits


_SUGGESTION = re.compile(r" Did you mean .*\?$")


class QueryLimitsExtension(SchemaExtension):
    """Adds the limits rule (and, in production, no introspection) and labels refusals.

    Parse and validation errors get a code (a token-limit refusal is QUERY_TOO_COMPLEX); in
    production, field suggestions are removed from error messages.
    """

    def on_operation(self) -> Iterator[None]:
        execution_context = self.execution_context
        settings = execution_context.context.settings
        rules: tuple[type[ASTValidationRule], ...] = (limits_rule(settings.limits),)
        if settings.production:
            rules += (NoSchemaIntrospectionCustomRule,)
        execution_context.validation_rules = execution_context.validation_rules + rules
        execution_context.parse_options["max_tokens"] = settings.limits.max_tokens
        try:
            yield
        except GraphQLError as parse_error:  # a parse error (the token limit) arrives this way
            _label(parse_error, production=settings.production)
            raise
        result_errors = getattr(execution_context.result, "errors", None) or []
        pre_execution = execution_context.pre_execution_errors or []
        for error in {id(e): e for e in [*result_errors, *pre_execution]}.values():
            _label(error, production=settings.production)


def _label(error: GraphQLError, *, production: bool) -> None:
    if error.path is not None:
        return  # an execution error: it carries its own code
    extensions = dict(error.extensions or {})
    if "code" not in extensions:
        if "Document contains more than" in error.message:
            extensions["code"] = "QUERY_TOO_COMPLEX"
        elif error.message.startswith("Syntax Error"):
            extensions["code"] = "GRAPHQL_PARSE_FAILED"
        else:
            extensions["code"] = "GRAPHQL_VALIDATION_FAILED"
    error.extensions = extensions
    if production:
        error.message = _SUGGESTION.sub("", error.message)
