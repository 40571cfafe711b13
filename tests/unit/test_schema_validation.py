"""JSON-Schema validation (DESIGN: validation at the edge) refuses each kind of bad event with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.envelope import Envelope
from hub.errors import InvalidEvent, UnknownEventType
from hub.schemas import SchemaRegistry, inline_references

pytestmark = pytest.mark.unit

TEST_SCHEMAS = Path(__file__).resolve().parents[1] / "support" / "schemas"


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    return SchemaRegistry([TEST_SCHEMAS])


def _entry(data: dict[str, object], version: int = 1, event_type: str = "ledger.entry_recorded") -> Envelope:
    return Envelope.new(event_type, "A-1", data, source="urn:test", schema_version=version)


def test_a_valid_event_passes(registry: SchemaRegistry) -> None:
    registry.validate(_entry({"account": "A-1", "sequence": 1, "amount": 5}))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"account": "A-1", "sequence": 1}, r"at \(root\): 'amount' is a required property"),
        (
            {"account": "A-1", "sequence": 1, "amount": 5, "extra": 1},
            r"Additional properties are not allowed \('extra'",
        ),
        ({"account": "A-1", "sequence": "1", "amount": 5}, "at sequence: '1' is not of type 'integer'"),
        ({"account": "A-1", "sequence": -1, "amount": 5}, "at sequence: -1 is less than the minimum of 0"),
        ({"account": "", "sequence": 1, "amount": 5}, r"at account: '' should be non-empty"),
    ],
)
def test_each_kind_of_bad_data_is_named(registry: SchemaRegistry, data: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidEvent, match=message) as caught:
        registry.validate(_entry(data))
    assert str(caught.value).startswith("ledger.entry_recorded v1: ")


def test_unknown_type_is_refused(registry: SchemaRegistry) -> None:
    with pytest.raises(UnknownEventType, match=r"no schema for event type 'retiree\.vanished' version 1"):
        registry.validate(_entry({}, event_type="retiree.vanished"))


def test_unknown_version_is_refused(registry: SchemaRegistry) -> None:
    with pytest.raises(UnknownEventType, match="version 2"):
        registry.validate(_entry({"account": "A-1", "sequence": 1, "amount": 5}, version=2))


def test_the_projects_schemas_all_load() -> None:
    registry = SchemaRegistry([Path(__file__).resolve().parents[2] / "schemas"])
    assert registry.knows("person_status.changed")


def test_references_to_the_common_definitions_are_inlined_with_the_same_meaning() -> None:
    """Speed without a change of meaning (hub/schemas.py): a $ref to common.v1 is replaced by its definition, a $ref
    with sibling keywords keeps them beside an allOf, and a reference the registry does not hold is left alone."""
    common = {"$id": "urn:c", "$defs": {"date": {"type": "string", "format": "date"}}}
    documents = {"urn:c": common}
    schema = {
        "properties": {
            "born": {"$ref": "urn:c#/$defs/date"},
            "died": {"$ref": "urn:c#/$defs/date", "description": "死亡日期"},
            "other": {"$ref": "urn:elsewhere#/x"},
        }
    }
    inlined = inline_references(schema, documents)
    assert inlined["properties"]["born"] == {"type": "string", "format": "date"}
    assert inlined["properties"]["died"] == {"description": "死亡日期", "allOf": [{"type": "string", "format": "date"}]}
    assert inlined["properties"]["other"] == {"$ref": "urn:elsewhere#/x"}
    assert common["$defs"]["date"] == {"type": "string", "format": "date"}  # the source documents are untouched
