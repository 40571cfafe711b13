"""The domain's failure vocabulary: each error has a stable code for machines and a Chinese message for staff.

The API turns them into 4xx answers (channels/errors.py); the hub's consumer classifies any error it does not
know as permanent, so an event that breaks a business rule is dead-lettered with the reason instead of retried.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A command or event refused by a business rule. ``code`` is stable; ``message`` is what staff read."""

    status = 422

    def __init__(self, code: str, message: str, **detail: Any) -> None:
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
