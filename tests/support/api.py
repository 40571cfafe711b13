"""A thin client of the staff and channel APIs for tests: log in as an account, call, read the error code."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import PASSWORD


class Api:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def token(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        answer = await self.client.post("/api/v1/auth/login", json={"username": username, "password": password})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    async def call(self, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, path, headers=headers, **kwargs)
