"""2.5: a pension adjustment (调资) the provincial platform applied to one retiree.

The yearly adjustment touches every active retiree at once, so this handler does the least that keeps the registry
right: one adjustment row per retiree and batch (the row, with the event id, is the record of the change; a yearly
burst does not write 565,000 audit entries beside it) and the monthly pension moved to the adjusted amount unless a
later adjustment is already applied. :func:`on_pensions_adjusted` does the same for a batch of retirees in three
statements, which is how the hub applies the yearly burst.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import col, func

from domain.adjustments.models import PensionAdjustment
from domain.retirees.inbound import Inbound, RetireeNotYetKnown
from domain.retirees.models import Retiree
from domain.shared.errors import ErrorCode
from domain.shared.uow import UnitOfWork


def _adjustment_row(retiree_id: int, data: Mapping[str, Any], event: Inbound) -> dict[str, Any]:
    return {
        "retiree_id": retiree_id,
        "batch_id": data["batch_id"],
        "adjustment_year": data["adjustment_year"],
        "amount_before": Decimal(data["amount_before"]),
        "amount_after": Decimal(data["amount_after"]),
        "increase": Decimal(data["increase"]),
        "effective_month": data["effective_month"],
        "event_id": event.event_id,
    }


async def on_pensions_adjusted(adjustments: Sequence[tuple[Mapping[str, Any], Inbound]], uow: UnitOfWork) -> None:
    """2.5 for many retirees (one adjustment each): the effect of :func:`on_pension_adjusted` for each. A retiree
    not known yet raises, and the hub applies the batch one by one, which waits for exactly that retiree."""
    session = uow.session
    numbers = [data["personal_number"] for data, _ in adjustments]
    found = await session.execute(
        select(col(Retiree.personal_number), col(Retiree.id))
        .where(col(Retiree.personal_number).in_(numbers))
        .with_for_update()
    )
    ids: dict[str, int] = {number: int(retiree_id) for number, retiree_id in found.all() if retiree_id is not None}
    missing = [number for number in numbers if number not in ids]
    if missing:
        raise RetireeNotYetKnown(
            ErrorCode.RETIREE_NOT_YET_KNOWN, f"个人编号 {missing[0]} 等 {len(missing)} 人尚未同步到本系统"
        )
    inserted = set(
        (
            await session.execute(  # executemany form: one cached statement, batched by the driver
                pg_insert(PensionAdjustment).on_conflict_do_nothing().returning(col(PensionAdjustment.retiree_id)),
                [_adjustment_row(ids[data["personal_number"]], data, event) for data, event in adjustments],
            )
        ).scalars()
    )
    applied = [(ids[d["personal_number"]], d) for d, _ in adjustments if ids[d["personal_number"]] in inserted]
    if not applied:
        return
    # The pension moves to the adjusted amount where this adjustment is the retiree's latest.
    await session.execute(
        text(
            "UPDATE retiree r SET monthly_pension = v.amount, version = r.version + 1"
            " FROM unnest(CAST(:ids AS bigint[]), CAST(:months AS text[]), CAST(:amounts AS numeric[]))"
            " AS v(retiree_id, month, amount)"
            " WHERE r.id = v.retiree_id AND v.month ="
            " (SELECT max(a.effective_month) FROM pension_adjustment a WHERE a.retiree_id = r.id)"
        ),
        {
            "ids": [retiree_id for retiree_id, _ in applied],
            "months": [data["effective_month"] for _, data in applied],
            "amounts": [Decimal(data["amount_after"]) for _, data in applied],
        },
    )


async def on_pension_adjusted(data: Mapping[str, Any], event: Inbound, uow: UnitOfWork) -> None:
    session = uow.session
    retiree_id = (
        await session.execute(
            select(col(Retiree.id)).where(col(Retiree.personal_number) == data["personal_number"]).with_for_update()
        )
    ).scalar_one_or_none()
    if retiree_id is None:
        raise RetireeNotYetKnown(
            ErrorCode.RETIREE_NOT_YET_KNOWN, f"个人编号 {data['personal_number']} 尚未同步到本系统"
        )
    inserted = await session.execute(
        pg_insert(PensionAdjustment)
        .values(**_adjustment_row(retiree_id, data, event))
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
