"""OpenAPI pieces shared by the services that take idempotent submissions."""

from __future__ import annotations

from mocks.common import MAX_IDS
from mocks.specs import Schema, error, response

IDEMPOTENCY_KEY: Schema = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "description": (
        "The caller's key for this submission. The first request with a key stores the record "
        "(201); the same key and body again answer the stored record (200) and store nothing; "
        "the same key with another body is refused (409)."
    ),
    "schema": {"type": "string", "minLength": 1},
}

SUBMITTED_BY: Schema = {
    "type": "object",
    "required": ["role", "subject"],
    "properties": {
        "role": {"enum": ["citizen", "health_officer"], "description": "Who submitted it."},
        "subject": {"type": "string", "description": "Their token's subject."},
    },
}

STORED_FIELDS: Schema = {
    "id": {"type": "string", "description": "The service's own id of the record."},
    "idempotencyKey": {"type": "string", "description": "The key it was written with."},
    "receivedAt": {"type": "string", "format": "date-time"},
}


def person_ids_body() -> Schema:
    """A `{"personIds": [...]}` request body."""
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["personIds"],
                    "properties": {
                        "personIds": {
                            "type": "array",
                            "items": {"type": "string"},
                            "maxItems": MAX_IDS,
                        }
                    },
                }
            }
        },
    }


def write_responses(what: str, record: Schema) -> Schema:
    """The answers of an idempotent write."""
    return {
        "201": response(f"The {what} was stored.", record),
        "200": response(f"The key was used before with this body: the stored {what}.", record),
        "400": error("The Idempotency-Key header is missing or the body is not valid."),
        "409": error("The Idempotency-Key was used before with another body."),
    }
