"""The retiree page's timeline (issue 13): everything that happened to one person, newest first, as typed entries —
the arrival from the provincial sync, a rejected mobile application, a counter registration the province
acknowledged, supplementary info (no field history kept), a certification, a suspension the province refused — scoped
like the detail view (another district's retiree is 404) and audited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col

from domain.audit import trail
from domain.audit.models import AuditEntry
from domain.certifications.models import Certification
from domain.dictionary.codes import ReasonCode
from domain.registrations.models import RegistrationApplication
from domain.retirees.lifecycle import ChangeKind, Status
from domain.retirees.models import Retiree
from domain.shared.actor import system_actor
from domain.status_log.models import CauseType, StatusChange, SyncState
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration

# The history happens after the arrival, which the audit trail stamps with the time of writing.
T0 = datetime.now(UTC) + timedelta(minutes=5)


def _entry(
    person: Retiree,
    kind: ChangeKind,
    reason: ReasonCode,
    at: datetime,
    *,
    cause: CauseType = CauseType.STAFF,
    sync: SyncState = SyncState.ACKNOWLEDGED,
    to_status: Status = Status.REGISTERED,
    receipt_no: str | None = None,
    sync_error: str | None = None,
) -> StatusChange:
    assert person.id is not None
    return StatusChange(
        retiree_id=person.id,
        personal_number=person.personal_number,
        kind=kind.value,
        reason_code=reason.value,
        from_status=Status.APPROVED.value if kind == ChangeKind.REGISTERED else Status.REGISTERED.value,
        to_status=to_status.value,
        before_state={"status": "approved", "institution_id": None},
        after_state={"status": to_status.value, "institution_id": person.institution_id},
        effective_date=at.date(),
        entered_at=at,
        institution_id=person.institution_id,
        cause_type=cause.value,
        actor="社区经办员",
        sync_state=sync.value,
        receipt_no=receipt_no,
        sync_error=sync_error,
    )


async def _person_with_history(hub: Hub) -> tuple[str, Retiree, Retiree, str]:
    """An operator of community A, a retiree of A with a history, one of another district, A's name."""
    async with hub.sessions() as session, session.begin():
        tree, other = await factories.tree(session), await factories.tree(session)
        community = tree.communities[0]
        operator = await factories.account(session, community, "operator")
        person = await factories.retiree(session, community, name="李秀英")
        stranger = await factories.retiree(session, other.communities[0])
        await trail.record(
            session,
            system_actor("provincial-sync"),
            "retiree.approved",
            retiree_id=person.id,
            target=person.personal_number,
            detail={"event": "evt-approval"},
        )
        assert person.id is not None and community.id is not None
        session.add(
            RegistrationApplication(
                id=uuid.uuid4().hex,
                retiree_id=person.id,
                community_id=community.id,
                channel_client="shi-i-min",
                state="rejected",
                reject_reason="不属于本社区",
                submitted_at=T0 + timedelta(days=1),
                decided_at=T0 + timedelta(days=2),
            )
        )
        session.add_all(
            [
                _entry(person, ChangeKind.REGISTERED, ReasonCode.REGISTERED, T0 + timedelta(days=3), receipt_no="HB-1"),
                _entry(person, ChangeKind.SUPPLEMENTARY_INFO_RECORDED, ReasonCode.SUPPLEMENTARY_INFO,
                       T0 + timedelta(days=4)),
                _entry(person, ChangeKind.SUSPENDED, ReasonCode.CERTIFICATION_OVERDUE, T0 + timedelta(days=6),
                       cause=CauseType.RULE, sync=SyncState.FAILED, to_status=Status.SUSPENDED,
                       sync_error="省平台拒收"),
            ]
        )  # fmt: skip
        session.add(
            Certification(
                retiree_id=person.id,
                certified_on=(T0 + timedelta(days=5)).date(),
                source="on_site",
                method="on_site",
                certified_by="社区经办员",
                recorded_at=T0 + timedelta(days=5),
            )
        )
        await session.flush()
        assert community.name
        for p in (person, stranger):
            session.expunge(p)
        return operator.username, person, stranger, community.name


async def test_6_22_timeline_lists_everything_that_happened_to_the_person_newest_first(
    registry_hub: Hub, api: Api
) -> None:
    operator, person, _, community = await _person_with_history(registry_hub)
    answer = await api.call("GET", f"/api/v1/retirees/{person.id}/timeline", await api.token(operator))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["retiree_id"] == person.id and body["name"] == "李秀英"
    entries = body["entries"]
    assert [e["kind"] for e in entries] == [
        "status_change",
        "certification",
        "supplementary_info",
        "registration",
        "registration_application",
        "arrived",
    ]
    times = [e["at"] for e in entries]
    assert times == sorted(times, reverse=True)

    suspension, certification, supplementary, registration, application, arrived = entries
    change = suspension["status_change"]
    assert suspension["title"] == "暂停发放（超过6个月未认证）"
    assert change["reason_code"] == "S01" and change["reason_label"] == "超过6个月未认证"
    assert change["cause_type"] == "rule" and change["cause_label"] == "系统规则"
    assert change["sync_state"] == "failed" and change["sync_state_label"] == "上报失败"
    assert (
        change["sync_error"] == "省平台拒收" and change["effective_date"] == (T0 + timedelta(days=6)).date().isoformat()
    )

    assert certification["certification"] == {
        "certified_on": (T0 + timedelta(days=5)).date().isoformat(),
        "source": "on_site",
        "source_label": "社区现场认证",
        "method": "on_site",
        "certified_by": "社区经办员",
    }
    assert supplementary["supplementary"]["field_history_kept"] is False
    assert supplementary["supplementary"]["recorded_by"] == "社区经办员"

    assert registration["registration"]["channel"] == "counter"
    assert registration["registration"]["institution"] == community
    assert registration["status_change"]["sync_state"] == "acknowledged"
    assert registration["status_change"]["sync_state_label"] == "省平台已确认"
    assert registration["status_change"]["receipt_no"] == "HB-1"

    assert application["application"]["state"] == "rejected" and application["application"]["state_label"] == "已退回"
    assert application["application"]["reject_reason"] == "不属于本社区"
    assert application["application"]["community"] == community

    assert arrived["title"] == "省平台核准，纳入本系统"
    assert arrived["provincial"]["event_id"] == "evt-approval"
    for entry in entries:  # exactly the detail object its kind names is filled (status-change kinds add theirs)
        filled = {k for k in ("registration", "application", "certification", "supplementary", "provincial")
                  if entry[k] is not None}  # fmt: skip
        assert len(filled) <= 1 and (entry["status_change"] is not None) == (
            entry["kind"] in ("status_change", "registration", "supplementary_info")
        )


async def test_6_22_timeline_is_scoped_like_the_detail_view_and_audited(registry_hub: Hub, api: Api) -> None:
    operator, person, stranger, _ = await _person_with_history(registry_hub)
    headers = await api.token(operator)
    hidden = await api.call("GET", f"/api/v1/retirees/{stranger.id}/timeline", headers)
    assert hidden.status_code == 404 and hidden.json()["code"] == "NOT_FOUND"
    missing = await api.call("GET", f"/api/v1/retirees/{2**62}/timeline", headers)
    assert missing.status_code == 404
    assert (await api.client.get(f"/api/v1/retirees/{person.id}/timeline")).status_code == 401

    assert (await api.call("GET", f"/api/v1/retirees/{person.id}/timeline", headers)).status_code == 200
    async with registry_hub.sessions() as session:
        viewed = (
            await session.execute(
                select(AuditEntry)
                .where(col(AuditEntry.retiree_id) == person.id)
                .where(col(AuditEntry.action) == "retiree.view_timeline")
            )
        ).scalars()
        assert [e.actor for e in viewed] == [operator]
        refused = await session.execute(
            select(AuditEntry)
            .where(col(AuditEntry.retiree_id) == stranger.id)
            .where(col(AuditEntry.action) == "retiree.view_timeline")
        )
        assert refused.first() is None


async def test_6_22_timeline_of_a_person_with_no_recorded_approval_starts_at_creation(
    registry_hub: Hub, api: Api
) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        operator = await factories.account(session, tree.communities[1], "viewer")
        person = await factories.retiree(session, tree.communities[1])
        session.expunge(person)
    answer = await api.call("GET", f"/api/v1/retirees/{person.id}/timeline", await api.token(operator.username))
    assert answer.status_code == 200, answer.text
    (only,) = answer.json()["entries"]
    assert only["kind"] == "arrived" and only["title"] == "纳入本系统" and only["provincial"]["action"] == "created"
