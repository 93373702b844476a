"""Resolvers of the vaccine passport domain: a checkpoint's scan of an EU DCC (`HC1:...`).

`personStatus(qr:)` hands every text with the `HC1:` prefix here. The passport is verified
offline (trust list, key usage, expiry, revocation) and its certificate evaluated by the city's
status policy; the answer has the certificate's masked name and birth year and no person
record (a traveller has none), so `PersonStatus.person` is null. A refusal is INVALID_QR with
`extensions.reason` (DECODE, UNKNOWN_KEY, SIGNATURE, PAYLOAD, KEY_USAGE, EXPIRED, REVOKED).
Passport scans are not written to the check-in log: it records residents by person id, and a
passport names none.
"""

from __future__ import annotations

import logging

from gateway.context import Info
from gateway.dcc.codec import PREFIX
from gateway.dcc.facts import status_of
from gateway.errors import InvalidQr
from gateway.schema.status import PersonStatus

log = logging.getLogger(__name__)


def is_passport(text: str) -> bool:
    """Whether a scanned text is an EU DCC rather than the city's personal QR."""
    return text.startswith(PREFIX)


async def resolve_passport_scan(info: Info, text: str) -> PersonStatus:
    """The status a verified vaccine passport proves now; INVALID_QR with the reason if not."""
    context = info.context
    now = context.clock()
    result = context.dcc.verify(text, now)
    if result.reason is not None or result.certificate is None or result.expires_at is None:
        reason = result.reason.value if result.reason is not None else "PAYLOAD"
        log.info("Vaccine passport refused: %s (%s)", reason, result.detail)
        raise InvalidQr(result.message, reason=reason)
    status = status_of(result.certificate, result.expires_at, context.policy, now)
    return PersonStatus.from_status(status, None, holder=result.certificate.holder)
