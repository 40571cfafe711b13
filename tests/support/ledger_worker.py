"""A worker process for the ledger test group: ``python -m tests.support.ledger_worker TOPIC GROUP``.

Runs exactly the hub's worker code path (``hub.worker.run_worker``) so a test can SIGKILL it mid-batch.
"""

from __future__ import annotations

import asyncio
import sys

from hub.process import run_process
from hub.settings import Settings
from hub.worker import run_worker
from tests.support.harness import LedgerRig


def main() -> None:
    topic, group = sys.argv[1], sys.argv[2]
    rig = LedgerRig(Settings(), topic=topic, group=group)

    async def work(stop: asyncio.Event) -> None:
        hub = rig.hub("-ledger-worker")
        await run_worker(hub, list(hub.consumer_groups), stop)

    run_process("ledger-worker", work, metrics_port=None)


if __name__ == "__main__":
    main()
