"""Imports every bounded context's tables, so that Alembic and the tests see the whole registry schema."""

from domain.adjustments.models import AdjustmentObjection, PensionAdjustment
from domain.audit.models import AuditEntry
from domain.certifications.models import Certification, CertificationReminder, CertificationReport
from domain.channel_access.models import ChannelBinding, UsedAssertion
from domain.community_moves.models import CommunityMove, MoveMember
from domain.deaths.models import DeathRecord
from domain.dictionary.models import CodeEntry, Parameter
from domain.employers.models import Employer
from domain.handover.models import ArchiveCustody, ArchiveHandover, HandoverCounter, HandoverPerson
from domain.institutions.models import Institution
from domain.legacy.models import (
    LegacyRun,
    LegacyRunDifference,
    LegacyRunRefusal,
    LegacyRunStatus,
    LegacyRunTable,
    MigrationState,
    StageArchive,
    StageEvent,
    StagePerson,
    StageUnit,
)
from domain.ministry_imports.models import MinistryImport, MinistryImportFile, MinistryImportRow
from domain.notifications.models import ChannelPush, RetireeNotification
from domain.registrations.models import RegistrationApplication
from domain.residence.models import IncomingResident, Residence
from domain.retirees.models import Retiree, SupplementaryInfo
from domain.staff.models import ChannelClient, StaffAccount
from domain.status_log.models import RetireeStatePeriod, StatusChange
from domain.suspensions.models import BatchPerson, SuspensionBatch
from domain.suspicious.models import SuspiciousMatch, SuspiciousNameKey
from domain.transfers.models import Transfer

__all__ = [
    "AdjustmentObjection",
    "ArchiveCustody",
    "ArchiveHandover",
    "AuditEntry",
    "BatchPerson",
    "Certification",
    "CertificationReminder",
    "CertificationReport",
    "ChannelBinding",
    "ChannelClient",
    "ChannelPush",
    "CodeEntry",
    "CommunityMove",
    "DeathRecord",
    "Employer",
    "HandoverCounter",
    "HandoverPerson",
    "IncomingResident",
    "Institution",
    "LegacyRun",
    "LegacyRunDifference",
    "LegacyRunRefusal",
    "LegacyRunStatus",
    "LegacyRunTable",
    "MigrationState",
    "MinistryImport",
    "MinistryImportFile",
    "MinistryImportRow",
    "MoveMember",
    "Parameter",
    "PensionAdjustment",
    "RegistrationApplication",
    "Residence",
    "Retiree",
    "RetireeNotification",
    "RetireeStatePeriod",
    "StaffAccount",
    "StageArchive",
    "StageEvent",
    "StagePerson",
    "StageUnit",
    "StatusChange",
    "SupplementaryInfo",
    "SuspensionBatch",
    "SuspiciousMatch",
    "SuspiciousNameKey",
    "Transfer",
    "UsedAssertion",
]
