"""2.5: a pension adjustment (调资) the provincial platform applied to one retiree.

The yearly adjustment touches every active retiree at once, so this handler does the least that keeps the registry
right: one adjustment row per retiree and batch (the row, with the event id, is the record of the change; a yearly
burst does not write 565,000 audit entries beside it) and the monthly pension moved to the adjusted amount unless a
later adjustment is already applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import col, func

from domain.adjustments.models import PensionAdjustment
from domain.retirees.inbound import Inbound, RetireeNotYetKnown
from domain.retirees.models import Retiree
from domain.shared.uow import UnitOfWork


async def on_pension_adjusted(data: Mapping[str, Any], event: Inbound, uow: UnitOfWork) -> None:
    session = uow.session
    retiree_id = (
        await session.execute(
            select(col(Retiree.id)).where(col(Retiree.personal_number) == data["personal_number"]).with_for_update()
        )
    ).scalar_one_or_none()
    if retiree_id is None:
        raise RetireeNotYetKnown("RETIREE_NOT_YET_KNOWN", f"个人编号 {data['personal_number']} 尚未同步到本系统")
    inserted = await session.execute(
        pg_insert(PensionAdjustment)
        .values(
            retiree_id=retiree_id,
            batch_id=data["batch_id"],
            adjustment_year=data["adjustment_year"],
            amount_before=Decimal(data["amount_before"]),
            amount_after=Decimal(data["amount_after"]),
            increase=Decimal(data["increase"]),
            effective_month=data["effective_month"],
            event_id=event.event_id,
        )
        .on_conflict_do_nothing()
        .returning(col(PensionAdjustment.batch_id))
    )
    if inserted.first() is None:
        return  # the same batch again (a re-read record under another id): already applied
    latest = (
        await session.execute(
            select(func.max(col(PensionAdjustment.effective_month))).where(
                col(PensionAdjustment.retiree_id) == retiree_id
            )
        )
    ).scalar_one()
    if latest == data["effective_month"]:
        await session.execute(
            update(Retiree)
            .where(col(Retiree.id) == retiree_id)
            .values(monthly_pension=Decimal(data["amount_after"]), version=col(Retiree.version) + 1)
        )
