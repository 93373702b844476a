"""Typed settings, read once from the environment.

Every knob of the gateway lives here (STYLE.md rule 9). Defaults are the embedded development
setup that `make run` starts; values marked DEVELOPMENT ONLY must be overridden in production.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from gateway.limits import QueryLimits

DEV_CLIENT_SECRET = "dev-only-gateway-secret"  # DEVELOPMENT ONLY: the mocks' default client secret
MOCKS_URL = "http://127.0.0.1:8001"


@dataclass(frozen=True, slots=True)
class SourceSettings:
    """Where one upstream lives and how long its answers may be cached."""

    base_url: str
    cache_ttl: float
    timeout: float = 5.0
    # What /readyz probes; None: `healthz` beside the API (the mocks' layout).
    health_url: str | None = None

    @property
    def readiness_url(self) -> str:
        return self.health_url or f"{self.base_url.removesuffix('/fhir')}/healthz"


def _sources(mocks: str) -> dict[str, SourceSettings]:
    return {
        "identity": SourceSettings(f"{mocks}/identity", cache_ttl=3600.0),
        "vaccination": SourceSettings(f"{mocks}/vaccination/fhir", cache_ttl=300.0),
        "lab_results": SourceSettings(f"{mocks}/lab/fhir", cache_ttl=60.0),
        "f0_care": SourceSettings(f"{mocks}/f0", cache_ttl=60.0),
        # A revoked QR is refused by every instance at most this long after revocation.
        "qr_registry": SourceSettings(f"{mocks}/qr", cache_ttl=30.0),
        "sms": SourceSettings(f"{mocks}/sms", cache_ttl=0.0),
        "checkins": SourceSettings(f"{mocks}/checkins", cache_ttl=0.0),
        "declarations": SourceSettings(f"{mocks}/declarations", cache_ttl=60.0),
        # Lists change under mutations: never cached (every read is of the system of record).
        "workforce": SourceSettings(f"{mocks}/workforce", cache_ttl=0.0),
    }


def _feeds(mocks: str) -> dict[str, str]:
    """The change feeds the workforce watch follows: source name → feed URL."""
    return {
        "workforce": f"{mocks}/workforce/changes",
        "vaccination": f"{mocks}/vaccination/changes",
        "lab_results": f"{mocks}/lab/changes",
        "f0_care": f"{mocks}/f0/changes",
    }


@dataclass(frozen=True, slots=True)
class WorkforceSettings:
    """Worker lists and the alerts on approved workers (issue 5)."""

    # The district conditions a worker must meet for approval; None: the shipped file.
    conditions_file: Path | None = None
    feeds: Mapping[str, str] = field(default_factory=lambda: _feeds(MOCKS_URL))
    # Seconds between two reads of the feeds; 0: no watch. Off when settings are built in code
    # (tests, embedding: its requests would show in their counts); `from_env` (what `make run`
    # and deployments use) turns it on: CHANGE_FEED_POLL_SECONDS, default 2.
    poll_interval: float = 0.0
    sweep_batch: int = 1000  # approved workers re-evaluated per look at what fell due
    unknown_recheck: float = 60.0  # seconds before an UNKNOWN worker is evaluated again
    # Seconds the watch's leadership lasts unless renewed (renewed every third of it): one
    # follower per fleet (Redis) or per DATA_DIR (a file lock); a dead leader's successor
    # takes over within this time.
    lease: float = 15.0

    @classmethod
    def from_env(cls, env: Mapping[str, str], base: WorkforceSettings) -> WorkforceSettings:
        conditions = env.get("WORKER_CONDITIONS_FILE")
        return cls(
            conditions_file=Path(conditions) if conditions else base.conditions_file,
            feeds={
                name: env.get(f"{name.upper()}_CHANGES_URL", url)
                for name, url in base.feeds.items()
            },
            poll_interval=float(env.get("CHANGE_FEED_POLL_SECONDS", "2")),
            sweep_batch=int(env.get("WORKER_SWEEP_BATCH", base.sweep_batch)),
            unknown_recheck=float(env.get("WORKER_UNKNOWN_RECHECK", base.unknown_recheck)),
            lease=float(env.get("WATCH_LEASE_SECONDS", base.lease)),
        )


@dataclass(frozen=True, slots=True)
class Resilience:
    """How the gateway treats failing upstreams (issue 7)."""

    retries: int = 2  # extra attempts for idempotent reads
    backoff_base: float = 0.05  # seconds; doubled per attempt, with full jitter
    backoff_max: float = 0.5
    breaker_failures: int = 5  # consecutive failures that open a source's circuit
    breaker_cooldown: float = 10.0  # seconds open before one half-open probe
    # Seconds a cached answer may still be served after its TTL while its upstream fails.
    stale_for: float = 900.0
    request_deadline: float = 8.0  # seconds one GraphQL request may wait on upstreams


@dataclass(frozen=True, slots=True)
class Outbox:
    """The durable outbox of submissions and its delivery worker (issue 4); OUTBOX_<FIELD>."""

    poll_interval: float = 1.0  # seconds between the worker's looks for due rows
    retry_min: float = 0.5  # seconds before the first retry; doubled per attempt, jittered
    retry_max: float = 60.0  # the longest wait between two attempts (never given up)
    lease: float = 30.0  # seconds a claimed row is left to its deliverer before others retry
    batch_size: int = 50  # rows claimed per look
    deliver_timeout: float = 2.0  # seconds the mutation waits on its immediate delivery
    retention_days: float = 30.0  # delivered rows (and their idempotency keys) kept this long
    schema: str = "public"  # the PostgreSQL schema of the tables (with DATABASE_URL)


@dataclass(frozen=True, slots=True)
class CheckpointSettings:
    """Personal QR codes, SMS codes, offline passes and printed cards (issue 3)."""

    keys_file: Path | None = None  # a JWKS with private keys; None: development keys
    issuer: str = "hcmc-healthpass"  # the `iss` of QR payloads and offline passes
    payload_ttl: float = 365 * 86400.0  # seconds a signed QR payload stays valid
    offline_pass_ttl: float = 86400.0  # seconds an offline pass lasts, at most 24 h
    sms_code_attempts: int = 10  # wrong SMS codes a caller may try per window
    sms_code_window: float = 3600.0  # seconds
    card_font_file: Path | None = None  # a TrueType font with Vietnamese letters, for cards
    max_cards: int = 500  # cards in one printed PDF (50 A4 pages)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> CheckpointSettings:
        base = cls()
        keys_file, font = env.get("QR_SIGNING_KEYS"), env.get("CARD_FONT_FILE")
        offline_pass_ttl = float(env.get("OFFLINE_PASS_TTL", base.offline_pass_ttl))
        if not 0 < offline_pass_ttl <= 86400:
            raise ValueError("OFFLINE_PASS_TTL must be between 1 and 86400 seconds (24 h).")
        return cls(
            keys_file=Path(keys_file) if keys_file else None,
            issuer=env.get("QR_ISSUER", base.issuer),
            payload_ttl=float(env.get("QR_PAYLOAD_TTL", base.payload_ttl)),
            offline_pass_ttl=offline_pass_ttl,
            sms_code_attempts=int(env.get("SMS_CODE_ATTEMPTS", base.sms_code_attempts)),
            sms_code_window=float(env.get("SMS_CODE_WINDOW", base.sms_code_window)),
            card_font_file=Path(font) if font else None,
        )


@dataclass(frozen=True, slots=True)
class DccSettings:
    """Vaccine passports in the EU Digital COVID Certificate format (issue 9); DCC_<FIELD>."""

    trust_list: str | None = None  # a JSON trust list: file path or http(s) URL
    revocation_list: Path | None = None  # UVCI hashes (base64), one per line
    refresh_interval: float = 3600.0  # seconds between re-reads of both lists; 0: never
    key_dir: Path | None = None  # dsc.pem + dsc-key.pem; None: development keys (not production)
    validity_months: int = 12  # an issued passport expires this many months after issue
    country: str = "VN"
    issuer: str = "Ministry of Health Vietnam"

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DccSettings:
        base = cls()
        revocations, key_dir = env.get("DCC_REVOCATION_LIST"), env.get("DCC_KEY_DIR")
        return cls(
            trust_list=env.get("DCC_TRUST_LIST") or None,
            revocation_list=Path(revocations) if revocations else None,
            refresh_interval=float(env.get("DCC_REFRESH_INTERVAL", base.refresh_interval)),
            key_dir=Path(key_dir) if key_dir else None,
            validity_months=int(env.get("DCC_VALIDITY_MONTHS", base.validity_months)),
            country=env.get("DCC_COUNTRY", base.country),
            issuer=env.get("DCC_ISSUER", base.issuer),
        )


@dataclass(frozen=True, slots=True)
class Settings:
    """All gateway settings. Build with `Settings.from_env()` or directly in tests."""

    env: str = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = Path(".data")
    idp_issuer: str = f"{MOCKS_URL}/idp"
    idp_jwks_url: str = f"{MOCKS_URL}/idp/.well-known/jwks.json"
    idp_token_url: str = f"{MOCKS_URL}/idp/oauth/token"
    audience: str = "healthpass-gateway"
    jwt_algorithms: tuple[str, ...] = ("ES256",)
    jwt_leeway_seconds: int = 30
    jwks_refresh_interval: float = 30.0
    client_id: str = "healthpass-gateway"
    client_secret: str = DEV_CLIENT_SECRET
    sources: Mapping[str, SourceSettings] = field(default_factory=lambda: _sources(MOCKS_URL))
    batch_size: int = 250
    cache_max_entries: int = 200_000
    status_policy: str = "hcmc-2021-10"
    checkpoint: CheckpointSettings = field(default_factory=CheckpointSettings)
    limits: QueryLimits = field(default_factory=QueryLimits)
    resilience: Resilience = field(default_factory=Resilience)
    max_body_bytes: int = 256 * 1024
    redis_url: str | None = None
    redis_key_prefix: str = "healthpass"  # every Redis key and channel starts with it
    rate_limit_per_subject: int = 600  # requests per minute for one token subject
    rate_limit_per_address: int = 1200  # requests per minute from one client address
    max_batch_operations: int = 10
    compiled_scan: bool = True  # the shipped `Scan` by its compiled plan (gateway/compiled_scan.py)
    answer_memo_entries: int = 100_000  # the plans' remembered answers (gateway/answer_memo.py)
    database_url: str | None = None  # PostgreSQL for the outbox; None: SQLite under data_dir
    outbox: Outbox = field(default_factory=Outbox)
    workforce: WorkforceSettings = field(default_factory=WorkforceSettings)
    dcc: DccSettings = field(default_factory=DccSettings)
    readiness_timeout: float = 1.0  # seconds /readyz waits for each upstream's health answer
    readiness_cache: float = 2.0  # seconds a /readyz answer is reused (a scrape storm probes once)
    log_format: str = "json"  # json: one JSON object per line; text: for people
    log_level: str = "info"
    workers: int = 1  # processes `serve` and `dev` start (uvicorn --workers)

    @property
    def production(self) -> bool:
        return self.env == "production"

    def with_mocks_at(self, mocks_url: str) -> Settings:
        """The same settings with every upstream (and the IdP) under one mocks base URL."""
        return replace(
            self,
            idp_issuer=f"{mocks_url}/idp",
            idp_jwks_url=f"{mocks_url}/idp/.well-known/jwks.json",
            idp_token_url=f"{mocks_url}/idp/oauth/token",
            sources=_sources(mocks_url),
            workforce=replace(self.workforce, feeds=_feeds(mocks_url)),
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings from the environment; unknown values fall back to the defaults."""
        env = os.environ if environ is None else environ
        base = cls().with_mocks_at(env.get("MOCKS_URL", MOCKS_URL).rstrip("/"))
        sources = {
            name: SourceSettings(
                base_url=env.get(f"{name.upper()}_URL", source.base_url).rstrip("/"),
                cache_ttl=float(env.get(f"{name.upper()}_CACHE_TTL", source.cache_ttl)),
                timeout=float(env.get(f"{name.upper()}_TIMEOUT", source.timeout)),
                health_url=env.get(f"{name.upper()}_HEALTH_URL") or None,
            )
            for name, source in base.sources.items()
        }
        return replace(
            base,
            env=env.get("GATEWAY_ENV", base.env),
            host=env.get("HOST", base.host),
            port=int(env.get("PORT", base.port)),
            data_dir=Path(env.get("DATA_DIR", str(base.data_dir))),
            idp_issuer=env.get("IDP_ISSUER", base.idp_issuer),
            idp_jwks_url=env.get("IDP_JWKS_URL", base.idp_jwks_url),
            idp_token_url=env.get("IDP_TOKEN_URL", base.idp_token_url),
            audience=env.get("JWT_AUDIENCE", base.audience),
            client_id=env.get("GATEWAY_CLIENT_ID", base.client_id),
            client_secret=env.get("GATEWAY_CLIENT_SECRET", base.client_secret),
            sources=sources,
            batch_size=int(env.get("UPSTREAM_BATCH_SIZE", base.batch_size)),
            cache_max_entries=int(env.get("CACHE_MAX_ENTRIES", base.cache_max_entries)),
            status_policy=env.get("STATUS_POLICY", base.status_policy),
            checkpoint=CheckpointSettings.from_env(env),
            limits=_from_env(env, "QUERY_", base.limits),
            resilience=_from_env(env, "UPSTREAM_", base.resilience),
            max_body_bytes=int(env.get("MAX_BODY_BYTES", base.max_body_bytes)),
            redis_url=env.get("REDIS_URL") or None,
            redis_key_prefix=env.get("REDIS_KEY_PREFIX", base.redis_key_prefix),
            rate_limit_per_subject=int(
                env.get("RATE_LIMIT_PER_SUBJECT", base.rate_limit_per_subject)
            ),
            rate_limit_per_address=int(
                env.get("RATE_LIMIT_PER_ADDRESS", base.rate_limit_per_address)
            ),
            max_batch_operations=int(env.get("MAX_BATCH_OPERATIONS", base.max_batch_operations)),
            compiled_scan=env.get("COMPILED_SCAN", "1") != "0",
            answer_memo_entries=int(env.get("ANSWER_MEMO_ENTRIES", base.answer_memo_entries)),
            database_url=env.get("DATABASE_URL") or None,
            outbox=_from_env(env, "OUTBOX_", base.outbox),
            workforce=WorkforceSettings.from_env(env, base.workforce),
            dcc=DccSettings.from_env(env),
            readiness_timeout=float(env.get("READYZ_TIMEOUT", base.readiness_timeout)),
            readiness_cache=float(env.get("READYZ_CACHE_SECONDS", base.readiness_cache)),
            log_format=env.get("LOG_FORMAT", base.log_format),
            log_level=env.get("LOG_LEVEL", base.log_level),
            workers=int(env.get("WORKERS", base.workers)),
        )


T = TypeVar("T", QueryLimits, Resilience, Outbox)


def _from_env(env: Mapping[str, str], prefix: str, default: T) -> T:
    """`default`, each field overridden by `<PREFIX><FIELD>` (QUERY_MAX_DEPTH, UPSTREAM_RETRIES)."""
    changes: dict[str, Any] = {}
    for item in fields(default):
        name = prefix + item.name.upper()
        if name in env:
            changes[item.name] = type(getattr(default, item.name))(env[name])
    return replace(default, **changes)
