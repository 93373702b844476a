"""Which compiled plan answers a request: the shipped `Scan` by its hash, or a `personStatus`
document of the same shape by its text (`compiled_scan.py` makes and runs a plan).

A text is compiled the first time it is seen (parsed and validated with the rules and token
limit Strawberry applies) and remembered, compiled or not, for the next requests: clients send
the same few documents again and again. At most `MAX_TEXT_PLANS` texts are remembered (the
oldest forgotten first), and only a short text that names `personStatus` is compiled at all, so
a stream of other or hostile documents costs one dictionary look-up before Strawberry.
"""

from __future__ import annotations

from typing import Any

import orjson
from graphql import ASTValidationRule, NoSchemaIntrospectionCustomRule
from starlette.datastructures import State
from starlette.responses import Response

from gateway.answer_memo import AnswerMemo
from gateway.auth import Principal
from gateway.compiled_scan import ROOT_FIELD, CompiledScan, compile_scan
from gateway.limits import limits_rule
from gateway.schema import GatewaySchema
from gateway.settings import Settings

MAX_TEXT_CHARS = 2048  # a longer document is not one status with a few leaves
MAX_TEXT_PLANS = 256
_REQUEST_KEYS = frozenset({"query", "extensions", "variables", "operationName"})


class CompiledPlans:
    """The plans of one schema under one settings' limits."""

    def __init__(self, schema: GatewaySchema, settings: Settings) -> None:
        self._schema = schema
        rules: tuple[type[ASTValidationRule], ...] = (limits_rule(settings.limits),)
        if settings.production:
            rules += (NoSchemaIntrospectionCustomRule,)
        self._rules = rules
        self._max_tokens = settings.limits.max_tokens
        self.shipped = compile_scan(schema, None, rules, self._max_tokens)
        # What a request for the shipped Scan by hash carries (made once: S1's hot path).
        self._shipped_extensions = (
            {"persistedQuery": {"version": 1, "sha256Hash": self.shipped.digest}}
            if self.shipped is not None
            else None
        )
        self._by_text: dict[str, CompiledScan | None] = {}
        entries = settings.answer_memo_entries
        self.memo = AnswerMemo(entries) if entries > 0 else None

    async def answer(
        self, state: State, principal: Principal, idempotency_key: str | None, body: bytes
    ) -> Response | None:
        """The response to `body` by a plan, or None when Strawberry must answer it."""
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(payload, dict) or not payload.keys() <= _REQUEST_KEYS:
            return None
        plan = self.plan_for(payload)
        arguments = plan.arguments(payload) if plan is not None else None
        if plan is None or arguments is None:
            return None
        return await plan.answer(state, principal, idempotency_key, arguments, self.memo)

    def plan_for(self, payload: dict[str, Any]) -> CompiledScan | None:
        text = payload.get("query")
        if text is None:  # by hash: only the shipped Scan (anything else is Strawberry's APQ)
            wanted = self._shipped_extensions
            return self.shipped if wanted and payload.get("extensions") == wanted else None
        if "extensions" in payload or not isinstance(text, str):
            return None  # registering a persisted query, or some other extension: Strawberry
        if text in self._by_text:
            return self._by_text[text]
        plan = None
        if len(text) <= MAX_TEXT_CHARS and ROOT_FIELD in text:
            plan = compile_scan(self._schema, text, self._rules, self._max_tokens)
        if len(self._by_text) >= MAX_TEXT_PLANS:
            del self._by_text[next(iter(self._by_text))]
        self._by_text[text] = plan
        return plan
