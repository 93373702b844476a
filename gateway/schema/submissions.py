"""What submissions (health declarations, F0 reports) share in the schema."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="Where a submission is on its way to the national service.")
class DeliveryState(Enum):
    ACCEPTED = strawberry.enum_value("ACCEPTED", description="The national service has it.")
    QUEUED = strawberry.enum_value(
        "QUEUED",
        description=(
            "Stored durably by the gateway and waiting for the national service, which is "
            "retried until it takes it."
        ),
    )

    @classmethod
    def of(cls, delivered: bool) -> DeliveryState:
        return cls.ACCEPTED if delivered else cls.QUEUED


IDEMPOTENCY_KEY_DESCRIPTION = (
    "The client's key for this submission (1 to 128 printable ASCII characters, e.g. a UUID), "
    "or send it as the `Idempotency-Key` header. A retry with the same key returns the same "
    "receipt and creates nothing new. Without one, the gateway makes one: a retry is then a "
    "new submission."
)
PERSON_ID_DESCRIPTION = (
    "Whom it is for: omit it (or give your own id) as a citizen; a health officer names a "
    "resident of their district."
)
