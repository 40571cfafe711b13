"""Login rules (issue 13, 等保 level 3): lock-out after repeated failures, what the owner is told at the next login,
password expiry and the forced change, no reuse of the last passwords, and the audit of each of them.

The rules are plain functions over a :class:`StaffAccount` and the time; the async functions apply them in the
caller's transaction and write the audit trail. Passwords never reach the domain: the channel layer hashes them and
hands in a predicate that says whether the new password matches a stored hash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.audit import trail
from domain.shared.actor import Actor
from domain.shared.errors import DomainError, ErrorCode
from domain.staff.models import PasswordHistory, RevokedToken, StaffAccount


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    failure_window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=30)
    password_max_age: timedelta = timedelta(days=90)
    history: int = 5


class ChangeReason(StrEnum):
    FIRST_LOGIN = "first_login"  # an administrator created the account or reset its password
    EXPIRED = "expired"  # the password is older than the policy's maximum age


class Outcome(StrEnum):
    OK = "ok"
    WRONG_PASSWORD = "wrong_password"
    LOCKED = "locked"  # locked before this attempt, or by this very failure
    DISABLED = "disabled"


@dataclass(frozen=True)
class LoginResult:
    outcome: Outcome
    locked_until: datetime | None = None
    failures_since_last_login: int = 0
    locked_since_last_login: bool = False
    change_reason: ChangeReason | None = None


def is_locked(account: StaffAccount, now: datetime) -> bool:
    return account.locked_until is not None and now < account.locked_until


def change_reason(account: StaffAccount, policy: LoginPolicy, now: datetime) -> ChangeReason | None:
    """Why the account must change its password before doing anything else, or None."""
    if account.must_change_password:
        return ChangeReason.FIRST_LOGIN
    if account.password_changed_at is not None and now >= account.password_changed_at + policy.password_max_age:
        return ChangeReason.EXPIRED
    return None


def register_failure(account: StaffAccount, policy: LoginPolicy, now: datetime) -> bool:
    """Count a failed attempt; True when it locks the account. Failures older than the window start a new count."""
    account.failures_since_login += 1
    if is_locked(account, now):
        return False
    if account.first_failed_login_at is None or now - account.first_failed_login_at > policy.failure_window:
        account.first_failed_login_at, account.failed_logins = now, 0
    account.failed_logins += 1
    if account.failed_logins < policy.max_failures:
        return False
    account.locked_until = now + policy.lockout
    account.locked_since_login = True
    account.failed_logins, account.first_failed_login_at = 0, None
    return True


def clear_lock(account: StaffAccount) -> None:
    account.locked_until, account.failed_logins, account.first_failed_login_at = None, 0, None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _anonymous(source: str | None) -> Actor:
    return Actor(name="anonymous", kind="staff", source=source)


async def attempt(
    session: AsyncSession,
    account: StaffAccount | None,
    username: str,
    *,
    password_ok: bool,
    policy: LoginPolicy,
    now: datetime,
    actor: Actor | None,
) -> LoginResult:
    """Apply one login attempt and audit it. ``actor`` is the account's actor (None for an unknown username). The
    caller commits whatever the outcome, so failures are counted even though the login is refused."""
    who = actor or _anonymous(None)
    if account is None:
        await trail.record(session, who, "staff.login_failed", target=username, detail={"reason": "unknown"})
        return LoginResult(Outcome.WRONG_PASSWORD)
    if account.locked_until is not None and not is_locked(account, now):
        clear_lock(account)  # the cool-down has passed
    if is_locked(account, now):
        register_failure(account, policy, now)
        await trail.record(session, who, "staff.login_failed", target=username, detail={"reason": "locked"})
        return LoginResult(Outcome.LOCKED, locked_until=account.locked_until)
    if not password_ok:
        locked_now = register_failure(account, policy, now)
        await trail.record(session, who, "staff.login_failed", target=username, detail={"reason": "password"})
        if locked_now:
            await trail.record(
                session, who, "staff.locked", target=username, detail={"until": _iso(account.locked_until)}
            )
            return LoginResult(Outcome.LOCKED, locked_until=account.locked_until)
        return LoginResult(Outcome.WRONG_PASSWORD)
    if not account.active:
        await trail.record(session, who, "staff.login_failed", target=username, detail={"reason": "disabled"})
        return LoginResult(Outcome.DISABLED)
    result = LoginResult(
        Outcome.OK,
        failures_since_last_login=account.failures_since_login,
        locked_since_last_login=account.locked_since_login,
        change_reason=change_reason(account, policy, now),
    )
    clear_lock(account)
    account.failures_since_login, account.locked_since_login = 0, False
    account.last_login_at = now
    await trail.record(
        session,
        who,
        "staff.login",
        target=username,
        detail={
            "password_change_required": str(result.change_reason or ""),
            "failures_before": result.failures_since_last_login,
        },
    )
    return result


async def unlock(session: AsyncSession, actor: Actor, account: StaffAccount) -> None:
    """The security administrator's unlock (the caller checks the permission and scope)."""
    was = account.locked_until
    clear_lock(account)
    await trail.record(session, actor, "staff.unlock", target=account.username, detail={"locked_until": _iso(was)})


async def set_password(
    session: AsyncSession,
    actor: Actor,
    account: StaffAccount,
    password_hash: str,
    *,
    matches: Callable[[str], bool],
    policy: LoginPolicy,
    now: datetime,
    by_admin: bool,
) -> None:
    """A new password for ``account``: refused if it matches one of the last ``policy.history`` passwords; voids every
    token issued before now; an administrator's reset makes the owner change it at the next login."""
    assert account.id is not None
    recent = (
        await session.execute(
            select(col(PasswordHistory.password_hash))
            .where(col(PasswordHistory.account_id) == account.id)
            .order_by(col(PasswordHistory.id).desc())
            .limit(policy.history)
        )
    ).scalars()
    earlier = [account.password_hash, *recent][: policy.history]
    if any(matches(old) for old in earlier):
        raise DomainError(
            ErrorCode.PASSWORD_REUSED, f"新密码不能与最近{policy.history}次使用过的密码相同", field="password"
        )
    session.add(PasswordHistory(account_id=account.id, password_hash=account.password_hash))
    account.password_hash = password_hash
    account.password_changed_at = now
    account.tokens_valid_after = now
    account.must_change_password = by_admin
    account.updated_at = now
    await session.flush()
    keep = (
        select(col(PasswordHistory.id))
        .where(col(PasswordHistory.account_id) == account.id)
        .order_by(col(PasswordHistory.id).desc())
        .limit(policy.history)
    )
    await session.execute(
        delete(PasswordHistory).where(
            col(PasswordHistory.account_id) == account.id, col(PasswordHistory.id).not_in(keep.scalar_subquery())
        )
    )
    action = "staff.reset_password" if by_admin else "staff.change_own_password"
    await trail.record(session, actor, action, target=account.username)


async def revoke(session: AsyncSession, actor: Actor, jti: str, expires_at: datetime, now: datetime) -> None:
    """Logout: the token's id is kept until the token would have expired anyway; expired rows are cleaned here."""
    await session.execute(delete(RevokedToken).where(col(RevokedToken.expires_at) < now))
    session.add(RevokedToken(jti=jti, username=actor.name, expires_at=expires_at))
    await trail.record(session, actor, "staff.logout", target=actor.name)


async def is_revoked(session: AsyncSession, jti: str) -> bool:
    found = await session.execute(select(col(RevokedToken.jti)).where(col(RevokedToken.jti) == jti))
    return found.first() is not None
