"""The event-type names in code (domain/shared/event_types.py) and the event schemas in schemas/ are one list: every
schema file has a constant, every constant a schema file, and the hub's topic catalog carries exactly these types."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from domain.shared.event_types import EventType
from hub.topics import CATALOG

pytestmark = pytest.mark.unit

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
SHARED_DEFINITIONS = {"common"}


def _schema_types() -> set[str]:
    found = set()
    for path in SCHEMAS.glob("*.json"):
        match = re.fullmatch(r"(?P<type>.+)\.v\d+\.json", path.name)
        assert match, f"{path.name} is not named <type>.v<N>.json"
        found.add(match["type"])
    return found - SHARED_DEFINITIONS


def test_every_schema_file_has_an_event_type_constant() -> None:
    assert _schema_types() - {t.value for t in EventType} == set()


def test_every_event_type_constant_has_a_schema_file() -> None:
    for event_type in EventType:
        assert (SCHEMAS / f"{event_type.value}.v1.json").is_file(), (
            f"{event_type.name}: no schemas/{event_type}.v1.json"
        )


def test_the_topic_catalog_carries_exactly_the_event_types() -> None:
    carried = [t for topic in CATALOG for t in topic.event_types]
    assert sorted(carried) == sorted(t.value for t in EventType)
