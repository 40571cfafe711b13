"""Issue 13's login rules without a database: the lock-out window and cool-down, the forced password change, and
the in-process login rate limiter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from channels.security import LoginLimiter, TooManyAttempts
from domain.staff.login import ChangeReason, LoginPolicy, change_reason, clear_lock, is_locked, register_failure
from domain.staff.models import StaffAccount

pytestmark = pytest.mark.unit
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
POLICY = LoginPolicy()


def _account(*, must_change_password: bool = False) -> StaffAccount:
    return StaffAccount(
        username="u",
        full_name="测试",
        password_hash="x",
        institution_id=1,
        password_changed_at=NOW,
        must_change_password=must_change_password,
    )


def test_1_2_the_fifth_failure_within_the_window_locks_for_the_cool_down() -> None:
    account = _account()
    assert [register_failure(account, POLICY, NOW + timedelta(minutes=i)) for i in range(5)] == [False] * 4 + [True]
    assert is_locked(account, NOW + timedelta(minutes=33)) and not is_locked(account, NOW + timedelta(minutes=34))
    assert account.locked_since_login and account.failures_since_login == 5


def test_1_2_failures_spread_beyond_the_window_never_lock() -> None:
    account = _account()
    locks = [register_failure(account, POLICY, NOW + timedelta(minutes=4 * i)) for i in range(10)]
    assert not any(locks) and account.locked_until is None


def test_1_2_failures_while_locked_are_counted_but_do_not_extend_the_lock() -> None:
    account = _account()
    for i in range(5):
        register_failure(account, POLICY, NOW + timedelta(seconds=i))
    until = account.locked_until
    assert register_failure(account, POLICY, NOW + timedelta(minutes=1)) is False
    assert account.locked_until == until and account.failures_since_login == 6
    clear_lock(account)
    assert not is_locked(account, NOW) and account.failed_logins == 0


def test_1_2_a_password_set_by_an_administrator_or_too_old_must_be_changed() -> None:
    assert change_reason(_account(), POLICY, NOW + timedelta(days=89)) is None
    assert change_reason(_account(), POLICY, NOW + timedelta(days=90)) is ChangeReason.EXPIRED
    assert change_reason(_account(must_change_password=True), POLICY, NOW) is ChangeReason.FIRST_LOGIN


def test_1_2_the_limiter_refuses_past_the_limit_until_the_oldest_attempt_leaves_the_window() -> None:
    limiter = LoginLimiter(60, per_account=3, per_address=100)
    for t in (0.0, 10.0, 20.0):
        limiter.check("Zhang", "10.0.0.1", now=t)
    with pytest.raises(TooManyAttempts) as refused:
        limiter.check("zhang", "10.0.0.2", now=30.0)
    assert refused.value.retry_after == 30 and refused.value.status == 429
    limiter.check("zhang", "10.0.0.2", now=60.5)  # the first attempt has left the window


def test_1_2_the_limiter_counts_every_name_from_one_address() -> None:
    limiter = LoginLimiter(60, per_account=100, per_address=2)
    limiter.check("a", "10.0.0.9", now=0.0)
    limiter.check("b", "10.0.0.9", now=1.0)
    with pytest.raises(TooManyAttempts):
        limiter.check("c", "10.0.0.9", now=2.0)
    limiter.check("c", "10.0.0.10", now=2.0)
