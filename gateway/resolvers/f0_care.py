"""F0 home care: `submitF0Report`, and the district's alerts (`f0Alerts`, `acknowledgeF0Alert`).

Alerts live in the gateway's durable store, beside the outbox: an URGENT report's alert is
written in the same transaction as the report, so it is raised exactly once (a retry raises
none) and even while the F0 service is down, which is when a deteriorating patient can least
afford to wait.
"""

from __future__ import annotations

import logging
from datetime import datetime

import strawberry

from gateway.auth import Role
from gateway.context import Info
from gateway.errors import BadUserInput, Forbidden, NotFound, UpstreamUnavailable
from gateway.forms.f0_care import Severity, load_rules, triage, validate
from gateway.outbox import Alert, Kind, Submission
from gateway.resolvers.submissions import (
    claim_for,
    earlier_submission,
    forget_loaded,
    new_id,
    same_submission,
    subject_of,
)
from gateway.schema.f0_care import F0Alert, F0AlertState, F0ReportInput, F0ReportReceipt
from gateway.schema.permissions import allow
from gateway.sources.f0_care import F0CaseRecord, F0ReportRecord

log = logging.getLogger("gateway.f0_care")

MAX_ALERTS = 500


def _active(cases: tuple[F0CaseRecord, ...], now: datetime) -> bool:
    return any(
        c.confirmed_at <= now and (c.recovered_at is None or c.recovered_at > now) for c in cases
    )


async def _cases(info: Info, person_id: str) -> tuple[F0CaseRecord, ...] | None:
    """The person's F0 cases, or None when the F0 service cannot say."""
    try:
        return await info.context.loaders.f0_cases_by_person.load(person_id)
    except UpstreamUnavailable:
        return None


async def _patient(info: Info, person_id: strawberry.ID | None) -> tuple[str, str]:
    """(person id, district) of whom the report is about, once the caller may report for them.

    A person without an active F0 case is refused. When the F0 service cannot say, the report
    is accepted all the same: refusing a possibly deteriorating patient is the worse error.
    """
    now = info.context.clock()
    subject = await subject_of(info, person_id)
    pid = subject if isinstance(subject, str) else subject.id
    cases = await _cases(info, pid)
    if cases is not None and not _active(cases, now):
        if isinstance(subject, str):
            raise Forbidden("Only a person with an active F0 case files F0 reports.")
        raise BadUserInput("This person has no active F0 case.", field="input.personId")
    if cases is None:
        log.warning("F0 cases of %s unreadable; report accepted without the check", pid)
    if not isinstance(subject, str):
        return pid, subject.district
    return pid, await _district(info, pid, cases)


async def _district(info: Info, person_id: str, cases: tuple[F0CaseRecord, ...] | None) -> str:
    """The district whose officers follow the person: the register's, else their case's."""
    try:
        record = await info.context.loaders.person_by_id.load(person_id)
    except UpstreamUnavailable:
        record = None
    if record is not None:
        return record.district
    for case in reversed(cases or ()):
        if case.district:
            return case.district
    raise UpstreamUnavailable("identity")


async def submit_f0_report(info: Info, input: F0ReportInput) -> F0ReportReceipt:
    """Validate and triage a report, raise its alert if URGENT, and queue it for the F0 service.

    A retry with a used idempotency key answers the stored receipt (and raises no new alert).
    """
    context = info.context
    claim = claim_for(info, input, input.idempotency_key)
    earlier = await earlier_submission(info, claim, Kind.F0_REPORT)
    if earlier is not None:
        record = F0ReportRecord.from_submission(earlier.submission)
        return F0ReportReceipt.from_record(record, earlier.alert)
    now = context.clock()
    rules = load_rules()
    reading = validate(input.to_reading(now), rules, now)
    person_id, district = await _patient(info, input.person_id)
    outcome = triage(reading, rules)
    record = F0ReportRecord(
        id=new_id("F0R"),
        person_id=person_id,
        submitted_at=now,
        reading=reading,
        warnings=outcome.warnings,
        severity=outcome.severity,
        submitted_by_role=context.principal.role.value,
        submitted_by=context.principal.subject,
    )
    alert = None
    if outcome.severity is Severity.URGENT:
        warnings = tuple(w.value for w in outcome.warnings)
        alert = Alert(new_id("F0A"), record.id, person_id, district, now, warnings)
    submission = Submission(record.id, Kind.F0_REPORT, person_id, record.to_json(), now)
    accepted = same_submission(
        await context.outbox.submit(submission, claim, alert), claim, Kind.F0_REPORT
    )
    await context.upstreams.f0_reports.invalidate(person_id)
    forget_loaded(context.loaders.f0_reports_by_person, person_id)
    stored = F0ReportRecord.from_submission(accepted.submission)
    return F0ReportReceipt.from_record(stored, accepted.alert)


async def f0_alerts(info: Info, state: F0AlertState | None, limit: int) -> list[F0Alert]:
    """The caller's district's alerts: open ones first, oldest first."""
    if not 1 <= limit <= MAX_ALERTS:
        raise BadUserInput(f"limit must be between 1 and {MAX_ALERTS}.", field="limit")
    district = info.context.principal.district
    assert district is not None  # a health officer's token always names one
    acknowledged = None if state is None else state is F0AlertState.ACKNOWLEDGED
    alerts = await info.context.outbox.store.alerts(district, acknowledged, limit)
    return [F0Alert.from_alert(alert) for alert in alerts]


async def acknowledge_f0_alert(info: Info, alert_id: strawberry.ID) -> F0Alert:
    """Acknowledge an alert of the caller's district (again: no change)."""
    context = info.context
    store = context.outbox.store
    alert = await store.alert(str(alert_id))
    if alert is None or alert.district != context.principal.district:
        # Another district's alert is as invisible as one that does not exist.
        raise NotFound("No alert of your district has this id.")
    acknowledged = await store.acknowledge(alert.id, context.principal.subject, context.clock())
    assert acknowledged is not None
    return F0Alert.from_alert(acknowledged)


@strawberry.type(description="Reading the district's F0 alerts.")
class F0CareQuery:
    @allow(
        Role.HEALTH_OFFICER,
        description=(
            "The alerts of URGENT F0 reports of the caller's district: open ones first, oldest "
            "first. `state` keeps only OPEN or ACKNOWLEDGED ones; `limit` is 1 to 500."
        ),
    )
    async def f0_alerts(
        self, info: Info, state: F0AlertState | None = None, limit: int = 100
    ) -> list[F0Alert] | None:
        return await f0_alerts(info, state, limit)


@strawberry.type(description="Filing F0 reports and acknowledging alerts.")
class F0CareMutation:
    @allow(
        Role.CITIZEN,
        Role.HEALTH_OFFICER,
        description=(
            "File a daily F0 home-care report: a citizen with an active F0 case for themself, "
            "a health officer for a resident of their district. Answers a receipt with the "
            "warnings and severity; an URGENT report alerts the district's health officers."
        ),
    )
    async def submit_f0_report(self, info: Info, input: F0ReportInput) -> F0ReportReceipt | None:
        return await submit_f0_report(info, input)

    @allow(
        Role.HEALTH_OFFICER,
        description="Acknowledge an F0 alert of the caller's district (idempotent).",
    )
    async def acknowledge_f0_alert(self, info: Info, id: strawberry.ID) -> F0Alert | None:
        return await acknowledge_f0_alert(info, id)
