"""``hub auth-platform …``: the exchange with the authentication platform (issue 5)."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

import typer

from hub.settings import Settings

auth_platform_app = typer.Typer(help="The authentication platform: face-model shares.", no_args_is_help=True)
log = logging.getLogger(__name__)

SHARE_METRICS_PORT = 9105


@auth_platform_app.command("share")
def share(
    once: Annotated[bool, typer.Option(help="Send what is due, print the counts and exit")] = False,
    metrics_port: Annotated[int | None, typer.Option(help="Port of /metrics")] = None,
) -> None:
    """Send newly approved retirees to the platform in batches, until stopped (or once)."""
    from connectors.auth_platform.client import AuthPlatformClient
    from connectors.auth_platform.share import pending_count, share_due
    from hub.db import create_engine, create_session_factory
    from hub.process import run_process
    from hub.retry import sleep_or_stop

    settings = Settings()

    async def send_until_idle(stop: asyncio.Event | None = None) -> int:
        engine = create_engine(settings)
        sessions = create_session_factory(engine)
        client = AuthPlatformClient(
            settings.auth_platform_url, settings.auth_platform_token, timeout=settings.auth_platform_timeout_seconds
        )
        shared = 0
        try:
            while stop is None or not stop.is_set():
                report = await share_due(sessions, client, batch_size=settings.auth_platform_share_batch)
                shared += report.shared
                if report.handled and not report.rescheduled:
                    continue
                if stop is None:
                    typer.echo(f"shared {shared}; still pending {await pending_count(sessions)}")
                    return shared
                await sleep_or_stop(stop, settings.auth_platform_share_poll_seconds)
        finally:
            await client.close()
            await engine.dispose()
        return shared

    if once:
        asyncio.run(send_until_idle())
        return

    async def main(stop: asyncio.Event) -> None:
        await send_until_idle(stop)

    run_process("auth-platform-share", main, metrics_port=metrics_port or settings.metrics_port or SHARE_METRICS_PORT)
