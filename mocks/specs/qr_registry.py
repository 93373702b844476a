"""OpenAPI description of the national personal-QR registry (`/qr`): QR ids and SMS codes."""

from __future__ import annotations

from mocks.common import MAX_IDS
from mocks.specs import Schema, document, error, path_param, ref, response, secured_errors

# Crockford's base32 (no I, L, O, U): 32 symbols, read aloud and typed without ambiguity.
SMS_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SMS_CODE_LENGTH = 10

QR_CODE: Schema = {
    "type": "object",
    "required": ["qrId", "personId", "status", "issuedAt", "revokedAt"],
    "properties": {
        "qrId": {"type": "string", "description": "Opaque random id (never the national id)."},
        "personId": {"type": "string"},
        "status": {"enum": ["active", "revoked"]},
        "issuedAt": {"type": "string", "format": "date-time"},
        "revokedAt": {"type": ["string", "null"], "format": "date-time"},
    },
}

SMS_CODE: Schema = {
    "type": "object",
    "required": ["code", "personId", "status", "issuedAt", "expiresAt"],
    "properties": {
        "code": {
            "type": "string",
            "pattern": f"^[{SMS_CODE_ALPHABET}]{{{SMS_CODE_LENGTH}}}$",
            "description": f"{SMS_CODE_LENGTH} symbols of Crockford's base32.",
        },
        "personId": {"type": "string"},
        "status": {"enum": ["active", "revoked", "expired"]},
        "issuedAt": {"type": "string", "format": "date-time"},
        "expiresAt": {"type": "string", "format": "date-time"},
    },
}

PERSON_ID_BODY: Schema = {
    "required": True,
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["personId"], "properties": {"personId": {"type": "string"}},
    }}},
}

PATHS: dict[str, Schema] = {
    "/codes/ensure": {"post": {
        "operationId": "ensureQrCodes",
        "summary": f"The active QR of each person, issued where missing (at most {MAX_IDS}).",
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object",
            "required": ["personIds"],
            "properties": {"personIds": {
                "type": "array", "items": {"type": "string"}, "maxItems": MAX_IDS,
            }},
        }}}},
        "responses": {
            "200": response("The active QR of every known person, and the unknown ids.", {
                "type": "object",
                "required": ["codes", "notFound"],
                "properties": {
                    "codes": {"type": "array", "items": ref("QrCode")},
                    "notFound": {"type": "array", "items": {"type": "string"}},
                },
            }),
            "400": error(f"The body is not {{\"personIds\": [...]}} or has more than {MAX_IDS}."),
            **secured_errors(),
        },
    }},
    "/codes/reissue": {"post": {
        "operationId": "reissueQrCode",
        "summary": "Issue a new QR for a person; the previous one is revoked.",
        "requestBody": PERSON_ID_BODY,
        "responses": {
            "201": response("The new, active QR, and the one it revoked (if any).", {
                "type": "object",
                "required": ["issued", "revoked"],
                "properties": {
                    "issued": ref("QrCode"),
                    "revoked": {"oneOf": [ref("QrCode"), {"type": "null"}]},
                },
            }),
            "400": error('The body is not {"personId": string}.'),
            "404": error("No person has this id."),
            **secured_errors(),
        },
    }},
    "/codes/{qrId}": {"get": {
        "operationId": "getQrCode",
        "summary": "Look a QR id up: whose it is and whether it is still active.",
        "parameters": [path_param("qrId", "The QR id from a verified payload.")],
        "responses": {
            "200": response("The QR, active or revoked.", ref("QrCode")),
            "404": error("No QR has this id."),
            **secured_errors(),
        },
    }},
    "/sms-codes": {"post": {
        "operationId": "issueSmsCode",
        "summary": "Issue a short code for a person; the previous one is revoked.",
        "requestBody": PERSON_ID_BODY,
        "responses": {
            "201": response("The new, active code.", ref("SmsCode")),
            "400": error('The body is not {"personId": string}.'),
            "404": error("No person has this id."),
            **secured_errors(),
        },
    }},
    "/sms-codes/{code}": {"get": {
        "operationId": "getSmsCode",
        "summary": "Resolve an SMS code to its person, with its state.",
        "parameters": [path_param("code", "The code, upper case, without separators.")],
        "responses": {
            "200": response("The code, active, revoked or expired.", ref("SmsCode")),
            "404": error("No such code was ever issued."),
            **secured_errors(),
        },
    }},
}

SPEC = document(
    "qr",
    "Personal QR registry (mock)",
    "One opaque QR id per resident, shared by every national app, and SMS codes for people "
    "without a smartphone. Issuing a new QR or code revokes the previous one.",
    PATHS,
    {"QrCode": QR_CODE, "SmsCode": SMS_CODE},
)
