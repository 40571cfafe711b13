"""6.22 across retirees: the status-change log (the feed sent to the province) by date, kind, reason and sync state
— staff see what the province has not acknowledged yet, or refused."""

from __future__ import annotations

from domain.dictionary.codes import REASON_CODE_LABELS
from domain.queries.people import INSTITUTION, NAME
from domain.queries.spec import Choice, FilterKind, QueryContext, QueryFilter, QuerySpec, ResultColumn, Statement
from domain.queries.spec import ColumnKind as K
from domain.queries.sql import STATUS_LABEL_SQL, labels, like_prefix, whole_city
from domain.status_log.models import SyncState
from domain.status_log.queries import CHANGE_KIND_LABELS, SYNC_STATE_LABELS

UNACKNOWLEDGED = "unacknowledged"  # pending, sent or failed: not (yet) acknowledged by the province


def _changes(ctx: QueryContext) -> Statement:
    where, params = "", {}
    for key, column in (("kind", "sc.kind"), ("reason", "sc.reason_code")):
        if ctx.filters.get(key):
            where += f" AND {column} = :{key}"
            params[key] = ctx.filters[key]
    sync = ctx.filters.get("sync_state")
    if sync == UNACKNOWLEDGED:
        where += " AND sc.sync_state IN ('pending', 'sent', 'failed')"
    elif sync:
        where += " AND sc.sync_state = :sync_state"
        params["sync_state"] = sync
    if ctx.filters.get("from"):
        where += " AND sc.effective_date >= :from_date"
        params["from_date"] = ctx.filters["from"]
    if ctx.filters.get("to"):
        where += " AND sc.effective_date <= :to_date"
        params["to_date"] = ctx.filters["to"]
    if ctx.filters.get("name"):
        where += " AND r.name LIKE :name"
        params["name"] = like_prefix(ctx.filters["name"])
    # An entry with no institution (an approved person not registered anywhere) is seen by the whole city only; the
    # whole city sees every entry (every institution lies under the city's own path). Below it, the entries of the
    # scope's institutions, read through ix_status_change_institution_entered (an array computed once).
    scope = (
        "TRUE"
        if whole_city(ctx)
        else "sc.institution_id = ANY(ARRAY(SELECT si.id FROM institution si WHERE si.path LIKE :prefix))"
    )
    # The total counts the log's entries only: the person is joined for the name filter alone (every entry has one).
    person = "JOIN retiree r ON r.id = sc.retiree_id" if ctx.filters.get("name") else ""
    return Statement(
        f"""
        SELECT sc.id AS entry_number, 'SCL-' || lpad(sc.id::text, 12, '0') AS entry_id, sc.retiree_id,
               sc.personal_number, r.name, r.id_number,
               {labels("sc.kind", {k.value: v for k, v in CHANGE_KIND_LABELS.items()})} AS kind,
               {labels("sc.reason_code", {k.value: v for k, v in REASON_CODE_LABELS.items()})} AS reason,
               {labels("sc.from_status", STATUS_LABEL_SQL)} AS from_status,
               {labels("sc.to_status", STATUS_LABEL_SQL)} AS to_status,
               sc.effective_date, sc.entered_at, i.name AS institution,
               {labels("sc.sync_state", {k.value: v for k, v in SYNC_STATE_LABELS.items()})} AS sync_state,
               sc.sent_at, sc.acknowledged_at, sc.receipt_no, sc.sync_error
        FROM status_change sc
        JOIN retiree r ON r.id = sc.retiree_id
        LEFT JOIN institution i ON i.id = sc.institution_id
        WHERE {scope}{where}
        """,
        params,
        count_sql=f"SELECT count(*) FROM status_change sc {person} WHERE {scope}{where}",
    )


STATUS_CHANGES = QuerySpec(
    id="6.22",
    title="人员状态变更查询",
    description="人员状态变更记录（上报省平台的数据）：按生效日期、变更类型、原因和上报状态查询，可查看省平台尚未确认或上报失败的记录。",
    columns=(
        ResultColumn("entry_id", "变更记录号", width=34, sortable=True),
        ResultColumn("personal_number", "个人编号", width=28, sortable=True),
        ResultColumn("name", "姓名", width=18, sortable=True),
        ResultColumn("id_number", "身份证号", K.ID_NUMBER, width=40),
        ResultColumn("kind", "变更类型", width=20, sortable=True),
        ResultColumn("reason", "变更原因", width=30),
        ResultColumn("from_status", "变更前状态", width=22),
        ResultColumn("to_status", "变更后状态", width=22),
        ResultColumn("effective_date", "生效日期", K.DATE, width=22, sortable=True),
        ResultColumn("entered_at", "录入时间", K.DATETIME, width=34, sortable=True),
        ResultColumn("institution", "办理机构", width=36),
        ResultColumn("sync_state", "上报状态", width=30, sortable=True),
        ResultColumn("acknowledged_at", "省平台确认时间", K.DATETIME, width=34),
        ResultColumn("receipt_no", "省平台回执号", width=30),
        ResultColumn("sync_error", "上报失败原因", width=50),
    ),
    filters=(
        QueryFilter("from", "生效日期自", FilterKind.DATE),
        QueryFilter("to", "生效日期至", FilterKind.DATE),
        QueryFilter(
            "kind", "变更类型", FilterKind.CHOICE, tuple(Choice(k.value, v) for k, v in CHANGE_KIND_LABELS.items())
        ),
        QueryFilter(
            "reason", "变更原因", FilterKind.CHOICE, tuple(Choice(k.value, v) for k, v in REASON_CODE_LABELS.items())
        ),
        QueryFilter(
            "sync_state",
            "上报状态",
            FilterKind.CHOICE,
            (
                Choice(UNACKNOWLEDGED, "省平台未确认（待上报、已上报、失败）"),
                *(Choice(s.value, SYNC_STATE_LABELS[s]) for s in SyncState),
            ),
        ),
        INSTITUTION,
        NAME,
    ),
    build=_changes,
    default_sort="-entered_at",
    tiebreak="entry_number",
)
