"""The deterministic seeded data set: personas first, then a random population."""

from __future__ import annotations

import functools
import gc
from datetime import datetime

from mocks.draw import Draw
from mocks.enterprises import persona_employers
from mocks.model import LOCAL_TZ, DataSet, PersonRecords
from mocks.people import PersonFactory
from mocks.personas import SPECS, expectations, persona_id
from mocks.population import add_random_records
from mocks.records import RecordBuilder
from mocks.settings import MockSettings


@functools.cache
def _process_start() -> datetime:
    # Without MOCK_REFERENCE_TIME every data set of this process shares one "now", so that
    # create_app() can be called again and again without rebuilding.
    return datetime.now(LOCAL_TZ).replace(microsecond=0)


def reference_instant(settings: MockSettings) -> datetime:
    """The instant the data set is relative to: MOCK_REFERENCE_TIME or this process's start."""
    return (settings.reference_time or _process_start()).astimezone(LOCAL_TZ)


@functools.lru_cache(maxsize=4)
def build_dataset(seed: int, people: int, reference: datetime) -> DataSet:
    """`people` people (at least every persona) with their records, the same for the same args."""
    # The build allocates ~150,000 objects that live as long as the process: collector passes
    # over them during the build are wasted work (10-30 % of the build time).
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _build(seed, people, reference)
    finally:
        if was_enabled:
            gc.enable()


def _build(seed: int, people: int, reference: datetime) -> DataSet:
    draw = Draw(seed)
    factory = PersonFactory(draw, reference.astimezone(LOCAL_TZ).date())
    records: list[PersonRecords] = []
    for index, spec in enumerate(SPECS):
        builder = RecordBuilder(factory.make(persona_id(index), spec.district), reference, draw)
        spec.records(builder)
        records.append(builder.build())
    for index in range(len(SPECS), people):
        builder = RecordBuilder(factory.make(persona_id(index)), reference, draw)
        add_random_records(builder, draw)
        records.append(builder.build())
    return DataSet(reference, records)


def dataset_for(settings: MockSettings) -> DataSet:
    """The (cached) data set the settings describe."""
    return build_dataset(settings.seed, settings.people, reference_instant(settings))


def personas(settings: MockSettings | None = None) -> list[dict[str, object]]:
    """The personas as JSON objects, with their expected status at the reference instant.

    A persona on a demo enterprise's worker list carries that enterprise as `employerId`.
    """
    reference = reference_instant(settings or MockSettings.from_env())
    employers = persona_employers()
    return [
        {**persona.as_json(), **_employer(employers.get(persona.person_id))}
        for persona in expectations(reference)
    ]


def _employer(employer_id: str | None) -> dict[str, object]:
    return {"employerId": employer_id} if employer_id else {}
