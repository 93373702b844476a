"""OpenAPI description of the district workforce registry (`/workforce`)."""

from __future__ import annotations

from mocks.common import MAX_IDS
from mocks.enterprises import CONDITIONS
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
from mocks.specs.changes import change_page, changes_path

MAX_PAGE = 5000
STATES = ["DRAFT", "SUBMITTED", "APPROVED", "REJECTED"]
INSTANT = {"type": "string", "format": "date-time"}
NULLABLE_INSTANT = {"type": ["string", "null"], "format": "date-time"}

ENTERPRISE: Schema = {
    "type": "object",
    "required": [
        "id", "name", "district", "districtName", "headcount", "approvedQuota", "conditions",
    ],
    "properties": {
        "id": {"type": "string", "examples": ["E0001"]},
        "name": {"type": "string", "examples": ["Công ty TNHH May mặc Tân Thuận"]},
        "district": {"type": "string", "description": "National code of the district, e.g. 778."},
        "districtName": {"type": "string", "examples": ["Quận 7"]},
        "headcount": {"type": "integer", "minimum": 0, "description": "Everyone it employs."},
        "approvedQuota": {
            "type": "integer",
            "minimum": 0,
            "description": "How many distinct workers the district allows on its APPROVED lists.",
        },
        "conditions": {
            "type": "array",
            "items": {"enum": list(CONDITIONS)},
            "description": "The operating conditions the district set: "
            + " ".join(f"{code}: {text}" for code, text in CONDITIONS.items()),
        },
    },
}

WORKER_LIST: Schema = {
    "type": "object",
    "required": [
        "id", "enterpriseId", "district", "name", "state", "version", "workerCount", "createdAt",
        "updatedAt", "submittedAt", "decidedAt", "decidedBy", "rejectionReason",
    ],
    "properties": {
        "id": {"type": "string", "examples": ["WL-0001"]},
        "enterpriseId": {"type": "string"},
        "district": {"type": "string", "description": "The enterprise's district."},
        "name": {"type": "string"},
        "state": {"enum": STATES},
        "version": {
            "type": "integer",
            "minimum": 1,
            "description": "Grows with every change; send it as expectedVersion to lock.",
        },
        "workerCount": {"type": "integer", "minimum": 0},
        "createdAt": INSTANT,
        "updatedAt": INSTANT,
        "submittedAt": NULLABLE_INSTANT,
        "decidedAt": {**NULLABLE_INSTANT, "description": "When it was approved or rejected."},
        "decidedBy": {"type": ["string", "null"], "description": "Who approved or rejected it."},
        "rejectionReason": {"type": ["string", "null"]},
    },
}

IDS = {"type": "array", "items": {"type": "string"}, "maxItems": MAX_IDS}
VERSION = {
    "type": "integer",
    "description": "Refuse (409 version_conflict) unless the list still has this version.",
}
REFUSAL: Schema = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {
            "enum": ["invalid_transition", "over_quota", "version_conflict", "empty_list"],
            "description": "Why the registry refused the change.",
        },
        "message": {"type": "string"},
        "state": {"enum": STATES, "description": "The list's state (invalid_transition)."},
        "workers": {
            "type": "array",
            "items": {"type": "string"},
            "description": "The person ids over the quota (over_quota), newest additions first "
            "to be over.",
        },
    },
}
LIST_CHANGE: Schema = {
    "type": "object",
    "required": [
        "cursor", "listId", "enterpriseId", "district", "event", "state", "version", "at",
    ],
    "properties": {
        "cursor": {"type": "string"},
        "listId": {"type": "string"},
        "enterpriseId": {"type": "string"},
        "district": {"type": "string"},
        "event": {
            "enum": [
                "SEEDED", "CREATED", "WORKERS_ADDED", "WORKERS_REMOVED", "SUBMITTED", "APPROVED",
                "REJECTED",
            ],
            "description": "What happened; SEEDED opens the feed with every list the registry "
            "held when the service started.",
        },
        "state": {"enum": STATES, "description": "The list's state after the change."},
        "version": {"type": "integer"},
        "at": INSTANT,
    },
}


def _json_body(properties: Schema, required: list[str]) -> Schema:
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": required, "properties": properties,
    }}}}


def _list_answer(extra: Schema | None = None, required: list[str] | None = None) -> Schema:
    return {
        "type": "object",
        "required": ["list", *(required or [])],
        "properties": {"list": ref("WorkerList"), **(extra or {})},
    }


def _change(operation: str, summary: str, body: Schema, required: list[str],
            answer: Schema, refusals: str) -> Schema:
    return {"post": {
        "operationId": operation,
        "summary": summary,
        "parameters": [path_param("id", "The list id.")],
        "requestBody": _json_body(body, required),
        "responses": {
            "200": response("The list after the change.", answer),
            "400": error("The body is not valid."),
            "404": error("No list has this id."),
            "409": response(refusals, ref("Refusal")),
            **secured_errors(),
        },
    }}


def _get(operation: str, summary: str, parameters: list[Schema], answer: Schema,
         *, missing: str | None = None) -> Schema:
    responses: Schema = {"200": response(summary, answer)}
    if missing:
        responses["404"] = error(missing)
    responses.update(secured_errors())
    return {"get": {"operationId": operation, "summary": summary, "parameters": parameters,
                    "responses": responses}}


LIST_ID = path_param("id", "The list id, e.g. WL-0001.")
ENTERPRISE_ID = path_param("id", "The enterprise id, e.g. E0001.")
BY = {"type": "string", "description": "Who makes the change (the caller's subject)."}

PATHS: dict[str, Schema] = {
    "/enterprises": _get(
        "listEnterprises", "The enterprises, or those of one district.",
        [query_param("district", "A district code, e.g. 778.", required=False)],
        {"type": "object", "required": ["enterprises"],
         "properties": {"enterprises": {"type": "array", "items": ref("Enterprise")}}},
    ),
    "/enterprises/batch": {"post": {
        "operationId": "getEnterprisesBatch",
        "summary": f"Many enterprises by id (at most {MAX_IDS}).",
        "requestBody": _json_body({"ids": IDS}, ["ids"]),
        "responses": {
            "200": response("The enterprises found and the ids not found.", {
                "type": "object", "required": ["enterprises", "notFound"],
                "properties": {
                    "enterprises": {"type": "array", "items": ref("Enterprise")},
                    "notFound": {"type": "array", "items": {"type": "string"}},
                },
            }),
            "400": error("The body is not valid."),
            **secured_errors(),
        },
    }},
    "/enterprises/{id}": _get(
        "getEnterprise", "One enterprise.", [ENTERPRISE_ID], ref("Enterprise"),
        missing="No enterprise has this id.",
    ),
    "/enterprises/{id}/workers": _get(
        "getEnterpriseWorkers", "The distinct people on any list of the enterprise, any state.",
        [ENTERPRISE_ID],
        {"type": "object", "required": ["personIds"],
         "properties": {"personIds": {"type": "array", "items": {"type": "string"}}}},
        missing="No enterprise has this id.",
    ),
    "/lists": {
        **_get(
            "listWorkerLists", "The lists of an enterprise or of a district (one is required).",
            [
                query_param("enterpriseId", "An enterprise id.", required=False),
                query_param("district", "A district code.", required=False),
                {"name": "state", "in": "query", "required": False, "schema": {"enum": STATES},
                 "description": "Only lists in this state."},
            ],
            {"type": "object", "required": ["lists"],
             "properties": {"lists": {"type": "array", "items": ref("WorkerList")}}},
        ),
        "post": {
            "operationId": "createWorkerList",
            "summary": "A new, empty DRAFT list of an enterprise.",
            "requestBody": _json_body(
                {"enterpriseId": {"type": "string"}, "name": {"type": "string", "maxLength": 200},
                 "by": BY},
                ["enterpriseId", "name"],
            ),
            "responses": {
                "201": response("The new list.", ref("WorkerList")),
                "400": error("The body is not valid or names no enterprise."),
                **secured_errors(),
            },
        },
    },
    "/lists/batch": {"post": {
        "operationId": "getWorkerListsBatch",
        "summary": f"Many lists by id (at most {MAX_IDS}).",
        "requestBody": _json_body({"ids": IDS}, ["ids"]),
        "responses": {
            "200": response("The lists found and the ids not found.", {
                "type": "object", "required": ["lists", "notFound"],
                "properties": {
                    "lists": {"type": "array", "items": ref("WorkerList")},
                    "notFound": {"type": "array", "items": {"type": "string"}},
                },
            }),
            "400": error("The body is not valid."),
            **secured_errors(),
        },
    }},
    "/lists/{id}": _get("getWorkerList", "One list.", [LIST_ID], ref("WorkerList"),
                        missing="No list has this id."),
    "/lists/{id}/workers": {
        **_get(
            "getWorkerListWorkers",
            f"The list's workers in the order they were added, at most {MAX_PAGE} a page.",
            [
                LIST_ID,
                query_param("after", "The `next` of the previous page.", required=False),
                {"name": "limit", "in": "query", "required": False,
                 "description": f"Page size (default and maximum {MAX_PAGE}).",
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}},
            ],
            {"type": "object", "required": ["workers", "next", "total"], "properties": {
                "workers": {"type": "array", "items": {
                    "type": "object", "required": ["personId", "addedAt", "seq"],
                    "properties": {
                        "personId": {"type": "string"},
                        "addedAt": INSTANT,
                        "seq": {"type": "integer", "description": "The entry's running number."},
                    },
                }},
                "next": {"type": ["string", "null"], "description": "null on the last page."},
                "total": {"type": "integer", "description": "Workers on the whole list."},
            }},
            missing="No list has this id.",
        ),
        **_change(
            "addWorkers", "Add people (by person id); an approved or rejected list goes back to "
            "DRAFT when anyone is added.",
            {"personIds": IDS, "by": BY, "expectedVersion": VERSION}, ["personIds"],
            _list_answer({"added": IDS, "alreadyListed": IDS}, ["added", "alreadyListed"]),
            "The list is SUBMITTED (invalid_transition).",
        ),
    },
    "/lists/{id}/workers/remove": _change(
        "removeWorkers", "Remove people; an approved or rejected list goes back to DRAFT when "
        "anyone is removed.",
        {"personIds": IDS, "by": BY, "expectedVersion": VERSION}, ["personIds"],
        _list_answer({"removed": IDS, "notListed": IDS}, ["removed", "notListed"]),
        "The list is SUBMITTED (invalid_transition).",
    ),
    "/lists/{id}/submit": _change(
        "submitWorkerList", "DRAFT → SUBMITTED.", {"by": BY, "expectedVersion": VERSION}, [],
        _list_answer(), "Not DRAFT (invalid_transition), no workers (empty_list), or changed "
        "(version_conflict).",
    ),
    "/lists/{id}/approve": _change(
        "approveWorkerList", "SUBMITTED → APPROVED, within the enterprise's quota.",
        {"by": BY, "expectedVersion": VERSION}, ["by"], _list_answer(),
        "Not SUBMITTED (invalid_transition), over the quota (over_quota, naming the workers) or "
        "changed (version_conflict).",
    ),
    "/lists/{id}/reject": _change(
        "rejectWorkerList", "SUBMITTED → REJECTED, with a reason.",
        {"by": BY, "reason": {"type": "string", "maxLength": 500}, "expectedVersion": VERSION},
        ["by", "reason"], _list_answer(),
        "Not SUBMITTED (invalid_transition) or changed (version_conflict).",
    ),
    "/lists/{id}/quota": _get(
        "getWorkerListQuota", "How the list stands against the enterprise's quota if approved.",
        [LIST_ID],
        {"type": "object",
         "required": ["listId", "approvedQuota", "approvedElsewhere", "listed", "room",
                      "overQuota"],
         "properties": {
             "listId": {"type": "string"},
             "approvedQuota": {"type": "integer"},
             "approvedElsewhere": {
                 "type": "integer",
                 "description": "Distinct workers on the enterprise's other APPROVED lists.",
             },
             "listed": {"type": "integer"},
             "room": {"type": "integer", "description": "Quota left for this list's new workers."},
             "overQuota": {
                 "type": "array", "items": {"type": "string"},
                 "description": "The workers that do not fit: the newest additions.",
             },
         }},
        missing="No list has this id.",
    ),
    **changes_path("ListChange", "list creations, edits and decisions"),
}

SPEC = document(
    "workforce",
    "District workforce registry (mock)",
    "Enterprises, the worker lists they submit and the district's approval of them, within the "
    "enterprise's quota. The registry is the system of record of every list's state.",
    PATHS,
    {
        "Enterprise": ENTERPRISE,
        "WorkerList": WORKER_LIST,
        "Refusal": REFUSAL,
        "ListChange": LIST_CHANGE,
        "ListChangePage": change_page("ListChange"),
    },
)
