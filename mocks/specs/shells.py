"""OpenAPI descriptions of the services later issues fill in: for now only `healthz`."""

from __future__ import annotations

from mocks.specs import Schema, document


def shell_spec(mount: str, title: str, description: str) -> Schema:
    """The document of a service that has no endpoints of its own yet."""
    return document(mount, f"{title} (mock)", description, {}, {})


