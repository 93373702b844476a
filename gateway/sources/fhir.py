"""Reading FHIR R4 search-set Bundles."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from gateway.sources.base import BatchSource, expect


def bundle_resources(bundle: object, resource_type: str) -> Iterator[dict[str, Any]]:
    """The resources of `resource_type` in a search-set Bundle (OperationOutcomes skipped)."""
    expect(isinstance(bundle, dict) and bundle.get("resourceType") == "Bundle", "a FHIR Bundle")
    assert isinstance(bundle, dict)
    entries = bundle.get("entry") or []
    expect(isinstance(entries, list), "Bundle.entry is a list")
    for entry in entries:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") == resource_type:
            yield resource


def patient_id(reference: object) -> str:
    """`Patient/P0000123` → `P0000123`."""
    expect(isinstance(reference, str) and reference.startswith("Patient/"), "a Patient reference")
    assert isinstance(reference, str)
    return reference.removeprefix("Patient/")


def coding(concept: object, system: str) -> dict[str, Any] | None:
    """The first coding of `system` in a CodeableConcept, if any."""
    codings = concept.get("coding") if isinstance(concept, dict) else None
    for item in codings or []:
        if isinstance(item, dict) and item.get("system") == system:
            return item
    return None


async def search_by_patients(
    source: BatchSource[Any], resource_type: str, ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """All `resource_type` resources of many patients in one FHIR `_search`, grouped by patient."""
    bundle = await source.post_form(
        f"/{resource_type}/_search", {"patient": ",".join(f"Patient/{pid}" for pid in ids)}
    )
    grouped: dict[str, list[dict[str, Any]]] = {pid: [] for pid in ids}
    reference_field = "patient" if resource_type == "Immunization" else "subject"
    for resource in bundle_resources(bundle, resource_type):
        pid = patient_id((resource.get(reference_field) or {}).get("reference"))
        if pid in grouped:
            grouped[pid].append(resource)
    return grouped
