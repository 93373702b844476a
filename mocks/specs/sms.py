"""OpenAPI description of the SMS gateway (`/sms`): messages sent, and what was sent."""

from __future__ import annotations

from mocks.specs import (
    Schema,
    document,
    error,
    path_param,
    query_param,
    ref,
    response,
    secured_errors,
)

MESSAGE: Schema = {
    "type": "object",
    "required": ["id", "to", "text", "sentAt", "status"],
    "properties": {
        "id": {"type": "string"},
        "to": {"type": "string", "pattern": "^0[0-9]{9}$"},
        "text": {"type": "string"},
        "sentAt": {"type": "string", "format": "date-time"},
        "status": {"const": "sent"},
    },
}

PATHS: dict[str, Schema] = {
    "/messages": {
        "post": {
            "operationId": "sendMessage",
            "summary": "Send one text message to a Vietnamese mobile number.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object",
                "required": ["to", "text"],
                "properties": {
                    "to": {"type": "string", "pattern": "^0[0-9]{9}$"},
                    "text": {"type": "string", "maxLength": 480},
                },
            }}}},
            "responses": {
                "201": response("The message was sent.", ref("Message")),
                "400": error("The number or the text is not valid."),
                **secured_errors(),
            },
        },
        "get": {
            "operationId": "listMessages",
            "summary": "The messages sent to a number, oldest first (what the gateway kept).",
            "parameters": [query_param("to", "The phone number, e.g. 0901234567.")],
            "responses": {
                "200": response("The messages, possibly none.", {
                    "type": "object",
                    "required": ["messages"],
                    "properties": {"messages": {"type": "array", "items": ref("Message")}},
                }),
                "400": error("The to parameter is missing."),
                **secured_errors(),
            },
        },
    },
    "/messages/{id}": {"get": {
        "operationId": "getMessage",
        "summary": "One sent message.",
        "parameters": [path_param("id", "The message id.")],
        "responses": {
            "200": response("The message.", ref("Message")),
            "404": error("No message has this id."),
            **secured_errors(),
        },
    }},
}

SPEC = document(
    "sms",
    "SMS gateway (mock)",
    "Sends text messages (codes for people without a smartphone) and keeps what it sent.",
    PATHS,
    {"Message": MESSAGE},
)
