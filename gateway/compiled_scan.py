"""A `personStatus` document answered by a plan compiled once: the shipped `Scan` and its kin.

A checkpoint at rush hour sends one operation, the shipped `Scan`
(`gateway/operations/scan.graphql`), by its hash; a health officer's app asks `personStatus` by
id. Strawberry's HTTP view and executor cost more per operation than the status's own work
(README, Performance), so the endpoint answers these with a plan (`compiled_plans.py` picks it):
the document is parsed and validated against the schema once, its selection checked to be
`personStatus` with one variable argument and plain leaves of `PersonStatus`, and each leaf
bound to the function that reads it. The plan runs the same code as the resolvers (`scan`,
`status_by_id`, the `PersonStatus.read_*` functions) on the same per-request context, and
answers what Strawberry would: the same data, the same errors (message, locations, path,
extensions; unexpected ones masked and logged; in field order, where Strawberry lists them as
they complete), the same `extensions.stale`, and the same per-operation metric and trace
attribute. `tests/test_compiled_scan.py` compares both paths' answers.

Anything else goes to Strawberry untouched: another shape, not exactly one of `qr`, `smsCode`
or `personId` given as a string, a vaccine passport, a GET, a batch. `COMPILED_SCAN=0` turns
the plans off.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

import orjson
from graphql import (
    ASTValidationRule,
    FieldNode,
    GraphQLError,
    GraphQLObjectType,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    located_error,
    parse,
    specified_rules,
    validate,
)
from starlette.datastructures import State
from starlette.responses import Response
from strawberry.extensions import MaskErrors

from gateway import metrics
from gateway import schema as graphql_schema  # first: the resolvers import it
from gateway.answer_memo import AnswerMemo, Reads, Remembered
from gateway.auth import Principal
from gateway.context import Context, request_context
from gateway.persisted import OPERATIONS_DIR, sha256_hex
from gateway.resolvers.checkpoint import scan
from gateway.resolvers.dcc import is_passport
from gateway.resolvers.status import status_by_id
from gateway.schema.freshness import stale_answers
from gateway.schema.status import PersonStatus
from gateway.status import stable_until

SCAN_FILE = OPERATIONS_DIR / "scan.graphql"
ROOT_FIELD = "personStatus"
ARGUMENTS = frozenset({"qr", "smsCode", "personId"})
# The status's fields (None: a non-null one failed), or a whole answer's body (answer_memo.py).
Fields = dict[str, Any] | bytes | None
# What a leaf of the selection reads of a status (an awaitable for the fields that may load).
Read = Callable[[PersonStatus, Context], Any]
READERS: dict[str, tuple[Read, bool, bool]] = {  # field name → (reader, nullable, awaited)
    "color": (lambda status, _: status.color, False, False),
    "reasons": (lambda status, _: status.reasons, False, False),
    "validUntil": (lambda status, _: status.valid_until, True, False),
    "evaluatedAt": (lambda status, _: status.evaluated_at, False, False),
    "policy": (lambda status, _: status.policy, False, False),
    "maskedName": (lambda status, context: status.read_masked_name(context), True, True),
    "birthYear": (lambda status, context: status.read_birth_year(context), True, True),
    "declarationValidUntil": (
        lambda status, context: status.read_declaration_valid_until(context),
        True,
        True,
    ),
}


@dataclass(frozen=True, slots=True)
class Leaf:
    """One selected field of the status: its node (for error locations) and how to read it."""

    name: str
    node: FieldNode
    read: Read
    nullable: bool
    awaited: bool


@dataclass(frozen=True, slots=True)
class CompiledScan:
    """The plan of one shipped document: its hash, root field and leaves."""

    digest: str
    operation_name: str | None
    root: FieldNode
    variables: dict[str, str]  # variable name → the root field's argument it feeds
    leaves: tuple[Leaf, ...]
    wanted: frozenset[str]  # the paths selected under the status, as `selected_paths` says
    schema: graphql_schema.GatewaySchema
    masking: MaskErrors
    reads: Reads | None  # what a whole answer is made of (answer_memo.py); None: never kept

    def arguments(self, payload: dict[str, Any]) -> dict[str, str] | None:
        """The root field's arguments from a request `payload` (its JSON) meant for this plan,
        or None when Strawberry must answer it (it words the refusals)."""
        if payload.get("operationName") not in (None, self.operation_name):
            return None
        variables = payload.get("variables")
        if not isinstance(variables, dict) or not variables.keys() <= self.variables.keys():
            return None
        given = {self.variables[k]: v for k, v in variables.items() if v is not None}
        if len(given) != 1 or not all(isinstance(v, str) for v in given.values()):
            return None  # Strawberry words the refusal of a wrong type or count
        if is_passport(given.get("qr", "")):
            return None
        return given

    async def answer(
        self,
        state: State,
        principal: Principal,
        idempotency_key: str | None,
        arguments: dict[str, str],
        memo: AnswerMemo | None = None,
    ) -> Response:
        """The response to this operation with `arguments` (from `self.arguments`); `memo`
        keeps and gives back whole answers (`answer_memo.py`)."""
        started = time.perf_counter()
        context = request_context(state, principal, idempotency_key)
        errors: list[GraphQLError] = []
        fields = await self._status(context, arguments, errors, memo)
        shown = [self._shown(error) for error in errors]
        metrics.observe_operation(self.operation_name, shown, started)
        extensions = stale_answers(context.budget.stale)
        if isinstance(fields, bytes):  # the whole answer, nothing failed
            if not extensions:  # (the scope's identity read may have been stale)
                return JSONAnswer(fields)
            fields = orjson.loads(fields)["data"][ROOT_FIELD]
        result: dict[str, Any] = {"data": {ROOT_FIELD: fields}}
        if shown:
            result["errors"] = [error.formatted for error in shown]
        if extensions:
            result["extensions"] = extensions
        return JSONAnswer(orjson.dumps(result))

    async def _status(
        self,
        context: Context,
        arguments: dict[str, str],
        errors: list[GraphQLError],
        memo: AnswerMemo | None,
    ) -> Fields:
        """The status's fields (or a whole answer's body), with the root's error or else the
        fields' errors added to `errors`."""
        found: list[GraphQLError] = []  # the fields' errors: the answer's if the root stands

        async def evaluate(context: Context, person_id: str) -> Fields:
            if memo is None or self.reads is None:
                status = await PersonStatus.evaluate_in(context, person_id, self.wanted)
                return await self._leaves(status, context, found)
            return await self._remembered(context, person_id, found, memo, self.reads)

        try:
            if (person_id := arguments.get("personId")) is not None:
                fields = await status_by_id(context, person_id, evaluate)
            else:
                fields = await scan(
                    context, arguments.get("qr"), arguments.get("smsCode"), evaluate
                )
        except Exception as error:
            errors.append(located_error(error, [self.root], [ROOT_FIELD]))
            return None
        errors.extend(found)
        return fields

    async def _remembered(
        self,
        context: Context,
        person_id: str,
        errors: list[GraphQLError],
        memo: AnswerMemo,
        reads: Reads,
    ) -> Fields:
        """The whole answer's body `memo` remembers for the person; else the status's fields,
        worked out, and remembered as a whole answer's body when nothing failed or was stale."""
        key = (self.digest, person_id)
        if (body := await memo.answer(key, context)) is not None:
            return body
        made_of = await memo.made_of(context, person_id, reads)
        status = await PersonStatus.evaluate_in(context, person_id, self.wanted)
        fields = await self._leaves(status, context, errors)
        if made_of is None or fields is None or errors or context.budget.stale:
            return fields
        # Read again: a write in between (on an await) leaves the answer unsure; not kept.
        if status.facts is None or not await memo.still(made_of, context, person_id):
            return fields
        body = orjson.dumps({"data": {ROOT_FIELD: fields}})
        since, policy = status.evaluated_at, context.policy
        until = stable_until(policy, status.facts, since)
        memo.remember(key, Remembered(made_of, policy, since, until, body))
        return body

    async def _leaves(
        self, status: PersonStatus, context: Context, errors: list[GraphQLError]
    ) -> dict[str, Any] | None:
        values: dict[str, Any] = {}
        for leaf in self.leaves:
            try:
                value = leaf.read(status, context)
                if leaf.awaited:
                    value = await value
                values[leaf.name] = _serialized(value)
            except Exception as error:
                errors.append(located_error(error, [leaf.node], [ROOT_FIELD, leaf.name]))
                if not leaf.nullable:
                    return None  # a non-null field's failure nulls the status, as GraphQL says
                values[leaf.name] = None
        return values

    def _shown(self, error: GraphQLError) -> GraphQLError:
        """The error as the client sees it: an unexpected one is logged and masked."""
        if not graphql_schema.should_mask(error):
            return error
        self.schema.process_errors([error])  # type: ignore[no-untyped-call]
        return self.masking.anonymise_error(error)


class JSONAnswer(Response):
    """A 200 `application/json` answer, its two headers made directly: the same messages as
    `Response(body, media_type="application/json")`, which works its headers out on every
    call (3 % of a warm scan in process)."""

    media_type = "application/json"

    def __init__(self, body: bytes) -> None:
        self.status_code = 200
        self.background = None
        self.body = body
        self.raw_headers = [
            (b"content-length", str(len(body)).encode("latin-1")),
            (b"content-type", b"application/json"),
        ]


def _serialized(value: object) -> object:
    """A leaf's value as Strawberry's scalars and enums write it."""
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def compile_scan(
    schema: graphql_schema.GatewaySchema,
    text: str | None = None,
    rules: tuple[type[ASTValidationRule], ...] = (),
    max_tokens: int | None = None,
) -> CompiledScan | None:
    """The plan of the shipped `Scan` (or of `text`, parsed and validated as Strawberry would
    with the schema's extra `rules` and `max_tokens`); None when the document is not valid or
    not a shape a plan answers (Strawberry then answers it)."""
    text = SCAN_FILE.read_text(encoding="utf-8") if text is None else text
    try:
        document = parse(text, max_tokens=max_tokens)
    except GraphQLError:
        return None
    if validate(schema._schema, document, (*specified_rules, *rules)):
        return None
    if len(document.definitions) != 1:
        return None
    operation = document.definitions[0]
    if not isinstance(operation, OperationDefinitionNode):
        return None
    plain = _plain_fields(schema)
    root = _root_of(operation, plain)
    variables = _variables_of(operation, root) if root is not None else None
    leaves = _leaves_of(root, plain) if root is not None else None
    if root is None or variables is None or leaves is None:
        return None
    wanted = frozenset(leaf.name for leaf in leaves)
    return CompiledScan(
        digest=sha256_hex(text),
        operation_name=operation.name.value if operation.name else None,
        root=root,
        variables=variables,
        leaves=leaves,
        wanted=wanted,
        schema=schema,
        masking=MaskErrors(should_mask_error=graphql_schema.should_mask),
        reads=Reads.of(wanted),
    )


def _root_of(operation: OperationDefinitionNode, plain: frozenset[str]) -> FieldNode | None:
    if operation.operation is not OperationType.QUERY or operation.directives:
        return None
    if f"Query.{ROOT_FIELD}" not in plain:
        return None
    root = _plain_field(operation.selection_set.selections, ROOT_FIELD, arguments=True)
    return root if root is not None and root.selection_set is not None else None


def _variables_of(operation: OperationDefinitionNode, root: FieldNode) -> dict[str, str] | None:
    """Variable name → the root argument it feeds, when every argument is a plain variable."""
    variables: dict[str, str] = {}
    for argument in root.arguments or ():
        if not isinstance(argument.value, VariableNode) or argument.name.value not in ARGUMENTS:
            return None
        variables[argument.value.name.value] = argument.name.value
    definitions = operation.variable_definitions or ()
    if any(d.default_value is not None for d in definitions):
        return None
    if {d.variable.name.value for d in definitions} != variables.keys():
        return None
    return variables


def _plain_fields(schema: graphql_schema.GatewaySchema) -> frozenset[str]:
    """The fields of Query and PersonStatus (`Type.field`) that have no extension: nothing (an
    `allow`) to run but the resolver."""
    found: set[str] = set()
    for type_name in ("Query", "PersonStatus"):
        graphql_type = schema._schema.type_map[type_name]
        fields = graphql_type.fields if isinstance(graphql_type, GraphQLObjectType) else {}
        found.update(
            f"{type_name}.{name}"
            for name, field in fields.items()
            if not getattr(field.extensions.get("strawberry-definition"), "extensions", None)
        )
    return frozenset(found)


def _leaves_of(root: FieldNode, plain: frozenset[str]) -> tuple[Leaf, ...] | None:
    leaves = []
    for selection in root.selection_set.selections if root.selection_set else ():
        name = getattr(getattr(selection, "name", None), "value", "")
        leaf = _plain_field([selection], name, arguments=False)
        if leaf is None or leaf.selection_set is not None or name not in READERS:
            return None
        if f"PersonStatus.{name}" not in plain:  # guarded (who may read it): Strawberry runs it
            return None
        leaves.append(Leaf(name, leaf, *READERS[name]))
    return tuple(leaves)


def _plain_field(selections: Any, name: str, *, arguments: bool) -> FieldNode | None:
    """The only selection, if it is the field `name` with no alias, directive or (unless
    `arguments`) argument."""
    if len(selections) != 1 or not isinstance(selections[0], FieldNode):
        return None
    field = selections[0]
    if field.name.value != name or field.alias is not None or field.directives:
        return None
    if field.arguments and not arguments:
        return None
    return field
