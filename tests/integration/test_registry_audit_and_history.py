"""The audit trail records every change and every view of a person's full details, is append-only and
tamper-evident; the status-change log (6.22) answers "what was the state on date D" and undoes a mistake by a new
entry (error restoration), never an edit."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from domain.audit import trail
from domain.audit.models import AuditEntry
from domain.dictionary.codes import ReasonCode
from domain.retirees.lifecycle import Register, Suspend
from domain.shared.actor import system_actor
from domain.status_log import service as status_log
from domain.status_log.models import CauseType, StatusChange
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration


async def _audit(hub: Hub, retiree_id: int | None) -> list[AuditEntry]:
    async with hub.sessions() as session:
        query = select(AuditEntry).where(AuditEntry.retiree_id == retiree_id).order_by(AuditEntry.id)  # type: ignore[arg-type]
        return list((await session.execute(query)).scalars().all())


async def test_views_and_changes_are_audited_with_who_where_and_what(registry_hub: Hub, api: Api) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        staff = await factories.account(session, tree.communities[0], "operator")
        person = await factories.retiree(session, tree.communities[0])
    headers = await api.token(staff.username)
    listed = await api.call("GET", "/api/v1/retirees?size=5", headers)
    assert listed.status_code == 200 and "*" in listed.json()["items"][0]["id_number"]  # lists are masked
    assert await _audit(registry_hub, person.id) == []  # a masked list is not a view of full details
    detail = await api.call("GET", f"/api/v1/retirees/{person.id}", headers)
    assert detail.json()["id_number"] == person.id_number
    await api.call("PUT", f"/api/v1/retirees/{person.id}/supplementary", headers, json={"health_status": "2"})
    entries = await _audit(registry_hub, person.id)
    assert [e.action for e in entries] == ["retiree.view_detail", "retiree.supplementary_info_recorded"]
    view = entries[0]
    assert (view.actor, view.actor_role, view.institution_id) == (staff.username, "operator", tree.communities[0].id)
    assert view.source_ip and view.target == person.personal_number


async def test_the_trail_is_append_only_and_an_edit_is_detected(registry_hub: Hub) -> None:
    async with registry_hub.sessions() as session, session.begin():
        await trail.record(session, factories.SETUP, "test.marker", target="tamper-check")
    async with registry_hub.sessions() as session:
        latest = (await session.execute(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))).scalar_one()  # type: ignore[union-attr]
    with pytest.raises(DBAPIError, match="append-only"):
        async with registry_hub.sessions() as session, session.begin():
            await session.execute(
                text("UPDATE audit_entry SET actor = 'someone-else' WHERE id = :id"), {"id": latest.id}
            )
    # Someone with the power to switch the guard off edits an entry: the chain shows where. (Rolled back after.)
    async with registry_hub.sessions() as session:
        await session.begin()
        assert (await trail.verify_chain(session)).intact
        await session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
        await session.execute(text("UPDATE audit_entry SET actor = 'someone-else' WHERE id = :id"), {"id": latest.id})
        report = await trail.verify_chain(session)
        await session.rollback()
    assert not report.intact and report.first_broken_id == latest.id and "被修改" in (report.reason or "")


async def test_concurrent_writers_keep_the_chain_linked_through_savepoints_and_rollbacks(registry_hub: Hub) -> None:
    """Eight writers at once, each in its own transactions: some entries written in a savepoint rolled back, some
    whole transactions rolled back, the rest committed. Every committed entry names the one before it in id order
    (the chain lock is held from the head read to the commit; what is rolled back never was)."""
    async with registry_hub.sessions() as session:
        start = (await session.execute(text("SELECT coalesce(max(id), 0) FROM audit_entry"))).scalar_one()

    async def writer(n: int) -> int:
        actor, committed = system_actor(f"chain-{n}"), 0
        for i in range(12):
            async with registry_hub.sessions() as session:
                await session.begin()
                if (n + i) % 3 == 0:
                    nested = await session.begin_nested()
                    await trail.record(session, actor, "test.chain.undone", target=f"{n}-{i}")
                    await nested.rollback()
                for _ in range(1 + (n * i) % 3):
                    await trail.record(session, actor, "test.chain", target=f"{n}-{i}")
                    await asyncio.sleep(0)  # let another writer ask for the chain in between
                if (n + i) % 5 == 0:
                    await session.rollback()
                else:
                    await session.commit()
                    committed += 1 + (n * i) % 3
        return committed

    written = sum(await asyncio.gather(*(writer(n) for n in range(8))))
    async with registry_hub.sessions() as session:
        rows = (
            await session.execute(
                text("SELECT id, action, prev_hash, hash FROM audit_entry WHERE id > :start ORDER BY id"),
                {"start": start},
            )
        ).all()
    assert sum(1 for r in rows if r.action == "test.chain") == written
    assert not [r.action for r in rows if r.action == "test.chain.undone"]
    assert [later.id for earlier, later in itertools.pairwise(rows) if later.prev_hash != earlier.hash] == []


async def test_the_state_on_a_past_date_and_error_restoration(registry_hub: Hub, api: Api) -> None:
    async with registry_hub.sessions() as session, session.begin():
        tree = await factories.tree(session)
        staff = await factories.account(session, tree.communities[0], "operator")
        person = await factories.retiree(session, None)
        assert tree.communities[0].id is not None
        uow = registry_hub.unit_of_work(session, "test")
        actor = factories.SETUP
        locked = await status_log.locked_retiree(session, person.id or 0)
        await status_log.apply(
            uow,
            actor,
            locked,
            Register(tree.communities[0].id),
            effective_date=date(2026, 3, 1),
            cause=status_log.Cause(CauseType.STAFF),
        )
        suspension = await status_log.apply(
            uow,
            actor,
            locked,
            Suspend(ReasonCode.SUSPENDED_BY_STAFF),
            effective_date=date(2026, 6, 1),
            cause=status_log.Cause(CauseType.STAFF),
        )
    before_restoration = datetime.now(UTC)
    headers = await api.token(staff.username)
    restored = await api.call(
        "POST",
        f"/api/v1/retirees/{person.id}/status-changes/{suspension.id}/restore",
        headers,
        json={"remarks": "误暂停，差错恢复"},
    )
    assert restored.status_code == 201, restored.text
    assert restored.json()["kind"] == "error_restored" and restored.json()["to_status"] == "registered"
    again = await api.call(
        "POST",
        f"/api/v1/retirees/{person.id}/status-changes/{suspension.id}/restore",
        headers,
        json={"remarks": "再来一次"},
    )
    assert again.status_code == 422 and again.json()["code"] == "ALREADY_RESTORED"

    async def state(on: str, known_at: datetime | None = None) -> str | None:
        query = f"/api/v1/retirees/{person.id}/state-on?on={on}"
        if known_at:
            query += f"&known_at={known_at.isoformat().replace('+00:00', 'Z')}"
        answer = await api.call("GET", query, headers)
        assert answer.status_code == 200, answer.text
        value: str | None = answer.json()["status"]
        return value

    assert await state("2026-02-28") == "approved"
    assert await state("2026-03-01") == "registered"
    assert await state("2026-07-01") == "registered"  # the suspension is undone as if never made
    assert await state("2026-07-01", known_at=before_restoration) == "suspended"  # but it was believed then
    history = (await api.call("GET", f"/api/v1/retirees/{person.id}/status-changes", headers)).json()
    assert [h["kind"] for h in history] == ["registered", "suspended", "error_restored"]
    assert history[2]["reverses_id"] == suspension.id
    async with registry_hub.sessions() as session:
        original = await session.get(StatusChange, suspension.id)
        assert original is not None and original.kind == "suspended"  # never edited
    with pytest.raises(DBAPIError, match="never edited"):
        async with registry_hub.sessions() as session, session.begin():
            await session.execute(
                text("UPDATE status_change SET reason_code = 'S01' WHERE id = :id"), {"id": suspension.id}
            )


async def test_a_bulk_job_audits_every_retiree_of_a_chunk_in_one_entry(registry_hub: Hub, api: Api) -> None:
    async with registry_hub.sessions() as session, session.begin():
        city = await factories.city(session)
        auditor = await factories.account(session, city, "auditor", id_number=factories.id_number())
        people = [await factories.retiree(session, None) for _ in range(3)]
        ids = [p.id for p in people if p.id is not None]
        await trail.record(session, factories.SETUP, "test.single", retiree_id=ids[0])
        await trail.record_bulk(session, factories.SETUP, "test.bulk_adjustment", ids, {"rate": "2.3%"})
    async with registry_hub.sessions() as session:
        report = await trail.verify_chain(session)
    assert report.intact, report
    headers = await api.token(auditor.username)
    about_second = (await api.call("GET", f"/api/v1/audit/entries?retiree_id={ids[1]}", headers)).json()
    assert [(e["action"], e["retiree_ids"], e["detail"]) for e in about_second] == [
        ("test.bulk_adjustment", ids, {"count": 3, "rate": "2.3%"})
    ]
    about_first = (await api.call("GET", f"/api/v1/audit/entries?retiree_id={ids[0]}", headers)).json()
    assert {e["action"] for e in about_first} == {"test.single", "test.bulk_adjustment"}
