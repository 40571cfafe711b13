"""A channel app for tests (issue 20): a client with its secret, signing secret, limit and webhook; the assertions it
signs for a retiree; the retiree token those buy."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher

from domain.staff.models import ChannelClient
from hub.bootstrap import Hub
from tests import factories
from tests.support.api import Api

CLIENT_SECRET = "ChannelSecret1"
_hasher = PasswordHasher()


@dataclass(frozen=True)
class ChannelApp:
    api: Api
    client_id: str
    signing_secret: str
    headers: dict[str, str]  # the app's own token (client-level calls)

    def assertion(
        self,
        id_number: str,
        *,
        jti: str | None = None,
        lifetime: int = 120,
        issued: float | None = None,
        secret: str | None = None,
        issuer: str | None = None,
    ) -> str:
        """What the app signs after its own real-name login of the retiree."""
        now = time.time() if issued is None else issued
        claims = {
            "iss": issuer or self.client_id,
            "aud": "retiree-hub",
            "sub": id_number,
            "iat": int(now),
            "exp": int(now) + lifetime,
            "jti": jti or uuid.uuid4().hex,
        }
        return jwt.encode(claims, secret or self.signing_secret, algorithm="HS256")

    async def retiree_headers(self, id_number: str) -> dict[str, str]:
        answer = await self.api.call(
            "POST", "/channel/v1/retiree-sessions", self.headers, json={"assertion": self.assertion(id_number)}
        )
        assert answer.status_code == 201, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def channel_app(
    hub: Hub, api: Api, *, rate_limit_per_minute: int = 600, webhook_url: str | None = None
) -> ChannelApp:
    """A new channel client (unique id), logged in as the app does (POST /channel/v1/token)."""
    client_id = factories.code("app")
    signing_secret = f"sign-{uuid.uuid4().hex}"
    async with hub.sessions() as session, session.begin():
        session.add(
            ChannelClient(
                client_id=client_id,
                name="测试手机应用",
                secret_hash=_hasher.hash(CLIENT_SECRET),
                signing_secret=signing_secret,
                webhook_url=webhook_url,
                rate_limit_per_minute=rate_limit_per_minute,
            )
        )
    token = await api.client.post("/channel/v1/token", json={"client_id": client_id, "client_secret": CLIENT_SECRET})
    assert token.status_code == 200, token.text
    return ChannelApp(api, client_id, signing_secret, {"Authorization": f"Bearer {token.json()['access_token']}"})
