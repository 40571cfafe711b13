"""The domain's failure vocabulary: each error has a stable code for machines and a Chinese message for staff.

:class:`ErrorCode` is the one catalogue of those codes — the domain's, and the ones the API itself answers with
(validation, authentication, the authentication platform's webhook) — so the OpenAPI document can list them all
(``ErrorBody.code`` in channels/errors.py is typed with it). A new code is a new member here.

The API turns them into 4xx answers (channels/errors.py); the hub's consumer classifies any error it does not
know as permanent, so an event that breaks a business rule is dead-lettered with the reason instead of retried.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    """Every ``code`` an error answer of the hub can carry. domain/shared/errors.py says, member by member, when each
    is raised."""

    # Institutions (1.1)
    ROOT_RESERVED = "ROOT_RESERVED"  # creating an institution without a parent: the city root exists from setup only
    NO_CHILD_LEVEL = "NO_CHILD_LEVEL"  # creating an institution under a community, the lowest level
    INSTITUTION_CODE_TAKEN = "INSTITUTION_CODE_TAKEN"  # creating an institution with a code already used
    OWN_INSTITUTION = "OWN_INSTITUTION"  # staff changing or deleting the institution they belong to
    INSTITUTION_IN_USE = "INSTITUTION_IN_USE"  # deleting an institution that children, staff or retirees refer to
    INSTITUTION_NOT_FOUND = "INSTITUTION_NOT_FOUND"  # a staff account names an institution that does not exist

    # Staff accounts, roles and permissions (1.2, 1.3)
    STAFF_NOT_FOUND = "STAFF_NOT_FOUND"  # the staff account does not exist or is outside the caller's scope
    USERNAME_TAKEN = "USERNAME_TAKEN"  # creating a staff account with a username already used
    SELF_DEACTIVATION = "SELF_DEACTIVATION"  # an administrator deactivating their own account
    SELF_GRANT = "SELF_GRANT"  # an administrator granting a role to their own account
    ROLE_LEVEL = "ROLE_LEVEL"  # granting a role the account's institution level may not hold
    ADMIN_NEEDS_ID = "ADMIN_NEEDS_ID"  # granting an administrator role to an account with no ID number recorded
    SEPARATION_OF_DUTIES = "SEPARATION_OF_DUTIES"  # one person would hold two of the three administrator roles
    PERMISSION_DENIED = "PERMISSION_DENIED"  # the caller's role does not allow the operation
    NOT_FOUND = "NOT_FOUND"  # the record does not exist or is outside the caller's institution scope
    CITY_LEVEL_ONLY = "CITY_LEVEL_ONLY"  # below city level, asking for retirees who belong to no institution yet

    # Dictionary codes and rule parameters (1.4)
    UNKNOWN_CODE = "UNKNOWN_CODE"  # a submitted value is not a code of its dictionary category
    CODE_EXISTS = "CODE_EXISTS"  # adding a code its category already has
    CODE_NOT_FOUND = "CODE_NOT_FOUND"  # changing or deleting a code its category does not have
    CODE_BUILTIN = "CODE_BUILTIN"  # deleting a built-in code (it can only be deactivated)
    CODE_IN_USE = "CODE_IN_USE"  # deleting a code retirees still carry (it can only be deactivated)
    PARAMETER_NOT_FOUND = "PARAMETER_NOT_FOUND"  # setting a rule parameter that does not exist
    PARAMETER_NOT_A_CODE_LIST = "PARAMETER_NOT_A_CODE_LIST"  # a code-list parameter set to something else
    PARAMETER_NOT_A_NUMBER = "PARAMETER_NOT_A_NUMBER"  # a numeric parameter set to something not a whole number >= 0
    PARAMETER_OUT_OF_RANGE = "PARAMETER_OUT_OF_RANGE"  # a rule parameter set outside its valid range (1.4)
    PARAMETER_NOT_A_TIME_RANGE = "PARAMETER_NOT_A_TIME_RANGE"  # a time-range parameter not "HH:MM-HH:MM" (1.4)

    # Retirees and their identity numbers (GB 11643, 4.1, 4.2)
    RETIREE_NOT_FOUND = "RETIREE_NOT_FOUND"  # no retiree with that id, personal number or ID number
    ID_LENGTH = "ID_LENGTH"  # an ID number neither 18 nor (legacy) 15 characters long
    ID_CHARACTERS = "ID_CHARACTERS"  # an ID number with a character other than digits and a final X
    ID_BIRTH_DATE = "ID_BIRTH_DATE"  # an ID number whose birth date is not a date, too early or in the future
    ID_CHECK_CHARACTER = "ID_CHECK_CHARACTER"  # an ID number whose MOD 11-2 check character is wrong
    ID_AREA_CODE = "ID_AREA_CODE"  # an ID number whose first six digits are no GB/T 2260 division, past or present
    ID_BIRTH_MISMATCH = "ID_BIRTH_MISMATCH"  # a declared birth date that differs from the ID number's
    ID_SEX_MISMATCH = "ID_SEX_MISMATCH"  # a declared sex that differs from the ID number's
    AGED_IS_COMPUTED = "AGED_IS_COMPUTED"  # supplementary info naming the aged category, which comes from birth date

    # Events from the province (2.1 - 2.7): a consumer raises these, the hub parks or dead-letters the event
    RETIREE_NOT_YET_KNOWN = "RETIREE_NOT_YET_KNOWN"  # an event about a retiree whose approval has not arrived yet
    ID_NUMBER_TAKEN = "ID_NUMBER_TAKEN"  # an approval whose ID number already belongs to another personal number

    # Registration at a community (4.1), from staff and from the mobile app
    COMMUNITY_ONLY = "COMMUNITY_ONLY"  # registering a retiree from an account that is not a community's
    ID_NUMBER_NOT_FOUND = "ID_NUMBER_NOT_FOUND"  # the app's applicant gave an ID number no retiree has
    NAME_MISMATCH = "NAME_MISMATCH"  # the app's applicant gave a name other than the ID number's retiree's
    PERSONAL_NUMBER_MISMATCH = "PERSONAL_NUMBER_MISMATCH"  # the app's applicant gave another retiree's number
    ALREADY_REGISTERED = "ALREADY_REGISTERED"  # registering, or applying for, a retiree already registered
    CANNOT_APPLY = "CANNOT_APPLY"  # applying in the app for a retiree whose status is not "approved"
    COMMUNITY_NOT_FOUND = "COMMUNITY_NOT_FOUND"  # applying in the app to a community code that does not exist
    APPLICATION_PENDING = "APPLICATION_PENDING"  # applying in the app while an earlier application awaits a decision
    APPLICATION_NOT_FOUND = "APPLICATION_NOT_FOUND"  # deciding an application that does not exist or is out of scope
    APPLICATION_DECIDED = "APPLICATION_DECIDED"  # confirming or rejecting an application already decided
    REASON_REQUIRED = "REASON_REQUIRED"  # rejecting an application without a reason

    # The lifecycle and the status-change log (6.22), suspensions and resumptions (4.5)
    ILLEGAL_TRANSITION = "ILLEGAL_TRANSITION"  # a lifecycle command the retiree's current status does not allow
    STATUS_CHANGE_NOT_FOUND = "STATUS_CHANGE_NOT_FOUND"  # restoring a status-change entry that does not exist
    RESTORE_OF_RESTORATION = "RESTORE_OF_RESTORATION"  # restoring an entry that is itself an error restoration
    ALREADY_RESTORED = "ALREADY_RESTORED"  # restoring an entry already restored
    RESTORE_NOT_LATEST = "RESTORE_NOT_LATEST"  # restoring an entry after which the retiree's status changed again
    RESTORE_NOTHING = "RESTORE_NOTHING"  # restoring an entry that did not change the retiree's status
    NOT_SUSPENDED = "NOT_SUSPENDED"  # resuming a retiree who is not suspended
    CERTIFICATION_STILL_OVERDUE = "CERTIFICATION_STILL_OVERDUE"  # resuming, by staff, a retiree still overdue
    SUSPENSION_BATCH_NOT_FOUND = "SUSPENSION_BATCH_NOT_FOUND"  # a held-suspension batch id that does not exist
    SUSPENSION_BATCH_DECIDED = "SUSPENSION_BATCH_DECIDED"  # approving or rejecting a batch already decided
    SUSPENSION_BATCH_EMPTY_SELECTION = "SUSPENSION_BATCH_EMPTY_SELECTION"  # approving nobody still held in it
    RULES_BEFORE_MIGRATION = "RULES_BEFORE_MIGRATION"  # suspending by rule before the legacy migration is complete

    # Death registration and the pension overpaid after it (4.6)
    DEATH_DATE_IN_FUTURE = "DEATH_DATE_IN_FUTURE"  # recording a death dated after today (the city's calendar)
    DEATH_BEFORE_BIRTH = "DEATH_BEFORE_BIRTH"  # recording a death dated before the retiree's birth date
    ALREADY_DECEASED = "ALREADY_DECEASED"  # recording the death of a retiree already recorded deceased
    DEATH_NOT_FOUND = "DEATH_NOT_FOUND"  # asking for the death record of a retiree with none
    OVERPAYMENT_NOT_FOUND = "OVERPAYMENT_NOT_FOUND"  # marking a death record that does not exist or is out of scope
    OVERPAYMENT_NOT_TO_RECOVER = "OVERPAYMENT_NOT_TO_RECOVER"  # marking an overpayment not (or no longer) to recover
    INVALID_RECOVERY_OUTCOME = "INVALID_RECOVERY_OUTCOME"  # marking an overpayment other than recovered or waived

    # Transfers (4.4)
    TRANSFER_NOT_FOUND = "TRANSFER_NOT_FOUND"  # a transfer that does not exist or neither side of it is the caller's
    TRANSFER_TARGET_REQUIRED = "TRANSFER_TARGET_REQUIRED"  # within the city without a receiving community
    TRANSFER_TARGET_INVALID = "TRANSFER_TARGET_INVALID"  # the receiving institution is not an active community
    TRANSFER_SAME_COMMUNITY = "TRANSFER_SAME_COMMUNITY"  # transferring to the community the person is already at
    TRANSFER_DESTINATION_REQUIRED = "TRANSFER_DESTINATION_REQUIRED"  # out of the city without the destination city
    TRANSFER_DESTINATION_INVALID = "TRANSFER_DESTINATION_INVALID"  # a destination not a GB/T 2260 city code
    TRANSFER_CLOSED = "TRANSFER_CLOSED"  # taking in or cancelling a transfer already cancelled or taken in
    TRANSFER_SENDER_ONLY = "TRANSFER_SENDER_ONLY"  # the receiving side trying to cancel a transfer
    TRANSFER_DATE_INVALID = "TRANSFER_DATE_INVALID"  # a date after today, or taking in before the transfer took effect

    # Non-local residents (4.7)
    RESIDENCE_CITY_INVALID = "RESIDENCE_CITY_INVALID"  # a residence or insuring place not a city-level GB/T 2260 code
    RESIDENCE_DATE_INVALID = "RESIDENCE_DATE_INVALID"  # a residence since a date after today or before the birth date
    NON_LOCAL_ONLY = "NON_LOCAL_ONLY"  # an insuring agency registering a person with no residence in another city
    INCOMING_RESIDENT_NOT_FOUND = "INCOMING_RESIDENT_NOT_FOUND"  # an insured-elsewhere resident absent or out of scope
    INCOMING_RESIDENT_EXISTS = "INCOMING_RESIDENT_EXISTS"  # recording an insured-elsewhere resident a second time
    INCOMING_PLACE_LOCAL = "INCOMING_PLACE_LOCAL"  # an insured-elsewhere resident whose insuring place is this city
    INCOMING_COMMUNITY_INVALID = "INCOMING_COMMUNITY_INVALID"  # the community chosen is not a community in scope
    INCOMING_NAME_REQUIRED = "INCOMING_NAME_REQUIRED"  # an insured-elsewhere resident recorded without a name

    # Community split and merge (4.8)
    MOVE_NOT_FOUND = "MOVE_NOT_FOUND"  # a community move that does not exist or is outside the caller's scope
    MOVE_COMMUNITY_INVALID = "MOVE_COMMUNITY_INVALID"  # a source or target that is not an active community
    MOVE_SAME_COMMUNITY = "MOVE_SAME_COMMUNITY"  # moving people to the community they are in
    MOVE_DIFFERENT_STREET = "MOVE_DIFFERENT_STREET"  # source and target under different streets/towns
    MOVE_STREET_LEVEL_ONLY = "MOVE_STREET_LEVEL_ONLY"  # a community's own staff moving people (street or above only)
    MOVE_DATE_INVALID = "MOVE_DATE_INVALID"  # an effective date after today or before a person's registration
    MOVE_SELECTION_REQUIRED = "MOVE_SELECTION_REQUIRED"  # a split with neither a list nor a filter
    MOVE_NOBODY = "MOVE_NOBODY"  # the selection holds nobody who can move
    MOVE_ALREADY_OPEN = "MOVE_ALREADY_OPEN"  # a second move from a source while one is pending or running
    MOVE_ACCOUNTS_CHOICE = "MOVE_ACCOUNTS_CHOICE"  # a merge without saying what becomes of the source's accounts
    MOVE_OPEN_TRANSFERS = "MOVE_OPEN_TRANSFERS"  # merging a community with transfers out of or into it still open

    # Employer hand-over of archives (3.1 - 3.3)
    HANDOVER_NOT_FOUND = "HANDOVER_NOT_FOUND"  # a hand-over batch that does not exist or whose agency is out of scope
    HANDOVER_NOT_EDITABLE = "HANDOVER_NOT_EDITABLE"  # editing a batch neither drafted nor returned
    HANDOVER_STATE = "HANDOVER_STATE"  # submitting, receiving or returning a batch whose state does not allow it
    HANDOVER_VERSION_CONFLICT = "HANDOVER_VERSION_CONFLICT"  # editing a batch changed meanwhile (stale version)
    HANDOVER_AGENCY_INVALID = "HANDOVER_AGENCY_INVALID"  # the receiving institution is not an active district agency
    HANDOVER_AGENCY_ONLY = "HANDOVER_AGENCY_ONLY"  # neither the city bureau nor the receiving agency acting on it
    HANDOVER_EMPLOYER_NOT_FOUND = "HANDOVER_EMPLOYER_NOT_FOUND"  # an employer code or id that does not exist
    HANDOVER_EMPTY = "HANDOVER_EMPTY"  # a batch without people, or one person listed twice
    HANDOVER_ITEMS_REQUIRED = "HANDOVER_ITEMS_REQUIRED"  # a person listed without any archive item
    HANDOVER_VOUCHER_INVALID = "HANDOVER_VOUCHER_INVALID"  # a voucher without number, amount <= 0 or dated ahead
    HANDOVER_PERSON_NOT_OF_EMPLOYER = "HANDOVER_PERSON_NOT_OF_EMPLOYER"  # a person not a retiree of the employer
    HANDOVER_PERSON_MOVED_AWAY = "HANDOVER_PERSON_MOVED_AWAY"  # a person who moved out of the city (archive left)
    HANDOVER_PERSON_HANDED_OVER = "HANDOVER_PERSON_HANDED_OVER"  # a person whose archive was received already
    HANDOVER_PERSON_IN_OPEN_BATCH = "HANDOVER_PERSON_IN_OPEN_BATCH"  # a person in another batch not yet received
    HANDOVER_RESULTS_INCOMPLETE = "HANDOVER_RESULTS_INCOMPLETE"  # a receipt not naming a result for every person
    HANDOVER_DISCREPANCY_REQUIRED = "HANDOVER_DISCREPANCY_REQUIRED"  # a discrepancy without its code
    HANDOVER_REASON_REQUIRED = "HANDOVER_REASON_REQUIRED"  # returning a batch without a reason

    # Pension adjustment notice and objections (4.9, 4.10)
    NOTICE_COMMUNITY_ONLY = "NOTICE_COMMUNITY_ONLY"  # a notice asked for an institution that is not a community
    OBJECTION_NOT_FOUND = "OBJECTION_NOT_FOUND"  # an objection that does not exist or neither side is the caller's
    OBJECTION_NO_ADJUSTMENT = "OBJECTION_NO_ADJUSTMENT"  # an objection for a retiree with no adjustment that year
    OBJECTION_DESCRIPTION_REQUIRED = "OBJECTION_DESCRIPTION_REQUIRED"  # an objection recorded without a description
    OBJECTION_CLOSED = "OBJECTION_CLOSED"  # answering or withdrawing an objection already answered or withdrawn
    OBJECTION_AGENCY_ONLY = "OBJECTION_AGENCY_ONLY"  # answering by staff not of the insuring agency (or the city)
    OBJECTION_COMMUNITY_ONLY = "OBJECTION_COMMUNITY_ONLY"  # withdrawing by staff not over the retiree's community
    OBJECTION_REASON_REQUIRED = "OBJECTION_REASON_REQUIRED"  # rejecting an objection without the reason
    OBJECTION_CORRECTION_REQUIRED = "OBJECTION_CORRECTION_REQUIRED"  # 已更正 without the corrected amount or a note

    # Ministry batch imports (2.7, 2.8)
    IMPORT_NOT_FOUND = "IMPORT_NOT_FOUND"  # an import that does not exist or was uploaded outside the caller's scope
    IMPORT_LEVEL_ONLY = "IMPORT_LEVEL_ONLY"  # uploading, committing or abandoning below the district level
    IMPORT_FILE_INVALID = "IMPORT_FILE_INVALID"  # an upload that is empty, too large or of an unknown type
    IMPORT_STATE = "IMPORT_STATE"  # committing or abandoning an import whose state does not allow it
    IMPORT_KIND_NOT_READY = "IMPORT_KIND_NOT_READY"  # committing a kind of file no committer is wired for yet

    # Reports (6.x)
    REPORT_DATE_OUT_OF_RANGE = "REPORT_DATE_OUT_OF_RANGE"  # a report asked for a date before records or too far ahead
    PRINT_TOO_LARGE = "PRINT_TOO_LARGE"  # a print (PDF) or export (XLSX) of more rows than one document takes
    # Queries of section 6 (issue 18, domain/queries)
    QUERY_NOT_FOUND = "QUERY_NOT_FOUND"  # a query id that is not in the catalogue
    REPORT_NOT_FOUND = "REPORT_NOT_FOUND"  # a report id that is not in the catalogue of section 7
    QUERY_FILTER_INVALID = "QUERY_FILTER_INVALID"  # a filter unknown to the query, malformed, or not one of its choices
    QUERY_SORT_INVALID = "QUERY_SORT_INVALID"  # sorting by a column the query does not sort by
    EXPORT_UNMASKED_REFUSED = "EXPORT_UNMASKED_REFUSED"  # an unmasked export asked for without the right to it

    # Authentication of staff and channel clients (channels/)
    NOT_LOGGED_IN = "NOT_LOGGED_IN"  # a staff or channel request without a bearer token
    LOGIN_FAILED = "LOGIN_FAILED"  # a wrong username or password (also a wrong current password when changing it)
    ACCOUNT_DISABLED = "ACCOUNT_DISABLED"  # logging in, or a token used, for an account deactivated or gone
    TOKEN_EXPIRED = "TOKEN_EXPIRED"  # a bearer token past its expiry
    TOKEN_INVALID = "TOKEN_INVALID"  # a bearer token that is malformed, forged or for another audience
    WEAK_PASSWORD = "WEAK_PASSWORD"  # a new password too short, or without both letters and digits
    CLIENT_AUTH_FAILED = "CLIENT_AUTH_FAILED"  # a channel client (the app) logging in with bad credentials or disabled
    CLIENT_DISABLED = "CLIENT_DISABLED"  # a channel client's token used after the client was deactivated or removed
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"  # logging in to an account locked after repeated failures (until unlocked)
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"  # logins too frequent for one account or one client address (429)
    TOKEN_REVOKED = "TOKEN_REVOKED"  # a bearer token after logout, or issued before a password change or reset
    PASSWORD_CHANGE_REQUIRED = "PASSWORD_CHANGE_REQUIRED"  # first login after an admin set it, or password expired
    PASSWORD_REUSED = "PASSWORD_REUSED"  # a new password equal to one of the account's last passwords
    # The mobile channel's caller identity (issue 20, docs/channel-contract.md)
    ASSERTION_INVALID = "ASSERTION_INVALID"  # a retiree assertion forged, malformed, expired or too long-lived
    ASSERTION_REPLAYED = "ASSERTION_REPLAYED"  # a retiree assertion (its jti) already exchanged for a token
    RETIREE_NOT_VOUCHED = "RETIREE_NOT_VOUCHED"  # a channel call about another retiree than the one vouched for
    CLIENT_RATE_LIMITED = "CLIENT_RATE_LIMITED"  # a channel client over its own per-minute limit (429)

    # The authentication platform's face-result webhook (2.7)
    SIGNATURE_MISSING = "SIGNATURE_MISSING"  # a push without its signature or timestamp header
    TIMESTAMP_INVALID = "TIMESTAMP_INVALID"  # a push whose timestamp header is not Unix seconds
    SIGNATURE_INVALID = "SIGNATURE_INVALID"  # a push whose HMAC signature does not match its body
    TIMESTAMP_STALE = "TIMESTAMP_STALE"  # a push whose timestamp is too far from the server's clock
    BODY_INVALID = "BODY_INVALID"  # a push whose body is not a valid face result
    REPLAY = "REPLAY"  # a push of a face result already received
    PERSON_UNKNOWN = "PERSON_UNKNOWN"  # a push about a personal number that is not a retiree of the city
    ID_NUMBER_MISMATCH = "ID_NUMBER_MISMATCH"  # a push whose ID number is not that personal number's
    UNAVAILABLE = "UNAVAILABLE"  # a push that could not be made durable in Kafka; the platform retries later
    # Suspicious-list comparison (2.8)
    SUSPICIOUS_MATCH_NOT_FOUND = "SUSPICIOUS_MATCH_NOT_FOUND"  # a compared row that does not exist or is out of scope
    SUSPICIOUS_ALREADY_REVIEWED = "SUSPICIOUS_ALREADY_REVIEWED"  # reviewing a row already reviewed another way
    SUSPICIOUS_NO_PERSON = "SUSPICIOUS_NO_PERSON"  # suspending or recording a death for a row that matched nobody
    REVIEW_NOTE_REQUIRED = "REVIEW_NOTE_REQUIRED"  # marking a row checked without saying what was checked

    # Answered by the API itself for any endpoint (channels/errors.py)
    INVALID_REQUEST = "INVALID_REQUEST"  # the request failed validation; detail.fields names each bad field
    INVALID_VALUE = "INVALID_VALUE"  # a value validation let through that the database refused (out of range)
    CONFLICT = "CONFLICT"  # a uniqueness race lost in the database: the data changed meanwhile
    # The legacy migration of the 2007 system (issue 17, domain/legacy)
    LEGACY_RUN_NOT_FOUND = "LEGACY_RUN_NOT_FOUND"  # a legacy migration run id that does not exist
    LEGACY_RUN_NOT_IMPORTED = "LEGACY_RUN_NOT_IMPORTED"  # marking complete a dry run or an unfinished import
    LEGACY_EXPORT_INVALID = "LEGACY_EXPORT_INVALID"  # an export directory missing a table file or a mapped column
    LEGACY_MAPPING_INVALID = "LEGACY_MAPPING_INVALID"  # a mapping file that is not valid YAML or not the expected shape
    LEGACY_IMPORT_RUNNING = "LEGACY_IMPORT_RUNNING"  # a second import (or dry run) of an export being imported now
    HTTP_400 = "HTTP_400"  # a request the framework could not read
    HTTP_401 = "HTTP_401"  # the framework's own "not authenticated"
    HTTP_403 = "HTTP_403"  # the framework's own "forbidden"
    HTTP_404 = "HTTP_404"  # no such path
    HTTP_405 = "HTTP_405"  # the path does not take that method
    INTERNAL_ERROR = "INTERNAL_ERROR"  # an unexpected failure, logged; the answer (500) says nothing of internals


class DomainError(Exception):
    """A command or event refused by a business rule. ``code`` is stable; ``message`` is what staff read."""

    status = 422

    def __init__(self, code: ErrorCode, message: str, **detail: Any) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.detail = detail


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Forbidden(DomainError):
    """The caller's role or institution scope does not allow this."""

    status = 403


class IllegalTransition(Conflict):
    """A lifecycle command that the retiree's current state does not allow; nothing was changed."""
