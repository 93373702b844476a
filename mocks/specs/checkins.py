"""OpenAPI description of the check-in log (`/checkins`): who was scanned where, and when."""

from __future__ import annotations

from mocks.specs import Schema, document, error, query_param, ref, response, secured_errors

CHECK_IN_FIELDS: Schema = {
    "personId": {"type": "string"},
    "checkpointId": {
        "type": "string",
        "description": "Where: the scanner's subject (a checkpoint id, or an employer's desk).",
    },
    "role": {"enum": ["checkpoint", "employer"], "description": "Who scanned."},
    "district": {
        "type": ["string", "null"],
        "description": "The scanner's district code, when it has one.",
    },
    "scannedAt": {"type": "string", "format": "date-time"},
}
NEW_CHECK_IN: Schema = {
    "type": "object",
    "required": ["personId", "checkpointId", "role", "scannedAt"],
    "properties": CHECK_IN_FIELDS,
}
CHECK_IN: Schema = {
    "type": "object",
    "required": ["id", "personId", "checkpointId", "role", "district", "scannedAt"],
    "properties": {"id": {"type": "string"}, **CHECK_IN_FIELDS},
}

PATHS: dict[str, Schema] = {
    "/checkins": {
        "post": {
            "operationId": "recordCheckIn",
            "summary": "Record one scan.",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": ref("NewCheckIn")}},
            },
            "responses": {
                "201": response("The recorded check-in.", ref("CheckIn")),
                "400": error("The body is not a valid check-in."),
                **secured_errors(),
            },
        },
        "get": {
            "operationId": "listCheckIns",
            "summary": "A person's check-ins, or a checkpoint's in a time window; oldest first.",
            "parameters": [
                query_param("personId", "Whose check-ins.", required=False),
                query_param("checkpointId", "Which checkpoint's check-ins.", required=False),
                query_param("from", "Window start (ISO 8601, offset), inclusive.", required=False),
                query_param("to", "Window end (ISO 8601, offset), exclusive.", required=False),
            ],
            "responses": {
                "200": response("The matches, possibly none.", {
                    "type": "object",
                    "required": ["checkIns"],
                    "properties": {"checkIns": {"type": "array", "items": ref("CheckIn")}},
                }),
                "400": error("Neither personId nor checkpointId, or a bad instant."),
                **secured_errors(),
            },
        },
    },
    "/checkins/batch": {
        "post": {
            "operationId": "recordCheckIns",
            "summary": "Record several scans at once (1 to 1000), in order; all or none.",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {
                    "type": "object",
                    "required": ["checkIns"],
                    "properties": {"checkIns": {
                        "type": "array", "minItems": 1, "maxItems": 1000,
                        "items": ref("NewCheckIn"),
                    }},
                }}},
            },
            "responses": {
                "201": response("The recorded check-ins, in the order sent.", {
                    "type": "object",
                    "required": ["checkIns"],
                    "properties": {"checkIns": {"type": "array", "items": ref("CheckIn")}},
                }),
                "400": error("Not a list of 1 to 1000 valid check-ins."),
                **secured_errors(),
            },
        },
    },
}

SPEC = document(
    "checkins",
    "Check-in log (mock)",
    "Every scan at a checkpoint or an employer's gate: who, where and when (contact tracing).",
    PATHS,
    {"NewCheckIn": NEW_CHECK_IN, "CheckIn": CHECK_IN},
)
