"""6.22: the one builder of ``person_status.changed`` (domain/status_log/events.py) and the reason codes it carries
(domain/dictionary/codes.py): every path sends the same data, the institution code falls back to the retiree's
insuring agency, every reason code has its dictionary label."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from connectors.provincial.mapping import business_record
from domain.dictionary.codes import CATEGORY_BY_NAME, REASON_CODE_LABELS, ReasonCode
from domain.retirees.lifecycle import ChangeKind
from domain.status_log.events import institution_code, log_entry_id, person_status_changed
from hub.schemas import SchemaRegistry

pytestmark = pytest.mark.unit

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
COMMUNITY_ID = 41
CODES = {COMMUNITY_ID: "1301020101"}
AGENCY = "130102"


def _event(institution_id: int | None, **overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "personal_number": "1301000012345",
        "change_kind": ChangeKind.SUSPENDED,
        "reason_code": ReasonCode.REGISTRATION_OVERDUE,
        "effective_date": date(2026, 6, 1),
        "entered_at": datetime(2026, 6, 1, 1, 0, tzinfo=UTC),
        "institution_id": institution_id,
        "codes": CODES,
        "insuring_agency_code": AGENCY,
        "log_entry_number": 123,
    }
    return person_status_changed(**(fields | overrides))  # type: ignore[arg-type]


def test_6_22_institution_code_is_the_entrys_institution_when_it_has_one() -> None:
    assert institution_code(COMMUNITY_ID, CODES, AGENCY) == "1301020101"
    assert _event(COMMUNITY_ID)["institution_code"] == "1301020101"


def test_6_22_institution_code_without_institution_is_the_insuring_agency() -> None:
    assert institution_code(None, CODES, AGENCY) == AGENCY
    assert _event(None)["institution_code"] == AGENCY
    # An institution whose row is gone (no code found) falls back the same way.
    assert institution_code(99, CODES, AGENCY) == AGENCY


def test_6_22_builder_output_follows_the_schema_and_maps_to_the_business_record() -> None:
    registry = SchemaRegistry([SCHEMAS])
    for institution_id in (COMMUNITY_ID, None):
        data = _event(institution_id)
        registry.validate_data("person_status.changed", 1, data)
        assert json.loads(json.dumps(data)) == data  # plain JSON values, enums as their codes
        assert data == {
            "personal_number": "1301000012345",
            "change_kind": "suspended",
            "reason_code": "S02",
            "effective_date": "2026-06-01",
            "entered_at": "2026-06-01T01:00:00+00:00",
            "institution_code": "1301020101" if institution_id else AGENCY,
            "log_entry_id": "SCL-000000000123",
        }
        assert business_record(data)["orgCode"] == data["institution_code"]


def test_6_22_error_restoration_names_the_entry_it_reverses() -> None:
    data = _event(
        COMMUNITY_ID, change_kind="error_restored", reason_code=ReasonCode.ERROR_RESTORED.value, reverses_number=7
    )
    SchemaRegistry([SCHEMAS]).validate_data("person_status.changed", 1, data)
    assert data["reverses_entry_id"] == log_entry_id(7) == "SCL-000000000007"
    assert data["reason_code"] == "ERR" and data["change_kind"] == "error_restored"


def test_1_4_every_reason_code_has_its_dictionary_label() -> None:
    assert set(REASON_CODE_LABELS) == set(ReasonCode), "a ReasonCode without a label in REASON_CODE_LABELS"
    assert all(label.strip() for label in REASON_CODE_LABELS.values())
    built_in = dict(CATEGORY_BY_NAME["status_change_reason"].codes)
    assert built_in == {code.value: REASON_CODE_LABELS[code] for code in ReasonCode}


def test_1_4_reason_codes_keep_their_stored_values() -> None:
    """The codes are stored as text and sent to the province: renaming a member must never change its value."""
    assert {code.name: code.value for code in ReasonCode} == {
        "REGISTERED": "REG",
        "SUPPLEMENTARY_INFO": "SUP",
        "TRANSFERRED_OUT": "TOUT",
        "TRANSFERRED_IN": "TIN",
        "CERTIFICATION_OVERDUE": "S01",
        "REGISTRATION_OVERDUE": "S02",
        "TRANSFER_IN_OVERDUE": "S03",
        "SUSPENDED_BY_STAFF": "S04",
        "SUSPENDED_BY_PROVINCE": "S05",
        "RESUMED_BY_CERTIFICATION": "R01",
        "RESUMED_BY_STAFF": "R02",
        "RESUMED_BY_PROVINCE": "R03",
        "DECEASED": "DTH",
        "ERROR_RESTORED": "ERR",
        "TRANSFER_CANCELLED": "TCAN",
        "COMMUNITY_MOVE": "ORG",
    }
