"""The event envelope: CloudEvents 1.0 attributes carried in Kafka binary mode (``ce_*`` headers, JSON body).

Every message on the backbone is an :class:`Envelope`. The Kafka record key is the event's subject — the retiree's
personal number (or the employer's code) — so events about one person stay in order in one partition.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from hub.errors import InvalidEvent

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
HEADER_PREFIX = "ce_"
# Required CloudEvents context attributes, plus the ones this hub always sets.
_REQUIRED = ("specversion", "id", "source", "type", "subject", "time", "dataschema")


def schema_urn(event_type: str, version: int) -> str:
    """The ``dataschema`` of an event type: the ``$id`` of its file ``schemas/<type>.v<version>.json``."""
    return f"urn:retiree-hub:schema:{event_type}:v{version}"


def _parse_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise InvalidEvent(f"header ce_time is not an RFC 3339 timestamp: {value!r}") from error
    if parsed.tzinfo is None:
        raise InvalidEvent(f"header ce_time has no time zone: {value!r}")
    return parsed


@dataclass(frozen=True, slots=True)
class Envelope:
    """One event: who it is about (``subject``), what happened (``type`` + ``data``), and when the fact
    happened (``time``)."""

    type: str
    subject: str
    data: Mapping[str, Any]
    source: str
    time: datetime
    schema_version: int = 1
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    correlation_id: str | None = None
    # When a connector read the original fact from an external platform (CloudEvents extension ``readat``): the
    # start of the "exchanged within 5 s" clock, carried by every event the fact causes.
    read_at: datetime | None = None

    @classmethod
    def new(
        cls,
        event_type: str,
        subject: str,
        data: Mapping[str, Any],
        *,
        source: str,
        time: datetime | None = None,
        schema_version: int = 1,
        correlation_id: str | None = None,
    ) -> Envelope:
        """A new event with a fresh id; ``time`` is when the fact happened (defaults to now)."""
        event_time = time or datetime.now(UTC)
        if event_time.tzinfo is None:
            raise InvalidEvent("the time of an event must carry a time zone")
        event_id = str(uuid.uuid4())
        return cls(
            type=event_type,
            subject=subject,
            data=data,
            source=source,
            time=event_time,
            schema_version=schema_version,
            id=event_id,
            correlation_id=correlation_id or event_id,
        )

    @property
    def dataschema(self) -> str:
        return schema_urn(self.type, self.schema_version)

    @property
    def key(self) -> str:
        return self.subject

    def caused(self, event_type: str, subject: str, data: Mapping[str, Any], *, source: str) -> Envelope:
        """An event caused by this one: it keeps this event's correlation id and the time of the original fact."""
        follow_up = Envelope.new(event_type, subject, data, source=source, time=self.time)
        return replace(follow_up, correlation_id=self.correlation_id or self.id, read_at=self.read_at)

    def headers(self) -> dict[str, str]:
        """The Kafka binding's binary-mode headers."""
        headers = {
            "ce_specversion": SPEC_VERSION,
            "ce_id": self.id,
            "ce_source": self.source,
            "ce_type": self.type,
            "ce_subject": self.subject,
            "ce_time": self.time.isoformat(),
            "ce_dataschema": self.dataschema,
            "content-type": CONTENT_TYPE,
        }
        if self.correlation_id:
            headers["ce_correlationid"] = self.correlation_id
        if self.read_at is not None:
            headers["ce_readat"] = self.read_at.isoformat()
        return headers

    def body(self) -> bytes:
        return json.dumps(self.data, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def from_kafka(
        cls, key: bytes | None, value: bytes | None, headers: Iterable[tuple[str, bytes]] | Mapping[str, Any]
    ) -> Envelope:
        """Read an envelope back from a Kafka record; say exactly which part is wrong if it cannot."""
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        attributes: dict[str, str] = {}
        content_type = CONTENT_TYPE
        for name, raw in pairs:
            text = raw.decode() if isinstance(raw, bytes | bytearray) else str(raw)
            if name == "content-type":
                content_type = text
            elif name.startswith(HEADER_PREFIX):
                attributes[name[len(HEADER_PREFIX) :]] = text
        missing = [f"ce_{name}" for name in _REQUIRED if not attributes.get(name)]
        if missing:
            raise InvalidEvent(f"missing CloudEvents header(s): {', '.join(missing)}")
        if attributes["specversion"] != SPEC_VERSION:
            raise InvalidEvent(f"unsupported ce_specversion {attributes['specversion']!r}, expected {SPEC_VERSION}")
        if not content_type.startswith(CONTENT_TYPE):
            raise InvalidEvent(f"unsupported content-type {content_type!r}, expected {CONTENT_TYPE}")
        event_type = attributes["type"]
        expected_prefix = f"urn:retiree-hub:schema:{event_type}:v"
        dataschema = attributes["dataschema"]
        if not dataschema.startswith(expected_prefix) or not dataschema[len(expected_prefix) :].isdigit():
            raise InvalidEvent(f"ce_dataschema {dataschema!r} does not name a version of type {event_type!r}")
        subject = attributes["subject"]
        if key is not None and key.decode(errors="replace") != subject:
            raise InvalidEvent(f"record key {key!r} differs from ce_subject {subject!r}")
        if value is None:
            raise InvalidEvent("record has no value (the event's data)")
        try:
            data = json.loads(value)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InvalidEvent(f"record value is not JSON: {error}") from error
        if not isinstance(data, dict):
            raise InvalidEvent(f"record value must be a JSON object, got {type(data).__name__}")
        return cls(
            type=event_type,
            subject=subject,
            data=data,
            source=attributes["source"],
            time=_parse_time(attributes["time"]),
            schema_version=int(dataschema[len(expected_prefix) :]),
            id=attributes["id"],
            correlation_id=attributes.get("correlationid"),
            read_at=_parse_time(attributes["readat"]) if attributes.get("readat") else None,
        )
