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
    """Send newly approved retirees to the platform in batches, until stopped (or once). The database or the
    platform going away does not stop the process: it backs off and tries again."""
    from connectors.auth_platform.client import AuthPlatformClient
    from connectors.auth_platform.share import pending_count, share_due, share_until_stopped
    from hub.db import create_engine, create_session_factory
    from hub.process import run_process

    settings = Settings()

    def client() -> AuthPlatformClient:
        return AuthPlatformClient(
            settings.auth_platform_url, settings.auth_platform_token, timeout=settings.auth_platform_timeout_seconds
        )

    async def send_until_idle() -> None:
        engine = create_engine(settings)
        sessions, platform = create_session_factory(engine), client()
        shared = 0
        try:
            while True:
                report = await share_due(sessions, platform, batch_size=settings.auth_platform_share_batch)
                shared += report.shared
                if not report.handled or report.rescheduled:
                    break
            typer.echo(f"shared {shared}; still pending {await pending_count(sessions)}")
        finally:
            await platform.close()
            await engine.dispose()

    if once:
        asyncio.run(send_until_idle())
        return

    async def main(stop: asyncio.Event) -> None:
        engine = create_engine(settings)
        platform = client()
        try:
            await share_until_stopped(
                create_session_factory(engine),
                platform,
                batch_size=settings.auth_platform_share_batch,
                poll_seconds=settings.auth_platform_share_poll_seconds,
                stop=stop,
            )
        finally:
            await platform.close()
            await engine.dispose()

    run_process("auth-platform-share", main, metrics_port=metrics_port or settings.metrics_port or SHARE_METRICS_PORT)
