"""The national personal-QR registry: one opaque QR id per resident, and SMS codes.

A QR id is random and says nothing about the person; the registry maps it to the person and
knows whether it is still active. Issuing a new QR for a person revokes the previous one. An SMS
code is a short code standing in for the QR for people without a smartphone; sending a new one
revokes the previous one, and a code lapses after `SMS_CODE_TTL`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mocks.common import BadRequest, ORJSONResponse, error_json, json_ids, note_ids
from mocks.model import LOCAL_TZ
from mocks.service import ServiceContext, service_app
from mocks.specs.qr_registry import SMS_CODE_ALPHABET, SMS_CODE_LENGTH, SPEC

SMS_CODE_TTL = timedelta(days=30)
QR_ID_BYTES = 12  # 96 random bits, 16 base64url characters


@dataclass(frozen=True, slots=True)
class QrCode:
    """One issued QR id and its state."""

    qr_id: str
    person_id: str
    issued_at: datetime
    revoked_at: datetime | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "qrId": self.qr_id,
            "personId": self.person_id,
            "status": "revoked" if self.revoked_at else "active",
            "issuedAt": self.issued_at.isoformat(),
            "revokedAt": self.revoked_at.isoformat() if self.revoked_at else None,
        }


@dataclass(frozen=True, slots=True)
class SmsCode:
    """One SMS code and its state."""

    code: str
    person_id: str
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def status(self, now: datetime) -> str:
        if self.revoked_at:
            return "revoked"
        return "expired" if now >= self.expires_at else "active"

    def as_json(self, now: datetime) -> dict[str, Any]:
        return {
            "code": self.code,
            "personId": self.person_id,
            "status": self.status(now),
            "issuedAt": self.issued_at.isoformat(),
            "expiresAt": self.expires_at.isoformat(),
        }


class Registry:
    """The registry's in-memory state (one per app)."""

    def __init__(self) -> None:
        self.codes: dict[str, QrCode] = {}
        self.active: dict[str, str] = {}  # person id -> active QR id
        self.sms: dict[str, SmsCode] = {}
        self.active_sms: dict[str, str] = {}  # person id -> active SMS code

    def ensure(self, person_id: str, now: datetime) -> QrCode:
        """The person's active QR, issued now when there is none."""
        current = self.active.get(person_id)
        return self.codes[current] if current else self.issue(person_id, now)

    def issue(self, person_id: str, now: datetime) -> QrCode:
        """A new QR for the person; the previous one is revoked."""
        previous = self.active.get(person_id)
        if previous:
            self.codes[previous] = replace(self.codes[previous], revoked_at=now)
        qr_id = secrets.token_urlsafe(QR_ID_BYTES)
        while qr_id in self.codes:  # pragma: no cover - 96 random bits
            qr_id = secrets.token_urlsafe(QR_ID_BYTES)
        code = self.codes[qr_id] = QrCode(qr_id, person_id, now)
        self.active[person_id] = qr_id
        return code

    def issue_sms(self, person_id: str, now: datetime) -> SmsCode:
        """A new SMS code for the person; the previous one is revoked."""
        previous = self.active_sms.get(person_id)
        if previous:
            self.sms[previous] = replace(self.sms[previous], revoked_at=now)
        code = _sms_code()
        while code in self.sms:  # pragma: no cover - 50 random bits
            code = _sms_code()
        sms = self.sms[code] = SmsCode(code, person_id, now, now + SMS_CODE_TTL)
        self.active_sms[person_id] = code
        return sms


def _sms_code() -> str:
    return "".join(secrets.choice(SMS_CODE_ALPHABET) for _ in range(SMS_CODE_LENGTH))


def _now() -> datetime:
    return datetime.now(LOCAL_TZ)


async def _person_id(request: Request) -> str:
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise BadRequest("The request body must be JSON.") from None
    person_id = body.get("personId") if isinstance(body, dict) else None
    if not isinstance(person_id, str) or not person_id:
        raise BadRequest('The request body must be an object {"personId": string}.')
    note_ids(request, 1)
    return person_id


def create_app(ctx: ServiceContext) -> Starlette:
    """The QR registry's sub-app."""
    persons = ctx.dataset.persons
    registry = Registry()

    async def ensure_codes(request: Request) -> Response:
        ids = await json_ids(request, "personIds")
        now = _now()
        codes = [registry.ensure(pid, now).as_json() for pid in ids if pid in persons]
        missing = [pid for pid in ids if pid not in persons]
        return ORJSONResponse({"codes": codes, "notFound": missing})

    async def reissue(request: Request) -> Response:
        person_id = await _person_id(request)
        if person_id not in persons:
            return error_json(404, "not_found")
        previous = registry.active.get(person_id)
        issued = registry.issue(person_id, _now())
        revoked = registry.codes[previous].as_json() if previous else None
        return ORJSONResponse({"issued": issued.as_json(), "revoked": revoked}, status_code=201)

    async def lookup(request: Request) -> Response:
        code = registry.codes.get(request.path_params["qrId"])
        if code is None:
            return error_json(404, "not_found")
        note_ids(request, 1)
        return ORJSONResponse(code.as_json())

    async def send_sms_code(request: Request) -> Response:
        person_id = await _person_id(request)
        if person_id not in persons:
            return error_json(404, "not_found")
        now = _now()
        return ORJSONResponse(registry.issue_sms(person_id, now).as_json(now), status_code=201)

    async def resolve_sms_code(request: Request) -> Response:
        sms = registry.sms.get(request.path_params["code"].upper())
        if sms is None:
            return error_json(404, "not_found")
        note_ids(request, 1)
        return ORJSONResponse(sms.as_json(_now()))

    routes = [
        Route("/codes/ensure", ensure_codes, methods=["POST"]),
        Route("/codes/reissue", reissue, methods=["POST"]),
        Route("/codes/{qrId}", lookup, methods=["GET"]),
        Route("/sms-codes", send_sms_code, methods=["POST"]),
        Route("/sms-codes/{code}", resolve_sms_code, methods=["GET"]),
    ]
    return service_app(ctx, routes, SPEC)
