"""Staff's worklist of compared suspicious-list rows and their review (function point 2.8).

Scope: a row whose person is found is seen by the institutions above that person (the city sees every row); a row
that matched nobody by the institutions above the one that uploaded the list. A review is one of: checked (a note
saying what was checked is required), a suspension started (the staff suspension of 4.5, S04, so the province is
told through the status log), or a death recorded (4.6's command). The review and the command it starts are one
transaction: either both happen or neither. Repeating the same review answers the row as it stands (idempotent); a
row reviewed another way is refused.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from domain.audit import trail
from domain.deaths import service as deaths
from domain.deaths.rules import DeathEvidence
from domain.retirees import service as retirees
from domain.shared.actor import Actor
from domain.shared.errors import Conflict, DomainError, ErrorCode, NotFound
from domain.shared.uow import UnitOfWork
from domain.staff.permissions import Permission, require
from domain.suspensions import staff as suspensions
from domain.suspicious.matching import MatchKind
from domain.suspicious.models import ReviewState, SuspiciousMatch


class ReviewAction(StrEnum):
    CHECKED = "checked"
    SUSPEND = "suspend"
    RECORD_DEATH = "record_death"

    @property
    def state(self) -> ReviewState:
        return {
            ReviewAction.CHECKED: ReviewState.CHECKED,
            ReviewAction.SUSPEND: ReviewState.SUSPENSION_STARTED,
            ReviewAction.RECORD_DEATH: ReviewState.DEATH_RECORDED,
        }[self]


# A row is visible when its person is in the actor's subtree, or (matched nobody) its import was uploaded there.
_VISIBLE = """
    ((m.retiree_id IS NOT NULL AND ri.path LIKE :path || '%')
     OR (m.retiree_id IS NULL AND ii.path LIKE :path || '%')
     OR (m.retiree_id IS NOT NULL AND r.institution_id IS NULL AND :city))
"""

_FROM = """
    FROM suspicious_match m
    JOIN ministry_import_row l ON l.import_id = m.import_id AND l.row_number = m.row_number
    JOIN ministry_import i ON i.id = m.import_id
    JOIN institution ii ON ii.id = i.institution_id
    LEFT JOIN retiree r ON r.id = m.retiree_id
    LEFT JOIN institution ri ON ri.id = r.institution_id
"""


@dataclass(frozen=True)
class WorklistFilter:
    import_id: int | None = None
    review_state: ReviewState | None = None
    flagged: bool | None = None


@dataclass(frozen=True)
class WorklistRow:
    import_id: int
    row_number: int
    listed_name: str
    listed_id_number: str
    retiree_id: int | None
    personal_number: str | None
    name: str | None
    id_number: str | None
    institution_name: str | None
    status: str | None
    match_kind: MatchKind
    flagged: bool
    explanation: str
    employer_code: str | None
    employer_name: str | None
    payment_status: str | None
    review_state: ReviewState
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str | None


@dataclass(frozen=True)
class WorklistPage:
    items: list[WorklistRow]
    total: int
    page: int
    size: int


@dataclass(frozen=True)
class ComparedImport:
    id: int
    file_name: str
    state: str
    uploaded_at: datetime | None
    committed_at: datetime | None
    total: int
    pending: int
    flagged_pending: int


def _scope(actor: Actor) -> dict[str, Any]:
    return {"path": actor.query_path, "city": actor.is_city_level}


async def imports(session: AsyncSession, actor: Actor) -> list[ComparedImport]:
    """The suspicious lists compared so far that the actor sees, newest first, with their counts in scope."""
    require(actor, Permission.READ_REGISTRY)
    rows = await session.execute(
        text(
            f"""
            SELECT i.id, i.file_name, i.state, i.uploaded_at, i.committed_at,
                   count(m.row_number) FILTER (WHERE {_VISIBLE}) AS total,
                   count(m.row_number) FILTER (WHERE {_VISIBLE} AND m.review_state = 'pending') AS pending,
                   count(m.row_number) FILTER (WHERE {_VISIBLE} AND m.review_state = 'pending' AND m.flagged)
                       AS flagged_pending
            FROM ministry_import i
            JOIN institution ii ON ii.id = i.institution_id
            LEFT JOIN suspicious_match m ON m.import_id = i.id
            LEFT JOIN retiree r ON r.id = m.retiree_id
            LEFT JOIN institution ri ON ri.id = r.institution_id
            WHERE i.kind = 'suspicious_list' AND i.state = 'committed'
            GROUP BY i.id, i.file_name, i.state, i.uploaded_at, i.committed_at
            HAVING count(m.row_number) FILTER (WHERE {_VISIBLE}) > 0 OR bool_or(ii.path LIKE :path || '%')
            ORDER BY i.id DESC
            LIMIT 200
            """
        ),
        _scope(actor),
    )
    return [ComparedImport(**r._mapping) for r in rows]


def _row(r: Any) -> WorklistRow:
    return WorklistRow(
        import_id=r.import_id,
        row_number=r.row_number,
        listed_name=r.listed_name,
        listed_id_number=r.listed_id_number,
        retiree_id=r.retiree_id,
        personal_number=r.personal_number,
        name=r.name,
        id_number=r.id_number,
        institution_name=r.institution_name,
        status=r.status,
        match_kind=MatchKind(r.match_kind),
        flagged=r.flagged,
        explanation=r.explanation,
        employer_code=r.employer_code,
        employer_name=r.employer_name,
        payment_status=r.payment_status,
        review_state=ReviewState(r.review_state),
        reviewed_by=r.reviewed_by,
        reviewed_at=r.reviewed_at,
        review_note=r.review_note,
    )


_COLUMNS = """
    m.import_id, m.row_number, coalesce(l.name, '') AS listed_name, coalesce(l.id_number, '') AS listed_id_number,
    m.retiree_id, r.personal_number, r.name, r.id_number, ri.name AS institution_name, r.status, m.match_kind,
    m.flagged, m.explanation, m.employer_code, m.employer_name, m.payment_status, m.review_state, m.reviewed_by,
    m.reviewed_at, m.review_note
"""


async def worklist(
    session: AsyncSession, actor: Actor, filters: WorklistFilter, *, page: int = 1, size: int = 20
) -> WorklistPage:
    """One page of compared rows in scope, flagged first, then in list order."""
    require(actor, Permission.READ_REGISTRY)
    where = [_VISIBLE]
    params: dict[str, Any] = _scope(actor)
    if filters.import_id is not None:
        where.append("m.import_id = :import")
        params["import"] = filters.import_id
    if filters.review_state is not None:
        where.append("m.review_state = :state")
        params["state"] = filters.review_state.value
    if filters.flagged is not None:
        where.append("m.flagged = :flagged")
        params["flagged"] = filters.flagged
    condition = " AND ".join(where)
    total = (await session.execute(text(f"SELECT count(*) {_FROM} WHERE {condition}"), params)).scalar_one()
    rows = await session.execute(
        text(
            f"SELECT {_COLUMNS} {_FROM} WHERE {condition}"
            " ORDER BY m.import_id DESC, m.flagged DESC, m.row_number LIMIT :size OFFSET :offset"
        ),
        {**params, "size": size, "offset": (page - 1) * size},
    )
    return WorklistPage([_row(r) for r in rows], total, page, size)


@dataclass(frozen=True)
class ResultRow:
    """One line of the file sent back: the requirement's columns, then how the row matched."""

    row_number: int
    employer_code: str | None
    employer_name: str | None
    name: str
    id_number: str
    payment_status: str | None
    match_kind: str
    explanation: str


async def visible_import(session: AsyncSession, actor: Actor, import_id: int) -> str:
    """The file name of a compared suspicious list the actor may see; IMPORT_NOT_FOUND otherwise."""
    require(actor, Permission.READ_REGISTRY)
    found = (
        await session.execute(
            text(
                "SELECT i.file_name, ii.path FROM ministry_import i JOIN institution ii ON ii.id = i.institution_id"
                " WHERE i.id = :import AND i.kind = 'suspicious_list'"
            ),
            {"import": import_id},
        )
    ).one_or_none()
    visible = found is not None and actor.covers(found.path)
    if not visible:
        seen = (
            await session.execute(
                text(f"SELECT 1 {_FROM} WHERE m.import_id = :import AND {_VISIBLE} LIMIT 1"),
                {"import": import_id, **_scope(actor)},
            )
        ).first()
        if found is None or seen is None:
            raise NotFound(ErrorCode.IMPORT_NOT_FOUND, "未找到该疑似名单导入，或不在本机构管辖范围内")
    assert found is not None
    return str(found.file_name)


async def result_rows(
    session: AsyncSession, actor: Actor, import_id: int, *, chunk: int = 5000
) -> AsyncIterator[ResultRow]:
    """Every compared row of the import in the actor's scope, in list order, read chunk by chunk."""
    after = 0
    while True:
        rows = (
            await session.execute(
                text(
                    f"SELECT m.row_number, m.employer_code, m.employer_name, coalesce(l.name, '') AS name,"
                    f" coalesce(l.id_number, '') AS id_number, m.payment_status, m.match_kind, m.explanation"
                    f" {_FROM} WHERE m.import_id = :import AND m.row_number > :after AND {_VISIBLE}"
                    " ORDER BY m.row_number LIMIT :size"
                ),
                {"import": import_id, "after": after, "size": chunk, **_scope(actor)},
            )
        ).all()
        if not rows:
            return
        after = rows[-1].row_number
        for r in rows:
            yield ResultRow(
                r.row_number,
                r.employer_code,
                r.employer_name,
                r.name,
                r.id_number,
                r.payment_status,
                MatchKind(r.match_kind).label,
                r.explanation,
            )


async def record_download(session: AsyncSession, actor: Actor, import_id: int, rows: int) -> None:
    await trail.record(
        session,
        actor,
        "suspicious.result_downloaded",
        target=f"ministry_import:{import_id}",
        detail={"import": import_id, "rows": rows},
    )


@dataclass(frozen=True)
class Review:
    action: ReviewAction
    note: str | None = None
    death_date: date | None = None
    evidence: DeathEvidence | None = None
    document_number: str | None = None


async def _locked(session: AsyncSession, actor: Actor, import_id: int, row_number: int) -> SuspiciousMatch:
    match = await session.get(SuspiciousMatch, (import_id, row_number), with_for_update=True)
    missing = NotFound(ErrorCode.SUSPICIOUS_MATCH_NOT_FOUND, "未找到该比对记录，或不在本机构管辖范围内")
    if match is None:
        raise missing
    seen = (
        await session.execute(
            text(f"SELECT 1 {_FROM} WHERE m.import_id = :import AND m.row_number = :row AND {_VISIBLE}"),
            {"import": import_id, "row": row_number, **_scope(actor)},
        )
    ).first()
    if seen is None:
        raise missing
    return match


async def review(
    uow: UnitOfWork, actor: Actor, import_id: int, row_number: int, decision: Review, *, today: date
) -> WorklistRow:
    """Review one compared row (see the module docstring); returns the row as it now stands."""
    require(actor, Permission.CHANGE_REGISTRY)
    session = uow.session
    match = await _locked(session, actor, import_id, row_number)
    target = decision.action.state
    if match.review_state == target:
        return await _reread(session, actor, import_id, row_number)
    if match.review_state != ReviewState.PENDING:
        raise Conflict(
            ErrorCode.SUSPICIOUS_ALREADY_REVIEWED,
            f"第{row_number}行已于{_when(match.reviewed_at)}由{match.reviewed_by or '他人'}处理为“"
            f"{ReviewState(match.review_state).label}”，不能再{_ACTION_LABELS[decision.action]}",
        )
    note = (decision.note or "").strip() or None
    if decision.action is ReviewAction.CHECKED:
        if note is None or len(note) < 2:
            raise DomainError(
                ErrorCode.REVIEW_NOTE_REQUIRED, "核查无误须填写核查说明（至少2个字），写明核查了什么", field="note"
            )
    else:
        if match.retiree_id is None:
            raise DomainError(
                ErrorCode.SUSPICIOUS_NO_PERSON,
                f"第{row_number}行在登记中未匹配到人员，不能{_ACTION_LABELS[decision.action]}",
            )
        await retirees.in_scope(session, actor, match.retiree_id)
        remarks = f"疑似信息比对（导入{import_id}第{row_number}行）" + (f"：{note}" if note else "")
        if decision.action is ReviewAction.SUSPEND:
            outcome = (
                await suspensions.suspend_selected(
                    uow, actor, [match.retiree_id], effective_date=today, remarks=remarks
                )
            )[0]
            if not outcome.done:
                raise Conflict(ErrorCode(outcome.code), outcome.message)
        else:
            if decision.death_date is None or decision.evidence is None:
                raise DomainError(ErrorCode.INVALID_REQUEST, "死亡登记须填写死亡日期和死亡信息来源", field="death_date")
            await deaths.record(
                uow,
                actor,
                match.retiree_id,
                death_date=decision.death_date,
                evidence=decision.evidence,
                document_number=(decision.document_number or "").strip() or None,
                remarks=remarks,
                today=today,
            )
    match.review_state = target
    match.reviewed_by = actor.name
    match.reviewed_at = datetime.now(UTC)
    match.review_note = note
    await session.flush()
    await trail.record(
        session,
        actor,
        "suspicious.reviewed",
        retiree_id=match.retiree_id,
        target=f"ministry_import:{import_id}:{row_number}",
        detail={"import": import_id, "row": row_number, "action": decision.action.value, "note": note},
    )
    return await _reread(session, actor, import_id, row_number)


_ACTION_LABELS = {
    ReviewAction.CHECKED: "标记为核查无误",
    ReviewAction.SUSPEND: "暂停发放",
    ReviewAction.RECORD_DEATH: "登记死亡",
}


def _when(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if at else "此前"


async def _reread(session: AsyncSession, actor: Actor, import_id: int, row_number: int) -> WorklistRow:
    r = (
        await session.execute(
            text(f"SELECT {_COLUMNS} {_FROM} WHERE m.import_id = :import AND m.row_number = :row"),
            {"import": import_id, "row": row_number},
        )
    ).one()
    return _row(r)
