"""Everything that happened to one retiree, newest first (issue 13): one list of typed entries read from the records
each context keeps — the status-change log (6.22, with whether the province acknowledged each change; a registration
and a supplementary-info capture are entries of that log too), the certifications (4.3, 2.6, 2.7), the mobile
registration applications (4.1) and, from the audit trail, the arrival from the provincial sync (2.2) and the
province's later base-info changes (2.3, 1.5, 2.4).

Supplementary info (4.2) keeps no field history: the record holds the current values only, and each capture is one
log entry (who, when). The timeline says so rather than guessing which fields changed.

Reading a timeline is scoped like the detail view and, like it, audited (``retiree.view_timeline``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.adjustments.models import (
    OBJECTION_CATEGORY_LABELS,
    OBJECTION_RESULT_LABELS,
    AdjustmentObjection,
    ObjectionCategory,
    ObjectionResult,
)
from domain.audit import trail
from domain.audit.models import AuditEntry
from domain.certifications.due import SOURCE_LABELS
from domain.certifications.models import Certification
from domain.certifications.rules import CertificationSource
from domain.deaths.models import DeathRecord
from domain.deaths.rules import EVIDENCE_LABELS, RECOVERY_STATE_LABELS, DeathEvidence, RecoveryState
from domain.dictionary.codes import REASON_CODE_LABELS, ReasonCode
from domain.handover.models import DISCREPANCY_LABELS
from domain.handover.queries import RetireeBatch
from domain.handover.queries import of_retiree as handover_batches
from domain.institutions.models import Institution
from domain.registrations.models import APPLICATION_STATE_LABELS, ApplicationState, RegistrationApplication
from domain.residence.cities import city_name, is_local
from domain.residence.models import Residence
from domain.retirees.lifecycle import STATUS_LABELS, ChangeKind, Status
from domain.retirees.models import Retiree
from domain.retirees.service import in_scope
from domain.shared.actor import Actor
from domain.shared.calendar import BUSINESS_TZ
from domain.status_log.models import CauseType, StatusChange, SyncState
from domain.status_log.queries import CAUSE_TYPE_LABELS, CHANGE_KIND_LABELS, SYNC_STATE_LABELS
from domain.suspensions.models import BatchPerson, Outcome, SuspensionBatch


class TimelineKind(StrEnum):
    ARRIVED = "arrived"  # entered the registry (2.2 approval from the province, or imported)
    PROVINCIAL_UPDATE = "provincial_update"  # the province changed base info or payment status (2.3, 1.5, 2.4)
    REGISTRATION_APPLICATION = "registration_application"  # applied in a mobile app (4.1)
    REGISTRATION = "registration"  # registered at a community, at the counter or by a confirmed application (4.1)
    SUPPLEMENTARY_INFO = "supplementary_info"  # supplementary info captured (4.2)
    STATUS_CHANGE = "status_change"  # any other change of status: transfer, suspension, resumption, death, restoration
    CERTIFICATION = "certification"  # a proof-of-life certification (4.3, face result, 2.6, 2.7)
    DEATH = "death"  # a death recorded by staff, with the pension overpaid after it (4.6)
    OVERPAYMENT = "overpayment"  # the overpaid pension marked recovered or waived (4.6)
    SUSPENSION_HELD = "suspension_held"  # a nightly rule's suspension held by the brake for a city decision (4.5)
    RESIDENCE = "residence"  # where the retiree lives recorded or changed (4.7; not a status, not sent to the province)
    ADJUSTMENT_OBJECTION = "adjustment_objection"  # 调资异议 recorded, answered or withdrawn (4.10; not a status)
    ARCHIVE_HANDOVER = "archive_handover"  # the archive submitted / received in an employer's hand-over (3.1, 3.3)


class RegistrationChannel(StrEnum):
    COUNTER = "counter"
    MOBILE = "mobile"
    OTHER = "other"  # a sync or an import


REGISTRATION_CHANNEL_LABELS = {
    RegistrationChannel.COUNTER: "社区窗口登记",
    RegistrationChannel.MOBILE: "手机端申请登记",
    RegistrationChannel.OTHER: "其他（同步或导入）",
}

_PROVINCIAL_ACTIONS = {
    "retiree.approved": "省平台核准，纳入本系统",
    "retiree.approval_refreshed": "省平台重新发送核准信息",
    "retiree.changed": "省平台人员变更（交换库）",
    "retiree.corrected": "省平台基本信息更正",
    "retiree.payment_status_changed": "省平台待遇发放状态变更",
}


def reason_label(code: str) -> str:
    return REASON_CODE_LABELS[ReasonCode(code)] if code in set(ReasonCode) else code


def _status_label(status: str) -> str:
    return STATUS_LABELS[Status(status)] if status in set(Status) else status


@dataclass(frozen=True)
class ChangeDetail:
    id: int
    entry_id: str
    change_kind: str
    change_kind_label: str
    reason_code: str
    reason_label: str
    from_status: str
    from_status_label: str
    to_status: str
    to_status_label: str
    effective_date: date
    entered_at: datetime | None
    cause_type: str
    cause_label: str
    cause_ref: str | None
    actor: str | None
    remarks: str | None
    reverses_id: int | None
    sync_state: str
    sync_state_label: str
    sent_at: datetime | None
    acknowledged_at: datetime | None
    receipt_no: str | None
    sync_error: str | None

    @classmethod
    def of(cls, e: StatusChange) -> ChangeDetail:
        assert e.id is not None
        return cls(
            id=e.id,
            entry_id=e.entry_id,
            change_kind=e.kind,
            change_kind_label=CHANGE_KIND_LABELS.get(ChangeKind(e.kind), e.kind),
            reason_code=e.reason_code,
            reason_label=reason_label(e.reason_code),
            from_status=e.from_status,
            from_status_label=_status_label(e.from_status),
            to_status=e.to_status,
            to_status_label=_status_label(e.to_status),
            effective_date=e.effective_date,
            entered_at=e.entered_at,
            cause_type=e.cause_type,
            cause_label=CAUSE_TYPE_LABELS.get(CauseType(e.cause_type), e.cause_type),
            cause_ref=e.cause_ref,
            actor=e.actor,
            remarks=e.remarks,
            reverses_id=e.reverses_id,
            sync_state=e.sync_state,
            sync_state_label=SYNC_STATE_LABELS.get(SyncState(e.sync_state), e.sync_state),
            sent_at=e.sent_at,
            acknowledged_at=e.acknowledged_at,
            receipt_no=e.receipt_no,
            sync_error=e.sync_error,
        )


@dataclass(frozen=True)
class RegistrationDetail:
    channel: RegistrationChannel
    channel_label: str
    institution_id: int | None
    institution: str | None
    effective_date: date
    application_id: str | None


@dataclass(frozen=True)
class ApplicationDetail:
    application_id: str
    community_id: int
    community: str | None
    state: str
    state_label: str
    submitted_at: datetime | None
    decided_at: datetime | None
    reject_reason: str | None


@dataclass(frozen=True)
class CertificationDetail:
    certified_on: date
    source: str
    source_label: str
    method: str
    certified_by: str | None


@dataclass(frozen=True)
class SupplementaryDetail:
    recorded_by: str | None
    field_history_kept: bool
    note: str


@dataclass(frozen=True)
class ProvincialDetail:
    action: str
    fields: list[str]
    approval_date: date | None
    event_id: str | None


@dataclass(frozen=True)
class DeathDetail:
    death_id: int
    death_date: date
    evidence: str
    evidence_label: str
    document_number: str | None
    recorded_by: str
    overpaid_months: list[str]
    overpaid_amount: Decimal
    recovery_state: str
    recovery_state_label: str
    recovery_remarks: str | None
    withdrawn: bool


@dataclass(frozen=True)
class Entry:
    kind: TimelineKind
    at: datetime
    title: str
    status_change: ChangeDetail | None = None
    registration: RegistrationDetail | None = None
    application: ApplicationDetail | None = None
    certification: CertificationDetail | None = None
    supplementary: SupplementaryDetail | None = None
    provincial: ProvincialDetail | None = None
    death: DeathDetail | None = None


@dataclass(frozen=True)
class Timeline:
    retiree: Retiree
    entries: list[Entry]


_NO_HISTORY = "补充信息只保存当前值，未保留逐项修改历史；此处记录采集的时间和经办人"


def _from_change(e: StatusChange, names: dict[int, str]) -> Entry:
    detail = ChangeDetail.of(e)
    at = e.entered_at or datetime.combine(e.effective_date, time.min, tzinfo=BUSINESS_TZ)
    if e.kind == ChangeKind.REGISTERED:
        channel = {CauseType.STAFF: RegistrationChannel.COUNTER, CauseType.CHANNEL: RegistrationChannel.MOBILE}.get(
            CauseType(e.cause_type), RegistrationChannel.OTHER
        )
        institution_id = e.after_state.get("institution_id")
        registration = RegistrationDetail(
            channel=channel,
            channel_label=REGISTRATION_CHANNEL_LABELS[channel],
            institution_id=institution_id,
            institution=names.get(institution_id) if institution_id else None,
            effective_date=e.effective_date,
            application_id=e.cause_ref if channel is RegistrationChannel.MOBILE else None,
        )
        title = f"{REGISTRATION_CHANNEL_LABELS[channel]}：{registration.institution or ''}".rstrip("：")
        return Entry(TimelineKind.REGISTRATION, at, title, status_change=detail, registration=registration)
    if e.kind == ChangeKind.SUPPLEMENTARY_INFO_RECORDED:
        supplementary = SupplementaryDetail(recorded_by=e.actor, field_history_kept=False, note=_NO_HISTORY)
        return Entry(
            TimelineKind.SUPPLEMENTARY_INFO, at, "补充信息采集", status_change=detail, supplementary=supplementary
        )
    title = f"{detail.change_kind_label}（{detail.reason_label}）"
    if e.kind == ChangeKind.INSTITUTION_CHANGED:  # 4.8: 机构调整 from the old community to the new one
        before, after = e.before_state.get("institution_id"), e.after_state.get("institution_id")
        title = f"机构调整：{names.get(before, '') if before else ''} → {names.get(after, '') if after else ''}"
        return Entry(TimelineKind.STATUS_CHANGE, at, f"{title}（{detail.reason_label}）", status_change=detail)
    if e.kind in (ChangeKind.TRANSFERRED_OUT, ChangeKind.TRANSFERRED_IN) and e.after_state.get("institution_id"):
        title += f"：{names.get(e.after_state['institution_id'], '')}".rstrip("：")  # 4.4: where from / where to
    return Entry(TimelineKind.STATUS_CHANGE, at, title, status_change=detail)


def _from_application(a: RegistrationApplication, names: dict[int, str]) -> Entry:
    state = ApplicationState(a.state)
    detail = ApplicationDetail(
        application_id=a.id,
        community_id=a.community_id,
        community=names.get(a.community_id),
        state=a.state,
        state_label=APPLICATION_STATE_LABELS[state],
        submitted_at=a.submitted_at,
        decided_at=a.decided_at,
        reject_reason=a.reject_reason,
    )
    at = a.submitted_at or datetime.now(UTC)
    title = f"手机端登记申请：{detail.community or ''}（{detail.state_label}）"
    return Entry(TimelineKind.REGISTRATION_APPLICATION, at, title, application=detail)


def _from_certification(c: Certification) -> Entry:
    source = CertificationSource(c.source) if c.source in set(CertificationSource) else None
    label = SOURCE_LABELS[source] if source else c.source
    detail = CertificationDetail(
        certified_on=c.certified_on, source=c.source, source_label=label, method=c.method, certified_by=c.certified_by
    )
    at = c.recorded_at or datetime.combine(c.certified_on, time.min, tzinfo=BUSINESS_TZ)
    return Entry(TimelineKind.CERTIFICATION, at, f"资格认证（{label}）", certification=detail)


def _from_death(d: DeathRecord, restored: set[int]) -> list[Entry]:
    """The death record (4.6), and a second entry when its overpayment was marked recovered or waived."""
    assert d.id is not None
    withdrawn = d.status_change_id in restored
    state = RecoveryState.CANCELLED if withdrawn else RecoveryState(d.recovery_state)
    evidence = EVIDENCE_LABELS[DeathEvidence(d.evidence)] if d.evidence in set(DeathEvidence) else d.evidence
    detail = DeathDetail(
        death_id=d.id,
        death_date=d.death_date,
        evidence=d.evidence,
        evidence_label=evidence,
        document_number=d.document_number,
        recorded_by=d.recorded_by,
        overpaid_months=list(d.overpaid_months),
        overpaid_amount=d.overpaid_amount,
        recovery_state=state.value,
        recovery_state_label=RECOVERY_STATE_LABELS[state],
        recovery_remarks=d.recovery_remarks,
        withdrawn=withdrawn,
    )
    at = d.recorded_at or datetime.combine(d.recorded_on, time.min, tzinfo=BUSINESS_TZ)
    owed = f"多发待遇{len(d.overpaid_months)}个月共{d.overpaid_amount}元" if d.overpaid_months else "无多发待遇"
    title = f"死亡登记（{evidence}，死亡日期 {d.death_date.isoformat()}）：{owed}" + ("，已撤销" if withdrawn else "")
    entries = [Entry(TimelineKind.DEATH, at, title, death=detail)]
    if d.recovery_marked_at is not None:
        mark = RECOVERY_STATE_LABELS[RecoveryState(d.recovery_state)]
        entries.append(Entry(TimelineKind.OVERPAYMENT, d.recovery_marked_at, f"多发待遇{mark}", death=detail))
    return entries


_HELD_OUTCOMES = {
    Outcome.HELD.value: "待市级审批",
    Outcome.SUSPENDED.value: "已批准并暂停",
    Outcome.SKIPPED.value: "已批准，但情况已变化，未暂停",
    Outcome.REJECTED.value: "已驳回，未暂停",
}


def _from_held(person: BatchPerson, batch: SuspensionBatch) -> Entry:
    """A nightly rule's suspension the brake held (4.5, issue 14): when it was held and what became of it (the
    suspension itself, if approved, is a status-change entry of its own)."""
    at = batch.created_at or datetime.combine(batch.night, time.min, tzinfo=BUSINESS_TZ)
    outcome = _HELD_OUTCOMES.get(person.outcome.value, person.outcome.value)
    why = (
        f"，驳回原因：{batch.rejection_reason}" if person.outcome is Outcome.REJECTED and batch.rejection_reason else ""
    )
    title = f"规则暂停（{reason_label(person.reason_code)}）超过上限被挂起，批次 {batch.id}：{outcome}{why}"
    return Entry(TimelineKind.SUSPENSION_HELD, at, title)


def _from_residence(r: Residence) -> Entry:
    """A residence recorded (4.7): the city, since when, and whether that makes the person non-local."""
    at = r.recorded_at or datetime.combine(r.since, time.min, tzinfo=BUSINESS_TZ)
    where = f"{city_name(r.city_code) or ''}（{r.city_code}）"
    kind = "本市" if is_local(r.city_code) else "异地居住"
    return Entry(TimelineKind.RESIDENCE, at, f"居住地登记为{where}，{kind}，自 {r.since.isoformat()} 起")


def _from_handover(b: RetireeBatch) -> list[Entry]:
    """An employer's hand-over of the archive (3.1, 3.3): submitted to the agency, then received (not a status, not
    sent to the province)."""
    entries = []
    if b.submitted_at is not None:
        title = f"档案移交：单位提交移交批次 {b.number}，接收机构 {b.agency}"
        entries.append(Entry(TimelineKind.ARCHIVE_HANDOVER, b.submitted_at, title))
    if b.received_at is not None:
        noted = f"，有差异：{DISCREPANCY_LABELS[b.discrepancy]}" if b.discrepancy else ""
        title = f"档案移交：{b.agency}已接收档案，批次 {b.number}{noted}"
        entries.append(Entry(TimelineKind.ARCHIVE_HANDOVER, b.received_at, title))
    return entries


def _from_objection(o: AdjustmentObjection) -> list[Entry]:
    """A 调资异议 (4.10): recorded, and answered or withdrawn."""
    category = OBJECTION_CATEGORY_LABELS.get(ObjectionCategory(o.category), o.category)
    at = o.recorded_at or datetime.now(UTC)
    entries = [Entry(TimelineKind.ADJUSTMENT_OBJECTION, at, f"调资异议登记：{o.adjustment_year}年，{category}")]
    if o.answered_at is not None and o.result is not None:
        result = OBJECTION_RESULT_LABELS.get(ObjectionResult(o.result), o.result)
        note = f"：{o.answer_note}" if o.answer_note else ""
        entries.append(Entry(TimelineKind.ADJUSTMENT_OBJECTION, o.answered_at, f"调资异议答复（{result}）{note}"))
    if o.withdrawn_at is not None:
        entries.append(Entry(TimelineKind.ADJUSTMENT_OBJECTION, o.withdrawn_at, f"调资异议撤回：{o.adjustment_year}年"))
    return entries


def _changed_fields(action: str, detail: dict[str, Any]) -> list[str]:
    if action == "retiree.changed":
        return sorted(detail.get("changes", {}))
    if action == "retiree.corrected":
        return sorted(detail.get("after", {}))
    if action == "retiree.payment_status_changed":
        return ["payment_status"]
    return []


def _from_audit(a: AuditEntry, retiree: Retiree) -> Entry:
    arrived = a.action == "retiree.approved"
    detail = ProvincialDetail(
        action=a.action,
        fields=_changed_fields(a.action, a.detail),
        approval_date=retiree.approval_date if arrived else None,
        event_id=a.detail.get("event"),
    )
    kind = TimelineKind.ARRIVED if arrived else TimelineKind.PROVINCIAL_UPDATE
    return Entry(kind, a.at, _PROVINCIAL_ACTIONS[a.action], provincial=detail)


def _created(retiree: Retiree) -> Entry:
    """No approval in the audit trail (seeded or imported data): the row's creation is the arrival."""
    at = retiree.created_at or datetime.now(UTC)
    detail = ProvincialDetail(action="created", fields=[], approval_date=retiree.approval_date, event_id=None)
    return Entry(TimelineKind.ARRIVED, at, "纳入本系统", provincial=detail)


async def _names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(col(Institution.id), col(Institution.name)).where(col(Institution.id).in_(ids)))
    return {i: name for i, name in rows.all() if i is not None}


async def _rows(session: AsyncSession, query: Any) -> list[Any]:
    return list((await session.execute(query)).scalars().all())


async def timeline(session: AsyncSession, actor: Actor, retiree_id: int) -> Timeline:
    """The retiree's timeline, newest first; refused like the detail view outside the caller's subtree."""
    retiree = await in_scope(session, actor, retiree_id)
    changes: list[StatusChange] = await _rows(
        session, select(StatusChange).where(col(StatusChange.retiree_id) == retiree_id)
    )
    applications: list[RegistrationApplication] = await _rows(
        session, select(RegistrationApplication).where(col(RegistrationApplication.retiree_id) == retiree_id)
    )
    certifications: list[Certification] = await _rows(
        session, select(Certification).where(col(Certification.retiree_id) == retiree_id)
    )
    deaths: list[DeathRecord] = await _rows(
        session, select(DeathRecord).where(col(DeathRecord.retiree_id) == retiree_id)
    )
    held = (
        await session.execute(
            select(BatchPerson, SuspensionBatch)
            .join(SuspensionBatch, col(SuspensionBatch.id) == col(BatchPerson.batch_id))
            .where(col(BatchPerson.retiree_id) == retiree_id)
        )
    ).all()
    residences: list[Residence] = await _rows(session, select(Residence).where(col(Residence.retiree_id) == retiree_id))
    objections: list[AdjustmentObjection] = await _rows(
        session, select(AdjustmentObjection).where(col(AdjustmentObjection.retiree_id) == retiree_id)
    )
    restored = {e.reverses_id for e in changes if e.reverses_id is not None}
    audits: list[AuditEntry] = await _rows(
        session,
        select(AuditEntry)
        .where(col(AuditEntry.retiree_id) == retiree_id)
        .where(col(AuditEntry.action).in_(list(_PROVINCIAL_ACTIONS))),
    )
    ids = (
        {a.community_id for a in applications}
        | {e.after_state["institution_id"] for e in changes if e.after_state.get("institution_id")}
        | {e.before_state["institution_id"] for e in changes if e.before_state.get("institution_id")}
    )
    names = await _names(session, ids)
    entries = [
        *(_from_change(e, names) for e in changes),
        *(_from_application(a, names) for a in applications),
        *(_from_certification(c) for c in certifications),
        *(_from_audit(a, retiree) for a in audits),
        *(entry for d in deaths for entry in _from_death(d, restored)),
        *(_from_held(person, batch) for person, batch in held),
        *(_from_residence(r) for r in residences),
        *(entry for o in objections for entry in _from_objection(o)),
        *(entry for b in await handover_batches(session, retiree_id) for entry in _from_handover(b)),
    ]
    if not any(e.kind is TimelineKind.ARRIVED for e in entries):
        entries.append(_created(retiree))
    entries.sort(key=lambda e: e.at, reverse=True)
    await trail.record(session, actor, "retiree.view_timeline", retiree_id=retiree_id, target=retiree.personal_number)
    return Timeline(retiree, entries)
