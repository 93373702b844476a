"""OpenAPI description of the national population register (`/identity`)."""

from __future__ import annotations

from mocks.common import MAX_IDS
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

PERSON = {
    "type": "object",
    "required": [
        "id", "fullName", "dateOfBirth", "gender", "nationalId", "phone", "district",
        "districtName", "ward", "address",
    ],
    "properties": {
        "id": {"type": "string", "description": "Opaque, stable id.", "examples": ["P0000001"]},
        "fullName": {"type": "string", "examples": ["Nguyễn Văn An"]},
        "dateOfBirth": {"type": "string", "format": "date"},
        "gender": {"enum": ["male", "female"]},
        "nationalId": {"type": "string", "pattern": "^[0-9]{12}$", "description": "CCCD number."},
        "phone": {"type": "string", "pattern": "^0[0-9]{9}$"},
        "district": {"type": "string", "description": "National code of the district, e.g. 778."},
        "districtName": {"type": "string", "examples": ["Quận 7"]},
        "ward": {"type": "string", "examples": ["Phường Tân Phong"]},
        "address": {"type": "string"},
    },
}

IDS = {
    "type": "array",
    "items": {"type": "string"},
    "maxItems": MAX_IDS,
    "description": f"Person ids, at most {MAX_IDS}; duplicates are answered once.",
}

PATHS: dict[str, Schema] = {
    "/persons": {
        "get": {
            "operationId": "findPersonsByPhone",
            "summary": "The people registered with a phone number.",
            "parameters": [query_param("phone", "A phone number, e.g. 0901234567.")],
            "responses": {
                "200": response("The matches, possibly none.", {
                    "type": "object",
                    "required": ["persons"],
                    "properties": {"persons": {"type": "array", "items": ref("Person")}},
                }),
                "400": error("The phone parameter is missing."),
                **secured_errors(),
            },
        }
    },
    "/persons/{id}": {
        "get": {
            "operationId": "getPerson",
            "summary": "One person by id.",
            "parameters": [path_param("id", "The person id.")],
            "responses": {
                "200": response("The person.", ref("Person")),
                "404": error("No person has this id."),
                **secured_errors(),
            },
        }
    },
    "/persons/batch": {
        "post": {
            "operationId": "getPersonsBatch",
            "summary": f"Many people by id in one call (at most {MAX_IDS}).",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {
                    "type": "object", "required": ["ids"], "properties": {"ids": IDS},
                }}},
            },
            "responses": {
                "200": response("The people found, in request order, and the ids not found.", {
                    "type": "object",
                    "required": ["persons", "notFound"],
                    "properties": {
                        "persons": {"type": "array", "items": ref("Person")},
                        "notFound": {"type": "array", "items": {"type": "string"}},
                    },
                }),
                "400": error(f"The body is not {{\"ids\": [...]}} or has more than {MAX_IDS} ids."),
                **secured_errors(),
            },
        }
    },
    "/persons/lookup": {
        "post": {
            "operationId": "lookupPersons",
            "summary": "Many people by national id (CCCD) and by phone in one call "
            f"(at most {MAX_IDS} values in all).",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {
                    "type": "object",
                    "properties": {
                        "nationalIds": {"type": "array", "items": {"type": "string"}},
                        "phones": {"type": "array", "items": {"type": "string"}},
                    },
                }}},
            },
            "responses": {
                "200": response(
                    "Everyone a value names (a phone may name several people), once each, and "
                    "the values that name no one.",
                    {
                        "type": "object",
                        "required": ["persons", "notFound"],
                        "properties": {
                            "persons": {"type": "array", "items": ref("Person")},
                            "notFound": {
                                "type": "object",
                                "required": ["nationalIds", "phones"],
                                "properties": {
                                    "nationalIds": {"type": "array", "items": {"type": "string"}},
                                    "phones": {"type": "array", "items": {"type": "string"}},
                                },
                            },
                        },
                    },
                ),
                "400": error(f"The body is not valid or has more than {MAX_IDS} values."),
                **secured_errors(),
            },
        }
    },
}

SPEC = document(
    "identity",
    "National population register (mock)",
    "Identity of residents: name, date of birth, CCCD number, phone and address.",
    PATHS,
    {"Person": PERSON},
)
