"""Certification from any source counts once (issue 5: 2.6, 4.3, face results) and resumes a retiree suspended for
missing it — only that kind of suspension — through the status-change log, so the province is told (6.22)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlmodel import col

from domain.certifications import service as certifications
from domain.certifications.models import Certification, CertificationReport
from domain.certifications.rules import CertificationSource
from domain.dictionary.codes import ReasonCode
from domain.retirees.lifecycle import Status, Suspend
from domain.retirees.models import Retiree
from domain.status_log import service as status_log
from domain.status_log.models import CauseType
from hub.bootstrap import Hub
from tests import factories

pytestmark = pytest.mark.integration

TODAY = date(2026, 11, 23)


def _report(
    retiree_id: int, source: CertificationSource, source_id: str, on: date, passed: bool = True
) -> certifications.Report:
    method = "on_site" if source is CertificationSource.ON_SITE else "face"
    return certifications.Report(retiree_id, source, source_id, method, on, passed, event_id=f"evt-{source_id}")


async def _registered(hub: Hub) -> int:
    async with hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        person = await factories.retiree(session, tree.communities[0])
        assert person.id is not None
        return person.id


async def _record(hub: Hub, report: certifications.Report) -> certifications.Outcome:
    async with hub.sessions() as session, session.begin():
        uow = hub.unit_of_work(session, "test")
        return await certifications.record(uow, factories.SETUP, report, today=TODAY)


async def test_the_same_certification_from_two_sources_counts_once_and_keeps_the_nearer_source(
    registry_hub: Hub,
) -> None:
    retiree_id = await _registered(registry_hub)
    day = date(2026, 11, 20)
    tag = str(retiree_id)
    assert await _record(registry_hub, _report(retiree_id, CertificationSource.PROVINCIAL_SYNC, f"P{tag}", day)) == (
        certifications.Outcome.NEW_CERTIFICATION
    )
    assert await _record(registry_hub, _report(retiree_id, CertificationSource.FACE_RECOGNITION, f"F{tag}", day)) == (
        certifications.Outcome.SAME_DAY
    )
    # The platform retrying its push: the same report again changes nothing.
    assert await _record(registry_hub, _report(retiree_id, CertificationSource.FACE_RECOGNITION, f"F{tag}", day)) == (
        certifications.Outcome.ALREADY_RECORDED
    )
    async with registry_hub.sessions() as session:
        counted = (
            (await session.execute(select(Certification).where(col(Certification.retiree_id) == retiree_id)))
            .scalars()
            .all()
        )
        reports = (
            (
                await session.execute(
                    select(col(CertificationReport.certification_id)).where(
                        col(CertificationReport.retiree_id) == retiree_id
                    )
                )
            )
            .scalars()
            .all()
        )
        person = await session.get(Retiree, retiree_id)
    assert len(counted) == 1 and counted[0].source == "face_recognition"
    assert list(reports) == [counted[0].id, counted[0].id]
    assert person is not None and person.last_certified_on == day


async def test_a_failed_attempt_is_kept_for_the_history_but_certifies_nothing(registry_hub: Hub) -> None:
    retiree_id = await _registered(registry_hub)
    outcome = await _record(
        registry_hub, _report(retiree_id, CertificationSource.FACE_RECOGNITION, f"X{retiree_id}", TODAY, passed=False)
    )
    assert outcome is certifications.Outcome.FAILED_ATTEMPT
    async with registry_hub.sessions() as session:
        person = await session.get(Retiree, retiree_id)
    assert person is not None and person.last_certified_on is None


async def _suspend(hub: Hub, retiree_id: int, reason: ReasonCode) -> None:
    async with hub.sessions() as session, session.begin():
        uow = hub.unit_of_work(session, "test")
        person = await status_log.locked_retiree(session, retiree_id)
        person.last_certified_on = date(2026, 3, 1)
        await status_log.apply(
            uow,
            factories.SETUP,
            person,
            Suspend(reason),
            effective_date=date(2026, 9, 2),
            cause=status_log.Cause(CauseType.RULE, "test"),
        )


async def test_4_5_certification_resumes_a_retiree_suspended_for_missing_it_and_tells_the_province(
    registry_hub: Hub,
) -> None:
    retiree_id = await _registered(registry_hub)
    await _suspend(registry_hub, retiree_id, ReasonCode.CERTIFICATION_OVERDUE)
    outcome = await _record(
        registry_hub, _report(retiree_id, CertificationSource.FACE_RECOGNITION, f"R{retiree_id}", date(2026, 11, 22))
    )
    assert outcome is certifications.Outcome.RESUMED
    async with registry_hub.sessions() as session:
        person = await session.get(Retiree, retiree_id)
        assert person is not None
        kinds = (
            (
                await session.execute(
                    text(
                        "SELECT convert_from(payload, 'UTF8')::jsonb ->> 'change_kind' FROM hub_outbox "
                        "WHERE key = :key AND event_type = 'person_status.changed' ORDER BY id"
                    ),
                    {"key": person.personal_number},
                )
            )
            .scalars()
            .all()
        )
    assert person.status == Status.REGISTERED.value and person.suspension_reason is None
    assert kinds[-2:] == ["suspended", "resumed"]  # both facts, in order, for the province


async def test_4_5_certification_does_not_lift_a_suspension_for_another_reason(registry_hub: Hub) -> None:
    retiree_id = await _registered(registry_hub)
    await _suspend(registry_hub, retiree_id, ReasonCode.REGISTRATION_OVERDUE)
    outcome = await _record(
        registry_hub, _report(retiree_id, CertificationSource.ON_SITE, f"S{retiree_id}", date(2026, 11, 22))
    )
    assert outcome is certifications.Outcome.NEW_CERTIFICATION
    async with registry_hub.sessions() as session:
        person = await session.get(Retiree, retiree_id)
    assert person is not None and person.status == Status.SUSPENDED.value
    assert person.last_certified_on == date(2026, 11, 22)
