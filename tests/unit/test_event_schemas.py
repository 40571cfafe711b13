"""Every event schema in schemas/ is a valid contract: its examples pass, broken instances fail (DESIGN: canonical
events; validation at the edge)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from hub.errors import InvalidEvent
from hub.schemas import SchemaRegistry

pytestmark = pytest.mark.unit

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
EVENT_FILES = sorted(p for p in SCHEMAS.glob("*.v1.json") if p.name != "common.v1.json")
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _event_type(path: Path) -> str:
    return path.name.removesuffix(".v1.json")


def _id_numbers(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in ([v] if k == "id_number" else _id_numbers(v))]
    return []


@pytest.fixture(scope="module")
def registry() -> SchemaRegistry:
    return SchemaRegistry([SCHEMAS])


def test_the_catalog_of_event_types_is_complete() -> None:
    assert [_event_type(p) for p in EVENT_FILES] == [
        "certification.recorded",
        "certification.reminder_due",
        "channel.notification",
        "employer.synced",
        "payment_status.changed",
        "pension.adjusted",
        "person_status.changed",
        "registration.rejected",
        "retiree.approved",
        "retiree.changed",
        "retiree.corrected",
    ]


@pytest.mark.parametrize("path", EVENT_FILES, ids=_event_type)
def test_schema_is_strict_and_named_for_its_file(path: Path) -> None:
    from jsonschema import Draft202012Validator

    schema = _load(path)
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == f"urn:retiree-hub:schema:{_event_type(path)}:v1"
    assert schema["additionalProperties"] is False
    assert schema["required"] and schema["examples"]


@pytest.mark.parametrize("path", EVENT_FILES, ids=_event_type)
def test_examples_are_valid_events(registry: SchemaRegistry, path: Path) -> None:
    for example in _load(path)["examples"]:
        registry.validate_data(_event_type(path), 1, example)
        for id_number in _id_numbers(example):
            check = "10X98765432"[sum(int(c) * w for c, w in zip(id_number[:17], WEIGHTS, strict=True)) % 11]
            assert id_number[17] == check, f"{id_number} has a wrong MOD 11-2 check character"


def _broken(example: dict[str, Any], how: str) -> dict[str, Any]:
    broken = copy.deepcopy(example)
    if how == "missing":
        broken.pop(_first_required(broken))
    elif how == "extra":
        broken["unexpected_field"] = "x"
    elif how == "personal_number":
        broken["personal_number"] = "12 34"
    return broken


def _first_required(example: dict[str, Any]) -> str:
    return next(iter(example))


@pytest.mark.parametrize("how", ["missing", "extra", "personal_number"])
@pytest.mark.parametrize("path", EVENT_FILES, ids=_event_type)
def test_broken_instances_are_refused(registry: SchemaRegistry, path: Path, how: str) -> None:
    example = _load(path)["examples"][0]
    with pytest.raises(InvalidEvent):
        registry.validate_data(_event_type(path), 1, _broken(example, how))


@pytest.mark.parametrize(
    ("event_type", "patch", "message"),
    [
        ("retiree.approved", {"birth_date": "1958-02-30"}, "is not a 'date'"),
        ("retiree.approved", {"sex": "M"}, "is not one of"),
        ("retiree.approved", {"id_number": "13010419580812103"}, "does not match"),
        ("retiree.approved", {"monthly_pension": "3280.5"}, "does not match"),
        ("payment_status.changed", {"new_status": "9"}, "is not one of"),
        ("retiree.changed", {"changes": {}}, "should be non-empty"),
        ("person_status.changed", {"change_kind": "error_restored"}, "'reverses_entry_id' is a required property"),
        ("employer.synced", {"status": "bankrupt"}, "is not one of"),
    ],
)
def test_field_rules_name_the_field(
    registry: SchemaRegistry, event_type: str, patch: dict[str, Any], message: str
) -> None:
    example = _load(SCHEMAS / f"{event_type}.v1.json")["examples"][0] | patch
    with pytest.raises(InvalidEvent, match=message):
        registry.validate_data(event_type, 1, example)
