"""Ministry imports as staff see them (2.7, 2.8): uploading a file, the list and the preview, asking for the commit
or abandoning; and the set-based steps of the worker (the end of staging, the end of a commit).

Who: uploading, committing and abandoning need ``registry.change`` at the city or a district (the ministry's files
concern the whole city or a district's agency); reading needs ``registry.read``. An import is seen by the staff whose
subtree holds the uploader's institution (so the city sees every import, a district its own).

The same file twice (same kind and SHA-256 digest, the earlier import neither failed nor abandoned) is answered with
the earlier import and changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit import trail
from domain.institutions.models import Institution, Level
from domain.ministry_imports.models import (
    IMPORT_KIND_LABELS,
    IMPORT_STATE_LABELS,
    RELEASED_STATES,
    ImportKind,
    ImportState,
    MinistryImport,
    MinistryImportFile,
    MinistryImportRow,
    RowOutcome,
)
from domain.ministry_imports.rules import ID_NUMBER, PERSONAL_NUMBER, RowProblemCode
from domain.shared.actor import Actor
from domain.shared.errors import Conflict, DomainError, ErrorCode, Forbidden, NotFound
from domain.staff.permissions import Permission, require

IMPORT_LEVELS = frozenset({Level.CITY, Level.DISTRICT})


@dataclass(frozen=True)
class Uploaded:
    ministry_import: MinistryImport
    duplicate_of: int | None  # the earlier import of the same file, when this upload was one


@dataclass(frozen=True)
class ImportPage:
    items: list[MinistryImport]
    total: int


@dataclass(frozen=True)
class RowPage:
    items: list[MinistryImportRow]
    total: int


async def _check_level(session: AsyncSession, actor: Actor) -> None:
    if actor.kind == "system":
        return
    own = await session.get(Institution, actor.institution_id) if actor.institution_id else None
    if own is None or own.level not in IMPORT_LEVELS:
        raise Forbidden(ErrorCode.IMPORT_LEVEL_ONLY, "部委数据导入须由市级或县区经办机构工作人员办理")


async def _root_id(session: AsyncSession) -> int:
    found = (
        await session.execute(select(col(Institution.id)).where(col(Institution.parent_id).is_(None)).limit(1))
    ).scalar_one()
    assert found is not None
    return found


async def existing(session: AsyncSession, kind: ImportKind, digest: str) -> MinistryImport | None:
    return (
        await session.execute(
            select(MinistryImport).where(
                col(MinistryImport.kind) == kind,
                col(MinistryImport.file_digest) == digest,
                col(MinistryImport.state).not_in([s.value for s in RELEASED_STATES]),
            )
        )
    ).scalar_one_or_none()


async def upload(
    session: AsyncSession,
    actor: Actor,
    *,
    kind: ImportKind,
    file_name: str,
    content: bytes,
    digest: str,
    corrects_import_id: int | None = None,
) -> Uploaded:
    """Store the file and an ``uploaded`` import for the worker; the same file again answers the earlier import."""
    require(actor, Permission.CHANGE_REGISTRY)
    await _check_level(session, actor)
    if corrects_import_id is not None:
        await get(session, actor, corrects_import_id)
    earlier = await existing(session, kind, digest)
    if earlier is not None:
        return Uploaded(earlier, earlier.id)
    institution_id = actor.institution_id or await _root_id(session)
    item = MinistryImport(
        kind=kind,
        file_name=file_name,
        file_digest=digest,
        file_size=len(content),
        state=ImportState.UPLOADED,
        uploaded_by=actor.name,
        institution_id=institution_id,
        corrects_import_id=corrects_import_id,
    )
    try:
        async with session.begin_nested():
            session.add(item)
            await session.flush()
    except IntegrityError:
        # The same file uploaded at the same moment by another request: answer that one.
        earlier = await existing(session, kind, digest)
        if earlier is None:
            raise
        return Uploaded(earlier, earlier.id)
    assert item.id is not None
    session.add(MinistryImportFile(import_id=item.id, content=content))
    await trail.record(
        session,
        actor,
        "ministry_import.upload",
        target=f"ministry_import:{item.id}",
        detail={
            "kind": kind.value,
            "file_name": file_name,
            "file_digest": digest,
            "file_size": len(content),
            "corrects_import_id": corrects_import_id,
        },
    )
    await session.flush()
    await session.refresh(item)
    return Uploaded(item, None)


async def _scoped(session: AsyncSession, actor: Actor, import_id: int, *, lock: bool = False) -> MinistryImport:
    query = (
        select(MinistryImport, col(Institution.path))
        .join(Institution, col(Institution.id) == col(MinistryImport.institution_id))
        .where(col(MinistryImport.id) == import_id)
    )
    if lock:
        query = query.with_for_update(of=MinistryImport)
    found = (await session.execute(query)).first()
    if found is None or not actor.covers(found[1]):
        raise NotFound(ErrorCode.IMPORT_NOT_FOUND, f"未找到导入批次 {import_id}，或不在本机构管辖范围内")
    item: MinistryImport = found[0]
    return item


async def get(session: AsyncSession, actor: Actor, import_id: int) -> MinistryImport:
    require(actor, Permission.READ_REGISTRY)
    return await _scoped(session, actor, import_id)


async def listing(
    session: AsyncSession, actor: Actor, *, kind: ImportKind | None = None, page: int = 1, size: int = 20
) -> ImportPage:
    """The imports uploaded within the actor's query scope, newest first."""
    require(actor, Permission.READ_REGISTRY)
    query = (
        select(MinistryImport)
        .join(Institution, col(Institution.id) == col(MinistryImport.institution_id))
        .where(col(Institution.path).startswith(actor.query_path))
    )
    if kind is not None:
        query = query.where(col(MinistryImport.kind) == kind)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    items = (
        (await session.execute(query.order_by(col(MinistryImport.id).desc()).offset((page - 1) * size).limit(size)))
        .scalars()
        .all()
    )
    return ImportPage(list(items), int(total))


async def rows(
    session: AsyncSession,
    actor: Actor,
    import_id: int,
    *,
    outcome: RowOutcome | None = None,
    page: int = 1,
    size: int = 50,
) -> RowPage:
    await get(session, actor, import_id)
    query = select(MinistryImportRow).where(col(MinistryImportRow.import_id) == import_id)
    if outcome is not None:
        query = query.where(col(MinistryImportRow.outcome) == outcome)
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    items = (
        (await session.execute(query.order_by(col(MinistryImportRow.row_number)).offset((page - 1) * size).limit(size)))
        .scalars()
        .all()
    )
    return RowPage(list(items), int(total))


async def exception_rows(session: AsyncSession, import_id: int, chunk: int = 2000) -> Any:
    """The exception rows of an import in row order, a chunk of rows at a time (an async generator)."""
    after = 0
    while True:
        batch = (
            (
                await session.execute(
                    select(MinistryImportRow)
                    .where(
                        col(MinistryImportRow.import_id) == import_id,
                        col(MinistryImportRow.outcome) == RowOutcome.EXCEPTION,
                        col(MinistryImportRow.row_number) > after,
                    )
                    .order_by(col(MinistryImportRow.row_number))
                    .limit(chunk)
                )
            )
            .scalars()
            .all()
        )
        if not batch:
            return
        for row in batch:
            yield row
        after = batch[-1].row_number


def _counts(item: MinistryImport) -> dict[str, Any]:
    return {
        "kind": item.kind.value,
        "file_name": item.file_name,
        "file_digest": item.file_digest,
        "total_rows": item.total_rows,
        "valid_rows": item.valid_rows,
        "exception_rows": item.exception_rows,
        "duplicate_rows": item.duplicate_rows,
        "applied_rows": item.applied_rows,
    }


async def request_commit(
    session: AsyncSession, actor: Actor, import_id: int, *, ready: Collection[ImportKind]
) -> MinistryImport:
    """Staged → committing (the worker applies the valid rows). Asked again once committing or committed, the
    import is answered as it is: nothing is applied twice."""
    require(actor, Permission.CHANGE_REGISTRY)
    await _check_level(session, actor)
    item = await _scoped(session, actor, import_id, lock=True)
    if item.state in (ImportState.COMMITTING, ImportState.COMMITTED):
        return item
    if item.state is not ImportState.STAGED:
        raise Conflict(
            ErrorCode.IMPORT_STATE,
            f"批次 {import_id} 当前状态为“{_state_label(item.state)}”，只有“待确认”的批次可以确认导入",
        )
    if item.kind not in ready:
        raise DomainError(
            ErrorCode.IMPORT_KIND_NOT_READY, f"{IMPORT_KIND_LABELS[item.kind]}的导入功能尚未开放，暂不能确认导入"
        )
    item.state = ImportState.COMMITTING
    item.committed_by = actor.name
    item.processed_rows = 0
    await trail.record(
        session, actor, "ministry_import.commit", target=f"ministry_import:{import_id}", detail=_counts(item)
    )
    await session.flush()
    return item


async def abandon(session: AsyncSession, actor: Actor, import_id: int) -> MinistryImport:
    """Drop an import before commit (uploaded, staged or failed); asked again, answered as it is."""
    require(actor, Permission.CHANGE_REGISTRY)
    await _check_level(session, actor)
    item = await _scoped(session, actor, import_id, lock=True)
    if item.state is ImportState.ABANDONED:
        return item
    if item.state not in (ImportState.UPLOADED, ImportState.STAGED, ImportState.FAILED):
        raise Conflict(
            ErrorCode.IMPORT_STATE,
            f"批次 {import_id} 当前状态为“{_state_label(item.state)}”，不能放弃（已确认导入或正在处理）",
        )
    item.state = ImportState.ABANDONED
    await trail.record(
        session, actor, "ministry_import.abandon", target=f"ministry_import:{import_id}", detail=_counts(item)
    )
    await session.flush()
    return item


def _state_label(state: ImportState) -> str:
    return IMPORT_STATE_LABELS[state]


# ---- the worker's set-based steps -------------------------------------------------------------------------------

CLAIM = text(
    "SELECT f.import_id FROM ministry_import_file f JOIN ministry_import m ON m.id = f.import_id"
    " WHERE m.state IN ('uploaded', 'staging', 'committing') AND f.import_id <> ALL(CAST(:skip AS bigint[]))"
    " ORDER BY f.import_id LIMIT 1"
    " FOR UPDATE OF f SKIP LOCKED"
)
"""The next import to work on, locked (its file row) for as long as the claiming transaction stays open: a second
worker skips it, and a worker that dies releases it with its connection, so the next one resumes it."""


async def set_state(session: AsyncSession, import_id: int, state: ImportState, **values: Any) -> None:
    await session.execute(
        update(MinistryImport).where(col(MinistryImport.id) == import_id).values(state=state, **values)
    )


async def add_progress(session: AsyncSession, import_id: int, processed: int, applied: int = 0) -> None:
    await session.execute(
        text(
            "UPDATE ministry_import SET processed_rows = processed_rows + :n, applied_rows = applied_rows + :a"
            " WHERE id = :id"
        ),
        {"n": processed, "a": applied, "id": import_id},
    )


async def staged_so_far(session: AsyncSession, import_id: int) -> int:
    """The last row number staged by an interrupted run (its chunks committed), 0 if none."""
    found = (
        await session.execute(
            text("SELECT coalesce(max(row_number), 0) FROM ministry_import_row WHERE import_id = :id"),
            {"id": import_id},
        )
    ).scalar_one()
    return int(found)


_SAME_AS_EARLIER_ROW = "'第' || r.row_number || '行与第' || d.first_row || '行是同一条记录，只计一次'"
_APPLIED_BY_EARLIER_IMPORT = "'第' || r.row_number || '行：该记录已由批次 ' || o.import_id || ' 导入，只计一次'"


def _problem_sql(code: str, message: str) -> str:
    """A jsonb problem built in SQL (``message`` is an SQL expression)."""
    return (
        "jsonb_build_array(jsonb_build_object('column', '', 'field', NULL, 'code', '"
        + code
        + "', 'message', "
        + message
        + "))"
    )


async def finish_staging(
    session: AsyncSession, import_id: int, kind: ImportKind, columns: dict[str, str], warnings: Sequence[Any]
) -> None:
    """After every row is copied: the registry lookup (2.7), the duplicates within the file and of earlier applied
    imports, the counts; the import is then ``staged``. One transaction, all set-based."""
    params: dict[str, Any] = {"id": import_id}
    # The rows were just COPied: without fresh statistics the planner takes the file's 100,000 rows for a handful
    # and joins them by nested loops (minutes instead of seconds).
    await session.execute(text("ANALYZE ministry_import_row"))
    if kind is ImportKind.CROSS_REGION_CERTIFICATIONS:
        id_column = columns.get(ID_NUMBER, "身份证号")
        pn_column = columns.get(PERSONAL_NUMBER, "个人编号")
        await session.execute(
            text(
                "UPDATE ministry_import_row r SET retiree_id = t.id FROM retiree t"
                " WHERE r.import_id = :id AND r.outcome = 'valid' AND t.id_number = r.id_number_18"
            ),
            params,
        )
        await session.execute(
            text(
                "UPDATE ministry_import_row r SET outcome = 'exception', record_key = NULL, problems = r.problems || "
                "jsonb_build_array(jsonb_build_object('column', CAST(:col AS text), 'field', 'personal_number',"
                f" 'code', '{RowProblemCode.PERSONAL_NUMBER_MISMATCH.value}', 'message',"
                " '第' || r.row_number || '行“' || CAST(:col AS text) || '”列：个人编号与身份证号不是同一人"
                "（本市库中该身份证号的个人编号不同），请核对'))"
                " FROM retiree t WHERE r.import_id = :id AND r.outcome = 'valid' AND t.id = r.retiree_id"
                " AND r.personal_number IS NOT NULL AND r.personal_number <> t.personal_number"
            ),
            {**params, "col": pn_column},
        )
        await session.execute(
            text(
                "UPDATE ministry_import_row r SET outcome = 'exception', record_key = NULL, problems = r.problems || "
                "jsonb_build_array(jsonb_build_object('column', CAST(:col AS text), 'field', 'id_number',"
                f" 'code', '{RowProblemCode.NOT_IN_REGISTRY.value}', 'message',"
                " '第' || r.row_number || '行“' || CAST(:col AS text) || '”列：该人员不在本市退休人员库中'))"
                " WHERE r.import_id = :id AND r.outcome = 'valid' AND r.retiree_id IS NULL"
            ),
            {**params, "col": id_column},
        )
    await session.execute(
        text(
            "WITH d AS (SELECT row_number, first_value(row_number) OVER w AS first_row,"
            " row_number() OVER w AS n FROM ministry_import_row"
            " WHERE import_id = :id AND outcome = 'valid' AND record_key IS NOT NULL"
            " WINDOW w AS (PARTITION BY record_key ORDER BY row_number))"
            " UPDATE ministry_import_row r SET outcome = 'duplicate', problems = r.problems || "
            + _problem_sql(
                "DUPLICATE_IN_FILE", "'第' || r.row_number || '行与第' || d.first_row || '行是同一条记录，只计一次'"
            )
            + " FROM d WHERE r.import_id = :id AND r.row_number = d.row_number AND d.n > 1"
        ),
        params,
    )
    await mark_applied_elsewhere(session, import_id)
    await session.execute(
        text(
            "UPDATE ministry_import m SET state = 'staged', staged_at = now(), warnings = CAST(:warnings AS jsonb),"
            " total_rows = c.total, valid_rows = c.valid, exception_rows = c.exception, duplicate_rows = c.duplicate,"
            " processed_rows = c.total"
            " FROM (SELECT count(*) AS total, count(*) FILTER (WHERE outcome = 'valid') AS valid,"
            " count(*) FILTER (WHERE outcome = 'exception') AS exception,"
            " count(*) FILTER (WHERE outcome = 'duplicate') AS duplicate"
            " FROM ministry_import_row WHERE import_id = :id) c WHERE m.id = :id AND m.state = 'staging'"
        ),
        {**params, "warnings": _json(list(warnings))},
    )


async def mark_applied_elsewhere(
    session: AsyncSession, import_id: int, row_numbers: Sequence[int] | None = None
) -> int:
    """Valid rows whose record an earlier import applied already become duplicates (the same record counts once)."""
    only = " AND row_number = ANY(:rows)" if row_numbers is not None else ""
    result = await session.execute(
        text(
            "UPDATE ministry_import_row r SET outcome = 'duplicate', problems = r.problems || "
            + _problem_sql("ALREADY_APPLIED", _APPLIED_BY_EARLIER_IMPORT)
            + " FROM (SELECT DISTINCT ON (o.record_key) o.record_key, o.import_id FROM ministry_import_row o"
            " WHERE o.outcome = 'applied' AND o.import_id <> :id AND o.record_key IN"
            " (SELECT record_key FROM ministry_import_row WHERE import_id = :id AND outcome = 'valid'"
            " AND record_key IS NOT NULL" + only + ") ORDER BY o.record_key, o.import_id) o"
            " WHERE r.import_id = :id AND r.outcome = 'valid' AND r.record_key = o.record_key"
            + only.replace("row_number", "r.row_number")
        ),
        {"id": import_id, "rows": list(row_numbers or [])},
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def finish_commit(session: AsyncSession, import_id: int) -> None:
    await session.execute(
        text(
            "UPDATE ministry_import m SET state = 'committed', committed_at = now(),"
            " valid_rows = c.valid + c.applied, duplicate_rows = c.duplicate, applied_rows = c.applied"
            " FROM (SELECT count(*) FILTER (WHERE outcome = 'valid') AS valid,"
            " count(*) FILTER (WHERE outcome = 'duplicate') AS duplicate,"
            " count(*) FILTER (WHERE outcome = 'applied') AS applied"
            " FROM ministry_import_row WHERE import_id = :id) c WHERE m.id = :id"
        ),
        {"id": import_id},
    )


async def fail(session: AsyncSession, import_id: int, error: str, warnings: Sequence[Any] = ()) -> None:
    await session.execute(text("DELETE FROM ministry_import_row WHERE import_id = :id"), {"id": import_id})
    await session.execute(
        update(MinistryImport)
        .where(col(MinistryImport.id) == import_id)
        .values(state=ImportState.FAILED, error=error, warnings=list(warnings), staged_at=datetime.now(UTC))
    )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
