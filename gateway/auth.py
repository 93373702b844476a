"""Authentication (bearer JWTs from the identity provider) and row-level scope.

Tokens are verified strictly: only the algorithms in settings (ES256), a key from the IdP's JWKS
chosen by `kid` (the JWKS is cached and fetched again, at most every `jwks_refresh_interval`
seconds, when a token names an unknown `kid`), and `iss`, `aud`, `exp`, `iat`, `sub` and `role`
required. Verified tokens are remembered until they expire so a scanner's repeated requests cost
one dictionary lookup.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import httpx
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

from gateway.errors import Forbidden, Unauthenticated
from gateway.settings import Settings


class Role(StrEnum):
    """The caller's role, as the `role` claim names it (CONTRACT.md §3)."""

    CITIZEN = "citizen"
    CHECKPOINT = "checkpoint"
    EMPLOYER = "employer"
    HEALTH_OFFICER = "health_officer"
    DISTRICT_ADMIN = "district_admin"


# The claim each role must carry besides the registered ones.
_ROLE_CLAIM: dict[Role, str] = {
    Role.CITIZEN: "person_id",
    Role.CHECKPOINT: "district",
    Role.EMPLOYER: "employer_id",
    Role.HEALTH_OFFICER: "district",
    Role.DISTRICT_ADMIN: "district",
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, taken from a verified token."""

    subject: str
    role: Role
    person_id: str | None = None
    district: str | None = None
    employer_id: str | None = None
    expires_at: float = 0.0


class Scoped(Protocol):
    """What scope checks need to know about a person."""

    @property
    def id(self) -> str: ...

    @property
    def district(self) -> str: ...


def in_scope(
    principal: Principal, person: Scoped, employer_worker_ids: Collection[str] = ()
) -> bool:
    """Whether `principal` may read `person`'s record at all (CONTRACT.md §5)."""
    match principal.role:
        case Role.CITIZEN:
            return person.id == principal.person_id
        case Role.HEALTH_OFFICER | Role.DISTRICT_ADMIN:
            return person.district == principal.district
        case Role.EMPLOYER:
            return person.id in employer_worker_ids
        case _:
            return False


def require_scope(
    principal: Principal, person: Scoped, employer_worker_ids: Collection[str] = ()
) -> None:
    """Raise FORBIDDEN unless `principal` may read `person`.

    Every resolver that returns a person's data calls it.
    """
    if not in_scope(principal, person, employer_worker_ids):
        raise Forbidden("You may not read this person's record.")


def require_list_scope(principal: Principal, enterprise_id: str, district: str) -> None:
    """Raise FORBIDDEN unless `principal` may see a worker list of `enterprise_id` in `district`.

    Its employer sees it; so does the district admin of the enterprise's district, who approves
    it. Every resolver that returns or changes a worker list calls it.
    """
    match principal.role:
        case Role.EMPLOYER if principal.employer_id == enterprise_id:
            return
        case Role.DISTRICT_ADMIN if principal.district == district:
            return
    raise Forbidden("You may not see this worker list.")


class TokenVerifier:
    """Verifies bearer tokens against the identity provider's JWKS."""

    def __init__(self, settings: Settings, client: httpx.AsyncClient, *, max_cached: int = 50_000):
        self._settings = settings
        self._client = client
        self._keys: KeySet | None = None
        self._fetched_at = -float("inf")
        self._lock = asyncio.Lock()
        self._verified: OrderedDict[str, Principal] = OrderedDict()
        self._max_cached = max_cached
        self._claims = jwt.JWTClaimsRegistry(
            leeway=settings.jwt_leeway_seconds,
            iss={"essential": True, "value": settings.idp_issuer},
            aud={"essential": True, "value": settings.audience},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            role={"essential": True, "values": [role.value for role in Role]},
        )

    async def authenticate(self, authorization: str | None) -> Principal:
        """The principal of an `Authorization: Bearer ...` header, or UNAUTHENTICATED."""
        if not authorization:
            raise Unauthenticated("A bearer token is required.")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("The Authorization header must be 'Bearer <token>'.")
        token = token.strip()
        cached = self._verified.get(token)
        if (
            cached is not None
            and cached.expires_at + self._settings.jwt_leeway_seconds > time.time()
        ):
            return cached
        principal = await self._verify(token)
        self._remember(token, principal)
        return principal

    async def _verify(self, token: str) -> Principal:
        keys = await self._key_set()
        try:
            decoded = jwt.decode(token, keys, algorithms=list(self._settings.jwt_algorithms))
        except InvalidKeyIdError:
            decoded = self._decode_after_refresh(token, await self._key_set(refresh=True))
        except (JoseError, ValueError) as error:
            raise Unauthenticated("The bearer token is not valid.") from error
        try:
            self._claims.validate(decoded.claims)
        except JoseError as error:
            raise Unauthenticated(
                "The bearer token is expired or not meant for this service."
            ) from error
        return _principal(decoded.claims)

    def _decode_after_refresh(self, token: str, keys: KeySet) -> jwt.Token:
        try:
            return jwt.decode(token, keys, algorithms=list(self._settings.jwt_algorithms))
        except (JoseError, ValueError) as error:
            raise Unauthenticated("The bearer token is not valid.") from error

    async def _key_set(self, *, refresh: bool = False) -> KeySet:
        if self._keys is not None and not refresh:
            return self._keys
        async with self._lock:
            recently = time.monotonic() - self._fetched_at < self._settings.jwks_refresh_interval
            if self._keys is not None and (not refresh or recently):
                return self._keys
            try:
                response = await self._client.get(self._settings.idp_jwks_url)
                response.raise_for_status()
                self._keys = KeySet.import_key_set(response.json())
            except (httpx.HTTPError, ValueError, JoseError) as error:
                if self._keys is None:
                    raise Unauthenticated(
                        "The identity provider's keys are unavailable."
                    ) from error
            self._fetched_at = time.monotonic()
            assert self._keys is not None
            return self._keys

    def _remember(self, token: str, principal: Principal) -> None:
        self._verified[token] = principal
        if len(self._verified) > self._max_cached:
            self._verified.popitem(last=False)


def _principal(claims: dict[str, Any]) -> Principal:
    role = Role(claims["role"])
    needed = _ROLE_CLAIM[role]
    value = claims.get(needed)
    if not isinstance(value, str) or not value:
        raise Unauthenticated(f"The token of a {role.value} must carry the '{needed}' claim.")
    return Principal(
        subject=str(claims["sub"]),
        role=role,
        person_id=claims.get("person_id") if role is Role.CITIZEN else None,
        district=str(claims["district"]) if "district" in claims else None,
        employer_id=claims.get("employer_id") if role is Role.EMPLOYER else None,
        expires_at=float(claims["exp"]),
    )
