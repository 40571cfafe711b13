"""Scheduled jobs of the registry, run by ``hub rules run`` (once) or ``hub rules schedule`` (every night).

The suspension rules of 4.5 (domain/suspensions/overdue.py) run chunk by chunk, each chunk its own transaction: a
crash loses at most the chunk in flight, which the next run picks up, and a second run the same day finds nothing.
Before them the brake (domain/suspensions/brake.py) counts the night's candidates and holds, as one batch for a
city-level decision, those above the city's or an institution's threshold: a bad import or a connector outage must
not suspend a whole district's pensions overnight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from app.imports import run_pending_imports as run_pending_imports  # 2.7/2.8: the ministry import worker
from app.imports import run_pending_imports_forever
from domain.certifications.reminders import due_per_street, send_reminders
from domain.channel_access import service as channel_access
from domain.community_moves import apply as community_moves
from domain.legacy import purge
from domain.shared import calendar
from domain.shared.actor import system_actor
from domain.suspensions import brake, gate
from domain.suspensions.overdue import Rule, cutoffs, suspend_chunk
from hub import metrics
from hub.bootstrap import Hub
from hub.schedule import run_daily

log = logging.getLogger(__name__)

RULES_ACTOR = system_actor("suspension-rules")


@dataclass
class RulesReport:
    today: date
    suspended: dict[Rule, int] = field(default_factory=dict)
    held: dict[Rule, int] = field(default_factory=dict)
    batch_id: int | None = None
    reminders: int = 0
    seconds: float = 0.0


async def run_suspension_rules(
    hub: Hub, today: date, *, rules: tuple[Rule, ...] = tuple(Rule), chunk: int = 5000
) -> RulesReport:
    started = time.perf_counter()
    report = RulesReport(today)
    # The brake first: tonight's candidates counted set-based; those above a threshold held as one batch.
    async with hub.sessions() as session, session.begin():
        await gate.require_migration_complete(session)  # issue 17: no suspension by rule before go-live
        _, batch = await brake.hold(hub.unit_of_work(session, "rules"), RULES_ACTOR, today, rules)
        limits = await cutoffs(session, today)
    if batch is not None:
        report.batch_id = batch.id
        report.held = {Rule(rule): n for rule, n in batch.per_rule.items()}
        for rule, n in report.held.items():
            metrics.suspensions_held.labels(rule=rule.value).inc(n)
        log.warning(
            "suspension brake on %s: %d retirees held as batch %s (%s), waiting for a city-level decision",
            today,
            batch.held,
            batch.id,
            batch.why,
        )
    await refresh_held_batches(hub)
    for rule in rules:
        total = 0
        while True:
            async with hub.sessions() as session, session.begin():
                done = await suspend_chunk(hub.unit_of_work(session, "rules"), RULES_ACTOR, rule, limits, size=chunk)
            total += done
            if done < chunk:
                break
        report.suspended[rule] = total
        metrics.rule_suspensions.labels(rule=rule.value).inc(total)
        log.info("rule %s on %s: %d retirees suspended", rule.value, today, total)
    report.reminders = await send_certification_reminders(hub, today)
    report.seconds = time.perf_counter() - started
    return report


async def preview_suspension_rules(hub: Hub, today: date, *, rules: tuple[Rule, ...] = tuple(Rule)) -> brake.Preview:
    """What tonight's run would do (``hub rules run --dry-run``), changing nothing."""
    async with hub.sessions() as session:
        return await brake.preview(session, today, rules)


async def send_certification_reminders(hub: Hub, today: date) -> int:
    """The reminders due today (4.5), then the due-in-30-days count per street for the dashboard."""
    async with hub.sessions() as session, session.begin():
        sent = await send_reminders(hub.unit_of_work(session, "reminders"), today)
    metrics.certification_reminders.inc(sent)
    async with hub.sessions() as session:
        per_street = await due_per_street(hub.unit_of_work(session, "reminders"), today)
    metrics.certifications_due.clear()  # a street with nobody due any more must not keep its old count
    for (code, name), count in per_street.items():
        metrics.certifications_due.labels(street_code=code, street=name).set(count)
    log.info("certification reminders on %s: %d sent; %d due within 30 days", today, sent, sum(per_street.values()))
    return sent


async def run_every_night(hub: Hub, at_hour: int, stop: asyncio.Event) -> None:
    """Run the rules at start-up and then every day at ``at_hour`` o'clock (server time). The rules are
    idempotent, so the run at start-up after a restart costs a few queries and changes nothing already done."""
    await asyncio.gather(
        run_daily("suspension-rules", lambda: run_nightly_rules(hub, calendar.today()), at_hour, stop, at_start=True),
        watch_held_batches(hub, stop),
        apply_community_moves_forever(hub, stop),
        run_pending_imports_forever(hub, stop),
        run_daily("channel-assertions", lambda: forget_spent_assertions(hub), at_hour, stop),
        run_daily("legacy-staging", lambda: purge_legacy_staging(hub), at_hour, stop),
    )


async def run_nightly_rules(hub: Hub, today: date) -> RulesReport | None:
    """The night's rules as the scheduler runs them. Before the legacy migration is marked complete (issue 17,
    docs/go-live.md) the rules are refused: logged once for the night (not retried until the next), the
    certification reminders sent all the same, and the scheduler's other jobs go on."""
    try:
        return await run_suspension_rules(hub, today)
    except gate.RulesBeforeMigration:
        log.warning("suspension rules on %s not run: %s; `hub legacy complete RUN_ID` once reconciled", today, gate.WHY)
    await send_certification_reminders(hub, today)
    return None


async def forget_spent_assertions(hub: Hub) -> int:
    """Issue 20: the used retiree assertions past their expiry (an expired one is refused anyway) are forgotten."""
    async with hub.sessions() as session, session.begin():
        forgotten = await channel_access.forget_spent_assertions(session, datetime.now(UTC) - timedelta(hours=1))
    log.info("forgot %d spent channel assertions", forgotten)
    return forgotten


async def purge_legacy_staging(hub: Hub, now: datetime | None = None) -> list[int]:
    """Issue 17: the legacy migration's staging rows no longer needed — dry runs finished longer ago than the
    retention parameter, an import whose own purge was interrupted — deleted every night (and by ``hub legacy
    purge``), each run's report and refused rows kept. Returns the runs purged."""
    async with hub.sessions() as session, session.begin():
        runs = await purge.purge_expired(session, now or datetime.now(UTC))
    if runs:
        log.info("legacy staging purged for run(s) %s", ", ".join(map(str, runs)))
    return runs


async def refresh_held_batches(hub: Hub) -> int:
    """Set ``hub_suspension_batches_held`` to the batches still waiting for a decision; return it."""
    async with hub.sessions() as session:
        held = await brake.held_batches(session)
    metrics.suspension_batches_held.set(held)
    return held


async def watch_held_batches(hub: Hub, stop: asyncio.Event, every: float = 60.0) -> None:
    """Keep ``hub_suspension_batches_held`` current between nights: a batch approved or rejected in the console
    clears the alert within a minute, not at the next run."""
    while not stop.is_set():
        try:
            await refresh_held_batches(hub)
        except Exception:  # the database away for a moment: the next round tries again
            log.exception("could not count the held suspension batches")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


@dataclass
class MovesReport:
    """What one pass over the open community moves (4.8) did."""

    moves: int = 0
    chunks: int = 0
    moved: int = 0
    skipped: int = 0
    completed: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


async def run_community_moves(
    hub: Hub, *, chunk: int = community_moves.DEFAULT_CHUNK, include_failed: bool = True
) -> MovesReport:
    """Apply every open community move (4.8), each chunk its own transaction, so a run stopped anywhere is carried
    on by the next (``hub moves run``, and the rules scheduler every few seconds). A move whose chunk fails is marked
    failed with the error and retried by the next pass; the other moves go on."""
    report = MovesReport()
    async with hub.sessions() as session:
        ids = await community_moves.open_moves(session, include_failed=include_failed)
    for move_id in ids:
        report.moves += 1
        try:
            while True:
                async with hub.sessions() as session, session.begin():
                    result = await community_moves.apply_chunk(
                        hub.unit_of_work(session, "community-moves"), move_id, size=chunk
                    )
                report.chunks += 1
                report.moved += result.moved
                report.skipped += result.skipped
                if result.completed:
                    report.completed.append(move_id)
                    log.info("community move %s completed", move_id)
                    break
        except Exception as error:
            log.exception("community move %s failed; the next pass carries on from its last chunk", move_id)
            report.failed[move_id] = f"{type(error).__name__}: {error}"
            async with hub.sessions() as session, session.begin():
                await community_moves.mark_failed(session, move_id, report.failed[move_id])
    return report


async def apply_community_moves_forever(hub: Hub, stop: asyncio.Event, every: float = 5.0) -> None:
    """Apply the community moves the console records, within seconds, without anyone typing ``hub moves run``; a
    failed move is retried once a minute."""
    rounds = 0
    while not stop.is_set():
        try:
            await run_community_moves(hub, include_failed=rounds % 12 == 0)
        except Exception:  # the database away for a moment: the next round tries again
            log.exception("could not apply the community moves")
        rounds += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
