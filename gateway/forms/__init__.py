"""The forms citizens and health officers submit: their rules as data, validation as pure code.

`declarations.json` and `f0_care.json` beside this file hold what a city changes (validity,
plausible ranges, warning thresholds); `declarations.py` and `f0_care.py` read them and check a
submission, raising `BadUserInput` with the exact input path (`input.spo2`) in `extensions.field`.
Nothing here does I/O beyond reading the two files once.
"""

from __future__ import annotations

import re

from gateway.errors import BadUserInput

# Printable ASCII without spaces: UUIDs, ULIDs and "<device>-<counter>" keys all fit.
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,128}")


def check_idempotency_key(key: str, field: str) -> str:
    """`key` when it is a usable idempotency key, else BAD_USER_INPUT naming `field`."""
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise BadUserInput(
            "The idempotency key must be 1 to 128 printable ASCII characters without spaces.",
            field=field,
        )
    return key
