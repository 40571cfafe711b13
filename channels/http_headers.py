"""Security headers on every answer of the API process (issue 13, 等保 level 3).

A pure ASGI middleware (no response buffering, so streamed exports stay streamed) that adds the headers unless the
answer already set them, so app/console.py's own ``Cache-Control`` for the console's static files is kept.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The console (Vue + Element Plus, built to static files) needs no inline script and no other origin; Element Plus
# sets inline styles, hence style-src 'unsafe-inline' and nothing more.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
# FastAPI's /docs (Swagger UI) and /redoc pages load their scripts and styles from cdn.jsdelivr.net and start them with
# an inline script (ReDoc also fetches Google fonts and runs a blob: worker), so they get a policy that lets exactly
# that through; they carry no personal data, and frame-ancestors 'none' still keeps them out of frames.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; font-src 'self' data: "
    "https://fonts.gstatic.com; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")
_COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def headers_for(path: str) -> dict[str, str]:
    headers = dict(_COMMON)
    headers["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY if path in DOCS_PATHS else CONTENT_SECURITY_POLICY
    if path.startswith("/api/") or path.startswith("/channel/"):
        headers["Cache-Control"] = "no-store"  # they carry personal data: no browser or proxy keeps a copy
    return headers


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = headers_for(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in wanted.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
