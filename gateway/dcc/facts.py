"""A verified certificate as facts of the status policy, and its status at an instant.

The status comes from the same engine and the same policy file as any resident's
(`gateway.status.evaluate`); this module only says what a certificate proves, in the engine's
vocabulary:

- **Vaccination**: dose `dn` of `sd` on `dt`. As EU rules read it, the series is complete when
  dn ≥ sd, whatever the product. The engine counts doses per product key (a series is complete
  at dose k when k ≥ the required doses of dose k's product), so a complete certificate becomes
  max(dn, m) doses on `dt` of the policy's product whose required doses m are fewest: the
  engine then finds the series complete on `dt`, exactly as the certificate says. An incomplete
  one becomes dn doses of a product the policy does not list, which never completes a series
  but counts for "at least one dose". Earlier doses' dates are not in a certificate; `dt`
  stands in for them, which can only delay what they would prove.
- **Test**: one lab test (LP6464-4 NAAT → PCR, LP217198-3 → ANTIGEN), its sample instant and
  result (260373001 detected → positive).
- **Recovery**: while valid from ≤ T ≤ valid until (dates of the policy's zone), a case
  confirmed on the first positive date and recovered with proof on the valid-from date;
  outside that window the certificate proves nothing.

The sources a certificate does not speak of are read as empty, not missing: a passport is the
whole of what the checkpoint knows, so it never makes the colour UNKNOWN. The colour's
`validUntil` never outlasts the credential: the CWT's expiry, and a recovery's valid-until.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from gateway.dcc.hcert import Hcert, RecoveryEntry, TestEntry, VaccinationEntry
from gateway.status import Color, Dose, F0Case, Facts, LabTest, Policy, Status, evaluate

INCOMPLETE_SERIES = "DCC_INCOMPLETE_SERIES"  # listed by no policy: never completes a series
RECOVERY_PROOF = "DCC_RECOVERY_CERTIFICATE"


def facts_of(certificate: Hcert, policy: Policy, at: datetime) -> Facts:
    """What the certificate proves, as the policy's facts at the instant `at`."""
    entry = certificate.entry
    doses: Sequence[Dose] = ()
    tests: Sequence[LabTest] = ()
    cases: Sequence[F0Case] = ()
    if isinstance(entry, VaccinationEntry):
        doses = _doses(entry, policy)
    elif isinstance(entry, TestEntry):
        tests = [LabTest(kind=entry.kind, sampled_at=entry.sampled_at, positive=entry.positive)]
    else:
        cases = _recovery(entry, policy, at)
    return Facts(doses=list(doses), tests=list(tests), f0_cases=list(cases))


def _doses(entry: VaccinationEntry, policy: Policy) -> list[Dose]:
    if not entry.completes_series:
        return [Dose(date=entry.date, product=INCOMPLETE_SERIES)] * entry.dose_number
    fewest = min(policy.required_doses.items(), key=lambda item: (item[1], item[0]))
    product, required = fewest
    return [Dose(date=entry.date, product=product)] * max(entry.dose_number, required)


def _recovery(entry: RecoveryEntry, policy: Policy, at: datetime) -> list[F0Case]:
    today = at.astimezone(policy.timezone).date()
    if not entry.valid_from <= today <= entry.valid_until:
        return []
    return [
        F0Case(
            confirmed_at=_day(entry.first_positive, policy),
            recovered_at=_day(entry.valid_from, policy),
            recovery_proof=RECOVERY_PROOF,
        )
    ]


def _day(on: date, policy: Policy) -> datetime:
    """'Day D' as the policy reads it: 00:00 of D in its time zone."""
    return datetime.combine(on, time(), policy.timezone)


def credential_end(certificate: Hcert, expires_at: datetime, policy: Policy) -> datetime:
    """The last instant the certificate itself vouches for: its expiry, or sooner for a
    recovery (the end of its valid-until day)."""
    entry = certificate.entry
    if isinstance(entry, RecoveryEntry):
        return min(expires_at, _day(entry.valid_until + timedelta(days=1), policy))
    return expires_at


def status_of(certificate: Hcert, expires_at: datetime, policy: Policy, at: datetime) -> Status:
    """The certificate holder's status at `at` under `policy`, bounded by the credential."""
    status = evaluate(policy, facts_of(certificate, policy, at), at)
    if status.color in (Color.RED, Color.UNKNOWN):
        return status
    end = credential_end(certificate, expires_at, policy).astimezone(policy.timezone)
    until = end if status.valid_until is None else min(status.valid_until, end)
    return replace(status, valid_until=until)
