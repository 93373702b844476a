"""Hand-written OpenAPI 3.1 descriptions of the mocked services, one module per service.

The `/_admin/*` knobs are development tooling, not part of a service's interface: they are left
out so that a gateway generated from these documents never exposes them.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

ERROR: Schema = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string", "description": "A machine-readable error code."},
        "message": {"type": "string", "description": "What went wrong, in a sentence."},
    },
}


def ref(name: str) -> Schema:
    """A reference to a schema of this document's components."""
    return {"$ref": f"#/components/schemas/{name}"}


def content(schema: Schema, media_type: str = "application/json") -> Schema:
    """A `content` map with one media type."""
    return {media_type: {"schema": schema}}


def response(description: str, schema: Schema, media_type: str = "application/json") -> Schema:
    """A response object with a body."""
    return {"description": description, "content": content(schema, media_type)}


def error(description: str, media_type: str = "application/json") -> Schema:
    """An error response: `Error`, or `OperationOutcome` for FHIR media types."""
    name = "OperationOutcome" if media_type == "application/fhir+json" else "Error"
    return response(description, ref(name), media_type)


def secured_errors() -> Schema:
    """The answers every authenticated operation may give besides its own."""
    return {
        "401": response("The service token is missing, invalid or expired.", ref("Error")),
        "503": response("The service is unavailable; try again later.", ref("Error")),
        "500": {"description": "The service failed."},
    }


def path_param(name: str, description: str) -> Schema:
    """A required string path parameter."""
    return {
        "name": name, "in": "path", "required": True, "description": description,
        "schema": {"type": "string"},
    }


def query_param(name: str, description: str, *, required: bool = True) -> Schema:
    """A string query parameter."""
    return {
        "name": name, "in": "query", "required": required, "description": description,
        "schema": {"type": "string"},
    }


HEALTHZ: Schema = {
    "get": {
        "operationId": "healthz",
        "summary": "Liveness: 200 while the service answers.",
        "security": [],
        "responses": {
            "200": response("The service is up.", {
                "type": "object",
                "required": ["status"],
                "properties": {"status": {"const": "ok"}, "service": {"type": "string"}},
            }),
            "503": response("The service is unavailable.", ref("Error")),
        },
    }
}


def document(
    mount: str,
    title: str,
    description: str,
    paths: dict[str, Schema],
    schemas: dict[str, Schema],
    *,
    secured: bool = True,
) -> Schema:
    """An OpenAPI 3.1 document for the service mounted at `/<mount>`."""
    components: Schema = {"schemas": {"Error": ERROR, **schemas}}
    if secured:
        components["securitySchemes"] = {
            "serviceToken": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "An ES256 token from the IdP's client-credentials endpoint "
                "(`POST /idp/oauth/token`), audience `national-services`.",
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1.0.0", "description": description},
        "servers": [{"url": f"/{mount}"}],
        "paths": {**paths, "/healthz": HEALTHZ},
        "components": components,
        "security": [{"serviceToken": []}] if secured else [],
    }
