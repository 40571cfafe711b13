"""The topic catalog (DESIGN: canonical and domain topics, a dead-letter topic per consumer group) and its
namespace prefix, which keeps the test suite, the benchmark and `make run` apart on one broker."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hub.settings import Settings
from hub.topics import CATALOG, Topic, TopicCatalog

pytestmark = pytest.mark.unit


def test_without_a_prefix_the_names_are_the_catalogs() -> None:
    catalog = TopicCatalog(consumer_groups=["registry"])
    assert catalog.topic_for("person_status.changed") == "domain.person-status"
    assert catalog.dead_letter_topic("registry") == "dlq.registry"
    assert {t.name for t in CATALOG} | {"dlq.registry", "dlq.provincial-inbound"} == {t.name for t in catalog}


def test_a_prefix_goes_before_every_catalog_and_dead_letter_topic_but_not_before_extra_ones() -> None:
    extra = Topic("it.ledger-1", 3, 1000, "account", ("ledger.entry",), "a test's own topic")
    catalog = TopicCatalog(consumer_groups=["registry"], prefix="test.", extra=[extra])
    assert catalog.topic_for("certification.recorded") == "test.canonical.certifications"
    assert catalog.topic_for("ledger.entry") == "it.ledger-1"
    assert catalog.dead_letter_topic("registry") == "test.dlq.registry"
    names = {t.name for t in catalog}
    assert {"test.dlq.registry", "test.dlq.provincial-inbound", "it.ledger-1"} <= names
    assert all(name.startswith("test.") or name == "it.ledger-1" for name in names)
    assert catalog.topics["test.canonical.retirees"].partitions == 12  # only the name changes


@pytest.mark.parametrize("prefix", ["test", "Test.", ".x.", "a b.", "x..", "-x."])
def test_a_prefix_is_one_lowercase_name_and_a_dot(prefix: str) -> None:
    with pytest.raises(ValidationError):
        Settings(kafka_topic_prefix=prefix)


@pytest.mark.parametrize("prefix", ["", "test.", "bench.", "dev_2."])
def test_valid_prefixes(prefix: str) -> None:
    assert Settings(kafka_topic_prefix=prefix).kafka_topic_prefix == prefix
