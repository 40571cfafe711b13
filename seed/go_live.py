"""The demo's and the tests' go-live (issue 17, docs/go-live.md): a synthetic registry has no 2007 system to migrate,
so whoever loads one marks the legacy migration complete, and the nightly rules run there as they always have.
A real deployment marks it with ``hub legacy complete RUN_ID`` after migrating and reconciling."""

from __future__ import annotations

import asyncio
from enum import StrEnum

from sqlalchemy import select
from sqlmodel import col

from domain.legacy import state
from domain.legacy.models import LegacyRun
from domain.shared.actor import system_actor
from hub.db import create_engine, create_session_factory
from hub.settings import Settings


class Marked(StrEnum):
    MARKED = "marked"  # marked complete now (audited)
    ALREADY = "already"  # it was marked before: nothing changed
    IMPORTING = "importing"  # a real legacy import has been run here: left to `hub legacy complete RUN_ID`


async def mark_migration_complete(settings: Settings, who: str, *, unless_importing: bool = False) -> Marked:
    """Mark the legacy migration complete (without a run) unless it is. With ``unless_importing`` (the demo seed on
    a registry it did not just load), a registry where a legacy import (not a dry run) has been run is left alone."""
    engine = create_engine(settings)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            if await state.migration_complete(session):
                return Marked.ALREADY
            if unless_importing:
                imported = select(col(LegacyRun.id)).where(col(LegacyRun.dry_run).is_(False)).limit(1)
                if await session.scalar(imported) is not None:
                    return Marked.IMPORTING
            await state.mark_complete(session, system_actor(who), run_id=None)
            return Marked.MARKED
    finally:
        await engine.dispose()


def mark_migration_complete_now(settings: Settings, who: str, *, unless_importing: bool = False) -> Marked:
    """:func:`mark_migration_complete` from synchronous code (the seed command, pytest's session fixtures)."""
    return asyncio.run(mark_migration_complete(settings, who, unless_importing=unless_importing))
