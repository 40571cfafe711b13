"""A test-only consumer whose effect is an appended row, so an event applied twice (or lost) shows in a count.

Accounts can be blocked (the handler then fails permanently, like a poison event) or made flaky (it fails
transiently a given number of times), to drive the hub's retry, park and dead-letter paths.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from sqlalchemy import text

from hub.consumer import ConsumerGroup, OutboxUnitOfWork
from hub.envelope import Envelope
from hub.errors import PermanentError, TransientError
from hub.topics import DAY_MS, Topic

SCHEMAS = Path(__file__).resolve().parent / "schemas"
EVENT_TYPE = "ledger.entry_recorded"

DDL = """
CREATE TABLE IF NOT EXISTS it_ledger_entry (
    id bigserial PRIMARY KEY,
    consumer_group text NOT NULL,
    event_id text NOT NULL,
    account text NOT NULL,
    sequence integer NOT NULL,
    amount integer NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX IF NOT EXISTS ix_it_ledger_entry_group ON it_ledger_entry (consumer_group, account, id);
CREATE TABLE IF NOT EXISTS it_blocked_account (account text PRIMARY KEY, reason text NOT NULL);
"""

# In-process only: how many more times an account's entries fail transiently.
FLAKY_ACCOUNTS: dict[str, int] = {}


class AccountBlocked(PermanentError):
    """The test's poison: a rule refuses the entry until the block is lifted."""


async def record_entry(group: str, event: Envelope, uow: OutboxUnitOfWork) -> None:
    account = str(event.data["account"])
    reason = (
        await uow.session.execute(text("SELECT reason FROM it_blocked_account WHERE account = :a"), {"a": account})
    ).scalar()
    if reason is not None:
        raise AccountBlocked(f"account {account} is blocked: {reason}")
    if FLAKY_ACCOUNTS.get(account, 0) > 0:
        FLAKY_ACCOUNTS[account] -= 1
        raise TransientError(f"ledger platform unavailable for {account}")
    delay = float(os.environ.get("LEDGER_APPLY_DELAY", "0"))
    if delay:
        await asyncio.sleep(delay)
    await uow.session.execute(
        text(
            "INSERT INTO it_ledger_entry (consumer_group, event_id, account, sequence, amount) "
            "VALUES (:group, :event_id, :account, :sequence, :amount)"
        ),
        {
            "group": group,
            "event_id": event.id,
            "account": account,
            "sequence": event.data["sequence"],
            "amount": event.data["amount"],
        },
    )


def ledger_group(name: str) -> ConsumerGroup:
    async def handle(event: Envelope, uow: OutboxUnitOfWork) -> None:
        await record_entry(name, event, uow)

    return ConsumerGroup(name, {EVENT_TYPE: handle})


def ledger_topic(name: str, partitions: int = 3) -> Topic:
    return Topic(name, partitions, DAY_MS, "account", (EVENT_TYPE,), "test ledger entries")


def entry(account: str, sequence: int, amount: int = 1) -> Envelope:
    return Envelope.new(
        EVENT_TYPE, account, {"account": account, "sequence": sequence, "amount": amount}, source="urn:test:ledger"
    )
