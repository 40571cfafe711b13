"""Issue 17's go-live gate (docs/go-live.md): until the legacy migration is marked complete, nothing applies the
suspension rules of 4.5 — the nightly scheduler (which logs it once for the night, still sends the reminders and keeps
its other jobs), ``hub rules run``, approving a held batch — each saying why (RULES_BEFORE_MIGRATION, in Chinese
where staff read it); the preview stays open. The demo seed's path (``hub registry seed --if-empty``, as `make run`
calls it) marks it complete, audited, and the rules then run as before.

The shared test database is marked complete for the whole suite (tests/integration/conftest.py), so these tests run
on a database of their own, freshly migrated and seeded with a small synthetic registry the way a demo registry
loaded before the gate existed looks: really unmarked, nothing patched."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date

import httpx
import psycopg
import pytest
import typer
from sqlalchemy import func, select
from sqlmodel import col
from typer.testing import CliRunner

from app import jobs
from app.api import create_app
from app.cli.registry import registry_app
from app.cli.rules import rules_app
from app.migrate import upgrade
from domain.audit.models import AuditEntry
from domain.dictionary.service import ensure_builtin
from domain.legacy import state
from domain.shared import calendar
from domain.shared.errors import ErrorCode
from domain.status_log.models import StatusChange
from domain.suspensions import gate
from hub.bootstrap import Hub, bootstrap
from hub.settings import Settings
from seed.loader import load
from tests import factories
from tests.support.api import Api

pytestmark = pytest.mark.integration

NIGHT = calendar.today()  # the city's date, as the scheduler's
ZH = "历史数据迁移尚未完成确认，自动暂停规则不能运行"


@pytest.fixture(scope="module")
def fresh(settings: Settings) -> Iterator[Settings]:
    """A database of this module's own: migrated, dictionary loaded, 300 synthetic retirees, migration NOT marked."""
    name = f"retiree_hub_golive_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(settings.psycopg_dsn, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    own = settings.model_copy(update={"database_url": settings.database_url.rsplit("/", 1)[0] + "/" + name})
    try:
        upgrade(own)
        asyncio.run(_dictionary(own))
        load(own.psycopg_dsn, retiree_count=300, employer_count=10, demo_accounts=False)
        yield own
    finally:
        with psycopg.connect(settings.psycopg_dsn, autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def _dictionary(settings: Settings) -> None:
    hub = bootstrap(settings, consumer_groups=())
    try:
        async with hub.sessions() as session, session.begin():
            await ensure_builtin(session)
    finally:
        await hub.engine.dispose()


@pytest.fixture
async def fresh_hub(fresh: Settings) -> AsyncIterator[Hub]:
    hub = bootstrap(fresh, consumer_groups=())
    yield hub
    await hub.close()


async def _rule_suspensions(hub: Hub) -> int:
    async with hub.sessions() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(StatusChange)
            .where(col(StatusChange.cause_ref).like(f"%:{NIGHT.isoformat()}%"))
        )
    return int(found or 0)


def _cli(fresh: Settings, monkeypatch: pytest.MonkeyPatch, app: typer.Typer, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("HUB_DATABASE_URL", fresh.database_url)
    monkeypatch.setenv("HUB_ENVIRONMENT", "test")
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


async def test_17_the_rules_refuse_to_run_before_the_migration_is_marked_complete_and_say_why(
    fresh_hub: Hub,
) -> None:
    async with fresh_hub.sessions() as session:
        assert not await state.migration_complete(session), "this module's database must start unmarked"
    # What the rules would do stays visible: the size of the first night, before go-live.
    plan = await jobs.preview_suspension_rules(fresh_hub, NIGHT)
    assert sum(plan.per_rule.values()) > 0

    with pytest.raises(gate.RulesBeforeMigration) as refused:
        await jobs.run_suspension_rules(fresh_hub, NIGHT)
    assert refused.value.code == ErrorCode.RULES_BEFORE_MIGRATION
    assert refused.value.message == ZH
    assert "legacy migration is not marked complete" in refused.value.detail["why"]
    assert await _rule_suspensions(fresh_hub) == 0


def test_17_hub_rules_run_refuses_before_the_mark_and_its_dry_run_still_answers(
    fresh: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, output = _cli(fresh, monkeypatch, rules_app, "run")
    assert code == 3, output
    assert "refused: RULES_BEFORE_MIGRATION" in output and ZH in output and "not marked complete" in output

    code, output = _cli(fresh, monkeypatch, rules_app, "run", "--dry-run")
    assert code == 0, output
    assert "nothing changed" in output


async def test_17_approving_a_held_batch_is_refused_before_the_mark_in_chinese(fresh: Settings, fresh_hub: Hub) -> None:
    async with fresh_hub.sessions() as session, session.begin():
        root = await factories.city(session)
        city = await factories.account(session, root, "operator")
    app = create_app(fresh, hub=fresh_hub)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as client:
        api = Api(client)
        headers = await api.token(city.username)
        answer = await api.call("POST", "/api/v1/suspension-batches/1/approve", headers, json={})
        preview = await api.call("GET", "/api/v1/suspension-rules/preview", headers)
    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "RULES_BEFORE_MIGRATION" and answer.json()["message"] == ZH
    assert preview.status_code == 200 and preview.json()["would_suspend"] + preview.json()["would_hold"] > 0
    assert preview.json()["rules_blocked"] == ZH  # the console's preview says why, above the counts


async def test_17_the_scheduler_logs_the_refusal_once_and_keeps_its_other_jobs(
    fresh_hub: Hub, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    reminders: list[date] = []
    moves_passes: list[float] = []
    real_moves = jobs.run_community_moves

    async def reminders_sent(hub: Hub, today: date) -> int:
        reminders.append(today)
        return 0

    async def moves_pass(hub: Hub, **kwargs: bool) -> jobs.MovesReport:
        moves_passes.append(time.monotonic())
        return await real_moves(hub, **kwargs)

    monkeypatch.setattr(jobs, "send_certification_reminders", reminders_sent)
    monkeypatch.setattr(jobs, "run_community_moves", moves_pass)
    caplog.set_level(logging.INFO)
    stop = asyncio.Event()
    night = asyncio.create_task(jobs.run_every_night(fresh_hub, (time.localtime().tm_hour + 12) % 24, stop))
    try:
        async with asyncio.timeout(60):
            while len(moves_passes) < 2:  # the community moves run every 5 s: a second pass after the refusal
                assert not night.done(), night
                await asyncio.sleep(0.2)
        assert not night.done()
    finally:
        stop.set()
        await asyncio.wait_for(night, 30)
    refusals = [r for r in caplog.records if r.name == "app.jobs" and "not run" in r.getMessage()]
    assert len(refusals) == 1 and refusals[0].levelno == logging.WARNING
    assert "legacy migration is not marked complete" in refusals[0].getMessage()
    failures = [r for r in caplog.records if r.name == "hub.retry" and r.levelno >= logging.WARNING]
    assert failures == []  # a refusal, not a failure retried with backoff
    assert reminders == [NIGHT]  # the reminders of the night are sent all the same
    assert await _rule_suspensions(fresh_hub) == 0


async def test_17_the_demo_seed_path_marks_the_migration_complete_audited_and_the_rules_then_run(
    fresh: Settings, fresh_hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = await jobs.preview_suspension_rules(fresh_hub, NIGHT)
    # As `make run` calls it (scripts/run.sh) on a demo registry loaded before the gate existed.
    code, output = await asyncio.to_thread(
        _cli, fresh, monkeypatch, registry_app, "seed", "--if-empty", "--retirees", "10"
    )
    assert code == 0, output
    assert "legacy migration marked complete" in output
    async with fresh_hub.sessions() as session:
        assert await state.migration_complete(session)
        marks = (
            (await session.execute(select(AuditEntry).where(col(AuditEntry.action) == "legacy.complete")))
            .scalars()
            .all()
        )
    assert [(m.actor, m.detail) for m in marks] == [("demo-seed", {"run_id": None})]

    again = await asyncio.to_thread(_cli, fresh, monkeypatch, registry_app, "seed", "--if-empty", "--retirees", "10")
    assert again[0] == 0 and "marked complete" not in again[1]  # idempotent: nothing marked twice

    async with fresh_hub.sessions() as session, session.begin():
        city = await factories.account(session, await factories.city(session), "operator")
    app = create_app(fresh, hub=fresh_hub)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub.test") as client:
        api = Api(client)
        preview = await api.call("GET", "/api/v1/suspension-rules/preview", await api.token(city.username))
    assert preview.status_code == 200 and preview.json()["rules_blocked"] is None

    report = await jobs.run_suspension_rules(fresh_hub, NIGHT)
    assert sum(report.suspended.values()) + sum(report.held.values()) == sum(plan.per_rule.values()) > 0
