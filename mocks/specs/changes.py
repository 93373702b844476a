"""OpenAPI pieces of the change feeds (`GET /<mount>/changes`), shared by every service with one."""

from __future__ import annotations

from mocks.live import DEFAULT_CHANGES, MAX_CHANGES
from mocks.specs import Schema, error, ref, response, secured_errors

# The entry of the health services' feeds: a new record of a person.
RECORD_CHANGE: Schema = {
    "type": "object",
    "required": ["cursor", "personId", "resourceType", "resourceId", "action", "at"],
    "properties": {
        "cursor": {"type": "string", "description": "Resume after this entry with ?after=."},
        "personId": {"type": "string", "description": "Whose records changed."},
        "resourceType": {
            "type": "string",
            "description": "What changed: Immunization, Observation or Case.",
        },
        "resourceId": {"type": "string", "description": "The id of the new or changed record."},
        "action": {"enum": ["created", "updated"]},
        "at": {"type": "string", "format": "date-time", "description": "When it changed."},
    },
}


def change_page(entry: str) -> Schema:
    """A page of a feed whose entries are the component schema `entry`."""
    return {
        "type": "object",
        "required": ["changes", "next", "hasMore", "reset"],
        "properties": {
            "changes": {"type": "array", "items": ref(entry)},
            "next": {
                "type": "string",
                "description": "The cursor to send as ?after= next time (also when no change).",
            },
            "hasMore": {"type": "boolean", "description": "More changes wait after this page."},
            "reset": {
                "type": "boolean",
                "description": "The cursor sent belongs to an earlier history of the service "
                "(it restarted): this page starts from the beginning of the current one.",
            },
        },
    }


def changes_path(entry: str, what: str) -> dict[str, Schema]:
    """The `/changes` path item of a service whose feed announces `what`."""
    return {
        "/changes": {"get": {
            "operationId": "readChanges",
            "summary": f"The change feed: {what}, in order, after a cursor.",
            "description": "Followers poll it with the `next` cursor of their last page. "
            "Without `after` the feed is read from the start of the service's history.",
            "parameters": [
                {
                    "name": "after", "in": "query", "required": False,
                    "description": "The cursor of the last change already read.",
                    "schema": {"type": "string"},
                },
                {
                    "name": "limit", "in": "query", "required": False,
                    "description": f"At most this many changes (default {DEFAULT_CHANGES}).",
                    "schema": {
                        "type": "integer", "minimum": 1, "maximum": MAX_CHANGES,
                        "default": DEFAULT_CHANGES,
                    },
                },
            ],
            "responses": {
                "200": response("The changes after the cursor, maybe none.", ref(f"{entry}Page")),
                "400": error("The cursor or the limit is not valid."),
                **secured_errors(),
            },
        }}
    }
