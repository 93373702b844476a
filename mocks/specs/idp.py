"""OpenAPI description of the mock identity provider (`/idp`)."""

from __future__ import annotations

from mocks.specs import Schema, document, ref, response

JWK: Schema = {
    "type": "object",
    "required": ["kty", "crv", "x", "y", "kid"],
    "properties": {
        "kty": {"const": "EC"},
        "crv": {"const": "P-256"},
        "x": {"type": "string"},
        "y": {"type": "string"},
        "kid": {"type": "string", "description": "RFC 7638 thumbprint."},
        "alg": {"const": "ES256"},
        "use": {"const": "sig"},
    },
}
JWKS: Schema = {
    "type": "object",
    "required": ["keys"],
    "properties": {"keys": {"type": "array", "items": ref("Jwk")}},
}
TOKEN_REQUEST: Schema = {
    "type": "object",
    "required": ["grant_type"],
    "properties": {
        "grant_type": {"const": "client_credentials"},
        "client_id": {"type": "string", "description": "With client_secret_post."},
        "client_secret": {"type": "string", "description": "With client_secret_post."},
        "scope": {"type": "string"},
    },
}
TOKEN_RESPONSE: Schema = {
    "type": "object",
    "required": ["access_token", "token_type", "expires_in"],
    "properties": {
        "access_token": {"type": "string", "description": "ES256 JWT, aud national-services."},
        "token_type": {"const": "Bearer"},
        "expires_in": {"type": "integer"},
        "scope": {"type": "string"},
    },
}
OAUTH_ERROR: Schema = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"enum": ["invalid_client", "invalid_request", "unsupported_grant_type"]},
    },
}
DISCOVERY: Schema = {
    "type": "object",
    "required": ["issuer", "jwks_uri", "token_endpoint"],
    "properties": {
        "issuer": {"type": "string"},
        "jwks_uri": {"type": "string", "format": "uri"},
        "token_endpoint": {"type": "string", "format": "uri"},
        "grant_types_supported": {"type": "array", "items": {"type": "string"}},
        "token_endpoint_auth_methods_supported": {"type": "array", "items": {"type": "string"}},
        "id_token_signing_alg_values_supported": {"type": "array", "items": {"type": "string"}},
    },
}

PATHS: dict[str, Schema] = {
    "/.well-known/jwks.json": {"get": {
        "operationId": "getJwks",
        "summary": "The public keys that verify every token this IdP signs.",
        "responses": {"200": response("The key set.", ref("Jwks"))},
    }},
    "/.well-known/openid-configuration": {"get": {
        "operationId": "getDiscovery",
        "summary": "Where the keys and the token endpoint are.",
        "responses": {"200": response("The discovery document.", ref("Discovery"))},
    }},
    "/oauth/token": {"post": {
        "operationId": "requestToken",
        "summary": "RFC 6749 client credentials: a service token for the national services.",
        "security": [{"clientBasic": []}, {}],
        "requestBody": {"required": True, "content": {
            "application/x-www-form-urlencoded": {"schema": ref("TokenRequest")},
        }},
        "responses": {
            "200": response("The access token.", ref("TokenResponse")),
            "400": response("Missing or unsupported grant type.", ref("OAuthError")),
            "401": response("Unknown client or wrong secret.", ref("OAuthError")),
        },
    }},
}

SPEC = document(
    "idp",
    "Identity provider (mock)",
    "Signs user tokens (for the gateway) and service tokens (for the national services).",
    PATHS,
    {
        "Jwk": JWK,
        "Jwks": JWKS,
        "TokenRequest": TOKEN_REQUEST,
        "TokenResponse": TOKEN_RESPONSE,
        "OAuthError": OAUTH_ERROR,
        "Discovery": DISCOVERY,
    },
    secured=False,
)
SPEC["components"]["securitySchemes"] = {
    "clientBasic": {
        "type": "http",
        "scheme": "basic",
        "description": "client_secret_basic; client_secret_post sends the pair in the form.",
    }
}
