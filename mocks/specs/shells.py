"""OpenAPI descriptions of the services later issues fill in: for now only `healthz`."""

from __future__ import annotations

from mocks.specs import Schema, document


def shell_spec(mount: str, title: str, description: str) -> Schema:
    """The document of a service that has no endpoints of its own yet."""
    return document(mount, f"{title} (mock)", description, {}, {})


DECLARATIONS = shell_spec(
    "declarations", "Health declarations", "Electronic health declarations (khai báo y tế)."
)
WORKFORCE = shell_spec(
    "workforce", "Workforce lists", "Employers' worker lists, approved by the district."
)
SMS = shell_spec("sms", "SMS codes", "Codes sent by SMS to people without a smartphone.")
