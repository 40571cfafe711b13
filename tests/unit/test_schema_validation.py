"""JSON-Schema validation (DESIGN: validation at the edge) refuses each kind of bad event with a clear message."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

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
    common: dict[str, Any] = {"$id": "urn:c", "$defs": {"date": {"type": "string", "format": "date"}}}
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


PROJECT_SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
_BAD_VALUES: tuple[object, ...] = (
    None,
    0,
    -1,
    1.5,
    True,
    "",
    "x" * 600,
    "2026-02-30",
    "2026-13-01",
    "2026-11-22T25:00:00+08:00",
    "2026-11-22T10:00:00",
    "１２３",
    "abc",
    [],
    {},
    {"unexpected": 1},
)


def _variants(example: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The example itself, then each property removed, replaced by each bad value, and one property added."""
    yield example
    for key in example:
        yield {k: v for k, v in example.items() if k != key}
        for bad in _BAD_VALUES:
            yield {**example, key: bad}
        if isinstance(example[key], dict):
            for inner in example[key]:
                for bad in _BAD_VALUES:
                    yield {**example, key: {**example[key], inner: bad}}
    yield {**example, "unexpected": 1}


def test_the_fast_check_agrees_with_jsonschema_on_every_schema() -> None:
    """The registry answers "valid?" with fastjsonschema for speed; it must accept and refuse exactly what
    jsonschema (the reference implementation, with its format checks) does: every project schema's examples and
    hundreds of broken variants of them (wrong types, impossible dates, overlong text, missing and extra fields)."""
    registry = SchemaRegistry([PROJECT_SCHEMAS])
    documents = {d["$id"]: d for d in (json.loads(p.read_text("utf-8")) for p in PROJECT_SCHEMAS.glob("*.v*.json"))}
    checked = 0
    for document in documents.values():
        event_type, version = document["$id"].split(":")[-2], int(document["$id"].split(":v")[-1])
        if not registry.knows(event_type, version) or not document.get("examples"):
            continue
        reference = Draft202012Validator(document, format_checker=Draft202012Validator.FORMAT_CHECKER)
        reference_registry = Registry().with_resources((i, Resource.from_contents(d)) for i, d in documents.items())
        reference = reference.evolve(_resolver=reference_registry.resolver(document["$id"]))
        for example in document["examples"]:
            assert reference.is_valid(example), f"{event_type}'s example is itself invalid"
            for data in _variants(example):
                expected = reference.is_valid(data)
                try:
                    registry.validate_data(event_type, version, data)
                    accepted = True
                except InvalidEvent:
                    accepted = False
                assert accepted == expected, f"{event_type}: {data!r} accepted={accepted}, jsonschema={expected}"
                checked += 1
    assert checked > 1_000


def test_a_timestamp_without_its_offset_is_refused() -> None:
    """person_status.changed's entered_at is a date-time (RFC 3339): the offset is part of it, so that the
    province and the hub agree on the instant."""
    registry = SchemaRegistry([PROJECT_SCHEMAS])
    document = json.loads((PROJECT_SCHEMAS / "person_status.changed.v1.json").read_text("utf-8"))
    example = document["examples"][0]
    registry.validate_data("person_status.changed", 1, {**example, "entered_at": "2026-11-22T10:00:00+08:00"})
    with pytest.raises(InvalidEvent, match=r"at entered_at: '2026-11-22T10:00:00' is not a 'date-time'"):
        registry.validate_data("person_status.changed", 1, {**example, "entered_at": "2026-11-22T10:00:00"})
