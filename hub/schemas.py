"""JSON-Schema validation of event data against ``schemas/<type>.v<version>.json``.

Connectors validate what they publish, consumers validate what they consume: an event that breaks its contract
never reaches the registry, and the error names the field and the rule it broke.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource

from hub.envelope import Envelope, schema_urn
from hub.errors import InvalidEvent, UnknownEventType


class SchemaRegistry:
    """Every schema found in the given folders, compiled once, looked up by ``dataschema`` URN.

    Each schema is compiled twice. fastjsonschema turns it into plain Python, about ten times faster than
    jsonschema's interpreter, and answers "valid?" for every event. jsonschema runs only on an event already refused,
    to name the field and rule exactly (its messages are the ones staff and operators see in dead letters). Both use
    jsonschema's format checks, so the two agree on what is valid (tests/unit/test_schema_validation.py)."""

    def __init__(self, folders: Iterable[Path]) -> None:
        documents: dict[str, dict[str, Any]] = {}
        for folder in folders:
            for path in sorted(Path(folder).glob("*.v*.json")):
                document = json.loads(path.read_text(encoding="utf-8"))
                schema_id = document.get("$id")
                if not schema_id:
                    raise ValueError(f"schema {path} has no $id")
                documents[schema_id] = document
        registry: Registry[Any] = Registry().with_resources(
            (schema_id, Resource.from_contents(document)) for schema_id, document in documents.items()
        )
        self._validators = {
            schema_id: Draft202012Validator(
                inline_references(document, documents),
                registry=registry,
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
            for schema_id, document in documents.items()
        }
        # jsonschema's verdict on every format, including any it leaves unchecked for want of an optional package
        # (rfc3339-validator, a dependency, makes it check date-time): fastjsonschema would otherwise use its own
        # regexes for those, and the two would disagree.
        checked = Draft202012Validator.FORMAT_CHECKER.checkers
        formats = {
            name: _format_check(name) for name in {*checked, *fastjsonschema.draft07.CodeGeneratorDraft07.FORMAT_REGEXS}
        }
        self._checks = {
            schema_id: fastjsonschema.compile(
                inline_references(document, documents), formats=formats, use_default=False
            )
            for schema_id, document in documents.items()
        }

    def knows(self, event_type: str, version: int = 1) -> bool:
        return schema_urn(event_type, version) in self._validators

    def validate(self, envelope: Envelope) -> None:
        """Raise :class:`InvalidEvent` naming the offending field if the event's data breaks its schema."""
        self.validate_data(envelope.type, envelope.schema_version, envelope.data)

    def validate_data(self, event_type: str, version: int, data: Any) -> None:
        urn = schema_urn(event_type, version)
        check = self._checks.get(urn)
        if check is None:
            raise UnknownEventType(f"no schema for event type {event_type!r} version {version}")
        try:
            check(data)
        except fastjsonschema.JsonSchemaValueException as refused:
            error = best_match(self._validators[urn].iter_errors(data))
            if error is None:  # the two disagree: refuse, with the fast check's reason
                raise InvalidEvent(f"{event_type} v{version}: {refused.message}") from refused
            where = "/".join(str(part) for part in error.absolute_path) or "(root)"
            raise InvalidEvent(f"{event_type} v{version}: at {where}: {error.message}") from None


def _format_check(name: str) -> Callable[[Any], bool]:
    checker = Draft202012Validator.FORMAT_CHECKER
    return lambda value: checker.conforms(value, name)


def inline_references(node: Any, documents: Mapping[str, Any]) -> Any:
    """The schema with every ``$ref`` to another known document (``urn:…#/$defs/x``) replaced by what it points to.

    The meaning is the same (a ``$ref`` with sibling keywords becomes an ``allOf`` beside them); the point is speed:
    jsonschema resolves a reference on every validation, through URL parsing and the referencing registry, which
    cost well over a millisecond per event — most of a bulk resync's time."""
    if isinstance(node, list):
        return [inline_references(item, documents) for item in node]
    if not isinstance(node, dict):
        return node
    reference = node.get("$ref")
    if isinstance(reference, str) and not reference.startswith("#"):
        target_id, _, pointer = reference.partition("#")
        if target_id in documents:
            target: Any = documents[target_id]
            for part in filter(None, pointer.split("/")):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            if '"$ref": "#' in json.dumps(target):  # its own local references would lose their document: keep it
                return {key: inline_references(value, documents) for key, value in node.items()}
            resolved = inline_references(copy.deepcopy(target), documents)
            siblings = {key: inline_references(value, documents) for key, value in node.items() if key != "$ref"}
            return {**siblings, "allOf": [resolved]} if siblings else resolved
    return {key: inline_references(value, documents) for key, value in node.items()}
