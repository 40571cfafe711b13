"""``hub channel …``: the channel apps (issue 20) — each with its own secret, signing secret, webhook and limit,
enabled or disabled — and the demo apps `make run` points at the channel-app simulator."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from hub.settings import Settings

channel_app = typer.Typer(help="The mobile channel's apps (channel clients).", no_args_is_help=True)

# The demo apps of `make run`: their signing secrets are the channel-app simulator's development ones
# (simulators/channel_app/config.py); the client secret is the demo password's kind, for development only.
DEMO_APPS = {
    "shiimin": ("石i民", "development-shiimin-signing-secret"),
    "sjzrs": ("石家庄人社", "development-sjzrs-signing-secret"),
}
DEMO_CLIENT_SECRET = "DemoApp2026sjz"


async def _upsert(
    settings: Settings,
    client_id: str,
    *,
    name: str | None,
    secret: str | None,
    signing_secret: str | None,
    webhook_url: str | None,
    rate_limit: int | None,
    active: bool | None,
    only_if_missing: bool = False,
) -> str:
    from sqlalchemy import select
    from sqlmodel import col

    from channels.security import hash_password
    from domain.staff.models import ChannelClient
    from hub.db import create_engine, create_session_factory

    engine = create_engine(settings)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            client = (
                await session.execute(select(ChannelClient).where(col(ChannelClient.client_id) == client_id))
            ).scalar_one_or_none()
            if client is not None and only_if_missing:
                return "kept"
            if client is None:
                if not name or not secret:
                    raise typer.BadParameter("a new app needs --name and --secret")
                client = ChannelClient(client_id=client_id, name=name, secret_hash=hash_password(secret))
                session.add(client)
                outcome = "added"
            else:
                outcome = "updated"
            if name:
                client.name = name
            if secret and outcome == "updated":
                client.secret_hash = hash_password(secret)
            if signing_secret is not None:
                client.signing_secret = signing_secret or None
            if webhook_url is not None:
                client.webhook_url = webhook_url or None
            if rate_limit is not None:
                client.rate_limit_per_minute = rate_limit
            if active is not None:
                client.active = active
            return outcome
    finally:
        await engine.dispose()


@channel_app.command("set")
def set_client(
    client_id: Annotated[str, typer.Argument(help="The app's client id")],
    name: Annotated[str | None, typer.Option(help="Its name (石i民, 石家庄人社)")] = None,
    secret: Annotated[str | None, typer.Option(help="Client secret for POST /channel/v1/token")] = None,
    signing_secret: Annotated[
        str | None, typer.Option(help="HMAC key: signs its retiree assertions and our pushes ('' removes it)")
    ] = None,
    webhook_url: Annotated[str | None, typer.Option(help="Where notifications are pushed ('' = the app polls)")] = None,
    rate_limit: Annotated[int | None, typer.Option(min=1, help="Calls per minute")] = None,
    enable: Annotated[bool | None, typer.Option("--enable/--disable", help="Allow or refuse the app")] = None,
) -> None:
    """Add an app or change it (only what is given changes); a disabled app is refused at once."""
    outcome = asyncio.run(
        _upsert(
            Settings(),
            client_id,
            name=name,
            secret=secret,
            signing_secret=signing_secret,
            webhook_url=webhook_url,
            rate_limit=rate_limit,
            active=enable,
        )
    )
    typer.echo(f"{client_id}: {outcome}")


@channel_app.command("demo-apps")
def demo_apps(
    webhook_base: Annotated[str, typer.Option(help="The channel-app simulator")] = "http://127.0.0.1:8203",
) -> None:
    """The two city apps for a demo, pushing to the simulator; apps already there are kept as they are."""
    settings = Settings()
    if settings.environment == "production":
        raise typer.BadParameter("demo apps are for development only")
    for client_id, (name, signing_secret) in DEMO_APPS.items():
        outcome = asyncio.run(
            _upsert(
                settings,
                client_id,
                name=name,
                secret=DEMO_CLIENT_SECRET,
                signing_secret=signing_secret,
                webhook_url=f"{webhook_base}/apps/{client_id}/notifications",
                rate_limit=None,
                active=True,
                only_if_missing=True,
            )
        )
        typer.echo(f"{client_id} ({name}): {outcome}")
