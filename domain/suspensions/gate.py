"""The go-live gate of the suspension rules (issue 17, docs/go-live.md).

Until the legacy migration is marked complete (domain/legacy/state.py, ``hub legacy …``), the registry does not know
who was registered or certified in the 2007 system: every retiree would arrive as "approved, not registered", and the
rules would suspend everyone who retired more than 90 days ago. So nothing that APPLIES the rules runs before that
mark — the nightly run, ``hub rules run``, a held batch approved in the console — and each says why. What the rules
would do (the preview, ``hub rules run --dry-run``) stays open, so staff can see the size before go-live.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from domain.legacy import state
from domain.shared.errors import Conflict, ErrorCode

MESSAGE_ZH = "历史数据迁移尚未完成确认，自动暂停规则不能运行"
WHY = (
    "the legacy migration is not marked complete: the suspension rules would suspend retirees whose registrations "
    "and certifications are still in the 2007 system (see docs/go-live.md)"
)


class RulesBeforeMigration(Conflict):
    """Applying the suspension rules before the legacy migration is marked complete."""

    def __init__(self) -> None:
        super().__init__(ErrorCode.RULES_BEFORE_MIGRATION, MESSAGE_ZH, why=WHY)


async def rules_allowed(session: AsyncSession) -> bool:
    """Whether the suspension rules may be applied: the legacy migration is marked complete."""
    return await state.migration_complete(session)


async def require_migration_complete(session: AsyncSession) -> None:
    """Refuse (:class:`RulesBeforeMigration`) unless the legacy migration is marked complete."""
    if not await rules_allowed(session):
        raise RulesBeforeMigration
