"""The event envelope follows CloudEvents' Kafka binding (DESIGN: Envelope) and survives a round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event

from hub.envelope import Envelope
from hub.errors import InvalidEvent

pytestmark = pytest.mark.unit

FACT_TIME = datetime(2026, 3, 1, 8, 30, tzinfo=timezone(timedelta(hours=8)))


def _event() -> Envelope:
    return Envelope.new(
        "retiree.approved",
        "130100000123",
        {"name": "张秀兰", "amount": "3120.50"},
        source="urn:retiree-hub:provincial",
        time=FACT_TIME,
    )


def _kafka(envelope: Envelope) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    return envelope.key.encode(), envelope.body(), [(k, v.encode()) for k, v in envelope.headers().items()]


def test_round_trip_keeps_every_attribute() -> None:
    original = _event()
    key, value, headers = _kafka(original)
    assert Envelope.from_kafka(key, value, headers) == original


def test_key_is_the_retirees_personal_number() -> None:
    key, _, headers = _kafka(_event())
    assert key == b"130100000123"
    assert ("ce_subject", b"130100000123") in headers


def test_binary_mode_headers_are_readable_by_the_cloudevents_sdk() -> None:
    original = _event()
    key, value, headers = _kafka(original)
    event = from_binary_event(KafkaMessage(headers=dict(headers), key=key, value=value))
    attributes = event.get_attributes()
    assert attributes["id"] == original.id
    assert attributes["type"] == "retiree.approved"
    assert attributes["subject"] == "130100000123"
    assert attributes["dataschema"] == "urn:retiree-hub:schema:retiree.approved:v1"
    assert attributes["correlationid"] == original.id
    assert event.get_time() == FACT_TIME
    assert event.get_data() == {"name": "张秀兰", "amount": "3120.50"}


def test_caused_event_keeps_correlation_and_fact_time() -> None:
    cause = _event()
    effect = cause.caused("person_status.changed", cause.subject, {"change": "registered"}, source="urn:x")
    assert effect.correlation_id == cause.id
    assert effect.time == FACT_TIME
    assert effect.id != cause.id


def test_new_event_refuses_a_naive_time() -> None:
    with pytest.raises(InvalidEvent, match="time zone"):
        Envelope.new("retiree.approved", "1", {}, source="s", time=datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda h: h.pop("ce_id"), "missing CloudEvents header.*ce_id"),
        (lambda h: h.pop("ce_type"), "ce_type"),
        (lambda h: h.update(ce_specversion="0.3"), "unsupported ce_specversion"),
        (lambda h: h.update({"content-type": "application/xml"}), "unsupported content-type"),
        (lambda h: h.update(ce_time="yesterday"), "not an RFC 3339 timestamp"),
        (lambda h: h.update(ce_time="2026-01-01T00:00:00"), "no time zone"),
        (lambda h: h.update(ce_dataschema="urn:other:v1"), "does not name a version"),
    ],
)
def test_a_broken_envelope_is_refused_with_the_header_named(mutate, message) -> None:  # type: ignore[no-untyped-def]
    envelope = _event()
    headers = envelope.headers()
    mutate(headers)
    with pytest.raises(InvalidEvent, match=message):
        Envelope.from_kafka(envelope.key.encode(), envelope.body(), headers)


def test_key_must_match_subject() -> None:
    envelope = _event()
    with pytest.raises(InvalidEvent, match="differs from ce_subject"):
        Envelope.from_kafka(b"999", envelope.body(), envelope.headers())


@pytest.mark.parametrize(
    ("value", "message"), [(None, "no value"), (b"{not json", "not JSON"), (b"[1]", "JSON object")]
)
def test_body_must_be_a_json_object(value: bytes | None, message: str) -> None:
    envelope = _event()
    with pytest.raises(InvalidEvent, match=message):
        Envelope.from_kafka(envelope.key.encode(), value, envelope.headers())


def test_time_is_kept_with_its_offset() -> None:
    envelope = _event()
    parsed = Envelope.from_kafka(envelope.key.encode(), envelope.body(), envelope.headers())
    assert parsed.time.astimezone(UTC) == FACT_TIME.astimezone(UTC)
